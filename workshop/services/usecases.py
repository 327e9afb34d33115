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


def check_attack(value: object, bundle: str | None = None, store: Store | None = None,
                 reason: str = "") -> list[dict[str, str]]:  # fmt: skip
    """An ``attack`` edit as the list of ``{technique, reason}`` the use case keeps, refusing anything
    but techniques that exist (built-in catalogue or the configured bundle): one bad id would break
    the Navigator export of the whole application."""
    from workshop.attack import load_index
    from workshop.services.exports import _bundle_setting, attack_index

    if not isinstance(value, list):
        raise InputError("attack is a list of technique ids, e.g. [T1078, T1110.003]")
    entries: list[dict[str, str]] = []
    for item in value:
        tid = item.get("technique") if isinstance(item, dict) else item
        if not isinstance(tid, str) or not tid.strip():
            raise InputError(f"attack entries are technique ids (or mappings with 'technique'), not {item!r}")
        why = item.get("reason") if isinstance(item, dict) else None
        entries.append({"technique": tid.strip().upper(), "reason": str(why or reason or "set by hand")})
    if entries:
        indexes = [load_index(None), attack_index(bundle or (_bundle_setting(store) if store is not None else None))]
        unknown = [e["technique"] for e in entries if not any(ix.technique(e["technique"]) for ix in indexes)]
        if unknown:
            raise InputError(f"not ATT&CK technique id(s): {', '.join(unknown)} ('workshop attack search' finds ids)")
    return entries


def edit_use_case(store: Store, slug: str, template_id: str, name: str, value: object, *, who: str = "",
                  reason: str = "", bundle: str | None = None):  # fmt: skip
    """A person's edit of one field, with the checks that need more than the store (ATT&CK ids)."""
    if name == "attack":
        value = check_attack(value, bundle, store, reason)
    return store.edit_use_case(slug, template_id, name, value, who=who, reason=reason)
