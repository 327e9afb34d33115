"""Search ranking and the technique detail that ``attack show`` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.attack import load_builtin, load_index
from workshop.attack.search import stem, tokens


@pytest.fixture(scope="session")
def enterprise(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.getbasetemp() / "attack-cache"
    return load_index(shared_dir / "attack" / "enterprise-attack-18.1.json", cache)


def ids(hits) -> list[str]:
    return [h.id for h in hits]


def test_tokens_fold_plurals_and_drop_stop_words() -> None:
    assert tokens("The adversary uses Valid Accounts") == ["valid", "account"]
    assert stem("policies") == "policy" and stem("access") == "access" and stem("status") == "status"


@pytest.mark.parametrize("query", ["T1110", "t1110", " T1110 "])
def test_exact_id_comes_first_then_its_subtechniques(enterprise, query: str) -> None:
    hits = enterprise.search(query, limit=6)
    assert ids(hits)[:5] == ["T1110", "T1110.001", "T1110.002", "T1110.003", "T1110.004"]
    assert hits[0].matched[0] == "id" and hits[1].matched[0] == "id prefix"


def test_exact_subtechnique_id(enterprise) -> None:
    hits = enterprise.search("t1110.003")
    assert hits[0].id == "T1110.003" and hits[0].name == "Password Spraying"
    assert hits[0].tactics == ["credential-access"] and hits[0].is_subtechnique


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("brute force", "T1110"),
        ("Brute Force", "T1110"),
        ("password spraying", "T1110.003"),
        ("valid accounts", "T1078"),
        ("exploit public-facing application", "T1190"),
        ("mfa request generation", "T1621"),
        ("steal application access token", "T1528"),
        ("financial theft", "T1657"),
        ("APT29", "G0016"),  # a group by name
        ("Cozy Bear", "G0016"),  # ... and by alias
        ("DET0487", "DET0487"),
        ("AN1343", "AN1343"),  # analytics are found by ID
        ("credential access", "TA0006"),
    ],
)
def test_best_match_first(enterprise, query: str, first: str) -> None:
    assert enterprise.search(query, limit=5)[0].id == first


def test_words_in_descriptions_find_techniques(enterprise) -> None:
    hits = enterprise.search("mfa fatigue", kinds=["technique"], limit=3)
    assert hits[0].id == "T1621"
    assert "words: fatigue, mfa" in hits[0].matched


def test_prefix_of_a_word_still_finds_it(enterprise) -> None:
    assert enterprise.search("brut", limit=1)[0].id == "T1110"


def test_kinds_limit_and_scores(enterprise) -> None:
    hits = enterprise.search("brute force", limit=4, kinds=["technique"])
    assert len(hits) == 4 and all(h.kind == "technique" for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert enterprise.search("brute force", limit=0) == []
    assert enterprise.search("   ") == []
    assert enterprise.search("zzzqqqxxx") == []


def test_revoked_and_deprecated_only_when_asked(enterprise) -> None:
    assert "T1086" not in ids(enterprise.search("T1086"))  # revoked PowerShell
    hidden = enterprise.search("T1086", include_hidden=True)
    assert hidden[0].id == "T1086" and hidden[0].revoked


def test_search_on_the_builtin_catalogue() -> None:
    builtin = load_builtin()
    assert builtin.search("brute force")[0].id == "T1110"
    assert builtin.search("T1110.004")[0].name == "Credential Stuffing"
    # its own app_logs notes are searchable words
    assert "T1657" in ids(builtin.search("refunds bank details", limit=5))


def test_detail_holds_everything_show_prints(enterprise) -> None:
    d = enterprise.detail("T1110")
    assert d["id"] == "T1110" and d["name"] == "Brute Force"
    assert d["version"] == "18.1" and d["domain"] == "enterprise-attack" and d["source"] == "bundle"
    assert d["url"] == "https://attack.mitre.org/techniques/T1110"
    assert d["tactics"] == ["credential-access"]
    assert [s["id"] for s in d["subtechniques"]] == ["T1110.001", "T1110.002", "T1110.003", "T1110.004"]
    assert [s["id"] for s in d["detection_strategies"]] == ["DET0463"]
    analytics = d["detection_strategies"][0]["analytics"]
    assert len(analytics) > 3
    assert {"platform", "log_sources", "mutable_elements", "description"} <= set(analytics[0])
    assert any(a["mutable_elements"] for a in analytics)
    assert {"M1032", "M1036"} <= {m["id"] for m in d["mitigations"]}
    assert d["groups"] and d["campaigns"]
    assert d["description"].startswith("Adversaries may use brute force")


def test_detail_filters_analytics_by_platform(enterprise) -> None:
    d = enterprise.detail("T1110", platforms=["Linux"])
    platforms = {a["platform"] for s in d["detection_strategies"] for a in s["analytics"]}
    assert platforms == {"Linux"}


def test_detail_of_unknown_or_revoked(enterprise) -> None:
    assert enterprise.detail("T9999") is None
    assert enterprise.detail("T1086") is None
    assert enterprise.detail("T1086", include_hidden=True)["revoked"] is True
    sub = enterprise.detail("T1110.003")
    assert sub["parent"] == {"id": "T1110", "name": "Brute Force"}


def test_get_prefers_the_live_technique_over_an_old_mitigation_with_its_id(enterprise) -> None:
    # MITRE's old mitigations reused technique IDs (T1003 is both); they are deprecated.
    assert enterprise.get("T1003").kind == "technique"
    assert enterprise.get("M1032").name == "Multi-factor Authentication"
