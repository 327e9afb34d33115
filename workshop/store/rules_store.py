"""Rule drafts in the store: processing pipelines the user edited, and local test results.

A pipeline is kept as the YAML text the user wrote (comments included), one per
application and SIEM; without one the toolkit's default applies. Each local test run
adds one row per use case, so the latest result and the history of results are both
there for the use-case document and the UI.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from workshop.core.errors import InputError
from workshop.interview.model import clean_line, utcnow
from workshop.store.base import StoreBase
from workshop.store.schema import applications, rule_pipelines, rule_tests

MAX_PIPELINE_CHARS = 200_000


class RuleStoreMixin(StoreBase):
    """Rule methods of :class:`workshop.store.Store`."""

    # -- pipelines -----------------------------------------------------------------
    def get_rule_pipeline(self, slug: str, siem: str) -> dict[str, Any] | None:
        """The saved pipeline text of an application for one SIEM, or None (default applies)."""
        with self._read() as conn:
            row = conn.execute(
                select(rule_pipelines)
                .join(applications, applications.c.id == rule_pipelines.c.application_id)
                .where(applications.c.slug == slug, rule_pipelines.c.siem == siem)
            ).first()
        if row is None:
            self.get_application(slug)  # NotFoundError for an unknown application
            return None
        return {
            "siem": row.siem,
            "text": row.text,
            "updated_at": row.updated_at.isoformat(),
            "updated_by": row.updated_by,
        }

    def save_rule_pipeline(self, slug: str, siem: str, text: str, who: str = "") -> None:
        """Save (insert or replace) a pipeline; check it first (:func:`workshop.rules.convert.save_pipeline`)."""
        if len(text) > MAX_PIPELINE_CHARS:
            raise InputError(f"the pipeline is longer than {MAX_PIPELINE_CHARS:,} characters")
        who = clean_line(who, "who")
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            row = conn.execute(
                select(rule_pipelines.c.id).where(
                    rule_pipelines.c.application_id == app_id, rule_pipelines.c.siem == siem
                )
            ).first()
            if row is None:
                conn.execute(
                    insert(rule_pipelines).values(
                        application_id=app_id, siem=siem, text=text, updated_at=now, updated_by=who
                    )
                )
            else:
                conn.execute(
                    update(rule_pipelines)
                    .where(rule_pipelines.c.id == row.id)
                    .values(text=text, updated_at=now, updated_by=who)
                )

    def delete_rule_pipeline(self, slug: str, siem: str) -> bool:
        """Forget the saved pipeline; True if there was one."""
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            done = conn.execute(
                delete(rule_pipelines).where(
                    rule_pipelines.c.application_id == app_id, rule_pipelines.c.siem == siem
                )
            )
            return bool(done.rowcount)

    # -- test results --------------------------------------------------------------
    def save_rule_tests(
        self, slug: str, results: list[dict[str, Any]], who: str = "", sample: str = ""
    ) -> int:
        """Record one test run: a row per use case (``result`` as the test produced it)."""
        who = clean_line(who, "who")
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            for r in results:
                conn.execute(
                    insert(rule_tests).values(
                        application_id=app_id,
                        template_id=str(r["use_case"])[:100],
                        rule_id=str(r.get("rule_id") or "")[:40],
                        ran_at=now,
                        who=who,
                        sample=str(sample)[:300],
                        fires=bool(r.get("fires_on_true_positive")),
                        result=r,
                    )
                )
        return len(results)

    def rule_test_results(self, slug: str) -> dict[str, dict[str, Any]]:
        """The latest test result per use case of an application (template id -> result)."""
        with self._read() as conn:
            rows = conn.execute(
                select(rule_tests)
                .join(applications, applications.c.id == rule_tests.c.application_id)
                .where(applications.c.slug == slug)
                .order_by(rule_tests.c.template_id, rule_tests.c.id)
            ).all()
        if not rows:
            self.get_application(slug)
        out: dict[str, dict[str, Any]] = {}
        for row in rows:  # ordered by id: the last one per template wins
            out[row.template_id] = dict(row.result) | {
                "ran_at": row.ran_at.isoformat(),
                "who": row.who,
                "sample": row.sample,
            }
        return out

    def rule_test_history(self, slug: str, template_id: str) -> list[dict[str, Any]]:
        """Every recorded test of one use case, oldest first (fires, when, on what sample)."""
        with self._read() as conn:
            rows = conn.execute(
                select(rule_tests)
                .join(applications, applications.c.id == rule_tests.c.application_id)
                .where(applications.c.slug == slug, rule_tests.c.template_id == template_id)
                .order_by(rule_tests.c.id)
            ).all()
        return [
            {
                "ran_at": r.ran_at.isoformat(),
                "who": r.who,
                "sample": r.sample,
                "fires": bool(r.fires),
                "alerts_on_sample": (r.result or {}).get("alerts_on_sample"),
            }
            for r in rows
        ]
