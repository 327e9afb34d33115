"""Reading samples: format detection, mapping proposals, time zones, and every bad-file case."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workshop.baseline.detect import detect_format
from workshop.baseline.loading import inspect_sample, load_sample
from workshop.baseline.mapping import merge_mapping, parse_map_args, propose_mapping
from workshop.baseline.timestamps import parse_timestamps
from workshop.core.errors import InputError, LoadError

CSV = """ts,user,action,outcome,src_ip,records
2024-03-04T09:00:00Z,alice,login,success,10.0.0.1,
2024-03-04T09:05:00Z,alice,view,success,10.0.0.1,5
2024-03-04T09:10:00Z,alice,view,success,10.0.0.1,7
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")


# --------------------------------------------------------------------------- detection and mapping


def test_csv_detected_and_mapped(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", CSV)
    ins = inspect_sample(p)
    assert ins.format == "csv"
    assert ins.delimiter == ","
    assert ins.proposal.mapping == {
        "timestamp": "ts",
        "user": "user",
        "action": "action",
        "outcome": "outcome",
        "source_ip": "src_ip",
        "records": "records",
    }
    assert "ts" in ins.proposal.reasons["timestamp"]
    assert ins.examples["user"] == ["alice", "alice", "alice"]


def test_semicolon_csv_and_other_names(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "b.csv",
        "event_time;actor;operation;result;client_ip;bytes_sent;session_id\n"
        "2024-03-04 09:00:00;alice;read;ok;10.0.0.1;100;s1\n"
        "2024-03-04 09:01:00;bob;write;denied;10.0.0.2;200;s2\n",
    )
    ins = inspect_sample(p)
    assert ins.delimiter == ";"
    assert ins.proposal.mapping == {
        "timestamp": "event_time",
        "user": "actor",
        "action": "operation",
        "outcome": "result",
        "source_ip": "client_ip",
        "bytes": "bytes_sent",
        "session": "session_id",
    }


def test_value_checks_veto_a_name(tmp_path: Path) -> None:
    # "ip" holds no addresses, so it is not proposed as source_ip; "when" holds dates.
    frame = pd.DataFrame(
        {"when": ["2024-03-04T09:00:00Z"] * 3, "ip": ["n/a", "x", "y"], "login": ["a", "b", "c"]}
    )
    proposal = propose_mapping(frame)
    assert proposal.mapping == {"timestamp": "when", "user": "login"}


def test_jsonl_nested_fields(tmp_path: Path) -> None:
    lines = [
        {
            "@timestamp": "2024-03-04T09:00:00Z",
            "user": {"name": "alice"},
            "event": {"action": "login", "outcome": "success"},
            "source": {"ip": "10.0.0.1"},
        },
        {
            "@timestamp": "2024-03-04T10:00:00+01:00",
            "user": {"name": "bob"},
            "event": {"action": "view", "outcome": "failure"},
            "source": {"ip": "10.0.0.2"},
        },
    ]
    p = write(tmp_path, "a.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    assert detect_format(p) == "jsonl"
    s = load_sample(p)
    assert s.format == "jsonl"
    assert s.mapping == {
        "timestamp": "@timestamp",
        "user": "user.name",
        "action": "event.action",
        "outcome": "event.outcome",
        "source_ip": "source.ip",
    }
    assert list(s.df["user"]) == ["alice", "bob"]
    assert list(s.df["timestamp"]) == [utc("2024-03-04T09:00:00Z"), utc("2024-03-04T09:00:00Z")]


def test_jsonl_mixed_types_read_as_text(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "m.jsonl",
        '{"time": "2024-03-04T09:00:00Z", "user": "a", "status": 200}\n'
        '{"time": "2024-03-04T09:01:00Z", "user": "b", "status": "denied"}\n',
    )
    s = load_sample(p, mapping={"outcome": "status"})
    assert list(s.df["outcome"]) == ["200", "denied"]


def test_parquet_with_typed_timestamps(tmp_path: Path) -> None:
    table = pa.table(
        {
            "event_time": pa.array(
                pd.to_datetime(["2024-03-04 09:00", "2024-03-04 10:30"]), pa.timestamp("us")
            ),
            "username": ["alice", "bob"],
            "count": [3, 4],
        }
    )
    p = tmp_path / "a.parquet"
    pq.write_table(table, p)
    assert detect_format(p) == "parquet"
    s = load_sample(p, default_tz="Europe/Paris", mapping={"records": "count"})
    assert s.mapping == {"timestamp": "event_time", "user": "username", "records": "count"}
    # Naive 09:00 in Paris (UTC+1 in March) is 08:00 UTC.
    assert s.df["timestamp"].iloc[0] == utc("2024-03-04T08:00:00Z")
    assert list(s.df["records"]) == [3.0, 4.0]


def test_map_args_and_merge() -> None:
    assert parse_map_args(["user=actor", "session="]) == {"user": "actor", "session": None}
    with pytest.raises(InputError, match="unknown role 'usr'"):
        parse_map_args(["usr=x"])
    with pytest.raises(InputError, match="ROLE=COLUMN"):
        parse_map_args(["user"])
    merged = merge_mapping(
        {"timestamp": "ts", "user": "u", "session": "s"}, {"user": "actor", "session": None}
    )
    assert merged == {"timestamp": "ts", "user": "actor"}
    assert merge_mapping({"timestamp": "ts", "user": "u"}, {"timestamp": "t2"}, exact=True) == {
        "timestamp": "t2"
    }


def test_user_override_replaces_proposal(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", CSV)
    s = load_sample(p, mapping={"user": "src_ip", "source_ip": None})
    assert s.mapping["user"] == "src_ip"
    assert "source_ip" not in s.mapping
    assert list(s.df.columns) == ["timestamp", "user", "action", "outcome", "records"]


def test_only_mapped_columns_are_kept(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", "ts,user,secret\n2024-03-04T09:00:00Z,alice,password1\n")
    s = load_sample(p)
    assert list(s.df.columns) == ["timestamp", "user"]
    assert "password1" not in s.df.to_string()


# --------------------------------------------------------------------------- access logs


def test_apache_sample_is_combined_and_profiles_by_client_ip(shared_dir: Path) -> None:
    from workshop.baseline.build import build_profile

    path = shared_dir / "samples" / "apache_access.log"
    assert detect_format(path) == "combined"
    s = load_sample(path)
    assert s.format == "combined"
    assert s.mapping["source_ip"] == "client"
    assert "user" not in s.mapping  # every authuser is "-"
    assert len(s.df) == 10000
    profile = build_profile(s)
    assert profile.entity_role == "source_ip"
    assert profile.events == 10000
    assert profile.entities == 1753
    assert profile.first.startswith("2015-05-17T10:05")
    assert profile.last.startswith("2015-05-20T21:05")
    assert profile.days_covered == 4
    assert sum(profile.hour_of_day) == 10000
    # 17 May 2015 was a Sunday; the sample runs Sunday to Wednesday.
    assert profile.weekday[6] > 0 and profile.weekday[3:6] == [0, 0, 0]
    assert profile.actions is not None and "GET /favicon.ico" in profile.actions.values
    assert profile.failures is not None and profile.failures.events == 220
    assert "404" in profile.failures.values


def test_common_log_format(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "access.log",
        '10.0.0.1 - alice [04/Mar/2024:09:00:00 +0100] "GET /orders/123?x=1 HTTP/1.1" 200 512\n'
        '10.0.0.2 - - [04/Mar/2024:09:00:05 +0100] "POST /orders/456 HTTP/1.1" 403 -\n'
        "\n"
        '10.0.0.1 - alice [04/Mar/2024:09:01:00 +0100] "GET /a/3f2c9e1d-aaaa-bbbb-cccc-1234567890ab/b HTTP/1.1" 500 10\n',
    )
    assert detect_format(p) == "common"
    s = load_sample(p)
    assert s.mapping["user"] == "authuser"  # some lines carry a user
    assert list(s.df["action"]) == ["GET /orders/:id", "POST /orders/:id", "GET /a/:id/b"]
    assert list(s.df["outcome"]) == ["200", "403", "500"]
    assert list(s.df["user"].astype(object).where(s.df["user"].notna(), None)) == ["alice", None, "alice"]
    assert s.df["timestamp"].iloc[0] == utc("2024-03-04T08:00:00Z")
    assert s.df["bytes"].isna().tolist() == [False, True, False]


def test_access_log_bad_line_reported(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "access.log",
        '10.0.0.1 - - [04/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 5\n' * 10 + "garbage line\n",
    )
    with pytest.raises(LoadError) as err:
        load_sample(p, fmt="common")
    assert err.value.location.line == 11
    assert "1 line(s) do not match" in err.value.message
    s = load_sample(p, fmt="common", skip_bad_rows=True)
    assert len(s.df) == 10
    assert any("skipped" in w for w in s.warnings)


# --------------------------------------------------------------------------- time stamps


def test_offsets_naive_and_mixed_times(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "t.csv",
        "time,user\n2024-03-04T10:00:00+02:00,a\n2024-03-04 10:00:00,b\n2024-03-04T10:00:00Z,c\n",
    )
    s = load_sample(p, default_tz="Europe/Paris")
    assert list(s.df["timestamp"]) == [
        utc("2024-03-04T08:00:00Z"),
        utc("2024-03-04T09:00:00Z"),  # naive: Paris, UTC+1
        utc("2024-03-04T10:00:00Z"),
    ]


def test_naive_times_across_daylight_saving() -> None:
    values = pa.array(
        ["2024-03-31 00:30:00", "2024-03-31 01:30:00", "2024-03-31 02:30:00", "2024-10-27 01:30:00"]
    )
    ts, _ = parse_timestamps(values, "Europe/London")
    assert list(ts) == [
        utc("2024-03-31T00:30:00Z"),  # GMT
        utc("2024-03-31T01:00:00Z"),  # 01:30 does not exist: first instant after the gap
        utc("2024-03-31T01:30:00Z"),  # BST
        utc("2024-10-27T00:30:00Z"),  # repeated hour: the first (BST) occurrence
    ]


def test_epoch_seconds_and_milliseconds() -> None:
    secs, _ = parse_timestamps(pa.array([1709542800, 1709542860]), "UTC")
    millis, _ = parse_timestamps(pa.array([1709542800000.0, 1709542860000.0]), "UTC")
    assert list(secs) == list(millis) == [utc("2024-03-04T09:00:00Z"), utc("2024-03-04T09:01:00Z")]


def test_day_first_layout_with_warning(tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", "date,user\n04/03/2024 09:00:00,a\n05/03/2024 10:00:00,b\n")
    s = load_sample(p)
    assert list(s.df["timestamp"]) == [utc("2024-03-04T09:00:00Z"), utc("2024-03-05T10:00:00Z")]
    assert any("day first" in w for w in s.warnings)
    s2 = load_sample(p, timestamp_format="%m/%d/%Y %H:%M:%S")
    assert s2.df["timestamp"].iloc[0] == utc("2024-04-03T09:00:00Z")


# --------------------------------------------------------------------------- bad files


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file is empty") as err:
        load_sample(write(tmp_path, "e.csv", ""))
    assert err.value.location.file.endswith("e.csv")
    with pytest.raises(LoadError, match="only blank lines"):
        load_sample(write(tmp_path, "b.csv", "\n  \n\n"))


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no data rows after the header line"):
        load_sample(write(tmp_path, "h.csv", "ts,user\n"))


def test_no_timestamp_column(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no usable timestamp") as err:
        load_sample(write(tmp_path, "n.csv", "user,action\nalice,login\nbob,view\n"))
    assert "--map timestamp=COLUMN" in err.value.message
    assert "columns: user, action" in err.value.message
    assert err.value.location.line == 1


def test_unparseable_dates_show_count_and_examples(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "u.csv",
        "ts,user\n2024-03-04T09:00:00Z,a\nyesterday,b\n2024-03-04T09:02:00Z,c\nsoon,d\n2024-13-45T99:00:00Z,e\n",
    )
    with pytest.raises(LoadError) as err:
        load_sample(p)
    msg = err.value.message
    assert "3 of 5 value(s) in 'ts' are not dates" in msg
    assert "row 2 (line 3): 'yesterday'" in msg
    assert "row 4 (line 5): 'soon'" in msg
    assert err.value.location.line == 3
    s = load_sample(p, skip_bad_rows=True)
    assert len(s.df) == 2 and s.rows_skipped == 3 and s.rows_read == 5


def test_missing_time_stamps_reported(tmp_path: Path) -> None:
    p = write(tmp_path, "m.csv", "ts,user\n2024-03-04T09:00:00Z,a\n,b\n")
    with pytest.raises(LoadError, match=r"1 row\(s\) have no time stamp, e.g. row 2 \(line 3\)"):
        load_sample(p)


def test_column_of_no_dates(tmp_path: Path) -> None:
    p = write(tmp_path, "x.csv", "ts,user\nfoo,a\nbar,b\n")
    with pytest.raises(LoadError, match="no usable timestamp: column 'ts' holds no dates I can read"):
        load_sample(p, mapping={"timestamp": "ts"})


def test_latin1_bytes(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "ts,user\n2024-03-04T09:00:00Z,ren\xe9\n".encode("latin-1"))
    with pytest.raises(LoadError, match="not UTF-8") as err:
        load_sample(p)
    assert err.value.location.line == 2
    assert "0xE9" in err.value.message


def test_latin1_bytes_beyond_the_head(tmp_path: Path) -> None:
    good = "2024-03-04T09:00:00Z,alice,login\n" * 40000  # ~1.3 MB, past the 1 MB head
    data = ("ts,user,action\n" + good).encode() + b"2024-03-04T09:00:00Z,ren\xe9,login\n"
    p = write(tmp_path, "big.csv", data)
    with pytest.raises(LoadError, match="not UTF-8") as err:
        load_sample(p)
    assert err.value.location.line == 40002


def test_utf16(tmp_path: Path) -> None:
    p = write(tmp_path, "w.csv", "ts,user\n2024-03-04T09:00:00Z,a\n".encode("utf-16"))
    with pytest.raises(LoadError, match="UTF-16"):
        load_sample(p)
    p2 = write(tmp_path, "w2.csv", "ts,user\n2024-03-04T09:00:00Z,a\n".encode("utf-16-le"))
    with pytest.raises(LoadError, match="UTF-16"):
        load_sample(p2)


def test_missing_mapped_column(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", CSV)
    with pytest.raises(LoadError) as err:
        load_sample(p, mapping={"user": "usr"})
    assert "'usr' (mapped to user)" in err.value.message
    assert "the columns are: ts, user, action, outcome, src_ip, records" in err.value.message


def test_over_size_limit(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", CSV)
    with pytest.raises(LoadError, match=r"over the size limit of 100 bytes.*--size-limit"):
        load_sample(p, size_limit=100)
    assert len(load_sample(p, size_limit=10_000).df) == 3


def test_binary_and_compressed(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="binary file"):
        load_sample(write(tmp_path, "x.bin", bytes(range(256)) * 10))
    # A gzip file is read through its content (bounded: tests/test_baseline_bombs.py).
    plain = load_sample(write(tmp_path, "x.csv", CSV))
    packed = load_sample(write(tmp_path, "x.csv.gz", gzip.compress(CSV.encode())))
    assert packed.df.equals(plain.df) and packed.source == "x.csv.gz"
    with pytest.raises(LoadError, match="not a readable Parquet file"):
        load_sample(write(tmp_path, "x.parquet", b"PAR1" + b"\x00garbage" * 10))


def test_ragged_csv_row(tmp_path: Path) -> None:
    p = write(tmp_path, "r.csv", "ts,user\n2024-03-04T09:00:00Z,a\n2024-03-04T09:01:00Z,b,extra\n")
    with pytest.raises(LoadError, match=r"do not have the header's number of columns, e\.g\. line 3") as err:
        load_sample(p)
    assert err.value.location.line == 3


def test_invalid_json_line(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "j.jsonl",
        '{"time": "2024-03-04T09:00:00Z", "user": "a"}\n{"time": "2024-03-04T09:01:00Z", "user": \n',
    )
    with pytest.raises(LoadError, match="not valid JSON") as err:
        load_sample(p)
    assert err.value.location.line == 2


def test_json_array_read(tmp_path: Path) -> None:
    """Issue 17: a JSON array is a JSON document, read as such (it used to be refused)."""
    sample = load_sample(write(tmp_path, "a.json", '[{"time": "2024-03-04T09:00:00Z", "user": "ann"}]'))
    assert sample.format == "json" and len(sample.df) == 1


def test_unknown_zone_and_format(tmp_path: Path) -> None:
    p = write(tmp_path, "a.csv", CSV)
    with pytest.raises(InputError, match="unknown time zone 'Europe/Londn'"):
        load_sample(p, default_tz="Europe/Londn")
    with pytest.raises(InputError, match="unknown format 'xml'"):
        load_sample(p, fmt="xml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        load_sample(tmp_path / "nope.csv")


def test_quoted_line_breaks_in_values(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "q.csv",
        'ts,user,action\n2024-03-04T09:00:00Z,alice,"note\nwith two lines"\n2024-03-04T09:01:00Z,bob,view\n',
    )
    s = load_sample(p)
    assert list(s.df["user"]) == ["alice", "bob"]
    assert list(s.df["action"]) == ["note\nwith two lines", "view"]


def test_bad_time_stamp_after_the_head(tmp_path: Path) -> None:
    # The first 1,000 rows are read for the proposal; a bad value after them must
    # still be reported with its line, not fail the typed fast path.
    rows = "".join(f"2024-03-04T09:{i // 60 % 60:02d}:{i % 60:02d}Z,u{i % 7}\n" for i in range(1500))
    p = write(tmp_path, "late.csv", "ts,user\n" + rows + "not a date,u1\n")
    with pytest.raises(
        LoadError, match=r"1 of 1501 value\(s\) in 'ts' are not dates.*row 1501 \(line 1502\)"
    ):
        load_sample(p)


def test_naive_time_stamps_typed_fast_path(tmp_path: Path) -> None:
    rows = "".join(f"2024-07-01 10:{i % 60:02d}:00,u\n" for i in range(1200))
    s = load_sample(write(tmp_path, "naive.csv", "time,user\n" + rows), default_tz="Europe/London")
    assert s.df["timestamp"].iloc[0] == utc("2024-07-01T09:00:00Z")  # BST
    assert len(s.df) == 1200


# --------------------------------------------------------------------------- issue 17: time stamp forms


@pytest.mark.parametrize(
    ("values", "fmt", "expected"),
    [
        (["2015-07-29 17:41:44,747"], None, "2015-07-29 17:41:44.747000+00:00"),  # log4j: comma
        (["2015-07-29 17:41:44.747"], None, "2015-07-29 17:41:44.747000+00:00"),
        (["20171223-22:15:29:606"], None, "2017-12-23 22:15:29.606000+00:00"),  # compact
        (["1700000000"], None, "2023-11-14 22:13:20+00:00"),  # epoch seconds as text
        (["1700000000123"], None, "2023-11-14 22:13:20.123000+00:00"),  # milliseconds, exact
        (["1700000000123456"], None, "2023-11-14 22:13:20.123456+00:00"),  # microseconds
        (["29/07/2015 17:41:44,747"], "%d/%m/%Y %H:%M:%S,%f", "2015-07-29 17:41:44.747000+00:00"),
        (["1700000000"], "%s", "2023-11-14 22:13:20+00:00"),
    ],
)
def test_time_stamp_forms(values: list[str], fmt: str | None, expected: str) -> None:
    ts, _warnings = parse_timestamps(pa.array(values), "UTC", fmt)
    assert str(ts[0].to_pydatetime()) == expected


def test_epoch_milliseconds_as_numbers_exact() -> None:
    ts, _ = parse_timestamps(pa.array([1700000000123, 1700000000999]), "UTC")
    assert [t.microsecond for t in ts] == [123000, 999000]


def test_date_and_time_columns_joined(tmp_path: Path) -> None:
    p = write(tmp_path, "dt.csv", "date,time,user,action\n2024-03-04,09:00:01.250,alice,login\n"
              "2024-03-04,17:30:00,bob,view\n2024-03-05,23:59:59,alice,export\n")  # fmt: skip
    ins = inspect_sample(p)
    assert ins.proposal.mapping["timestamp"] == "date + time"
    sample = load_sample(p)
    assert list(sample.df["timestamp"].dt.hour) == [9, 17, 23]
    from workshop.baseline.engine import profile_file_streaming

    _s, profile = profile_file_streaming(p)
    assert profile.hour_of_day[9] == profile.hour_of_day[17] == profile.hour_of_day[23] == 1


def test_date_only_is_never_silent(tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", "day,user\n2024-03-04,alice\n2024-03-05,bob\n")
    sample = load_sample(p, mapping={"timestamp": "day"})
    assert any("dates without a time" in w for w in sample.warnings)
