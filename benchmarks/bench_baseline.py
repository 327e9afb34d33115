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
  The targets are measured against this one.
* duckdb-full: a plain DuckDB script computing the statistics the profile reports
  (like for like): the distributions per user per day and hour and per day, the
  clock, every value of action, outcome and source address with its users, days,
  per-user-day distribution and failures, distinct values per user-day and users
  per value-day, first-seen lists, failure ratios per user and per source-day,
  record volumes, logins and exports per day. It shows what the profile's extra
  figures cost when DuckDB alone computes them.
* duckdb-full <1GB: the same script with DuckDB's ``memory_limit`` at 600 MB, so that
  its peak stays under the 1 GB the profile must stay under (at its defaults it needs
  about 2.1 GB at 20 million events; at 300 MB, the profile's own limit, it runs out
  of memory). Like for like in figures and in memory.

Each runs once to warm up (the file is then in the page cache for all), then
``--runs`` times in turns. Time is wall time of the whole process, start-up
included; CPU is the process's user + system time (all its threads), which other
work on a shared machine skews far less than wall time; memory is the process's
peak resident set size from ``os.wait4`` (``ru_maxrss`` of that child alone). The
core figures of all three must agree, and the full script's with the profile's.
Targets: project <= 1.2 x DuckDB's time; project peak < 1 GB at 20 million events.
Both verdicts are printed: against the core script (the issue's target as written) and
against the like-for-like script held to the same memory (what the profile computes).
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

FULL_SCRIPT = r"""
import json, sys
import duckdb
# The profile's default options (its export pattern also leaves out static files, which RE2 cannot say).
FAIL = ("fail", "failed", "failure", "denied", "deny", "error", "unauthorized", "unauthorised", "forbidden")
LOGIN = r"login|logon|log-in|log_in|signin|sign-in|sign_in|authn"
EXPORT = r"export|download|extract"
Q = "[0.5, 0.9, 0.95, 0.99]"
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
fails = ", ".join(f"'{v}'" for v in FAIL)
con.execute(
    "CREATE TEMP TABLE ev AS SELECT CAST(timestamp AS TIMESTAMPTZ) AS ts, CAST(timestamp AS TIMESTAMPTZ)::DATE AS d, "
    f'"user" AS e, action, outcome, source_ip, records, CAST(lower(outcome) IN ({fails}) AS INT) AS f '
    f"FROM read_csv('{sys.argv[1]}', header = true)"
)
def dist(sql, col="x"):
    n, mean, q, mx = con.execute(f"SELECT count({col}), avg({col}), quantile_cont({col}, {Q}), max({col}) FROM ({sql})").fetchone()
    return {"n": n, "mean": mean, "p50": q[0], "p90": q[1], "p95": q[2], "p99": q[3], "max": mx}
out = {"figures": "full"}
out["events"], out["entities"], first, last = con.execute("SELECT count(*), count(DISTINCT e), min(ts), max(ts) FROM ev").fetchone()
out["first"], out["last"] = str(first), str(last)
con.execute("CREATE TEMP TABLE ed AS SELECT e, d, count(*) AS n, sum(f) AS f, sum(records) AS r FROM ev GROUP BY ALL")
out["per_entity_day"] = dist("SELECT n AS x FROM ed")
out["per_entity_hour"] = dist("SELECT count(*) AS x FROM ev GROUP BY e, date_trunc('hour', ts)")
dh = con.execute("SELECT d, hour(ts) AS h, count(*) FROM ev GROUP BY ALL").fetchall()
days = sorted({d for d, _h, _n in dh})
out["days_covered"] = len(days)
out["per_day"] = dist("SELECT count(*) AS x FROM ev GROUP BY d")
hour = [0] * 24
week = [[0] * 24 for _ in range(7)]
for d, h, n in dh:
    hour[h] += n
    week[d.weekday()][h] += n
out["hour_of_day"] = hour
out["weekday"] = [sum(row) for row in week]
out["hourly_by_weekday"] = week
out["weekend_share"], out["out_of_hours_share"] = con.execute(
    "SELECT avg(CAST(isodow(ts) >= 6 AS INT)), avg(CAST(NOT (isodow(ts) <= 5 AND hour(ts) BETWEEN 8 AND 17) AS INT)) FROM ev"
).fetchone()
roles = {"action": "actions", "outcome": "outcomes", "source_ip": "sources"}
out["distinct_per_entity_day"], out["entities_per_value_day"], out["first_seen"] = {}, {}, {}
for role, name in roles.items():
    con.execute(f"CREATE OR REPLACE TEMP TABLE rt AS SELECT {role} AS v, e, d, count(*) AS n, sum(f) AS f FROM ev GROUP BY ALL")
    rows = con.execute(
        f"SELECT v, sum(n), count(DISTINCT e), count(*), avg(n), quantile_cont(n, {Q}), max(n), min(d), max(d), sum(f) "
        "FROM rt WHERE v IS NOT NULL GROUP BY v ORDER BY sum(n) DESC, v"
    ).fetchall()
    out[name] = {
        v: {"events": ev_, "entities": ents, "per_entity_day": {"n": n, "mean": m, "p50": q[0], "p90": q[1], "p95": q[2],
            "p99": q[3], "max": mx}, "first": str(fd), "last": str(ld), "failures": fl}
        for v, ev_, ents, n, m, q, mx, fd, ld, fl in rows[:20]
    }
    out[name + "_summary"] = {"distinct": len(rows), "other_events": sum(r[1] for r in rows[20:])}
    out["first_seen"][role] = [{"value": v, "events": ev_, "first": str(fd), "last": str(ld)} for v, ev_, _e, _n, _m, _q, _x, fd, ld, _f in rows[:1000]]
    out["distinct_per_entity_day"][role] = dist("SELECT count(*) AS x FROM rt WHERE v IS NOT NULL GROUP BY e, d")
    out["entities_per_value_day"][role] = dist("SELECT count(DISTINCT e) AS x FROM rt WHERE v IS NOT NULL GROUP BY v, d")
    if role == "source_ip":
        per_source = "SELECT sum(f) AS x, count(DISTINCT e) FILTER (f > 0) AS y FROM rt WHERE v IS NOT NULL GROUP BY v, d"
        failing = {"per_source_day": dist(per_source), "failing_entities_per_source_day": dist(per_source, "y")}
    if role == "action":
        actions = [r[0] for r in rows]
        for key, pattern in (("logins", LOGIN), ("exports", EXPORT)):
            chosen = [a for a in actions if con.execute("SELECT regexp_matches(lower(?), ?)", [a, pattern]).fetchone()[0]]
            listed = ", ".join("'" + a.replace("'", "''") + "'" for a in chosen) or "NULL"
            ev_, fl = con.execute(f"SELECT sum(n), sum(f) FROM rt WHERE v IN ({listed})").fetchone()
            per_day = dist(f"SELECT coalesce(sum(n - f) FILTER (v IN ({listed})), 0) AS x FROM rt GROUP BY d")
            out[key] = {"actions": sorted(chosen), "events": ev_, "failed": fl, "per_day": per_day}
out["first_seen"]["user"] = [
    {"value": v, "events": n, "first": str(fd), "last": str(ld)}
    for v, n, fd, ld in con.execute("SELECT e, sum(n), min(d), max(d) FROM ed GROUP BY e ORDER BY sum(n) DESC, e LIMIT 1000").fetchall()
]
fe, total = con.execute("SELECT sum(f), count(*) FROM ev").fetchone()
out["failures"] = {
    "events": fe, "ratio": fe / total,
    "per_entity_ratio": dist("SELECT sum(f) / sum(n) AS x FROM ed GROUP BY e"),
    "per_entity_day": dist("SELECT f AS x FROM ed"),
    **failing,
}
out["volumes"] = {"records": {
    "total": con.execute("SELECT sum(records) FROM ev").fetchone()[0],
    "per_entity_day": dist("SELECT r AS x FROM ed"),
    "per_event": dist("SELECT records AS x FROM ev"),
}}
print(json.dumps(out, default=str))
"""


def project_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "workshop", "baseline", "profile", str(path), "--entity", "user", "--json"]


def duckdb_command(path: Path) -> list[str]:
    return [sys.executable, "-c", DUCKDB_SCRIPT, str(path)]


def full_command(path: Path) -> list[str]:
    return [sys.executable, "-c", FULL_SCRIPT, str(path)]


#: DuckDB's memory limit that keeps the like-for-like script's peak under 1 GB at 20M events (832 MB).
FULL_MEMORY_LIMIT = "600MB"
FULL_CAPPED_SCRIPT = FULL_SCRIPT.replace(
    "con = duckdb.connect()", f"con = duckdb.connect(config={{'memory_limit': '{FULL_MEMORY_LIMIT}'}})"
)
assert FULL_CAPPED_SCRIPT != FULL_SCRIPT


def full_capped_command(path: Path) -> list[str]:
    return [sys.executable, "-c", FULL_CAPPED_SCRIPT, str(path)]


def run(command: list[str]) -> tuple[float, float, int, str]:
    """Wall time (s), CPU time (s), peak RSS (bytes) and standard output of one whole process."""
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
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out.read().decode()


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


COMMANDS = {
    "project": project_command,
    "duckdb": duckdb_command,
    "full": full_command,
    "capped": full_capped_command,
}

#: Distributions the profile and the like-for-like script both report: (path in the profile, path in the script).
FULL_FIGURES = [
    ("per_entity_hour",), ("per_day",), ("distinct_per_entity_day", "action"), ("distinct_per_entity_day", "source_ip"),
    ("entities_per_value_day", "action"), ("entities_per_value_day", "source_ip"), ("failures", "per_entity_ratio"),
    ("failures", "per_source_day"), ("failures", "failing_entities_per_source_day"),
    ("volumes", "records", "per_entity_day"), ("volumes", "records", "per_event"), ("logins", "per_day"),
    ("exports", "per_day"),
]  # fmt: skip


def compare_full(profile: dict, full: dict) -> list[str]:
    """The like-for-like script's figures against the profile's (so both compute the same things)."""
    problems = []
    keys = ("n", "mean", "p50", "p90", "p95", "p99", "max")
    for path in FULL_FIGURES:
        a, b = profile, full
        for key in path:
            a, b = a[key], b[key]
        # The profile rounds its figures to six decimals.
        if not np.allclose([a[k] for k in keys], [b[k] for k in keys], rtol=1e-5, atol=2e-6):
            problems.append(f"{'.'.join(path)} {a} != {b}")
    for name in ("actions", "outcomes", "sources"):
        for value, figures in full[name].items():
            ours = profile[name].get(value)
            if ours is None or ours["events"] != figures["events"] or ours["entities"] != figures["entities"]:
                problems.append(f"{name} {value}: {figures} != {ours}")
    return problems


def bench(path: Path, runs: int) -> dict:
    for command in COMMANDS.values():
        run(command(path))  # warm-up: page cache, imports
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    peaks: dict[str, list[int]] = {name: [] for name in COMMANDS}
    outputs: dict[str, str] = {}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            wall, cpu, peak, out = run(command(path))
            times[name].append(wall)
            cpus[name].append(cpu)
            peaks[name].append(peak)
            outputs[name] = out
    # DuckDB draws a progress bar on long queries; the figures are the JSON after it.
    project = json.loads(outputs["project"])
    full = json.loads(outputs["full"][outputs["full"].rindex('{"figures": "full"') :])
    problems = compare(
        figures_of_profile(project),
        json.loads(outputs["duckdb"][outputs["duckdb"].rindex('{"per_entity_day"') :]),
    )
    problems += compare(figures_of_profile(project), figures_of_full(full))
    problems += compare_full(project, full)
    capped = json.loads(outputs["capped"][outputs["capped"].rindex('{"figures": "full"') :])
    problems += [f"capped: {p}" for p in compare_full(project, capped)]
    return {"times": times, "cpus": cpus, "peaks": peaks, "problems": problems}


def figures_of_full(data: dict) -> dict:
    d = data["per_entity_day"]
    return {
        "per_entity_day": [d["p50"], d["p90"], d["p95"], d["p99"], d["max"]],
        "hour_of_day": data["hour_of_day"],
        "weekday": data["weekday"],
        "actions": {name: v["events"] for name, v in data["actions"].items()},
        "entities": data["entities"],
        "events": data["events"],
    }


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
    print("wall s / CPU s (user + system) / peak MB, medians of the runs; ratio = project / duckdb")
    print(
        f"{'events':>12}{'MB':>7}  {'project':>17}  {'duckdb':>17}  {'ratio wall/cpu':>14}"
        f"  {'duckdb-full':>17}  {'ratio full':>10}  {'duckdb-full <1GB':>17}  {'ratio':>10}  agree"
    )
    ok_like = True
    for events in args.events:
        load_before = os.getloadavg()[0]
        path = cached_sample(Path(args.cache), events)
        r = bench(path, args.runs)
        wall = {k: statistics.median(v) for k, v in r["times"].items()}
        cpu = {k: statistics.median(v) for k, v in r["cpus"].items()}
        peak = {k: max(v) / 2**20 for k, v in r["peaks"].items()}
        ratio = wall["project"] / wall["duckdb"]

        cell = {name: f"{wall[name]:6.2f}/{cpu[name]:5.2f}/{peak[name]:4,.0f}" for name in wall}
        print(
            f"{events:>12,}{path.stat().st_size / 1e6:>7,.0f}  {cell['project']:>17}  {cell['duckdb']:>17}"
            f"  {ratio:>6.2f}/{cpu['project'] / cpu['duckdb']:<7.2f}  {cell['full']:>17}"
            f"  {wall['project'] / wall['full']:>4.2f}/{cpu['project'] / cpu['full']:<5.2f}"
            f"  {cell['capped']:>17}  {wall['project'] / wall['capped']:>4.2f}/{cpu['project'] / cpu['capped']:<5.2f}"
            f"  {'yes' if not r['problems'] else 'NO: ' + '; '.join(r['problems'])}"
        )
        print(f"  load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        memory_ok = events < 20_000_000 or peak["project"] < 1024
        ok &= ratio <= 1.2 and not r["problems"] and memory_ok
        ok_like &= wall["project"] / wall["capped"] <= 1.2 and not r["problems"] and memory_ok
    print("(other work on the machine skews wall times; CPU times far less)")
    print("targets (time <= 1.2x DuckDB; peak < 1 GB at 20M events):")
    print("  against the core script:", "met" if ok else "NOT met")
    print(
        "  against the same figures in the same memory (duckdb-full <1GB):", "met" if ok_like else "NOT met"
    )
    return 0 if ok_like else 1


if __name__ == "__main__":
    sys.exit(main())
