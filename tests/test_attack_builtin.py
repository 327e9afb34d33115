"""The built-in catalogue: complete enough, and true to ATT&CK v18.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.attack import load_builtin, load_index
from workshop.attack.builtin import TECHNIQUES_FILE, app_logs_note
from workshop.attack.suggest import load_rules
from workshop.core.errors import ValidationErrors
from workshop.core.yamlsource import load_file


@pytest.fixture(scope="session")
def enterprise(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.getbasetemp() / "attack-cache"
    return load_index(shared_dir / "attack" / "enterprise-attack-18.1.json", cache)


@pytest.fixture(scope="module")
def builtin():
    return load_builtin()


def test_catalogue_is_plain_safe_yaml() -> None:
    import yaml

    doc = yaml.safe_load(TECHNIQUES_FILE.read_text(encoding="utf-8"))
    assert len(doc["techniques"]) >= 60
    assert doc["attack_version"] == "18.1"


def test_catalogue_covers_what_business_applications_need(builtin) -> None:
    required = {
        "T1078": "Valid Accounts",
        "T1110": "Brute Force",
        "T1110.001": "Password Guessing",
        "T1110.003": "Password Spraying",
        "T1110.004": "Credential Stuffing",
        "T1190": "Exploit Public-Facing Application",
        "T1098": "Account Manipulation",
        "T1136": "Create Account",
        "T1213": "Data from Information Repositories",
        "T1567": "Exfiltration Over Web Service",
        "T1119": "Automated Collection",
        "T1565": "Data Manipulation",
        "T1562": "Impair Defenses",
        "T1070": "Indicator Removal",
        "T1528": "Steal Application Access Token",
        "T1550": "Use Alternate Authentication Material",
        "T1621": "Multi-Factor Authentication Request Generation",
        "T1556": "Modify Authentication Process",
        "T1071": "Application Layer Protocol",
        "T1657": "Financial Theft",
        "T1485": "Data Destruction",
        "T1499": "Endpoint Denial of Service",
    }
    for tid, name in required.items():
        t = builtin.technique(tid)
        assert t is not None, tid
        assert t.name == name
    assert builtin.is_builtin and builtin.meta.version == "18.1"
    assert builtin.counts()["detection_strategies"] == 0


def test_every_entry_has_our_own_app_logs_note(builtin) -> None:
    for t in builtin.techniques:
        assert t.app_logs and len(t.app_logs) > 40, t.id
        assert "(Citation" not in t.app_logs and "Adversaries may" not in t.app_logs, t.id
    assert app_logs_note("T1110.003") == builtin.technique("T1110.003").app_logs
    assert app_logs_note("T1055") is None


def test_every_entry_matches_attack_18_1(builtin, enterprise) -> None:
    problems = []
    for entry in builtin.techniques:
        real = enterprise.technique(entry.id, include_hidden=True)
        if real is None:
            problems.append(f"{entry.id}: not in ATT&CK 18.1")
            continue
        if real.revoked or real.deprecated:
            problems.append(f"{entry.id}: revoked or deprecated in 18.1")
        if real.name != entry.name:
            problems.append(f"{entry.id}: name {entry.name!r}, ATT&CK says {real.name!r}")
        if real.stix_id != entry.stix_id:  # MITRE's own id, so a STIX export duplicates no object
            problems.append(f"{entry.id}: STIX id {entry.stix_id}, ATT&CK says {real.stix_id}")
        if set(real.tactics) != set(entry.tactics):
            problems.append(f"{entry.id}: tactics {entry.tactics}, ATT&CK says {real.tactics}")
        if not set(entry.platforms) <= set(real.platforms):
            problems.append(f"{entry.id}: platforms {entry.platforms} not all in {real.platforms}")
        if entry.parent and entry.parent != real.parent:
            problems.append(f"{entry.id}: parent {entry.parent}, ATT&CK says {real.parent}")
    assert problems == []
    assert [t.shortname for t in builtin.tactics] == [t.shortname for t in enterprise.tactics]
    assert [t.id for t in builtin.tactics] == [t.id for t in enterprise.tactics]


def test_catalogue_tactics_are_kebab_case_and_in_matrix_order(builtin) -> None:
    order = [t.shortname for t in builtin.tactics]
    for t in builtin.techniques:
        assert t.tactics == sorted(t.tactics, key=order.index), t.id
        assert all(x == x.lower() and " " not in x for x in t.tactics)


def test_suggestion_rules_only_name_catalogued_live_techniques(builtin, enterprise) -> None:
    for rule in load_rules():
        for tid in rule.techniques:
            assert builtin.technique(tid) is not None, f"{rule.id}: {tid} not in the built-in catalogue"
            assert enterprise.technique(tid) is not None, f"{rule.id}: {tid} not live in ATT&CK 18.1"


def test_a_broken_catalogue_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "techniques.yaml"
    broken.write_text(
        "attack_version: '18.1'\n"
        "tactics:\n"
        "  - {id: TA0006, shortname: credential-access, name: Credential Access}\n"
        "techniques:\n"
        "  - id: T1110\n"
        "    stix_id: attack-pattern--a93494bb-4b80-4ea1-8695-3236a49916fd\n"
        "    name: Brute Force\n"
        "    tactics: [credential-acces]\n"
        "    platforms: [SaaS]\n"
        "    app_logs: many failures\n"
        "  - id: X1\n"
        "  - id: T1078\n"
        "    name: Valid Accounts\n"
        "    tactics: [credential-access]\n"
        "    platforms: SaaS\n"
    )
    with pytest.raises(ValidationErrors) as err:
        load_builtin(broken)
    messages = [str(e) for e in err.value.errors]
    assert any(":5:" in m and "unknown tactic 'credential-acces'" in m for m in messages)
    assert any(":11:" in m and "'X1' is not like T1110" in m for m in messages)
    assert any(":12:" in m and "'platforms' must be" in m for m in messages)
    assert any(":12:" in m and "'app_logs'" in m for m in messages)
    assert any(":12:" in m and "'stix_id' must be MITRE's" in m for m in messages)
    assert len(messages) == 5


def test_catalogue_file_has_no_duplicate_ids() -> None:
    doc = load_file(TECHNIQUES_FILE)
    ids = [t["id"] for t in doc["techniques"]]
    assert len(ids) == len(set(ids))
