"""The figures a profile is made of: distributions with their histograms, and the parts built on them.

Each figure is a small value object with its stored form (``to_dict`` /
``from_dict``): percentiles of counts (with the histogram, so thresholds can be
proposed and back-tested again from a stored profile), hourly rates, per-value
breakdowns, known values for first-seen rules, failures, volumes, sessions and
service accounts. They hold no rows and know nothing of how they were computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Percentiles every distribution keeps.
PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)


def json_number(x: float | int | None) -> float | int | None:
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


def _stored_value(x: float) -> float:
    """A histogram value as stored: integral values as int, others rounded (never NaN here)."""
    n = json_number(x)
    return float("nan") if n is None else n


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
            hist: list[list[float]] | None = (
                [[int(a), int(b)] for a, b in zip(*counts, strict=True)] if histogram else None
            )
        else:
            v = v.astype(float, copy=False)
            q = list(np.percentile(v, PERCENTILES))
            hist = None
            if histogram:
                vals, freq = np.unique(v, return_counts=True)
                hist = [[_stored_value(a), int(b)] for a, b in zip(vals, freq, strict=True)]
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
            "mean": json_number(self.mean),
            "p50": json_number(self.p50),
            "p90": json_number(self.p90),
            "p95": json_number(self.p95),
            "p99": json_number(self.p99),
            "max": json_number(self.max),
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
            "mean": [[json_number(x) for x in row] for row in self.mean],
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
            "ratio": json_number(self.ratio),
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
            "total": json_number(self.total),
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
