"""JSON lines from log shippers: one object per line, nested objects as dotted columns.

Log shippers and SIEM exports write one JSON object per line, often nested the way
the Elastic Common Schema nests fields (``user.name``). The fast path is pyarrow's
block reader; a file it cannot read (mixed types in one field, a broken line) is
read line by line so that the broken line can be named.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from workshop.baseline.files import check_columns, find_invalid_utf8, head_text
from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import MappingProposal, propose_mapping
from workshop.baseline.readers.base import (
    Head,
    ReadRequest,
    ReadTable,
    TabularReader,
    flatten,
    line_chunks,
    with_columns,
)
from workshop.core import jsonsource
from workshop.core.errors import LoadError, Location

if TYPE_CHECKING:
    import pandas as pd


class JsonLinesReader(TabularReader):
    """One JSON object per line."""

    name = "jsonl"

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        from workshop.baseline.readers.zeek import zeek_defaults

        return zeek_defaults(head, propose_mapping(head))  # Zeek's JSON logs are JSON lines

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return bool(lines) and lines[0].lstrip().startswith("{")

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        frame = _jsonl_head(path, head_text(head), rows, limits.max_json_depth)
        check_columns(path, frame.shape[1], limits, None)
        return Head(frame)

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        # Arrow's JSON reader crashes the process on deep nesting: every line is measured first.
        limits = request.limits
        jsonsource.check_lines(path, limits.max_json_depth, limits.max_line_bytes)
        # Blank lines are skipped, so a row's line is not known without a scan.
        table = _read_jsonl(path, list(request.columns), limits)
        return ReadTable(table)

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        """Pieces of whole lines, each read by Arrow's JSON reader (for the streaming engine)."""
        import io

        import pyarrow.json as pj

        limits = request.limits
        jsonsource.check_lines(path, limits.max_json_depth, limits.max_line_bytes)
        columns = list(request.columns)
        for data, first_line, done in line_chunks(path):
            try:
                table = flatten(
                    pj.read_json(io.BytesIO(data), read_options=pj.ReadOptions(block_size=16 << 20))
                )
            except pa.ArrowInvalid as exc:
                if "UTF8" in str(exc) or "utf-8" in str(exc).lower():
                    raise find_invalid_utf8(path) from None
                table = _jsonl_rows(
                    io.StringIO(data.decode("utf-8")), path, limits.max_json_depth, first_line
                )
            check_columns(path, table.num_columns, limits, None)
            yield ReadTable(with_columns(table, columns)), done


def _json_objects(lines: Any, path: Path, max_depth: int, first_line: int) -> Iterator[dict[str, Any]]:
    """The JSON object of each non-blank line; a line that is not one is named."""
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            obj = jsonsource.loads(line, str(path), line=number, max_depth=max_depth)
        except json.JSONDecodeError as exc:
            raise LoadError(f"not valid JSON: {exc.msg}", Location(str(path), number)) from None
        if not isinstance(obj, dict):
            raise LoadError("each line must be a JSON object", Location(str(path), number))
        yield obj


def _jsonl_head(path: Path, text: str, rows: int, max_depth: int) -> pd.DataFrame:
    import pandas as pd

    records: list[dict[str, Any]] = []
    for obj in _json_objects(text.splitlines(), path, max_depth, 1):
        records.append(obj)
        if len(records) >= rows:
            break
    if not records:
        raise LoadError("file is empty (no JSON objects)", Location(str(path)))
    return pd.json_normalize(records, sep=".")


def _read_jsonl(path: Path, columns: list[str], limits: SampleLimits) -> pa.Table:
    import pyarrow.json as pj

    try:
        # Large blocks: a JSON line must fit in one block.
        table = flatten(pj.read_json(path, read_options=pj.ReadOptions(block_size=16 << 20)))
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf-8" in str(exc).lower():
            raise find_invalid_utf8(path) from None
        # Locate the bad line, or read mixed-type fields line by line.
        table = _read_jsonl_slow(path, limits.max_json_depth)
    # Keys first met after the head widen the table; still refused, if only after the read.
    check_columns(path, table.num_columns, limits, None)
    return with_columns(table, columns)


def _read_jsonl_slow(path: Path, max_depth: int) -> pa.Table:
    with path.open("r", encoding="utf-8", errors="strict") as fh:
        return _jsonl_rows(fh, path, max_depth, 1)


def _jsonl_rows(fh: Any, path: Path, max_depth: int, first_line: int) -> pa.Table:
    """Lines one by one, to name a broken one and to read fields of mixed types as text."""
    try:
        records = list(_json_objects(fh, path, max_depth, first_line))
    except UnicodeDecodeError:
        raise find_invalid_utf8(path) from None
    return records_table(records)


def records_table(records: list[dict[str, Any]]) -> pa.Table:
    """Objects to a table: nested fields as dotted columns, fields of mixed types as text."""
    import pandas as pd

    frame = pd.json_normalize(records, sep=".")
    # Mixed types (a number here, a string there) become strings.
    for c in frame.columns:
        kinds = {type(v) for v in frame[c].dropna().head(10000)}
        if len(kinds) > 1 or kinds & {dict, list}:
            frame[c] = frame[c].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return pa.Table.from_pandas(frame, preserve_index=False)
