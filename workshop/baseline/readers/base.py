"""What every reader of a log format provides, so that the loader needs no per-format branch.

The loader (``workshop.baseline.loading``) checks the file, asks
``workshop.baseline.detect`` which format it is, and then talks to that format's
reader only through this interface: a head of the first rows for proposals and
previews, the mapping proposal that suits the format, and the needed columns as an
Arrow table. A new format (issue 17: syslog, W3C, Zeek, key=value, CloudTrail,
a user-given regular expression) is one more module implementing :class:`Reader`
and one line in the registry (``workshop.baseline.readers``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pyarrow as pa

from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import HeadColumn, MappingProposal, head_column, head_columns, propose_mapping

if TYPE_CHECKING:
    import pandas as pd

#: What to do with rows that cannot be read: refuse the file, or leave them out with a warning.
BadRows = Literal["error", "skip"]
#: How many bad rows an error message quotes.
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Head:
    """The first rows of a file, and how they were read (the CSV delimiter).

    ``data`` is an Arrow table (CSV) or a frame (formats parsed with pandas): the
    profile's command proposes a mapping from a CSV head without importing pandas;
    ``frame`` converts for the previews that want one.
    """

    data: pa.Table | pd.DataFrame
    delimiter: str | None = None

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in head_columns(self.data)]

    def column(self, name: Any) -> HeadColumn:
        return head_column(self.data, name)

    @cached_property
    def frame(self) -> pd.DataFrame:
        if isinstance(self.data, pa.Table):
            frame: pd.DataFrame = self.data.to_pandas()
            return frame
        return self.data


@dataclass(frozen=True)
class ReadRequest:
    """The columns the loader needs, and how to read them.

    ``label_columns`` are read as dictionary-encoded labels where the reader can;
    ``typed_time`` lets a reader type the time column itself (only when no explicit
    layout was given); ``year`` completes dates written without one (syslog). ``limits`` bound what the reader may take on (checked before
    the full read where the format allows).
    """

    columns: Sequence[str]
    label_columns: frozenset[str]
    time_column: str
    typed_time: bool
    on_bad_rows: BadRows
    limits: SampleLimits
    year: int | None = None


@dataclass
class ReadTable:
    """The needed columns, with where each row came from, for errors that name a line.

    ``line_numbers`` gives every row's 1-based line where rows are picked out of lines
    (access logs skip lines that do not match); otherwise row ``i`` is on line
    ``i + line_offset``, or the line is unknown (``line_offset`` None: Parquet, or
    JSON lines with blank lines).
    """

    table: pa.Table
    skipped: int = 0
    line_numbers: np.ndarray | None = None
    line_offset: int | None = None

    def where(self, index: int) -> tuple[str, int | None]:
        """``row N (line M)`` (or what is known of it) for the row at 0-based ``index``, and the line."""
        if self.line_numbers is not None:
            line = int(self.line_numbers[index])
            return f"line {line}", line
        if self.line_offset is None:
            return f"row {index + 1}", None
        return f"row {index + 1} (line {index + self.line_offset})", index + self.line_offset


class Reader(Protocol):
    """One log format. ``header_line`` is the line naming the columns (CSV: 1), if any."""

    name: str
    header_line: int | None

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        """Whether the first bytes and non-blank lines look like this format."""
        ...

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        """The first ``rows`` rows, read from the already checked first bytes where possible;
        a file beyond ``limits`` (columns, Parquet rows) is refused here, before any full read."""
        ...

    def proposal(self, head: Any) -> MappingProposal:
        """Which column plays which role, proposed from the head's data (a frame, or an Arrow table for CSV)."""
        ...

    def time_format(self, column: str) -> str | None:
        """The layout of ``column``'s time stamps when the format fixes it."""
        ...

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        """The requested columns of the whole file; problems go to ``warnings`` or raise."""
        ...


class TabularReader:
    """Defaults for formats whose columns are named in the file (CSV, JSON, Parquet)."""

    name = ""
    header_line: int | None = None

    def proposal(self, head: pa.Table | pd.DataFrame) -> MappingProposal:
        return propose_mapping(head)

    def time_format(self, column: str) -> str | None:
        return None


def with_columns(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """``columns`` of ``table``; a key first met after the head (absent here) is all missing."""
    for c in columns:
        if c not in table.column_names:
            table = table.append_column(c, pa.nulls(table.num_rows, pa.string()))
    return table.select(list(columns))


def flatten(table: pa.Table) -> pa.Table:
    """Nested objects to dotted column names (``user.name``), as ECS writes them."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


#: Bytes of a file parsed at a time by the readers that stream (the engine's chunks).
CHUNK_BYTES = 16 * 1024 * 1024


def line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[bytes, int, int]]:
    """The file in pieces that end at a line end: (bytes, number of their first line, bytes read so far).

    Streaming readers parse one piece at a time, so memory follows the piece, not the file,
    and still know the line of every row.
    """
    line = 1
    carry = b""
    done = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(chunk_bytes)
            if not block:
                if carry:
                    yield carry, line, done
                return
            done += len(block)
            data = carry + block
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            piece, carry = data[: cut + 1], data[cut + 1 :]
            yield piece, line, done - len(carry)
            line += piece.count(b"\n")
