"""20 facilitators saving answers into one workspace at once (issue 9).

Each simulated facilitator is its own process with its own store connection, as
browser sessions on one server (or several servers on one team database) would be.
They answer questions of shared interviews for a fixed time; some questions are
shared between facilitators (last writer wins), most are their own. Afterwards every
save that returned must be in the history, and every facilitator's last value of its
own questions must be the stored value.

    .venv/bin/python benchmarks/bench_load.py [--facilitators 20] [--seconds 60] [--db-url URL]

It prints saves per second, latency percentiles and the slowest save, for one
facilitator alone and for the crowd, side by side.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import tempfile
import time
from pathlib import Path

from _common import summary_ms, table


def facilitator(n: int, ws: str, db_url: str | None, interviews: list[int], seconds: float, queue) -> None:
    if db_url:
        os.environ["WORKSHOP_DB_URL"] = db_url
    from workshop.store import Store

    rng = random.Random(n)
    latencies: list[float] = []
    last: dict[tuple[int, str], object] = {}
    saves = 0
    with Store.open(ws) as store:
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            iid = interviews[n % len(interviews)]
            shared = rng.random() < 0.2
            qid = f"shared.q{rng.randrange(10)}" if shared else f"f{n}.q{rng.randrange(40)}"
            value = {"by": n, "i": i, "text": "x" * rng.randrange(5, 200)}
            t0 = time.perf_counter()
            store.save_answer(iid, qid, value, who=f"facilitator-{n}")
            latencies.append(time.perf_counter() - t0)
            saves += 1
            if not shared:
                last[(iid, qid)] = value
            i += 1
    queue.put((n, saves, latencies, last))


def run(ws: Path, db_url: str | None, crowd: int, seconds: float) -> dict:
    if db_url:
        os.environ["WORKSHOP_DB_URL"] = db_url
    from workshop.interview.model import Application
    from workshop.store import Store

    with Store.open(ws) as store:
        slug = f"load-{crowd}-{int(time.time() * 1000) % 100000}"
        store.create_application(Application(slug, f"Load test {crowd}"))
        interviews = [store.create_interview(slug, "in-house-application", "1.0").id for _ in range(4)]
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=facilitator, args=(n, str(ws), db_url, interviews, seconds, queue))
             for n in range(crowd)]  # fmt: skip
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    saves = sum(r[1] for r in results)
    latencies = [x for r in results for x in r[2]]
    # Verification: every save is in the history; every own question holds its last value.
    with Store.open(ws) as store:
        history = sum(len(store.history(iid)) for iid in interviews)
        answers = {iid: store.answers(iid) for iid in interviews}
    missing = sum(
        1 for r in results for (iid, qid), value in r[3].items() if answers[iid].get(qid) is None
        or answers[iid][qid].value != value
    )  # fmt: skip
    return {
        "facilitators": crowd,
        "saves": saves,
        "per_second": saves / wall,
        "latency": summary_ms(latencies),
        "history_rows": history,
        "all_present": history == saves and missing == 0 and not failed,
        "missing": missing,
        "failed_processes": failed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facilitators", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--db-url", help="a server database (default: SQLite in a temporary workspace)")
    args = ap.parse_args()
    ws = Path(tempfile.mkdtemp(prefix="bench-load-"))
    backend = "PostgreSQL" if args.db_url else "SQLite (WAL, synchronous=FULL)"
    print(f"{backend}, {args.seconds:.0f} s per run, workspace {ws}")
    rows = []
    for crowd in (1, args.facilitators):
        r = run(ws, args.db_url, crowd, args.seconds)
        lat = r["latency"]
        rows.append([
            r["facilitators"], r["saves"], f"{r['per_second']:.0f}", f"{lat['median']:.1f}", f"{lat['p95']:.1f}",
            f"{lat['max']:.0f}", "yes" if r["all_present"] else f"NO ({r['missing']} missing, {r['failed_processes']})",
        ])  # fmt: skip
    print(table(rows, ["facilitators", "saves", "saves/s", "median ms", "p95 ms", "slowest ms", "every save present"]))
    single, crowd = float(rows[0][2]), float(rows[1][2])
    print(f"throughput with {args.facilitators} facilitators / one alone: {crowd / single:.2f}x")


if __name__ == "__main__":
    main()
