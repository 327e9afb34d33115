"""The baseline profile: what normal looks like in a log sample, as aggregates only.

A profile answers the questions a detection engineer asks before setting a
threshold (how many events does a user make on a normal day, at which hours,
which actions, how often do they fail, how much data moves) and keeps no raw
row: only counts, percentiles and capped lists of known values (for first-seen
detection). It is what gets stored with an application, compared with what the
owners said in the interview, and cited by use-case templates (:meth:`Profile.figure`).

This module is the artefact and its stored form only. How a profile is computed
lives beside it: rows are reduced to count tables (:mod:`~workshop.baseline.tables`),
every figure is derived from the tables (:mod:`~workshop.baseline.derive`), and a
loaded sample adds the few figures that need rows (:mod:`~workshop.baseline.build`).
A SIEM produces the same tables (:mod:`~workshop.baseline.siem`), and so will a
streaming engine over large files, so every path comes out of the same derivation.

Days and hours are calendar days and clock hours in the profile's zone
(``tz``), so "Monday 08:00" means what the owners mean by it, daylight saving
included. Percentiles use linear interpolation (numpy's default, the same as
SQL ``quantile_cont``/``percentile_cont``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.baseline.figures import (
    Breakdown,
    DailyActivity,
    Distribution,
    Failures,
    HourlyRates,
    KnownValues,
    ServiceAccount,
    Sessions,
    ValueFigures,
    Volume,
    json_number,
)
from workshop.baseline.options import ProfileOptions
from workshop.vocab import LogRole, TimeWindow

SCHEMA_VERSION = 1

#: Role tables a profile keeps (for ``distinct_per_entity_day.<role>``).
ROLES_WITH_TABLES: tuple[str, ...] = (
    LogRole.ACTION.value, LogRole.OUTCOME.value, LogRole.SOURCE_IP.value, LogRole.COUNTRY.value, LogRole.USER.value,
)  # fmt: skip
#: Short names for nested figures, as use-case templates write them.
FIGURE_ALIASES: dict[str, str] = {
    "records_per_entity_day": "volumes.records.per_entity_day",
    "bytes_per_entity_day": "volumes.bytes.per_entity_day",
    "records_per_event": "volumes.records.per_event",
    "bytes_per_event": "volumes.bytes.per_event",
    "failures_per_entity_day": "failures.per_entity_day",
    "failures_per_source_day": "failures.per_source_day",
    "failing_entities_per_source_day": "failures.failing_entities_per_source_day",
    "logins_per_day": "logins.per_day",
    "exports_per_day": "exports.per_day",
}

_BREAKDOWN_KEYS = {"action": "actions", "outcome": "outcomes", "source_ip": "sources", "country": "countries"}


@dataclass
class Profile:
    """Aggregates of one log sample. ``to_dict`` is the stored and printed form.

    ``precision`` is ``event`` when computed from rows, ``hour`` (or ``day``) when
    built from SIEM result tables: first/last are then bucket starts and the
    out-of-hours share is counted by whole hours.
    """

    events: int
    entities: int
    entity_role: str
    timezone: str
    first: str | None
    last: str | None
    days_covered: int
    span_days: int
    per_entity_day: Distribution
    per_entity_hour: Distribution | None
    per_day: Distribution
    hour_of_day: list[int]
    weekday: list[int]
    hourly_by_weekday: HourlyRates
    weekend_share: float
    out_of_hours_share: float
    business_hours: TimeWindow
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)
    first_seen: dict[str, KnownValues] = field(default_factory=dict)
    failures: Failures | None = None
    volumes: dict[str, Volume] = field(default_factory=dict)
    sessions: Sessions | None = None
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    logins: DailyActivity | None = None
    exports: DailyActivity | None = None
    distinct_per_entity_day: dict[str, Distribution] = field(default_factory=dict)
    entities_per_value_day: dict[str, Distribution] = field(default_factory=dict)
    events_without_entity: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    format: str = ""
    source: str = ""
    precision: str = "event"
    options: ProfileOptions = field(default_factory=ProfileOptions)
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def figure(self, name: str) -> Any:
        """A figure by dotted name, as use-case templates cite them
        (``per_entity_day.p99``, ``volumes.records.per_entity_day.p99``,
        ``first_seen.source_ip``, ``failures.per_source_day.max``...).

        Short names are accepted for the nested ones (:data:`FIGURE_ALIASES`).
        Raises ``KeyError`` naming what is missing (a role not mapped, a
        figure this profile has no data for).
        """
        parts = name.strip().split(".")
        for alias, target in FIGURE_ALIASES.items():
            n = len(alias.split("."))
            if parts[:n] == alias.split("."):
                parts = target.split(".") + parts[n:]
                break
        if parts[0] in ("distinct_per_entity_day", "entities_per_value_day") and (
            len(parts) < 2 or parts[1] not in ROLES_WITH_TABLES
        ):
            raise KeyError(f"{parts[0]} needs a role, e.g. {parts[0]}.source_ip.p99")
        node: Any = self.to_dict()
        for i, part in enumerate(parts):
            if isinstance(node, Mapping) and part in node and node[part] is not None:
                node = node[part]
            else:
                raise KeyError(f"no figure {'.'.join(parts[: i + 1])!r} in this profile")
        return node

    @property
    def actions(self) -> Breakdown | None:
        return self.breakdowns.get("action")

    @property
    def outcomes(self) -> Breakdown | None:
        return self.breakdowns.get("outcome")

    @property
    def sources(self) -> Breakdown | None:
        return self.breakdowns.get("source_ip")

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema_version": self.schema_version,
            "source": self.source,
            "format": self.format,
            "precision": self.precision,
            "mapping": dict(self.mapping),
            "entity_role": self.entity_role,
            "timezone": self.timezone,
            "events": self.events,
            "entities": self.entities,
            "events_without_entity": self.events_without_entity,
            "first": self.first,
            "last": self.last,
            "days_covered": self.days_covered,
            "span_days": self.span_days,
            "per_entity_day": self.per_entity_day.to_dict(histograms),
            "per_entity_hour": self.per_entity_hour.to_dict(histograms) if self.per_entity_hour else None,
            "per_day": self.per_day.to_dict(False),
            "hour_of_day": list(self.hour_of_day),
            "weekday": list(self.weekday),
            "hourly_by_weekday": self.hourly_by_weekday.to_dict(),
            "weekend_share": json_number(self.weekend_share),
            "out_of_hours_share": json_number(self.out_of_hours_share),
            "business_hours": window_dict(self.business_hours),
        }
        for role, key in _BREAKDOWN_KEYS.items():
            b = self.breakdowns.get(role)
            if b is not None:
                d[key] = {name: vf.to_dict(histograms) for name, vf in b.values.items()}
                d[f"{key}_summary"] = b.summary()
        d["distinct_per_entity_day"] = {
            role: dist.to_dict(histograms) for role, dist in self.distinct_per_entity_day.items()
        }
        d["entities_per_value_day"] = {
            role: dist.to_dict(histograms) for role, dist in self.entities_per_value_day.items()
        }
        d["first_seen"] = {role: kv.to_dict() for role, kv in self.first_seen.items()}
        d["failures"] = self.failures.to_dict(histograms) if self.failures else None
        d["volumes"] = {role: v.to_dict(histograms) for role, v in self.volumes.items()}
        d["sessions"] = self.sessions.to_dict() if self.sessions else None
        d["service_accounts"] = {name: sa.to_dict() for name, sa in self.service_accounts.items()}
        d["logins"] = self.logins.to_dict(histograms) if self.logins else None
        d["exports"] = self.exports.to_dict(histograms) if self.exports else None
        d["options"] = self.options.to_dict()
        d["warnings"] = list(self.warnings)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        breakdowns: dict[str, Breakdown] = {}
        for role, key in _BREAKDOWN_KEYS.items():
            if key in data and data[key] is not None:
                summary = data.get(f"{key}_summary") or {}
                values = {name: ValueFigures.from_dict(v) for name, v in data[key].items()}
                breakdowns[role] = Breakdown(
                    role=role,
                    distinct=int(summary.get("distinct", len(values))),
                    values=values,
                    other_values=int(summary.get("other_values", 0)),
                    other_events=int(summary.get("other_events", 0)),
                )
        return cls(
            events=int(data["events"]),
            entities=int(data["entities"]),
            entity_role=data["entity_role"],
            timezone=data.get("timezone", "UTC"),
            first=data.get("first"),
            last=data.get("last"),
            days_covered=int(data.get("days_covered", 0)),
            span_days=int(data.get("span_days", 0)),
            per_entity_day=Distribution.from_dict(data.get("per_entity_day")),
            per_entity_hour=Distribution.from_dict(data["per_entity_hour"])
            if data.get("per_entity_hour")
            else None,
            per_day=Distribution.from_dict(data.get("per_day")),
            hour_of_day=[int(x) for x in data.get("hour_of_day", [0] * 24)],
            weekday=[int(x) for x in data.get("weekday", [0] * 7)],
            hourly_by_weekday=HourlyRates.from_dict(data.get("hourly_by_weekday")),
            weekend_share=float(data.get("weekend_share") or 0.0),
            out_of_hours_share=float(data.get("out_of_hours_share") or 0.0),
            business_hours=TimeWindow.from_answer(data.get("business_hours") or {}),
            breakdowns=breakdowns,
            first_seen={role: KnownValues.from_dict(v) for role, v in (data.get("first_seen") or {}).items()},
            distinct_per_entity_day={
                role: Distribution.from_dict(v)
                for role, v in (data.get("distinct_per_entity_day") or {}).items()
            },
            entities_per_value_day={
                role: Distribution.from_dict(v)
                for role, v in (data.get("entities_per_value_day") or {}).items()
            },
            failures=Failures.from_dict(data["failures"]) if data.get("failures") else None,
            volumes={role: Volume.from_dict(v) for role, v in (data.get("volumes") or {}).items()},
            sessions=Sessions.from_dict(data["sessions"]) if data.get("sessions") else None,
            service_accounts={
                name: ServiceAccount.from_dict(v) for name, v in (data.get("service_accounts") or {}).items()
            },
            logins=DailyActivity.from_dict(data["logins"]) if data.get("logins") else None,
            exports=DailyActivity.from_dict(data["exports"]) if data.get("exports") else None,
            events_without_entity=int(data.get("events_without_entity", 0)),
            mapping=dict(data.get("mapping") or {}),
            format=data.get("format", ""),
            source=data.get("source", ""),
            precision=data.get("precision", "event"),
            options=ProfileOptions.from_dict(data.get("options") or {}),
            warnings=list(data.get("warnings") or []),
            schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
        )


def window_dict(window: TimeWindow) -> dict[str, Any]:
    """Business hours as profiles store them: ``{days, start, end, timezone}``, never a label."""
    return {"days": list(window.days), "start": window.start, "end": window.end, "timezone": window.timezone}
