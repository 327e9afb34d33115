"""Drill results and playbook tests in the store.

A training result is one row per person, application and session, with the answers
exactly as typed (and what each earned); a playbook test one row per use case and test,
with every step's outcome. Both keep the fingerprint of the use case they were made on,
so readiness can tell when the use case changed since (:mod:`workshop.drills.readiness`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from workshop.core.errors import InputError
from workshop.drills.model import GivenAnswer, PlaybookTest, Result, steps_from
from workshop.interview.model import clean_line, utcnow
from workshop.store.base import StoreBase, new_id
from workshop.store.schema import applications, drill_results, playbook_tests

#: Characters kept of one typed answer (a drill answer is a few sentences, not a file).
MAX_ANSWER_CHARS = 4000


class DrillStoreMixin(StoreBase):
    """Drill methods of :class:`workshop.store.Store`."""

    def save_drill_result(self, result: Result) -> Result:
        """Record one person's session on one application; returns it with its id and time."""
        who = clean_line(result.who, "who", required=True)
        for a in result.answers:
            if len(a.given) > MAX_ANSWER_CHARS:
                raise InputError(
                    f"an answer is longer than {MAX_ANSWER_CHARS:,} characters (nothing was saved)"
                )
        now = result.at or utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, result.application)
            rid = new_id(
                conn.execute(
                    insert(drill_results).values(
                        application_id=app_id,
                        who=who,
                        at=now,
                        mode=str(result.mode),
                        use_cases=dict(result.use_cases),
                        score=result.score,
                        max_score=float(result.max_score),
                        answers=[a.to_dict() for a in result.answers],
                    )
                )
            )
        result.id, result.at, result.who = rid, now, who
        return result

    def drill_results(self, slug: str) -> list[Result]:
        """Every training result of an application, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                select(drill_results)
                .join(applications, applications.c.id == drill_results.c.application_id)
                .where(applications.c.slug == slug)
                .order_by(drill_results.c.at, drill_results.c.id)
            ).all()
        if not rows:
            self.get_application(slug)  # NotFoundError for an unknown application
        return [self._result(r, slug) for r in rows]

    @staticmethod
    def _result(row: Any, slug: str) -> Result:
        return Result(
            application=slug,
            who=row.who,
            mode=row.mode,
            use_cases={str(k): str(v) for k, v in (row.use_cases or {}).items()},
            answers=[GivenAnswer.from_dict(a) for a in row.answers or [] if isinstance(a, dict)],
            score=row.score,
            max_score=float(row.max_score or 0.0),
            at=row.at,
            id=row.id,
        )

    def save_playbook_test(self, test: PlaybookTest) -> PlaybookTest:
        tester = clean_line(test.tester, "tester", required=True)
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, test.application)
            tid = new_id(
                conn.execute(
                    insert(playbook_tests).values(
                        application_id=app_id,
                        template_id=test.use_case[:100],
                        tested_on=test.tested_on[:10],
                        tester=tester,
                        outcome=str(test.outcome),
                        steps=[s.to_dict() for s in test.steps],
                        fingerprint=test.fingerprint[:64],
                        recorded_at=now,
                    )
                )
            )
        test.id, test.recorded_at, test.tester = tid, now, tester
        return test

    def playbook_tests(self, slug: str, template_id: str | None = None) -> list[PlaybookTest]:
        """The playbook tests of an application (or one use case), oldest first."""
        q = (
            select(playbook_tests)
            .join(applications, applications.c.id == playbook_tests.c.application_id)
            .where(applications.c.slug == slug)
        )
        if template_id is not None:
            q = q.where(playbook_tests.c.template_id == template_id)
        with self._read() as conn:
            rows = conn.execute(q.order_by(playbook_tests.c.tested_on, playbook_tests.c.id)).all()
        if not rows:
            self.get_application(slug)
        return [
            PlaybookTest(
                slug,
                r.template_id,
                steps_from(r.steps or []),
                r.tester,
                r.tested_on,
                r.fingerprint,
                r.recorded_at,
                r.id,
            )
            for r in rows
        ]
