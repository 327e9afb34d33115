"""Generating and storing an application's use cases: what the UI and CLI call."""

from __future__ import annotations

from pathlib import Path

from workshop.core.errors import InputError
from workshop.core.workspace import PROJECT_ROOT
from workshop.questionnaire import Catalogue
from workshop.store import Store
from workshop.store.usecase_store import GenerationResult
from workshop.usecases.generate import APP_NAMES, Inputs, generate_all
from workshop.usecases.loader import TemplateCatalogue, discover_templates


def template_dirs(workspace: Path | None = None) -> list[Path]:
    """Folders searched for templates: the project's own, then the workspace's."""
    dirs = [PROJECT_ROOT / "usecases"]
    if workspace is not None:
        dirs.append(workspace / "usecases")
    return dirs


def answer_ids(questionnaires: Catalogue) -> set[str]:
    """Every id a template may read: all questions of all questionnaires, and the app profile."""
    ids = set(APP_NAMES)
    for q in questionnaires.questionnaires.values():
        ids.update(x.id for x in q.questions)
    return ids


def load_templates(questionnaires: Catalogue, workspace: Path | None = None) -> TemplateCatalogue:
    return discover_templates(template_dirs(workspace), answer_ids(questionnaires))


def inputs_for(store: Store, slug: str, questionnaires: Catalogue) -> Inputs:
    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    if interview is None:
        raise InputError(f"'{slug}' has no interview yet: run the workshop first")
    q = questionnaires.questionnaires.get(interview.questionnaire_id)
    return Inputs(app, store.answers(interview.id), q)


def generate_for_application(
    store: Store, slug: str, templates: TemplateCatalogue, questionnaires: Catalogue, who: str = "generator"
) -> GenerationResult:
    """Evaluate the catalogue against the latest interview and store the result."""
    inputs = inputs_for(store, slug, questionnaires)
    return store.save_generated(slug, generate_all(templates, inputs), who=who)
