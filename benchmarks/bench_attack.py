"""Benchmark: loading and searching ATT&CK, ours against mitreattack-python.

Run from the project root::

    .venv/bin/pip install -r benchmarks/requirements.txt   # for the comparison column
    .venv/bin/python benchmarks/bench_attack.py [--stix2] [--strict]

Targets (issue 5), on the enterprise v18.1 bundle from the shared data folder
(``$WORKSHOP_SHARED``, else ``../shared``):

* cold load (no cache) at least 10x faster than ``mitreattack.stix20.MitreAttackData``
  (the index is usable when ``load_index`` returns; the cache file is written in the
  background, and the table also shows the time until it is on disk);
* warm start from the cache under 0.2 s;
* search under 20 ms at the 95th percentile over a fixed list of 50 queries.

Everything runs in one process, one measurement after the other, so the numbers
share the same machine state. ``--stix2`` adds a plain ``stix2.MemoryStore`` load
(another ~10 s); ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from workshop.attack import load_index  # noqa: E402
from workshop.attack.cache import wait_for_writes  # noqa: E402

SHARED = Path(os.environ.get("WORKSHOP_SHARED", PROJECT_ROOT.parent / "shared"))
BUNDLE = SHARED / "attack" / "enterprise-attack-18.1.json"

COLD_TARGET_RATIO = 10.0
WARM_TARGET_S = 0.2
SEARCH_P95_TARGET_MS = 20.0

#: A fixed mix of what facilitators type: IDs (exact, lower case, prefixes), technique
#: names, everyday words, group names and aliases, half-typed words.
QUERIES = [
    "T1110", "t1110.003", "T1078", "T1190", "T1567.002", "T15", "TA0006", "M1032", "DET0463", "G0016",
    "brute force", "password spraying", "credential stuffing", "valid accounts", "exploit public-facing application",
    "account manipulation", "create account", "data from information repositories", "exfiltration over web service",
    "automated collection", "data manipulation", "disable logging", "indicator removal", "steal application access token",
    "alternate authentication material", "mfa fatigue", "modify authentication process", "application layer protocol",
    "financial theft", "data destruction", "endpoint denial of service", "web shell", "session cookie",
    "api key", "oauth consent", "bulk export", "insider", "impossible travel", "cloud storage", "ransomware",
    "APT29", "Cozy Bear", "Lazarus", "SolarWinds", "phish", "powershel", "kerber", "lockout", "audit log", "sql injection",
]  # fmt: skip


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 0.001:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stix2", action="store_true", help="also time a plain stix2.MemoryStore load")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--rounds", type=int, default=10, help="search rounds over the 50 queries (default 10)"
    )
    args = parser.parse_args(argv)

    if not BUNDLE.is_file():
        print(
            f"SKIPPED: no ATT&CK bundle at {BUNDLE}: the shared data folder is missing (set WORKSHOP_SHARED)."
        )
        return 0
    try:
        from mitreattack.stix20 import MitreAttackData
    except ImportError:
        MitreAttackData = None
        print("note: mitreattack-python is not installed; its column is skipped")
        print("      (.venv/bin/pip install -r benchmarks/requirements.txt)\n")

    size_mb = BUNDLE.stat().st_size / 1e6
    print(
        f"ATT&CK benchmark: {BUNDLE.name} ({size_mb:.1f} MB), Python {platform.python_version()}, {os.cpu_count()} CPUs\n"
    )
    BUNDLE.read_bytes()  # both sides start with the file in the page cache

    rows: list[tuple[str, str, str, str, str, str]] = []
    verdicts: list[bool] = []
    with tempfile.TemporaryDirectory(prefix="bench-attack-") as tmp:
        json_s, _ = timed(lambda: json.loads(BUNDLE.read_bytes()))

        colds, colds_written = [], []
        for i in range(3):
            start = time.perf_counter()
            seconds, index = timed(lambda i=i: load_index(BUNDLE, Path(tmp) / f"cold{i}"))
            assert index.cache_status == "miss"
            wait_for_writes()  # the cache file is written in the background
            colds_written.append(time.perf_counter() - start)
            colds.append(seconds)
        cold = statistics.median(colds)
        cold_written = statistics.median(colds_written)
        cache = Path(tmp) / "cold0"
        warms = []
        for _ in range(5):
            seconds, index = timed(lambda: load_index(BUNDLE, cache))
            assert index.cache_status == "hit"
            warms.append(seconds)
        warm = statistics.median(warms)
        process_warm = _process_warm_start(cache)

        # The search index is built on the first search after a new bundle (and cached),
        # then read from the cache on the first search after each start.
        _, index = timed(lambda: load_index(BUNDLE, cache))
        first_build, _ = timed(lambda: index.search("brute force"))
        assert index.postings_cache.status == "built"
        _, index = timed(lambda: load_index(BUNDLE, cache))
        first_cached, _ = timed(lambda: index.search("brute force"))
        assert index.postings_cache.status == "hit"
        # Search p95: on a freshly started index, so reading the search cache is included.
        _, index = timed(lambda: load_index(BUNDLE, cache))
        times: list[float] = []
        for _ in range(max(1, args.rounds)):
            for q in QUERIES:
                start = time.perf_counter()
                index.search(q, limit=20)
                times.append(time.perf_counter() - start)
        p50, p95, worst = percentile(times, 50), percentile(times, 95), max(times)
        id_s = _per_call(lambda: index.technique("T1110.003"))
        words_s = _per_call(lambda: index.search("brute force", kinds=["technique"]), n=200)

        mad_cold = mad_id = mad_words = None
        if MitreAttackData is not None:
            mad_cold, mad = timed(lambda: MitreAttackData(stix_filepath=str(BUNDLE)))
            mad_id = _per_call(lambda: mad.get_object_by_attack_id("T1110.003", "attack-pattern"), n=20)
            mad_words = _per_call(lambda: mad.get_objects_by_content("brute force", "attack-pattern"), n=5)
            del mad
        stix2_s = None
        if args.stix2:
            import stix2

            stix2_s, store = timed(
                lambda: stix2.MemoryStore(stix_data=json.loads(BUNDLE.read_bytes()), allow_custom=True)
            )
            del store

    def ratio(theirs: float | None, ours: float) -> str:
        return f"{theirs / ours:,.0f}x" if theirs else "n/a"

    cold_ok = mad_cold is None or mad_cold / cold >= COLD_TARGET_RATIO
    rows.append(
        (
            "cold load, no cache",
            fmt_s(cold),
            fmt_s(mad_cold),
            ratio(mad_cold, cold),
            f">= {COLD_TARGET_RATIO:g}x",
            _ok(cold_ok) if mad_cold else "not compared",
        )
    )
    verdicts.append(cold_ok)
    rows.append(
        (
            "  same, until the cache is on disk",
            fmt_s(cold_written),
            fmt_s(mad_cold),
            ratio(mad_cold, cold_written),
            "",
            "",
        )
    )
    rows.append(
        (
            "warm start, from cache",
            fmt_s(warm),
            "n/a",
            ratio(mad_cold, warm),
            f"< {WARM_TARGET_S:g} s",
            _ok(warm < WARM_TARGET_S),
        )
    )
    verdicts.append(warm < WARM_TARGET_S)
    rows.append(("  same, new process (+ imports)", fmt_s(process_warm), "", "", "", ""))
    rows.append((f"search p95 ({len(QUERIES)} queries x {args.rounds})", fmt_s(p95), "", "", f"< {SEARCH_P95_TARGET_MS:g} ms",
                 _ok(p95 * 1000 < SEARCH_P95_TARGET_MS)))  # fmt: skip
    verdicts.append(p95 * 1000 < SEARCH_P95_TARGET_MS)
    rows.append(("  search p50 / max", f"{fmt_s(p50)} / {fmt_s(worst)}", "", "", "", ""))
    rows.append(("  first search, new bundle (builds index)", fmt_s(first_build), "", "", "", ""))
    rows.append(("  first search after a start (reads index)", fmt_s(first_cached), "", "", "", ""))
    rows.append(("lookup by ID (T1110.003)", fmt_s(id_s), fmt_s(mad_id), ratio(mad_id, id_s), "", ""))
    rows.append(
        (
            "words 'brute force' (techniques)",
            fmt_s(words_s),
            fmt_s(mad_words),
            ratio(mad_words, words_s),
            "",
            "",
        )
    )
    rows.append(("reference: json.loads of the file", fmt_s(json_s), "", "", "", ""))
    if stix2_s is not None:
        rows.append(("reference: stix2.MemoryStore load", fmt_s(stix2_s), "", ratio(stix2_s, cold), "", ""))

    header = ("operation", "workshop", "mitreattack", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(6)]
    for n, row in enumerate([header, *rows]):
        print(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\ncold runs: {', '.join(fmt_s(s) for s in colds)}; warm runs: {', '.join(fmt_s(s) for s in warms)}"
    )
    print("ratio: mitreattack time / workshop time (the search row compares with get_objects_by_content)")
    missed = not all(verdicts)
    if missed:
        print("\nSome targets were missed (see the last column).")
    return 1 if (missed and args.strict) else 0


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def _per_call(fn: Callable[[], Any], n: int = 1000) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def _process_warm_start(cache: Path) -> float | None:
    """Wall time of a new interpreter that imports the toolkit and loads from the cache."""
    code = (
        "import time; t = time.perf_counter(); from workshop.attack import load_index; "
        f"i = load_index({str(BUNDLE)!r}, {str(cache)!r}); assert i.cache_status == 'hit'; "
        "print(time.perf_counter() - t)"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return float(out.stdout.strip())
    except (subprocess.SubprocessError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
