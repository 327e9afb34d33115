"""Where ``workshop baseline profile`` spends its time: wall and CPU seconds per stage, in one process.

Run from the project root (the benchmark's cached samples are in the system's temporary folder)::

    .venv/bin/python benchmarks/stages_baseline.py FILE [--entity user] [--runs 3]

The stages are the engine's own steps (imports, format and mapping, reading into
DuckDB, the count tables, the figures grouped per row, the derivation in Python,
the JSON), each DuckDB statement on its own line. CPU is the process's user +
system time (all threads), which other work on a shared machine skews far less
than wall time; with ``--runs`` above one, each stage shows its smallest CPU time
over the runs (the imports are measured once: a module is imported only once).
``WORKSHOP_BASELINE_THREADS=1`` shows the work itself, without the waiting of
threads on a busy machine. Diagnostic only: the figures are those of the command.
"""

from __future__ import annotations

import time

T0, C0 = time.perf_counter(), time.process_time()

import argparse  # noqa: E402
import io  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import redirect_stdout  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop.baseline import engine  # noqa: E402
from workshop.cli._common import print_json  # noqa: E402

IMPORTS = (time.perf_counter() - T0, time.process_time() - C0)
#: label -> (wall, cpu) of each run, in first-seen order.
STAGES: dict[str, list[tuple[float, float]]] = {}


def _note(label: str, wall: float, cpu: float) -> None:
    STAGES.setdefault(label, []).append((wall, cpu))


def _timed(owner: Any, name: str, label: Callable[..., str]) -> None:
    """Replace ``owner.name`` by a version noting its time under ``label(args)``."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            _note(label(*args, **kwargs), time.perf_counter() - t0, time.process_time() - c0)

    setattr(owner, name, wrapper)


def _sql(prefix: str) -> Callable[..., str]:
    return lambda _self, sql, *_a, **_k: f"  {prefix} {' '.join(sql.split())[:100]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--entity", default="user")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    _timed(engine, "plan_read", lambda *a, **k: "format, head and mapping")
    _timed(engine._Engine, "ingest", lambda *a, **k: "reading into DuckDB")
    _timed(engine._Engine, "_count_tables", lambda *a, **k: "count tables")
    _timed(engine._Engine, "_row_figures", lambda *a, **k: "figures per row")
    _timed(engine, "profile_from_tables", lambda *a, **k: "derivation (Python)")
    _timed(engine._Engine, "run", _sql("sql"))
    _timed(engine._Engine, "_numpy", _sql("sql to NumPy"))
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        _sample, profile = engine.profile_file_streaming(args.file, entity=args.entity, size_limit=None)
        data = profile.to_dict(histograms=False)
        t1, c1 = time.perf_counter(), time.process_time()
        with redirect_stdout(io.StringIO()):
            print_json(data)
        _note("JSON output", time.perf_counter() - t1, time.process_time() - c1)
        _note("total after imports", time.perf_counter() - t0, time.process_time() - c0)
    print(f"{'wall s':>8} {'CPU s':>7}  stage (smallest CPU of {args.runs} run(s))")
    print(f"{IMPORTS[0]:8.3f} {IMPORTS[1]:7.3f}  imports (once)")
    for label, times in STAGES.items():
        wall, cpu = min(times, key=lambda t: t[1])
        print(f"{wall:8.3f} {cpu:7.3f}  {label}")
    print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
