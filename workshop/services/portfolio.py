"""The SOC manager's view: every in-house application, its workshop rhythm and use cases.

Reviews come due by criticality (a configurable interval in days after the last
workshop; an application never interviewed is due now). Re-reviews start from the
previous interview's answers, and the use cases whose triggering answers changed are
flagged for review. ATT&CK appears as a list of ideas, never as a score.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.interview.model import AnswerSet, Interview
from workshop.interview.progress import diff_answers, follow_ups, progress
from workshop.questionnaire import Catalogue, Questionnaire
from workshop.services.settings import REVIEW_INTERVAL_DAYS
from workshop.store import Store
from workshop.usecases.model import UseCase
from workshop.vocab import DROPPED, LIVE, STATUSES

BASELINE_STALE_DAYS = 90


def next_review(last_workshop: str | None, criticality: str, intervals: Mapping[str, int] | None = None,
                today: dt.date | None = None) -> dt.date:  # fmt: skip
    """When the next workshop is due: last one + the interval for the criticality.

    An application never interviewed is due today. An unparseable date counts as never.
    """
    today = today or dt.date.today()
    days = int((intervals or REVIEW_INTERVAL_DAYS).get(criticality, REVIEW_INTERVAL_DAYS.get(criticality, 365)))
    if not last_workshop:
        return today
    try:
        last = dt.date.fromisoformat(last_workshop)
    except ValueError:
        return today
    return last + dt.timedelta(days=days)


@dataclass
class PortfolioRow:
    slug: str
    name: str
    criticality: str
    owner: str
    last_workshop: str | None
    completeness: float | None
    open_follow_ups: int
    use_cases: dict[str, int]
    baseline_date: str | None
    baseline_age_days: int | None
    next_review: str
    overdue: bool
    flagged_use_cases: list[str] = field(default_factory=list)
    #: Use cases (not rejected or retired) whose latest local rule test fired on its true positive.
    tests_passed: int = 0

    @property
    def live(self) -> int:
        """Use cases watching in the SIEM: implemented or tested (:data:`workshop.vocab.LIVE`)."""
        return sum(n for s, n in self.use_cases.items() if s in LIVE)

    @property
    def baseline_fresh(self) -> bool | None:
        return None if self.baseline_age_days is None else self.baseline_age_days <= BASELINE_STALE_DAYS

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "criticality": self.criticality,
            "owner": self.owner,
            "last_workshop": self.last_workshop,
            "interview_completeness": None if self.completeness is None else round(self.completeness, 3),
            "open_follow_ups": self.open_follow_ups,
            "use_cases": self.use_cases,
            "baseline": {
                "date": self.baseline_date,
                "age_days": self.baseline_age_days,
                "fresh": self.baseline_fresh,
            },
            "next_review": self.next_review,
            "review_overdue": self.overdue,
            "flagged_use_cases": self.flagged_use_cases,
            "live_use_cases": self.live,
            "rule_tests_passed": self.tests_passed,
        }


def changed_questions(store: Store, interview: Interview, questionnaire: Questionnaire) -> set[str]:
    """Question ids whose answers differ from the interview this one follows."""
    from workshop.services.interview import previous_interview

    prev = previous_interview(store, interview)
    if prev is None:
        return set()
    return {
        c.question_id
        for c in diff_answers(questionnaire, store.answers(prev.id), store.answers(interview.id))
    }


def use_case_inputs(uc: UseCase) -> set[str]:
    """The answer ids a use case was built from (recorded at generation)."""
    gen = uc.generated
    return set(gen.inputs) | {t.question_id for t in gen.triggered_by}


def flagged_use_cases(store: Store, slug: str, questionnaires: Catalogue) -> dict[str, list[str]]:
    """Use cases whose triggering answers changed since the previous interview: id -> changed ids."""
    interview = store.latest_interview(slug)
    if interview is None:
        return {}
    q = questionnaires.questionnaires.get(interview.questionnaire_id)
    if q is None:
        return {}
    changed = changed_questions(store, interview, q)
    if not changed:
        return {}
    out = {}
    for uc in store.list_use_cases(slug):
        hit = sorted(use_case_inputs(uc) & changed)
        if hit and uc.status not in DROPPED:
            out[uc.template_id] = hit
    return out


def portfolio(store: Store, questionnaires: Catalogue, intervals: Mapping[str, int] | None = None,
              today: dt.date | None = None) -> list[PortfolioRow]:  # fmt: skip
    today = today or dt.date.today()
    rows = []
    for app in store.list_applications():
        interview = store.latest_interview(app.slug)
        completeness, open_fu = None, 0
        if interview is not None:
            q = questionnaires.questionnaires.get(interview.questionnaire_id)
            answers = store.answers(interview.id)
            if q is not None:
                completeness = progress(q, answers).ratio
                open_fu = len(follow_ups(q, answers))
            else:
                open_fu = sum(1 for a in answers.values() if a.follow_up)
        ucs = store.list_use_cases(app.slug)
        counts = Counter(u.status for u in ucs)
        kept = {u.template_id for u in ucs if u.status not in DROPPED}
        tests = store.rule_test_results(app.slug)
        passed = sum(1 for tid, r in tests.items() if tid in kept and r.get("fires_on_true_positive") and not r.get("error"))
        baseline = latest_baseline_date(store, app.slug)
        age = (today - dt.date.fromisoformat(baseline[:10])).days if baseline else None
        due = next_review(interview.held_on if interview else None, app.criticality, intervals, today)
        rows.append(
            PortfolioRow(
                slug=app.slug,
                name=app.name,
                criticality=app.criticality,
                owner=app.owner,
                last_workshop=interview.held_on if interview else None,
                completeness=completeness,
                open_follow_ups=open_fu,
                use_cases={s: counts.get(s, 0) for s in STATUSES},
                baseline_date=baseline,
                baseline_age_days=age,
                next_review=due.isoformat(),
                overdue=due < today or interview is None,
                flagged_use_cases=sorted(flagged_use_cases(store, app.slug, questionnaires)),
                tests_passed=passed,
            )
        )
    return rows


def latest_baseline_date(store: Store, slug: str) -> str | None:
    """The date the newest baseline's log sample ends (None when none).

    A baseline is as old as the behaviour it saw, not as the day it was imported: a
    sample from 2015 attached this morning is ten years old. The import date is used
    only when the sample's dates are unknown.
    """
    fn = getattr(store, "list_baselines", None)
    if fn is None:
        return None
    found = fn(slug)
    if not found:
        return None
    newest = max(found, key=lambda b: b.created_at)
    try:
        return dt.date.fromisoformat(str(newest.last or "")[:10]).isoformat()
    except ValueError:
        return newest.created_at.date().isoformat()


def reviews_by_month(rows: Iterable[PortfolioRow]) -> dict[str, int]:
    counts = Counter(r.next_review[:7] for r in rows)
    return dict(sorted(counts.items()))


def start_rereview(store: Store, slug: str, questionnaire: Questionnaire, *, facilitator: str = "",
                   participants: Iterable[str] = (), held_on: str = "", who: str = "") -> Interview:  # fmt: skip
    """A new interview pre-filled from the last one: every answer and flag carried over,
    each recorded in the history as coming from the previous interview."""
    prev = store.latest_interview(slug)
    if prev is None:
        return store.create_interview(slug, questionnaire.id, questionnaire.version, held_on=held_on,
                                      facilitator=facilitator, participants=list(participants))  # fmt: skip
    states = {}
    for qid, a in store.answers(prev.id).items():
        if questionnaire.has_question(qid):
            states[qid] = a.state()
    interview = store.import_interview(
        slug,
        questionnaire.id,
        questionnaire.version,
        states,
        held_on=held_on,
        facilitator=facilitator or prev.facilitator,
        participants=list(participants) or list(prev.participants),
        who=who or f"prefilled from interview {prev.id}",
        previous_id=prev.id,
    )
    return interview


@dataclass
class Idea:
    technique_id: str
    name: str
    applications: list[str]
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "technique_id": self.technique_id,
            "name": self.name,
            "applications": self.applications,
            "reasons": self.reasons,
        }


def uncovered_ideas(store: Store, index: Any, limit: int = 40) -> list[Idea]:
    """Techniques suggested for the portfolio's applications that no use case covers yet,
    sorted by how many applications they concern."""
    from workshop.attack import suggest_for_application

    ideas: dict[str, Idea] = {}
    for app in store.list_applications():
        interview = store.latest_interview(app.slug)
        answers = AnswerSet(store.answers(interview.id)).values if interview else {}
        covered = {a.technique for u in store.list_use_cases(app.slug) if u.status not in DROPPED
                   for a in u.attack}  # fmt: skip
        for s in suggest_for_application(index, list(app.platforms), answers):
            if s.technique_id in covered or any(c.startswith(s.technique_id + ".") for c in covered):
                continue
            idea = ideas.setdefault(s.technique_id, Idea(s.technique_id, s.name, [], []))
            idea.applications.append(app.slug)
            idea.reasons.extend(r for r in s.reasons[:1] if r not in idea.reasons)
    ranked = sorted(ideas.values(), key=lambda i: (-len(i.applications), i.technique_id))
    return ranked[:limit]
