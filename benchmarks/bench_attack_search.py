"""Benchmark: does ATT&CK search put the technique an analyst means first?

Run from the project root::

    .venv/bin/python benchmarks/bench_attack_search.py [--bundle PATH] [--json] [--strict]

Thirty queries, each with the technique a detection engineer expects on top: ATT&CK's
own technique names (exact and in other word orders), IDs, and the phrasings analysts
use in a workshop ("password spraying", "pass the hash", "phishing link"). The script
reports how many come first and how many are in the top five, and lists the misses
with what came first instead. The bundle is the official enterprise v18.1 file from the
shared data folder (``$WORKSHOP_SHARED``, else ``../shared``), else the built-in
catalogue (where some techniques do not exist, and the figures are not comparable).
``--strict`` exits 1 unless every query hits in the top five.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from workshop.attack import load_index  # noqa: E402

#: (query, expected first hit). Names as ATT&CK spells them, then analysts' phrasings.
QUERIES: list[tuple[str, str]] = [
    ("brute force", "T1110"),
    ("password spraying", "T1110.003"),
    ("credential stuffing", "T1110.004"),
    ("password guessing", "T1110.001"),
    ("password cracking", "T1110.002"),
    ("pass the hash", "T1550.002"),
    ("pass the ticket", "T1550.003"),
    ("kerberoasting", "T1558.003"),
    ("phishing", "T1566"),
    ("phishing link", "T1566.002"),
    ("spearphishing attachment", "T1566.001"),
    ("valid accounts", "T1078"),
    ("cloud accounts", "T1078.004"),
    ("data from information repositories", "T1213"),
    ("sharepoint", "T1213.002"),
    ("exfiltration over web service", "T1567"),
    ("exfiltration to cloud storage", "T1567.002"),
    ("account manipulation", "T1098"),
    ("additional cloud credentials", "T1098.001"),
    ("create account", "T1136"),
    ("account discovery", "T1087"),
    ("steal web session cookie", "T1539"),
    ("mfa fatigue", "T1621"),
    ("multi-factor authentication request generation", "T1621"),
    ("data destruction", "T1485"),
    ("data encrypted for impact", "T1486"),
    ("exploit public-facing application", "T1190"),
    ("web shell", "T1505.003"),
    ("T1110", "T1110"),
    ("t1078.004", "T1078.004"),
]


def shared_bundle() -> Path | None:
    shared = Path(os.environ.get("WORKSHOP_SHARED") or PROJECT_ROOT.parent / "shared")
    for candidate in (shared / "attack" / "enterprise-attack-18.1.json", Path("/work/shared/attack/enterprise-attack-18.1.json")):
        if candidate.is_file():
            return candidate
    return None


def run(bundle: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        idx = load_index(bundle, cache_dir=cache) if bundle else load_index(None)
        first = top5 = 0
        misses = []
        for query, expected in QUERIES:
            ids = [h.id for h in idx.search(query, limit=5, kinds=("technique", "subtechnique"))]
            if ids[:1] == [expected]:
                first += 1
            if expected in ids:
                top5 += 1
            if ids[:1] != [expected]:
                misses.append({"query": query, "expected": expected, "got": ids})
    return {"bundle": str(bundle) if bundle else "built-in", "queries": len(QUERIES), "first": first,
            "top5": top5, "misses": misses}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", type=Path, help="an ATT&CK STIX bundle (default: the shared v18.1 file)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--strict", action="store_true", help="exit 1 unless every query is in the top five")
    args = ap.parse_args(argv)
    result = run(args.bundle or shared_bundle())
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"ATT&CK search on {result['bundle']}: {result['queries']} queries")
        print(f"  first hit right: {result['first']}/{result['queries']}")
        print(f"  in the top 5:    {result['top5']}/{result['queries']}")
        for m in result["misses"]:
            print(f"  miss: {m['query']!r} expected {m['expected']}, got {', '.join(m['got']) or 'nothing'}")
    return 1 if args.strict and result["top5"] < result["queries"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
