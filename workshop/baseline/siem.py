"""The same profile, computed inside the SIEM.

A file sample is limited by what fits on a laptop and what the owners can
export. The SIEM already holds months of the application's events, so we
generate queries (Splunk SPL, Microsoft Sentinel KQL, Elastic ES|QL) that reduce
them to the count tables a profile is built from, and read their CSV exports
back. The tables are small (one row per entity per active hour) and hold no raw
event.

Tables are bucketed by hour *in UTC* and carry the bucket's time stamp, so the
day and hour figures are counted here in the profile's zone, daylight saving
included, instead of depending on each SIEM's time zone settings (zones whose
offset is not a whole number of hours are approximated to the hour).

Accepted result tables (CSV, header line, column names case-insensitive):

* activity: ``entity, time, events`` [+ ``failures``, ``records``, ``bytes``]
* per role: ``action|outcome|source_ip|country, entity, time, events`` [+ ``failures``]
* instead of ``time`` (an hour bucket), ``day`` (YYYY-MM-DD, already in the
  profile's zone) with an optional ``hour`` (0-23)
* clock: ``weekday, hour, events`` (weekday as a name, or 1=Monday .. 7=Sunday,
  0=Sunday), used for hour-of-day figures when the other tables only give days
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from workshop.baseline.derive import profile_from_tables
from workshop.baseline.files import (
    DEFAULT_SIZE_LIMIT,
    check_columns,
    check_file,
    check_text_head,
    head_text,
    header_columns,
)
from workshop.baseline.limits import default_limits
from workshop.baseline.mapping import ROLES, check_role
from workshop.baseline.options import ProfileOptions
from workshop.baseline.profile import Profile
from workshop.baseline.tables import NS_PER_HOUR, CountTables, RoleCounts, group_sum, local_ns
from workshop.baseline.timestamps import parse_timestamps
from workshop.core.errors import InputError, LoadError, Location
from workshop.vocab import LogRole, TimeWindow, check_timezone, day_index

if TYPE_CHECKING:
    import pandas as pd

SIEMS: tuple[str, ...] = ("splunk", "kql", "esql")
SIEM_NAMES = {"splunk": "Splunk SPL", "kql": "Microsoft Sentinel KQL", "esql": "Elastic ES|QL"}
DEFAULT_INDEX = {"splunk": "main", "kql": "AppAuditLogs_CL", "esql": "logs-*"}
DEFAULT_TIME_FIELD = {"splunk": "_time", "kql": "TimeGenerated", "esql": "@timestamp"}
BREAKDOWN_ROLES: tuple[str, ...] = (
    LogRole.ACTION.value, LogRole.OUTCOME.value, LogRole.SOURCE_IP.value, LogRole.COUNTRY.value,
)  # fmt: skip
_NAME_OK = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_@.\-: ]*$")
_SIMPLE = re.compile(r"^[A-Za-z_@][A-Za-z0-9_@.]*$")
_INDEX_OK = re.compile(r"^[A-Za-z0-9_\-.*:,]+$")


@dataclass(frozen=True)
class SiemQuery:
    """One query to run in the SIEM and export as CSV (its ``columns``)."""

    name: str
    siem: str
    description: str
    text: str
    columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "siem": self.siem,
            "description": self.description,
            "text": self.text,
            "columns": list(self.columns),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiemQuery:
        return cls(data["name"], data["siem"], data["description"], data["text"], tuple(data["columns"]))


def _check_name(name: str, what: str) -> str:
    if not name or not _NAME_OK.match(name):
        raise InputError(
            f"{what} '{name}' has characters a query cannot hold safely (quotes, pipes, brackets)"
        )
    return name


def _spl(field: str) -> str:
    return f"'{field}'"  # eval syntax for any field name


def _kql(field: str) -> str:
    return field if _SIMPLE.match(field) else f"['{field}']"


def _esql(field: str) -> str:
    return field if _SIMPLE.match(field) else f"`{field}`"


def _failure_words(options: ProfileOptions) -> list[str]:
    words = sorted({str(v).strip().lower() for v in options.failure_values})
    for w in words:
        if not re.fullmatch(r"[A-Za-z0-9_\- ]+", w):
            raise InputError(f"failure value '{w}' cannot be put in a query")
    return words


def generate_queries(
    siem: str,
    mapping: Mapping[str, str],
    *,
    index: str | None = None,
    days: int = 30,
    entity_role: str | None = None,
    options: ProfileOptions | None = None,
) -> list[SiemQuery]:
    """Queries that compute the profile's count tables in ``siem`` from ``mapping``
    (role -> SIEM field). Always an ``activity`` query; one per mapped breakdown role."""
    if siem not in SIEMS:
        raise InputError(f"unknown SIEM '{siem}'; choose one of {', '.join(SIEMS)}")
    if days < 1:
        raise InputError("days must be at least 1")
    options = options or ProfileOptions()
    fields = {check_role(r): _check_name(f, f"field for {r}") for r, f in mapping.items() if f}
    if entity_role is None:
        entity_role = "user" if "user" in fields else "source_ip" if "source_ip" in fields else None
    if entity_role is None or entity_role not in fields:
        raise InputError("map the entity's field, e.g. --map user=user.name (or --map source_ip=client.ip)")
    index = index or DEFAULT_INDEX[siem]
    if not _INDEX_OK.match(index):
        raise InputError(f"index '{index}' has characters a query cannot hold safely")
    # Splunk always buckets by _time (its parsed event time); the others use the mapped field.
    time_field = (
        DEFAULT_TIME_FIELD[siem] if siem == "splunk" else fields.get("timestamp", DEFAULT_TIME_FIELD[siem])
    )
    build = {"splunk": _splunk, "kql": _kusto, "esql": _esql_query}[siem]
    queries = [
        build(
            "activity",
            index,
            days,
            time_field,
            fields,
            entity_role,
            None,
            options,
        )
    ]
    for role in BREAKDOWN_ROLES:
        if role in fields and role != entity_role:
            queries.append(build(role, index, days, time_field, fields, entity_role, role, options))
    return queries


def _columns(fields: Mapping[str, str], role: str | None) -> tuple[str, ...]:
    cols: list[str] = [role] if role else []
    cols += ["entity", "time", "events"]
    if "outcome" in fields:
        cols.append("failures")
    if role is None:
        cols += [v for v in ("records", "bytes") if v in fields]
    return tuple(cols)


def _describe(role: str | None, entity_role: str) -> str:
    if role is None:
        return f"events per {entity_role} per hour (UTC buckets)"
    return f"events per {role} per {entity_role} per hour (UTC buckets)"


def _splunk(
    name: str,
    index: str,
    days: int,
    time_field: str,
    fields: Mapping[str, str],
    entity_role: str,
    role: str | None,
    options: ProfileOptions,
) -> SiemQuery:
    cols = _columns(fields, role)
    lines = [
        f"``` {_describe(role, entity_role)}; export the result as CSV ```",
        f"search index={index} earliest=-{days}d@d latest=@d",
        f'| eval entity=coalesce({_spl(fields[entity_role])}, "")',
    ]
    if role:
        lines.append(f'| eval {role}=coalesce({_spl(fields[role])}, "")')
    sums = ["count AS events"]
    if "outcome" in fields:
        words = "|".join(re.escape(w) for w in _failure_words(options))
        o = _spl(fields["outcome"])
        http = (
            f" OR coalesce(tonumber({o}), 0)>={options.http_failure_min}"
            if options.http_failure_min is not None
            else ""
        )
        lines.append(f'| eval failed=if(match(lower({o}), "^({words})$"){http}, 1, 0)')
        sums.append("sum(failed) AS failures")
    if role is None:
        for vol in ("records", "bytes"):
            if vol in fields:
                sums.append(f"sum(eval(tonumber({_spl(fields[vol])}))) AS {vol}")
    by = f"{role} entity" if role else "entity"
    lines += [
        "| bin _time span=1h",
        f"| stats {' '.join(sums)} BY _time {by}",
        '| eval time=strftime(_time, "%Y-%m-%dT%H:%M:%S%z")',
        f"| table {' '.join(cols)}",
    ]
    return SiemQuery(name, "splunk", _describe(role, entity_role), "\n".join(lines), cols)


def _kusto(
    name: str,
    index: str,
    days: int,
    time_field: str,
    fields: Mapping[str, str],
    entity_role: str,
    role: str | None,
    options: ProfileOptions,
) -> SiemQuery:
    cols = _columns(fields, role)
    t = _kql(time_field)
    lines = [
        f"// {_describe(role, entity_role)}; export the result as CSV",
        _kql(index),
        f"| where {t} >= startofday(ago({days}d)) and {t} < startofday(now())",
        f"| extend entity = tostring({_kql(fields[entity_role])})",
    ]
    if role:
        lines.append(f"| extend {role} = tostring({_kql(fields[role])})")
    aggs = ["events = count()"]
    if "outcome" in fields:
        words = ", ".join(f'"{w}"' for w in _failure_words(options))
        o = f"tostring({_kql(fields['outcome'])})"
        http = (
            f" or coalesce(toint({o}), 0) >= {options.http_failure_min}"
            if options.http_failure_min is not None
            else ""
        )
        lines.append(f"| extend failed = iff(tolower({o}) in ({words}){http}, 1, 0)")
        aggs.append("failures = sum(failed)")
    if role is None:
        for vol in ("records", "bytes"):
            if vol in fields:
                aggs.append(f"{vol} = sum(todouble({_kql(fields[vol])}))")
    by = f"{role}, entity" if role else "entity"
    lines += [
        f"| summarize {', '.join(aggs)} by {by}, time = bin({t}, 1h)",
        f"| project {', '.join(cols)}",
    ]
    return SiemQuery(name, "kql", _describe(role, entity_role), "\n".join(lines), cols)


def _esql_query(
    name: str,
    index: str,
    days: int,
    time_field: str,
    fields: Mapping[str, str],
    entity_role: str,
    role: str | None,
    options: ProfileOptions,
) -> SiemQuery:
    cols = _columns(fields, role)
    t = _esql(time_field)
    lines = [
        f"// {_describe(role, entity_role)}; ES|QL returns at most 10,000 rows: shorten the range if cut",
        f"FROM {index}",
        f"| WHERE {t} >= NOW() - {days} days",
        f"| EVAL entity = TO_STRING({_esql(fields[entity_role])}), time = DATE_TRUNC(1 hour, {t})",
    ]
    if role:
        lines.append(f"| EVAL {role} = TO_STRING({_esql(fields[role])})")
    aggs = ["events = COUNT(*)"]
    if "outcome" in fields:
        words = ", ".join(f'"{w}"' for w in _failure_words(options))
        o = f"TO_STRING({_esql(fields['outcome'])})"
        http = (
            f" OR COALESCE(TO_INTEGER({o}), 0) >= {options.http_failure_min}"
            if options.http_failure_min is not None
            else ""
        )
        lines.append(f"| EVAL failed = CASE(TO_LOWER({o}) IN ({words}){http}, 1, 0)")
        aggs.append("failures = SUM(failed)")
    if role is None:
        for vol in ("records", "bytes"):
            if vol in fields:
                aggs.append(f"{vol} = SUM(TO_DOUBLE({_esql(fields[vol])}))")
    by = f"{role}, entity" if role else "entity"
    lines += [
        f"| STATS {', '.join(aggs)} BY {by}, time",
        f"| KEEP {', '.join(cols)}",
        "| SORT time",
        "| LIMIT 10000",
    ]
    return SiemQuery(name, "esql", _describe(role, entity_role), "\n".join(lines), cols)


def render_queries(queries: Sequence[SiemQuery]) -> str:
    """All queries as one text, each under a heading naming its CSV columns."""
    out = []
    for q in queries:
        out.append(f"==== {q.name} ({SIEM_NAMES[q.siem]}): export columns {', '.join(q.columns)}")
        out.append(q.text)
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- import


@dataclass
class _Table:
    kind: str  # "activity", a breakdown role, or "clock"
    frame: pd.DataFrame
    source: str


_ALIASES = {
    "count": "events",
    "count_": "events",
    "event_count": "events",
    "_time": "time",
    "timestamp": "time",
    "hour_start": "time",
    "timegenerated": "time",
    "@timestamp": "time",
    "date": "day",
    "failed": "failures",
}


def read_siem_table(
    path: str | os.PathLike[str], size_limit: int | None = DEFAULT_SIZE_LIMIT
) -> pd.DataFrame:
    """A SIEM's CSV export, with clear errors for files that are not one."""
    import pandas as pd

    p = Path(path)
    head = check_file(p, size_limit)
    limits = default_limits()
    check_text_head(p, head, limits)
    check_columns(p, header_columns(head_text(head).split("\n", 1)[0].rstrip("\r")), limits)
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise LoadError(f"not a readable CSV export: {exc}", Location(str(p))) from None
    if frame.empty:
        raise LoadError("no data rows after the header line", Location(str(p), 2))
    return frame


def _classify(frame: pd.DataFrame, source: str, entity_role: str) -> _Table:
    cols = {}
    for c in frame.columns:
        key = str(c).strip().lower()
        key = _ALIASES.get(key, key)
        if key == entity_role:
            key = "entity"
        cols[c] = key
    frame = frame.rename(columns=cols)
    names = set(frame.columns)
    if "events" not in names:
        raise LoadError(
            f"no 'events' (or 'count') column; columns are: {', '.join(map(str, frame.columns))}",
            Location(source, 1),
        )
    if "weekday" in names and "hour" in names and "entity" not in names:
        return _Table("clock", frame, source)
    if "time" not in names and "day" not in names:
        raise LoadError("no 'time' (hour bucket) or 'day' column", Location(source, 1))
    roles = [r for r in BREAKDOWN_ROLES if r in names]
    if "entity" not in names:
        raise LoadError(
            f"no 'entity' (or '{entity_role}') column; columns are: {', '.join(map(str, frame.columns))}",
            Location(source, 1),
        )
    if len(roles) > 1:
        raise LoadError(f"one breakdown per table, found {', '.join(roles)}", Location(source, 1))
    return _Table(roles[0] if roles else "activity", frame, source)


def _ints(series: pd.Series, column: str, source: str) -> np.ndarray:
    import pandas as pd

    num = pd.to_numeric(series.replace("", "0"), errors="coerce")
    bad = num.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LoadError(f"'{column}' holds {series.iloc[i]!r}, not a number", Location(source, i + 2))
    out: np.ndarray = num.to_numpy(dtype=float)
    return out


def _local_hours(t: _Table, tz: str, default_tz: str) -> tuple[np.ndarray, bool]:
    import pandas as pd

    f = t.frame
    if "time" in f.columns:
        ts, _w = parse_timestamps(pa.array(f["time"].replace("", None), pa.string()), default_tz)
        if ts.isna().any():
            i = int(np.flatnonzero(ts.isna().to_numpy())[0])
            raise LoadError(
                f"'time' holds {f['time'].iloc[i]!r}, not a time stamp", Location(t.source, i + 2)
            )
        return local_ns(ts, tz) // NS_PER_HOUR, True
    days = pd.to_datetime(f["day"], format="%Y-%m-%d", errors="coerce")
    if days.isna().any():
        i = int(np.flatnonzero(days.isna().to_numpy())[0])
        raise LoadError(f"'day' holds {f['day'].iloc[i]!r}, not YYYY-MM-DD", Location(t.source, i + 2))
    epoch_days = days.to_numpy(dtype="datetime64[D]").view(np.int64)
    if "hour" in f.columns:
        hours = _ints(f["hour"], "hour", t.source).astype(np.int64)
        if ((hours < 0) | (hours > 23)).any():
            raise LoadError("'hour' must be 0-23", Location(t.source))
        return epoch_days * 24 + hours, True
    return epoch_days * 24, False


def _weekday_index(value: str) -> int:
    text = str(value).strip().lower()
    if text.isdigit():
        n = int(text)
        if 1 <= n <= 7:
            return n - 1
        if n == 0:
            return 6
        raise InputError(f"weekday {value} is not 0-7")
    return day_index(text)


def profile_from_siem_tables(
    tables: Sequence[str | os.PathLike[str] | pd.DataFrame],
    entity_role: str = "user",
    tz: str = "UTC",
    *,
    default_tz: str = "UTC",
    business_hours: TimeWindow | None = None,
    service_accounts: Sequence[str] = (),
    options: ProfileOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    size_limit: int | None = DEFAULT_SIZE_LIMIT,
) -> Profile:
    """Build a profile from the CSV exports of :func:`generate_queries`' queries.

    ``entity_role`` names what the ``entity`` column holds. Time stamps without an
    offset are read in ``default_tz`` (KQL and ES|QL export UTC).
    """
    import pandas as pd

    check_timezone(tz)
    check_timezone(default_tz)
    if entity_role not in ROLES or entity_role == "timestamp":
        raise InputError(f"unknown entity role '{entity_role}'")
    options = options or ProfileOptions()
    business_hours = business_hours or TimeWindow()
    if not tables:
        raise InputError("give at least one SIEM result table")
    parsed: list[_Table] = []
    for item in tables:
        if isinstance(item, pd.DataFrame):
            frame, source = item.astype(str).replace({"nan": "", "None": "", "<NA>": ""}), "<table>"
        else:
            frame, source = read_siem_table(item, size_limit), str(item)
        parsed.append(_classify(frame, source, entity_role))
    activity = [t for t in parsed if t.kind == "activity"]
    if not activity:
        raise LoadError(
            "no activity table (columns entity, time, events): run the 'activity' query and export it",
            Location(parsed[0].source),
        )
    clock = None
    for t in parsed:
        if t.kind == "clock":
            clock = np.zeros((7, 24), dtype=np.int64)
            wd = np.array([_weekday_index(v) for v in t.frame["weekday"]], dtype=np.int64)
            hr = _ints(t.frame["hour"], "hour", t.source).astype(np.int64)
            np.add.at(clock, (wd, hr), _ints(t.frame["events"], "events", t.source).astype(np.int64))
    hours: dict[int, tuple[np.ndarray, bool]] = {}
    for i, t in enumerate(parsed):
        if t.kind != "clock":
            hours[i] = _local_hours(t, tz, default_tz)
    hour0 = int(min(h.min() for h, _k in hours.values()))
    hour_max = int(max(h.max() for h, _k in hours.values()))
    nhours = hour_max - hour0 + 1
    hour_known = all(k for _h, k in hours.values())
    # One set of entity codes across tables.
    ent_values = pd.concat([t.frame["entity"] for t in parsed if t.kind != "clock"], ignore_index=True)
    ent_cat = pd.Categorical(ent_values.replace("", None))
    ent_labels = np.asarray(ent_cat.categories.astype(str), dtype=object)
    ent_codes = np.asarray(ent_cat.codes, dtype=np.int64)
    offsets = {}
    pos = 0
    for i, t in enumerate(parsed):
        if t.kind != "clock":
            offsets[i] = (pos, pos + len(t.frame))
            pos += len(t.frame)
    # Activity (several exports are summed).
    act_idx = [i for i, t in enumerate(parsed) if t.kind == "activity"]
    frame = pd.concat([parsed[i].frame for i in act_idx], ignore_index=True)
    ent = np.concatenate([ent_codes[offsets[i][0] : offsets[i][1]] for i in act_idx])
    rel = np.concatenate([hours[i][0] for i in act_idx]) - hour0
    src = parsed[act_idx[0]].source
    weights: dict[str, np.ndarray | None] = {"events": _ints(frame["events"], "events", src).astype(np.int64)}
    for name in ("failures", "records", "bytes"):
        if name in frame.columns:
            w = _ints(frame[name], name, src)
            weights[name] = w.astype(np.int64) if name == "failures" else w
    (e, h), sums = group_sum([ent + 1, rel], [len(ent_labels) + 1, nhours], weights)
    counts = CountTables(
        hour0=hour0,
        nhours=nhours,
        ent_labels=ent_labels,
        ent=e - 1,
        hour=h,
        events=sums["events"],
        failures=sums.get("failures"),
        records=sums.get("records"),
        bytes=sums.get("bytes"),
        hour_known=hour_known,
        clock=clock,
    )
    for i, t in enumerate(parsed):
        if t.kind in ("activity", "clock"):
            continue
        role = t.kind
        cat = pd.Categorical(t.frame[role].replace("", None))
        role_weights: dict[str, np.ndarray | None] = {
            "events": _ints(t.frame["events"], "events", t.source).astype(np.int64)
        }
        if "failures" in t.frame.columns:
            role_weights["failures"] = _ints(t.frame["failures"], "failures", t.source).astype(np.int64)
        code = np.asarray(cat.codes, dtype=np.int64)
        ent_i = ent_codes[offsets[i][0] : offsets[i][1]]
        day0 = hour0 // 24
        counts.roles[role] = RoleCounts.grouped(
            np.asarray(cat.categories.astype(str), dtype=object),
            code,
            ent_i,
            hours[i][0] // 24 - day0,
            len(ent_labels),
            (hour_max // 24) - day0 + 1,
            role_weights,
        )
    profile = profile_from_tables(
        counts,
        entity_role,
        tz,
        business_hours,
        options,
        service_accounts=service_accounts,
        precision="hour" if hour_known else "day",
    )
    profile.format = "siem-table"
    profile.source = ", ".join(Path(t.source).name for t in parsed)
    profile.mapping = dict(mapping or {})
    if not hour_known and clock is None:
        profile.warnings.append(
            "the tables give days only: hour-of-day figures are empty (add a weekday, hour, events table)"
        )
    if business_hours.timezone and business_hours.timezone != tz:
        profile.warnings.append(
            f"out-of-hours share counted in {tz}, not in the business hours' zone {business_hours.timezone}"
        )
    return profile
