"""Reading log samples: format detection, readers, time stamps and clear errors.

Detection engineers receive samples in whatever shape the application team can
produce: a CSV export, JSON lines from a log shipper, a Parquet file from a data
lake, or a web server's access log. This module turns any of them into one
:class:`LoadedSample`: a data frame with one column per *role* (``timestamp`` in
UTC, ``user``, ``action``...) and nothing else, so that raw fields the baseline
does not need are never held in memory or stored.

Everything that can be wrong with a file a person hands us (empty, binary, not
UTF-8, no time column, dates that do not parse, a mapped column that is not
there, too large) raises a :class:`~workshop.core.errors.LoadError` naming the file and,
where there is one, the line. Readers use pyarrow (multi-threaded C++ parsing) and
vectorised compute functions; no Python loop runs over rows except on the
error path, to find the line to report.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workshop.baseline.mapping import (
    LABEL_ROLES,
    NUMERIC_ROLES,
    ROLES,
    MappingProposal,
    merge_mapping,
    propose_mapping,
)
from workshop.core.errors import InputError, LoadError, Location

#: Formats a sample can be read from. ``combined`` and ``common`` are the web
#: server access-log formats (Apache/NGINX ``combined`` adds referer and agent).
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet", "combined", "common")
ACCESS_LOG_FORMATS: tuple[str, ...] = ("combined", "common")
#: Files above this size are refused: a baseline needs weeks of events, not
#: everything, and reading more would exhaust a laptop's memory.
DEFAULT_SIZE_LIMIT = 500 * 1024 * 1024
HEAD_BYTES = 1024 * 1024
HEAD_ROWS = 1000
MAX_EXAMPLES = 5

BadRows = Literal["error", "skip"]

_DICT = pa.dictionary(pa.int32(), pa.string())
_TS_NS_UTC = pa.timestamp("ns", tz="UTC")
_TS_NS = pa.timestamp("ns")

# Access logs: host ident authuser [time] "request" status size ["referer" "agent"]
_COMMON_RE = (
    r"^(?P<client>\S+) (?P<ident>\S+) (?P<authuser>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}|-) (?P<size>\d+|-)'
)
# The agent's closing quote is optional: real logs hold lines cut short.
_COMBINED_RE = _COMMON_RE + r' "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"?'
ACCESS_LOG_PATTERNS: dict[str, str] = {
    "common": _COMMON_RE + r"\s*$",
    "combined": _COMBINED_RE + r".*$",
}
_REQUEST_RE = r"^(?P<method>[A-Za-z]+) (?P<path>\S+)(?: (?P<protocol>\S+))?$"
ACCESS_LOG_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"
#: Columns an access log yields, in order (``action`` and ``status_class`` are derived).
ACCESS_LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "common": (
        "client",
        "ident",
        "authuser",
        "time",
        "request",
        "method",
        "path",
        "action",
        "status",
        "status_class",
        "size",
    ),
}
ACCESS_LOG_COLUMNS["combined"] = (*ACCESS_LOG_COLUMNS["common"], "referer", "agent")

# Formats tried, in order, when time stamps are neither ISO 8601 nor typed.
# Day-first comes before month-first: both parse "04/03/2024", and the loader
# warns when the sample cannot tell them apart.
TIMESTAMP_FORMATS: tuple[str, ...] = (
    ACCESS_LOG_TIME_FORMAT,
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
    "%Y%m%dT%H%M%S",
    "%Y%m%d%H%M%S",
)
_OFFSET_RE = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


# --------------------------------------------------------------------------- results


@dataclass
class LoadedSample:
    """A log sample reduced to its mapped roles.

    ``df`` has one column per mapped role: ``timestamp`` as ``datetime64[ns, UTC]``,
    label roles as ``category``, ``records``/``bytes`` as ``float64``. Nothing else
    from the file is kept.
    """

    df: pd.DataFrame
    mapping: dict[str, str]
    format: str
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    rows_read: int = 0
    rows_skipped: int = 0
    columns: list[str] = field(default_factory=list)
    default_tz: str = "UTC"

    @property
    def roles(self) -> list[str]:
        return [r for r in ROLES if r in self.df.columns]

    def summary(self) -> dict[str, Any]:
        """What was read, for logs and the UI (no rows)."""
        return {
            "source": self.source,
            "format": self.format,
            "mapping": dict(self.mapping),
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "events": len(self.df),
            "default_tz": self.default_tz,
            "warnings": list(self.warnings),
        }


@dataclass
class SampleInspection:
    """What a file looks like before it is loaded: format, columns, proposal.

    ``examples`` holds up to three values per column from the first rows so a
    person can check the proposed mapping; they are shown, never stored.
    """

    format: str
    columns: list[str]
    proposal: MappingProposal
    examples: dict[str, list[str]] = field(default_factory=dict)
    delimiter: str | None = None
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "columns": list(self.columns),
            "proposal": self.proposal.to_dict(),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "delimiter": self.delimiter,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleInspection:
        return cls(
            format=data["format"],
            columns=list(data.get("columns", [])),
            proposal=MappingProposal.from_dict(data.get("proposal", {})),
            examples={k: list(v) for k, v in data.get("examples", {}).items()},
            delimiter=data.get("delimiter"),
            size=int(data.get("size", 0)),
        )


# --------------------------------------------------------------------------- checks


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA zone; raise :class:`InputError` otherwise."""
    if not name:
        raise InputError("a time zone is needed (e.g. UTC, Europe/London)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone '{name}' (use an IANA name such as Europe/London)") from exc
    return name


def _size_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def check_file(path: str | os.PathLike[str], size_limit: int | None = DEFAULT_SIZE_LIMIT) -> bytes:
    """Refuse files that cannot be a usable sample; return the first bytes.

    Checks, in order: exists, size limit, empty, compressed, UTF-16, binary, UTF-8.
    Parquet files pass (they are binary by design).
    """
    p = Path(path)
    loc = Location(str(p))
    if not p.exists():
        raise LoadError("file not found", loc)
    if p.is_dir():
        raise LoadError("is a folder, not a file", loc)
    size = p.stat().st_size
    if size_limit is not None and size > size_limit:
        raise LoadError(
            f"file is {_size_text(size)}, over the size limit of {_size_text(size_limit)}; "
            "take a smaller sample (a few weeks is enough) or raise the limit (--size-limit MB)",
            loc,
        )
    if size == 0:
        raise LoadError("file is empty", loc)
    try:
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", loc) from exc
    if head[:4] == b"PAR1":
        return head
    if head[:2] == b"\x1f\x8b":
        raise LoadError("file is gzip-compressed; decompress it first (gunzip)", loc)
    if head[:4] == b"PK\x03\x04":
        raise LoadError("file is a ZIP archive; extract the log file first", loc)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(head):
        raise LoadError(
            "file is UTF-16 text; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 in.csv > out.csv)", loc
        )
    if b"\x00" in head or _control_share(head) > 0.01:
        nul = head.find(b"\x00")
        line = head[:nul].count(b"\n") + 1 if nul >= 0 else None
        raise LoadError(
            "binary file: not CSV, JSON lines, Parquet or a web server access log", Location(str(p), line)
        )
    text = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        truncated = len(head) == HEAD_BYTES and exc.start >= len(text) - 3
        if not truncated:
            raise _encoding_error(p, text, exc.start) from None
    if not head.strip():
        raise LoadError("file is empty (only blank lines)", loc)
    return head


def _looks_utf16(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    return max(even, odd) > 0.4 * half


def _control_share(head: bytes) -> float:
    sample = head[:65536]
    if not sample:
        return 0.0
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32), 127))
    return controls / len(sample)


def _encoding_error(path: Path, data: bytes, pos: int, line_offset: int = 0) -> LoadError:
    line = line_offset + data[:pos].count(b"\n") + 1
    byte = data[pos]
    guess = "Latin-1 or Windows-1252" if byte >= 0x80 else "another encoding"
    return LoadError(
        f"not UTF-8 text: byte 0x{byte:02X} cannot be read (the file looks like {guess}); "
        "save it as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv",
        Location(str(path), line),
    )


def _find_invalid_utf8(path: Path) -> LoadError:
    """Locate the first byte that is not UTF-8 (only called once a reader failed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _encoding_error(path, chunk, max(exc.start, 0), lines)
            lines += chunk.count(b"\n")
    return LoadError("not UTF-8 text; save the file as UTF-8", Location(str(path)))


# --------------------------------------------------------------------------- detection


def detect_format(path: str | os.PathLike[str], head: bytes | None = None) -> str:
    """Name the format of ``path`` from its content (the extension is only a hint)."""
    p = Path(path)
    if head is None:
        head = check_file(p, None)
    if head[:4] == b"PAR1":
        return "parquet"
    text = _head_text(head)
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    if not lines:
        raise LoadError("file is empty (only blank lines)", Location(str(p)))
    first = lines[0].lstrip()
    if first.startswith("{"):
        return "jsonl"
    if first.startswith("["):
        raise LoadError(
            "file is one JSON array; write one JSON object per line (JSON lines) instead",
            Location(str(p), 1),
        )
    for fmt in ("combined", "common"):
        regex = re.compile(ACCESS_LOG_PATTERNS[fmt])
        matched = sum(1 for ln in lines if regex.match(ln))
        if matched >= max(1, int(0.8 * len(lines))):
            return fmt
    return "csv"


def _head_text(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    text = head.decode("utf-8", errors="ignore")
    if len(head) >= HEAD_BYTES and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop the partial last line
    return text


def _sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


# --------------------------------------------------------------------------- heads


def read_head(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    size_limit: int | None = DEFAULT_SIZE_LIMIT,
    rows: int = HEAD_ROWS,
) -> tuple[str, pd.DataFrame, str | None]:
    """The first ``rows`` rows of a sample, for proposals and previews.

    Returns (format, frame, CSV delimiter or None).
    """
    p = Path(path)
    head = check_file(p, size_limit)
    if fmt == "auto":
        fmt = detect_format(p, head)
    elif fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'; formats are: auto, {', '.join(FORMATS)}")
    if fmt == "parquet":
        return fmt, _parquet_head(p, rows), None
    if head[:4] == b"PAR1":
        raise LoadError(f"this is a Parquet file, not {fmt}", Location(str(p)))
    text = _head_text(head)
    if fmt == "jsonl":
        return fmt, _jsonl_head(p, text, rows), None
    if fmt in ACCESS_LOG_FORMATS:
        lines = text.splitlines()[: rows * 2]
        table, _ = parse_access_lines(pa.array(lines, pa.string()), fmt)
        frame = table.to_pandas()
        if frame["time"].isna().all():
            raise LoadError(f"no line matches the {fmt} access-log format", Location(str(p), 1))
        return fmt, frame.dropna(subset=["time"]).head(rows).reset_index(drop=True), None
    delimiter = _sniff_delimiter(text, p.suffix.lower())
    frame = _csv_head(p, text, delimiter, rows)
    return fmt, frame, delimiter


def _parquet_head(path: Path, rows: int) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        batch = next(pf.iter_batches(batch_size=rows), None)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    if batch is None or batch.num_rows == 0:
        raise LoadError("Parquet file has no rows", Location(str(path)))
    table = _flatten(pa.Table.from_batches([batch]))
    return table.to_pandas()


def _jsonl_head(path: Path, text: str, rows: int) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoadError(f"not valid JSON: {exc.msg}", Location(str(path), number)) from None
        if not isinstance(obj, dict):
            raise LoadError("each line must be a JSON object", Location(str(path), number))
        records.append(obj)
        if len(records) >= rows:
            break
    if not records:
        raise LoadError("file is empty (no JSON objects)", Location(str(path)))
    return pd.json_normalize(records, sep=".")


def _csv_head(path: Path, text: str, delimiter: str, rows: int) -> pd.DataFrame:
    import pyarrow.csv as pcsv

    lines = text.splitlines(keepends=True)
    data = "".join(lines[: rows + 1]).encode("utf-8")
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda _row: "skip"),
            convert_options=pcsv.ConvertOptions(strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise LoadError(f"cannot read as CSV: {exc}", Location(str(path), 1)) from None
    names = table.column_names
    if len(names) < 2:
        raise LoadError(
            f"only one column ('{names[0] if names else ''}') found: not a CSV file with a header line, "
            "or an unusual delimiter",
            Location(str(path), 1),
        )
    if table.num_rows == 0:
        raise LoadError("no data rows after the header line", Location(str(path), 2))
    return table.to_pandas()


def inspect_sample(
    path: str | os.PathLike[str], fmt: str = "auto", size_limit: int | None = DEFAULT_SIZE_LIMIT
) -> SampleInspection:
    """Detect the format, list the columns and propose a mapping, without loading."""
    p = Path(path)
    fmt, head, delimiter = read_head(p, fmt, size_limit)
    proposal = access_log_proposal(head) if fmt in ACCESS_LOG_FORMATS else propose_mapping(head)
    examples = {str(c): [str(v) for v in head[c].dropna().astype(str).head(3).tolist()] for c in head.columns}
    return SampleInspection(
        format=fmt,
        columns=[str(c) for c in head.columns],
        proposal=proposal,
        examples=examples,
        delimiter=delimiter,
        size=p.stat().st_size,
    )


def access_log_proposal(head: pd.DataFrame) -> MappingProposal:
    """The fixed mapping of an access log: the client address is the source.

    ``user`` is only proposed when some lines carry an authenticated user (the
    third field is not ``-``), so that the entity falls back to the client IP.
    """
    mapping = {
        "timestamp": "time",
        "action": "action",
        "outcome": "status",
        "source_ip": "client",
        "bytes": "size",
    }
    reasons = {
        "timestamp": "access-log time field",
        "action": "HTTP method and normalised path (map action=method for methods only)",
        "outcome": "HTTP status code (map outcome=status_class for 2xx/4xx/5xx)",
        "source_ip": "client address (first field)",
        "bytes": "response size",
    }
    if "authuser" in head.columns and head["authuser"].notna().any():
        mapping["user"] = "authuser"
        reasons["user"] = "authenticated user (third field) where not '-'"
    candidates = {
        "action": ["action", "method", "path"],
        "outcome": ["status", "status_class"],
        "user": ["authuser", "ident"],
    }
    return MappingProposal(mapping=mapping, reasons=reasons, candidates=candidates)


# --------------------------------------------------------------------------- access logs


def parse_access_lines(lines: pa.Array | pa.ChunkedArray, fmt: str) -> tuple[pa.Table, pa.Array]:
    """Split access-log lines into columns; return (table, matched mask).

    Lines that do not match have nulls in every column. ``action`` is the method
    and the path with query strings and identifier-like segments removed, so that
    ``GET /orders/123?x=1`` and ``GET /orders/456`` count as one action.
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    parts = pc.extract_regex(lines, ACCESS_LOG_PATTERNS[fmt])
    matched = pc.is_valid(parts)
    cols: dict[str, pa.Array] = {}

    def field_(name: str) -> pa.Array:
        return pc.if_else(matched, pc.struct_field(parts, name), pa.scalar(None, pa.string()))

    def dash_null(arr: pa.Array) -> pa.Array:
        return pc.if_else(pc.equal(arr, "-"), pa.scalar(None, pa.string()), arr)

    cols["client"] = field_("client")
    cols["ident"] = dash_null(field_("ident"))
    cols["authuser"] = dash_null(field_("authuser"))
    cols["time"] = field_("time")
    request = field_("request")
    cols["request"] = request
    req = pc.extract_regex(pc.fill_null(request, ""), _REQUEST_RE)
    req_ok = pc.and_(matched, pc.is_valid(req))
    method = pc.if_else(req_ok, pc.utf8_upper(pc.struct_field(req, "method")), pa.scalar(None, pa.string()))
    path = pc.if_else(req_ok, pc.struct_field(req, "path"), pa.scalar(None, pa.string()))
    cols["method"] = method
    cols["path"] = path
    normal = normalise_paths(path)
    action = pc.binary_join_element_wise(method, normal, " ")
    cols["action"] = pc.if_else(
        req_ok, action, pc.if_else(matched, pa.scalar("(invalid request)"), pa.scalar(None, pa.string()))
    )
    status = dash_null(field_("status"))
    cols["status"] = status
    cols["status_class"] = pc.binary_join_element_wise(pc.utf8_slice_codeunits(status, 0, 1), "xx", "")
    size = dash_null(field_("size"))
    cols["size"] = pc.cast(size, pa.int64())
    if fmt == "combined":
        cols["referer"] = dash_null(field_("referer"))
        cols["agent"] = dash_null(field_("agent"))
    return pa.table(cols), matched


def normalise_paths(paths: pa.Array) -> pa.Array:
    """Drop query strings and replace identifier-like path segments with ``:id``."""
    out = pc.replace_substring_regex(paths, r"[?#].*$", "")
    ident = r"(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]{10,}|[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\d[0-9a-fA-F]{10,})"
    # Twice: a match consumes the following slash, so "/1/2" needs a second pass.
    for _ in range(2):
        out = pc.replace_substring_regex(out, rf"/{ident}(/|$)", r"/:id\1")
    return out


# --------------------------------------------------------------------------- time stamps


def parse_timestamp_strings_quick(values: Sequence[str]) -> float:
    """Share of ``values`` that parse as time stamps (for mapping proposals)."""
    if not values:
        return 0.0
    arr = pc.utf8_trim_whitespace(pa.array(list(values), pa.string()))
    # Every supported layout has digits separated like a date or a time.
    datelike = pc.match_substring_regex(arr, r"\d{1,4}[-/.: ]\d{1,2}|\d{8}T?\d{6}")
    if (pc.mean(pc.cast(datelike, pa.int8())).as_py() or 0.0) < 0.5:
        return 0.0
    ok = np.zeros(len(values), dtype=bool)
    iso = pd.to_datetime(
        pd.Series(arr.to_pandas(), dtype=object), format="ISO8601", errors="coerce", utc=True
    )
    ok |= iso.notna().to_numpy()
    # Bare numbers are not dates here (a "count" column would otherwise qualify);
    # ISO 8601 needs a dash or a T between date parts.
    ok &= np.array([("-" in v or "T" in v) for v in values])
    if ok.mean() >= 0.8:
        return float(ok.mean())
    for fmt in TIMESTAMP_FORMATS:
        parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        share = pc.mean(pc.cast(pc.is_valid(parsed), pa.int8())).as_py() or 0.0
        if share > ok.mean():
            return float(share)
    return float(ok.mean())


def _assume_zone(naive: pa.Array | pa.ChunkedArray, zone: str) -> pa.Array | pa.ChunkedArray:
    """Naive local times in ``zone`` to UTC. Ambiguous times (the repeated hour
    when clocks go back) take the first occurrence; times skipped when clocks go
    forward move to the first valid instant."""
    if zone == "UTC":
        return pc.cast(naive, _TS_NS).cast(_TS_NS_UTC)
    return pc.assume_timezone(
        pc.cast(naive, _TS_NS), timezone=zone, ambiguous="earliest", nonexistent="latest"
    ).cast(_TS_NS_UTC)


def _epoch_to_utc(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    num = pd.Series(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False))
    magnitude = num.abs().median()
    if pd.isna(magnitude) or magnitude < 1e11:
        factor = 1e9
    elif magnitude < 1e14:
        factor = 1e6
    elif magnitude < 1e17:
        factor = 1e3
    else:
        factor = 1.0
    ns = (num * factor).round()
    out = pd.to_datetime(ns, unit="ns", utc=True, errors="coerce")
    return out.astype("datetime64[ns, UTC]")


def _to_series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    s = arr.to_pandas() if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr]).to_pandas()
    return pd.Series(s).astype("datetime64[ns, UTC]").reset_index(drop=True)


def parse_timestamps(
    values: pa.Array | pa.ChunkedArray,
    default_tz: str = "UTC",
    fmt: str | None = None,
) -> tuple[pd.Series, list[str]]:
    """Time stamps of any supported kind to ``datetime64[ns, UTC]``; unparseable -> NaT.

    Supported: typed timestamps (zoned or naive), dates, epoch numbers (seconds,
    milliseconds, microseconds or nanoseconds, told apart by magnitude), ISO 8601
    strings with or without offsets (mixed is fine), and the common layouts in
    :data:`TIMESTAMP_FORMATS`. Naive values are local times in ``default_tz``.
    Returns the series and warnings about assumptions made.
    """
    warnings: list[str] = []
    t = values.type
    if pa.types.is_dictionary(t):
        values = pc.cast(values, t.value_type)
        t = values.type
    if pa.types.is_timestamp(t):
        if t.tz:
            return _to_series(pc.cast(values, _TS_NS_UTC)), warnings
        return _to_series(_assume_zone(values, default_tz)), warnings
    if pa.types.is_date(t):
        warnings.append("time stamps are dates without a time: hours of day are not meaningful")
        return _to_series(
            _assume_zone(pc.cast(pc.cast(values, pa.timestamp("s")), _TS_NS), default_tz)
        ), warnings
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _epoch_to_utc(values), warnings
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        values = pc.cast(values, pa.string())
    if fmt:
        parsed = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
        if parsed.type.tz:
            return _to_series(pc.cast(parsed, _TS_NS_UTC)), warnings
        return _to_series(_assume_zone(parsed, default_tz)), warnings
    # Fast paths: every value ISO 8601 with an offset, or every value without one.
    try:
        return _to_series(pc.cast(values, _TS_NS_UTC)), warnings
    except pa.ArrowInvalid:
        pass
    try:
        return _to_series(_assume_zone(pc.cast(values, _TS_NS), default_tz)), warnings
    except pa.ArrowInvalid:
        pass
    return _parse_slow(values, default_tz, warnings)


def _parse_slow(
    values: pa.Array | pa.ChunkedArray, default_tz: str, warnings: list[str]
) -> tuple[pd.Series, list[str]]:
    """Mixed or non-ISO time stamps: ISO with and without offsets, then known layouts."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_trim_whitespace(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    s = pd.Series(text.to_pandas(), dtype=object)
    result = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    present = s.notna()
    has_offset = present & s.str.contains(_OFFSET_RE, regex=True, na=False)
    if has_offset.any():
        aware = pd.to_datetime(s[has_offset], format="ISO8601", utc=True, errors="coerce")
        result[has_offset] = aware.astype("datetime64[ns, UTC]")
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive = pd.to_datetime(s[naive_mask], format="ISO8601", errors="coerce")
        ok = naive.notna()
        if ok.any():
            arr = pa.array(naive[ok].astype("datetime64[ns]"))
            result[ok[ok].index] = _to_series(_assume_zone(arr, default_tz)).to_numpy()
    remaining = present & result.isna()
    if remaining.any():
        rest = pa.array(s[remaining], pa.string())
        sample = rest.slice(0, 500)
        best, best_share, tied = None, 0.0, []
        for fmt in TIMESTAMP_FORMATS:
            share = (
                pc.mean(
                    pc.cast(
                        pc.is_valid(pc.strptime(sample, format=fmt, unit="ns", error_is_null=True)), pa.int8()
                    )
                ).as_py()
                or 0.0
            )
            if share > best_share:
                best, best_share, tied = fmt, share, []
            elif share == best_share and share > 0:
                tied.append(fmt)
        if best is not None:
            parsed = pc.strptime(rest, format=best, unit="ns", error_is_null=True)
            if parsed.type.tz:
                conv = _to_series(pc.cast(parsed, _TS_NS_UTC))
            else:
                conv = _to_series(_assume_zone(parsed, default_tz))
            result[remaining[remaining].index] = conv.to_numpy()
            warnings.append(f"time stamps read with the layout {best}")
            if any(_day_month_swap(best, f) for f in tied):
                warnings.append(
                    "day and month cannot be told apart in these dates; read as day first "
                    "(give the layout with --timestamp-format if that is wrong)"
                )
    return result, warnings


def _day_month_swap(a: str, b: str) -> bool:
    return a.replace("%d", "@").replace("%m", "%d").replace("@", "%m") == b


# --------------------------------------------------------------------------- readers


def _flatten(table: pa.Table) -> pa.Table:
    """Nested objects to dotted column names (``user.name``), as ECS writes them."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def _read_csv(
    path: Path,
    columns: list[str],
    label_columns: set[str],
    time_columns: set[str],
    delimiter: str,
    on_bad_rows: BadRows,
    warnings: list[str],
    time_type: pa.DataType | None = None,
) -> tuple[pa.Table, int]:
    """Read the needed columns; labels dictionary-encoded, time stamps typed when
    the head shows they all parse (in parallel, in the reader), else as text."""
    import pyarrow.csv as pcsv

    invalid: list[str] = []
    invalid_count = 0

    def on_invalid(row: Any) -> str:
        nonlocal invalid_count
        invalid_count += 1
        if len(invalid) < MAX_EXAMPLES:
            invalid.append(row.text)
        return "skip"

    types: dict[str, pa.DataType] = {c: _DICT for c in label_columns}
    types.update({c: time_type or pa.string() for c in time_columns})
    try:
        table = pcsv.read_csv(
            path,
            # 1 MB blocks (Arrow's default) keep both cores busy; 16 MB blocks
            # measured twice as slow on a 64 MB file.
            read_options=pcsv.ReadOptions(block_size=1 << 20),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                invalid_row_handler=on_invalid,
                # Quoted line breaks make parsing slower, so only when the head has some.
                newlines_in_values=_has_multiline_values(path, delimiter),
            ),
            convert_options=pcsv.ConvertOptions(
                include_columns=columns, column_types=types, strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise _find_invalid_utf8(path) from None
        if time_type is not None and "conversion error to timestamp" in str(exc):
            # A value the head did not show: read the times as text and report them.
            return _read_csv(path, columns, label_columns, time_columns, delimiter, on_bad_rows, warnings)
        raise LoadError(f"cannot read as CSV: {exc}", Location(str(path))) from None
    except pa.ArrowKeyError as exc:
        raise LoadError(f"cannot read as CSV: {exc}", Location(str(path), 1)) from None
    if invalid_count:
        lines = _locate_lines(path, invalid)
        where = ", ".join(f"line {n}" if n else repr(t[:60]) for n, t in zip(lines, invalid, strict=True))
        message = f"{invalid_count} row(s) do not have the header's number of columns, e.g. {where}"
        if on_bad_rows == "error":
            first = next((n for n in lines if n), None)
            raise LoadError(message, Location(str(path), first))
        warnings.append(message + "; skipped")
    return table, invalid_count


_ISO_DATE_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"


def _reader_time_type(values: pd.Series) -> pa.DataType | None:
    """The type the CSV reader can parse a time column as, judged from the head:
    ISO 8601 all with offsets (zoned) or all without (naive); else None (text)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _TS_NS_UTC
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _TS_NS
    text = values.dropna().astype(str)
    if text.empty or not (
        pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
    ):
        return None
    if text.str.fullmatch(_ISO_DATE_TIME + r"(?:Z|[+-]\d{2}:?\d{2})").all():
        return _TS_NS_UTC
    if text.str.fullmatch(_ISO_DATE_TIME).all():
        return _TS_NS
    return None


def _has_multiline_values(path: Path, delimiter: str) -> bool:
    """Whether the first rows hold a quoted value with a line break in it."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    text = _head_text(head)
    # Cheap test first: a quoted line break leaves an odd number of quotes on its line.
    if '"' not in text or not any(line.count('"') % 2 for line in text.splitlines()):
        return False
    with contextlib.suppress(csv.Error):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            if any("\n" in value or "\r" in value for value in row):
                return True
    return False


def _locate_lines(path: Path, texts: list[str]) -> list[int | None]:
    """Line numbers of the given raw rows (error path only: a linear scan)."""
    wanted = {t: None for t in texts}
    remaining = len(wanted)
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            key = line.rstrip("\r\n")
            if key in wanted and wanted[key] is None:
                wanted[key] = number
                remaining -= 1
                if not remaining:
                    break
    return [wanted[t] for t in texts]


def _read_jsonl(path: Path, columns: list[str]) -> pa.Table:
    import pyarrow.json as pj

    try:
        # Large blocks: a JSON line must fit in one block.
        table = _flatten(pj.read_json(path, read_options=pj.ReadOptions(block_size=16 << 20)))
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf-8" in str(exc).lower():
            raise _find_invalid_utf8(path) from None
        # Locate the bad line, or read mixed-type fields line by line.
        table = _read_jsonl_slow(path)
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        # A key that appears only in later lines than the head: treat as all-missing.
        for c in missing:
            table = table.append_column(c, pa.nulls(table.num_rows, pa.string()))
    return table.select(columns)


def _read_jsonl_slow(path: Path) -> pa.Table:
    records: list[dict[str, Any]] = []
    with path.open("r", encoding="utf-8", errors="strict") as fh:
        try:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise LoadError(f"not valid JSON: {exc.msg}", Location(str(path), number)) from None
                if not isinstance(obj, dict):
                    raise LoadError("each line must be a JSON object", Location(str(path), number))
                records.append(obj)
        except UnicodeDecodeError:
            raise _find_invalid_utf8(path) from None
    frame = pd.json_normalize(records, sep=".")
    # Mixed types (a number here, a string there) become strings.
    for c in frame.columns:
        kinds = {type(v) for v in frame[c].dropna().head(10000)}
        if len(kinds) > 1 or kinds & {dict, list}:
            frame[c] = frame[c].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return pa.Table.from_pandas(frame, preserve_index=False)


def _read_parquet(path: Path, columns: list[str]) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        # Only the columns needed (a nested "user.name" needs its top-level "user").
        top = list(dict.fromkeys(c if c in names else c.split(".")[0] for c in columns))
        table = pq.read_table(path, columns=[c for c in top if c in names])
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    return _flatten(table).select(columns)


def _read_access_log(
    path: Path, fmt: str, on_bad_rows: BadRows, warnings: list[str]
) -> tuple[pa.Table, np.ndarray, int]:
    """Returns (table of matched lines, their 1-based line numbers, lines skipped)."""
    import pyarrow.csv as pcsv

    try:
        raw = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=["line"], block_size=1 << 20),
            parse_options=pcsv.ParseOptions(
                delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={"line": pa.string()}, strings_can_be_null=False
            ),
        )
        lines = raw.column("line")
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise _find_invalid_utf8(path) from None
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = pa.chunked_array([pa.array(text.splitlines(), pa.string())])
    table, matched = parse_access_lines(lines, fmt)
    matched_np = matched.to_numpy(zero_copy_only=False)
    blank = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(lines.combine_chunks(), "")), "").to_numpy(
        zero_copy_only=False
    )
    bad = ~matched_np & ~blank
    if bad.all() or not matched_np.any():
        raise LoadError(f"no line matches the {fmt} access-log format", Location(str(path), 1))
    numbers = np.flatnonzero(matched_np) + 1
    n_bad = int(bad.sum())
    if n_bad:
        where = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:MAX_EXAMPLES])
        message = f"{n_bad} line(s) do not match the {fmt} access-log format, e.g. line(s) {where}"
        if on_bad_rows == "error":
            raise LoadError(message, Location(str(path), int(np.flatnonzero(bad)[0]) + 1))
        warnings.append(message + "; skipped")
    return table.filter(matched), numbers, n_bad


# --------------------------------------------------------------------------- loading


def load_sample(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    mapping: Mapping[str, str | None] | None = None,
    default_tz: str = "UTC",
    size_limit: int | None = DEFAULT_SIZE_LIMIT,
    *,
    exact_mapping: bool = False,
    on_bad_rows: BadRows = "error",
    timestamp_format: str | None = None,
) -> LoadedSample:
    """Read a sample file into its mapped roles.

    ``mapping`` overrides the proposal role by role (a ``None`` column drops the
    role); with ``exact_mapping`` only ``mapping`` is used, as for a mapping saved
    with an application. Naive time stamps are local times in ``default_tz``.
    ``on_bad_rows="skip"`` drops rows with a missing or unparseable time stamp
    (and malformed lines) with a warning instead of refusing the file.
    """
    p = Path(path)
    check_timezone(default_tz)
    if on_bad_rows not in ("error", "skip"):
        raise InputError("on_bad_rows must be 'error' or 'skip'")
    fmt, head, delimiter = read_head(p, fmt, size_limit)
    columns = [str(c) for c in head.columns]
    if mapping is not None and exact_mapping:
        chosen = merge_mapping({}, mapping, exact=True)
    else:
        proposal = access_log_proposal(head) if fmt in ACCESS_LOG_FORMATS else propose_mapping(head)
        chosen = merge_mapping(proposal.mapping, mapping)
    missing = {role: col for role, col in chosen.items() if col not in columns}
    if missing:
        detail = ", ".join(f"'{col}' (mapped to {role})" for role, col in missing.items())
        raise LoadError(
            f"column(s) not in the file: {detail}; the columns are: {', '.join(columns)}",
            Location(str(p), 1 if fmt == "csv" else None),
        )
    if "timestamp" not in chosen:
        raise LoadError(
            "no usable timestamp: no column holds dates; name one with --map timestamp=COLUMN "
            f"(columns: {', '.join(columns)})",
            Location(str(p), 1 if fmt == "csv" else None),
        )
    warnings: list[str] = []
    needed = list(dict.fromkeys(chosen.values()))
    label_cols = {col for role, col in chosen.items() if role in LABEL_ROLES}
    time_col = chosen["timestamp"]
    skipped = 0
    line_numbers: np.ndarray | None = None
    if fmt == "csv":
        assert delimiter is not None
        time_type = _reader_time_type(head[time_col]) if timestamp_format is None else None
        table, skipped = _read_csv(
            p, needed, label_cols - {time_col}, {time_col}, delimiter, on_bad_rows, warnings, time_type
        )
        first_line = 2
    elif fmt == "jsonl":
        table = _read_jsonl(p, needed)
        first_line = 1
    elif fmt == "parquet":
        table = _read_parquet(p, needed)
        first_line = 0
    else:
        table, line_numbers, skipped = _read_access_log(p, fmt, on_bad_rows, warnings)
        table = table.select(needed)
        first_line = 1
    if table.num_rows == 0:
        raise LoadError("no data rows" + (" after the header line" if fmt == "csv" else ""), Location(str(p)))
    rows_read = table.num_rows + skipped

    def where(index: int) -> tuple[str, int | None]:
        """'row N (line M)' for the data row at 0-based ``index``."""
        if line_numbers is not None:
            line = int(line_numbers[index])
            return f"line {line}", line
        if fmt == "parquet":
            return f"row {index + 1}", None
        if fmt == "jsonl":
            return f"row {index + 1}", None
        return f"row {index + 1} (line {index + first_line})", index + first_line

    # Time stamps.
    raw_time = table.column(time_col)
    if timestamp_format is None and fmt in ACCESS_LOG_FORMATS and time_col == "time":
        timestamp_format = ACCESS_LOG_TIME_FORMAT
    ts, ts_warnings = parse_timestamps(raw_time, default_tz, timestamp_format)
    warnings.extend(ts_warnings)
    bad = ts.isna().to_numpy()
    if bad.any():
        raw_null = pc.is_null(raw_time).to_numpy(zero_copy_only=False)
        if pa.types.is_string(raw_time.type) or pa.types.is_large_string(raw_time.type):
            raw_null = raw_null | pc.equal(pc.utf8_trim_whitespace(pc.fill_null(raw_time, "")), "").to_numpy(
                zero_copy_only=False
            )
        unparseable = bad & ~raw_null
        empty = bad & raw_null
        n_total = len(ts)
        if unparseable.all() or (bad.all()):
            idx = np.flatnonzero(unparseable)[:MAX_EXAMPLES]
            examples = ", ".join(repr(str(raw_time[int(i)].as_py())) for i in idx)
            raise LoadError(
                f"no usable timestamp: column '{time_col}' holds no dates I can read"
                + (f" (e.g. {examples})" if examples else " (it is empty)")
                + "; map another column with --map timestamp=COLUMN or give --timestamp-format",
                Location(str(p)),
            )
        problems: list[str] = []
        first_line_no: int | None = None
        if unparseable.any():
            idx = np.flatnonzero(unparseable)[:MAX_EXAMPLES]
            parts = []
            for i in idx:
                text, line = where(int(i))
                first_line_no = first_line_no or line
                parts.append(f"{text}: {str(raw_time[int(i)].as_py())!r}")
            problems.append(
                f"{int(unparseable.sum())} of {n_total} value(s) in '{time_col}' are not dates I can read, "
                f"e.g. {'; '.join(parts)}"
            )
        if empty.any():
            idx = np.flatnonzero(empty)[:MAX_EXAMPLES]
            parts = []
            for i in idx:
                text, line = where(int(i))
                first_line_no = first_line_no or line
                parts.append(text)
            problems.append(f"{int(empty.sum())} row(s) have no time stamp, e.g. {', '.join(parts)}")
        message = "; ".join(problems)
        if on_bad_rows == "error":
            raise LoadError(
                message + " (give --timestamp-format, or --skip-bad-rows to leave them out)",
                Location(str(p), first_line_no),
            )
        warnings.append(message + "; skipped")
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


def _labels(arr: pa.ChunkedArray) -> pd.Categorical:
    """Any column to a categorical of strings (null stays missing)."""
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
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = pc.cast(arr, t.value_type)
        t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    series = pd.Series(pc.cast(arr, pa.string()).to_pandas(), dtype=object)
    text = series.str.strip().replace({"": None, "-": None})
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna()
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].head(3))
        warnings.append(
            f"{int(bad.sum())} value(s) in '{column}' ({role}) are not numbers (e.g. {examples}); counted as missing"
        )
    return num.to_numpy(dtype="float64")
