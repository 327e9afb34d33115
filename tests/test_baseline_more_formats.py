"""W3C extended, Zeek TSV and JSON, key=value, JSON documents (CloudTrail) and --regex (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop.baseline.detect import detect_format
from workshop.baseline.engine import profile_file_streaming
from workshop.baseline.loading import inspect_sample
from workshop.cli import main
from workshop.core.errors import InputError, LoadError

W3C = """\
#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2024-03-04 09:00:00
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-bytes
2024-03-04 09:00:01 10.0.0.5 GET /owa/ - 443 alice 203.0.113.7 Mozilla/5.0 200 5120
2024-03-04 09:00:02 10.0.0.5 POST /owa/auth.owa - 443 - 203.0.113.8 curl/8.0 401 312
#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2024-03-04 10:00:00
#Fields: date time cs-method cs-uri-stem cs-username c-ip sc-status sc-bytes
2024-03-04 10:00:03 GET /ecp/ bob 203.0.113.9 200 900
"""
ZEEK = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tssh
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tauth_success\tusername
#types\ttime\tstring\taddr\tport\taddr\tport\tbool\tstring
1709542800.123456\tCHhAvVGS1DHFjwGM9\t198.51.100.3\t52311\t10.0.0.2\t22\tF\t-
1709542860.000000\tC4J4Th3PJpwUYZZ6gc\t198.51.100.3\t52312\t10.0.0.2\t22\tT\t-
1709546400.500000\tCUM0KZ3MLUfNB0cl11\t203.0.113.4\t40001\t10.0.0.2\t22\tF\t-
#close\t2024-03-04-12-00-00
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_w3c_with_repeated_headers(tmp_path: Path) -> None:
    p = write(tmp_path, "u_ex240304.log", W3C)
    assert detect_format(p) == "w3c"
    mapping = inspect_sample(p).proposal.mapping
    assert mapping["timestamp"] == "date + time" and mapping["source_ip"] == "c-ip"
    assert mapping["user"] == "cs-username" and mapping["outcome"] == "sc-status"
    _s, profile = profile_file_streaming(p, entity="source_ip")
    assert profile.events == 3 and profile.last == "2024-03-04T10:00:03+00:00"
    assert profile.failures is not None and profile.failures.events == 1  # the 401
    assert set(profile.breakdowns["action"].values) == {"/owa/", "/owa/auth.owa", "/ecp/"}


def test_w3c_line_with_wrong_field_count_is_named(tmp_path: Path) -> None:
    p = write(tmp_path, "iis.log", W3C + "2024-03-04 11:00:00 GET\n")
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert err.value.location is not None and err.value.location.line == 12
    assert "3 values for the 8 #Fields" in err.value.message


def test_zeek_tsv(tmp_path: Path) -> None:
    p = write(tmp_path, "ssh.log", ZEEK)
    assert detect_format(p) == "zeek"
    mapping = inspect_sample(p).proposal.mapping
    assert mapping["timestamp"] == "ts" and mapping["source_ip"] == "id.orig_h"
    assert mapping.get("user") != "uid" and mapping["outcome"] == "auth_success"
    _s, profile = profile_file_streaming(p)
    assert profile.entity_role == "source_ip" and profile.events == 3
    assert profile.first == "2024-03-04T09:00:00.123456+00:00"
    assert profile.failures is not None and profile.failures.events == 2  # auth_success F


def test_zeek_json(tmp_path: Path) -> None:
    rows = [
        {"ts": 1709542800.5, "uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": "198.51.100.3", "method": "GET",
         "status_code": 200, "username": "alice"},
        {"ts": 1709542900.25, "uid": "C4J4Th3PJpwUYZZ6gc", "id.orig_h": "198.51.100.4", "method": "POST",
         "status_code": 403, "username": "bob"},
    ]  # fmt: skip
    p = write(tmp_path, "http.log", "".join(json.dumps(r) + "\n" for r in rows))
    assert detect_format(p) == "jsonl"
    mapping = inspect_sample(p).proposal.mapping
    assert (
        mapping["user"] == "username" and mapping["source_ip"] == "id.orig_h" and mapping["timestamp"] == "ts"
    )
    _s, profile = profile_file_streaming(p)
    assert profile.events == 2 and profile.failures is not None and profile.failures.events == 1


def test_key_value_lines(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "fw.log",
        'time=2024-03-04T09:00:00Z user=alice action="log in" result=success src=10.0.0.1\n'
        "time=2024-03-04T09:05:00Z user=bob action=export result=failure src=10.0.0.2 bytes=512\n",
    )
    assert detect_format(p) == "keyvalue"
    mapping = inspect_sample(p).proposal.mapping
    assert mapping["timestamp"] == "time" and mapping["user"] == "user" and mapping["action"] == "action"
    _s, profile = profile_file_streaming(p)
    assert set(profile.breakdowns["action"].values) == {"log in", "export"}
    assert profile.failures is not None and profile.failures.events == 1


def test_cloudtrail_records_file(tmp_path: Path) -> None:
    records = [
        {"eventTime": "2024-03-04T09:00:00Z", "eventName": "ConsoleLogin", "sourceIPAddress": "198.51.100.1",
         "recipientAccountId": "604938266702", "userIdentity": {"userName": "alice",
         "sessionContext": {"sessionIssuer": {"userName": None}}}, "errorCode": None},
        {"eventTime": "2024-03-04T09:01:00Z", "eventName": "GetObject", "sourceIPAddress": "198.51.100.1",
         "recipientAccountId": "604938266702", "userIdentity": {"userName": "alice",
         "sessionContext": {"sessionIssuer": {"userName": None}}}, "errorCode": "AccessDenied"},
    ]  # fmt: skip
    p = write(tmp_path, "cloudtrail.json", json.dumps({"Records": records}, indent=2))
    assert detect_format(p) == "json"
    mapping = inspect_sample(p).proposal.mapping
    assert mapping["user"] == "userIdentity.userName" and mapping["action"] == "eventName"
    assert "records" not in mapping
    _s, profile = profile_file_streaming(p)
    assert profile.events == 2 and profile.entities == 1


def test_pretty_printed_array_and_objects(tmp_path: Path) -> None:
    objs = [{"time": "2024-03-04T09:00:00Z", "user": "ann"}, {"time": "2024-03-04T10:00:00Z", "user": "bo"}]
    p = write(tmp_path, "export.json", json.dumps(objs, indent=2))
    assert detect_format(p) == "json"
    assert profile_file_streaming(p)[1].events == 2
    p = write(tmp_path, "objects.json", "\n".join(json.dumps(o, indent=2) for o in objs))
    assert profile_file_streaming(p)[1].events == 2
    p = write(tmp_path, "broken.json", '[\n  {"time": "2024-03-04T09:00:00Z",\n   "user": }\n]\n')
    with pytest.raises(LoadError) as err:
        profile_file_streaming(p)
    assert err.value.location is not None and err.value.location.line == 3


def test_regex_with_named_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(
        tmp_path, "app.txt", "2024-03-04 09:00:00 alice LOGIN ok\n2024-03-04 09:10:00 bob EXPORT fail\n"
    )
    rx = r"^(?P<time>\S+ \S+) (?P<user>\S+) (?P<action>\S+) (?P<outcome>\S+)$"
    code = main(["baseline", "profile", str(p), "--regex", rx, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == "regex" and data["events"] == 2 and data["failures"]["events"] == 1
    bad = write(tmp_path, "bad.txt", "2024-03-04 09:00:00 alice LOGIN ok\nnonsense\n")
    with pytest.raises(LoadError) as lerr:
        profile_file_streaming(bad, regex=rx)
    assert lerr.value.location is not None and lerr.value.location.line == 2
    with pytest.raises(InputError):
        profile_file_streaming(p, regex=r"(\S+) (\S+)")  # no named groups
