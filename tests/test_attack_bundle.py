"""Loading ATT&CK bundles: MITRE's real releases, a hand-made STIX 2.1 bundle, broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2

from tests.support.attack_bundle import handmade_bundle
from workshop.attack import load_index, load_index_or_builtin
from workshop.attack.bundle import (
    domain_from_filename,
    parse_bundle,
    read_stix_objects,
    version_from_filename,
)
from workshop.core.errors import LoadError

ENTERPRISE = "attack/enterprise-attack-18.1.json"
ICS = "attack/ics-attack-18.1.json"


@pytest.fixture(scope="session")
def attack_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "attack-cache"


@pytest.fixture(scope="session")
def enterprise(shared_dir: Path, attack_cache: Path):
    return load_index(shared_dir / ENTERPRISE, attack_cache)


# ---------------------------------------------------------------------------
# MITRE's releases
# ---------------------------------------------------------------------------


def test_enterprise_18_1_counts(enterprise) -> None:
    assert enterprise.meta.version == "18.1"  # STIX 2.0, no collection: from the file name
    assert enterprise.meta.domain == "enterprise-attack"
    assert enterprise.meta.spec_version == "2.0"
    assert enterprise.counts() == {
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


def test_enterprise_hidden_objects_are_counted_only_when_asked(enterprise) -> None:
    all_counts = enterprise.counts(include_hidden=True)
    assert all_counts["techniques"] + all_counts["subtechniques"] == 835  # every attack-pattern
    assert all_counts["mitigations"] == 268
    assert enterprise.technique("T1086") is None  # revoked by T1059.001
    revoked = enterprise.technique("T1086", include_hidden=True)
    assert revoked is not None and revoked.revoked and revoked.revoked_by == "T1059.001"


def test_enterprise_tactics_in_matrix_order(enterprise) -> None:
    names = [t.shortname for t in enterprise.tactics]
    assert names[:3] == ["reconnaissance", "resource-development", "initial-access"]
    assert names[-1] == "impact"
    assert enterprise.tactic("TA0006").shortname == "credential-access"
    assert enterprise.tactic("Credential Access").id == "TA0006"


def test_enterprise_technique_links(enterprise) -> None:
    t = enterprise.technique("t1110")
    assert t is not None and t.name == "Brute Force" and not t.is_subtechnique
    assert t.tactics == ["credential-access"]
    assert "SaaS" in t.platforms
    assert t.subtechniques == ["T1110.001", "T1110.002", "T1110.003", "T1110.004"]
    sub = enterprise.technique("T1110.003")
    assert sub.is_subtechnique and sub.parent == "T1110"
    assert [m.id for m in enterprise.mitigations_for("T1110.003")] == ["M1027", "M1032", "M1036"]
    assert "G0016" in [g.id for g in enterprise.groups_for(sub)]  # APT29
    strategies = enterprise.detection_strategies_for(sub)
    assert [s.id for s in strategies] == ["DET0487"]
    analytics = enterprise.analytics_for(strategies[0], ["SaaS"])
    assert [a.platform for a in analytics] == ["SaaS"]
    assert analytics[0].log_sources[0].data_component == "DC0002"
    assert analytics[0].log_sources[0].data_component_name == "User Account Authentication"
    assert {m.field for m in analytics[0].mutable_elements} >= {"UserPopulationSensitivity"}


def test_ics_bundle_version_and_domain_from_the_data(shared_dir: Path, attack_cache: Path) -> None:
    ics = load_index(shared_dir / ICS, attack_cache)
    assert ics.meta.version == "18.1"  # from the x-mitre-collection object
    assert ics.meta.domain == "ics-attack"  # from the matrix
    assert ics.meta.spec_version == "2.1"
    assert ics.counts()["tactics"] == 12
    assert ics.technique("T0836").name == "Modify Parameter"
    assert ics.tactics[0].shortname == "initial-access"


def test_version_and_domain_fall_back_to_the_file_name_then_unknown(shared_dir: Path, tmp_path: Path) -> None:
    assert version_from_filename("enterprise-attack-18.1.json") == "18.1"
    assert version_from_filename("/x/ics-attack-v17.json") == "17"
    assert version_from_filename("bundle.json") is None
    assert domain_from_filename("mobile-attack-16.0.json") == "mobile-attack"
    data = handmade_bundle(collection=False, matrix=False)
    unknown = tmp_path / "my-bundle.json"
    unknown.write_text(data)
    index = load_index(unknown, tmp_path / "cache")
    assert index.meta.version == "unknown"
    assert index.meta.domain == "enterprise-attack"  # still known from x_mitre_domains
    # the same content under a telling name: the cached index is reused, the name still counts
    named = tmp_path / "enterprise-attack-7.2.json"
    named.write_text(data)
    again = load_index(named, tmp_path / "cache")
    assert again.cache_status == "hit"
    assert again.meta.version == "7.2"


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    path = tmp_path / "handmade.json"
    path.write_text(handmade_bundle())
    return path


def test_handmade_bundle_loads_with_its_relations(handmade: Path, tmp_path: Path) -> None:
    index = load_index(handmade, tmp_path / "cache")
    assert index.meta.version == "99.1"
    assert index.meta.domain == "enterprise-attack"
    assert index.meta.spec_version == "2.1"
    assert index.meta.skipped == 1  # the x-acme-gadget
    t = index.technique("T9001")
    assert t.tactics == ["credential-access"] and t.platforms == ["SaaS", "Linux"]
    assert t.subtechniques == ["T9001.001"]
    assert t.detection_strategies == ["DET9001"]
    assert [m.id for m in index.mitigations_for(t)] == ["M9001"]  # the deprecated one is hidden
    assert [g.id for g in index.groups_for(t)] == ["G9001"]
    assert [c.id for c in index.campaigns_for(t)] == ["C9001"]
    assert index.groups[0].aliases == ["HAMMERHEAD"]
    detail = index.detail("T9001")
    analytic = detail["detection_strategies"][0]["analytics"][0]
    assert analytic["platform"] == "SaaS"
    assert analytic["log_sources"] == [
        {
            "data_component": "DC9001",
            "data_component_name": "Login Attempts",
            "name": "app:auth",
            "channel": "login_failed",
        }
    ]
    assert analytic["mutable_elements"] == [
        {"field": "TimeWindow", "description": "How long to count failures"}
    ]


def test_handmade_revoked_and_deprecated_hidden_by_default(handmade: Path, tmp_path: Path) -> None:
    index = load_index(handmade, tmp_path / "cache")
    assert index.counts()["techniques"] == 1 and index.counts()["mitigations"] == 1
    assert index.counts(include_hidden=True)["techniques"] == 3
    assert index.counts(include_hidden=True)["mitigations"] == 2
    assert index.technique("T9002") is None and index.technique("T9003") is None
    assert index.technique("T9002", include_hidden=True).revoked_by == "T9001"
    assert index.technique("T9003", include_hidden=True).deprecated
    assert [h.id for h in index.search("hammering")] == ["T9001", "T9001.001"]
    shown = {h.id for h in index.search("hammering", include_hidden=True)}
    assert shown == {"T9001", "T9001.001", "T9002", "T9003"}
    assert [t.id for t in index.list_techniques()] == ["T9001", "T9001.001"]
    assert len(index.list_techniques(include_hidden=True)) == 4


def test_read_stix_objects_gives_stix2_objects(handmade: Path) -> None:
    objs = read_stix_objects(handmade, ["T9001", "M9001"])
    assert sorted(o.type for o in objs) == ["attack-pattern", "course-of-action"]
    assert isinstance(objs[0], stix2.v21.AttackPattern | stix2.v21.CourseOfAction)


# ---------------------------------------------------------------------------
# Broken files
# ---------------------------------------------------------------------------


def test_truncated_bundle_is_a_clear_load_error(handmade: Path, tmp_path: Path) -> None:
    text = handmade.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(LoadError) as err:
        load_index(cut, tmp_path / "cache")
    assert "truncated JSON at line" in str(err.value)
    assert str(cut) in str(err.value)
    assert err.value.location.line > 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("{not json", "invalid JSON at line 1"),
        ("[1, 2, 3]", "not an ATT&CK STIX bundle"),
        ('{"type": "bundle", "id": "bundle--1"}', 'no "objects" list'),
        ('{"type": "bundle", "id": "bundle--1", "objects": [{"type": "indicator"}]}', "no attack-pattern"),
    ],
)
def test_corrupt_bundles_are_clear_load_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(LoadError, match=message):
        load_index(path, tmp_path / "cache")


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read ATT&CK bundle"):
        load_index(tmp_path / "nope.json", tmp_path / "cache")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage\x9c")
    with pytest.raises(LoadError, match="not an ATT&CK STIX bundle"):
        load_index(binary, tmp_path / "cache")


def test_load_index_or_builtin_falls_back_with_a_warning(handmade: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(handmade.read_text()[:500])
    index, warning = load_index_or_builtin(cut, tmp_path / "cache")
    assert index.is_builtin and index.meta.source == "builtin"
    assert warning is not None and "truncated JSON" in warning and "built-in catalogue" in warning
    good, none = load_index_or_builtin(handmade, tmp_path / "cache")
    assert none is None and good.technique("T9001") is not None
    builtin, nothing = load_index_or_builtin(None)
    assert builtin.is_builtin and nothing is None


def test_parse_bundle_reports_the_line_of_invalid_json() -> None:
    doc = json.dumps({"type": "bundle", "objects": []}, indent=2).replace('"objects"', "objects").encode()
    with pytest.raises(LoadError) as err:
        parse_bundle(doc, "x.json")
    assert err.value.location.line == 3
    assert "invalid JSON at line 3" in str(err.value)
