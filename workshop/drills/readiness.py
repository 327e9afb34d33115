"""Is the SOC ready for an application: analysts trained on its use cases, playbooks tested.

Both go stale: when a use case changes (its content, not its status: a new threshold,
another contact, a rewritten response) what people were trained on and what was tested
is no longer what runs, and after the application's review interval they are due again
anyway. A training or test record keeps the :func:`fingerprint` of the use case it was
made on; comparing it with the use case today says whether it changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workshop.drills.model import Outcome, PlaybookTest, Result
from workshop.usecases.model import UseCase


def fingerprint(uc: UseCase) -> str:
    """A short hash of what the use case says (fields, parameters, texts), not of its status."""
    content = uc.effective().to_dict()
    blob = json.dumps(content, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _day(value: dt.datetime | str | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@dataclass
class Due:
    """Whether something is due, and why (``never``, ``changed``, ``interval``, or ``""`` when not due)."""

    due: bool
    reason: str = ""
    last: str | None = None  # ISO date of the record it was judged on

    def words(self) -> str:
        return {"never": "never done", "changed": f"use case changed since {self.last}",
                "interval": f"last done {self.last}, review interval passed"}.get(self.reason, f"done {self.last}")  # fmt: skip


def judge(record_fingerprint: str | None, record_day: dt.date | None, current: str, interval_days: int,
          today: dt.date) -> Due:  # fmt: skip
    if record_day is None:
        return Due(True, "never")
    last = record_day.isoformat()
    if record_fingerprint != current:
        return Due(True, "changed", last)
    if record_day + dt.timedelta(days=interval_days) < today:
        return Due(True, "interval", last)
    return Due(False, "", last)


@dataclass
class UseCaseReadiness:
    use_case: str
    title: str
    trained_by: list[str]
    training: Due
    test: Due
    test_outcome: str | None = None
    tester: str = ""
    failed_steps: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.test_outcome == Outcome.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case, "title": self.title, "trained_by": self.trained_by,
            "trained_on": self.training.last, "training_due": self.training.due, "training_reason": self.training.reason,
            "tested_on": self.test.last, "test_outcome": self.test_outcome, "tester": self.tester,
            "test_due": self.test.due, "test_reason": self.test.reason, "failed_steps": self.failed_steps,
        }  # fmt: skip


@dataclass
class Readiness:
    """One application: analysts trained and when, playbooks tested and when, what is due."""

    application: str
    analysts: dict[str, str]  # who -> date of their latest session
    use_cases: list[UseCaseReadiness]
    interval_days: int

    @property
    def last_trained(self) -> str | None:
        return max(self.analysts.values(), default=None)

    @property
    def last_tested(self) -> str | None:
        return max((u.test.last for u in self.use_cases if u.test.last), default=None)

    @property
    def tested(self) -> int:
        """Use cases whose playbook test is current (not due) and passed."""
        return sum(1 for u in self.use_cases if not u.test.due and u.test_outcome == Outcome.PASSED)

    @property
    def drills_due(self) -> list[str]:
        return [u.use_case for u in self.use_cases if u.training.due]

    @property
    def tests_due(self) -> list[str]:
        return [u.use_case for u in self.use_cases if u.test.due]

    @property
    def failed(self) -> list[str]:
        return [u.use_case for u in self.use_cases if u.failed]

    def get(self, template_id: str) -> UseCaseReadiness | None:
        return next((u for u in self.use_cases if u.use_case == template_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.application, "analysts_trained": self.analysts, "last_trained": self.last_trained,
            "playbooks_tested": self.tested, "last_tested": self.last_tested, "drills_due": self.drills_due,
            "playbook_tests_due": self.tests_due, "failed_playbook_tests": self.failed,
            "interval_days": self.interval_days, "use_cases": [u.to_dict() for u in self.use_cases],
        }  # fmt: skip


def readiness(slug: str, use_cases: Sequence[UseCase], results: Iterable[Result], tests: Iterable[PlaybookTest],
              interval_days: int, today: dt.date) -> Readiness:  # fmt: skip
    """Readiness of one application's adopted use cases (``use_cases``) from its training
    results and playbook tests (any order; the latest of each counts)."""
    results = sorted((r for r in results if r.at is not None), key=lambda r: r.at or dt.datetime.min)
    tests = sorted(
        tests, key=lambda t: (t.tested_on, t.recorded_at or dt.datetime.min.replace(tzinfo=dt.UTC))
    )
    analysts: dict[str, str] = {}
    for r in results:
        day = _day(r.at)
        if day is not None and r.who:
            analysts[r.who] = day.isoformat()
    out = []
    for uc in use_cases:
        current = fingerprint(uc)
        mine = [r for r in results if uc.template_id in r.use_cases]
        # the latest session on the content as it is now counts; else the latest at all (it changed since)
        latest = next(
            (r for r in reversed(mine) if r.use_cases[uc.template_id] == current), mine[-1] if mine else None
        )
        training = judge(latest.use_cases[uc.template_id] if latest else None, _day(latest.at) if latest else None,
                         current, interval_days, today)  # fmt: skip
        trained_by = sorted({r.who for r in mine if r.use_cases.get(uc.template_id) == current and r.who})
        test = next((t for t in reversed(tests) if t.use_case == uc.template_id), None)
        tdue = judge(test.fingerprint if test else None, _day(test.tested_on) if test else None, current,
                     interval_days, today)  # fmt: skip
        out.append(UseCaseReadiness(
            uc.template_id, uc.title, trained_by, training, tdue, test.outcome if test else None,
            test.tester if test else "", [s.text for s in test.failed_steps] if test else [],
        ))  # fmt: skip
    return Readiness(slug, analysts, out, interval_days)
