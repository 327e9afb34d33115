"""Detection use cases: the template catalogue, generation from answers, ADS documents."""

from workshop.usecases.events import EVENTS, LogVocabulary, vocabulary
from workshop.usecases.generate import Inputs, generate, generate_all
from workshop.usecases.loader import TemplateCatalogue, discover_templates, load_template, load_template_text
from workshop.usecases.model import PRIORITIES, STATUSES, Template, UseCase

__all__ = [
    "EVENTS",
    "PRIORITIES",
    "STATUSES",
    "Inputs",
    "LogVocabulary",
    "Template",
    "TemplateCatalogue",
    "UseCase",
    "discover_templates",
    "generate",
    "generate_all",
    "load_template",
    "load_template_text",
    "vocabulary",
]
