"""The baseline profile: what normal looks like in a log sample, as aggregates only.

A profile answers the questions a detection engineer asks before setting a
threshold (how many events does a user make on a normal day, at which hours,
which actions, how often do they fail, how much data moves) and keeps no raw
row: only counts, percentiles and capped lists of known values (for first-seen
detection). It is what gets stored with an application and compared with what
the owners said in the interview.

How it is computed, and why that way: rows are first reduced to *count tables*
(events per entity per local hour, and per action/outcome/source per entity per
local hour). Every figure is then derived from those tables. A SIEM can produce
the same tables (see :mod:`workshop.baseline.siem`), so a profile computed
inside the SIEM from millions of events and one computed here from a file come
out of the same code and agree. Only a few figures need the rows themselves
(exact first/last time, out-of-hours share to the minute, per-event volumes,
sessions); they are filled in when a sample is at hand.

Days and hours are calendar days and clock hours in the profile's zone
(``tz``), so "Monday 08:00" means what the owners mean by it, daylight saving
included. Percentiles use linear interpolation (numpy's default, the same as
SQL ``quantile_cont``/``percentile_cont``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from workshop.baseline.formats import LoadedSample, check_timezone
from workshop.baseline.mapping import ENTITY_ROLES
from workshop.core.errors import InputError

SCHEMA_VERSION = 1
PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{
        n: i
        for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
}
NS_PER_MINUTE = 60_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR

#: Outcome values counted as failures (compared lower-cased). HTTP-like status
#: codes at or above ``http_failure_min`` count too.
DEFAULT_FAILURE_VALUES: tuple[str, ...] = (
    "fail",
    "failed",
    "failure",
    "denied",
    "deny",
    "error",
    "unauthorized",
    "unauthorised",
    "forbidden",
    "rejected",
    "blocked",
    "invalid",
    "false",
    "401",
    "403",
)
#: Actions that are logins, for "logins per day" (case-insensitive search).
DEFAULT_LOGIN_PATTERN = r"login|logon|log-in|log_in|signin|sign-in|sign_in|authn"
#: Actions that take data out, for "exports per day".
DEFAULT_EXPORT_PATTERN = r"export|download|extract"


def _num(x: float | int | None) -> float | int | None:
    """JSON-friendly number: integral values as int, others rounded to 6 places."""
    if x is None:
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return None
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    return round(x, 6)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class BusinessHours:
    """A weekly window of normal working time: days, start and end (local clock).

    ``timezone`` None means the profile's zone. A window whose end is before its
    start (``22:00``-``06:00``) runs over midnight; the day test applies to the day
    the event falls on.
    """

    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "08:00"
    end: str = "18:00"
    timezone: str | None = None

    def __post_init__(self) -> None:
        days = tuple(str(d).strip().lower()[:3] for d in self.days)
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise InputError(f"unknown day(s) {', '.join(bad)}; use mon, tue, wed, thu, fri, sat, sun")
        object.__setattr__(self, "days", tuple(d for d in WEEKDAYS if d in days))
        for value in (self.start, self.end):
            _minutes(value)
        if self.timezone:
            check_timezone(self.timezone)

    @property
    def start_minute(self) -> int:
        return _minutes(self.start)

    @property
    def end_minute(self) -> int:
        return _minutes(self.end)

    def contains(self, weekday: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """Which (weekday 0=Monday, minute of day) pairs fall inside the window."""
        day_ok = np.isin(weekday, [WEEKDAYS.index(d) for d in self.days])
        s, e = self.start_minute, self.end_minute
        time_ok = (minute >= s) & (minute < e) if s <= e else (minute >= s) | (minute < e)
        return day_ok & time_ok

    def hour_weights(self) -> np.ndarray:
        """7x24 share of each clock hour inside the window (for hourly counts)."""
        minutes = np.arange(1440)
        weights = np.zeros((7, 24))
        for w in range(7):
            inside = self.contains(np.full(1440, w), minutes)
            weights[w] = inside.reshape(24, 60).mean(axis=1)
        return weights

    @classmethod
    def parse(cls, text: str, timezone: str | None = None) -> BusinessHours:
        """``"mon-fri 08:00-18:00"`` or ``"mon,tue,sat 09:00-17:30"``."""
        m = re.fullmatch(r"\s*([a-zA-Z,\-]+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", text or "")
        if not m:
            raise InputError(f"business hours '{text}' not understood; write e.g. 'mon-fri 08:00-18:00'")
        days: list[str] = []
        for part in m.group(1).lower().split(","):
            if "-" in part:
                a, _, b = part.partition("-")
                ia, ib = _day_index(a), _day_index(b)
                span = range(ia, ib + 1) if ia <= ib else [*range(ia, 7), *range(0, ib + 1)]
                days.extend(WEEKDAYS[i] for i in span)
            elif part:
                days.append(WEEKDAYS[_day_index(part)])
        return cls(days=tuple(days), start=m.group(2), end=m.group(3), timezone=timezone)

    @classmethod
    def from_answer(cls, value: Mapping[str, Any]) -> BusinessHours:
        """From an interview ``time_window`` answer (days, start, end, timezone)."""
        return cls(
            days=tuple(value.get("days") or ("mon", "tue", "wed", "thu", "fri")),
            start=str(value.get("start") or "08:00"),
            end=str(value.get("end") or "18:00"),
            timezone=value.get("timezone") or None,
        )

    def describe(self) -> str:
        days = ",".join(self.days)
        if self.days == ("mon", "tue", "wed", "thu", "fri"):
            days = "Mon-Fri"
        zone = f" {self.timezone}" if self.timezone else ""
        return f"{days} {self.start}-{self.end}{zone}"

    def to_dict(self) -> dict[str, Any]:
        return {"days": list(self.days), "start": self.start, "end": self.end, "timezone": self.timezone}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessHours:
        return cls.from_answer(data)


def _day_index(text: str) -> int:
    key = text.strip().lower()
    if key in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[key]
    if key[:3] in _WEEKDAY_NAMES:
        return _WEEKDAY_NAMES[key[:3]]
    raise InputError(f"unknown day '{text}'; use mon, tue, wed, thu, fri, sat, sun")


def _minutes(value: str) -> int:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
    if (
        not m
        or int(m.group(1)) > 24
        or int(m.group(2)) > 59
        or (int(m.group(1)) == 24 and m.group(2) != "00")
    ):
        raise InputError(f"time '{value}' is not HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


@dataclass(frozen=True)
class ProfileOptions:
    """Knobs that change how a profile is computed; stored with the profile."""

    top_n: int = 20
    value_cap: int = 1000
    failure_values: tuple[str, ...] = DEFAULT_FAILURE_VALUES
    http_failure_min: int | None = 400
    login_pattern: str = DEFAULT_LOGIN_PATTERN
    export_pattern: str = DEFAULT_EXPORT_PATTERN

    def __post_init__(self) -> None:
        for name in ("login_pattern", "export_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                raise InputError(
                    f"{name.replace('_', ' ')} is not a valid regular expression: {exc}"
                ) from exc
        if self.top_n < 1 or self.value_cap < 1:
            raise InputError("top_n and value_cap must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_n": self.top_n,
            "value_cap": self.value_cap,
            "failure_values": list(self.failure_values),
            "http_failure_min": self.http_failure_min,
            "login_pattern": self.login_pattern,
            "export_pattern": self.export_pattern,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileOptions:
        base = cls()
        return cls(
            top_n=int(data.get("top_n", base.top_n)),
            value_cap=int(data.get("value_cap", base.value_cap)),
            failure_values=tuple(data.get("failure_values", base.failure_values)),
            http_failure_min=data.get("http_failure_min", base.http_failure_min),
            login_pattern=data.get("login_pattern", base.login_pattern),
            export_pattern=data.get("export_pattern", base.export_pattern),
        )


def classify_failures(
    values: Iterable[Any],
    failure_values: Iterable[str] = DEFAULT_FAILURE_VALUES,
    http_failure_min: int | None = 400,
) -> np.ndarray:
    """Which outcome values are failures: listed words, or HTTP statuses >= min.

    Runs over the distinct values (categories), never over rows.
    """
    words = {str(v).strip().lower() for v in failure_values}
    result = []
    for v in values:
        text = str(v).strip().lower()
        fail = text in words
        if not fail and http_failure_min is not None:
            if re.fullmatch(r"[1-5]\d\d", text):
                fail = int(text) >= http_failure_min
            elif re.fullmatch(r"[1-5]xx", text):
                fail = int(text[0]) * 100 + 99 >= http_failure_min
        result.append(fail)
    return np.array(result, dtype=bool)


# --------------------------------------------------------------------------- figures


def _counts_of(v: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, frequencies) by bincount when ``v`` holds small non-negative integers."""
    integral = v.dtype.kind in "iub" or np.array_equal(v, np.floor(v))
    if integral and v.min() >= 0 and v.max() < 1e7:
        freq = np.bincount(v.astype(np.int64, copy=False))
        vals = np.flatnonzero(freq)
        return vals, freq[vals]
    return None


def _percentiles_from_counts(vals: np.ndarray, freq: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Linear-interpolation percentiles (numpy's default) read off a histogram.

    The k-th smallest observation is the value whose cumulative frequency first
    exceeds k, so no sorting of the observations is needed.
    """
    n = int(freq.sum())
    cum = np.cumsum(freq)
    out = []
    for q in qs:
        pos = q / 100 * (n - 1)
        lo = int(np.floor(pos))
        frac = pos - lo
        a = vals[np.searchsorted(cum, lo, side="right")]
        b = vals[np.searchsorted(cum, min(lo + 1, n - 1), side="right")]
        out.append(float(a + (b - a) * frac))
    return out


@dataclass
class Distribution:
    """Percentiles of a set of observations (e.g. events per user per active day).

    ``histogram`` lists ``[value, how many observations]`` in ascending order for
    counts, so thresholds can be re-proposed and back-tested from a stored profile
    without the sample.
    """

    n: int = 0
    mean: float = 0.0
    p50: float = 0.0
    p90: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    histogram: list[list[float]] | None = None

    @classmethod
    def of(cls, values: Any, histogram: bool = False) -> Distribution:
        v = np.asarray(values)
        if v.dtype.kind not in "iub":  # integer counts need no NaN check
            v = v.astype(float, copy=False)
            v = v[~np.isnan(v)]
        if v.size == 0:
            return cls(histogram=[] if histogram else None)
        counts = _counts_of(v)
        if counts is not None:
            # Counts: percentiles from a bincount, O(n) instead of a partition.
            q = _percentiles_from_counts(counts[0], counts[1], PERCENTILES)
            hist = [[int(a), int(b)] for a, b in zip(*counts, strict=True)] if histogram else None
        else:
            v = v.astype(float, copy=False)
            q = list(np.percentile(v, PERCENTILES))
            hist = None
            if histogram:
                vals, freq = np.unique(v, return_counts=True)
                hist = [[_num(a), int(b)] for a, b in zip(vals, freq, strict=True)]
        return cls(
            n=int(v.size),
            mean=float(v.mean()),
            p50=float(q[0]),
            p90=float(q[1]),
            p95=float(q[2]),
            p99=float(q[3]),
            max=float(v.max()),
            histogram=hist,
        )

    def samples(self) -> np.ndarray:
        """The observations again, rebuilt from the histogram."""
        if self.histogram is None:
            raise ValueError("this distribution was stored without its histogram")
        if not self.histogram:
            return np.array([], dtype=float)
        vals = np.array([h[0] for h in self.histogram], dtype=float)
        freq = np.array([h[1] for h in self.histogram], dtype=int)
        return np.repeat(vals, freq)

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "n": self.n,
            "mean": _num(self.mean),
            "p50": _num(self.p50),
            "p90": _num(self.p90),
            "p95": _num(self.p95),
            "p99": _num(self.p99),
            "max": _num(self.max),
        }
        if histograms and self.histogram is not None:
            d["histogram"] = [list(h) for h in self.histogram]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Distribution:
        data = data or {}
        hist = data.get("histogram")
        return cls(
            n=int(data.get("n", 0)),
            mean=float(data.get("mean") or 0.0),
            p50=float(data.get("p50") or 0.0),
            p90=float(data.get("p90") or 0.0),
            p95=float(data.get("p95") or 0.0),
            p99=float(data.get("p99") or 0.0),
            max=float(data.get("max") or 0.0),
            histogram=[list(h) for h in hist] if hist is not None else None,
        )


@dataclass
class HourlyRates:
    """Events by weekday (Monday first) and clock hour: the AppSensor baseline.

    ``counts`` sums the sample; ``mean`` divides by how many of that weekday the
    sample spans (the hourly rate to compare a live hour against, e.g. alert at
    +200%/+500%); ``max`` is the busiest such hour seen; ``weeks`` how many of each
    weekday the sample spans.
    """

    counts: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    mean: list[list[float]] = field(default_factory=lambda: [[0.0] * 24 for _ in range(7)])
    max: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    weeks: list[int] = field(default_factory=lambda: [0] * 7)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": [[int(x) for x in row] for row in self.counts],
            "mean": [[_num(x) for x in row] for row in self.mean],
            "max": [[int(x) for x in row] for row in self.max],
            "weeks": [int(x) for x in self.weeks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> HourlyRates:
        if not data:
            return cls()
        return cls(
            counts=[[int(x) for x in row] for row in data["counts"]],
            mean=[[float(x) for x in row] for row in data["mean"]],
            max=[[int(x) for x in row] for row in data["max"]],
            weeks=[int(x) for x in data["weeks"]],
        )


@dataclass
class ValueFigures:
    """One action (or outcome, source, country): how much, by how many, how often."""

    events: int
    entities: int
    per_entity_day: Distribution
    first: str | None = None
    last: str | None = None
    failures: int | None = None

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        d = {
            "events": self.events,
            "entities": self.entities,
            "per_entity_day": self.per_entity_day.to_dict(histograms),
            "first": self.first,
            "last": self.last,
        }
        if self.failures is not None:
            d["failures"] = self.failures
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueFigures:
        return cls(
            events=int(data["events"]),
            entities=int(data["entities"]),
            per_entity_day=Distribution.from_dict(data.get("per_entity_day")),
            first=data.get("first"),
            last=data.get("last"),
            failures=data.get("failures"),
        )


@dataclass
class Breakdown:
    """Figures per value of one role, for the ``top_n`` busiest values; the rest summed."""

    role: str
    distinct: int
    values: dict[str, ValueFigures]
    other_values: int = 0
    other_events: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "distinct": self.distinct,
            "shown": len(self.values),
            "other_values": self.other_values,
            "other_events": self.other_events,
        }


@dataclass
class SeenValue:
    value: str
    events: int
    first: str | None
    last: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "events": self.events, "first": self.first, "last": self.last}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeenValue:
        return cls(str(data["value"]), int(data["events"]), data.get("first"), data.get("last"))


@dataclass
class KnownValues:
    """Values of a role seen in the sample, busiest first, for new-value detection.

    ``count`` is the true number of distinct values; ``values`` is capped, and
    ``truncated`` says so (a first-seen rule then needs the SIEM's own lookup).
    """

    role: str
    count: int
    values: list[SeenValue]
    truncated: bool = False

    def names(self) -> list[str]:
        return [v.value for v in self.values]

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "count": self.count,
            "truncated": self.truncated,
            "values": [v.to_dict() for v in self.values],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KnownValues:
        return cls(
            role=data["role"],
            count=int(data["count"]),
            values=[SeenValue.from_dict(v) for v in data.get("values", [])],
            truncated=bool(data.get("truncated", False)),
        )


@dataclass
class Failures:
    """How often things fail: overall, per entity, per entity-day, per source-day.

    ``per_entity_day`` and ``per_source_day`` count failures on every day the
    entity (source) was active, zeros included, so a percentile reads "on 99% of
    a user's working days, at most N failures". ``failing_entities_per_source_day``
    counts the distinct entities failing from one source on a day (password
    spraying fails as many accounts from one address).
    """

    values: list[str]
    events: int
    ratio: float
    per_entity_ratio: Distribution
    per_entity_day: Distribution
    per_source_day: Distribution | None = None
    failing_entities_per_source_day: Distribution | None = None

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        return {
            "values": list(self.values),
            "events": self.events,
            "ratio": _num(self.ratio),
            "per_entity_ratio": self.per_entity_ratio.to_dict(False),
            "per_entity_day": self.per_entity_day.to_dict(histograms),
            "per_source_day": self.per_source_day.to_dict(histograms) if self.per_source_day else None,
            "failing_entities_per_source_day": self.failing_entities_per_source_day.to_dict(histograms)
            if self.failing_entities_per_source_day
            else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Failures:
        return cls(
            values=list(data.get("values", [])),
            events=int(data["events"]),
            ratio=float(data["ratio"]),
            per_entity_ratio=Distribution.from_dict(data.get("per_entity_ratio")),
            per_entity_day=Distribution.from_dict(data.get("per_entity_day")),
            per_source_day=Distribution.from_dict(data["per_source_day"])
            if data.get("per_source_day")
            else None,
            failing_entities_per_source_day=Distribution.from_dict(data["failing_entities_per_source_day"])
            if data.get("failing_entities_per_source_day")
            else None,
        )


@dataclass
class Volume:
    """Sums of ``records`` or ``bytes``: per entity per active day, and per event."""

    role: str
    total: float
    events_with_value: int
    per_entity_day: Distribution
    per_event: Distribution | None = None

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        return {
            "role": self.role,
            "total": _num(self.total),
            "events_with_value": self.events_with_value,
            "per_entity_day": self.per_entity_day.to_dict(histograms),
            "per_event": self.per_event.to_dict(False) if self.per_event else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Volume:
        return cls(
            role=data["role"],
            total=float(data["total"]),
            events_with_value=int(data.get("events_with_value", 0)),
            per_entity_day=Distribution.from_dict(data.get("per_entity_day")),
            per_event=Distribution.from_dict(data["per_event"]) if data.get("per_event") else None,
        )


@dataclass
class Sessions:
    count: int
    events_per_session: Distribution
    duration_seconds: Distribution

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        return {
            "count": self.count,
            "events_per_session": self.events_per_session.to_dict(False),
            "duration_seconds": self.duration_seconds.to_dict(False),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sessions:
        return cls(
            count=int(data["count"]),
            events_per_session=Distribution.from_dict(data.get("events_per_session")),
            duration_seconds=Distribution.from_dict(data.get("duration_seconds")),
        )


@dataclass
class ServiceAccount:
    """When and from where a named service account acted (zero events if absent)."""

    name: str
    events: int = 0
    hour_of_day: list[int] = field(default_factory=lambda: [0] * 24)
    weekday: list[int] = field(default_factory=lambda: [0] * 7)
    sources: list[str] = field(default_factory=list)
    sources_truncated: bool = False
    days: int = 0
    first: str | None = None
    last: str | None = None

    def active_hours(self) -> list[int]:
        return [h for h, n in enumerate(self.hour_of_day) if n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "events": self.events,
            "hour_of_day": list(self.hour_of_day),
            "weekday": list(self.weekday),
            "sources": list(self.sources),
            "sources_truncated": self.sources_truncated,
            "days": self.days,
            "first": self.first,
            "last": self.last,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceAccount:
        return cls(
            name=data["name"],
            events=int(data.get("events", 0)),
            hour_of_day=[int(x) for x in data.get("hour_of_day", [0] * 24)],
            weekday=[int(x) for x in data.get("weekday", [0] * 7)],
            sources=list(data.get("sources", [])),
            sources_truncated=bool(data.get("sources_truncated", False)),
            days=int(data.get("days", 0)),
            first=data.get("first"),
            last=data.get("last"),
        )


@dataclass
class DailyActivity:
    """Events of some actions (logins, exports) per calendar day across the app.

    ``per_day`` covers every day the sample spans (zeros included) and counts
    successful events when outcomes are mapped (``failed`` holds the rest), so it
    compares like with like with "how many logins a day".
    """

    pattern: str
    actions: list[str]
    events: int
    failed: int | None
    per_day: Distribution

    def to_dict(self, histograms: bool = True) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "actions": list(self.actions),
            "events": self.events,
            "failed": self.failed,
            "per_day": self.per_day.to_dict(histograms),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DailyActivity:
        return cls(
            pattern=data["pattern"],
            actions=list(data.get("actions", [])),
            events=int(data["events"]),
            failed=data.get("failed"),
            per_day=Distribution.from_dict(data.get("per_day")),
        )


#: Role tables a profile keeps (for ``distinct_per_entity_day.<role>``).
ROLES_WITH_TABLES: tuple[str, ...] = ("action", "outcome", "source_ip", "country", "user")
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
    business_hours: BusinessHours
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
            "weekend_share": _num(self.weekend_share),
            "out_of_hours_share": _num(self.out_of_hours_share),
            "business_hours": self.business_hours.to_dict(),
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
            business_hours=BusinessHours.from_dict(data.get("business_hours") or {}),
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


# --------------------------------------------------------------------------- count tables


@dataclass
class RoleCounts:
    """Events per (value of one role, entity, local day); one row per combination.

    Codes index ``labels``; entity code -1 means the event had no entity; ``day``
    counts from the tables' first local day (``hour0 // 24``). Every figure of a
    role is per day, so days are enough here and keep the table small.
    """

    labels: np.ndarray
    code: np.ndarray
    ent: np.ndarray
    day: np.ndarray
    events: np.ndarray
    failures: np.ndarray | None = None

    @classmethod
    def grouped(
        cls,
        labels: np.ndarray,
        code: np.ndarray,
        ent: np.ndarray,
        day: np.ndarray,
        n_entities: int,
        n_days: int,
        weights: Mapping[str, np.ndarray | None],
    ) -> RoleCounts:
        """Group rows (or finer counts) by value, entity and day, sorted by value
        then entity (the order :meth:`_Deriver.breakdown` walks)."""
        inverse, (c, e, d) = group_index([code + 1, ent + 1, day], [len(labels) + 1, n_entities + 1, n_days])
        sums = sums_by(inverse, len(c), weights)
        key = (c * (n_entities + 1) + e) * n_days + d
        if len(key) > 1 and (np.diff(key) < 0).any():  # hash path: not in key order
            order = np.argsort(key)  # keys are distinct: no need for a stable sort
            c, e, d = c[order], e[order], d[order]
            sums = {k: v[order] for k, v in sums.items()}
        return cls(labels, c - 1, e - 1, d, sums["events"], sums.get("failures"))


@dataclass
class CountTables:
    """The intermediate form every profile is computed from.

    ``hour`` is the local clock hour counted from ``hour0`` (hours since
    1970-01-01 00:00 local time). ``hour_known`` is False when a source only gave
    days: the hour-of-day figures then come from ``clock`` (a weekday x hour table)
    if one was given.
    """

    hour0: int
    nhours: int
    ent_labels: np.ndarray
    ent: np.ndarray
    hour: np.ndarray
    events: np.ndarray
    failures: np.ndarray | None = None
    records: np.ndarray | None = None
    bytes: np.ndarray | None = None
    roles: dict[str, RoleCounts] = field(default_factory=dict)
    hour_known: bool = True
    clock: np.ndarray | None = None  # 7x24 counts when hours come from a separate table


def group_index(keys: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Number each distinct combination of integer ``keys`` (each in ``[0, size)``).

    Returns the group number of every row and the distinct key columns. Keys are
    combined into one int64 and counted with ``bincount`` when the key space is
    small enough to allocate (no hashing, no sorting), else factorised with
    pandas' hash table.
    """
    n = len(keys[0])
    space = 1
    for s in sizes:
        space *= max(int(s), 1)
    if space >= 2**62:
        frame = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
        inverse = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(np.int64)
        first = frame.drop_duplicates()
        return inverse, [first[c].to_numpy(np.int64) for c in frame.columns]
    key = np.asarray(keys[0], dtype=np.int64)
    for k, s in zip(keys[1:], sizes[1:], strict=True):
        key = key * int(s) + k
    # Measured on 1M rows: bincount wins up to a key space of about 6-8x the rows
    # (its cost grows with the space, the hash table's with the rows).
    if space <= max(6 * n, 1 << 22):
        present = np.bincount(key, minlength=space) > 0
        uniq = np.flatnonzero(present)
        lookup = np.cumsum(present, dtype=np.int64 if len(uniq) >= 2**31 else np.int32) - 1
        inverse = lookup[key]
    else:
        inverse, uniq = pd.factorize(key, sort=False)
        uniq = np.asarray(uniq, dtype=np.int64)
    comps: list[np.ndarray] = []
    rest = uniq
    for s in reversed(sizes[1:]):
        comps.append(rest % int(s))
        rest = rest // int(s)
    comps.append(rest)
    comps.reverse()
    return inverse, comps


def sums_by(
    inverse: np.ndarray, groups: int, weights: Mapping[str, np.ndarray | None]
) -> dict[str, np.ndarray]:
    """Sum each weight per group (``None`` counts rows); integer weights stay integers."""
    sums: dict[str, np.ndarray] = {}
    for name, w in weights.items():
        if w is None:
            sums[name] = np.bincount(inverse, minlength=groups).astype(np.int64)
        else:
            s_ = np.bincount(inverse, weights=w, minlength=groups)
            sums[name] = np.rint(s_).astype(np.int64) if w.dtype.kind in "iub" else s_
    return sums


def group_sum(
    keys: Sequence[np.ndarray], sizes: Sequence[int], weights: Mapping[str, np.ndarray | None]
) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Sum ``weights`` over each distinct combination of integer ``keys``.

    Returns the distinct key columns and the sums (counts as int64, other sums
    as float64). See :func:`group_index` for how groups are found.
    """
    inverse, comps = group_index(keys, sizes)
    return comps, sums_by(inverse, len(comps[0]), weights)


def local_ns(ts: pd.Series, tz: str) -> np.ndarray:
    """Wall-clock nanoseconds since 1970-01-01 in ``tz`` (UTC stamps in)."""
    ts = ts.astype("datetime64[ns, UTC]") if ts.dt.tz is not None else ts.dt.tz_localize("UTC")
    if tz == "UTC":
        return np.asarray(ts.array.asi8)  # stored as UTC nanoseconds already
    return ts.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)


def _codes(values: pd.Series | pd.Categorical) -> tuple[np.ndarray, np.ndarray]:
    cat = values.array if isinstance(values, pd.Series) else values
    if not isinstance(cat, pd.Categorical):
        cat = pd.Categorical(cat)
    return np.asarray(cat.codes, dtype=np.int64), np.asarray(cat.categories.astype(str), dtype=object)


def count_tables_from_sample(
    sample: LoadedSample,
    entity_role: str,
    tz: str,
    options: ProfileOptions,
    roles: Iterable[str] = ("action", "outcome", "source_ip", "country", "user"),
) -> tuple[CountTables, np.ndarray]:
    """Reduce a sample's rows to count tables; also return local nanoseconds."""
    df = sample.df
    lns = local_ns(df["timestamp"], tz)
    lh = lns // NS_PER_HOUR
    hour0 = int(lh.min())
    rel = lh - hour0
    nhours = int(rel.max()) + 1
    ent, ent_labels = _codes(df[entity_role])
    fail = None
    if "outcome" in df.columns:
        ocode, olabels = _codes(df["outcome"])
        is_fail = classify_failures(olabels, options.failure_values, options.http_failure_min)
        fail = np.append(is_fail, False)[ocode].astype(np.int64)  # code -1 -> False
    weights: dict[str, np.ndarray | None] = {"events": None}
    if fail is not None:
        weights["failures"] = fail
    for vol in ("records", "bytes"):
        if vol in df.columns:
            weights[vol] = np.nan_to_num(df[vol].to_numpy(dtype=float), nan=0.0)
    day0 = hour0 // 24
    day = lns // NS_PER_DAY - day0
    ndays = (hour0 + nhours - 1) // 24 - day0 + 1
    role_weights: dict[str, np.ndarray | None] = {"events": None}
    if fail is not None:
        role_weights["failures"] = fail

    def role_table(role: str) -> RoleCounts:
        code, labels = _codes(df[role])
        return RoleCounts.grouped(labels, code, ent, day, len(ent_labels), ndays, role_weights)

    # The tables are independent and numpy's and pandas' inner loops release the
    # GIL, so a second thread keeps the other core busy.
    wanted = [r for r in roles if r != entity_role and r in df.columns]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {role: pool.submit(role_table, role) for role in wanted}
        inverse, (e, h) = group_index([ent + 1, rel], [len(ent_labels) + 1, nhours])
        sums = sums_by(inverse, len(e), weights)
        role_tables = {role: f.result() for role, f in futures.items()}
    tables = CountTables(
        hour0=hour0,
        nhours=nhours,
        ent_labels=ent_labels,
        ent=e - 1,
        hour=h,
        events=sums["events"],
        failures=sums.get("failures"),
        records=sums.get("records"),
        bytes=sums.get("bytes"),
        roles=role_tables,
    )
    return tables, lns


# --------------------------------------------------------------------------- deriving figures


def _date(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


class _Deriver:
    """Computes profile figures from count tables (shared by every input path)."""

    def __init__(self, t: CountTables, options: ProfileOptions) -> None:
        self.t = t
        self.o = options
        self.day0 = t.hour0 // 24
        self.ndays = (t.hour0 + t.nhours - 1) // 24 - self.day0 + 1

    def day_of(self, hour: np.ndarray) -> np.ndarray:
        return (self.t.hour0 + hour) // 24 - self.day0

    def hod_of(self, hour: np.ndarray) -> np.ndarray:
        return (self.t.hour0 + hour) % 24

    def weekday_of_day(self, day: np.ndarray) -> np.ndarray:
        return (self.day0 + day + 3) % 7  # 1970-01-01 was a Thursday

    # -- activity

    def entity_days(
        self, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        t = self.t
        m = t.ent >= 0
        w: dict[str, np.ndarray | None] = {"events": t.events[m]}
        for name in ("failures", "records", "bytes"):
            arr = getattr(t, name)
            if arr is not None:
                w[name] = arr[m]
        (e, d), sums = group_sum([t.ent[m], self.day_of(t.hour[m])], [len(t.ent_labels), self.ndays], w)
        return e, d, sums

    def clock_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(ndays x 24 events, 7 x 24 events)."""
        t = self.t
        day = self.day_of(t.hour)
        per = np.bincount(day * 24 + self.hod_of(t.hour), weights=t.events, minlength=self.ndays * 24)
        per = np.rint(per).astype(np.int64).reshape(self.ndays, 24)
        wd = self.weekday_of_day(np.arange(self.ndays))
        week = np.zeros((7, 24), dtype=np.int64)
        np.add.at(week, wd, per)
        return per, week

    def hourly_rates(self, per_day_hour: np.ndarray, week: np.ndarray) -> HourlyRates:
        wd = self.weekday_of_day(np.arange(self.ndays))
        weeks = np.bincount(wd, minlength=7)
        mx = np.zeros((7, 24), dtype=np.int64)
        if self.t.hour_known:
            for w in range(7):
                rows = per_day_hour[wd == w]
                if len(rows):
                    mx[w] = rows.max(axis=0)
        mean = week / np.maximum(weeks, 1)[:, None]
        return HourlyRates(
            counts=week.tolist(), mean=mean.tolist(), max=mx.tolist(), weeks=[int(x) for x in weeks]
        )

    # -- roles

    def breakdown(self, role: str) -> tuple[Breakdown, KnownValues]:
        """Top values of a role with their figures, and the capped known values.

        The role table has one row per (value, entity, day), sorted by value then
        entity, so per-value figures are segment reductions: no regrouping.
        """
        rc = self.t.roles[role]
        valid = rc.code >= 0
        code, ent, day, events = rc.code[valid], rc.ent[valid], rc.day[valid], rc.events[valid]
        nlab = len(rc.labels)
        ev = np.rint(np.bincount(code, weights=events, minlength=nlab)).astype(np.int64)
        fails = None
        if rc.failures is not None:
            fails = np.rint(np.bincount(code, weights=rc.failures[valid], minlength=nlab)).astype(np.int64)
        # Per value: distinct entities (a new (value, entity) pair starts a run),
        # first and last day (min/max over each value's segment).
        new_code = np.ones(len(code), dtype=bool)
        new_code[1:] = code[1:] != code[:-1]
        new_pair = new_code.copy()
        new_pair[1:] |= ent[1:] != ent[:-1]
        ents = np.bincount(code[new_pair & (ent >= 0)], minlength=nlab)
        starts = np.flatnonzero(new_code)
        first = np.full(nlab, np.iinfo(np.int64).max)
        last = np.full(nlab, -1)
        if len(starts):
            first[code[starts]] = np.minimum.reduceat(day, starts)
            last[code[starts]] = np.maximum.reduceat(day, starts)
        present = np.flatnonzero(ev > 0)
        label_rank = np.empty(nlab, dtype=np.int64)
        label_rank[np.argsort(rc.labels.astype(str), kind="stable")] = np.arange(nlab)
        order = present[np.lexsort((label_rank[present], -ev[present]))]
        top = order[: self.o.top_n]
        # Events per entity per day: each row with an entity is one observation.
        ends = np.append(starts[1:], len(code))
        segment = {int(code[a]): (a, b) for a, b in zip(starts, ends, strict=True)}
        has_entity = ent >= 0
        groups = {}
        for c in top:
            a, b = segment[int(c)]
            groups[int(c)] = events[a:b][has_entity[a:b]]
        values: dict[str, ValueFigures] = {}
        for c in top:
            c = int(c)
            values[str(rc.labels[c])] = ValueFigures(
                events=int(ev[c]),
                entities=int(ents[c]),
                per_entity_day=Distribution.of(groups[c], histogram=True),
                first=self.date(first[c]),
                last=self.date(last[c]),
                failures=int(fails[c]) if fails is not None else None,
            )
        rest = order[self.o.top_n :]
        bd = Breakdown(
            role=role,
            distinct=len(present),
            values=values,
            other_values=len(rest),
            other_events=int(ev[rest].sum()),
        )
        capped = order[: self.o.value_cap]
        known = KnownValues(
            role=role,
            count=len(present),
            values=[
                SeenValue(str(rc.labels[c]), int(ev[c]), self.date(first[c]), self.date(last[c]))
                for c in capped
            ],
            truncated=len(order) > len(capped),
        )
        return bd, known

    def distinct(self, rc: RoleCounts) -> tuple[Distribution, Distribution]:
        """Distinct values per entity per active day (e.g. source addresses per
        user), and distinct entities per value per day (e.g. users per address):
        the figures behind Sigma's ``value_count`` correlations."""
        m = (rc.code >= 0) & (rc.ent >= 0)
        # Rows are distinct (value, entity, day): counting rows counts distinct values.
        (_e, _d), per_entity = group_sum(
            [rc.ent[m], rc.day[m]], [len(self.t.ent_labels), self.ndays], {"n": None}
        )
        (_c, _d2), per_value = group_sum([rc.code[m], rc.day[m]], [len(rc.labels), self.ndays], {"n": None})
        return Distribution.of(per_entity["n"], histogram=True), Distribution.of(
            per_value["n"], histogram=True
        )

    def date(self, day: int) -> str:
        return _date(self.day0 + int(day))

    def entity_known(self, e: np.ndarray, d: np.ndarray, n: np.ndarray, role: str) -> KnownValues:
        nlab = len(self.t.ent_labels)
        ev = np.bincount(e, weights=n, minlength=nlab)
        first = np.full(nlab, np.iinfo(np.int64).max)
        last = np.full(nlab, -1)
        np.minimum.at(first, e, d)
        np.maximum.at(last, e, d)
        present = np.flatnonzero(ev > 0)
        rank = np.empty(nlab, dtype=np.int64)
        rank[np.argsort(self.t.ent_labels.astype(str), kind="stable")] = np.arange(nlab)
        order = present[np.lexsort((rank[present], -ev[present]))]
        capped = order[: self.o.value_cap]
        return KnownValues(
            role=role,
            count=len(present),
            values=[
                SeenValue(str(self.t.ent_labels[c]), int(ev[c]), self.date(first[c]), self.date(last[c]))
                for c in capped
            ],
            truncated=len(order) > len(capped),
        )

    def daily_activity(self, pattern: str) -> DailyActivity | None:
        rc = self.t.roles.get("action")
        if rc is None:
            return None
        regex = re.compile(pattern, re.IGNORECASE)
        matching = np.array([bool(regex.search(str(v))) for v in rc.labels], dtype=bool)
        matching = np.append(matching, False)
        m = matching[rc.code]
        events = rc.events[m]
        failed = rc.failures[m] if rc.failures is not None else None
        good = events - failed if failed is not None else events
        per_day = np.bincount(rc.day[m], weights=good, minlength=self.ndays)
        names = sorted({str(rc.labels[c]) for c in np.unique(rc.code[m])})
        return DailyActivity(
            pattern=pattern,
            actions=names,
            events=int(events.sum()),
            failed=int(failed.sum()) if failed is not None else None,
            per_day=Distribution.of(per_day, histogram=True),
        )


def _default_entity(sample_roles: Iterable[str], non_empty: Mapping[str, bool]) -> str:
    roles = set(sample_roles)
    if "user" in roles and non_empty.get("user", True):
        return "user"
    if "source_ip" in roles:
        return "source_ip"
    if "user" in roles:
        return "user"
    raise InputError("no entity to count per: map a user or source_ip column, or pick one with --entity ROLE")


def profile_from_tables(
    tables: CountTables,
    entity_role: str,
    tz: str,
    business_hours: BusinessHours,
    options: ProfileOptions,
    *,
    service_accounts: Sequence[str] = (),
    precision: str = "hour",
) -> Profile:
    """Every figure that count tables can give. The direct path adds the rest."""
    t = tables
    dv = _Deriver(t, options)
    events = int(t.events.sum())
    e, d, sums = dv.entity_days()
    entities = int(np.count_nonzero(np.bincount(e, minlength=len(t.ent_labels))))
    per_entity_day = Distribution.of(sums["events"], histogram=True)
    per_entity_hour = Distribution.of(t.events[t.ent >= 0], histogram=True) if t.hour_known else None
    per_day_hour, week = dv.clock_matrix()
    per_day = per_day_hour.sum(axis=1)
    if t.hour_known:
        weekday = week.sum(axis=1)
    else:
        # Days only: weekdays still come from the days; hours only from a clock table.
        weekday = np.bincount(dv.weekday_of_day(np.arange(dv.ndays)), weights=per_day, minlength=7)
        weekday = np.rint(weekday).astype(np.int64)
        week = t.clock if t.clock is not None else np.zeros((7, 24), dtype=np.int64)
    hour_of_day = week.sum(axis=0)
    weekend = float(weekday[5:].sum() / weekday.sum()) if weekday.sum() else 0.0
    total_clock = max(int(week.sum()), 1)
    inside = float((week * business_hours.hour_weights()).sum() / total_clock) if week.sum() else 0.0
    active_days = np.flatnonzero(per_day)
    first_day = dv.date(active_days[0]) if len(active_days) else None
    last_day = dv.date(active_days[-1]) if len(active_days) else None
    zone = ZoneInfo(tz)
    if t.hour_known and events:
        hours = t.hour[t.events > 0]
        first = _hour_iso(t.hour0 + int(hours.min()), zone)
        last = _hour_iso(t.hour0 + int(hours.max()), zone)
    else:
        first, last = first_day, last_day
    profile = Profile(
        events=events,
        entities=entities,
        entity_role=entity_role,
        timezone=tz,
        first=first,
        last=last,
        days_covered=len(active_days),
        span_days=int(dv.ndays) if events else 0,
        per_entity_day=per_entity_day,
        per_entity_hour=per_entity_hour,
        per_day=Distribution.of(per_day),
        hour_of_day=[int(x) for x in hour_of_day],
        weekday=[int(x) for x in weekday],
        hourly_by_weekday=dv.hourly_rates(per_day_hour, week),
        weekend_share=weekend,
        out_of_hours_share=1.0 - inside if week.sum() else 0.0,
        business_hours=business_hours,
        events_without_entity=int(t.events[t.ent < 0].sum()),
        precision=precision,
        options=options,
    )
    profile.first_seen[entity_role] = dv.entity_known(e, d, sums["events"], entity_role)
    for role in (r for r in ROLES_WITH_TABLES if r in t.roles):
        profile.distinct_per_entity_day[role], profile.entities_per_value_day[role] = dv.distinct(
            t.roles[role]
        )
        bd, known = dv.breakdown(role)
        if role != "user":
            profile.breakdowns[role] = bd
        if role in ("action", "source_ip", "user", "country"):
            profile.first_seen[role] = known
    if t.failures is not None:
        fails_total = int(t.failures.sum())
        ent_events = np.bincount(e, weights=sums["events"], minlength=len(t.ent_labels))
        ent_fails = np.bincount(e, weights=sums["failures"], minlength=len(t.ent_labels))
        active = ent_events > 0
        per_source_day = failing_entities = None
        src = t.roles.get("source_ip")
        if entity_role == "source_ip":
            per_source_day = Distribution.of(sums["failures"], histogram=True)
        elif src is not None and src.failures is not None:
            ok = src.code >= 0
            # Rows are distinct (source, entity, day): a row with failures is one failing entity.
            failing = ((src.failures > 0) & (src.ent >= 0)).astype(np.int64)
            (_sc, _sd), s_ = group_sum(
                [src.code[ok], src.day[ok]],
                [len(src.labels), dv.ndays],
                {"f": src.failures[ok], "failing": failing[ok]},
            )
            per_source_day = Distribution.of(s_["f"], histogram=True)
            failing_entities = Distribution.of(s_["failing"], histogram=True)
        outcome = t.roles.get("outcome")
        fail_values: list[str] = []
        if outcome is not None:
            present = np.unique(outcome.code[outcome.code >= 0])
            flags = classify_failures(
                outcome.labels[present], options.failure_values, options.http_failure_min
            )
            fail_values = sorted(str(v) for v in outcome.labels[present][flags])
        profile.failures = Failures(
            values=fail_values,
            events=fails_total,
            ratio=fails_total / events if events else 0.0,
            per_entity_ratio=Distribution.of(ent_fails[active] / ent_events[active]),
            per_entity_day=Distribution.of(sums["failures"], histogram=True),
            per_source_day=per_source_day,
            failing_entities_per_source_day=failing_entities,
        )
    for vol in ("records", "bytes"):
        if getattr(t, vol) is not None:
            profile.volumes[vol] = Volume(
                role=vol,
                total=float(getattr(t, vol).sum()),
                events_with_value=0,
                per_entity_day=Distribution.of(sums[vol], histogram=True),
            )
    profile.logins = dv.daily_activity(options.login_pattern)
    profile.exports = dv.daily_activity(options.export_pattern)
    if service_accounts and entity_role == "user":
        profile.service_accounts = _service_accounts_from_tables(dv, service_accounts, options)
    return profile


def _hour_iso(abs_hour: int, zone: ZoneInfo) -> str:
    """The local wall-clock hour as an ISO string with its offset."""
    naive = datetime(1970, 1, 1) + pd.Timedelta(hours=abs_hour).to_pytimedelta()
    return pd.Timestamp(naive).tz_localize(zone, ambiguous=True, nonexistent="shift_forward").isoformat()


def _service_accounts_from_tables(
    dv: _Deriver, names: Sequence[str], options: ProfileOptions
) -> dict[str, ServiceAccount]:
    t = dv.t
    index = {str(v): i for i, v in enumerate(t.ent_labels)}
    src = t.roles.get("source_ip")
    out: dict[str, ServiceAccount] = {}
    for name in names:
        sa = ServiceAccount(name=name)
        code = index.get(name)
        if code is not None:
            m = t.ent == code
            hours = t.hour[m]
            n = t.events[m]
            if n.sum():
                sa.events = int(n.sum())
                sa.hour_of_day = [int(x) for x in np.bincount(dv.hod_of(hours), weights=n, minlength=24)]
                days = dv.day_of(hours)
                sa.weekday = [int(x) for x in np.bincount(dv.weekday_of_day(days), weights=n, minlength=7)]
                sa.days = len(np.unique(days))
                sa.first = dv.date(days.min())
                sa.last = dv.date(days.max())
                if src is not None:
                    codes = np.unique(src.code[(src.ent == code) & (src.code >= 0)])
                    names_ = sorted(str(src.labels[c]) for c in codes)
                    sa.sources = names_[: options.value_cap]
                    sa.sources_truncated = len(names_) > options.value_cap
        out[name] = sa
    return out


# --------------------------------------------------------------------------- the direct path


def build_profile(
    sample: LoadedSample,
    entity_role: str | None = None,
    tz: str = "UTC",
    business_hours: BusinessHours | None = None,
    service_accounts: Sequence[str] = (),
    options: ProfileOptions | None = None,
) -> Profile:
    """The profile of a loaded sample.

    ``entity_role`` picks whose events the per-entity figures count (default
    ``user`` when mapped and filled, else ``source_ip``). Days and hours are
    counted in ``tz``; ``business_hours`` (default Mon-Fri 08:00-18:00 in ``tz``)
    defines out-of-hours; ``service_accounts`` names accounts whose hours and
    sources are reported (by the ``user`` role).
    """
    check_timezone(tz)
    options = options or ProfileOptions()
    business_hours = business_hours or BusinessHours()
    df = sample.df
    if df.empty:
        raise InputError("the sample has no events")
    roles = [r for r in sample.roles if r != "timestamp"]
    if entity_role is None:
        non_empty = {r: bool(df[r].notna().any()) for r in roles if r in ENTITY_ROLES}
        entity_role = _default_entity(roles, non_empty)
    elif entity_role not in roles:
        raise InputError(
            f"entity role '{entity_role}' is not mapped; mapped roles: {', '.join(roles) or 'none'}"
        )
    tables, lns = count_tables_from_sample(sample, entity_role, tz, options)
    # The figures that need the rows run beside the ones derived from the tables.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rows = pool.submit(_row_figures, df, lns, tz, business_hours, service_accounts, options, entity_role)
        profile = profile_from_tables(tables, entity_role, tz, business_hours, options, precision="event")
        extra = rows.result()
    profile.first = extra["first"]
    profile.last = extra["last"]
    profile.out_of_hours_share = extra["out_of_hours_share"]
    for vol, (with_value, per_event) in extra["volumes"].items():
        if vol in profile.volumes:
            profile.volumes[vol].events_with_value = with_value
            profile.volumes[vol].per_event = per_event
    profile.sessions = extra["sessions"]
    if service_accounts:
        profile.service_accounts = extra["service_accounts"]
    profile.mapping = dict(sample.mapping)
    profile.format = sample.format
    profile.source = sample.source
    profile.warnings = list(sample.warnings)
    if profile.events_without_entity:
        profile.warnings.append(
            f"{profile.events_without_entity} event(s) have no {entity_role}: counted in totals, "
            "not in per-entity figures"
        )
    return profile


def _row_figures(
    df: pd.DataFrame,
    lns: np.ndarray,
    tz: str,
    business_hours: BusinessHours,
    service_accounts: Sequence[str],
    options: ProfileOptions,
    entity_role: str,
) -> dict[str, Any]:
    """Figures count tables cannot give: exact first/last, out-of-hours share to
    the minute (in the window's own zone), per-event volumes, sessions, service
    accounts by the user column."""
    zone = ZoneInfo(tz)
    ts = df["timestamp"]
    out: dict[str, Any] = {
        "first": ts.min().tz_convert(zone).isoformat(),
        "last": ts.max().tz_convert(zone).isoformat(),
        "volumes": {},
        "sessions": None,
        "service_accounts": {},
    }
    same_zone = not business_hours.timezone or business_hours.timezone == tz
    bh_ns = lns if same_zone else local_ns(ts, business_hours.timezone or tz)
    minute = (bh_ns // NS_PER_MINUTE) % 1440
    wd = (bh_ns // NS_PER_DAY + 3) % 7
    out["out_of_hours_share"] = float(1.0 - business_hours.contains(wd, minute).mean())
    for vol in ("records", "bytes"):
        if vol in df.columns:
            values = df[vol].to_numpy(dtype=float)
            present = values[~np.isnan(values)]
            out["volumes"][vol] = (int(present.size), Distribution.of(present))
    if "session" in df.columns and entity_role != "session":
        out["sessions"] = _sessions(df)
    if service_accounts:
        out["service_accounts"] = _service_accounts_direct(df, lns, service_accounts, options)
    return out


def _sessions(df: pd.DataFrame) -> Sessions | None:
    code, _labels = _codes(df["session"])
    m = code >= 0
    if not m.any():
        return None
    ts = df["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)[m]
    c = code[m]
    counts = np.bincount(c)
    present = counts > 0
    lo = np.full(len(counts), np.iinfo(np.int64).max)
    hi = np.full(len(counts), np.iinfo(np.int64).min)
    np.minimum.at(lo, c, ts)
    np.maximum.at(hi, c, ts)
    return Sessions(
        count=int(present.sum()),
        events_per_session=Distribution.of(counts[present]),
        duration_seconds=Distribution.of((hi[present] - lo[present]) / 1e9),
    )


def _service_accounts_direct(
    df: pd.DataFrame, lns: np.ndarray, names: Sequence[str], options: ProfileOptions
) -> dict[str, ServiceAccount]:
    out = {name: ServiceAccount(name=name) for name in names}
    if "user" not in df.columns:
        return out
    code, labels = _codes(df["user"])
    index = {str(v): i for i, v in enumerate(labels)}
    wanted = [index[n] for n in names if n in index]
    if not wanted:
        return out
    m = np.isin(code, wanted)
    c, l_ = code[m], lns[m]
    src_codes = src_labels = None
    if "source_ip" in df.columns:
        src_codes, src_labels = _codes(df["source_ip"])
        src_codes = src_codes[m]
    for name in names:
        if name not in index:
            continue
        mm = c == index[name]
        if not mm.any():
            continue
        ln = l_[mm]
        day = ln // NS_PER_DAY
        sa = out[name]
        sa.events = int(mm.sum())
        sa.hour_of_day = [int(x) for x in np.bincount((ln // NS_PER_HOUR) % 24, minlength=24)]
        sa.weekday = [int(x) for x in np.bincount((day + 3) % 7, minlength=7)]
        sa.days = len(np.unique(day))
        sa.first = _date(int(day.min()))
        sa.last = _date(int(day.max()))
        if src_codes is not None and src_labels is not None:
            sc = np.unique(src_codes[mm])
            srcs = sorted(str(src_labels[s]) for s in sc if s >= 0)
            sa.sources = srcs[: options.value_cap]
            sa.sources_truncated = len(srcs) > options.value_cap
    return out


def count_series(
    sample: LoadedSample,
    entity_role: str | None = None,
    tz: str = "UTC",
    window: str = "day",
    where: Mapping[str, str | Sequence[str]] | None = None,
) -> pd.Series:
    """Events per entity per window (``day`` or ``hour``), for thresholds and back-tests.

    ``where`` keeps only rows whose role matches: a string is a case-insensitive
    regular expression, a list is a set of exact values (``{"action": "export"}``,
    ``{"outcome": ["failure", "denied"]}``). The index has levels ``entity`` and
    ``day`` (a ``YYYY-MM-DD`` string) or ``hour`` (a zoned timestamp); only
    windows with at least one event appear.
    """
    check_timezone(tz)
    df = sample.df
    roles = [r for r in sample.roles if r != "timestamp"]
    if entity_role is None:
        entity_role = _default_entity(roles, {r: bool(df[r].notna().any()) for r in roles})
    if entity_role not in df.columns:
        raise InputError(f"entity role '{entity_role}' is not mapped")
    if window not in ("day", "hour"):
        raise InputError("window must be 'day' or 'hour'")
    mask = np.ones(len(df), dtype=bool)
    for role, cond in (where or {}).items():
        if role not in df.columns:
            raise InputError(f"role '{role}' is not mapped")
        code, labels = _codes(df[role])
        if isinstance(cond, str):
            rx = re.compile(cond, re.IGNORECASE)
            ok = np.array([bool(rx.search(str(v))) for v in labels], dtype=bool)
        else:
            wanted = {str(v) for v in cond}
            ok = np.array([str(v) in wanted for v in labels], dtype=bool)
        mask &= np.append(ok, False)[code]
    ent, labels = _codes(df[entity_role])
    lns = local_ns(df["timestamp"], tz)
    mask &= ent >= 0
    unit = NS_PER_DAY if window == "day" else NS_PER_HOUR
    bucket = lns[mask] // unit
    b0 = int(bucket.min()) if bucket.size else 0
    (e, b), sums = group_sum(
        [ent[mask], bucket - b0], [len(labels), int(bucket.max() - b0 + 1) if bucket.size else 1], {"n": None}
    )
    order = np.lexsort((b, e))
    e, b, n = e[order], b[order], sums["n"][order]
    if window == "day":
        keys: Any = (b + b0).astype("datetime64[D]").astype(str)
    else:
        # Wall-clock hours back to zoned stamps; the repeated hour when clocks go
        # back is read as the first (summer-time) one, as in the profile.
        wall = pd.DatetimeIndex((b + b0).astype("datetime64[h]").astype("datetime64[ns]"))
        keys = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
    index = pd.MultiIndex.from_arrays([labels[e], keys], names=["entity", window])
    return pd.Series(n, index=index, name="events")
