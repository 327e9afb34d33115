"""Interviews as YAML files in and out of the store: export, import.

Import checks the whole file first (:func:`workshop.interview.io.parse_interview`) and
writes nothing unless all of it is valid; then it writes the application, interview
and answers in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from workshop.core import yamlsource
from workshop.core.errors import InputError
from workshop.interview.io import interview_document, parse_interview
from workshop.interview.model import Application, Interview, check_slug
from workshop.questionnaire import Catalogue
from workshop.store import Store


def export_interview(
    store: Store, slug: str, interview_id: int | None = None, catalogue: Catalogue | None = None
) -> str:
    """The latest (or given) interview of ``slug`` as YAML text."""
    if interview_id is None:
        interview = store.latest_interview(slug)
        if interview is None:
            raise InputError(f"application '{slug}' has no interview yet")
    else:
        interview = store.get_interview(interview_id)
        if interview.application != slug:
            raise InputError(f"interview {interview_id} belongs to '{interview.application}', not '{slug}'")
    q = catalogue.questionnaires.get(interview.questionnaire_id) if catalogue else None
    app = store.get_application(interview.application)
    return yamlsource.dump(interview_document(app, interview, store.answers(interview.id), q))


def import_interview(
    store: Store,
    catalogue: Catalogue,
    path: str | Path,
    *,
    app: str | None = None,
    who: str = "",
    force_version: bool = False,
) -> Interview:
    """Import an interview file as a new interview; the application is created if missing."""
    text = yamlsource.read_text(path)
    parsed = parse_interview(text, str(path), catalogue, force_version=force_version)
    slug = check_slug(app) if app else (parsed.application.slug if parsed.application else None)
    if slug is None:
        raise InputError(f"{path}: the file names no application; pass --app SLUG")
    create = None
    if not store.has_application(slug):
        if parsed.application is None:
            raise InputError(
                f"no application '{slug}' in this workspace and the file carries no profile to create it"
            )
        create = Application.from_dict(parsed.application.profile_dict() | {"slug": slug})
    return store.import_interview(
        slug,
        parsed.questionnaire.id,
        parsed.questionnaire.version,
        parsed.states,
        create_application=create,
        held_on=parsed.held_on,
        facilitator=parsed.facilitator,
        participants=parsed.participants,
        who=who or f"import:{Path(path).name}",
    )


__all__ = ["export_interview", "import_interview"]
