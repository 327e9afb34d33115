"""Web server access logs (Apache and NGINX ``common`` and ``combined``).

An access log has no header: its columns are fixed by the format, the request
line holds the method and the path, and paths carry identifiers
(``/orders/123``) that would make every request a different action. This module
splits the lines with one vectorised regular expression, normalises the paths,
and proposes the mapping a web log always has (the client address as the source).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workshop.baseline.files import find_invalid_utf8, head_text
from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import MappingProposal
from workshop.baseline.readers.base import MAX_EXAMPLES, BadRows, Head, ReadRequest, ReadTable, line_chunks
from workshop.baseline.timestamps import ACCESS_LOG_TIME_FORMAT
from workshop.core.errors import LoadError, Location

if TYPE_CHECKING:
    import pandas as pd

#: The access-log formats: ``combined`` adds the referer and the user agent to ``common``.
ACCESS_LOG_FORMATS: tuple[str, ...] = ("combined", "common")
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


class AccessLogReader:
    """One of the access-log formats (``common`` or ``combined``)."""

    header_line: int | None = None

    def __init__(self, name: str) -> None:
        if name not in ACCESS_LOG_PATTERNS:
            raise ValueError(f"no access-log format '{name}'")
        self.name = name
        self._regex = re.compile(ACCESS_LOG_PATTERNS[name])

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        matched = sum(1 for ln in lines if self._regex.match(ln))
        return bool(lines) and matched >= max(1, int(0.8 * len(lines)))

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        lines = head_text(head).splitlines()[: rows * 2]
        table, _ = parse_access_lines(pa.array(lines, pa.string()), self.name)
        frame = table.to_pandas()
        if frame["time"].isna().all():
            raise LoadError(f"no line matches the {self.name} access-log format", Location(str(path), 1))
        return Head(frame.dropna(subset=["time"]).head(rows).reset_index(drop=True))

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        return access_log_proposal(head)

    def time_format(self, column: str) -> str | None:
        return ACCESS_LOG_TIME_FORMAT if column == "time" else None

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        table, numbers, skipped = _read_access_log(path, self.name, request.on_bad_rows, warnings)
        return ReadTable(table.select(list(request.columns)), skipped, line_numbers=numbers)

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        """The file piece by piece (for the streaming engine): memory follows the piece."""
        bad = _BadLines(self.name)
        matched = 0
        for data, first_line, done in line_chunks(path):
            before = bad.count
            table, numbers = bad.parse(path, read_lines(path, data), first_line, request.on_bad_rows)
            matched += table.num_rows
            yield (
                ReadTable(table.select(list(request.columns)), bad.count - before, line_numbers=numbers),
                done,
            )
        bad.finish(path, matched, request.on_bad_rows, warnings)


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


def _read_access_log(
    path: Path, fmt: str, on_bad_rows: BadRows, warnings: list[str]
) -> tuple[pa.Table, np.ndarray, int]:
    """Returns (table of matched lines, their 1-based line numbers, lines skipped)."""
    bad = _BadLines(fmt)
    table, numbers = bad.parse(path, read_lines(path), 1, on_bad_rows)
    bad.finish(path, table.num_rows, on_bad_rows, warnings)
    return table, numbers, bad.count


def read_lines(path: Path, data: bytes | None = None) -> pa.ChunkedArray:
    """The lines of a file (or of ``data``, a piece of it) as one text column; blank lines kept."""
    import io

    import pyarrow.csv as pcsv

    try:
        raw = pcsv.read_csv(
            io.BytesIO(data) if data is not None else path,
            read_options=pcsv.ReadOptions(column_names=["line"], block_size=1 << 20),
            parse_options=pcsv.ParseOptions(
                delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={"line": pa.string()}, strings_can_be_null=False
            ),
        )
        return raw.column("line")
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise find_invalid_utf8(path) from None
        text = (
            data.decode("utf-8", errors="replace")
            if data is not None
            else path.read_text(encoding="utf-8", errors="replace")
        )
        return pa.chunked_array([pa.array(text.splitlines(), pa.string())])


class _BadLines:
    """Lines that do not match the format, counted over every piece of the file."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.count = 0
        self.examples: list[int] = []

    def parse(
        self, path: Path, lines: pa.ChunkedArray, first_line: int, on_bad_rows: BadRows
    ) -> tuple[pa.Table, np.ndarray]:
        table, matched = parse_access_lines(lines, self.fmt)
        matched_np = matched.to_numpy(zero_copy_only=False)
        blank = pc.equal(pc.utf8_trim_whitespace(pc.fill_null(lines.combine_chunks(), "")), "").to_numpy(
            zero_copy_only=False
        )
        bad = np.flatnonzero(~matched_np & ~blank)
        if len(bad):
            if self.count == 0 and on_bad_rows == "error" and matched_np.any():
                self.count += len(bad)
                self.examples = [int(i) + first_line for i in bad[:MAX_EXAMPLES]]
                self.finish(path, 1, on_bad_rows, [])
            self.count += len(bad)
            self.examples += [int(i) + first_line for i in bad[: MAX_EXAMPLES - len(self.examples)]]
        return table.filter(matched), np.flatnonzero(matched_np) + first_line

    def finish(self, path: Path, matched: int, on_bad_rows: BadRows, warnings: list[str]) -> None:
        if not matched:
            raise LoadError(f"no line matches the {self.fmt} access-log format", Location(str(path), 1))
        if not self.count:
            return
        where = ", ".join(str(n) for n in self.examples)
        message = f"{self.count} line(s) do not match the {self.fmt} access-log format, e.g. line(s) {where}"
        if on_bad_rows == "error":
            raise LoadError(message, Location(str(path), self.examples[0]))
        warnings.append(message + "; skipped")
