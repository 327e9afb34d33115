"""The streaming engine: the same profile as loading the sample whole, in bounded memory, with progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workshop.baseline.build import build_profile
from workshop.baseline.engine import profile_file_streaming
from workshop.baseline.loading import load_sample
from workshop.baseline.options import ProfileOptions, ReadOptions
from workshop.baseline.synthetic import generate_sample
from workshop.core.errors import LoadError
from workshop.vocab import TimeWindow

CSV = """ts,user,action,outcome,src_ip,records,session
2024-03-04T09:00:00Z,alice,login,success,10.0.0.1,,s1
2024-03-04T09:05:00Z,alice,view,success,10.0.0.1,5,s1
2024-03-04T09:10:00Z,alice,view,success,10.0.0.1,7,s1
2024-03-04T10:00:00Z,bob,login,failure,10.0.0.2,,s2
2024-03-04T10:01:00Z,bob,login,success,10.0.0.2,,s2
2024-03-04T19:30:00Z,bob,export,success,10.0.0.2,100,s3
2024-03-05T08:30:00Z,alice,login,success,10.0.0.1,,s4
2024-03-09T23:30:00Z,carol,login,success,192.168.1.5,,
2024-03-10T00:30:00Z,carol,export,denied,192.168.1.5,50,s5
2024-03-10T00:31:00Z,,export,denied,192.168.1.5,2.5,s5
"""


def both(path: Path, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The profile of loading the sample whole and of streaming it, with the same options."""
    read = ReadOptions(
        **{k: kw.pop(k) for k in ("fmt", "mapping", "default_tz", "timestamp_format") if k in kw}
    )
    direct = build_profile(load_sample(path, read), **kw).to_dict(histograms=True)
    entity, tz = kw.pop("entity_role", None), kw.pop("tz", "UTC")
    _s, streamed = profile_file_streaming(path, read, entity=entity, tz=tz, **kw)
    return direct, streamed.to_dict(histograms=True)


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@pytest.mark.parametrize("default_tz", ["UTC", "Europe/Berlin"])
@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_csv_profile_identical_to_loading_it_whole(tmp_path: Path, tz: str, default_tz: str) -> None:
    p = tmp_path / "audit.csv"
    p.write_text(CSV.replace("Z,", ",") if default_tz != "UTC" else CSV, encoding="utf-8")
    direct, streamed = both(
        p, tz=tz, default_tz=default_tz, service_accounts=["bob", "nobody"],
        business_hours=TimeWindow.parse("mon-fri 08:00-18:00", "Europe/London"),
    )  # fmt: skip
    assert_same(direct, streamed)


def test_synthetic_demo_log_identical(tmp_path: Path) -> None:
    path = generate_sample(seed=3).to_csv(tmp_path / "demo.csv")
    for entity in (None, "source_ip"):
        direct, streamed = both(path, tz="Europe/London", entity_role=entity,
                                options=ProfileOptions(top_n=5, value_cap=7))  # fmt: skip
        assert_same(direct, streamed)


def test_python_parsed_layouts_identical(tmp_path: Path) -> None:
    """Times the CSV reader cannot type (day first), JSON lines and Parquet go chunk by chunk."""
    rows = [line.split(",") for line in CSV.strip().splitlines()[1:]]
    day_first = tmp_path / "dayfirst.csv"
    day_first.write_text(
        "ts;user;action;outcome\n"
        + "".join(f"{r[0][8:10]}/{r[0][5:7]}/{r[0][:4]} {r[0][11:19]};{r[1]};{r[2]};{r[3]}\n" for r in rows),
        encoding="utf-8",
    )
    assert_same(*both(day_first, tz="Europe/Paris"))
    jsonl = tmp_path / "audit.jsonl"
    jsonl.write_text(
        "".join(json.dumps({"@timestamp": r[0], "user": {"name": r[1] or None}, "event": {"action": r[2]},
                            "status": 200 if r[3] == "success" else 403, "bytes": float(r[5] or 0)}) + "\n"
                for r in rows),
        encoding="utf-8",
    )  # fmt: skip
    assert_same(*both(jsonl))
    table = pa.table({"ts": pa.array([r[0] for r in rows]).cast(pa.timestamp("s", tz="UTC")),
                      "user": [r[1] or None for r in rows], "action": [r[2] for r in rows]})  # fmt: skip
    pq.write_table(table, tmp_path / "audit.parquet")
    assert_same(*both(tmp_path / "audit.parquet"))


def test_apache_sample_identical(shared_dir: Path) -> None:
    assert_same(*both(shared_dir / "samples" / "apache_access.log"))


def test_progress_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "audit.csv"
    p.write_text(CSV, encoding="utf-8")
    seen: list[tuple[int, int]] = []
    profile_file_streaming(p, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (p.stat().st_size, p.stat().st_size)


def test_bad_rows_named_by_line(tmp_path: Path) -> None:
    p = tmp_path / "audit.csv"
    p.write_text(
        CSV + "2024-03-11T00:00:00Z,dave\nnot a date,erin,login,success,10.0.0.9,,\n", encoding="utf-8"
    )
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert err.value.location is not None and err.value.location.line == 12
    assert "number of columns" in err.value.message
    sample, profile = profile_file_streaming(p, skip_bad_rows=True, display_name="mine.csv")
    assert profile.events == 10 and sample.rows_skipped == 2
    assert any("line 12" in w for w in sample.warnings) and any("'not a date'" in w for w in sample.warnings)


def test_bad_time_after_the_head_named_by_line(tmp_path: Path) -> None:
    """DuckDB reads this one itself (the head's times are ISO 8601); the bad line is still named."""
    p = tmp_path / "audit.csv"
    body = "".join(
        f"2024-03-04T09:{i // 60:02d}:{i % 60:02d}Z,u{i % 7},view,success,10.0.0.1,1,s\n" for i in range(1500)
    )
    p.write_text(CSV + body + "yesterday,erin,login,success,10.0.0.9,,\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert err.value.location is not None and err.value.location.line == 1512
    assert "'yesterday'" in err.value.message
    _sample, profile = profile_file_streaming(p, skip_bad_rows=True)
    assert profile.events == 1510


def test_errors_name_the_users_file(tmp_path: Path) -> None:
    p = tmp_path / "tmpupload123.csv"
    p.write_text(CSV + "later,erin,login,success,10.0.0.9,,\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p, display_name="march.csv")
    assert str(err.value).startswith("march.csv:12:") and "tmpupload" not in str(err.value)


def test_user_names_case_insensitive_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workshop.cli import main

    p = tmp_path / "audit.csv"
    p.write_text(
        "ts,user,action\n2024-03-04T09:00:00Z,Administrator,login\n2024-03-04T09:01:00Z,administrator,login\n"
    )
    assert profile_file_streaming(p)[1].entities == 2
    assert main(["baseline", "profile", str(p), "--users-case-insensitive", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entities"] == 1 and data["first_seen"]["user"]["values"][0]["value"] == "administrator"


def test_export_pattern_ignores_static_files_in_web_paths() -> None:
    import re

    from workshop.baseline.options import DEFAULT_EXPORT_PATTERN

    rx = re.compile(DEFAULT_EXPORT_PATTERN, re.IGNORECASE)
    assert not rx.search("GET /images/downloads.png") and not rx.search("GET /static/export.css")
    assert rx.search("export_report") and rx.search("GET /downloads/statement.pdf") and rx.search("Download")


def test_no_threshold_of_zero_without_failures() -> None:
    from workshop.baseline.stats import propose_thresholds

    proposals = propose_thresholds([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], days=12)
    assert all(p.value is None and "0" in p.why for p in proposals)


def test_one_options_object_reads_the_same_in_both_paths(tmp_path: Path) -> None:
    """load_sample and the engine take the same ReadOptions: an option added once works in both."""
    p = tmp_path / "auth.log"
    p.write_text(
        "Jan  2 03:04:05 web sshd[1]: Failed password for Administrator from 203.0.113.9 port 22 ssh2\n"
        "Jan  2 03:05:05 web sshd[1]: Accepted password for administrator from 203.0.113.9 port 22 ssh2\n"
        "Jan  3 04:05:06 web sshd[2]: Accepted password for bob from 198.51.100.7 port 22 ssh2\n",
        encoding="utf-8",
    )
    read = ReadOptions(year=2019, users_case_insensitive=True)
    loaded = load_sample(p, read)
    streamed, profile = profile_file_streaming(p, read)
    assert sorted(loaded.df["user"].astype(str).unique()) == ["administrator", "bob"]
    assert str(loaded.df["timestamp"].min()).startswith("2019-01-02")
    assert profile.entities == 2 and profile.first is not None and profile.first.startswith("2019-01-02")
    assert loaded.mapping == streamed.mapping and loaded.format == streamed.format == "syslog"
    assert_same(build_profile(loaded).to_dict(histograms=True), profile.to_dict(histograms=True))
    with pytest.raises(TypeError, match="not a reading option: on_bad_rows"):
        load_sample(p, on_bad_rows="skip")


def test_parquet_is_read_by_duckdb_itself_with_rows_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed Parquet goes through DuckDB's own reader (no Arrow batches), with the same profile and row errors."""
    from workshop.baseline import engine

    def no_batches(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read through Arrow batches")

    rows = [line.split(",") for line in CSV.strip().splitlines()[1:]]
    naive = [r[0].rstrip("Z") for r in rows]
    table = pa.table({
        "ts": pa.array(naive).cast(pa.timestamp("ms")),
        "user": [r[1] or None for r in rows],
        "status": pa.array([200 if r[3] == "success" else 403 for r in rows], pa.int32()),
        "action": pa.array([r[2] for r in rows]).dictionary_encode(),
        "records": pa.array([float(r[5]) if r[5] else None for r in rows]),
    })  # fmt: skip
    good = tmp_path / "audit.parquet"
    pq.write_table(table, good)
    direct = both(good, default_tz="Europe/Berlin", tz="Europe/Berlin")[0]
    monkeypatch.setattr(engine._Engine, "_ingest_batches", no_batches)
    streamed = both(good, default_tz="Europe/Berlin", tz="Europe/Berlin")[1]
    assert_same(direct, streamed)
    assert streamed["outcomes"] and "403" in streamed["outcomes"]

    holes = tmp_path / "holes.parquet"
    pq.write_table(
        table.set_column(0, "ts", pa.array([None, *naive[1:4], None, *naive[5:]]).cast(pa.timestamp("ms"))),
        holes,
    )
    with pytest.raises(LoadError, match=r"2 row\(s\) have no time stamp, e.g. row 1, row 5"):
        profile_file_streaming(holes)
    sample, profile = profile_file_streaming(holes, skip_bad_rows=True)
    assert profile.events == len(rows) - 2 and sample.rows_skipped == 2
    assert any("no time stamp" in w for w in sample.warnings)
