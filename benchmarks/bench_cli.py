"""Benchmark: start-up of the command line, whole processes against ``python -c pass``.

Run from the project root::

    .venv/bin/python benchmarks/bench_cli.py [--repeats N] [--strict]

Targets (issue 12), wall time of the whole process on this machine:

* ``workshop --help`` within 0.15 s;
* ``workshop attack info`` within 0.3 s, cached: the built-in catalogue, and the
  enterprise v18.1 bundle from the shared data folder (``$WORKSHOP_SHARED``, else
  ``../shared``) once its index cache exists (a warm-up run writes it).

Each round runs every command once, in turn, so machine load falls on all of them
alike; the table gives the median, p95 and best wall time over the rounds, the median CPU
time (user + system; steadier than wall time when other work shares the machine), the
median less ``python -c pass`` (what the toolkit adds to an interpreter's start) and
the median against the target (at most 1.0 meets it). ``--strict`` exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT, SHARED, summary_ms, table

BUNDLE = SHARED / "attack" / "enterprise-attack-18.1.json"
HELP_TARGET_S = 0.15
ATTACK_INFO_TARGET_S = 0.3


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (CPU time is less disturbed by a busy machine)."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - start, _children_cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="rounds over the commands (default 20)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("WORKSHOP_ATTACK_BUNDLE", None)
    # As installed: compiled modules are cached (the warm-up writes any missing .pyc);
    # without them every start would compile the sources again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    workshop = [sys.executable, "-m", "workshop"]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as cache:
        # name, command, target in seconds (None: a reference without a target)
        cases: list[tuple[str, list[str], float | None]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], None),
            ("workshop --help", [*workshop, "--help"], HELP_TARGET_S),
            ("workshop attack info (built-in)", [*workshop, "attack", "info", "--bundle", "builtin"],
             ATTACK_INFO_TARGET_S),
        ]  # fmt: skip
        if BUNDLE.is_file():
            cases.append(
                (
                    f"workshop attack info ({BUNDLE.name}, cached)",
                    [*workshop, "attack", "info", "--bundle", str(BUNDLE), "--cache-dir", cache],
                    ATTACK_INFO_TARGET_S,
                )
            )
        else:
            print(f"note: no ATT&CK bundle at {BUNDLE} (set WORKSHOP_SHARED); its row is skipped\n")
        for _, cmd, _ in cases:  # warm-up: .pyc files, page cache, the bundle's index cache
            run_once(cmd, env)
            run_once(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(max(1, args.repeats)):
            for name, cmd, _ in cases:
                wall, used = run_once(cmd, env)
                samples[name].append(wall)
                cpu[name].append(used)

    print(
        f"Command-line start-up: whole processes, {args.repeats} rounds, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs\n"
    )
    baseline_ms = statistics.median(samples[cases[0][0]]) * 1000
    rows: list[list[object]] = []
    missed = False
    for name, _, target in cases:
        s = summary_ms(samples[name])
        cpu_ms = statistics.median(cpu[name]) * 1000
        best = min(samples[name]) * 1000
        over = s["median"] - baseline_ms
        if target is None:
            rows.append([name, f"{s['median']:.0f}", f"{s['p95']:.0f}", f"{best:.0f}", f"{cpu_ms:.0f}", "", "", "",
                         "reference"])  # fmt: skip
            continue
        ratio = s["median"] / (target * 1000)
        missed |= ratio > 1
        rows.append([name, f"{s['median']:.0f}", f"{s['p95']:.0f}", f"{best:.0f}", f"{cpu_ms:.0f}", f"{over:+.0f}",
                     f"{target * 1000:.0f}", f"{ratio:.2f}", "ok" if ratio <= 1 else "MISSED"])  # fmt: skip
    header = [
        "command",
        "median ms",
        "p95 ms",
        "best ms",
        "cpu ms",
        "median - pass",
        "target ms",
        "median/target",
        "",
    ]
    print(table(rows, header))
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(figures are only comparable on an idle machine)")  # fmt: skip
    if missed:
        print("\nSome targets were missed (see the last column).")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
