"""Finding the questionnaires a workspace can use."""

from __future__ import annotations

from pathlib import Path

from workshop.core.workspace import questionnaire_dirs
from workshop.questionnaire import Catalogue, discover


def load_questionnaires(workspace: Path | None = None) -> Catalogue:
    return discover(questionnaire_dirs(workspace))


DEFAULT_QUESTIONNAIRE = "in-house-application"
