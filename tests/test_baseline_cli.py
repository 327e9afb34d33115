"""``workshop baseline``: exit codes, JSON, and clear errors instead of tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop.cli import main

SAMPLE = """ts,user,action,outcome,src_ip,records
2024-03-04T09:00:00Z,alice,login,success,10.0.0.1,
2024-03-04T09:05:00Z,alice,view,success,10.0.0.1,5
2024-03-04T09:10:00Z,alice,view,success,10.0.0.1,7
2024-03-04T10:00:00Z,bob,login,failure,10.0.0.2,
2024-03-04T10:01:00Z,bob,login,success,10.0.0.2,
2024-03-04T19:30:00Z,bob,export,success,10.0.0.2,100
2024-03-05T08:30:00Z,alice,login,success,10.0.0.1,
2024-03-09T23:30:00Z,carol,login,success,192.168.1.5,
2024-03-10T00:30:00Z,carol,export,denied,192.168.1.5,50
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    p = tmp_path / "audit.csv"
    p.write_text(SAMPLE, encoding="utf-8")
    return p


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_profile_json(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "baseline", "profile", str(sample), "--json", "--tz", "Asia/Tokyo")
    assert code == 0
    data = json.loads(out)
    assert data["events"] == 9 and data["entities"] == 3 and data["entity_role"] == "user"
    assert data["timezone"] == "Asia/Tokyo"
    assert data["weekday"] == [5, 2, 0, 0, 0, 0, 2]
    # Tokyo: 1, 1, 2, 2, 3 events per user per day; p90 = 2 + 0.6 x (3 - 2).
    assert data["per_entity_day"] == {
        "n": 5,
        "mean": 1.8,
        "p50": 2,
        "p90": 2.6,
        "p95": 2.8,
        "p99": 2.96,
        "max": 3,
    }
    assert set(data["actions"]) == {"login", "view", "export"}
    assert data["mapping"]["source_ip"] == "src_ip"


def test_profile_options(sample: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "profile.json"
    code, _out, err = run(
        capsys,
        "baseline",
        "profile",
        str(sample),
        "--map",
        "user=src_ip",
        "--map",
        "source_ip=",
        "--business-hours",
        "mon-sun 00:00-24:00",
        "--service-account",
        "10.0.0.2",
        "--failure-values",
        "denied",
        "--top",
        "1",
        "--out",
        str(out_file),
    )
    assert code == 0, err
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["first_seen"]["user"]["count"] == 3
    assert data["out_of_hours_share"] == 0
    assert data["service_accounts"]["10.0.0.2"]["events"] == 3
    assert data["failures"]["values"] == ["denied"]
    assert list(data["actions"]) == ["login"]
    assert "histogram" in data["per_entity_day"]  # stored profiles keep histograms


def test_profile_summary_text(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "baseline", "profile", str(sample), "--entity", "source_ip")
    assert code == 0
    assert "9 events, 3 source_ip value(s)" in out
    assert "top actions: login (5)" in out


def test_bad_files_give_errors_not_tracebacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    code, out, err = run(capsys, "baseline", "profile", str(empty), "--json")
    assert code == 1 and out == ""
    assert err.strip() == f"workshop: error: {empty}: file is empty"
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,user\n2024-03-04T09:00:00Z,a\nnever,b\n", encoding="utf-8")
    code, _, err = run(capsys, "baseline", "profile", str(bad))
    assert code == 1 and f"{bad}:3:" in err and "'never'" in err and "Traceback" not in err
    code, _, err = run(capsys, "baseline", "profile", str(bad), "--skip-bad-rows", "--json")
    assert code == 0 and "warning:" in err
    big = tmp_path / "big.csv"
    big.write_text(SAMPLE * 2000, encoding="utf-8")
    code, _, err = run(capsys, "baseline", "profile", str(big), "--size-limit", "0.1")
    assert code == 1 and "over the size limit of 102.4 KB" in err


def test_bad_arguments(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "baseline", "profile", str(sample), "--map", "usr=x")
    assert code == 1 and "unknown role 'usr'" in err
    code, _, err = run(capsys, "baseline", "profile", str(sample), "--tz", "Mars/Olympus")
    assert code == 1 and "unknown time zone 'Mars/Olympus'" in err
    code, _, err = run(capsys, "baseline", "profile", str(sample), "--entity", "country")
    assert code == 1 and "entity role 'country' is not mapped" in err
    code, _, err = run(capsys, "baseline", "profile", str(sample), "--business-hours", "weekdays")
    assert code == 1 and "not understood" in err
    code, _, err = run(capsys, "baseline", "profile")
    assert code == 1 and "give the sample FILE" in err
    with pytest.raises(SystemExit) as exc:
        main(["baseline", "profile", str(sample), "--format", "xml"])
    assert exc.value.code == 2


def test_apache_sample(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "baseline", "profile", str(shared_dir / "samples" / "apache_access.log"), "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "combined" and data["entity_role"] == "source_ip"
    assert data["events"] == 10000
    assert data["first"].startswith("2015-05-17") and data["last"].startswith("2015-05-20")


def test_inspect(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "baseline", "inspect", str(sample), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "csv" and data["proposal"]["mapping"]["timestamp"] == "ts"
    code, out, _ = run(capsys, "baseline", "inspect", str(sample))
    assert code == 0 and "source_ip  <- src_ip" in out


def test_queries(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "baseline",
        "queries",
        "--siem",
        "kql",
        "--map",
        "user=UserPrincipalName",
        "--map",
        "action=OperationName",
        "--index",
        "AppEvents",
    )
    assert code == 0
    assert "AppEvents" in out and "tostring(UserPrincipalName)" in out and "tostring(OperationName)" in out
    code, out, _ = run(capsys, "baseline", "queries", "--siem", "splunk", "--map", "user=user", "--json")
    assert code == 0 and json.loads(out)[0]["siem"] == "splunk"
    code, _, err = run(capsys, "baseline", "queries", "--siem", "esql", "--map", "action=a")
    assert code == 1 and "map the entity" in err
    with pytest.raises(SystemExit):
        main(["baseline", "queries", "--siem", "qradar", "--map", "user=u"])


def test_profile_from_siem_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    act = tmp_path / "activity.csv"
    act.write_text(
        "entity,time,events,failures\nalice,2024-03-04T09:00:00Z,3,0\nbob,2024-03-04T10:00:00Z,2,1\n",
        encoding="utf-8",
    )
    actions = tmp_path / "action.csv"
    actions.write_text(
        "action,entity,time,events\nlogin,alice,2024-03-04T09:00:00Z,1\nview,alice,2024-03-04T09:00:00Z,2\n"
        "login,bob,2024-03-04T10:00:00Z,2\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys,
        "baseline",
        "profile",
        "--from-siem-table",
        str(act),
        "--from-siem-table",
        str(actions),
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["precision"] == "hour" and data["format"] == "siem-table"
    assert data["events"] == 5 and data["actions"]["login"]["events"] == 3
    assert data["failures"]["events"] == 1
    code, _, err = run(capsys, "baseline", "profile", "x.csv", "--from-siem-table", str(act))
    assert code == 1 and "not both" in err


def test_synthetic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_csv = tmp_path / "payroll.csv"
    code, out, _ = run(capsys, "baseline", "synthetic", str(out_csv), "--json")
    assert code == 0 and out_csv.exists()
    data = json.loads(out)
    assert [a["kind"] for a in data["anomalies"]] == [
        "weekend_bulk_export",
        "brute_force",
        "night_login",
        "service_account_new_host",
    ]
    code, out, _ = run(capsys, "baseline", "profile", str(out_csv), "--json", "--tz", "Europe/London")
    assert code == 0 and json.loads(out)["events"] == data["events"]
