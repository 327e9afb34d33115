"""Logging requirements of an application in the workspace: the store side of
:mod:`workshop.usecases.logging_requirements`.

Reads the latest interview's answers, the use cases, the rules built from them (the
roles each rule reads, and the synthetic true-positive events its local test writes:
the acceptance test) and, where a baseline was attached, the columns and event names
of the kept sample. The page, the command and the detection package call
:func:`requirements_for` and :func:`render_requirements`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from workshop.store import Store
    from workshop.usecases.logging_requirements import LoggingRequirements, Need
    from workshop.usecases.model import UseCase


def _sample_view(store: Store, slug: str) -> tuple[str | None, set[str] | None, dict[str, int] | None, bool]:
    """(sample name, its columns, event counts by action, whether the counts list every action)."""
    from workshop.baseline.loading import inspect_sample
    from workshop.core.errors import WorkshopError

    for b in store.list_baselines(slug):
        profile = b.profile or {}
        mapping = profile.get("mapping") or {}
        columns: set[str] = {str(v) for v in mapping.values() if v}
        if b.sample_path and Path(b.sample_path).is_file():
            with suppress(
                WorkshopError
            ):  # unreadable now: the profile's mapping still names the columns read
                columns |= set(inspect_sample(b.sample_path).columns)
        actions = profile.get("actions")
        counts = (
            {str(k): int(v.get("events") or 0) for k, v in actions.items() if isinstance(v, dict)}
            if isinstance(actions, dict)
            else None
        )
        summary = profile.get("actions_summary") or {}
        complete = not summary.get("other_values")
        return b.file_name or b.log_source, columns, counts, complete
    return None, None, None, True


def needs_for(store: Store, slug: str, bundle: str | None = None) -> tuple[list[Need], list[UseCase]]:
    """What every use case of the application needs logged (from today's use cases and rules).

    The one place needs are computed for the workspace; a readiness check can replace it
    by handing its own :class:`~workshop.usecases.logging_requirements.Need` list to
    :func:`requirements_for`.
    """
    from workshop.core.errors import WorkshopError
    from workshop.rules.sigma import build_rule_set
    from workshop.rules.synthetic import true_positive
    from workshop.services.rules import rule_context
    from workshop.usecases.events import vocabulary
    from workshop.usecases.logging_requirements import needs_of

    ctx = rule_context(store, slug, bundle)
    vocab = vocabulary(ctx.facts)
    ucs = store.list_use_cases(slug)
    needs: list[Need] = []
    for uc in ucs:
        roles: Iterable[str] = ()
        acceptance: dict[str, dict[str, Any]] = {}
        try:
            rs = build_rule_set(uc, ctx)
            roles = [r for r in rs.fields if r]
            case = true_positive(uc, rs, ctx)
            action_field = vocab.field_for("action")
            for event_ref in uc.generated.events:
                action = vocab.event(event_ref.event).action
                match = next((ev for ev in case.events if ev.get(action_field) == action), None)
                if match is not None:
                    acceptance.setdefault(event_ref.event, match)
        except (WorkshopError, ValueError, KeyError):
            pass  # a rule that cannot be built still needs its events; the logic says which
        needs.extend(needs_of(uc, vocab, roles, acceptance))
    return needs, ucs


def requirements_for(
    store: Store, slug: str, bundle: str | None = None, needs: list[Need] | None = None
) -> LoggingRequirements:
    """The logging requirements of one application (``needs``: computed from its use cases when None)."""
    from workshop.interview.facts import Facts
    from workshop.interview.model import AnswerSet
    from workshop.usecases.events import vocabulary
    from workshop.usecases.logging_requirements import logging_requirements, retention_needed_days

    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    facts = Facts.of(AnswerSet(store.answers(interview.id)).values if interview else {})
    ucs: list[UseCase] = store.list_use_cases(slug)
    if needs is None:
        needs, ucs = needs_for(store, slug, bundle)
    sample, columns, actions, complete = _sample_view(store, slug)
    return logging_requirements(
        application=app.name, slug=slug, facts=facts, vocab=vocabulary(facts), needs=needs, sample=sample,
        sample_fields=columns, sample_actions=actions, sample_actions_complete=complete,
        retention_needed=retention_needed_days(ucs),
    )  # fmt: skip


def render_requirements(store: Store, slug: str, fmt: str = "md", bundle: str | None = None) -> str:
    """The requirements as a document (md, html) or tickets (csv, json)."""
    from workshop.usecases.logging_requirements import render

    return render(requirements_for(store, slug, bundle), fmt)
