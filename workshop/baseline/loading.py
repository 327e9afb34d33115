"""Loading a sample: from a file to a :class:`LoadedSample` of mapped roles, with clear errors.

This is the one path from a file a person hands us to the rows the baseline
counts: check the file, detect its format, read a head for the mapping proposal,
read the mapped columns with the format's reader, parse the time stamps, and keep
nothing but one column per role (``timestamp`` in UTC, labels as categories,
volumes as floats), so that raw fields the baseline does not need are never held
or stored. Everything that can be wrong (a mapped column that is not there,
dates that do not parse, rows without a time) raises a
:class:`~workshop.core.errors.LoadError` naming the file and, where there is one,
the line. No Python loop runs over rows except on the error path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workshop.baseline.detect import detect_format
from workshop.baseline.files import DEFAULT_SIZE_LIMIT, check_file, check_rows, check_text_head, inflated
from workshop.baseline.limits import SampleLimits, default_limits
from workshop.baseline.mapping import LABEL_ROLES, NUMERIC_ROLES, merge_mapping, time_parts
from workshop.baseline.options import ReadOptions
from workshop.baseline.readers import BadRows, Head, Reader, ReadRequest, ReadTable, reader
from workshop.baseline.readers.base import MAX_EXAMPLES
from workshop.baseline.readers.parquet import PARQUET_MAGIC
from workshop.baseline.sample import LoadedSample, SampleInspection
from workshop.baseline.timestamps import parse_timestamps
from workshop.core.errors import LoadError, Location
from workshop.vocab import LogRole, check_timezone

if TYPE_CHECKING:
    import pandas as pd

#: Rows read for the mapping proposal and the previews.
HEAD_ROWS = 1000


def read_head(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    size_limit: int | None = DEFAULT_SIZE_LIMIT,
    rows: int = HEAD_ROWS,
    limits: SampleLimits | None = None,
    regex: str | None = None,
) -> tuple[str, Head]:
    """The format of a sample and its first ``rows`` rows, for proposals and previews.

    ``path`` is a plain file (see :func:`~workshop.baseline.files.inflated` for
    compressed ones); a file beyond ``limits`` is refused from its first bytes or its
    metadata, before it is read in full.
    """
    p = Path(path)
    limits = limits or default_limits()
    head = check_file(p, size_limit)
    if head[:4] != PARQUET_MAGIC:
        check_text_head(p, head, limits)
    if regex:
        fmt = "regex"  # a person's expression reads the lines, whatever they look like
    if fmt == "auto":
        fmt = detect_format(p, head)
    chosen = reader(fmt, regex)
    if fmt != "parquet" and head[:4] == PARQUET_MAGIC:
        raise LoadError(f"this is a Parquet file, not {fmt}", Location(str(p)))
    return fmt, chosen.head(p, head, rows, limits)


def inspect_sample(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    size_limit: int | None = DEFAULT_SIZE_LIMIT,
    limits: SampleLimits | None = None,
    regex: str | None = None,
) -> SampleInspection:
    """Detect the format, list the columns and propose a mapping, without loading.

    ``limits`` default to :func:`~workshop.baseline.limits.default_limits` (this
    machine's, with the operator's overrides).
    """
    p = Path(path)
    limits = limits or default_limits()
    with inflated(p, limits, size_limit) as source:
        return _inspect(source, p, fmt, size_limit, limits, regex)


def _inspect(
    p: Path, original: Path, fmt: str, size_limit: int | None, limits: SampleLimits, regex: str | None = None
) -> SampleInspection:
    fmt, head = read_head(p, fmt, size_limit, limits=limits, regex=regex)
    frame = head.frame
    examples = {
        str(c): [str(v) for v in frame[c].dropna().astype(str).head(3).tolist()] for c in frame.columns
    }
    return SampleInspection(
        format=fmt,
        columns=[str(c) for c in frame.columns],
        proposal=reader(fmt, regex).proposal(head.data),
        examples=examples,
        delimiter=head.delimiter,
        size=original.stat().st_size,
    )


def load_sample(
    path: str | os.PathLike[str],
    read: ReadOptions | None = None,
    *,
    limits: SampleLimits | None = None,
    **changes: Any,
) -> LoadedSample:
    """Read a sample file into its mapped roles.

    ``read`` says how (:class:`~workshop.baseline.options.ReadOptions`, shared with the
    streaming engine; keyword ``changes`` set some of its fields by name): ``mapping``
    overrides the proposal role by role (a ``None`` column drops the role); with
    ``exact_mapping`` only ``mapping`` is used, as for a mapping saved with an
    application. Naive time stamps are local times in ``default_tz`` (default UTC).
    ``skip_bad_rows`` drops rows with a missing or unparseable time stamp (and malformed
    lines) with a warning instead of refusing the file. A gzip file or a one-file ZIP
    archive is read through its content; ``limits`` (default: this machine's) bound the
    rows, columns, lines and inflation before the full read.
    """
    read = ReadOptions.of(read, changes)
    p = Path(path)
    check_timezone(read.default_tz or "UTC")
    limits = limits or default_limits()
    with inflated(p, limits, read.size_limit) as source:
        sample = _load(source, read, limits)
    sample.source = p.name
    return sample


@dataclass(frozen=True)
class ReadPlan:
    """What reading a file needs, settled from its head: the format, its reader, the head
    and the chosen column of every role (shared by the loader and the streaming engine)."""

    format: str
    reader: Reader
    head: Head
    mapping: dict[str, str]
    columns: list[str]


def plan_read(
    p: Path,
    fmt: str,
    mapping: Mapping[str, str | None] | None,
    size_limit: int | None,
    exact_mapping: bool,
    limits: SampleLimits,
    regex: str | None = None,
) -> ReadPlan:
    """Detect the format, read the head and choose the mapping; refuse a mapping the file cannot meet."""
    fmt, head = read_head(p, fmt, size_limit, limits=limits, regex=regex)
    fmt_reader = reader(fmt, regex)
    columns = head.columns
    if mapping is not None and exact_mapping:
        chosen = merge_mapping({}, mapping, exact=True)
    else:
        chosen = merge_mapping(fmt_reader.proposal(head.data).mapping, mapping)
    missing = {
        role: col
        for role, col in chosen.items()
        if not all(c in columns for c in (time_parts(col, columns) if role == LogRole.TIMESTAMP else [col]))
    }
    if missing:
        detail = ", ".join(f"'{col}' (mapped to {role})" for role, col in missing.items())
        raise LoadError(
            f"column(s) not in the file: {detail}; the columns are: {', '.join(columns)}",
            Location(str(p), fmt_reader.header_line),
        )
    if LogRole.TIMESTAMP not in chosen:
        raise LoadError(
            "no usable timestamp: no column holds dates; name one with --map timestamp=COLUMN "
            f"(columns: {', '.join(columns)})",
            Location(str(p), fmt_reader.header_line),
        )
    return ReadPlan(fmt, fmt_reader, head, dict(chosen), columns)


def needed_columns(chosen: Mapping[str, str], columns: list[str]) -> list[str]:
    """The file's columns the mapping reads (a joined date and time are two)."""
    out: list[str] = []
    for role, col in chosen.items():
        out += time_parts(col, columns) if role == LogRole.TIMESTAMP else [col]
    return list(dict.fromkeys(out))


def time_text(table: pa.Table, parts: list[str]) -> pa.ChunkedArray:
    """The time column, or a date and a time column joined with a space."""
    if len(parts) == 1:
        return table.column(parts[0])
    date, time = (pc.cast(table.column(c), pa.string()) for c in parts)
    return pa.chunked_array([pc.binary_join_element_wise(date, time, " ")])


def _load(p: Path, options: ReadOptions, limits: SampleLimits) -> LoadedSample:
    import pandas as pd

    default_tz = options.default_tz or "UTC"
    on_bad_rows = options.on_bad_rows
    timestamp_format = options.timestamp_format
    plan = plan_read(p, options.fmt, options.mapping, options.size_limit, options.exact_mapping, limits,
                     options.regex)  # fmt: skip
    fmt, fmt_reader, head, chosen, columns = plan.format, plan.reader, plan.head, plan.mapping, plan.columns
    warnings: list[str] = []
    time_col = chosen[LogRole.TIMESTAMP]
    parts = time_parts(time_col, columns)
    request = ReadRequest(
        columns=needed_columns(chosen, columns),
        label_columns=frozenset(col for role, col in chosen.items() if role in LABEL_ROLES),
        time_column=parts[0],
        typed_time=timestamp_format is None and len(parts) == 1,
        on_bad_rows=on_bad_rows,
        limits=limits,
        year=options.year,
    )
    read = fmt_reader.read(p, head, request, warnings)
    table, skipped = read.table, read.skipped
    check_rows(p, table.num_rows + skipped, limits)
    if table.num_rows == 0:
        after = " after the header line" if fmt_reader.header_line else ""
        raise LoadError("no data rows" + after, Location(str(p)))
    rows_read = table.num_rows + skipped

    raw_time = time_text(table, parts)
    if timestamp_format is None:
        timestamp_format = fmt_reader.time_format(time_col)
    ts, ts_warnings = parse_timestamps(raw_time, default_tz, timestamp_format)
    warnings.extend(ts_warnings)
    bad = _bad_times(p, read, raw_time, ts, time_col, on_bad_rows, warnings)
    if bad is not None:
        keep = ~bad
        table = table.filter(pa.array(keep))
        ts = ts[keep].reset_index(drop=True)
        skipped += int(bad.sum())

    data: dict[str, Any] = {"timestamp": ts}
    for role, col in chosen.items():
        if role == "timestamp":
            continue
        arr = table.column(col)
        if role in NUMERIC_ROLES:
            data[role] = _numeric(arr, col, role, warnings)
        elif role == LogRole.USER and options.users_case_insensitive:
            data[role] = _labels(pc.utf8_lower(pc.cast(arr, pa.string())))
        else:
            data[role] = _labels(arr)
    df = pd.DataFrame(data)
    return LoadedSample(
        df=df,
        mapping=chosen,
        format=fmt,
        warnings=warnings,
        source=p.name,
        rows_read=rows_read,
        rows_skipped=skipped,
        columns=columns,
        default_tz=default_tz,
    )


def _bad_times(
    path: Path,
    read: ReadTable,
    raw_time: pa.ChunkedArray,
    ts: pd.Series,
    time_col: str,
    on_bad_rows: BadRows,
    warnings: list[str],
) -> np.ndarray | None:
    """Rows whose time stamp is missing or unreadable, to leave out; None when there are none.

    Raises, naming the rows and their lines, when no row has a time or when bad rows
    are not to be skipped.
    """
    bad: np.ndarray = ts.isna().to_numpy()
    if not bad.any():
        return None
    raw_null = pc.is_null(raw_time).to_numpy(zero_copy_only=False)
    if pa.types.is_string(raw_time.type) or pa.types.is_large_string(raw_time.type):
        raw_null = raw_null | pc.equal(pc.utf8_trim_whitespace(pc.fill_null(raw_time, "")), "").to_numpy(
            zero_copy_only=False
        )
    unparseable = bad & ~raw_null
    empty = bad & raw_null
    if unparseable.all() or bad.all():
        idx = np.flatnonzero(unparseable)[:MAX_EXAMPLES]
        examples = ", ".join(repr(str(raw_time[int(i)].as_py())) for i in idx)
        raise LoadError(
            f"no usable timestamp: column '{time_col}' holds no dates I can read"
            + (f" (e.g. {examples})" if examples else " (it is empty)")
            + "; map another column with --map timestamp=COLUMN or give --timestamp-format",
            Location(str(path)),
        )
    problems: list[str] = []
    first_line: int | None = None
    if unparseable.any():
        parts = []
        for i in np.flatnonzero(unparseable)[:MAX_EXAMPLES]:
            text, line = read.where(int(i))
            first_line = first_line or line
            parts.append(f"{text}: {str(raw_time[int(i)].as_py())!r}")
        problems.append(
            f"{int(unparseable.sum())} of {len(ts)} value(s) in '{time_col}' are not dates I can read, "
            f"e.g. {'; '.join(parts)}"
        )
    if empty.any():
        parts = []
        for i in np.flatnonzero(empty)[:MAX_EXAMPLES]:
            text, line = read.where(int(i))
            first_line = first_line or line
            parts.append(text)
        problems.append(f"{int(empty.sum())} row(s) have no time stamp, e.g. {', '.join(parts)}")
    message = "; ".join(problems)
    if on_bad_rows == "error":
        raise LoadError(
            message + " (give --timestamp-format, or --skip-bad-rows to leave them out)",
            Location(str(path), first_line),
        )
    warnings.append(message + "; skipped")
    return bad


def _labels(arr: pa.ChunkedArray) -> pd.Categorical:
    """Any column to a categorical of strings (null stays missing)."""
    import pandas as pd

    t = arr.type
    if pa.types.is_dictionary(t):
        if not pa.types.is_string(t.value_type):
            arr = pc.cast(pc.cast(arr, t.value_type), pa.string())
    elif pa.types.is_boolean(t):
        arr = pc.if_else(arr, "true", "false")
    elif pa.types.is_floating(t):
        # 200.0 -> "200" (JSON numbers read as floats)
        as_int = pc.cast(arr, pa.int64(), safe=False)
        whole = pc.equal(pc.cast(as_int, pa.float64()), arr)
        arr = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(arr, pa.string()))
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        arr = pc.cast(arr, pa.string())
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    values = pa.chunked_array(arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]).unify_dictionaries()
    if values.num_chunks == 0:
        return pd.Categorical([])
    # After unification every chunk shares one dictionary: its indices are the
    # category codes, so the categorical is built without converting values.
    dictionary = values.chunk(0).dictionary
    indices = pa.chunked_array([c.indices for c in values.chunks], type=values.type.index_type)
    codes = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    # Unused values (of rows filtered out) would count as values: drop them.
    used = np.bincount(codes[codes >= 0], minlength=len(dictionary)) > 0
    if not used.all():
        new_code = np.cumsum(used) - 1
        codes = np.where(codes >= 0, new_code[np.maximum(codes, 0)], -1).astype(np.int32)
        dictionary = dictionary.filter(pa.array(used))
    categories = pd.Index(dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _numeric(arr: pa.ChunkedArray, column: str, role: str, warnings: list[str]) -> np.ndarray:
    import pandas as pd

    t = arr.type
    if pa.types.is_dictionary(t):
        arr = pc.cast(arr, t.value_type)
        t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        floats: np.ndarray = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return floats
    series = pd.Series(pc.cast(arr, pa.string()).to_pandas(), dtype=object)
    stripped = series.str.strip()
    text = stripped.mask(stripped.isin(["", "-"]))
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].head(3))
        warnings.append(
            f"{int(bad.sum())} value(s) in '{column}' ({role}) are not numbers (e.g. {examples}); counted as missing"
        )
    out: np.ndarray = num.to_numpy(dtype="float64")
    return out
