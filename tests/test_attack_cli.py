"""``workshop attack``: info, search, show and fetch through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.attack_bundle import handmade_bundle
from workshop.attack import load
from workshop.cli import main


@pytest.fixture(autouse=True)
def no_default_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No env bundle, and an empty attack_data/: the defaults are the built-in catalogue."""
    monkeypatch.delenv("WORKSHOP_ATTACK_BUNDLE", raising=False)
    monkeypatch.setattr(load, "DEFAULT_DATA_DIR", tmp_path / "attack_data")


@pytest.fixture
def enterprise_args(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    cache = tmp_path_factory.getbasetemp() / "attack-cache"
    return ["--bundle", str(shared_dir / "attack" / "enterprise-attack-18.1.json"), "--cache-dir", str(cache)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["attack", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_info_json_on_enterprise(capsys, enterprise_args) -> None:
    code, out, _ = run(capsys, "info", *enterprise_args, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == "18.1" and data["domain"] == "enterprise-attack" and data["source"] == "bundle"
    expected = {
        "tactics": 14,
        "techniques": 216,
        "subtechniques": 475,
        "detection_strategies": 691,
        "analytics": 1739,
        "data_components": 106,
        "mitigations": 44,
        "groups": 172,
        "campaigns": 52,
    }
    assert {k: data[k] for k in expected} == expected
    assert data["cache"] in ("hit", "miss")


def test_info_without_a_bundle_describes_the_builtin_catalogue(capsys) -> None:
    code, out, _ = run(capsys, "info", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["source"] == "builtin" and data["version"] == "18.1"
    assert data["techniques"] + data["subtechniques"] >= 60
    assert data["detection_strategies"] == 0
    code, text, _ = run(capsys, "info")
    assert code == 0 and "built-in catalogue" in text and "ATT&CK 18.1" in text


def test_env_variable_and_downloaded_bundles_are_found(capsys, monkeypatch, tmp_path: Path) -> None:
    bundle = tmp_path / "handmade.json"
    bundle.write_text(handmade_bundle())
    monkeypatch.setenv("WORKSHOP_ATTACK_BUNDLE", str(bundle))
    code, out, _ = run(capsys, "info", "--cache-dir", str(tmp_path / "c"), "--json")
    assert json.loads(out)["version"] == "99.1"
    code, out, _ = run(capsys, "info", "--bundle", "builtin", "--json")
    assert json.loads(out)["source"] == "builtin"  # --bundle beats the environment
    monkeypatch.delenv("WORKSHOP_ATTACK_BUNDLE")
    downloads = load.DEFAULT_DATA_DIR
    downloads.mkdir()
    (downloads / "enterprise-attack-99.1.json").write_text(handmade_bundle())
    (downloads / "enterprise-attack-9.0.json").write_text("older, and broken: must not be picked")
    code, out, _ = run(capsys, "info", "--cache-dir", str(tmp_path / "c"), "--json")
    assert code == 0 and json.loads(out)["file"].endswith("enterprise-attack-99.1.json")


def test_search_json_ranks_exact_id_first(capsys, enterprise_args) -> None:
    code, out, _ = run(capsys, "search", "t1110.003", *enterprise_args, "--json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list)
    first = data[0]
    assert first["attack_version"] == "18.1" and first["domain"] == "enterprise-attack"
    assert first["id"] == "T1110.003" and first["name"] == "Password Spraying"
    assert first["tactics"] == ["credential-access"] and first["score"] > 0


def test_search_words_limit_and_type(capsys, enterprise_args) -> None:
    code, out, _ = run(
        capsys, "search", "brute", "force", *enterprise_args, "--limit", "3", "--type", "technique", "--json"
    )
    results = json.loads(out)
    assert code == 0 and len(results) == 3
    assert results[0]["id"] == "T1110" and all(r["kind"] == "technique" for r in results)
    code, text, _ = run(capsys, "search", "brute force", *enterprise_args, "--limit", "2")
    assert code == 0 and "T1110" in text and "Brute Force" in text and "ATT&CK 18.1" in text
    code, text, _ = run(capsys, "search", "qqqzzzxxx", *enterprise_args)
    assert code == 0 and "no match" in text


def test_search_limit_must_be_positive(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["attack", "search", "x", "--limit", "0"])
    assert exc.value.code == 2


def test_show_json(capsys, enterprise_args) -> None:
    code, out, _ = run(capsys, "show", "T1110", *enterprise_args, "--json", "--platform", "SaaS")
    assert code == 0
    d = json.loads(out)
    assert d["id"] == "T1110" and d["version"] == "18.1" and d["domain"] == "enterprise-attack"
    assert d["tactics"] == ["credential-access"] and "SaaS" in d["platforms"]
    assert d["url"] == "https://attack.mitre.org/techniques/T1110"
    assert d["detection_strategies"][0]["id"] == "DET0463"
    analytics = d["detection_strategies"][0]["analytics"]
    assert analytics and all(a["platform"] == "SaaS" for a in analytics)
    assert analytics[0]["log_sources"] and analytics[0]["mutable_elements"]
    assert d["mitigations"] and d["groups"] and d["campaigns"]
    assert [s["id"] for s in d["subtechniques"]][:1] == ["T1110.001"]
    assert d["app_logs"]  # our note from the built-in catalogue


def test_show_text(capsys, enterprise_args) -> None:
    code, out, _ = run(capsys, "show", "t1110.003", *enterprise_args)
    assert code == 0
    for part in ("T1110.003  Password Spraying", "sub-technique of T1110 Brute Force", "DET0487", "tunable:", "M1032",
                 "What application logs would show"):  # fmt: skip
        assert part in out
    assert "(Citation:" not in out


def test_show_on_the_builtin_catalogue(capsys) -> None:
    code, out, _ = run(capsys, "show", "T1657")
    assert code == 0 and "Financial Theft" in out and "not in the built-in catalogue" in out
    code, out, _ = run(capsys, "show", "T1657", "--json")
    d = json.loads(out)
    assert d["source"] == "builtin" and d["detection_strategies"] == [] and d["app_logs"]


@pytest.mark.parametrize(
    ("technique", "message"),
    [
        ("T9999", "unknown technique ID 'T9999' in ATT&CK 18.1"),
        ("T1086", "technique T1086 is revoked in ATT&CK 18.1 (enterprise-attack), replaced by T1059.001"),
        ("M1032", "M1032 is a mitigation (Multi-factor Authentication), not a technique"),
    ],
)
def test_show_unknown_id_is_a_clear_error(capsys, enterprise_args, technique: str, message: str) -> None:
    code, out, err = run(capsys, "show", technique, *enterprise_args, "--json")
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_show_revoked_when_asked(capsys, enterprise_args) -> None:
    code, out, _ = run(capsys, "show", "T1086", *enterprise_args, "--include-revoked", "--json")
    assert code == 0 and json.loads(out)["revoked"] is True


def test_broken_bundle_is_a_clear_error(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "enterprise-attack-18.1.json"
    bad.write_text('{"type": "bundle", "objects": [')
    code, _out, err = run(capsys, "info", "--bundle", str(bad), "--cache-dir", str(tmp_path / "c"))
    assert code == 1 and "truncated JSON at line 1" in err and "Traceback" not in err


def test_fetch_from_a_file_url_writes_the_bundle_named_by_its_release(capsys, tmp_path: Path) -> None:
    source = tmp_path / "download.json"
    source.write_text(handmade_bundle())
    out_dir = tmp_path / "attack_data"
    code, out, _ = run(
        capsys,
        "fetch",
        "--url",
        source.as_uri(),
        "--output-dir",
        str(out_dir),
        "--cache-dir",
        str(tmp_path / "c"),
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["version"] == "99.1" and data["domain"] == "enterprise-attack"
    assert Path(data["path"]) == out_dir / "enterprise-attack-99.1.json"
    assert (out_dir / "enterprise-attack-99.1.json").read_bytes() == source.read_bytes()
    assert data["counts"]["techniques"] == 1
    assert [p.name for p in out_dir.iterdir()] == ["enterprise-attack-99.1.json"]  # no temp file left


def test_fetch_without_network_is_a_clear_error(capsys, tmp_path: Path) -> None:
    # port 9 (discard) on localhost: connection refused, the same path as no network
    code, out, err = run(capsys, "fetch", "--url", "http://127.0.0.1:9/enterprise-attack.json", "--timeout", "5",
                         "--output-dir", str(tmp_path))  # fmt: skip
    assert code == 1 and out == ""
    assert "cannot download http://127.0.0.1:9/enterprise-attack.json" in err
    assert "--bundle PATH" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_fetch_refuses_what_is_not_a_bundle(capsys, tmp_path: Path) -> None:
    page = tmp_path / "portal.html"
    page.write_text("<html>Please log in to the hotel wifi</html>")
    out_dir = tmp_path / "attack_data"
    code, _, err = run(capsys, "fetch", "--url", page.as_uri(), "--output-dir", str(out_dir))
    assert code == 1 and "the download is not usable" in err and "not an ATT&CK STIX bundle" in err
    assert not out_dir.exists()
    code, _, err = run(capsys, "fetch", "--url", "ftp://example.org/x.json", "--output-dir", str(out_dir))
    assert code == 1 and "only https://, http:// and file://" in err
