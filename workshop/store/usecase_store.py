"""Use cases in the store: regeneration that keeps people's edits, lifecycle with history.

Each use case keeps what generation last produced (``generated``) apart from what a
person changed (``edits``). Regenerating replaces ``generated`` only; a field both a
person and the answers changed keeps the person's value and is listed in
``conflicts`` (with the old and new generated values) until someone resolves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from workshop.core.errors import InputError, NotFoundError, StaleEditError
from workshop.interview.model import clean_line, utcnow
from workshop.store.base import StoreBase, new_id
from workshop.store.schema import applications, use_case_history, use_cases
from workshop.usecases.lifecycle import check_parameter, check_priority, check_status, transition_refusal
from workshop.usecases.model import EDITABLE, GeneratedUseCase, UseCase, is_editable
from workshop.vocab import PRIORITIES, Status


@dataclass
class GenerationResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    no_longer_applies: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "no_longer_applies": self.no_longer_applies,
        }


@dataclass(frozen=True)
class UseCaseEvent:
    at: dt.datetime
    who: str
    kind: str
    field: str
    old: Any
    new: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "kind": self.kind,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


def _edit_view(generated: Mapping[str, Any], name: str) -> Any:
    """The generated value that an edit of ``name`` overrides."""
    if name.startswith("parameters."):
        p = (generated.get("parameters") or {}).get(name.split(".", 1)[1]) or {}
        return p.get("value")
    return generated.get(name)


class UseCaseStoreMixin(StoreBase):
    """Use-case methods of :class:`workshop.store.Store`."""

    @staticmethod
    def _uc(row: Any, slug: str) -> UseCase:
        return UseCase(
            application=slug,
            template_id=row.template_id,
            status=row.status,
            generated=GeneratedUseCase.from_dict(row.generated),
            edits=row.edits or {},
            conflicts=row.conflicts or {},
            applies=bool(row.applies),
            revision=row.revision,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def list_use_cases(self, slug: str | None = None, statuses: Iterable[str] | None = None) -> list[UseCase]:
        q = select(use_cases, applications.c.slug.label("app_slug")).join(
            applications, applications.c.id == use_cases.c.application_id
        )
        if slug is not None:
            q = q.where(applications.c.slug == slug)
        if statuses is not None:
            q = q.where(use_cases.c.status.in_(list(statuses)))
        with self._read() as conn:
            rows = conn.execute(q.order_by(applications.c.slug, use_cases.c.template_id)).all()
        found = [self._uc(r, r.app_slug) for r in rows]
        order = {p: i for i, p in enumerate(reversed(PRIORITIES))}
        return sorted(found, key=lambda u: (u.application, order.get(u.priority, 9), u.title.lower()))

    def _uc_row(self, conn: Connection, slug: str, template_id: str) -> Any:
        row = conn.execute(
            select(use_cases)
            .join(applications, applications.c.id == use_cases.c.application_id)
            .where(applications.c.slug == slug, use_cases.c.template_id == template_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no use case '{template_id}' for application '{slug}'")
        return row

    def get_use_case(self, slug: str, template_id: str) -> UseCase:
        with self._read() as conn:
            return self._uc(self._uc_row(conn, slug, template_id), slug)

    @staticmethod
    def _log(conn: Connection, uc_id: int, now: dt.datetime, who: str, kind: str, fld: str = "",
             old: Any = None, new: Any = None, reason: str = "") -> None:  # fmt: skip
        conn.execute(
            insert(use_case_history).values(
                use_case_id=uc_id, at=now, who=who, kind=kind, field=fld, old=old, new=new, reason=reason
            )
        )

    def save_generated(
        self, slug: str, results: Mapping[str, GeneratedUseCase | None], who: str = "generator"
    ) -> GenerationResult:
        """Store one generation run for an application in one transaction."""
        out = GenerationResult()
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            existing = {
                r.template_id: r
                for r in conn.execute(select(use_cases).where(use_cases.c.application_id == app_id))
            }
            for tid, made in sorted(results.items()):
                doc = None if made is None else made.to_dict()
                row = existing.get(tid)
                if row is None:
                    if doc is None:
                        continue
                    res = conn.execute(
                        insert(use_cases).values(
                            application_id=app_id, template_id=tid, status=Status.PROPOSED, generated=doc, edits={},
                            conflicts={}, applies=True, revision=1, created_at=now, updated_at=now,
                        )
                    )  # fmt: skip
                    self._log(
                        conn,
                        new_id(res),
                        now,
                        who,
                        "generated",
                        reason="proposed from the interview",
                    )
                    out.created.append(tid)
                    continue
                if doc is None:
                    if row.applies:
                        conn.execute(update(use_cases).where(use_cases.c.id == row.id)
                                     .values(applies=False, revision=row.revision + 1, updated_at=now))  # fmt: skip
                        self._log(conn, row.id, now, who, "generated", "applies", True, False,
                                  "the answers no longer trigger this use case; review it")  # fmt: skip
                        out.no_longer_applies.append(tid)
                    continue
                old = row.generated or {}
                conflicts = dict(row.conflicts or {})
                new_conflicts = []
                for name, mine in (row.edits or {}).items():
                    before, now_gen = _edit_view(old, name), _edit_view(doc, name)
                    if before != now_gen:
                        yours = (
                            mine.get("value")
                            if name.startswith("parameters.") and isinstance(mine, dict)
                            else mine
                        )
                        conflicts[name] = {
                            "generated_before": before,
                            "generated_now": now_gen,
                            "yours": yours,
                        }
                        new_conflicts.append(name)
                if old == doc and row.applies:
                    out.unchanged.append(tid)
                    continue
                conn.execute(
                    update(use_cases).where(use_cases.c.id == row.id).values(
                        generated=doc, conflicts=conflicts, applies=True, revision=row.revision + 1, updated_at=now
                    )
                )  # fmt: skip
                changed = sorted(k for k in set(old) | set(doc) if old.get(k) != doc.get(k))
                self._log(conn, row.id, now, who, "generated", ", ".join(changed)[:100], None, None,
                          "regenerated from changed answers")  # fmt: skip
                for name in new_conflicts:
                    self._log(conn, row.id, now, who, "conflict", name, conflicts[name]["generated_before"],
                              conflicts[name]["generated_now"], "your edit kept; the answers now suggest another value")  # fmt: skip
                out.updated.append(tid)
                if new_conflicts:
                    out.conflicts[tid] = new_conflicts
        return out

    def add_use_case(self, slug: str, template_id: str, made: GeneratedUseCase, who: str = "",
                     reason: str = "") -> UseCase:  # fmt: skip
        """Store one use case that no template made (a person's own, e.g. from an ATT&CK technique).

        It is proposed like a generated one; regeneration leaves it alone, since no template
        answers for its id. Refused when the application already has a use case of that id.
        """
        who = clean_line(who, "who")
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            found = conn.execute(
                select(use_cases.c.id).where(use_cases.c.application_id == app_id, use_cases.c.template_id == template_id)
            ).first()  # fmt: skip
            if found is not None:
                raise InputError(f"'{slug}' already has a use case '{template_id}'")
            res = conn.execute(
                insert(use_cases).values(
                    application_id=app_id, template_id=template_id, status=Status.PROPOSED, generated=made.to_dict(),
                    edits={}, conflicts={}, applies=True, revision=1, created_at=now, updated_at=now,
                )
            )  # fmt: skip
            self._log(conn, new_id(res), now, who, "created", reason=reason or "added by hand")
        return self.get_use_case(slug, template_id)

    def set_status(
        self, slug: str, template_ids: Iterable[str], status: str, who: str = "", reason: str = ""
    ) -> tuple[list[str], dict[str, str]]:
        """Move use cases to ``status``; return (changed, {skipped id: why})."""
        check_status(status)
        who = clean_line(who, "who")
        if len(reason) > 5000:
            raise InputError("reason is longer than 5,000 characters")
        changed: list[str] = []
        skipped: dict[str, str] = {}
        now = utcnow()
        with self._write() as conn:
            for tid in template_ids:
                row = self._uc_row(conn, slug, tid)
                refusal = transition_refusal(row.status, status)
                if refusal is not None:
                    skipped[tid] = refusal
                    continue
                conn.execute(update(use_cases).where(use_cases.c.id == row.id)
                             .values(status=status, revision=row.revision + 1, updated_at=now))  # fmt: skip
                self._log(conn, row.id, now, who, "status", "status", row.status, status, reason)
                changed.append(tid)
        return changed, skipped

    def edit_use_case(
        self,
        slug: str,
        template_id: str,
        name: str,
        value: Any,
        who: str = "",
        reason: str = "",
        expected_revision: int | None = None,
    ) -> UseCase:
        """Record a person's edit of one field (``parameters.NAME`` for a parameter)."""
        if not is_editable(name):
            raise InputError(f"'{name}' cannot be edited (editable: {', '.join(EDITABLE)}, parameters.NAME)")
        if name == "priority":
            check_priority(value)
        who = clean_line(who, "who")
        now = utcnow()
        with self._write() as conn:
            row = self._uc_row(conn, slug, template_id)
            if expected_revision is not None and expected_revision != row.revision:
                raise StaleEditError(f"use case '{template_id}' changed since you opened it; reload it")
            edits = dict(row.edits or {})
            conflicts = dict(row.conflicts or {})
            old = edits.get(name, _edit_view(row.generated or {}, name))
            if name.startswith("parameters."):
                pname = name.split(".", 1)[1]
                if pname not in (row.generated or {}).get("parameters", {}):
                    raise InputError(f"use case '{template_id}' has no parameter '{pname}'")
                entry = (
                    value
                    if isinstance(value, dict)
                    else {"value": value, "source": "manual", "detail": reason}
                )
                ptype = (row.generated or {}).get("parameters", {}).get(pname, {}).get("type", "")
                entry = dict(entry, value=check_parameter(pname, ptype, entry.get("value")))
                entry.setdefault("at", now.isoformat())
                entry.setdefault("who", who)
                edits[name] = entry
                old = old.get("value") if isinstance(old, dict) else old
                new_logged = entry.get("value")
            else:
                edits[name] = value
                new_logged = value
            conflicts.pop(name, None)
            conn.execute(update(use_cases).where(use_cases.c.id == row.id).values(
                edits=edits, conflicts=conflicts, revision=row.revision + 1, updated_at=now))  # fmt: skip
            self._log(conn, row.id, now, who, "edit", name, old, new_logged, reason)
        return self.get_use_case(slug, template_id)

    def revert_edit(self, slug: str, template_id: str, name: str, who: str = "") -> UseCase:
        """Drop a person's edit so the generated value applies again."""
        now = utcnow()
        with self._write() as conn:
            row = self._uc_row(conn, slug, template_id)
            edits = dict(row.edits or {})
            if name not in edits:
                raise InputError(f"'{name}' has no edit to revert")
            old = edits.pop(name)
            conflicts = dict(row.conflicts or {})
            conflicts.pop(name, None)
            conn.execute(update(use_cases).where(use_cases.c.id == row.id).values(
                edits=edits, conflicts=conflicts, revision=row.revision + 1, updated_at=now))  # fmt: skip
            self._log(
                conn,
                row.id,
                now,
                clean_line(who, "who"),
                "revert",
                name,
                old,
                _edit_view(row.generated, name),
            )
        return self.get_use_case(slug, template_id)

    def resolve_conflict(self, slug: str, template_id: str, name: str, keep: str, who: str = "") -> UseCase:
        """Settle a conflict: keep 'mine' (the edit) or take 'generated' (drop the edit)."""
        if keep == "generated":
            return self.revert_edit(slug, template_id, name, who)
        if keep != "mine":
            raise InputError("keep must be 'mine' or 'generated'")
        now = utcnow()
        with self._write() as conn:
            row = self._uc_row(conn, slug, template_id)
            conflicts = dict(row.conflicts or {})
            if conflicts.pop(name, None) is None:
                raise InputError(f"'{name}' has no conflict")
            conn.execute(update(use_cases).where(use_cases.c.id == row.id).values(
                conflicts=conflicts, revision=row.revision + 1, updated_at=now))  # fmt: skip
            self._log(
                conn, row.id, now, clean_line(who, "who"), "conflict-resolved", name, reason="kept the edit"
            )
        return self.get_use_case(slug, template_id)

    def use_case_history(self, slug: str, template_id: str) -> list[UseCaseEvent]:
        with self._read() as conn:
            row = self._uc_row(conn, slug, template_id)
            rows = conn.execute(
                select(use_case_history)
                .where(use_case_history.c.use_case_id == row.id)
                .order_by(use_case_history.c.id)
            )
            return [UseCaseEvent(r.at, r.who, r.kind, r.field, r.old, r.new, r.reason) for r in rows]
