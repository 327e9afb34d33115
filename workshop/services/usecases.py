"""Generating and storing an application's use cases: what the UI and CLI call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workshop.core.errors import InputError
from workshop.core.workspace import PROJECT_ROOT
from workshop.questionnaire import Catalogue
from workshop.store import Store
from workshop.store.usecase_store import GenerationResult, UseCaseEvent
from workshop.usecases.generate import APP_NAMES, Inputs, generate_all
from workshop.usecases.loader import TemplateCatalogue, discover_templates
from workshop.usecases.model import AttackRef, GeneratedUseCase, UseCase
from workshop.vocab import DROPPED, LIVE, Status


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


# --------------------------------------------------------------------------- what pages and commands call


def list_use_cases(store: Store, slug: str | None = None, statuses: Iterable[str] | None = None) -> list[UseCase]:
    """Use cases of one application (or all), highest priority first."""
    return store.list_use_cases(slug, statuses)


def get_use_case(store: Store, slug: str, template_id: str) -> UseCase:
    return store.get_use_case(slug, template_id)


def has_interview(store: Store, slug: str) -> bool:
    """Whether use cases can be generated yet: they come from the latest interview."""
    return store.latest_interview(slug) is not None


def set_status(store: Store, slug: str, template_ids: Iterable[str], status: str, who: str = "",
               reason: str = "") -> tuple[list[str], dict[str, str]]:  # fmt: skip
    """Move use cases to ``status``; (changed, {skipped id: why}) as the lifecycle allows."""
    return store.set_status(slug, template_ids, status, who=who, reason=reason)


def edit_fields(store: Store, slug: str, template_id: str, changes: Mapping[str, Any], who: str = "",
                reason: str = "") -> UseCase | None:  # fmt: skip
    """Record a person's edits of several fields (``parameters.NAME`` for a parameter), one by one."""
    uc = None
    for name, value in changes.items():
        uc = edit_use_case(store, slug, template_id, name, value, who=who, reason=reason)
    return uc


def revert_edit(store: Store, slug: str, template_id: str, name: str, who: str = "") -> UseCase:
    return store.revert_edit(slug, template_id, name, who)


def resolve_conflict(store: Store, slug: str, template_id: str, name: str, keep: str, who: str = "") -> UseCase:
    """Keep the person's edit ('mine') or take the newly generated value ('generated')."""
    return store.resolve_conflict(slug, template_id, name, keep, who)


def history(store: Store, slug: str, template_id: str) -> list[UseCaseEvent]:
    return store.use_case_history(slug, template_id)


def map_technique(store: Store, slug: str, template_id: str, technique: str, reason: str,
                  who: str = "") -> UseCase:  # fmt: skip
    """Map an ATT&CK technique to a use case by hand (replacing an earlier mapping of it)."""
    uc = store.get_use_case(slug, template_id)
    attack = [a.to_dict() for a in uc.attack if a.technique != technique]
    attack.append(AttackRef(technique, reason).to_dict())
    return store.edit_use_case(slug, template_id, "attack", attack, who=who, reason=f"mapped {technique}")


def covered_techniques(store: Store, slug: str) -> set[str]:
    """Techniques the application's use cases are mapped to (whatever their status)."""
    return {a.technique for u in store.list_use_cases(slug) for a in u.attack}


def technique_statuses(store: Store, slug: str) -> dict[str, list[str]]:
    """Technique -> statuses of the application's use cases mapped to it (rejected and retired left out),
    so that a page can say "live" only for implemented or tested ones and show plans apart."""
    out: dict[str, list[str]] = {}
    for u in store.list_use_cases(slug):
        if u.status in DROPPED:
            continue
        for a in u.attack:
            out.setdefault(a.technique, []).append(str(u.status))
    return out


def coverage_word(statuses: Iterable[str]) -> str:
    """One phrase for a technique's use cases: "live" only when one is implemented or tested."""
    found = list(statuses)
    if not found:
        return ""
    live = sum(1 for x in found if x in LIVE)
    planned = sum(1 for x in found if x == Status.ACCEPTED)
    ideas = sum(1 for x in found if x == Status.PROPOSED)
    parts = [f"{n} {word}" for n, word in ((live, "live"), (planned, "accepted"), (ideas, "proposed")) if n]
    return ", ".join(parts)


def custom_id(technique: str) -> str:
    """The id of the use case made from a technique (T1110.003 -> attack-t1110-003)."""
    return "attack-" + technique.strip().lower().replace(".", "-")


def use_case_from_technique(store: Store, slug: str, technique: str, index: Any = None, who: str = "",
                            reason: str = "") -> UseCase:  # fmt: skip
    """A new proposed use case mapped to one ATT&CK technique, in one step.

    No template made it, so it says plainly what is still to write (the events, the logic
    and the threshold) instead of inventing them; it is pre-filled from the technique: its
    name, tactics, MITRE's description and the analytics of its detection strategies as
    validation ideas, and the technique's page as a reference. Regeneration leaves it alone.
    """
    from workshop.services.attack_data import attack_index, bundle_setting

    idx = index if index is not None else attack_index(bundle_setting(store))
    tid = technique.strip().upper()
    app = store.get_application(slug)
    detail = idx.detail(tid, platforms=list(app.platforms) or None)
    if detail is None:
        raise InputError(f"{tid} is not a technique in this ATT&CK data ('workshop attack search' finds ids)")
    name = str(detail["name"])
    description = " ".join(str(detail.get("description") or "").split())
    first = description.split(". ")[0].rstrip(".") + "." if description else ""
    analytics = [
        f"{an['id']}: {' '.join(str(an.get('description') or '').split())}"
        for ds in detail.get("detection_strategies") or []
        for an in ds.get("analytics") or []
        if an.get("description")
    ][:3]
    made = GeneratedUseCase(
        title=f"{name} ({tid}) against {app.name}",
        objective=f"Detect {name} (ATT&CK {tid}) against {app.name}." + (f" MITRE: {first}" if first else ""),
        category="attack",
        strategy_abstract=(
            f"To be written: which of {app.name}'s own events show {name}, and how many of them in what "
            "time is unusual. This use case was made from the ATT&CK technique, not from the interview."
        ),
        technical_context=str(detail.get("app_logs") or ""),
        blind_spots=[
            "Made from an ATT&CK technique: the events, the logic and the threshold are not written yet, "
            "so its rule cannot fire until they are."
        ],
        validation=analytics,
        attack=[AttackRef(tid, reason or f"made from the ATT&CK technique {name}")],
        references=[str(detail["url"])] if detail.get("url") else [],
        notes="Tactics: " + ", ".join(detail.get("tactics") or []),
    )
    return store.add_use_case(slug, custom_id(tid), made, who=who, reason=f"made from ATT&CK {tid} {name}")


def check_attack(value: object, bundle: str | None = None, store: Store | None = None,
                 reason: str = "") -> list[dict[str, str]]:  # fmt: skip
    """An ``attack`` edit as the list of ``{technique, reason}`` the use case keeps, refusing anything
    but techniques that exist (built-in catalogue or the configured bundle): one bad id would break
    the Navigator export of the whole application."""
    from workshop.attack import load_index
    from workshop.services.attack_data import attack_index, bundle_setting

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
        indexes = [load_index(None), attack_index(bundle or (bundle_setting(store) if store is not None else None))]
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
