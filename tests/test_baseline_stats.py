"""Robust statistics and back-tests: exact figures on crafted data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workshop.baseline.figures import Distribution
from workshop.baseline.stats import (
    Method,
    ThresholdProposal,
    backtest,
    hourly_rate_thresholds,
    mad_threshold,
    median_mad,
    percentile,
    percentile_with_margin,
    propose_thresholds,
    stdev_threshold,
)
from workshop.core.errors import InputError

VALUES = [1, 2, 3, 4, 100]


def test_percentiles_interpolate() -> None:
    assert percentile(VALUES, 50) == 3
    assert percentile(VALUES, 90) == pytest.approx(61.6)  # 4 + 0.6 * 96
    assert percentile(VALUES, 100) == 100
    assert percentile_with_margin(VALUES, 50, 0.2) == pytest.approx(3.6)
    with pytest.raises(InputError):
        percentile([], 50)
    with pytest.raises(InputError):
        percentile(VALUES, 101)


def test_median_and_mad() -> None:
    assert median_mad(VALUES) == (3.0, 1.0)  # deviations 2, 1, 0, 1, 97
    assert mad_threshold(VALUES, k=3) == pytest.approx(3 + 3 * 1.4826)
    assert mad_threshold(VALUES, k=2, scale=1.0) == 5.0


def test_mad_zero_falls_back_to_mean_absolute_deviation() -> None:
    # Median 1, MAD 0; mean absolute deviation (0+0+0+0+4)/5 = 0.8.
    assert mad_threshold([1, 1, 1, 1, 5], k=3) == pytest.approx(1 + 3 * 1.2533 * 0.8)


def test_stdev_needs_enough_samples() -> None:
    # mean 22, sample variance 7610 / 4 = 1902.5
    assert stdev_threshold(VALUES, k=3, min_samples=5) == pytest.approx(22 + 3 * math.sqrt(1902.5))
    assert stdev_threshold(VALUES, k=3) is None  # default minimum 30


def test_backtest_per_day() -> None:
    counts = pd.Series(
        [3, 10, 12, 5],
        index=pd.MultiIndex.from_tuples(
            [("a", "2024-03-04"), ("b", "2024-03-04"), ("a", "2024-03-05"), ("b", "2024-03-05")],
            names=["entity", "day"],
        ),
    )
    bt = backtest(counts, 5)  # strictly greater: 5 does not alert
    assert bt.alerts_total == 2
    assert bt.by_day == {"2024-03-04": 1, "2024-03-05": 1}
    assert bt.days == 2 and bt.alerts_per_day == 1.0
    assert bt.max_per_day == 1
    bt7 = backtest(counts, 5, days=7)
    assert bt7.alerts_per_day == pytest.approx(2 / 7)
    assert backtest(counts, 100).alerts_total == 0


def test_backtest_hour_windows_and_arrays() -> None:
    counts = pd.Series(
        [4, 9, 9],
        index=pd.MultiIndex.from_arrays(
            [
                ["a", "a", "b"],
                pd.to_datetime(["2024-03-04 09:00", "2024-03-04 10:00", "2024-03-05 09:00"]).tz_localize(
                    "UTC"
                ),
            ],
            names=["entity", "hour"],
        ),
    )
    bt = backtest(counts, 5)
    assert bt.by_day == {"2024-03-04": 1, "2024-03-05": 1}
    arr = backtest(np.array([1, 6, 7]), 5, days=3)
    assert (arr.alerts_total, arr.by_day, arr.alerts_per_day) == (2, {}, pytest.approx(2 / 3))
    with pytest.raises(InputError):
        backtest([1], float("nan"))


def test_propose_thresholds_with_backtests() -> None:
    values = [*range(1, 41), 200]  # 41 observations with one outlier
    proposals = propose_thresholds(values, days=41)
    assert [p.method for p in proposals] == ["p99+20%", "mad3", "stdev3"]
    p99 = proposals[0]
    # 99th percentile: index 0.99 * 40 = 39.6 -> 40 + 0.6 * 160 = 136; +20% = 163.2
    assert p99.value == pytest.approx(163.2)
    assert p99.alerts_total == 1
    assert p99.alerts_per_day == pytest.approx(1 / 41)
    assert "99th percentile of 41 observations" in p99.why and "163.2" in p99.why
    mad = proposals[1]
    # median 21, MAD 10 -> 21 + 3 * 14.826 = 65.478
    assert mad.value == pytest.approx(65.478)
    assert mad.alerts_total == 1
    sd = proposals[2]
    arr = np.array(values, dtype=float)
    assert sd.value == pytest.approx(arr.mean() + 3 * arr.std(ddof=1), rel=1e-6)
    assert "outliers" in sd.why


def test_propose_with_too_few_samples_and_methods() -> None:
    proposals = propose_thresholds([1, 2, 3], methods=["stdev3", "p50", "max+10%"])
    assert proposals[0].value is None and "needs at least 30" in proposals[0].why
    assert proposals[1].value == 2 and proposals[1].alerts_total == 1
    assert proposals[2].value == pytest.approx(3.3) and proposals[2].alerts_total == 0
    assert propose_thresholds([], methods=["p99"])[0].value is None


def test_propose_from_a_stored_distribution() -> None:
    dist = Distribution.of([1, 1, 2, 8], histogram=True)
    (p,) = propose_thresholds(dist, methods=["p50"], days=2)
    assert p.value == 1.5 and p.alerts_total == 2 and p.alerts_per_day == 1.0


def test_method_parsing() -> None:
    assert Method.parse("p95+10%") == Method("percentile", q=95.0, margin=0.1)
    assert Method.parse("mad2.5") == Method("mad", k=2.5)
    assert Method.parse("STDEV") == Method("stdev", k=3.0)
    assert Method.parse("max").name == "max"
    assert Method("percentile", q=99, margin=0.2).name == "p99+20%"
    with pytest.raises(InputError):
        Method.parse("median")


def test_round_trip() -> None:
    p = ThresholdProposal("mad3", 5.5, "why", 2, 0.5, 10)
    assert ThresholdProposal.from_dict(p.to_dict()) == p


def test_hourly_rate_levels() -> None:
    levels = hourly_rate_thresholds([[1.0, 2.0]], increases=(2.0, 5.0))
    assert levels == {"+200%": [[3.0, 6.0]], "+500%": [[6.0, 12.0]]}
