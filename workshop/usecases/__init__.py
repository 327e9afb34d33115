"""Detection use cases: the template catalogue, generation from answers, ADS documents."""

from workshop.usecases.events import EVENTS, LogVocabulary, vocabulary
from workshop.usecases.generate import Inputs, generate, generate_all
from workshop.usecases.loader import TemplateCatalogue, discover_templates, load_template, load_template_text
from workshop.usecases.model import GeneratedUseCase, Parameter, Template, UseCase

__all__ = [
    "EVENTS",
    "GeneratedUseCase",
    "Inputs",
    "LogVocabulary",
    "Parameter",
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
