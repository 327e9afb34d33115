"""What the line formats parsed in Python share: pieces of the file, rows with their lines, bad lines named.

W3C extended, Zeek TSV, key=value and a user-given regular expression all read a
file line by line into fields. This base reads the file in pieces (memory follows
the piece), keeps the line of every row, and names the first line that does not
fit; each format only says how one piece of lines becomes rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from workshop.baseline.files import find_invalid_utf8, head_text
from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import MappingProposal, propose_mapping
from workshop.baseline.readers.base import MAX_EXAMPLES, Head, ReadRequest, ReadTable, line_chunks
from workshop.core.errors import LoadError, Location

if TYPE_CHECKING:
    import pandas as pd


class Rows:
    """Rows parsed from a piece of lines: their fields, their lines, and the lines that did not fit."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.bad: list[tuple[int, str]] = []

    def add(self, record: dict[str, Any], line: int) -> None:
        self.records.append(record)
        self.lines.append(line)

    def table(self, columns: Sequence[str] | None = None) -> pa.Table:
        names = (
            list(columns) if columns is not None else list(dict.fromkeys(k for r in self.records for k in r))
        )
        data = {c: pa.array([_text(r.get(c)) for r in self.records], pa.string()) for c in names}
        return pa.table(data) if data else pa.table({"_": pa.array([None] * len(self.records), pa.string())})


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return None if text in ("", "-") else text


class LineRecordsReader:
    """Base of the line formats parsed in Python; subclasses implement :meth:`parse`."""

    name = ""
    header_line: int | None = None
    #: What a line of this format is called in messages.
    what = "line"

    def parse(self, lines: Sequence[str], first_line: int, state: dict[str, Any]) -> Rows:
        """Rows from consecutive lines (the first is line ``first_line``); ``state`` carries
        what earlier pieces set (a W3C or Zeek header)."""
        raise NotImplementedError

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        return propose_mapping(head)

    def time_format(self, column: str) -> str | None:
        return None

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:

        lines = head_text(head).splitlines()[: rows * 2]
        parsed = self.parse(lines, 1, {})
        if not parsed.records:
            line, why = parsed.bad[0] if parsed.bad else (1, "no rows")
            raise LoadError(f"not a {self.what}: {why}", Location(str(path), line))
        frame: pd.DataFrame = parsed.table().slice(0, rows).to_pandas()
        return Head(frame)

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        parts = list(self.batches(path, head, request, warnings))
        numbers = [p.line_numbers for p, _ in parts if p.line_numbers is not None]
        return ReadTable(
            pa.concat_tables([p.table for p, _ in parts]),
            sum(p.skipped for p, _ in parts),
            line_numbers=np.concatenate(numbers) if numbers else np.array([], dtype=np.int64),
        )

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        state: dict[str, Any] = {}
        bad = 0
        examples: list[int] = []
        found = 0
        for data, first_line, done in line_chunks(path):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise find_invalid_utf8(path) from None
            rows = self.parse(text.splitlines(), first_line, state)
            if rows.bad:
                if request.on_bad_rows == "error":
                    line, why = rows.bad[0]
                    raise LoadError(f"not a {self.what}: {why}", Location(str(path), line))
                bad += len(rows.bad)
                examples += [ln for ln, _ in rows.bad[: MAX_EXAMPLES - len(examples)]]
            found += len(rows.records)
            table = rows.table(request.columns)
            yield ReadTable(table, len(rows.bad), line_numbers=np.array(rows.lines, dtype=np.int64)), done
        if not found:
            raise LoadError(f"no {self.what} in the file", Location(str(path), 1))
        if bad:
            where = ", ".join(str(n) for n in examples)
            warnings.append(f"{bad} line(s) are not a {self.what}, e.g. line(s) {where}; skipped")


def parse_headed(
    lines: Sequence[str], first_line: int, state: dict[str, Any], header: str, separator: str, rows: Rows
) -> Iterator[tuple[dict[str, str | None], int]]:
    """Lines whose fields a comment header names (W3C ``#Fields:``, Zeek ``#fields``): each data
    line as a record with its line; a header met again (a restart) names the lines after it."""
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith(header):
                state["fields"] = (
                    line[len(header) :]
                    .strip(separator if separator != " " else None)
                    .split(None if separator == " " else separator)
                )
            continue
        fields = state.get("fields")
        values = line.split(separator)
        if not fields:
            rows.bad.append((number, f"data before any {header} header"))
        elif len(values) != len(fields):
            rows.bad.append((number, f"{len(values)} values for the {len(fields)} {header.rstrip(':')}"))
        else:
            yield dict(zip(fields, values, strict=True)), number
