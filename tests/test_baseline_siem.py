"""SIEM queries, and profiles rebuilt from their result tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workshop.baseline.build import build_profile
from workshop.baseline.loading import load_sample
from workshop.baseline.sample import LoadedSample
from workshop.baseline.siem import generate_queries, profile_from_siem_tables, render_queries
from workshop.baseline.synthetic import generate_sample
from workshop.core.errors import InputError, LoadError
from workshop.vocab import TimeWindow

MAPPING = {
    "timestamp": "event.created",
    "user": "user.name",
    "action": "event.action",
    "outcome": "event.outcome",
    "source_ip": "source.ip",
    "records": "records",
}


@pytest.mark.parametrize("siem", ["splunk", "kql", "esql"])
def test_queries_use_the_mapped_fields(siem: str) -> None:
    queries = generate_queries(siem, MAPPING, index="payroll", days=14)
    assert [q.name for q in queries] == ["activity", "action", "outcome", "source_ip"]
    activity = queries[0]
    assert activity.columns == ("entity", "time", "events", "failures", "records")
    text = activity.text
    assert "user.name" in text and "event.outcome" in text and "records" in text
    assert "payroll" in text and "14" in text
    action = queries[1]
    assert action.columns == ("action", "entity", "time", "events", "failures")
    assert "event.action" in action.text
    assert "\n" in render_queries(queries) and "export columns action, entity, time" in render_queries(
        queries
    )


def test_query_dialects() -> None:
    spl = generate_queries("splunk", MAPPING)[0].text
    assert "bin _time span=1h" in spl and "'user.name'" in spl and "index=main" in spl
    kql = generate_queries("kql", MAPPING)[0].text
    assert "bin(['event.created'], 1h)" not in kql  # dotted names are property paths in KQL
    assert "bin(event.created, 1h)" in kql and kql.startswith("// ")
    esql = generate_queries("esql", {"user": "user name", "timestamp": "@timestamp"})[0].text
    assert (
        "TO_STRING(`user name`)" in esql
        and "DATE_TRUNC(1 hour, @timestamp)" in esql
        and "LIMIT 10000" in esql
    )
    kql_hyphen = generate_queries("kql", {"user": "u"}, index="app-audit")[0].text
    assert "['app-audit']" in kql_hyphen


def test_query_input_is_checked() -> None:
    with pytest.raises(InputError, match="unknown SIEM"):
        generate_queries("qradar", MAPPING)
    with pytest.raises(InputError, match="cannot hold safely"):
        generate_queries("splunk", {"user": "x' | delete"})
    with pytest.raises(InputError, match="cannot hold safely"):
        generate_queries("kql", {"user": "u"}, index="t | drop")
    with pytest.raises(InputError, match="map the entity"):
        generate_queries("esql", {"action": "a"})


FAILURES = {"failure", "denied"}


def siem_exports(sample: LoadedSample, tmp_path: Path) -> list[Path]:
    """What the generated queries would export, computed independently with pandas:
    hourly UTC buckets per user (and per action/outcome/source/country)."""
    df = sample.df.copy()
    df["time"] = df["timestamp"].dt.floor("h").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    df["failed"] = df["outcome"].astype(str).isin(FAILURES).astype(int)
    df["entity"] = df["user"].astype(str)
    paths = []
    act = df.groupby(["entity", "time"], observed=True).agg(
        events=("entity", "size"), failures=("failed", "sum"), records=("records", "sum")
    )
    p = tmp_path / "activity.csv"
    act.reset_index().to_csv(p, index=False)
    paths.append(p)
    for role in ("action", "outcome", "source_ip", "country"):
        df[role] = df[role].astype(str)
        t = df.groupby([role, "entity", "time"]).agg(events=("entity", "size"), failures=("failed", "sum"))
        p = tmp_path / f"{role}.csv"
        t.reset_index().to_csv(p, index=False)
        paths.append(p)
    return paths


@pytest.fixture(scope="module")
def synthetic_sample(tmp_path_factory: pytest.TempPathFactory) -> LoadedSample:
    path = generate_sample(seed=11).to_csv(tmp_path_factory.mktemp("siem") / "payroll.csv")
    return load_sample(path)


def test_tables_give_the_same_profile(synthetic_sample: LoadedSample, tmp_path: Path) -> None:
    tz = "Europe/London"
    bh = TimeWindow(timezone=tz)
    accounts = ["svc_payroll_batch", "svc_hr_sync"]
    direct = build_profile(synthetic_sample, tz=tz, business_hours=bh, service_accounts=accounts).to_dict()
    tables = siem_exports(synthetic_sample, tmp_path)
    rebuilt = profile_from_siem_tables(
        tables, "user", tz, business_hours=bh, service_accounts=accounts
    ).to_dict()
    assert rebuilt["precision"] == "hour"
    for key in (
        "events",
        "entities",
        "days_covered",
        "span_days",
        "per_entity_day",
        "per_entity_hour",
        "per_day",
        "hour_of_day",
        "weekday",
        "hourly_by_weekday",
        "weekend_share",
        "out_of_hours_share",
        "actions",
        "actions_summary",
        "outcomes",
        "sources",
        "countries",
        "first_seen",
        "distinct_per_entity_day",
        "entities_per_value_day",
        "failures",
        "logins",
        "exports",
    ):
        assert rebuilt[key] == direct[key], key
    assert rebuilt["volumes"]["records"]["per_entity_day"] == direct["volumes"]["records"]["per_entity_day"]
    assert rebuilt["volumes"]["records"]["total"] == direct["volumes"]["records"]["total"]
    for name in accounts:
        a, b = rebuilt["service_accounts"][name], direct["service_accounts"][name]
        assert {k: a[k] for k in ("events", "hour_of_day", "sources", "days", "first", "last")} == {
            k: b[k] for k in ("events", "hour_of_day", "sources", "days", "first", "last")
        }
    # Hour buckets: first and last are the buckets' starts, in the profile's zone.
    assert rebuilt["first"] == "2024-03-04T02:00:00+00:00"
    assert direct["first"].startswith("2024-03-04T02:0")


def test_day_tables_with_a_clock_table(tmp_path: Path) -> None:
    (tmp_path / "days.csv").write_text(
        "user,day,count\nalice,2024-03-04,3\nalice,2024-03-05,1\nbob,2024-03-04,3\n", encoding="utf-8"
    )
    (tmp_path / "clock.csv").write_text("weekday,hour,events\nMonday,9,6\ntue,8,1\n", encoding="utf-8")
    prof = profile_from_siem_tables([tmp_path / "days.csv", tmp_path / "clock.csv"], "user")
    assert prof.precision == "day"
    assert (prof.events, prof.entities) == (7, 2)
    assert prof.per_entity_day.histogram == [[1, 1], [3, 2]]
    assert prof.per_entity_hour is None
    assert prof.weekday == [6, 1, 0, 0, 0, 0, 0]
    assert prof.hour_of_day[9] == 6 and prof.hour_of_day[8] == 1
    assert (prof.first, prof.last) == ("2024-03-04", "2024-03-05")
    only_days = profile_from_siem_tables([tmp_path / "days.csv"], "user")
    assert any("days only" in w for w in only_days.warnings)


def test_splunk_style_offsets(tmp_path: Path) -> None:
    # Splunk's strftime %z writes +0100; the bucket is converted to the profile's zone.
    (tmp_path / "a.csv").write_text("entity,time,events\na,2024-03-04T09:00:00+0100,2\n", encoding="utf-8")
    prof = profile_from_siem_tables([tmp_path / "a.csv"], "user", "UTC")
    assert prof.hour_of_day[8] == 2


def test_bad_tables(tmp_path: Path) -> None:
    (tmp_path / "noev.csv").write_text("entity,time\na,2024-03-04T09:00:00Z\n", encoding="utf-8")
    with pytest.raises(LoadError, match="no 'events'"):
        profile_from_siem_tables([tmp_path / "noev.csv"])
    (tmp_path / "bad.csv").write_text(
        "entity,time,events\na,2024-03-04T09:00:00Z,2\nb,later,1\n", encoding="utf-8"
    )
    with pytest.raises(LoadError, match="'time' holds 'later'") as err:
        profile_from_siem_tables([tmp_path / "bad.csv"])
    assert err.value.location.line == 3
    (tmp_path / "act.csv").write_text(
        "action,entity,time,events\nx,a,2024-03-04T09:00:00Z,1\n", encoding="utf-8"
    )
    with pytest.raises(LoadError, match="no activity table"):
        profile_from_siem_tables([tmp_path / "act.csv"])
    (tmp_path / "num.csv").write_text("entity,time,events\na,2024-03-04T09:00:00Z,many\n", encoding="utf-8")
    with pytest.raises(LoadError, match="'events' holds 'many'"):
        profile_from_siem_tables([tmp_path / "num.csv"])
    with pytest.raises(InputError):
        profile_from_siem_tables([])


def test_dataframes_accepted() -> None:
    frame = pd.DataFrame({"user": ["a", "a", "b"], "time": ["2024-03-04T09:00:00Z"] * 3, "events": [1, 2, 4]})
    prof = profile_from_siem_tables([frame], "user")
    # Duplicate buckets (two exports of one hour) are summed.
    assert prof.per_entity_hour is not None and prof.per_entity_hour.histogram == [[3, 1], [4, 1]]


def test_day_tables_without_hours_still_give_weekdays(tmp_path: Path) -> None:
    # 9 March 2024 is a Saturday.
    (tmp_path / "d.csv").write_text("entity,day,events\na,2024-03-08,3\na,2024-03-09,1\n", encoding="utf-8")
    prof = profile_from_siem_tables([tmp_path / "d.csv"], "user")
    assert prof.weekday == [0, 0, 0, 0, 3, 1, 0]
    assert prof.weekend_share == 0.25
    assert prof.hour_of_day == [0] * 24
