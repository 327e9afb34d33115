"""Drills and playbook tests: the typed records training and testing are made of.

A :class:`Drill` is one exercise built from one use case: the alert as the analyst would
see it (:class:`AlertRow`, in the application's own field names) and the questions an
analyst must be able to answer, each with its key taken from the use-case document. A
benign look-alike is a drill whose right answer is "normal, because ...". A
:class:`DrillSet` is what a session runs; an :class:`Attempt` is one person's answers
to it and a :class:`Result` their score. A :class:`PlaybookTest` records the checklist a
detection engineer and an analyst walked through when the rule was tested.

``to_dict`` / ``from_dict`` are the edges: JSON exports and the store's JSON columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DrillKind(StrEnum):
    """Whether the alert shows the behaviour the rule is for, or benign activity that looks like it."""

    TRUE_POSITIVE = "true_positive"
    LOOKALIKE = "lookalike"


class AnswerKind(StrEnum):
    CHOICE = "choice"  # one of ``choices``; right when it is ``correct``
    TEXT = "text"  # typed; scored by the keyword groups it names


class Topic(StrEnum):
    """What a question trains (one per question of the issue's list)."""

    APPLICATION = "application"
    NORMAL = "normal"
    WHY_NORMAL = "why_normal"
    TRIAGE = "triage"
    CONTACT = "contact"
    CONTAINMENT = "containment"
    CLOSE = "close"


class Mode(StrEnum):
    SOLO = "solo"  # one analyst typed answers, scored
    PRESENTER = "presenter"  # a group session: attendance, no score


class StepKind(StrEnum):
    CONTACT = "contact"
    CONTAINMENT = "containment"
    PIVOT = "pivot"
    DETECTION = "detection"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class AlertRow:
    """One row of the SIEM's result list: field name -> value as text, and whether it is
    part of the alert (``matched``) or benign activity shown around it."""

    values: tuple[tuple[str, str], ...]
    matched: bool = True

    def get(self, name: str) -> str:
        return dict(self.values).get(name, "")

    def to_dict(self) -> dict[str, Any]:
        return {"values": dict(self.values), "matched": self.matched}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AlertRow:
        values = d.get("values") or {}
        return cls(tuple((str(k), str(v)) for k, v in values.items()), bool(d.get("matched", True)))


@dataclass(frozen=True)
class Question:
    """A question with its key. ``keywords`` are groups of alternatives: an answer that
    names one word of a group earns that group; ``needed`` groups earn the full point."""

    id: str
    topic: str
    prompt: str
    answer: str  # the key as the document says it
    explanation: str = ""  # why, with the figures or the source
    kind: str = AnswerKind.TEXT
    choices: tuple[str, ...] = ()
    correct: str = ""
    keywords: tuple[tuple[str, ...], ...] = ()
    needed: int = 1

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id, "topic": self.topic, "prompt": self.prompt, "answer": self.answer,
            "explanation": self.explanation, "kind": self.kind,
        }  # fmt: skip
        if self.kind == AnswerKind.CHOICE:
            d["choices"] = list(self.choices)
            d["correct"] = self.correct
        else:
            d["keywords"] = [list(g) for g in self.keywords]
            d["needed"] = self.needed
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Question:
        return cls(
            id=str(d.get("id") or ""), topic=str(d.get("topic") or ""), prompt=str(d.get("prompt") or ""),
            answer=str(d.get("answer") or ""), explanation=str(d.get("explanation") or ""),
            kind=str(d.get("kind") or AnswerKind.TEXT), choices=tuple(str(c) for c in d.get("choices") or ()),
            correct=str(d.get("correct") or ""),
            keywords=tuple(tuple(str(w) for w in g) for g in d.get("keywords") or ()),
            needed=int(d.get("needed") or 1),
        )  # fmt: skip


@dataclass(frozen=True)
class Drill:
    """One exercise: the alert, then the questions. ``id`` is unique within its set."""

    id: str
    application: str
    application_name: str
    use_case: str  # template id
    use_case_title: str
    kind: str
    title: str
    situation: str  # what the analyst is told before seeing the rows
    alert_time: str  # ISO, in the application's zone
    columns: tuple[str, ...]
    rows: tuple[AlertRow, ...]
    questions: tuple[Question, ...]
    hidden_rows: int = 0  # matching events not shown (a rule that needs hundreds)
    fingerprint: str = ""  # of the use case's content the drill was built from

    @property
    def benign(self) -> bool:
        return self.kind == DrillKind.LOOKALIKE

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "application": self.application, "application_name": self.application_name,
            "use_case": self.use_case, "use_case_title": self.use_case_title, "kind": self.kind,
            "title": self.title, "situation": self.situation, "alert_time": self.alert_time,
            "columns": list(self.columns), "rows": [r.to_dict() for r in self.rows],
            "hidden_rows": self.hidden_rows, "questions": [q.to_dict() for q in self.questions],
            "fingerprint": self.fingerprint,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Drill:
        return cls(
            id=str(d["id"]), application=str(d.get("application") or ""),
            application_name=str(d.get("application_name") or ""), use_case=str(d.get("use_case") or ""),
            use_case_title=str(d.get("use_case_title") or ""), kind=str(d.get("kind") or DrillKind.TRUE_POSITIVE),
            title=str(d.get("title") or ""), situation=str(d.get("situation") or ""),
            alert_time=str(d.get("alert_time") or ""), columns=tuple(str(c) for c in d.get("columns") or ()),
            rows=tuple(AlertRow.from_dict(r) for r in d.get("rows") or ()),
            questions=tuple(Question.from_dict(q) for q in d.get("questions") or ()),
            hidden_rows=int(d.get("hidden_rows") or 0), fingerprint=str(d.get("fingerprint") or ""),
        )  # fmt: skip


@dataclass(frozen=True)
class DrillSet:
    """The drills of a session, for one or more applications, in the order they are run."""

    drills: tuple[Drill, ...]
    generated_at: str = ""

    @property
    def applications(self) -> list[str]:
        return list(dict.fromkeys(d.application for d in self.drills))

    def drill(self, drill_id: str) -> Drill:
        for d in self.drills:
            if d.id == drill_id:
                return d
        raise KeyError(drill_id)

    def for_application(self, slug: str) -> DrillSet:
        return DrillSet(tuple(d for d in self.drills if d.application == slug), self.generated_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "applications": self.applications,
            "drills": [d.to_dict() for d in self.drills],
            "lookalikes": sum(1 for d in self.drills if d.benign),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DrillSet:
        return cls(tuple(Drill.from_dict(x) for x in d.get("drills") or ()), str(d.get("generated_at") or ""))


@dataclass(frozen=True)
class GivenAnswer:
    """What a person answered to one question, and what it earned."""

    drill: str
    question: str
    given: str
    points: float = 0.0
    feedback: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"drill": self.drill, "question": self.question, "given": self.given,
                "points": round(self.points, 3), "feedback": self.feedback}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GivenAnswer:
        return cls(str(d.get("drill") or ""), str(d.get("question") or ""), str(d.get("given") or ""),
                   float(d.get("points") or 0.0), str(d.get("feedback") or ""))  # fmt: skip


@dataclass
class Result:
    """One person's session on one application: who, when, which use cases, the score and
    the answers as given. A presenter session records attendance (``score`` None)."""

    application: str
    who: str
    mode: str
    use_cases: dict[str, str]  # template id -> fingerprint of the content trained on
    answers: list[GivenAnswer] = field(default_factory=list)
    score: float | None = None  # points earned
    max_score: float = 0.0
    at: dt.datetime | None = None
    id: int | None = None

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return 100.0 * self.score / self.max_score

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "application": self.application, "who": self.who, "mode": self.mode,
            "at": self.at.isoformat() if self.at else None, "use_cases": dict(self.use_cases),
            "score": None if self.score is None else round(self.score, 3), "max_score": self.max_score,
            "percent": None if self.percent is None else round(self.percent, 1),
            "answers": [a.to_dict() for a in self.answers],
        }  # fmt: skip


@dataclass(frozen=True)
class PlaybookStep:
    """One line of the checklist; ``outcome`` and ``note`` are filled in by the testers."""

    id: str
    kind: str
    text: str
    expect: str = ""
    outcome: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "text": self.text, "expect": self.expect,
                "outcome": self.outcome, "note": self.note}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlaybookStep:
        return cls(*(str(d.get(k) or "") for k in ("id", "kind", "text", "expect", "outcome", "note")))


@dataclass
class PlaybookTest:
    """A playbook walked through for one use case: the steps with their outcomes, when and by whom."""

    application: str
    use_case: str
    steps: list[PlaybookStep]
    tester: str = ""
    tested_on: str = ""  # ISO date the test was done
    fingerprint: str = ""
    recorded_at: dt.datetime | None = None
    id: int | None = None

    @property
    def failed_steps(self) -> list[PlaybookStep]:
        return [s for s in self.steps if s.outcome == Outcome.FAILED]

    @property
    def outcome(self) -> str:
        """Failed if any step failed; passed only when every step passed; else incomplete."""
        if self.failed_steps:
            return Outcome.FAILED
        if self.steps and all(s.outcome == Outcome.PASSED for s in self.steps):
            return Outcome.PASSED
        return "incomplete"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "application": self.application, "use_case": self.use_case, "tester": self.tester,
            "tested_on": self.tested_on, "outcome": self.outcome, "fingerprint": self.fingerprint,
            "recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "steps": [s.to_dict() for s in self.steps],
        }  # fmt: skip


def steps_from(items: Sequence[Mapping[str, Any]]) -> list[PlaybookStep]:
    return [PlaybookStep.from_dict(s) for s in items if isinstance(s, Mapping)]
