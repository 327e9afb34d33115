"""Profile figures on a crafted sample, checked against values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop.baseline.build import build_profile, count_series
from workshop.baseline.figures import Distribution
from workshop.baseline.loading import load_sample
from workshop.baseline.options import ProfileOptions, classify_failures
from workshop.baseline.profile import Profile
from workshop.baseline.sample import LoadedSample
from workshop.core.errors import InputError
from workshop.vocab import TimeWindow

# 2024-03-04 is a Monday; the sample spans Monday 4 to Sunday 10 March (7 days).
SAMPLE = """ts,user,action,outcome,src_ip,records,sid
2024-03-04T09:00:00Z,alice,login,success,10.0.0.1,,s1
2024-03-04T09:05:00Z,alice,view,success,10.0.0.1,5,s1
2024-03-04T09:10:00Z,alice,view,success,10.0.0.1,7,s1
2024-03-04T10:00:00Z,bob,login,failure,10.0.0.2,,
2024-03-04T10:01:00Z,bob,login,success,10.0.0.2,,s2
2024-03-04T19:30:00Z,bob,export,success,10.0.0.2,100,s2
2024-03-05T08:30:00Z,alice,login,success,10.0.0.1,,s3
2024-03-09T23:30:00Z,carol,login,success,192.168.1.5,,s4
2024-03-10T00:30:00Z,carol,export,denied,192.168.1.5,50,s4
"""


@pytest.fixture
def sample(tmp_path: Path) -> LoadedSample:
    p = tmp_path / "audit.csv"
    p.write_text(SAMPLE, encoding="utf-8")
    return load_sample(p, mapping={"session": "sid"})


def test_core_figures_utc(sample: LoadedSample) -> None:
    p = build_profile(sample)
    assert p.entity_role == "user"
    assert p.events == 9
    assert p.entities == 3
    assert p.first == "2024-03-04T09:00:00+00:00"
    assert p.last == "2024-03-10T00:30:00+00:00"
    assert p.days_covered == 4
    assert p.span_days == 7
    # Events per user per active day: alice 3 and 1, bob 3, carol 1 and 1.
    d = p.per_entity_day
    assert (d.n, d.p50, d.p90, d.p95, d.p99, d.max) == (5, 1, 3, 3, 3, 3)
    assert d.mean == pytest.approx(1.8)
    assert d.histogram == [[1, 3], [3, 2]]
    # Per user per active hour: alice 09h 3, 08h 1; bob 10h 2, 19h 1; carol 23h 1, 00h 1.
    assert p.per_entity_hour is not None and p.per_entity_hour.histogram == [[1, 4], [2, 1], [3, 1]]
    hours = [0] * 24
    hours[0], hours[8], hours[9], hours[10], hours[19], hours[23] = 1, 1, 3, 2, 1, 1
    assert p.hour_of_day == hours
    assert p.weekday == [6, 1, 0, 0, 0, 1, 1]
    assert p.hourly_by_weekday.weeks == [1] * 7
    assert p.hourly_by_weekday.counts[0][9] == 3
    assert p.hourly_by_weekday.mean[0][9] == 3.0
    assert p.hourly_by_weekday.max[0][10] == 2
    # Per calendar day over the span: 6, 1, 0, 0, 0, 1, 1.
    assert (p.per_day.n, p.per_day.p50, p.per_day.max) == (7, 1, 6)
    assert p.weekend_share == pytest.approx(2 / 9)
    # Inside Mon-Fri 08:00-18:00: alice x3, bob x2 (10:00, 10:01), alice Tue 08:30.
    assert p.out_of_hours_share == pytest.approx(3 / 9)


def test_breakdowns_failures_volumes(sample: LoadedSample) -> None:
    p = build_profile(sample, options=ProfileOptions(top_n=2))
    assert p.actions is not None
    # login 5, then export and view tie at 2: alphabetical order keeps export.
    assert list(p.actions.values) == ["login", "export"]
    login = p.actions.values["login"]
    assert (login.events, login.entities, login.failures) == (5, 3, 1)
    assert login.per_entity_day.histogram == [[1, 3], [2, 1]]  # alice 1+1, bob 2, carol 1
    assert (login.first, login.last) == ("2024-03-04", "2024-03-09")
    assert (p.actions.distinct, p.actions.other_values, p.actions.other_events) == (3, 1, 2)
    # Outcomes: success 7, then denied and failure tie at 1; top 2 keeps denied.
    assert p.outcomes is not None and list(p.outcomes.values) == ["success", "denied"]
    assert (p.outcomes.other_values, p.outcomes.other_events) == (1, 1)
    assert p.sources is not None and list(p.sources.values) == ["10.0.0.1", "10.0.0.2"]
    assert p.sources.values["10.0.0.2"].failures == 1
    f = p.failures
    assert f is not None
    assert f.values == ["denied", "failure"]
    assert f.events == 2
    assert f.ratio == pytest.approx(2 / 9)
    # Per user: alice 0/4, bob 1/3, carol 1/2.
    assert f.per_entity_ratio.max == pytest.approx(0.5)
    assert f.per_entity_ratio.p50 == pytest.approx(1 / 3)
    # Failures per user per active day: 0, 0, 1, 0, 1.
    assert f.per_entity_day.histogram == [[0, 3], [1, 2]]
    assert f.per_source_day is not None and f.per_source_day.max == 1
    rec = p.volumes["records"]
    assert rec.total == 162
    assert rec.events_with_value == 4
    # Records per user per active day: alice 12 and 0, bob 100, carol 0 and 50.
    assert (rec.per_entity_day.p50, rec.per_entity_day.max) == (12, 100)
    assert rec.per_event is not None and rec.per_event.p50 == pytest.approx(28.5)
    assert p.sessions is not None and p.sessions.count == 4


def test_sessions_exact(sample: LoadedSample) -> None:
    s = build_profile(sample).sessions
    assert s is not None
    # s1: 3 events over 600 s; s2: 2 events 10:01-19:30 (34140 s); s3: 1 event; s4: 2 events 3600 s.
    assert s.events_per_session.histogram is None
    assert (s.events_per_session.max, s.events_per_session.p50) == (3, 2)
    assert s.duration_seconds.max == 34140
    assert s.duration_seconds.p50 == pytest.approx((600 + 3600) / 2)


def test_first_seen_and_daily_activity(sample: LoadedSample) -> None:
    p = build_profile(sample)
    users = p.first_seen["user"]
    assert users.count == 3 and not users.truncated
    assert [(v.value, v.events, v.first, v.last) for v in users.values] == [
        ("alice", 4, "2024-03-04", "2024-03-05"),
        ("bob", 3, "2024-03-04", "2024-03-04"),
        ("carol", 2, "2024-03-09", "2024-03-10"),
    ]
    assert p.first_seen["source_ip"].names() == ["10.0.0.1", "10.0.0.2", "192.168.1.5"]
    assert p.first_seen["action"].names() == ["login", "export", "view"]
    capped = build_profile(sample, options=ProfileOptions(value_cap=2))
    assert capped.first_seen["user"].truncated and capped.first_seen["user"].count == 3
    assert len(capped.first_seen["user"].values) == 2
    logins = p.logins
    assert logins is not None and logins.actions == ["login"]
    assert (logins.events, logins.failed) == (5, 1)
    # Successful logins per calendar day: 2, 1, 0, 0, 0, 1, 0.
    assert logins.per_day.histogram == [[0, 4], [1, 2], [2, 1]]
    assert p.exports is not None and p.exports.events == 2


def test_tz_shifts_hours_and_weekdays_across_midnight(sample: LoadedSample) -> None:
    # Tokyo is UTC+9: bob's 19:30Z export moves to Tuesday 04:30, carol's Saturday
    # 23:30Z login to Sunday 08:30.
    p = build_profile(sample, tz="Asia/Tokyo")
    assert p.timezone == "Asia/Tokyo"
    assert p.first == "2024-03-04T18:00:00+09:00"
    assert p.weekday == [5, 2, 0, 0, 0, 0, 2]
    hours = [0] * 24
    hours[4], hours[8], hours[9], hours[17], hours[18], hours[19] = 1, 1, 1, 1, 3, 2
    assert p.hour_of_day == hours
    # alice Mon 3, Tue 1; bob Mon 2, Tue 1; carol Sun 2.
    assert p.per_entity_day.histogram == [[1, 2], [2, 2], [3, 1]]
    assert p.days_covered == 3
    assert p.weekend_share == pytest.approx(2 / 9)


def test_tz_with_daylight_saving(tmp_path: Path) -> None:
    # New York moves to EDT on 10 March 2024 at 02:00 local (07:00 UTC).
    p = tmp_path / "ny.csv"
    p.write_text("ts,user\n2024-03-10T06:30:00Z,a\n2024-03-10T07:30:00Z,a\n", encoding="utf-8")
    prof = build_profile(load_sample(p), tz="America/New_York")
    hours = [0] * 24
    hours[1], hours[3] = 1, 1  # 01:30 EST, then 03:30 EDT
    assert prof.hour_of_day == hours
    assert prof.first == "2024-03-10T01:30:00-05:00"
    assert prof.last == "2024-03-10T03:30:00-04:00"


def test_business_hours_window_and_zone(sample: LoadedSample) -> None:
    p = build_profile(sample, business_hours=TimeWindow.parse("mon-sun 00:00-24:00"))
    assert p.out_of_hours_share == 0
    p = build_profile(sample, business_hours=TimeWindow.parse("mon-fri 09:00-09:06"))
    assert p.out_of_hours_share == pytest.approx(7 / 9)
    # A window in another zone than the profile's is applied in its own zone:
    # 10:00-11:00 Paris is 09:00-10:00 UTC in March.
    bh = TimeWindow(days=("mon",), start="10:00", end="11:00", timezone="Europe/Paris")
    assert build_profile(sample, business_hours=bh).out_of_hours_share == pytest.approx(6 / 9)
    # Overnight window.
    night = TimeWindow.parse("sat,sun 22:00-02:00")
    assert build_profile(sample, business_hours=night).out_of_hours_share == pytest.approx(7 / 9)


def test_business_hours_parsing() -> None:
    assert TimeWindow.parse("mon-fri 08:00-18:00") == TimeWindow()
    assert TimeWindow.parse("fri-mon 9:00-17:30").days == ("mon", "fri", "sat", "sun")
    assert TimeWindow.from_answer(
        {"days": ["Tue"], "start": "07:00", "end": "19:00", "timezone": "UTC"}
    ).days == ("tue",)
    with pytest.raises(InputError):
        TimeWindow.parse("weekdays")
    with pytest.raises(InputError):
        TimeWindow(start="25:00")
    with pytest.raises(InputError):
        TimeWindow(days=("funday",))


def test_entity_choice(sample: LoadedSample) -> None:
    p = build_profile(sample, entity_role="source_ip")
    assert p.entity_role == "source_ip" and p.entities == 3
    assert p.sources is None  # the entity is not broken down by itself
    assert p.first_seen["user"].count == 3
    with pytest.raises(InputError, match="entity role 'country' is not mapped"):
        build_profile(sample, entity_role="country")


def test_service_accounts(sample: LoadedSample) -> None:
    p = build_profile(sample, service_accounts=["carol", "svc_missing"])
    carol = p.service_accounts["carol"]
    assert carol.events == 2
    assert carol.active_hours() == [0, 23]
    assert carol.weekday == [0, 0, 0, 0, 0, 1, 1]
    assert carol.sources == ["192.168.1.5"]
    assert (carol.first, carol.last, carol.days) == ("2024-03-09", "2024-03-10", 2)
    assert p.service_accounts["svc_missing"].events == 0


def test_events_without_entity(tmp_path: Path) -> None:
    p = tmp_path / "n.csv"
    p.write_text("ts,user\n2024-03-04T09:00:00Z,a\n2024-03-04T09:01:00Z,\n", encoding="utf-8")
    prof = build_profile(load_sample(p))
    assert prof.events == 2 and prof.entities == 1 and prof.events_without_entity == 1
    assert prof.per_entity_day.histogram == [[1, 1]]
    assert any("have no user" in w for w in prof.warnings)


def test_round_trip_and_json(sample: LoadedSample) -> None:
    p = build_profile(sample, tz="Europe/London", service_accounts=["carol"])
    data = p.to_dict()
    again = Profile.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert again.per_entity_day.samples().tolist() == [1, 1, 1, 3, 3]
    slim = p.to_dict(histograms=False)
    assert "histogram" not in slim["per_entity_day"]
    for key in ("events", "entities", "first", "last", "per_entity_day", "hour_of_day", "weekday", "actions"):
        assert key in data
    assert set(data["per_entity_day"]) >= {"p50", "p90", "p95", "p99", "max"}
    assert data["mapping"]["session"] == "sid"
    assert "alice" not in json.dumps(data["actions"])  # no raw values beyond first-seen lists


def test_business_hours_are_stored_as_before(sample: LoadedSample) -> None:
    # A window carrying a label (as the interview's facts give it) is stored as
    # profiles always stored business hours: days, start, end and zone, no label.
    window = TimeWindow(("mon", "tue"), "07:00", "19:30", "Europe/London", label="business hours")
    data = build_profile(sample, tz="Europe/London", business_hours=window).to_dict()
    assert data["business_hours"] == {
        "days": ["mon", "tue"], "start": "07:00", "end": "19:30", "timezone": "Europe/London",
    }  # fmt: skip
    # A profile stored by the earlier releases reads back as the same window.
    data["business_hours"] = {"days": ["mon", "tue"], "start": "07:00", "end": "19:30", "timezone": None}
    again = Profile.from_dict(data)
    assert again.business_hours == TimeWindow(("mon", "tue"), "07:00", "19:30", None)
    assert again.to_dict()["business_hours"]["timezone"] is None


def test_count_series(sample: LoadedSample) -> None:
    s = count_series(sample)
    assert s.to_dict() == {
        ("alice", "2024-03-04"): 3,
        ("alice", "2024-03-05"): 1,
        ("bob", "2024-03-04"): 3,
        ("carol", "2024-03-09"): 1,
        ("carol", "2024-03-10"): 1,
    }
    exports = count_series(sample, where={"action": "^export$"})
    assert exports.to_dict() == {("bob", "2024-03-04"): 1, ("carol", "2024-03-10"): 1}
    failed = count_series(sample, entity_role="source_ip", where={"outcome": ["failure", "denied"]})
    assert failed.to_dict() == {("10.0.0.2", "2024-03-04"): 1, ("192.168.1.5", "2024-03-10"): 1}
    hourly = count_series(sample, window="hour", tz="Asia/Tokyo")
    assert hourly.index.names == ["entity", "hour"]
    assert hourly.max() == 3


def test_classify_failures() -> None:
    flags = classify_failures(["success", "FAILED", "200", "404", "5xx", "2xx", "denied ", "302"])
    assert flags.tolist() == [False, True, False, True, True, False, True, False]
    assert classify_failures(["404"], http_failure_min=None).tolist() == [False]


def test_distribution_of_empty_and_floats() -> None:
    assert Distribution.of([]).n == 0
    d = Distribution.of([0.5, 1.5], histogram=True)
    assert d.histogram == [[0.5, 1], [1.5, 1]]
    assert d.p50 == 1.0


def test_percentiles_from_counts_match_numpy() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    for data in (rng.poisson(4, 1001), rng.integers(0, 50, 7), np.array([5]), rng.poisson(0.2, 300)):
        d = Distribution.of(data)
        expected = np.percentile(data, [50, 90, 95, 99])
        assert [d.p50, d.p90, d.p95, d.p99] == pytest.approx(list(expected))
        assert d.max == data.max() and d.mean == pytest.approx(data.mean())


def test_distinct_counts(sample: LoadedSample) -> None:
    p = build_profile(sample)
    # Actions per user per day: alice 2 then 1, bob 2, carol 1 and 1.
    assert p.distinct_per_entity_day["action"].histogram == [[1, 3], [2, 2]]
    # Users per action per day: login on 4 March by alice and bob, every other pair alone.
    assert p.entities_per_value_day["action"].histogram == [[1, 5], [2, 1]]
    assert p.distinct_per_entity_day["source_ip"].histogram == [[1, 5]]
    assert p.failures is not None
    # Failing users per address per day: bob from 10.0.0.2, carol from 192.168.1.5.
    assert p.failures.failing_entities_per_source_day is not None
    assert p.failures.failing_entities_per_source_day.histogram == [[0, 3], [1, 2]]


def test_figures_by_name(sample: LoadedSample) -> None:
    p = build_profile(sample)
    assert p.figure("per_entity_day.p99") == 3
    assert p.figure("records_per_entity_day.max") == 100
    assert p.figure("volumes.records.per_entity_day.p50") == 12
    assert p.figure("failures_per_source_day.max") == 1
    assert p.figure("first_seen.source_ip")["count"] == 3
    assert p.figure("distinct_per_entity_day.action.max") == 2
    assert p.figure("hourly_by_weekday.mean")[0][9] == 3
    with pytest.raises(KeyError, match="needs a role"):
        p.figure("distinct_per_entity_day.p99")
    with pytest.raises(KeyError, match=r"volumes\.bytes"):
        p.figure("bytes_per_entity_day.p99")
