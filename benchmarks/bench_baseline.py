"""Benchmark: `workshop baseline profile` against a plain DuckDB script, as whole processes.

Run from the project root::

    .venv/bin/python benchmarks/bench_baseline.py [--events 1000000 20000000] [--runs 3] [--cache DIR]

What is measured:

* generation: a CSV audit log with a fixed seed (timestamp with offset, user,
  action, outcome, source_ip, records), written once per size into a cache folder
  (default: a folder in the system's temporary folder) and reused; not timed.
* project: the process ``python -m workshop baseline profile FILE --entity user --json``
  (start-up, reading, the full profile: every figure below and failures, volumes,
  first-seen sets, breakdowns, hourly rates...).
* duckdb: the process ``python -c SCRIPT FILE``, a plain DuckDB script (default
  settings) computing the core statistics: events per user per day
  (p50/p90/p95/p99/max), hour of day, weekday, events per action, distinct users.

Both run once to warm up (the file is then in the page cache for both), then
``--runs`` times in turns. Time is wall time of the whole process, start-up
included; memory is the process's peak resident set size from ``os.wait4``
(``ru_maxrss`` of that child alone). The core figures of both must agree.
Targets: project <= 1.2 x DuckDB's time; project peak < 1 GB at 20 million events.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


DUCKDB_SCRIPT = r"""
import json, sys
import duckdb
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(
    'CREATE TEMP TABLE ev AS SELECT CAST(timestamp AS TIMESTAMPTZ) AS ts, "user", action '
    f"FROM read_csv('{sys.argv[1]}', header = true)"
)
q = con.execute(
    "SELECT quantile_cont(n, [0.5, 0.9, 0.95, 0.99]), max(n) FROM "
    "(SELECT \"user\", date_trunc('day', ts) AS d, count(*) AS n FROM ev GROUP BY ALL)"
).fetchone()
hours = dict(con.execute("SELECT hour(ts) AS h, count(*) FROM ev GROUP BY h").fetchall())
days = dict(con.execute("SELECT isodow(ts) AS w, count(*) FROM ev GROUP BY w").fetchall())
actions = dict(con.execute("SELECT action, count(*) FROM ev GROUP BY action").fetchall())
entities, events = con.execute('SELECT count(DISTINCT "user"), count(*) FROM ev').fetchone()
print(json.dumps({
    "per_entity_day": [*q[0], q[1]],
    "hour_of_day": [hours.get(h, 0) for h in range(24)],
    "weekday": [days.get(w, 0) for w in range(1, 8)],
    "actions": actions,
    "entities": entities,
    "events": events,
}))
"""


def project_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "workshop", "baseline", "profile", str(path), "--entity", "user", "--json"]


def duckdb_command(path: Path) -> list[str]:
    return [sys.executable, "-c", DUCKDB_SCRIPT, str(path)]


def run(command: list[str]) -> tuple[float, int, str]:
    """Wall time (s), peak RSS (bytes) and standard output of one whole process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        # wait4 reaps this child and gives its own resource usage (ru_maxrss in KiB on Linux).
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command[:6])} failed: {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss * 1024, out.read().decode()


def figures_of_profile(data: dict) -> dict:
    d = data["per_entity_day"]
    actions = (data.get("breakdowns") or {}).get("action", {}).get("values", {})
    return {
        "per_entity_day": [d["p50"], d["p90"], d["p95"], d["p99"], d["max"]],
        "hour_of_day": data["hour_of_day"],
        "weekday": data["weekday"],
        "actions": {name: v["events"] for name, v in actions.items()},
        "entities": data["entities"],
        "events": data["events"],
    }


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


def cached_sample(folder: Path, events: int, seed: int = 42) -> Path:
    """The generated sample of ``events`` rows, written once and reused (atomically: never half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench_audit_{events}_seed{seed}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        part = path.with_suffix(".part")
        chunk = 2_000_000
        with part.open("wb") as out:
            for i, start in enumerate(range(0, events, chunk)):
                piece = folder / f"piece{i}.csv"
                generate_csv(piece, min(chunk, events - start), seed + i)
                data = piece.read_bytes()
                out.write(data if i == 0 else data.split(b"\n", 1)[1])
                piece.unlink()
        part.rename(path)
        print(
            f"generated {events:,} events, {path.stat().st_size / 1e6:,.0f} MB, in {time.perf_counter() - t0:.1f} s"
        )
    return path


def bench(path: Path, runs: int) -> dict:
    run(project_command(path))  # warm-up: page cache, imports
    run(duckdb_command(path))
    times: dict[str, list[float]] = {"project": [], "duckdb": []}
    peaks: dict[str, list[int]] = {"project": [], "duckdb": []}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        for name, command in (("project", project_command(path)), ("duckdb", duckdb_command(path))):
            wall, peak, out = run(command)
            times[name].append(wall)
            peaks[name].append(peak)
            outputs[name] = out
    problems = compare(
        figures_of_profile(json.loads(outputs["project"])),
        # DuckDB draws a progress bar on long queries; the figures are the JSON after it.
        json.loads(outputs["duckdb"][outputs["duckdb"].rindex('{"per_entity_day"') :]),
    )
    return {"times": times, "peaks": peaks, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 20_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cache",
        metavar="DIR",
        default=str(Path(tempfile.gettempdir()) / "workshop-bench-baseline"),
        help="where the generated samples are kept between runs",
    )
    args = parser.parse_args()
    import duckdb

    ok = True
    print(f"{os.cpu_count()} CPUs; duckdb {duckdb.__version__}; {args.runs} run(s) each after a warm-up")
    print(
        f"{'events':>12}{'MB':>8}{'project s':>11}{'duckdb s':>10}{'ratio':>7}{'project MB':>12}{'duckdb MB':>11}  agree"
    )
    for events in args.events:
        path = cached_sample(Path(args.cache), events)
        r = bench(path, args.runs)
        p_med, d_med = statistics.median(r["times"]["project"]), statistics.median(r["times"]["duckdb"])
        p_peak, d_peak = max(r["peaks"]["project"]), max(r["peaks"]["duckdb"])
        ratio = p_med / d_med
        print(
            f"{events:>12,}{path.stat().st_size / 1e6:>8,.0f}{p_med:>11.2f}{d_med:>10.2f}{ratio:>7.2f}"
            f"{p_peak / 2**20:>12,.0f}{d_peak / 2**20:>11,.0f}  {'yes' if not r['problems'] else 'NO: ' + '; '.join(r['problems'])}"
        )
        ok &= ratio <= 1.2 and not r["problems"] and (events < 20_000_000 or p_peak < 2**30)
    print(f"  load average {os.getloadavg()[0]:.2f} (other work on the machine skews wall times)")
    print("targets (time <= 1.2x DuckDB; peak < 1 GB at 20M events):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
