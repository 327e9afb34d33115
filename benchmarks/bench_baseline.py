"""Benchmark: profiling a 1,000,000-event CSV sample, against DuckDB on the same file.

Run from the project root::

    .venv/bin/python benchmarks/bench_baseline.py [--events 1000000] [--runs 5] [--keep DIR]

What is measured, in one process:

* generation: a CSV audit log with a fixed seed (timestamp with offset, user,
  action, outcome, source_ip, records) in a temporary folder; not timed.
* project: ``load_sample`` + ``build_profile`` (the full profile: everything
  below plus failures, volumes, first-seen sets, breakdowns, hourly rates...).
* duckdb: ``read_csv`` into a table, then the same core statistics: events per
  user per day (p50/p90/p95/p99/max, ``quantile_cont``), hour of day, weekday,
  events per action, distinct users.

Both sides run once to warm up (the file is then in the page cache for both),
then ``--runs`` times in turns, so that load from other processes falls on both
alike; the table shows median and best wall times, CPU times and the ratios.
Requirement: project <= 1.5 x DuckDB (median wall time), project peak memory
< 1.5 GB.

Peak memory is the process's peak resident set size (VmHWM in /proc/self/status)
during one project run of its own: the peak is reset before it by writing 5 to
/proc/self/clear_refs (Linux); where that is not allowed, a thread samples VmRSS
every millisecond instead. Both count everything the process holds (Python,
pandas, Arrow's memory pool), not only Python objects as tracemalloc would.
The core figures of both sides are compared and must agree.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = [
    ("view_record", 0.55),
    ("search", 0.15),
    ("update_record", 0.08),
    ("login", 0.06),
    ("logout", 0.05),
    ("export", 0.02),
    ("download_report", 0.02),
    ("approve_payment", 0.015),
    ("create_record", 0.015),
    ("delete_record", 0.005),
    ("permission_change", 0.004),
    ("user_created", 0.003),
    ("config_change", 0.003),
    ("api_call", 0.02),
    ("password_change", 0.01),
]


def generate_csv(path: Path, events: int, seed: int = 42) -> None:
    """A realistic-looking audit log, vectorised (a second or two for 1M rows)."""
    rng = np.random.default_rng(seed)
    users = 5000
    days = 60
    start = np.datetime64("2024-01-01T00:00:00", "s")
    # Users: Zipf-like activity, so per-user-day counts have a long tail.
    weights = 1.0 / np.arange(1, users + 1) ** 0.8
    user = rng.choice(users, size=events, p=weights / weights.sum())
    day = rng.integers(0, days, events)
    weekend = (day + 0) % 7 >= 5  # 2024-01-01 is a Monday
    day = np.where(weekend & (rng.random(events) < 0.85), day - 2, day).clip(0, days - 1)
    hour = np.clip(rng.normal(13, 3, events), 0, 23.99)
    night = rng.random(events) < 0.03
    hour = np.where(night, rng.uniform(0, 24, events), hour)
    seconds = (day * 86400 + hour * 3600).astype(np.int64)
    ts = start + seconds.astype("timedelta64[s]")
    names, probs = zip(*ACTIONS, strict=True)
    p = np.array(probs) / sum(probs)
    action = rng.choice(len(names), size=events, p=p)
    outcome = np.where(rng.random(events) < 0.03, "failure", "success")
    ip_host = (user * 7 + rng.integers(0, 2, events)) % 65000
    ips = pa.array([f"10.{(h >> 8) & 255}.{h & 255}.{(h * 13) % 250 + 1}" for h in range(65000)])
    records = rng.poisson(4, events) + 1
    table = pa.table(
        {
            "timestamp": pa.compute.strftime(
                pa.array(ts, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ"
            ),
            "user": pa.DictionaryArray.from_arrays(
                pa.array(user, pa.int32()), pa.array([f"user{u:05d}" for u in range(users)])
            ).cast(pa.string()),
            "action": pa.DictionaryArray.from_arrays(pa.array(action, pa.int32()), pa.array(names)).cast(
                pa.string()
            ),
            "outcome": pa.array(outcome),
            "source_ip": ips.take(pa.array(ip_host)),
            "records": pa.array(records),
        }
    )
    pcsv.write_csv(table, path, write_options=pcsv.WriteOptions(quoting_style="none"))


def run_project(path: Path) -> dict:
    from workshop.baseline.build import build_profile
    from workshop.baseline.loading import load_sample

    sample = load_sample(path)
    profile = build_profile(sample, entity_role="user", tz="UTC")
    d = profile.per_entity_day
    return {
        "per_entity_day": [d.p50, d.p90, d.p95, d.p99, d.max],
        "hour_of_day": profile.hour_of_day,
        "weekday": profile.weekday,
        "actions": {name: vf.events for name, vf in profile.actions.values.items()}
        if profile.actions
        else {},
        "entities": profile.entities,
        "events": profile.events,
    }


def run_duckdb(path: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        'CREATE TEMP TABLE ev AS SELECT CAST(timestamp AS TIMESTAMPTZ) AS ts, "user", action '
        f"FROM read_csv('{path}', header = true)"
    )
    q = con.execute(
        "SELECT quantile_cont(n, [0.5, 0.9, 0.95, 0.99]), max(n) FROM "
        "(SELECT \"user\", date_trunc('day', ts) AS d, count(*) AS n FROM ev GROUP BY ALL)"
    ).fetchone()
    hours = dict(con.execute("SELECT hour(ts) AS h, count(*) FROM ev GROUP BY h").fetchall())
    days = dict(con.execute("SELECT isodow(ts) AS w, count(*) FROM ev GROUP BY w").fetchall())
    actions = dict(con.execute("SELECT action, count(*) FROM ev GROUP BY action").fetchall())
    entities, events = con.execute('SELECT count(DISTINCT "user"), count(*) FROM ev').fetchone()
    con.close()
    return {
        "per_entity_day": [*q[0], q[1]],
        "hour_of_day": [hours.get(h, 0) for h in range(24)],
        "weekday": [days.get(w, 0) for w in range(1, 8)],
        "actions": actions,
        "entities": entities,
        "events": events,
    }


class PeakRSS:
    """Peak resident memory of this process during a block, in bytes."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.method = ""

    @staticmethod
    def _status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> PeakRSS:
        gc.collect()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM after reset (clear_refs)"
        except OSError:
            self.method = "VmRSS sampled every 1 ms"
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        self.start_rss = self._status("VmRSS")
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._status("VmRSS"))
            time.sleep(0.001)

    def __exit__(self, *exc: object) -> None:
        if self._thread:
            self._stop.set()
            self._thread.join()
        else:
            self.peak = self._status("VmHWM")


def timed_pair(path: Path, runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict, dict]:
    """Wall and CPU times (all threads of the process) of both sides, run in
    turns (project, DuckDB, project, ...) so that other load on the machine
    falls on both alike."""
    wall: dict[str, list[float]] = {"project": [], "duckdb": []}
    cpu: dict[str, list[float]] = {"project": [], "duckdb": []}
    results: dict[str, dict] = {}
    for _ in range(runs):
        for name, fn in (("project", run_project), ("duckdb", run_duckdb)):
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            results[name] = fn(path)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return wall, cpu, results["project"], results["duckdb"]


def compare(a: dict, b: dict) -> list[str]:
    problems = []
    if not np.allclose(a["per_entity_day"], b["per_entity_day"]):
        problems.append(f"per_entity_day {a['per_entity_day']} != {b['per_entity_day']}")
    for key in ("hour_of_day", "weekday", "entities", "events"):
        if a[key] != b[key]:
            problems.append(f"{key} differs")
    for name, n in a["actions"].items():
        if b["actions"].get(name) != n:
            problems.append(f"action {name}: {n} != {b['actions'].get(name)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="write the CSV here instead of a temporary folder")
    args = parser.parse_args()
    import duckdb

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "bench_audit.csv"
        t0 = time.perf_counter()
        generate_csv(path, args.events)
        print(
            f"generated {args.events:,} events, {path.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - t0:.1f} s"
        )
        gc.collect()
        run_project(path)  # warm-up: page cache, imports
        run_duckdb(path)
        with PeakRSS() as mem:
            run_project(path)
        load_before = os.getloadavg()[0]
        wall, cpu, project, duck = timed_pair(path, args.runs)
        project_times, duck_times = wall["project"], wall["duckdb"]
        project_cpu, duck_cpu = cpu["project"], cpu["duckdb"]
    problems = compare(project, duck)
    p_med, d_med = statistics.median(project_times), statistics.median(duck_times)
    ratio = p_med / d_med
    print()
    print(f"{'':<28}{'project':>12}{'duckdb ' + duckdb.__version__:>16}{'ratio':>9}")
    print(f"{'median wall time (s)':<28}{p_med:>12.3f}{d_med:>16.3f}{ratio:>9.2f}")
    print(
        f"{'best wall time (s)':<28}{min(project_times):>12.3f}{min(duck_times):>16.3f}{min(project_times) / min(duck_times):>9.2f}"
    )
    pc, dc = statistics.median(project_cpu), statistics.median(duck_cpu)
    print(f"{'median CPU time (s)':<28}{pc:>12.3f}{dc:>16.3f}{pc / dc:>9.2f}")
    print(f"{'peak RSS, project (MB)':<28}{mem.peak / 2**20:>12.0f}")
    print(
        f"  {os.cpu_count()} CPUs; load average before the runs {load_before:.2f} (other work skews wall times)"
    )
    print(f"  memory: {mem.method}; RSS before the runs {mem.start_rss / 2**20:.0f} MB")
    print(f"  per-entity-day p50/p90/p95/p99/max: {project['per_entity_day']}")
    print(f"  results agree with DuckDB: {'yes' if not problems else 'NO: ' + '; '.join(problems)}")
    ok_time = ratio <= 1.5
    ok_mem = mem.peak < 1.5 * 2**30
    print(
        f"requirement time <= 1.5x DuckDB: {'met' if ok_time else 'NOT met'}; peak memory < 1.5 GB: {'met' if ok_mem else 'NOT met'}"
    )
    return 0 if ok_time and ok_mem and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
