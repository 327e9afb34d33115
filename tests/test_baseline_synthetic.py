"""The demo payroll log: deterministic, realistic, and its planted anomalies findable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workshop.baseline.build import build_profile, count_series
from workshop.baseline.claims import compare_claims, profile_options_from_answers
from workshop.baseline.loading import load_sample
from workshop.baseline.sample import LoadedSample
from workshop.baseline.stats import propose_thresholds
from workshop.baseline.synthetic import BRUTE_FORCE_IP, PlantedAnomaly, SyntheticSample, generate_sample
from workshop.core.errors import InputError


@pytest.fixture(scope="module")
def synthetic() -> SyntheticSample:
    return generate_sample(seed=7)


@pytest.fixture(scope="module")
def loaded(synthetic: SyntheticSample, tmp_path_factory: pytest.TempPathFactory) -> LoadedSample:
    return load_sample(synthetic.to_csv(tmp_path_factory.mktemp("syn") / "payroll.csv"))


def test_same_seed_same_data(synthetic: SyntheticSample) -> None:
    again = generate_sample(seed=7)
    pd.testing.assert_frame_equal(again.df, synthetic.df)
    assert again.anomalies == synthetic.anomalies
    other = generate_sample(seed=8)
    assert not other.df.equals(synthetic.df)


def test_shape_and_columns(synthetic: SyntheticSample) -> None:
    df = synthetic.df
    assert list(df.columns) == [
        "timestamp",
        "user",
        "action",
        "outcome",
        "source_ip",
        "country",
        "records",
        "session_id",
    ]
    assert 30_000 < len(df) < 80_000
    assert (
        df["timestamp"].is_monotonic_increasing
        or pd.to_datetime(df["timestamp"], utc=True).is_monotonic_increasing
    )
    assert {
        "login",
        "logout",
        "view_record",
        "search",
        "update_record",
        "export",
        "permission_change",
    } <= set(df["action"])
    assert {"svc_payroll_batch", "svc_hr_sync", "admin.jones"} <= set(df["user"])
    # Offsets follow Europe/London: GMT, then BST from 31 March 2024.
    assert df["timestamp"].iloc[0].endswith("+00:00")
    assert df["timestamp"].iloc[-1].startswith("2024-03-31") and df["timestamp"].iloc[-1].endswith("+01:00")


def test_planted_anomalies_are_listed_and_present(synthetic: SyntheticSample) -> None:
    kinds = [a.kind for a in synthetic.anomalies]
    assert kinds == ["weekend_bulk_export", "brute_force", "night_login", "service_account_new_host"]
    df = synthetic.df.assign(ts=pd.to_datetime(synthetic.df["timestamp"], utc=True))
    for a in synthetic.anomalies:
        assert PlantedAnomaly.from_dict(a.to_dict()) == a
        window = df[
            (df["ts"] >= pd.Timestamp(a.start))
            & (df["ts"] <= pd.Timestamp(a.end))
            & (df["source_ip"] == a.source_ip)
        ]
        assert len(window) == a.events, a.kind
    export = synthetic.anomalies[0]
    assert pd.Timestamp(export.start).day_name() == "Saturday"
    night = synthetic.anomalies[2]
    assert pd.Timestamp(night.start).tz_convert("Europe/London").hour == 3
    brute = synthetic.anomalies[1]
    assert brute.who == BRUTE_FORCE_IP and brute.events == 80


def test_thresholds_catch_the_brute_force(loaded: LoadedSample) -> None:
    failed = count_series(
        loaded,
        entity_role="source_ip",
        tz="Europe/London",
        where={"action": "^login$", "outcome": ["failure"]},
    )
    (p99,) = propose_thresholds(failed, methods=["p99+20%"], days=28)
    assert p99.value is not None and p99.value < 80
    alerts = failed[failed > p99.value]
    assert (BRUTE_FORCE_IP, "2024-03-19") in alerts.index
    assert len(alerts) <= 3  # the burst, not every typo


def test_thresholds_catch_the_bulk_exports(loaded: LoadedSample) -> None:
    exports = count_series(loaded, tz="Europe/London", where={"action": "^export$"})
    p99, mad = propose_thresholds(exports, methods=["p99+20%", "mad3"], days=28)
    # The two anomalies are in the sample, so its 99th percentile sits between them:
    # the percentile catches the big one only, the median + MAD catches both.
    assert list(exports[exports > p99.value].index) == [("clerk07", "2024-03-16")]
    alerts = exports[exports > mad.value]
    assert ("clerk07", "2024-03-16") in alerts.index
    assert ("svc_payroll_batch", "2024-03-27") in alerts.index
    assert len(alerts) == 2


def test_profile_shows_night_login_and_new_host(synthetic: SyntheticSample, loaded: LoadedSample) -> None:
    opts = profile_options_from_answers(synthetic.answers())
    assert opts["tz"] == "Europe/London"
    profile = build_profile(loaded, **opts)
    assert profile.hourly_by_weekday.counts[3][3] == 8  # Thursday 03:00, admin.jones
    # Password spraying: 20 accounts failing from one address in a day.
    assert profile.failures is not None and profile.failures.failing_entities_per_source_day is not None
    assert profile.failures.failing_entities_per_source_day.max == 20
    assert profile.figure("failing_entities_per_source_day.p99") < 20
    batch = profile.service_accounts["svc_payroll_batch"]
    assert batch.sources == ["10.1.0.10", "10.20.0.15"]
    assert batch.hour_of_day[11] == 4
    found = {(d.question_id, d.severity) for d in compare_claims(profile, synthetic.answers())}
    assert ("service.accounts", "high") in found  # batch account from a new host
    assert any(q == "access.weekend_use" for q, _ in found)
    assert any(q == "access.networks" for q, _ in found)


def test_start_must_be_monday() -> None:
    with pytest.raises(InputError, match="not a Monday"):
        generate_sample(start="2024-03-05")
    with pytest.raises(InputError):
        generate_sample(weeks=2)


def test_written_csv_round_trips(synthetic: SyntheticSample, tmp_path: Path) -> None:
    path = synthetic.to_csv(tmp_path / "out" / "p.csv")
    back = pd.read_csv(path)
    assert len(back) == len(synthetic.df)
    assert back["user"].tolist() == synthetic.df["user"].tolist()
