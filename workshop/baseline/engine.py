"""The streaming engine: a profile from a file of any size, in bounded memory, with progress.

Loading a sample into pandas (:mod:`~workshop.baseline.loading`) holds every row:
a 2 GB access log needed 11.5 GB. This engine never holds the rows in Python.
The mapped roles go into one DuckDB table (DuckDB compresses it and spills it to
disk past ``memory_limit``), filled either by DuckDB's own CSV and Parquet readers
over the file (parallel) or, for formats parsed in Python (access logs, JSON lines,
syslog...), by the format's reader chunk by chunk as Arrow batches. The count
tables are then grouped in DuckDB and the profile is derived from them by
:func:`~workshop.baseline.derive.profile_from_tables`, exactly as for a loaded
sample; the figures that need single events (first and last time, out-of-hours
share to the minute, per-event volumes, sessions, service accounts) are grouped
in DuckDB too, to tables small enough for pandas.

Errors keep naming the line: DuckDB stores rejected CSV rows with their line
numbers, and the Python-parsed formats know the line of every chunk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workshop.baseline.build import complete_profile
from workshop.baseline.derive import default_entity, profile_from_tables
from workshop.baseline.figures import Distribution, ServiceAccount, Sessions
from workshop.baseline.files import check_rows, find_invalid_utf8, inflated
from workshop.baseline.limits import SampleLimits, default_limits
from workshop.baseline.loading import ReadPlan, needed_columns, plan_read, time_text
from workshop.baseline.mapping import ENTITY_ROLES, NUMERIC_ROLES, time_parts
from workshop.baseline.options import ProfileOptions, ReadOptions, classify_failures
from workshop.baseline.profile import ROLES_WITH_TABLES, Profile
from workshop.baseline.readers import BadRows, ReadRequest, ReadTable
from workshop.baseline.readers.base import MAX_EXAMPLES
from workshop.baseline.sample import StreamedSample
from workshop.baseline.tables import CountTables, RoleCounts, day_text
from workshop.baseline.timestamps import TS_NS_UTC, parse_timestamps
from workshop.core.errors import InputError, LoadError, Location, WorkshopError
from workshop.core.fileio import UPLOAD_PREFIX
from workshop.vocab import TimeWindow, check_timezone

if TYPE_CHECKING:
    import pandas as pd

#: Called with (bytes read so far, bytes in all) while a file is read.
Progress = Callable[[int, int], None]
#: Microseconds per hour and per day (DuckDB counts time in microseconds).
US_HOUR = 3_600_000_000
US_DAY = 24 * US_HOUR
US_MINUTE = 60_000_000
TS_US_UTC = pa.timestamp("us", tz="UTC")
#: Memory DuckDB may use before it spills to disk (its temporary folder), unless set in the environment.
MEMORY_LIMIT_ENV = "WORKSHOP_BASELINE_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "300MB"  # measured: 20 million events peak near 1 GB at 300 MB, 1.2 GB at 500 MB
#: DuckDB's worker threads (the benchmark machine has two cores).
THREADS_ENV = "WORKSHOP_BASELINE_THREADS"
#: pyarrow's CSV null markers: DuckDB is told the same, so both engines see the same empty cells.
CSV_NULLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
             "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")  # fmt: skip


def profile_file_streaming(
    path: str | os.PathLike[str],
    read: ReadOptions | None = None,
    *,
    limits: SampleLimits | None = None,
    business_hours: TimeWindow | None = None,
    service_accounts: Sequence[str] = (),
    options: ProfileOptions | None = None,
    progress: Progress | None = None,
    display_name: str | None = None,
    **changes: Any,
) -> tuple[StreamedSample, Profile]:
    """Read ``path`` and profile it, as ``load_sample`` + ``build_profile`` would, in bounded memory.

    ``read`` says how to read the file (the same :class:`~workshop.baseline.options.ReadOptions`
    as :func:`~workshop.baseline.loading.load_sample`; keyword ``changes`` set some of its
    fields by name), including the profile's entity and zone (default UTC); the
    other keywords are those of :func:`~workshop.baseline.build.build_profile`.
    ``progress`` is called as the file is read; ``display_name`` is the name errors give
    the file (an upload's own name rather than the temporary copy's).
    """
    read = ReadOptions.of(read, changes)
    p = Path(path)
    default_tz = read.default_tz or "UTC"
    tz = read.tz or "UTC"
    check_timezone(default_tz)
    check_timezone(tz)
    limits = limits or default_limits()
    options = options or ProfileOptions()
    business_hours = business_hours or TimeWindow()
    size_limit = read.size_limit
    try:
        with inflated(p, limits, size_limit) as source:
            plan = plan_read(
                source, read.fmt, read.mapping, size_limit, read.exact_mapping, limits, read.regex
            )
            with _Engine(tz, business_hours, fold_users=read.users_case_insensitive) as engine:
                sample = engine.ingest(
                    source,
                    plan,
                    default_tz,
                    read.on_bad_rows,
                    read.timestamp_format,
                    limits,
                    progress,
                    read.year,
                )
                sample.source = display_name or p.name
                profile = engine.profile(sample, read.entity, tz, business_hours, service_accounts, options)
    except WorkshopError as exc:
        raise _renamed(exc, p, display_name) from None
    return sample, profile


def _renamed(exc: WorkshopError, path: Path, display_name: str | None) -> WorkshopError:
    """The error naming the person's file: its own name instead of a temporary copy's."""
    loc = exc.location
    ours = (
        loc is not None
        and bool(loc.file)
        and (loc.file == str(path) or Path(str(loc.file)).name.startswith(UPLOAD_PREFIX))
    )
    if display_name and loc is not None and ours:
        exc.location = Location(display_name, loc.line, loc.column)
    if display_name:
        exc.message = exc.message.replace(str(path), display_name)
    return exc


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Engine:
    """One DuckDB connection, the table ``ev`` of mapped roles, and the queries over it."""

    def __init__(self, tz: str, business_hours: TimeWindow, fold_users: bool = False) -> None:
        import duckdb

        self.fold_users = fold_users
        self.tz = tz
        self.bh_tz = business_hours.timezone or tz
        self._tmp = tempfile.TemporaryDirectory(prefix="workshop-duckdb-")
        threads = int(os.environ.get(THREADS_ENV, "").strip() or 2)
        self.con: Any = duckdb.connect(
            config={
                "memory_limit": os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT,
                "threads": threads,
                "temp_directory": self._tmp.name,
                "preserve_insertion_order": False,
            }
        )
        self.run("SET TimeZone = 'UTC'")
        # Progress is read by query_progress() for the callback; DuckDB must not print its own
        # bar (it would land in the command's JSON on stdout).
        self.run("SET enable_progress_bar = true")
        self.run("SET enable_progress_bar_print = false")
        self.roles: list[str] = []

    def __enter__(self) -> _Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and delete DuckDB's spill folder (twice is harmless)."""
        if self.con is not None:
            self.con.close()
            self.con = None
        self._tmp.cleanup()

    # -- reading

    def _create(self, roles: Sequence[str]) -> None:
        self.roles = list(roles)
        cols = (
            ["ts TIMESTAMPTZ", "lus BIGINT"]
            + (["bus BIGINT"] if self.bh_tz != self.tz else [])
            + [f"{_quote(r)} {'DOUBLE' if r in NUMERIC_ROLES else 'VARCHAR'}" for r in roles]
        )
        self.run(f"CREATE TEMP TABLE ev ({', '.join(cols)})")

    def _locals(self, expr: str) -> str:
        """The local clock columns of a row: ``lus`` (days and hours) and, in another zone, ``bus`` (business hours)."""
        out = self._local(expr, self.tz)
        if self.bh_tz != self.tz:
            out += ", " + self._local(expr, self.bh_tz)
        return out

    def _local(self, expr: str, zone: str) -> str:
        """Local wall-clock microseconds since 1970 of a TIMESTAMPTZ expression."""
        if zone == "UTC":
            return f"epoch_us({expr})"
        return f"epoch_us(timezone({_literal(zone)}, {expr}))"

    def ingest(
        self,
        path: Path,
        plan: ReadPlan,
        default_tz: str,
        on_bad_rows: BadRows,
        timestamp_format: str | None,
        limits: SampleLimits,
        progress: Progress | None,
        year: int | None = None,
    ) -> StreamedSample:
        roles = [r for r in plan.mapping if r != "timestamp"]
        self._create(roles)
        warnings: list[str] = []
        total = path.stat().st_size
        native = _native_time(plan, default_tz, timestamp_format)
        parquet = _native_parquet(path, plan, timestamp_format, limits)
        if native is not None:
            rows, skipped = self._ingest_csv(
                path, plan, native, default_tz, on_bad_rows, warnings, total, progress
            )
        elif parquet is not None:
            rows, skipped = self._ingest_parquet(path, plan, parquet, default_tz, on_bad_rows, warnings, total,
                                                 progress)  # fmt: skip
        else:
            rows, skipped = self._ingest_batches(
                path, plan, default_tz, on_bad_rows, timestamp_format, limits, warnings, total, progress, year
            )
        if progress:
            progress(total, total)
        check_rows(path, rows + skipped, limits)
        return StreamedSample(
            mapping=dict(plan.mapping),
            format=plan.format,
            warnings=list(dict.fromkeys(warnings)),
            rows_read=rows + skipped,
            rows_skipped=skipped,
            columns=plan.columns,
            default_tz=default_tz,
            events=rows,
        )

    def _role_select(self, plan: ReadPlan, source_cols: Mapping[str, str], trimmed: bool = True) -> list[str]:
        """The role columns from the source's: text labels, numbers as DOUBLE (from text when ``trimmed``)."""
        out = []
        for role in self.roles:
            col = source_cols[plan.mapping[role]]
            if role in NUMERIC_ROLES:
                out.append(f"TRY_CAST(NULLIF(NULLIF(trim({col}), ''), '-') AS DOUBLE)" if trimmed
                           else f"CAST({col} AS DOUBLE)")  # fmt: skip
            elif not trimmed:
                out.append(f"lower(CAST({col} AS VARCHAR))" if role == "user" and self.fold_users
                           else f"CAST({col} AS VARCHAR)")  # fmt: skip
            elif role == "user" and self.fold_users:
                out.append(f"lower({col})")
            else:
                out.append(col)
        return out

    def _ingest_csv(
        self,
        path: Path,
        plan: ReadPlan,
        zoned: bool,
        default_tz: str,
        on_bad_rows: BadRows,
        warnings: list[str],
        total: int,
        progress: Progress | None,
    ) -> tuple[int, int]:
        """DuckDB's parallel CSV reader over the file; bad rows are stored with their lines."""
        delim = plan.head.delimiter or ","
        time_col = plan.mapping["timestamp"]
        needed = list(dict.fromkeys(plan.mapping.values()))
        cols = {c: f"c{i}" for i, c in enumerate(needed)}
        raw_t = cols[time_col]
        if default_tz == "UTC":
            ts = f"TRY_CAST({raw_t} AS TIMESTAMPTZ)"
        elif zoned:
            ts = (
                f"CASE WHEN regexp_matches({raw_t}, '(Z|z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
                f"THEN TRY_CAST({raw_t} AS TIMESTAMPTZ) "
                f"ELSE timezone({_literal(default_tz)}, TRY_CAST({raw_t} AS TIMESTAMP)) END"
            )
        else:
            ts = f"timezone({_literal(default_tz)}, TRY_CAST({raw_t} AS TIMESTAMP))"
        nulls = ", ".join(_literal(v) for v in CSV_NULLS)
        src = (
            f"read_csv({_literal(str(path))}, delim = {_literal(delim)}, header = true, all_varchar = true, "
            f"quote = '\"', escape = '\"', nullstr = [{nulls}], store_rejects = true, "
            f"strict_mode = false, null_padding = false)"
        )
        picks = ", ".join(f"{_quote(c)} AS {alias}" for c, alias in cols.items())
        roles = self._role_select(plan, cols)
        query = (
            f"WITH src AS (SELECT {picks} FROM {src}), typed AS (SELECT {ts} AS ts, * FROM src) "
            f"INSERT INTO ev SELECT ts, {self._locals('ts')}"
            + "".join(f", {r}" for r in roles)
            + " FROM typed"
        )
        try:
            self._run_with_progress(query, total, progress)
        except Exception as exc:  # duckdb's exception classes
            text = str(exc)
            if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
                raise find_invalid_utf8(path) from None
            raise LoadError(f"cannot read as CSV: {text.splitlines()[0]}", Location(str(path))) from None
        rejects = self.one("SELECT count(*), list(line ORDER BY line)[1:5] FROM reject_errors")
        n_reject = int(rejects[0]) if rejects else 0
        if n_reject:
            lines = [int(x) for x in rejects[1]]
            where = ", ".join(f"line {n}" for n in lines)
            message = f"{n_reject} row(s) do not have the header's number of columns, e.g. {where}"
            if on_bad_rows == "error":
                raise LoadError(message, Location(str(path), lines[0] if lines else None))
            warnings.append(message + "; skipped")
        # Rows without a readable time: ts NULL. Their raw text is read back only on this error path.
        n_rows, n_bad = self.one("SELECT count(*), count(*) FILTER (ts IS NULL) FROM ev")
        if n_rows == 0:
            raise LoadError("no data rows after the header line", Location(str(path)))
        skipped = n_reject
        if n_bad:
            examples = [
                r[0]
                for r in self.run(
                    f"SELECT {_quote(time_col)} FROM {src} WHERE {ts.replace(raw_t, _quote(time_col))} IS NULL "
                    f"LIMIT {MAX_EXAMPLES}"
                )
            ]
            _report_bad_times(path, time_col, int(n_rows), int(n_bad), examples, on_bad_rows, warnings)
            self.run("DELETE FROM ev WHERE ts IS NULL")
            skipped += int(n_bad)
        return int(n_rows) - int(n_bad), skipped

    def _ingest_parquet(
        self,
        path: Path,
        plan: ReadPlan,
        zoned: bool,
        default_tz: str,
        on_bad_rows: BadRows,
        warnings: list[str],
        total: int,
        progress: Progress | None,
    ) -> tuple[int, int]:
        """DuckDB's own Parquet reader (parallel, no Arrow batches through Python) for typed time stamps.

        Parquet rows have no lines: a row without a time is named by its row number, as
        the Arrow path names it.
        """
        time_col = plan.mapping["timestamp"]
        needed = list(dict.fromkeys(plan.mapping.values()))
        cols = {c: f"c{i}" for i, c in enumerate(needed)}
        raw_t = cols[time_col]
        ts = (
            f"CAST({raw_t} AS TIMESTAMPTZ)"
            if zoned
            else f"timezone({_literal(default_tz)}, CAST({raw_t} AS TIMESTAMP))"
        )
        src = f"read_parquet({_literal(str(path))}, file_row_number = true)"
        picks = ", ".join(f"{_quote(c)} AS {alias}" for c, alias in cols.items())
        roles = self._role_select(plan, cols, trimmed=False)
        query = (
            f"WITH typed AS (SELECT {ts} AS ts, * FROM (SELECT {picks} FROM {src})) "
            f"INSERT INTO ev SELECT ts, {self._locals('ts')}"
            + "".join(f", {r}" for r in roles)
            + " FROM typed"
        )
        try:
            self._run_with_progress(query, total, progress)
        except Exception as exc:  # duckdb's exception classes
            raise LoadError(
                f"not a readable Parquet file: {str(exc).splitlines()[0]}", Location(str(path))
            ) from None
        n_rows, n_bad = self.one("SELECT count(*), count(*) FILTER (ts IS NULL) FROM ev")
        if n_rows == 0:
            raise LoadError("Parquet file has no rows", Location(str(path)))
        if n_bad:
            bad = _BadTimes(time_col)
            bad.seen, bad.empty = int(n_rows), int(n_bad)
            numbers = self.run(
                f"SELECT file_row_number FROM {src} WHERE {_quote(time_col)} IS NULL "
                f"ORDER BY file_row_number LIMIT {MAX_EXAMPLES}"
            )
            bad.empty_examples = [(f"row {int(r[0]) + 1}", None) for r in numbers]
            if n_bad == n_rows:
                raise LoadError(
                    f"no usable timestamp: column '{time_col}' holds no dates I can read (it is empty)"
                    "; map another column with --map timestamp=COLUMN or give --timestamp-format",
                    Location(str(path)),
                )
            bad.finish(path, int(n_rows) - int(n_bad), on_bad_rows, warnings)
            self.run("DELETE FROM ev WHERE ts IS NULL")
        return int(n_rows) - int(n_bad), int(n_bad)

    def _run_with_progress(self, query: str, total: int, progress: Progress | None) -> None:
        if progress is None:
            self.run(query)
            return
        done = threading.Event()

        def poll() -> None:
            while not done.wait(0.25):
                with contextlib.suppress(Exception):
                    share = float(self.con.query_progress())
                    if share >= 0:
                        progress(int(total * min(share, 100.0) / 100.0), total)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            self.run(query)
        finally:
            done.set()
            thread.join()

    def _ingest_batches(
        self,
        path: Path,
        plan: ReadPlan,
        default_tz: str,
        on_bad_rows: BadRows,
        timestamp_format: str | None,
        limits: SampleLimits,
        warnings: list[str],
        total: int,
        progress: Progress | None,
        year: int | None = None,
    ) -> tuple[int, int]:
        """Formats parsed in Python: the reader's chunks, each typed and appended to ``ev``."""
        time_col = plan.mapping["timestamp"]
        parts = time_parts(time_col, plan.columns)
        request = ReadRequest(
            columns=needed_columns(plan.mapping, plan.columns),
            label_columns=frozenset(),
            time_column=parts[0],
            typed_time=timestamp_format is None and len(parts) == 1,
            on_bad_rows=on_bad_rows,
            limits=limits,
            year=year,
        )
        fmt_time = timestamp_format or plan.reader.time_format(time_col)
        bad = _BadTimes(time_col)
        rows = skipped = 0
        insert = (
            f"INSERT INTO ev SELECT ts, {self._locals('ts')}"
            + "".join(f", {_quote(r)}" for r in self.roles)
            + " FROM chunk"
        )
        for read, done in _chunks(plan, path, request, warnings):
            table = read.table
            skipped += read.skipped
            if table.num_rows == 0:
                continue
            raw_time = time_text(table, parts)
            ts, ts_warnings = parse_timestamps(raw_time, default_tz, fmt_time)
            warnings.extend(ts_warnings)
            ok = bad.collect(read, raw_time, ts, rows + skipped)
            columns: dict[str, pa.Array | pa.ChunkedArray] = {
                "ts": pa.Array.from_pandas(ts).cast(TS_US_UTC, safe=False)
            }
            for role in self.roles:
                arr = table.column(plan.mapping[role])
                columns[role] = _numbers(arr) if role in NUMERIC_ROLES else _strings(arr)
                if role == "user" and self.fold_users:
                    columns[role] = pc.utf8_lower(columns[role])
            chunk = pa.table(columns)
            if ok is not None:
                chunk = chunk.filter(pa.array(ok))
                skipped += int((~ok).sum())
            rows += chunk.num_rows
            self.con.register("chunk", chunk)
            try:
                self.run(insert)
            finally:
                self.con.unregister("chunk")
            if progress:
                progress(done, total)
        after = " after the header line" if plan.reader.header_line else ""
        if rows + bad.total_bad() == 0:
            raise LoadError("no data rows" + after, Location(str(path)))
        bad.finish(path, rows, on_bad_rows, warnings)
        _numeric_warnings(self.con, plan, self.roles, warnings)
        return rows, skipped

    # -- figures

    def profile(
        self,
        sample: StreamedSample,
        entity_role: str | None,
        tz: str,
        business_hours: TimeWindow,
        service_accounts: Sequence[str],
        options: ProfileOptions,
    ) -> Profile:
        roles = self.roles
        if sample.events == 0:
            raise InputError("the sample has no events")
        if entity_role is None:
            non_empty = {
                r: bool(self._scalar(f"SELECT count({_quote(r)}) > 0 FROM ev"))
                for r in roles
                if r in ENTITY_ROLES
            }
            entity_role = default_entity(roles, non_empty)
        elif entity_role not in roles:
            raise InputError(
                f"entity role '{entity_role}' is not mapped; mapped roles: {', '.join(roles) or 'none'}"
            )
        fail = self._failure_expr(options) if "outcome" in roles else None
        tables = self._count_tables(entity_role, fail)
        extra = self._row_figures(tz, business_hours, service_accounts, options, entity_role)
        # Every query is done: DuckDB's memory goes back before the figures are derived in Python.
        self.close()
        profile = profile_from_tables(tables, entity_role, tz, business_hours, options, precision="event")
        return complete_profile(profile, extra, sample, entity_role, service_accounts)

    def _scalar(self, sql: str) -> Any:
        return self.one(sql)[0]

    def run(self, sql: str) -> list[Any]:
        """Run a statement to its end (DuckDB 2 refuses new work while a result is unread)."""
        rows: list[Any] = self.con.execute(sql).fetchall()
        return rows

    def one(self, sql: str) -> tuple[Any, ...]:
        rows = self.run(sql)
        return tuple(rows[0]) if rows else ()

    def _failure_expr(self, options: ProfileOptions) -> str:
        """1 for a failed event: the outcome values classified once, not per row."""
        values = [r[0] for r in self.run('SELECT DISTINCT "outcome" FROM ev WHERE "outcome" IS NOT NULL')]
        flags = classify_failures(values, options.failure_values, options.http_failure_min)
        failing = [v for v, f in zip(values, flags, strict=True) if f]
        if not failing:
            return "0"
        return f'coalesce(CAST("outcome" IN ({", ".join(_literal(str(v)) for v in failing)}) AS BIGINT), 0)'

    def _numpy(self, sql: str) -> dict[str, np.ndarray]:
        """A result's columns as NumPy arrays, straight from DuckDB: through Arrow, NumPy
        conversions import pandas (half a second of start-up the command does not need)."""
        columns: dict[str, np.ndarray] = self.con.sql(sql).fetchnumpy()
        return columns

    def _count_tables(self, entity_role: str, fail: str | None) -> CountTables:
        """The count tables, grouped, coded and ordered in DuckDB (in parallel, out of Python's heap).

        Labels become integer codes by a join of the grouped rows (not of the events)
        with the distinct labels, and the role tables arrive in the order
        :class:`~workshop.baseline.tables.RoleCounts` keeps: Python only takes the
        columns (measured: hashing and sorting them in Python cost more than the joins).
        """
        ent = _quote(entity_role)
        sums = ["count(*) AS n"]
        if fail is not None:
            sums.append(f"CAST(sum({fail}) AS BIGINT) AS f")
        for vol in ("records", "bytes"):
            if vol in self.roles:
                sums.append(f"coalesce(sum({_quote(vol)}), 0) AS {vol}")
        self.run(
            f"CREATE TEMP TABLE eh AS SELECT {ent} AS ent, lus // {US_HOUR} AS h, {', '.join(sums)} FROM ev GROUP BY ALL"
        )
        ent_labels = self._codes("ent_codes", "eh", "ent")
        t = self._numpy(
            "SELECT coalesce(k.c, -1) AS ent, eh.* EXCLUDE (ent) FROM eh LEFT JOIN ent_codes k ON eh.ent = k.v"
        )
        self.run("DROP TABLE eh")
        hour_abs = np.asarray(t["h"], dtype=np.int64)
        hour0 = int(hour_abs.min())
        rel = hour_abs - hour0
        nhours = int(rel.max()) + 1
        day0 = hour0 // 24

        def ints(table: dict[str, np.ndarray], name: str) -> np.ndarray:
            return np.asarray(table[name], dtype=np.int64)

        tables = CountTables(
            hour0=hour0,
            nhours=nhours,
            ent_labels=ent_labels,
            ent=ints(t, "ent"),
            hour=rel,
            events=ints(t, "n"),
            failures=ints(t, "f") if fail is not None else None,
            records=np.asarray(t["records"], dtype=float) if "records" in self.roles else None,
            bytes=np.asarray(t["bytes"], dtype=float) if "bytes" in self.roles else None,
        )
        del t  # drop the fetched copy: only the arrays above are kept (the peak is here)
        for role in (r for r in ROLES_WITH_TABLES if r in self.roles and r != entity_role):
            f_sum = f", CAST(sum({fail}) AS BIGINT) AS f" if fail is not None else ""
            self.run(
                f"CREATE TEMP TABLE rt AS SELECT {_quote(role)} AS v, {ent} AS ent, lus // {US_DAY} - {day0} AS d, "
                f"count(*) AS n{f_sum} FROM ev GROUP BY ALL"
            )
            labels = self._codes("value_codes", "rt", "v")
            # Missing values and entities are -1, so they sort first, as RoleCounts keeps them.
            rt = self._numpy(
                "SELECT coalesce(c.c, -1) AS code, coalesce(k.c, -1) AS ent, rt.* EXCLUDE (v, ent) FROM rt "
                "LEFT JOIN value_codes c ON rt.v = c.v LEFT JOIN ent_codes k ON rt.ent = k.v ORDER BY code, ent, d"
            )
            self.run("DROP TABLE rt")
            self.run("DROP TABLE value_codes")
            tables.roles[role] = RoleCounts(
                labels, ints(rt, "code"), ints(rt, "ent"), ints(rt, "d"), ints(rt, "n"),
                ints(rt, "f") if fail is not None else None,
            )  # fmt: skip
        self.run("DROP TABLE ent_codes")
        return tables

    def _codes(self, name: str, table: str, column: str) -> np.ndarray:
        """Number the distinct labels of ``table.column`` into table ``name`` (v, c); the labels in code order."""
        self.run(
            f"CREATE TEMP TABLE {name} AS SELECT v, CAST(row_number() OVER (ORDER BY v) - 1 AS BIGINT) AS c "
            f"FROM (SELECT DISTINCT {column} AS v FROM {table} WHERE {column} IS NOT NULL)"
        )
        labels = self.con.sql(f"SELECT v FROM {name} ORDER BY c").to_arrow_table().column("v").to_pylist()
        return np.asarray(labels, dtype=object)

    def _row_figures(
        self,
        tz: str,
        business_hours: TimeWindow,
        service_accounts: Sequence[str],
        options: ProfileOptions,
        entity_role: str,
    ) -> dict[str, Any]:
        """What count tables cannot give, each grouped in DuckDB to a small table."""
        zone = ZoneInfo(tz)
        first, last = self.one("SELECT min(ts), max(ts) FROM ev")
        out: dict[str, Any] = {
            "first": first.astimezone(zone).isoformat(),
            "last": last.astimezone(zone).isoformat(),
            "volumes": {},
        }
        bus = "bus" if self.bh_tz != self.tz else "lus"
        clock = self._numpy(
            f"SELECT ({bus} // {US_DAY} + 3) % 7 AS wd, ({bus} // {US_MINUTE}) % 1440 AS m, count(*) AS n "
            "FROM ev GROUP BY ALL"
        )
        n = clock["n"]
        inside = business_hours.contains_local(clock["wd"], clock["m"])
        out["out_of_hours_share"] = float(1.0 - int(n[inside].sum()) / int(n.sum()))
        for vol in ("records", "bytes"):
            if vol in self.roles:
                h = self._numpy(
                    f"SELECT {_quote(vol)} AS v, count(*) AS n FROM ev WHERE {_quote(vol)} IS NOT NULL GROUP BY ALL"
                )
                vals = np.asarray(h["v"], dtype=float)
                freq = np.asarray(h["n"], dtype=np.int64)
                out["volumes"][vol] = (int(freq.sum()), _distribution_of_counts(vals, freq))
        if "session" in self.roles and entity_role != "session":
            s = self._numpy(
                "SELECT count(*) AS n, epoch_us(max(ts)) - epoch_us(min(ts)) AS dur FROM ev "
                'WHERE "session" IS NOT NULL GROUP BY "session"'
            )
            if len(s["n"]):
                out["sessions"] = Sessions(
                    count=len(s["n"]),
                    events_per_session=Distribution.of(np.asarray(s["n"], dtype=np.int64)),
                    duration_seconds=Distribution.of(np.asarray(s["dur"], dtype=float) / 1e6),
                )
        if service_accounts:
            out["service_accounts"] = self._service_accounts(service_accounts, options)
        return out

    def _service_accounts(self, names: Sequence[str], options: ProfileOptions) -> dict[str, ServiceAccount]:
        out = {name: ServiceAccount(name=name) for name in names}
        if "user" not in self.roles:
            return out
        wanted = ", ".join(_literal(n) for n in names)
        t = (
            self.con.sql(
                f'SELECT "user" AS u, lus // {US_HOUR} AS h, count(*) AS n FROM ev WHERE "user" IN ({wanted}) GROUP BY ALL'
            )
            .to_arrow_table()
            .combine_chunks()
            .to_pandas()
        )
        sources: dict[str, list[str]] = {}
        if "source_ip" in self.roles:
            for u, s in self.run(
                f'SELECT DISTINCT "user", "source_ip" FROM ev WHERE "user" IN ({wanted}) AND "source_ip" IS NOT NULL'
            ):
                sources.setdefault(u, []).append(str(s))
        for name in names:
            rows = t[t["u"] == name]
            if rows.empty:
                continue
            hours = rows["h"].to_numpy(dtype=np.int64)
            n = rows["n"].to_numpy(dtype=np.int64)
            day = hours // 24
            sa = out[name]
            sa.events = int(n.sum())
            sa.hour_of_day = [int(x) for x in np.bincount(hours % 24, weights=n, minlength=24)]
            sa.weekday = [int(x) for x in np.bincount((day + 3) % 7, weights=n, minlength=7)]
            sa.days = len(np.unique(day))
            sa.first = day_text(int(day.min()))
            sa.last = day_text(int(day.max()))
            if "source_ip" in self.roles:
                srcs = sorted(sources.get(name, []))
                sa.sources = srcs[: options.value_cap]
                sa.sources_truncated = len(srcs) > options.value_cap
        return out


def _native_time(plan: ReadPlan, default_tz: str, timestamp_format: str | None) -> bool | None:
    """Whether DuckDB reads the file itself: a CSV whose head shows ISO 8601 times.

    Returns whether the times carry offsets (None: read in Python). Other layouts go
    through :func:`~workshop.baseline.timestamps.parse_timestamps`, one chunk at a time.
    """
    if plan.format != "csv" or timestamp_format is not None or plan.mapping["timestamp"] not in plan.columns:
        return None
    from workshop.baseline.readers.csvfile import _reader_time_type

    kind = _reader_time_type(plan.head.column(plan.mapping["timestamp"]))
    if kind is None:
        return None
    return bool(kind == TS_NS_UTC)


def _native_parquet(
    path: Path, plan: ReadPlan, timestamp_format: str | None, limits: SampleLimits
) -> bool | None:
    """Whether DuckDB reads this Parquet file itself: typed time stamps, top-level text, integer
    or boolean labels and numeric volumes (their text is then the same as the Arrow path's).

    Returns whether the times are UTC instants (None: read through Arrow batches). The
    metadata is checked against the limits first, as the Arrow path does.
    """
    if plan.format != "parquet" or timestamp_format is not None:
        return None
    from workshop.baseline.readers.parquet import _open, check_metadata

    pf = _open(path)
    schema = pf.schema_arrow
    types = {name: schema.field(name).type for name in schema.names}
    for role, col in plan.mapping.items():
        t = types.get(col)
        if t is None:
            return None  # a nested field: Arrow flattens it
        if pa.types.is_dictionary(t):
            t = t.value_type
        if role == "timestamp":
            ok = pa.types.is_timestamp(t)
        elif role in NUMERIC_ROLES:
            ok = pa.types.is_integer(t) or pa.types.is_floating(t)
        else:
            ok = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
            ok = ok or pa.types.is_boolean(t)
        if not ok:
            return None
    check_metadata(path, pf, limits, list(dict.fromkeys(plan.mapping.values())))
    t = types[plan.mapping["timestamp"]]
    return (t.value_type if pa.types.is_dictionary(t) else t).tz is not None


def _chunks(
    plan: ReadPlan, path: Path, request: ReadRequest, warnings: list[str]
) -> Iterator[tuple[ReadTable, int]]:
    """The reader's chunks (with the bytes read so far); a reader without chunks gives one."""
    batches = getattr(plan.reader, "batches", None)
    if batches is not None:
        yield from batches(path, plan.head, request, warnings)
        return
    yield plan.reader.read(path, plan.head, request, warnings), path.stat().st_size


class _BadTimes:
    """Rows of every chunk whose time stamp is missing or unreadable, with their lines."""

    def __init__(self, column: str) -> None:
        self.column = column
        self.unreadable = 0
        self.empty = 0
        self.seen = 0
        self.unreadable_examples: list[tuple[str, int | None, str]] = []
        self.empty_examples: list[tuple[str, int | None]] = []

    def total_bad(self) -> int:
        return self.unreadable + self.empty

    def collect(self, read: ReadTable, raw: pa.ChunkedArray, ts: pd.Series, before: int) -> np.ndarray | None:
        """The rows to keep (None: all), noting the bad ones; ``before`` rows came in earlier chunks."""
        self.seen += len(ts)
        bad: np.ndarray = ts.isna().to_numpy()
        if not bad.any():
            return None
        raw_null = pc.is_null(raw).to_numpy(zero_copy_only=False)
        if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type):
            blank = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(raw, "")), "").to_numpy(
                zero_copy_only=False
            )
            raw_null = raw_null | blank
        unreadable = bad & ~raw_null
        empty = bad & raw_null
        self.unreadable += int(unreadable.sum())
        self.empty += int(empty.sum())
        for i in np.flatnonzero(unreadable)[: MAX_EXAMPLES - len(self.unreadable_examples)]:
            text, line = _where(read, int(i), before)
            self.unreadable_examples.append((text, line, str(raw[int(i)].as_py())))
        for i in np.flatnonzero(empty)[: MAX_EXAMPLES - len(self.empty_examples)]:
            text, line = _where(read, int(i), before)
            self.empty_examples.append((text, line))
        keep: np.ndarray = ~bad
        return keep

    def finish(self, path: Path, good: int, on_bad_rows: BadRows, warnings: list[str]) -> None:
        if not self.total_bad():
            return
        if good == 0:
            examples = ", ".join(repr(v) for _t, _l, v in self.unreadable_examples)
            raise LoadError(
                f"no usable timestamp: column '{self.column}' holds no dates I can read"
                + (f" (e.g. {examples})" if examples else " (it is empty)")
                + "; map another column with --map timestamp=COLUMN or give --timestamp-format",
                Location(str(path)),
            )
        problems: list[str] = []
        lines = [ln for _t, ln, _v in self.unreadable_examples] + [ln for _t, ln in self.empty_examples]
        if self.unreadable:
            parts = "; ".join(f"{t}: {v!r}" for t, _l, v in self.unreadable_examples)
            problems.append(
                f"{self.unreadable} of {self.seen} value(s) in '{self.column}' are not dates I can read, e.g. {parts}"
            )
        if self.empty:
            parts = ", ".join(t for t, _l in self.empty_examples)
            problems.append(f"{self.empty} row(s) have no time stamp, e.g. {parts}")
        message = "; ".join(problems)
        if on_bad_rows == "error":
            raise LoadError(
                message + " (give --timestamp-format, or --skip-bad-rows to leave them out)",
                Location(str(path), next((ln for ln in lines if ln), None)),
            )
        warnings.append(message + "; skipped")


def _where(read: ReadTable, index: int, before: int) -> tuple[str, int | None]:
    """``row N (line M)`` of a row of a chunk, counted over the whole file."""
    if read.line_numbers is not None:
        line = int(read.line_numbers[index])
        return f"line {line}", line
    if read.line_offset is None:
        return f"row {before + index + 1}", None
    line = index + read.line_offset
    return f"row {before + index + 1} (line {line})", line


def _report_bad_times(
    path: Path,
    column: str,
    rows: int,
    bad: int,
    examples: list[str | None],
    on_bad_rows: BadRows,
    warnings: list[str],
) -> None:
    """The native reader's bad time stamps, named with their lines (found by a scan: error path only)."""
    if bad == rows:
        shown = ", ".join(repr(v) for v in examples if v is not None)
        raise LoadError(
            f"no usable timestamp: column '{column}' holds no dates I can read"
            + (f" (e.g. {shown})" if shown else " (it is empty)")
            + "; map another column with --map timestamp=COLUMN or give --timestamp-format",
            Location(str(path)),
        )
    texts = [v for v in examples if v is not None]
    lines = _lines_holding(path, texts)
    parts = [f"line {ln}: {v!r}" if ln else repr(v) for v, ln in zip(texts, lines, strict=True)]
    n_empty = sum(1 for v in examples if v is None)
    message = f"{bad} of {rows} value(s) in '{column}' are missing or not dates I can read"
    if parts:
        message += ", e.g. " + "; ".join(parts)
    elif n_empty:
        message += " (empty)"
    if on_bad_rows == "error":
        raise LoadError(
            message + " (give --timestamp-format, or --skip-bad-rows to leave them out)",
            Location(str(path), next((ln for ln in lines if ln), None)),
        )
    warnings.append(message + "; skipped")


def _lines_holding(path: Path, texts: Sequence[str]) -> list[int | None]:
    """The first line holding each text (a linear scan, on the error path only)."""
    found: dict[str, int | None] = dict.fromkeys(texts)
    remaining = len(found)
    if not remaining:
        return []
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            for t in texts:
                if found[t] is None and t in line:
                    found[t] = number
                    remaining -= 1
            if not remaining:
                break
    return [found[t] for t in texts]


def _numeric_warnings(con: Any, plan: ReadPlan, roles: Sequence[str], warnings: list[str]) -> None:
    """Numbers that did not read are counted per chunk; one warning per column is enough."""
    seen: set[str] = set()
    merged = []
    for w in warnings:
        key = next((f"'{plan.mapping[r]}' ({r})" for r in roles if r in NUMERIC_ROLES
                    and f"'{plan.mapping[r]}' ({r}) are not numbers" in w), None)  # fmt: skip
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        merged.append(w)
    warnings[:] = merged


def _strings(arr: pa.ChunkedArray) -> pa.Array:
    """A label column as text, the way :func:`~workshop.baseline.loading._labels` writes its categories."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode() if hasattr(arr, "dictionary_decode") else pc.cast(arr, t.value_type)
        t = arr.type
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    if pa.types.is_floating(t):
        as_int = pc.cast(arr, pa.int64(), safe=False)
        whole = pc.equal(pc.cast(as_int, pa.float64()), arr)
        return pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(arr, pa.string()))
    if pa.types.is_large_string(t):
        return pc.cast(arr, pa.string())
    if not pa.types.is_string(t):
        return pc.cast(arr, pa.string())
    return arr


def _numbers(arr: pa.ChunkedArray) -> pa.Array:
    from workshop.baseline.loading import _numeric

    scratch: list[str] = []
    return pa.array(_numeric(arr, "", "", scratch), pa.float64(), from_pandas=True)


def _distribution_of_counts(vals: np.ndarray, freq: np.ndarray) -> Distribution:
    """``Distribution.of`` the observations ``vals`` repeated ``freq`` times, without repeating them."""
    from workshop.baseline.figures import PERCENTILES, _percentiles_from_counts

    if vals.size == 0:
        return Distribution()
    integral = np.array_equal(vals, np.floor(vals))
    if not (integral and vals.min() >= 0 and vals.max() < 1e7):
        return Distribution.of(np.repeat(vals, freq))
    order = np.argsort(vals)
    vals, freq = vals[order], freq[order]
    n = int(freq.sum())
    q = _percentiles_from_counts(vals.astype(np.int64), freq, PERCENTILES)
    return Distribution(
        n=n,
        mean=float((vals * freq).sum() / n),
        p50=float(q[0]),
        p90=float(q[1]),
        p95=float(q[2]),
        p99=float(q[3]),
        max=float(vals.max()),
    )
