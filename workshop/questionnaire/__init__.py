"""Questionnaires: the YAML interview templates, their answers' shapes, and blank forms."""

from workshop.questionnaire.loader import Catalogue, discover, load_questionnaire, load_questionnaire_text
from workshop.questionnaire.model import QUESTION_TYPES, Column, Option, Question, Questionnaire, Section
from workshop.questionnaire.values import coerce, format_value, is_empty

__all__ = [
    "QUESTION_TYPES",
    "Catalogue",
    "Column",
    "Option",
    "Question",
    "Questionnaire",
    "Section",
    "coerce",
    "discover",
    "format_value",
    "is_empty",
    "load_questionnaire",
    "load_questionnaire_text",
]
