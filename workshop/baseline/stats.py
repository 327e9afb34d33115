"""Thresholds from observed counts, and what they would have fired on the sample.

SIEMs express baselines in a few ways (Splunk: mean + k·stdev with a minimum
sample count; Elastic and Sentinel: fixed thresholds and anomaly scores). Real
logs hold outliers, which drag the mean and the standard deviation up, so we
offer the robust alternatives next to it (a high percentile with a margin, the
median plus k times the MAD) and back-test each on the sample: a threshold is
only useful if its alert volume is one the SOC can live with.

Every function here is pure: arrays in, numbers out. Alerts fire when a count is
strictly greater than the threshold (Sigma's ``gt``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from workshop.core.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: Scales the MAD to estimate a standard deviation for normal data.
MAD_SCALE = 1.4826
#: Scales the mean absolute deviation likewise (used when the MAD is 0).
MEANAD_SCALE = 1.2533
DEFAULT_MIN_SAMPLES = 30


def _values(values: Any) -> np.ndarray:
    import pandas as pd

    if hasattr(values, "samples") and callable(values.samples):
        values = values.samples()  # a profile Distribution with its histogram
    arr: np.ndarray = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    present: np.ndarray = arr[~np.isnan(arr)]
    return present


def percentile(values: Any, q: float) -> float:
    """The ``q``-th percentile (0-100), linear interpolation between observations."""
    v = _values(values)
    if v.size == 0:
        raise InputError("no observations")
    if not 0 <= q <= 100:
        raise InputError("a percentile is between 0 and 100")
    return float(np.percentile(v, q))


def percentile_with_margin(values: Any, q: float = 99.0, margin: float = 0.2) -> float:
    """The ``q``-th percentile raised by ``margin`` (0.2 = +20%): headroom for growth."""
    return percentile(values, q) * (1.0 + margin)


def median_mad(values: Any) -> tuple[float, float]:
    """Median and median absolute deviation (unscaled)."""
    v = _values(values)
    if v.size == 0:
        raise InputError("no observations")
    med = float(np.median(v))
    return med, float(np.median(np.abs(v - med)))


def mad_threshold(values: Any, k: float = 3.0, scale: float = MAD_SCALE) -> float:
    """Median + k · (scale · MAD); if the MAD is 0, the scaled mean absolute deviation.

    The MAD is 0 when more than half the observations are equal (a user who makes
    exactly one export a day); the mean absolute deviation still sees the rest.
    """
    v = _values(values)
    med, mad = median_mad(v)
    spread = scale * mad
    if spread == 0:
        spread = MEANAD_SCALE * float(np.mean(np.abs(v - med)))
    return med + k * spread


def stdev_threshold(values: Any, k: float = 3.0, min_samples: int = DEFAULT_MIN_SAMPLES) -> float | None:
    """Mean + k · sample standard deviation, or None with fewer than ``min_samples``."""
    v = _values(values)
    if v.size < max(min_samples, 2):
        return None
    return float(v.mean() + k * v.std(ddof=1))


# --------------------------------------------------------------------------- back-tests


@dataclass
class Backtest:
    """Alerts a threshold would have raised on the sample.

    ``days`` is the denominator of ``alerts_per_day``: the days the sample spans
    when given, else the distinct days seen in the counts.
    """

    threshold: float
    alerts_total: int
    days: int
    alerts_per_day: float
    by_day: dict[str, int] = field(default_factory=dict)
    max_per_day: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "alerts_total": self.alerts_total,
            "days": self.days,
            "alerts_per_day": self.alerts_per_day,
            "by_day": dict(self.by_day),
            "max_per_day": self.max_per_day,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Backtest:
        return cls(
            threshold=float(data["threshold"]),
            alerts_total=int(data["alerts_total"]),
            days=int(data["days"]),
            alerts_per_day=float(data["alerts_per_day"]),
            by_day={str(k): int(v) for k, v in (data.get("by_day") or {}).items()},
            max_per_day=int(data.get("max_per_day", 0)),
        )


def _day_keys(counts: pd.Series) -> pd.Index | None:
    """The calendar day of each observation, from a ``day`` or ``hour`` index level."""
    import pandas as pd

    index = counts.index
    names = list(index.names) if isinstance(index, pd.MultiIndex) else [index.name]
    for name in ("day", "date"):
        if name in names:
            level = index.get_level_values(name) if isinstance(index, pd.MultiIndex) else index
            return pd.Index([_day_text(v) for v in level])
    for name in ("hour", "window", "time"):
        if name in names:
            level = index.get_level_values(name) if isinstance(index, pd.MultiIndex) else index
            return pd.Index([_day_text(v) for v in level])
    if isinstance(index, pd.DatetimeIndex):
        return pd.Index([_day_text(v) for v in index])
    return None


def _day_text(value: Any) -> str:
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return str(value.date().isoformat())
    text = str(value)
    return text[:10]


def backtest(counts: Any, threshold: float, *, days: int | None = None) -> Backtest:
    """Count observations above ``threshold``, in total and per day.

    ``counts`` is a series of counts per entity per day (or per window) with a
    ``day`` (or ``hour``) index level, as :func:`workshop.baseline.build.count_series`
    returns; plain arrays work too, without the per-day split (pass ``days``;
    without it ``alerts_per_day`` equals ``alerts_total``).
    """
    import pandas as pd

    if threshold is None or (isinstance(threshold, float) and math.isnan(threshold)):
        raise InputError("no threshold to back-test")
    by_day: dict[str, int] = {}
    if isinstance(counts, pd.Series):
        keys = _day_keys(counts)
        values = counts.to_numpy(dtype=float)
        hits = values > threshold
        if keys is not None:
            seen_days = len(set(keys))
            if hits.any():
                s = pd.Series(hits.astype(int), index=keys).groupby(level=0).sum()
                by_day = {str(k): int(v) for k, v in s.items() if v}
        else:
            seen_days = 0
    else:
        values = _values(counts)
        hits = values > threshold
        seen_days = 0
    total = int(hits.sum())
    n_days = int(days) if days else seen_days
    return Backtest(
        threshold=float(threshold),
        alerts_total=total,
        days=n_days,
        alerts_per_day=(total / n_days) if n_days else float(total),
        by_day=dict(sorted(by_day.items())),
        max_per_day=max(by_day.values()) if by_day else 0,
    )


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class Method:
    """One way of deriving a threshold: ``percentile`` (q, margin), ``mad`` (k) or
    ``stdev`` (k, min_samples). ``Method.parse("p99+20%")``, ``"mad3"``, ``"stdev3"``."""

    kind: str
    q: float = 99.0
    margin: float = 0.2
    k: float = 3.0
    min_samples: int = DEFAULT_MIN_SAMPLES

    def __post_init__(self) -> None:
        if self.kind not in ("percentile", "mad", "stdev", "max"):
            raise InputError(f"unknown threshold method '{self.kind}' (percentile, mad, stdev, max)")

    @property
    def name(self) -> str:
        if self.kind == "percentile":
            margin = f"+{self.margin:.0%}" if self.margin else ""
            return f"p{self.q:g}{margin}"
        if self.kind == "max":
            margin = f"+{self.margin:.0%}" if self.margin else ""
            return f"max{margin}"
        return f"{self.kind}{self.k:g}"

    @classmethod
    def parse(cls, text: str | Method) -> Method:
        if isinstance(text, Method):
            return text
        t = text.strip().lower().replace(" ", "")
        if m := re.fullmatch(r"p(\d+(?:\.\d+)?)(?:\+(\d+(?:\.\d+)?)%)?", t):
            return cls("percentile", q=float(m.group(1)), margin=float(m.group(2) or 0) / 100)
        if m := re.fullmatch(r"max(?:\+(\d+(?:\.\d+)?)%)?", t):
            return cls("max", margin=float(m.group(1) or 0) / 100)
        if m := re.fullmatch(r"(mad|stdev)(\d+(?:\.\d+)?)?", t):
            return cls(m.group(1), k=float(m.group(2) or 3))
        if t == "percentile":
            return cls("percentile")
        raise InputError(f"threshold method '{text}' not understood (e.g. p99+20%, mad3, stdev3, max)")


DEFAULT_METHODS: tuple[Method, ...] = (
    Method("percentile", q=99.0, margin=0.2),
    Method("mad", k=3.0),
    Method("stdev", k=3.0),
)


@dataclass
class ThresholdProposal:
    """A candidate threshold, why it is what it is, and its alert volume on the sample."""

    method: str
    value: float | None
    why: str
    alerts_total: int = 0
    alerts_per_day: float = 0.0
    observations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "value": self.value,
            "why": self.why,
            "alerts_total": self.alerts_total,
            "alerts_per_day": self.alerts_per_day,
            "observations": self.observations,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThresholdProposal:
        return cls(
            method=data["method"],
            value=data.get("value"),
            why=data.get("why", ""),
            alerts_total=int(data.get("alerts_total", 0)),
            alerts_per_day=float(data.get("alerts_per_day", 0.0)),
            observations=int(data.get("observations", 0)),
        )


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:,.0f}"


def propose_thresholds(
    series: Any,
    methods: Iterable[str | Method] = DEFAULT_METHODS,
    *,
    days: int | None = None,
    what: str = "events per entity per day",
) -> list[ThresholdProposal]:
    """One proposal per method, each back-tested on ``series``.

    ``series`` holds the observed counts (a series from ``count_series``, an
    array, or a profile ``Distribution`` with its histogram); ``days`` is how many
    days the sample spans, for alerts per day. Methods that cannot apply (too few
    observations for mean + k·stdev) come back with ``value=None`` and the reason.
    """
    import pandas as pd

    values = _values(series)
    n = int(values.size)
    out: list[ThresholdProposal] = []
    for spec in methods:
        m = Method.parse(spec)
        if n == 0:
            out.append(ThresholdProposal(m.name, None, f"no observations of {what}"))
            continue
        if not values.any():
            # A sample without a single one (no failures at all) says nothing about a limit:
            # a threshold of 0 would alert on the first event.
            out.append(ThresholdProposal(m.name, None, f"every observation of {what} is 0: the sample has none, "
                                         "so no threshold can be read from it", observations=n))  # fmt: skip
            continue
        if m.kind == "percentile":
            base = percentile(values, m.q)
            value = base * (1 + m.margin)
            why = f"{_ordinal(m.q)} percentile of {n} observations of {what} is {_fmt(base)}"
            if m.margin:
                why += f"; +{m.margin:.0%} margin gives {_fmt(value)}"
        elif m.kind == "max":
            base = float(values.max())
            value = base * (1 + m.margin)
            why = f"highest of {n} observations of {what} is {_fmt(base)}"
            if m.margin:
                why += f"; +{m.margin:.0%} margin gives {_fmt(value)}"
        elif m.kind == "mad":
            med, mad = median_mad(values)
            value = mad_threshold(values, m.k)
            if mad:
                why = f"median {_fmt(med)} + {m.k:g} x {MAD_SCALE} x MAD {_fmt(mad)} over {n} observations of {what}"
            else:
                why = (
                    f"median {_fmt(med)}; MAD is 0 (most observations equal the median), so "
                    f"{m.k:g} x {MEANAD_SCALE} x the mean absolute deviation is added"
                )
        else:
            v = stdev_threshold(values, m.k, m.min_samples)
            if v is None:
                out.append(
                    ThresholdProposal(
                        m.name,
                        None,
                        f"only {n} observations of {what}; mean + {m.k:g} x stdev needs at least {m.min_samples}",
                        observations=n,
                    )
                )
                continue
            value = v
            why = (
                f"mean {_fmt(float(values.mean()))} + {m.k:g} x stdev {_fmt(float(values.std(ddof=1)))} "
                f"over {n} observations of {what} (outliers in the sample raise it)"
            )
        bt = backtest(series if isinstance(series, pd.Series) else values, value, days=days)
        why += f"; {bt.alerts_total} alert(s) on the sample"
        out.append(
            ThresholdProposal(
                method=m.name,
                value=float(value),
                why=why,
                alerts_total=bt.alerts_total,
                alerts_per_day=bt.alerts_per_day,
                observations=n,
            )
        )
    return out


def _ordinal(q: float) -> str:
    n = int(q) if float(q).is_integer() else q
    if isinstance(n, int):
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix}"
    return f"{n:g}th"


def hourly_rate_thresholds(
    mean_rates: Sequence[Sequence[float]], increases: Sequence[float] = (2.0, 5.0)
) -> dict[str, list[list[float]]]:
    """AppSensor's site-wide spike levels: each weekday-hour's mean rate raised by
    +200% and +500% (``increases`` are the added fractions). Keys are ``+200%``..."""
    rates = np.asarray(mean_rates, dtype=float)
    return {f"+{inc:.0%}": (rates * (1 + inc)).round(6).tolist() for inc in increases}
