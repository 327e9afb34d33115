"""Analyst drills and playbook tests for applications in the workspace: the store side of
:mod:`workshop.drills`.

The drills package is pure: it builds drills from a use case, the interview's facts, the
baseline profile and the rules' synthetic events, scores answers and judges what is due.
This module reads those inputs from the store and records what must be kept::

    ds = drill_set(store, ["payroll-portal"], catalogue)          # DrillSet
    handout(ds, "html")                                         # printable, escaped
    record_session(store, ds, {question_id: "typed answer"}, who="ana")   # [Result], scored
    record_attendance(store, ds, shown_ids, ["ana", "ben"])     # presenter session
    steps = playbook_checklist(store, "payroll-portal", "mass-update", catalogue)
    record_playbook_test(store, "payroll-portal", "mass-update", {"containment": "failed"}, ...)
    readiness(store, "payroll-portal")                          # trained / tested / due
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from workshop.vocab import ADOPTED

if TYPE_CHECKING:  # pragma: no cover
    from workshop.drills.generate import DrillInputs
    from workshop.drills.model import DrillSet, PlaybookStep, PlaybookTest, Result
    from workshop.drills.readiness import Readiness
    from workshop.questionnaire import Catalogue
    from workshop.store import Store

FORMATS = ("md", "html", "json")


def _answer_formatter(store: Store, slug: str, questionnaires: Catalogue | None):
    """Answers as people read them (option labels), from the latest interview's questionnaire."""
    from workshop.interview.model import AnswerSet
    from workshop.questionnaire import format_value

    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    q = (
        questionnaires.questionnaires.get(interview.questionnaire_id)
        if interview and questionnaires
        else None
    )

    def answer(qid: str) -> str:
        v = values.get(qid)
        if v is None:
            return ""
        if q is not None and q.has_question(qid):
            return format_value(q.question(qid), v)
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    return answer


def latest_profile(store: Store, slug: str):
    """The newest baseline's profile, or None."""
    from workshop.baseline.profile import Profile

    found = store.list_baselines(slug)
    if not found:
        return None
    newest = max(found, key=lambda b: b.created_at)
    return Profile.from_dict(newest.profile)


def drill_inputs(store: Store, slug: str, questionnaires: Catalogue | None = None) -> DrillInputs:
    from workshop.drills.generate import DrillInputs
    from workshop.services.rules import latest_rule_tests, rule_context

    fires = {tid: bool(r.fires_on_true_positive) for tid, r in latest_rule_tests(store, slug).items()}
    return DrillInputs(
        ctx=rule_context(store, slug),
        use_cases=store.list_use_cases(slug, ADOPTED),
        profile=latest_profile(store, slug),
        answer_text=_answer_formatter(store, slug, questionnaires),
        rule_fires=fires,
    )


def drill_set(store: Store, slugs: Sequence[str], questionnaires: Catalogue | None = None,
              use_cases: Iterable[str] | None = None) -> DrillSet:  # fmt: skip
    """The drills of these applications (every adopted use case, then the benign look-alikes)."""
    from workshop.drills.generate import drill_set as build
    from workshop.interview.model import utcnow

    chosen = list(use_cases) if use_cases is not None else None
    return build([drill_inputs(store, s, questionnaires) for s in slugs], chosen, utcnow().isoformat())


def handout(drills: DrillSet, fmt: str, title: str = "") -> str:
    """The drills as a printable handout (``md``, ``html``) or as ``json``."""
    from workshop.core.errors import InputError
    from workshop.drills.handout import handout_html, handout_json, handout_markdown

    names = list(dict.fromkeys(d.application_name for d in drills.drills))
    title = title or f"Analyst drills: {', '.join(names) or 'no drills'}"
    if fmt == "md":
        return handout_markdown(drills, title)
    if fmt == "html":
        return handout_html(drills, title)
    if fmt == "json":
        return handout_json(drills)
    raise InputError(f"unknown format '{fmt}' (use {', '.join(FORMATS)})")


def record_session(store: Store, drills: DrillSet, answers: Mapping[str, str], who: str) -> list[Result]:
    """Score one analyst's typed answers (question id -> text) and keep a result per application."""
    from workshop.core.errors import InputError
    from workshop.drills.scoring import score_session

    results = score_session(drills, answers, who)
    if not results:
        raise InputError("no answer was given: nothing to record")
    return [store.save_drill_result(r) for r in results]


def record_attendance(
    store: Store, drills: DrillSet, shown: Sequence[str], attendees: Iterable[str]
) -> list[Result]:
    """Keep a presenter session: an unscored record per attendee and application for the drills shown."""
    from workshop.core.errors import InputError
    from workshop.drills.scoring import attendance

    people = [p.strip() for p in attendees if p and p.strip()]
    if not people:
        raise InputError("name at least one analyst who attended")
    if not shown:
        raise InputError("no drill was shown: nothing to record")
    return [store.save_drill_result(r) for p in people for r in attendance(drills, list(shown), p)]


def results(store: Store, slug: str) -> list[Result]:
    return store.drill_results(slug)


def playbook_checklist(store: Store, slug: str, template_id: str,
                       questionnaires: Catalogue | None = None) -> list[PlaybookStep]:  # fmt: skip
    """The steps to walk through for one use case (pivot values from its drill's alert)."""
    from workshop.drills.generate import drills_for
    from workshop.drills.playbook import checklist

    inputs = drill_inputs(store, slug, questionnaires)
    uc = store.get_use_case(slug, template_id)
    drill = next((d for d in drills_for(inputs, [template_id]) if not d.benign), None)
    return checklist(uc, inputs.facts, drill.rows if drill else (), inputs.rule_fires.get(template_id))


def record_playbook_test(store: Store, slug: str, template_id: str, outcomes: Mapping[str, str], *,
                         tester: str, tested_on: str = "", notes: Mapping[str, str] | None = None,
                         questionnaires: Catalogue | None = None) -> PlaybookTest:  # fmt: skip
    """Record a playbook test: each step's outcome (step id -> passed/failed/skipped; missing ones skipped)."""
    from workshop.core.errors import InputError
    from workshop.drills.playbook import record
    from workshop.drills.readiness import fingerprint

    day = tested_on or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(day)
    except ValueError as exc:
        raise InputError(f"the test date must be YYYY-MM-DD, not '{tested_on}'") from exc
    uc = store.get_use_case(slug, template_id)
    steps = playbook_checklist(store, slug, template_id, questionnaires)
    test = record(uc, steps, outcomes, notes or {}, tester, day, fingerprint(uc))
    return store.save_playbook_test(test)


def playbook_tests(store: Store, slug: str, template_id: str | None = None) -> list[PlaybookTest]:
    return store.playbook_tests(slug, template_id)


def interval_days(store: Store, criticality: str) -> int:
    """The application's review interval (the workspace's setting for its criticality)."""
    from workshop.services.settings import REVIEW_INTERVAL_DAYS
    from workshop.services.workspace import settings

    conf = settings(store).get("review_interval_days") or REVIEW_INTERVAL_DAYS
    return int(conf.get(criticality, REVIEW_INTERVAL_DAYS.get(criticality, 365)))


def readiness(store: Store, slug: str, today: dt.date | None = None, days: int | None = None) -> Readiness:
    """Analysts trained and playbooks tested for the application's adopted use cases, and what is due."""
    from workshop.drills.readiness import readiness as judge

    app = store.get_application(slug)
    ucs = [u for u in store.list_use_cases(slug, ADOPTED) if u.applies]
    return judge(slug, ucs, store.drill_results(slug), store.playbook_tests(slug),
                 days if days is not None else interval_days(store, app.criticality),
                 today or dt.date.today())  # fmt: skip
