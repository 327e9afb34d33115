"""Baselines in the store: versioned aggregates per application and log source, and the
column mapping people confirmed for each log source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from workshop.core.errors import InputError, NotFoundError
from workshop.interview.model import clean_line, utcnow
from workshop.store.base import StoreBase
from workshop.store.schema import applications, baselines, log_mappings


@dataclass(frozen=True)
class BaselineRecord:
    application: str
    log_source: str
    version: int
    created_at: dt.datetime
    who: str
    file_name: str
    events: int
    first: str
    last: str
    profile: dict[str, Any]
    sample_path: str | None = None
    #: Roles of the profile's mapping a person confirmed; the others the tool proposed.
    confirmed: tuple[str, ...] = ()

    @property
    def mapping(self) -> dict[str, str]:
        """The column of every role the profile was computed with."""
        return {str(k): str(v) for k, v in (self.profile.get("mapping") or {}).items()}

    def to_dict(self, with_profile: bool = False) -> dict[str, Any]:
        d = {
            "application": self.application,
            "log_source": self.log_source,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "who": self.who,
            "file_name": self.file_name,
            "events": self.events,
            "first": self.first,
            "last": self.last,
            "sample_kept": self.sample_path is not None,
            "mapping": [
                {"role": role, "column": column, "confirmed": role in self.confirmed}
                for role, column in self.mapping.items()
            ],
        }
        if with_profile:
            d["profile"] = self.profile
        return d


@dataclass(frozen=True)
class LogMapping:
    log_source: str
    format: str
    mapping: dict[str, str]
    entity_role: str
    timezone: str
    #: Roles a person confirmed; the others the tool proposed.
    confirmed: tuple[str, ...] = ()


class BaselineStoreMixin(StoreBase):
    """Baseline methods of :class:`workshop.store.Store`."""

    def attach_baseline(
        self, slug: str, log_source: str, profile: dict[str, Any], *, file_name: str = "", events: int = 0,
        first: str = "", last: str = "", who: str = "", sample_path: str | None = None,
        confirmed: Iterable[str] = (),
    ) -> BaselineRecord:  # fmt: skip
        """Store a new version of an application's baseline for one log source.

        ``confirmed`` names the roles of the profile's mapping a person confirmed.
        """
        log_source = clean_line(log_source, "log source", 100, required=True)
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            current = conn.execute(
                select(func.max(baselines.c.version)).where(
                    baselines.c.application_id == app_id, baselines.c.log_source == log_source
                )
            ).scalar()
            version = int(current or 0) + 1
            conn.execute(
                insert(baselines).values(
                    application_id=app_id, log_source=log_source, version=version, created_at=now,
                    who=clean_line(who, "who"), file_name=clean_line(file_name, "file name", 300), events=int(events),
                    first=str(first)[:40], last=str(last)[:40], profile=profile, sample_path=sample_path,
                    confirmed=_roles(confirmed),
                )
            )  # fmt: skip
        return self.get_baseline(slug, log_source, version)

    def list_baselines(self, slug: str, log_source: str | None = None) -> list[BaselineRecord]:
        """Baselines of an application, newest first."""
        q = (
            select(baselines, applications.c.slug.label("app_slug"))
            .join(applications, applications.c.id == baselines.c.application_id)
            .where(applications.c.slug == slug)
        )
        if log_source is not None:
            q = q.where(baselines.c.log_source == log_source)
        with self._read() as conn:
            rows = conn.execute(q.order_by(baselines.c.created_at.desc(), baselines.c.version.desc())).all()
        return [self._baseline(r) for r in rows]

    def get_baseline(
        self, slug: str, log_source: str | None = None, version: int | None = None
    ) -> BaselineRecord:
        found = self.list_baselines(slug, log_source)
        if version is not None:
            found = [b for b in found if b.version == version]
        if not found:
            what = f" for log source '{log_source}'" if log_source else ""
            raise NotFoundError(f"'{slug}' has no baseline{what}{f' version {version}' if version else ''}")
        return found[0]

    @staticmethod
    def _baseline(r: Any) -> BaselineRecord:
        return BaselineRecord(
            application=r.app_slug, log_source=r.log_source, version=r.version, created_at=r.created_at, who=r.who,
            file_name=r.file_name, events=r.events, first=r.first, last=r.last, profile=r.profile or {},
            sample_path=r.sample_path, confirmed=tuple(r.confirmed or ()),
        )  # fmt: skip

    def save_log_mapping(self, slug: str, log_source: str, fmt: str, mapping: dict[str, str],
                         entity_role: str = "", timezone: str = "", confirmed: Iterable[str] = ()) -> LogMapping:  # fmt: skip
        """Remember the mapping last used, per application and log source, and which of its roles a person confirmed."""
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise InputError("a mapping is role -> column name")
        now = utcnow()
        with self._write() as conn:
            app_id = self._app_id(conn, slug)
            where = (log_mappings.c.application_id == app_id) & (log_mappings.c.log_source == log_source)
            roles = _roles(r for r in confirmed if r in mapping)
            values = {"format": fmt, "mapping": mapping, "entity_role": entity_role or "", "timezone": timezone or "",
                      "updated_at": now, "confirmed": roles}  # fmt: skip
            if conn.execute(select(log_mappings.c.id).where(where)).first():
                conn.execute(update(log_mappings).where(where).values(**values))
            else:
                conn.execute(
                    insert(log_mappings).values(application_id=app_id, log_source=log_source, **values)
                )
        return LogMapping(log_source, fmt, dict(mapping), entity_role or "", timezone or "", tuple(roles))

    def get_log_mapping(self, slug: str, log_source: str) -> LogMapping | None:
        with self._read() as conn:
            row = conn.execute(
                select(log_mappings)
                .join(applications, applications.c.id == log_mappings.c.application_id)
                .where(applications.c.slug == slug, log_mappings.c.log_source == log_source)
            ).first()
        if row is None:
            return None
        return LogMapping(row.log_source, row.format, dict(row.mapping or {}), row.entity_role, row.timezone,
                          tuple(row.confirmed or ()))  # fmt: skip


def _roles(roles: Iterable[str]) -> list[str]:
    """Role names as stored: each once, in order."""
    out = list(dict.fromkeys(str(r) for r in roles))
    if any(not r or len(r) > 40 for r in out):
        raise InputError("a confirmed role is a role name")
    return out
