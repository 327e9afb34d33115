"""The pages after the workshop tell the truth and keep your place (issue 18).

Search ranking on the official bundle, status words (live = implemented or tested),
a technique turned into a use case in one step, and what the pages show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.attack import load_index
from workshop.store import Store

USECASES = "workshop/ui/pages/usecases.py"
ATTACK = "workshop/ui/pages/attack.py"
PORTFOLIO = "workshop/ui/pages/portfolio.py"
EXPORT = "workshop/ui/pages/export.py"
BASELINES = "workshop/ui/pages/baselines.py"


@pytest.fixture(scope="session")
def enterprise(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    return load_index(shared_dir / "attack" / "enterprise-attack-18.1.json", tmp_path_factory.mktemp("attack-cache"))


def ids(hits) -> list[str]:
    return [h.id for h in hits]


# --------------------------------------------------------------------------- ATT&CK search ranking


def test_brute_force_shows_the_technique_then_its_subtechniques(enterprise) -> None:
    top = ids(enterprise.search("brute force", limit=5, kinds=("technique", "subtechnique")))
    assert top[0] == "T1110"
    assert sorted(top[1:5]) == ["T1110.001", "T1110.002", "T1110.003", "T1110.004"]
    assert "T1558.003" not in top  # Kerberoasting only repeats the words in its description


def test_query_naming_a_technique_and_more_words_narrows_to_its_subtechnique(enterprise) -> None:
    hits = enterprise.search("phishing link", limit=3)
    assert ids(hits)[0] == "T1566.002" and "narrows T1566" in hits[0].matched
    assert "T1566" in ids(hits)


def test_shared_exact_name_prefers_the_one_inside_an_intrusion(enterprise) -> None:
    # Cloud Accounts is a sub-technique of Valid Accounts, Establish Accounts and Compromise Accounts.
    assert ids(enterprise.search("cloud accounts", limit=3))[0] == "T1078.004"


def test_scores_still_descend_down_the_tiers(enterprise) -> None:
    hits = enterprise.search("brute force", limit=12)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_benchmark_queries_all_hit_first(shared_dir: Path) -> None:
    from benchmarks.bench_attack_search import QUERIES, run

    result = run(shared_dir / "attack" / "enterprise-attack-18.1.json")
    assert len(QUERIES) == 30
    assert result["first"] == 30, result["misses"]
