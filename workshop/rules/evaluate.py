"""Rules evaluated on events: an in-memory SQLite table and pySigma's SQLite backend.

What every logic type's local test semantics build on (the handlers count alerts
with these; :mod:`workshop.rules.testing` runs the cases). A leaf of the rules
package: it imports no handler, so the registry and the tests do not import each other.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from workshop.rules.model import RuleSet, sigma_literal
from workshop.vocab import TimeWindow, duration_seconds

if TYPE_CHECKING:
    from sigma.backends.sqlite import sqliteBackend

#: A row of a query's result, as sqlite3 returns it.
Row = tuple[Any, ...]


# --------------------------------------------------------------------------- the event table


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _ts_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    try:
        return _ts_text(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def _parse_ts(text: Any) -> dt.datetime | None:
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class EventTable:
    """Events in an in-memory SQLite table ``logs`` (text columns compare without case,
    as Sigma values do); the time stamp column holds UTC ISO text for the backend."""

    def __init__(self, events: Iterable[dict[str, Any]], ts_field: str, numeric: Iterable[str] = ()) -> None:
        self.ts_field = ts_field
        self.numeric = set(numeric)
        self.db = sqlite3.connect(":memory:")
        rows = list(events)
        columns = list(dict.fromkeys([ts_field, *(k for r in rows for k in r)]))
        self.columns: set[str] = set()
        self.db.execute(f"CREATE TABLE logs ({', '.join(self._coldef(c) for c in columns)})")
        self.columns.update(c.lower() for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.db.executemany(
            f"INSERT INTO logs ({', '.join(_quote(c) for c in columns)}) VALUES ({marks})",
            ([self._value(c, r.get(c)) for c in columns] for r in rows),
        )
        self.count = len(rows)
        bounds = self.db.execute(
            f"SELECT MIN({_quote(ts_field)}), MAX({_quote(ts_field)}) FROM logs"
        ).fetchone()
        self.first, self.last = _parse_ts(bounds[0]), _parse_ts(bounds[1])
        self._tables: dict[tuple[TimeWindow, ...], str] = {}

    def _coldef(self, name: str) -> str:
        kind = "NUMERIC" if name in self.numeric else "TEXT COLLATE NOCASE"
        return f"{_quote(name)} {kind}"

    def _value(self, column: str, value: Any) -> Any:
        if column == self.ts_field:
            return _ts_text(value)
        if value is None or isinstance(value, (int, float, str)):
            return value
        return str(value)

    def ensure(self, names: Iterable[str]) -> None:
        """Columns a rule reads that the events do not have: present, and NULL."""
        for name in names:
            if name.lower() not in self.columns:
                self.db.execute(f"ALTER TABLE logs ADD COLUMN {self._coldef(name)}")
                self.columns.add(name.lower())

    def without_windows(self, windows: Iterable[TimeWindow]) -> str:
        """A table of the events outside every window (events inside them are not alerts)."""
        key = tuple(windows)
        if not key:
            return "logs"
        if key in self._tables:
            return self._tables[key]
        name = f"logs_w{len(self._tables)}"
        self.db.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM logs WHERE 0")
        cur = self.db.execute(f"SELECT rowid, {_quote(self.ts_field)} FROM logs")
        keep = [
            rid
            for rid, ts in cur
            if (t := _parse_ts(ts)) is not None and not any(w.contains(t) for w in windows)
        ]
        self.db.executemany(f"INSERT INTO {name} SELECT * FROM logs WHERE rowid = ?", ((r,) for r in keep))
        self._tables[key] = name
        return name

    def query(self, sql: str) -> tuple[list[str], list[Row]]:
        cur = self.db.execute(sql)
        cols = [d[0] for d in cur.description] if cur.description else []
        return cols, cur.fetchall()

    def close(self) -> None:
        self.db.close()


# --------------------------------------------------------------------------- running one rule set


def _fields_used(rs: RuleSet) -> set[str]:
    names = set(rs.fields.values())
    for d in rs.docs:
        for block in (d.data.get("detection") or {}).values():
            items = block if isinstance(block, list) else [block]
            for item in items:
                if isinstance(item, dict):
                    names.update(str(k).split("|")[0] for k in item)
        corr = d.data.get("correlation") or {}
        names.update(str(g) for g in corr.get("group-by") or [])
        cond = corr.get("condition") or {}
        if isinstance(cond, dict) and cond.get("field"):
            f = cond["field"]
            names.update([f] if isinstance(f, str) else list(f))
    return {n for n in names if n}


def _backend(rs: RuleSet, table: str, ts_field: str) -> sqliteBackend:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.processing.pipeline import ProcessingPipeline

    pipeline = None
    if rs.placeholders:
        values = {
            pid: [sigma_literal(v) for v in (p.values or (f"synthetic-{pid}",))]
            for pid, p in rs.placeholders.items()
        }
        pipeline = ProcessingPipeline.from_dict(
            {"vars": values, "transformations": [{"type": "value_placeholders"}]}
        )
    # pysigma-backend-sqlite's __init__ carries no annotations (a third-party typing gap)
    return sqliteBackend(pipeline, timestamp_field=ts_field, table=table)  # type: ignore[no-untyped-call]


def _convert(rs: RuleSet, docs: list[dict[str, Any]], table: str, ts_field: str) -> list[str]:
    from sigma.collection import SigmaCollection

    collection = SigmaCollection.from_dicts([copy.deepcopy(d) for d in docs])
    return [str(q) for q in _backend(rs, table, ts_field).convert(collection)]


def alerts_of_correlation(rs: RuleSet, events: EventTable) -> int:
    """Alerts of the rule set's correlation as pySigma's SQLite backend runs it (sliding
    windows), events inside the time windows removed first and, on known peak days, only
    counts that reach the raised threshold; without a correlation (an edited file), every
    selected event."""
    if not any(d.kind == "correlation" for d in rs.docs):
        return len(selected_rows(rs, events)[1])
    table = events.without_windows(rs.windows)
    alerts = 0
    from workshop.rules.package_runner import peak_rows

    peaks = rs.aggregation.peak_thresholds()
    for sql in _convert(rs, [d.data for d in rs.docs], table, events.ts_field):
        cols, rows = events.query(sql)
        rows = peak_rows(cols, rows, peaks)
        if "alert_id" in cols:
            alerts += _episodes(cols, rows)
    return alerts


def selected_rows(rs: RuleSet, events: EventTable) -> tuple[list[str], list[Row]]:
    """The events the alerting detection rule (or the first selection) selects, outside the windows."""
    base = rs.alert if rs.alert.kind == "detection" else rs.selections[0]
    data = {k: v for k, v in base.data.items() if k != "name"}
    return events.query(_convert(rs, [data], events.without_windows(rs.windows), events.ts_field)[0])


def alerts_of_first_seen(rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
    cols, rows = selected_rows(rs, events)
    return _first_seen(rs, cols, rows, events.ts_field, evaluate_from)


def _episodes(cols: list[str], rows: list[Row]) -> int:
    """Alerts as a SIEM would raise them: pySigma's SQLite correlation reports every
    qualifying sliding window (one per event of a burst); overlapping windows of the same
    group are one alert. The detection package's runner counts the same way (one home)."""
    from workshop.rules.package_runner import episodes

    return episodes(cols, rows)


def _first_seen(
    rs: RuleSet, cols: list[str], rows: list[Row], ts_field: str, evaluate_from: dt.datetime | None
) -> int:
    from workshop.rules.package_runner import first_seen

    agg = rs.aggregation
    spec = {"field": agg.field, "group_by": list(agg.group_by), "lookback": agg.lookback,
            "after_silence": agg.after_silence}  # fmt: skip
    return first_seen(cols, rows, ts_field, spec, evaluate_from)


def alerts_of_absence(rs: RuleSet, events: EventTable) -> int:
    """Windows with fewer events than the threshold (merged where they overlap)."""
    agg = rs.aggregation
    base = rs.selections[0]
    data = {k: v for k, v in base.data.items() if k != "name"}
    cols, rows = events.query(_convert(rs, [data], "logs", events.ts_field)[0])
    lower = [c.lower() for c in cols]
    t_i = lower.index(events.ts_field.lower())
    if events.first is None or events.last is None:
        return 0
    if agg.expected:  # per job: each account's own events, within its own gap
        g_i = lower.index(agg.group_by[0].lower())
        return sum(
            _silences(
                sorted(t for r in rows if str(r[g_i]) == value and (t := _parse_ts(r[t_i])) is not None),
                events.first, events.last, gap, float(agg.count or 1), ()
            )
            for value, gap in agg.expected
        )  # fmt: skip
    times = sorted(t for r in rows if (t := _parse_ts(r[t_i])) is not None)
    return _silences(times, events.first, events.last, agg.timespan, float(agg.count or 1), agg.within)


def _silences(
    times: list[dt.datetime],
    first: dt.datetime,
    last: dt.datetime,
    timespan: str,
    threshold: float,
    within: tuple[TimeWindow, ...],
) -> int:
    """Spans of ``timespan`` between the first and the last event of the log with fewer than
    ``threshold`` of these times, merged where they overlap (inside ``within`` only)."""
    window = dt.timedelta(seconds=duration_seconds(timespan))
    starts = [first] + [t + dt.timedelta(milliseconds=1) for t in times]
    spans = []
    for s in starts:
        e = s + window
        if e > last:
            continue
        n = bisect.bisect_left(times, e) - bisect.bisect_left(times, s)
        # With ``logic.within`` (business hours) only a silence inside the window is an alert.
        inside = all(w.contains(s) and w.contains(e - dt.timedelta(milliseconds=1)) for w in within)
        if n < threshold and inside:
            spans.append((s, e))
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return len(merged)
