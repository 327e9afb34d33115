#!/usr/bin/env python3
"""Test the detection package's Sigma rules on their test events, with stock pySigma and SQLite.

Written into every detection package as ``run_tests.py`` (and kept in the toolkit as
``workshop/rules/package_runner.py``, where its tests run it). It depends only on
pySigma, pysigma-backend-sqlite and PyYAML::

    pip install pysigma pysigma-backend-sqlite pyyaml
    python run_tests.py            # every rule; exit status 1 if any test fails
    python run_tests.py -k brute   # the rules whose use case id contains "brute"

Each ``tests/<use case>.yml`` names a rule file, the events to run it on and what must
happen: the true-positive events must raise an alert, the benign ones must not. The
rule is converted by pySigma's SQLite backend (correlations included) and run on the
events loaded into an in-memory table ``logs``. What Sigma cannot say is done here, as
the rule's ``x_workshop`` attribute describes it and each SIEM conversion must: events
inside its time windows are left out first, a first-seen rule alerts only on a
value its group has not had within the look-back, and on a known peak day a count must
reach the threshold raised for that day. A rule whose logic cannot be tested
on events (absence of events) is reported as SKIP, never as a pass.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: str) -> int:
    """``10m``, ``1h``, ``90d`` in seconds."""
    text = str(duration).strip()
    return int(text[:-1]) * _UNITS[text[-1]]


def parse_ts(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def ts_text(value: Any) -> str | None:
    """UTC text the SQLite backend's time arithmetic reads."""
    t = parse_ts(value)
    return None if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _minutes(hhmm: str) -> int:
    h, m = str(hhmm).split(":")
    return int(h) * 60 + int(m)


def in_window(window: Mapping[str, Any], when: dt.datetime) -> bool:
    """Whether an instant falls inside a time window (days, start, end, timezone), on its clock."""
    local = when.astimezone(ZoneInfo(str(window.get("timezone") or "UTC")))
    minute = local.hour * 60 + local.minute
    days = [str(d) for d in window.get("days") or []]
    day, prev = WEEKDAYS[local.weekday()], WEEKDAYS[(local.weekday() - 1) % 7]
    start, end = _minutes(str(window["start"])), _minutes(str(window["end"]))
    if end > start:
        return day in days and start <= minute < end
    return (day in days and minute >= start) or (prev in days and minute < end)


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def fields_used(docs: Iterable[Mapping[str, Any]]) -> set[str]:
    names: set[str] = set()
    for d in docs:
        for block in (d.get("detection") or {}).values():
            for item in block if isinstance(block, list) else [block]:
                if isinstance(item, dict):
                    names.update(str(k).split("|")[0] for k in item)
        corr = d.get("correlation") or {}
        names.update(str(g) for g in corr.get("group-by") or [])
        cond = corr.get("condition") or {}
        if isinstance(cond, dict) and cond.get("field"):
            f = cond["field"]
            names.update([f] if isinstance(f, str) else [str(x) for x in f])
    return {n for n in names if n}


def load_table(
    events: list[dict[str, Any]], ts_field: str, numeric: Iterable[str], extra: Iterable[str]
) -> sqlite3.Connection:
    """The events in an in-memory table ``logs``; text compares without case, as Sigma values do."""
    db = sqlite3.connect(":memory:")
    numeric = set(numeric)
    by_lower: dict[str, str] = {}  # SQLite column names ignore case: one column per name
    for c in [ts_field, *(k for e in events for k in e), *extra]:
        by_lower.setdefault(c.lower(), c)
    columns = list(by_lower.values())
    defs = ", ".join(f"{_quote(c)} {'NUMERIC' if c in numeric else 'TEXT COLLATE NOCASE'}" for c in columns)
    db.execute(f"CREATE TABLE logs ({defs})")
    marks = ", ".join("?" for _ in columns)

    def value(c: str, v: Any) -> Any:
        if c == ts_field:
            return ts_text(v)
        return v if v is None or isinstance(v, (int, float, str)) else str(v)

    db.executemany(
        f"INSERT INTO logs ({', '.join(_quote(c) for c in columns)}) VALUES ({marks})",
        ([value(c, e.get(c)) for c in columns] for e in events),
    )
    return db


def _backend(ts_field: str, placeholders: Mapping[str, list[str]]) -> Any:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.processing.pipeline import ProcessingPipeline

    pipeline = None
    if placeholders:
        pipeline = ProcessingPipeline.from_dict(
            {
                "vars": {k: list(v) for k, v in placeholders.items()},
                "transformations": [{"type": "value_placeholders"}],
            }
        )
    # pysigma-backend-sqlite's __init__ carries no annotations
    return sqliteBackend(pipeline, timestamp_field=ts_field, table="logs")  # type: ignore[no-untyped-call]


def _convert(docs: list[dict[str, Any]], ts_field: str, placeholders: Mapping[str, list[str]]) -> list[str]:
    from sigma.collection import SigmaCollection

    collection = SigmaCollection.from_dicts([copy.deepcopy(d) for d in docs])
    return [str(q) for q in _backend(ts_field, placeholders).convert(collection)]


def peak_rows(
    cols: list[str], rows: list[tuple[Any, ...]], peaks: Iterable[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """The qualifying windows that also reach the threshold of their day: on a known peak day
    (the UTC day the window ends on) the rule's ``x_workshop.known_peaks`` raise it, the
    highest threshold of that day deciding; on other days the rule's own threshold stands."""
    peaks = list(peaks)
    if not peaks or "metric_value" not in cols or "window_end" not in cols:
        return rows
    m, e = cols.index("metric_value"), cols.index("window_end")
    kept = []
    for row in rows:
        day = dt.datetime.fromtimestamp(float(row[e]), dt.UTC)
        on = [
            p for p in peaks
            if day.day in (p.get("month_days") or []) or WEEKDAYS[day.weekday()] in (p.get("weekdays") or [])
        ]  # fmt: skip
        threshold = max((float(p["threshold"]) for p in on), default=0.0)
        if float(row[m]) >= threshold:
            kept.append(row)
    return kept


def episodes(cols: list[str], rows: list[tuple[Any, ...]]) -> int:
    """Alerts as a SIEM raises them: overlapping qualifying windows of one group are one alert."""
    try:
        g, s, e = cols.index("group_keys"), cols.index("window_start"), cols.index("window_end")
    except ValueError:
        return len(rows)
    by_group: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        by_group.setdefault(str(row[g]), []).append((float(row[s]), float(row[e])))
    total = 0
    for spans in by_group.values():
        end: float | None = None
        for start, stop in sorted(spans):
            if end is None or start > end:
                total += 1
                end = stop
            else:
                end = max(end, stop)
    return total


def first_seen(
    cols: list[str],
    rows: list[tuple[Any, ...]],
    ts_field: str,
    spec: Mapping[str, Any],
    evaluate_from: dt.datetime | None,
) -> int:
    lower = [c.lower() for c in cols]

    def idx(name: str) -> int:
        return lower.index(name.lower()) if name.lower() in lower else -1

    t_i, f_i = idx(ts_field), idx(str(spec.get("field") or ""))
    keys = [idx(str(g)) for g in spec.get("group_by") or []]
    lookback = dt.timedelta(seconds=seconds(str(spec.get("lookback") or "0s")))
    # Dormant accounts: the value must have been seen before, longer ago than the look-back
    # (a value never seen is a joiner, not a dormant account waking up).
    after_silence = bool(spec.get("after_silence"))
    seen: dict[tuple[Any, ...], dt.datetime] = {}
    alerts = 0
    for row in sorted(rows, key=lambda r: str(r[t_i])):
        t = parse_ts(row[t_i])
        if t is None or f_i < 0 or row[f_i] is None:
            continue
        key = tuple(
            (row[k].casefold() if isinstance(row[k], str) else row[k]) if k >= 0 else None for k in keys
        )
        key += (row[f_i].casefold() if isinstance(row[f_i], str) else row[f_i],)
        last = seen.get(key)
        silent = last is not None if after_silence else True
        if (evaluate_from is None or t >= evaluate_from) and silent and (last is None or t - last > lookback):
            alerts += 1
        seen[key] = t
    return alerts


class Untestable(Exception):
    """The rule's logic cannot be judged on a set of events (reported as SKIP)."""


def count_alerts(
    docs: list[dict[str, Any]],
    events: list[dict[str, Any]],
    ts_field: str,
    *,
    numeric: Iterable[str] = (),
    placeholders: Mapping[str, list[str]] | None = None,
    evaluate_from: dt.datetime | None = None,
) -> int:
    """How many alerts the rule (its documents, the alerting one first) raises on the events."""
    meta = docs[0].get("x_workshop") or {}
    if meta.get("logic") == "silence":
        raise Untestable("absence of events is judged by the SIEM's schedule, not on a set of events")
    windows = meta.get("time_windows") or []
    kept = [
        e for e in events if not any(in_window(w, t) for w in windows if (t := parse_ts(e.get(ts_field))))
    ]
    db = load_table(kept, ts_field, numeric, fields_used(docs))
    placeholders = placeholders or {}
    try:
        if any("correlation" in d for d in docs):
            alerts = 0
            for sql in _convert(docs, ts_field, placeholders):
                cur = db.execute(sql)
                cols = [c[0] for c in cur.description or ()]
                rows = peak_rows(cols, cur.fetchall(), meta.get("known_peaks") or [])
                if "alert_id" in cols:
                    alerts += episodes(cols, rows)
            return alerts
        base = {k: v for k, v in docs[0].items() if k != "name"}
        cur = db.execute(_convert([base], ts_field, placeholders)[0])
        cols = [c[0] for c in cur.description or ()]
        rows = cur.fetchall()
        if meta.get("first_seen"):
            return first_seen(cols, rows, ts_field, meta["first_seen"], evaluate_from)
        return len(rows)
    finally:
        db.close()


def read_events(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            event = json.loads(line)
            if not isinstance(event, dict):
                raise ValueError(f"{path}:{n}: not a JSON object")
            out.append(event)
    return out


def run_manifest(root: Path, manifest: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(status, case, detail) for each case of one rule's test file."""
    rule_path = root / str(manifest["rule"])
    docs = [d for d in yaml.safe_load_all(rule_path.read_text(encoding="utf-8")) if d is not None]
    ts_field = str(manifest.get("timestamp_field") or "timestamp")
    results = []
    for case in manifest.get("cases") or []:
        name = str(case.get("name"))
        expect = str(case.get("expect") or "alert")
        try:
            alerts = count_alerts(
                docs, read_events(root / str(case["events"])), ts_field,
                numeric=manifest.get("numeric_fields") or (),
                placeholders=manifest.get("placeholders") or {},
                evaluate_from=parse_ts(case.get("evaluate_from")),
            )  # fmt: skip
        except Untestable as exc:
            results.append(("SKIP", name, str(exc)))
            continue
        except Exception as exc:  # a rule pySigma or SQLite refuses is a failure to report, not a crash
            results.append(("FAIL", name, f"{type(exc).__name__}: {exc}"))
            continue
        ok = alerts > 0 if expect == "alert" else alerts == 0
        want = "at least one alert" if expect == "alert" else "no alert"
        results.append(("PASS" if ok else "FAIL", name, f"{alerts} alert(s), expected {want}"))
    return results


USAGE = "usage: python run_tests.py [-k TEXT] [--json] [--root DIR]"


def _options(argv: list[str]) -> tuple[str, bool, Path]:
    """(-k text, --json, --root) from the command line (kept to the standard library's sys)."""
    only, as_json, root = "", False, Path(__file__).resolve().parent
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            print(USAGE + "\n\nRun the package's rule tests (pySigma + SQLite); exit status 1 if any fails.")
            raise SystemExit(0)
        if arg == "--json":
            as_json = True
        elif arg in ("-k", "--root") and args:
            value = args.pop(0)
            only, root = (value, root) if arg == "-k" else (only, Path(value))
        else:
            print(f"{USAGE}\nunknown or incomplete argument: {arg}", file=sys.stderr)
            raise SystemExit(2)
    return only, as_json, root


def main(argv: list[str] | None = None) -> int:
    only, as_json, root = _options(sys.argv[1:] if argv is None else argv)
    report = []
    for path in sorted((root / "tests").glob("*.yml")):
        manifest = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        uc = str(manifest.get("use_case") or path.stem)
        if only and only not in uc:
            continue
        for status, case, detail in run_manifest(root, manifest):
            report.append({"use_case": uc, "case": case, "status": status, "detail": detail})
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        for r in report:
            print(f"{r['status']:<4}  {r['use_case']}  {r['case']}: {r['detail']}")
    failed = sum(r["status"] == "FAIL" for r in report)
    counts = {s: sum(r["status"] == s for r in report) for s in ("PASS", "FAIL", "SKIP")}
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped", file=sys.stderr)
    return 1 if failed or not report else 0


if __name__ == "__main__":
    sys.exit(main())
