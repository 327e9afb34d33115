"""Syslog and Linux auth.log samples (issue 17): detected, parsed, sshd/PAM messages read into roles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workshop.baseline.detect import detect_format
from workshop.baseline.engine import profile_file_streaming
from workshop.baseline.loading import inspect_sample
from workshop.cli import main
from workshop.core.errors import LoadError

AUTH = """\
Dec 30 23:59:58 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 4711 ssh2
Dec 30 23:59:59 web1 sshd[811]: Invalid user oracle from 203.0.113.9 port 4712
Jan  2 00:00:01 web1 sshd[812]: Accepted publickey for alice from 198.51.100.7 port 50022 ssh2
Jan  2 00:00:02 web1 sshd[813]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root
Jan  2 00:00:03 web1 sshd[813]: message repeated 2 times: [ Failed password for root from 203.0.113.9 port 4713 ssh2]
Jan  2 00:00:04 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
Jan  2 00:00:05 web1 CRON[900]: pam_unix(cron:session): session opened for user root by (uid=0)
"""
RFC5424 = """\
<34>1 2024-03-04T09:00:00.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8
<165>1 2024-03-04T10:14:15.000003-07:00 192.0.2.1 myproc 8710 - [exampleSDID@32473 iut="3" eventSource="App"] An application event
<86>1 2024-03-04T11:00:00+01:00 host sshd 22 - - Accepted password for bob from 192.0.2.44 port 22 ssh2
"""


def write(tmp_path: Path, name: str, text: str, mtime: str | None = None) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    if mtime:
        import datetime as dt

        t = dt.datetime.fromisoformat(mtime).timestamp()
        os.utime(p, (t, t))
    return p


def test_auth_log_detected_and_messages_read(tmp_path: Path) -> None:
    p = write(tmp_path, "auth.log", AUTH, mtime="2025-01-03T12:00:00")
    assert detect_format(p) == "syslog"
    ins = inspect_sample(p)
    assert ins.proposal.mapping == {
        "timestamp": "time", "action": "action", "outcome": "outcome", "source_ip": "source_ip", "user": "user",
    }  # fmt: skip
    _sample, profile = profile_file_streaming(p, entity="source_ip")
    # The year comes from the file's date; December lines belong to the year before (the log wrapped).
    assert profile.first == "2024-12-30T23:59:58+00:00" and profile.last == "2025-01-02T00:00:05+00:00"
    assert profile.failures is not None and profile.failures.events == 4
    assert profile.entities == 2  # 203.0.113.9 and 198.51.100.7
    known = {v.value: v.events for v in profile.first_seen["source_ip"].values}
    assert known == {"203.0.113.9": 4, "198.51.100.7": 1}
    users = {v.value for v in profile.first_seen["user"].values}
    assert users == {"admin", "oracle", "alice", "root"}
    assert {"ssh login", "ssh invalid user", "pam authentication", "sudo", "session opened"} <= set(
        profile.breakdowns["action"].values
    )


def test_year_given(tmp_path: Path) -> None:
    p = write(tmp_path, "auth.log", AUTH)
    _s, profile = profile_file_streaming(p, year=2019)
    assert profile.first is not None and profile.first.startswith("2019-01-02")


def test_rfc5424_with_offsets_and_structured_data(tmp_path: Path) -> None:
    p = write(tmp_path, "messages", RFC5424)
    assert detect_format(p) == "syslog"
    _s, profile = profile_file_streaming(p, tz="UTC")
    assert profile.events == 3
    assert profile.first == "2024-03-04T09:00:00.003000+00:00"
    assert profile.last == "2024-03-04T17:14:15.000003+00:00"
    assert profile.failures is not None and profile.failures.events == 0
    assert "ssh login" in profile.breakdowns["action"].values


def test_a_line_that_is_not_syslog_is_named(tmp_path: Path) -> None:
    p = write(tmp_path, "auth.log", AUTH + "this is not syslog\n" + AUTH.splitlines()[0] + "\n")
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert err.value.location is not None and err.value.location.line == 8
    assert "not a syslog line" in err.value.message
    sample, profile = profile_file_streaming(p, skip_bad_rows=True)
    assert profile.events == 8 and any("line(s) 8" in w for w in sample.warnings)


def test_apache_error_log_is_not_called_a_json_array(tmp_path: Path) -> None:
    p = write(tmp_path, "error.log", "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n")
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert "JSON array" not in str(err.value)


def test_shared_auth_log_by_source_address(shared_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real Linux auth.log (syslog without a year): failed SSH logins are the failures."""
    path = shared_dir / "samples" / "auth.log"
    code = main(["baseline", "profile", str(path), "--entity", "source_ip", "--year", "2023", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "syslog" and data["entity_role"] == "source_ip"
    assert data["events"] == sum(1 for line in path.read_text().splitlines() if line.strip())
    assert data["first"].startswith("2023-03-27T13:06:56")
    text = path.read_text()
    failed = text.count("]: Failed password for ") + text.count("]: Invalid user ")
    failed += text.count("authentication failure;") - text.count(
        "pam_unix(sshd:auth): authentication failure;\n"
    )
    assert data["failures"]["values"] == ["failure"]
    by_action = {k: v for k, v in data["actions"].items()}
    assert by_action["ssh login"]["failures"] >= text.count("]: Failed password for ")
    assert by_action["ssh invalid user"]["failures"] == text.count("]: Invalid user ")
    # The address with the most failed logins is counted as an entity with failures.
    assert data["failures"]["events"] > 1000 and data["entities"] > 100
    assert data["failures"]["per_entity_day"]["max"] >= 100
