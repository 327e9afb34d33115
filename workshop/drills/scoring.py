"""Scoring typed answers against the key, with the reason for every point.

A choice is right or wrong. A typed answer earns a share of its point for each keyword
group it names (see :mod:`workshop.drills.text`), the whole point once it names
``needed`` of them; the feedback says which words counted and which were missing, and
the key is always shown beside it. Keyword scoring is a coach, not a judge: a person
reviewing a result sees the answers as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workshop.drills import text as kw
from workshop.drills.model import AnswerKind, Drill, DrillSet, GivenAnswer, Mode, Question, Result


@dataclass(frozen=True)
class Scored:
    points: float
    feedback: str
    named: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def right(self) -> bool:
        return self.points >= 1.0


def score_answer(q: Question, given: str) -> Scored:
    given = (given or "").strip()
    if q.kind == AnswerKind.CHOICE:
        if not given:
            return Scored(0.0, f"No choice made. The answer: {q.correct}.")
        if given == q.correct:
            return Scored(1.0, "Right.")
        return Scored(0.0, f'Not quite: the answer is "{q.correct}".')
    if not given:
        return Scored(0.0, "No answer given.")
    low = given.lower()
    ws = kw.words(low)
    named, missing = [], []
    for group in q.keywords:
        hit = next((w for w in group if kw.matches(w, ws, low)), None)
        (named.append(hit) if hit else missing.append(" / ".join(group[:3])))
    if not q.keywords:
        return Scored(1.0, "Answered (this question has no keywords to check; compare with the key).")
    needed = max(1, min(q.needed, len(q.keywords)))
    points = min(1.0, len(named) / needed)
    if points >= 1.0:
        feedback = "Right: you named " + ", ".join(named) + "."
    elif named:
        feedback = f"Partly: you named {', '.join(named)}; the key also mentions {'; '.join(missing)}."
    else:
        feedback = f"Not yet: the key mentions {'; '.join(missing)}."
    return Scored(points, feedback, tuple(named), tuple(missing))


def score_drill(drill: Drill, answers: Mapping[str, str]) -> list[GivenAnswer]:
    """Every question of a drill (question id -> typed answer; missing ones score nothing)."""
    out = []
    for q in drill.questions:
        given = answers.get(q.id, "")
        s = score_answer(q, given)
        out.append(GivenAnswer(drill.id, q.id, given, s.points, s.feedback))
    return out


def score_session(drills: DrillSet, answers: Mapping[str, str], who: str) -> list[Result]:
    """One :class:`Result` per application of the set, from answers keyed by question id.

    Only drills with at least one answer count, so a session that stopped half-way records
    what was done, not zeros for what was never shown.
    """
    results: dict[str, Result] = {}
    for drill in drills.drills:
        if not any(answers.get(q.id, "").strip() for q in drill.questions):
            continue
        r = results.setdefault(drill.application, Result(drill.application, who, Mode.SOLO, {}, [], 0.0, 0.0))
        r.use_cases.setdefault(drill.use_case, drill.fingerprint)
        given = score_drill(drill, answers)
        r.answers += given
        r.score = (r.score or 0.0) + sum(g.points for g in given)
        r.max_score += len(given)
    return list(results.values())


def attendance(drills: DrillSet, shown: list[str], who: str) -> list[Result]:
    """A presenter session: one unscored record per application for a person who attended
    the drills ``shown`` (ids)."""
    results: dict[str, Result] = {}
    for drill in drills.drills:
        if drill.id not in shown:
            continue
        r = results.setdefault(drill.application, Result(drill.application, who, Mode.PRESENTER, {}))
        r.use_cases.setdefault(drill.use_case, drill.fingerprint)
    return list(results.values())
