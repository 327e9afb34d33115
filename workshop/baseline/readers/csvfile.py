"""CSV (and TSV) exports: delimiter sniffing, a typed head, and the multi-threaded read.

Spreadsheet and database exports are the commonest sample, and the one whose
problems are easiest to report badly: rows with the wrong number of fields,
quoted line breaks, time stamps the parser could have typed itself. The reader
keeps pyarrow's parallel parser on the fast path and scans the file in Python only
on the error path, to name the lines at fault.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from workshop.baseline.files import HEAD_BYTES, check_columns, find_invalid_utf8, head_text, header_columns
from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import HeadColumn
from workshop.baseline.readers.base import (
    MAX_EXAMPLES,
    BadRows,
    Head,
    ReadRequest,
    ReadTable,
    TabularReader,
)
from workshop.baseline.timestamps import TS_NS, TS_NS_UTC
from workshop.core.errors import LoadError, Location

_DICT = pa.dictionary(pa.int32(), pa.string())


class CsvReader(TabularReader):
    """Delimited text with a header line; the format every file falls back to."""

    name = "csv"
    header_line: int | None = 1

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return True  # the fallback: anything text that no other reader claims

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        text = head_text(head)
        # Count the columns before the sniffer or a reader touches the file: they take
        # minutes and gigabytes over a header of 100,000 columns.
        check_columns(path, header_columns(text.split("\n", 1)[0].rstrip("\r")), limits)
        delimiter = _sniff_delimiter(text, path.suffix.lower())
        return Head(_csv_head(path, text, delimiter, rows), delimiter)

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        assert head.delimiter is not None
        time_col = request.time_column
        time_type = _reader_time_type(head.column(time_col)) if request.typed_time else None
        table, skipped = _read_csv(
            path,
            list(request.columns),
            set(request.label_columns) - {time_col},
            {time_col},
            head.delimiter,
            request.on_bad_rows,
            warnings,
            time_type,
        )
        return ReadTable(table, skipped, line_offset=2)

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        """Blocks of rows as pyarrow's streaming reader gives them (for the streaming engine)."""
        import pyarrow.csv as pcsv

        assert head.delimiter is not None
        on_invalid = _InvalidRows()

        columns = list(request.columns)
        fh = path.open("rb")
        try:
            stream = pcsv.open_csv(
                fh,
                read_options=pcsv.ReadOptions(block_size=4 << 20),
                parse_options=pcsv.ParseOptions(
                    delimiter=head.delimiter,
                    invalid_row_handler=on_invalid,
                    newlines_in_values=_has_multiline_values(path, head.delimiter),
                ),
                convert_options=pcsv.ConvertOptions(
                    include_columns=columns, column_types=dict.fromkeys(columns, pa.string()),
                    strings_can_be_null=True,
                ),
            )  # fmt: skip
            rows = 0
            for batch in stream:
                yield ReadTable(pa.Table.from_batches([batch]), 0, line_offset=2 + rows), fh.tell()
                rows += batch.num_rows
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "utf8" in str(exc).lower():
                raise find_invalid_utf8(path) from None
            raise LoadError(f"cannot read as CSV: {exc}", Location(str(path))) from None
        finally:
            fh.close()
        if on_invalid.report(path, request.on_bad_rows, warnings):
            empty = pa.table({c: pa.array([], pa.string()) for c in columns})
            yield ReadTable(empty, on_invalid.count), path.stat().st_size


class _InvalidRows:
    """Rows with the wrong number of fields: pyarrow's handler (skip them), counted with examples."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []

    def __call__(self, row: Any) -> str:
        self.count += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(row.text)
        return "skip"

    def report(self, path: Path, on_bad_rows: BadRows, warnings: list[str]) -> int:
        """Raise naming their lines, or warn; the number of rows left out."""
        if not self.count:
            return 0
        lines = _locate_lines(path, self.examples)
        where = ", ".join(
            f"line {n}" if n else repr(t[:60]) for n, t in zip(lines, self.examples, strict=True)
        )
        message = f"{self.count} row(s) do not have the header's number of columns, e.g. {where}"
        if on_bad_rows == "error":
            raise LoadError(message, Location(str(path), next((n for n in lines if n), None)))
        warnings.append(message + "; skipped")
        return self.count


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


def _csv_head(path: Path, text: str, delimiter: str, rows: int) -> pa.Table:
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

    on_invalid = _InvalidRows()

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
            raise find_invalid_utf8(path) from None
        if time_type is not None and "conversion error to timestamp" in str(exc):
            # A value the head did not show: read the times as text and report them.
            return _read_csv(path, columns, label_columns, time_columns, delimiter, on_bad_rows, warnings)
        raise LoadError(f"cannot read as CSV: {exc}", Location(str(path))) from None
    except pa.ArrowKeyError as exc:
        raise LoadError(f"cannot read as CSV: {exc}", Location(str(path), 1)) from None
    on_invalid.report(path, on_bad_rows, warnings)
    return table, on_invalid.count


_ISO_DATE_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"


def _reader_time_type(values: HeadColumn) -> pa.DataType | None:
    """The type the CSV reader can parse a time column as, judged from the head:
    ISO 8601 all with offsets (zoned) or all without (naive); else None (text)."""
    if values.kind == "datetime":
        return TS_NS_UTC if values.zoned else TS_NS
    text = [str(v) for v in values.values if v is not None]
    if not text or values.kind != "text":
        return None
    zoned = re.compile(_ISO_DATE_TIME + r"(?:Z|[+-]\d{2}:?\d{2})")
    if all(zoned.fullmatch(t) for t in text):
        return TS_NS_UTC
    naive = re.compile(_ISO_DATE_TIME)
    if all(naive.fullmatch(t) for t in text):
        return TS_NS
    return None


def _has_multiline_values(path: Path, delimiter: str) -> bool:
    """Whether the first rows hold a quoted value with a line break in it."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    text = head_text(head)
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
    wanted: dict[str, int | None] = dict.fromkeys(texts)
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
