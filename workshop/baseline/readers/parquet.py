"""Parquet files from a data lake: only the needed columns are read, after the metadata is checked.

Parquet is columnar, so the reader asks for the mapped columns alone (a nested
``user.name`` needs its top-level ``user``) and never holds the rest of the file.
A few megabytes of Parquet can declare hundreds of millions of dictionary-encoded
rows, so the rows, columns and uncompressed sizes in the file's metadata are
checked against the limits before any data is read.
Rows have no lines; errors name the row instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from workshop.baseline.limits import SampleLimits, count_text
from workshop.baseline.readers.base import Head, ReadRequest, ReadTable, TabularReader, flatten
from workshop.core.errors import LoadError, Location

if TYPE_CHECKING:
    import pandas as pd

if TYPE_CHECKING:
    import pyarrow.parquet as pq

PARQUET_MAGIC = b"PAR1"


class ParquetReader(TabularReader):
    """Apache Parquet, recognised by its magic bytes."""

    name = "parquet"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return head[:4] == PARQUET_MAGIC

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        return Head(_parquet_head(path, rows, limits))

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        return ReadTable(_read_parquet(path, list(request.columns), request.limits))

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        for table, done in parquet_batches(path, list(request.columns), request.limits):
            yield ReadTable(table), done


def _open(path: Path) -> pq.ParquetFile:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None


def check_metadata(
    path: Path, pf: pq.ParquetFile, limits: SampleLimits, columns: Sequence[str] | None = None
) -> None:
    """Refuse a file whose metadata declares more rows, columns or uncompressed bytes
    (of ``columns`` in all row groups, else of the first row group) than the limits
    allow; nothing but the footer is read."""
    meta = pf.metadata
    loc = Location(str(path))
    if meta.num_rows > limits.max_rows:
        raise LoadError(
            f"the Parquet file declares {count_text(meta.num_rows)} rows, over the limit of "
            f"{count_text(limits.max_rows)} rows; take a smaller sample (a few weeks is enough)",
            loc,
        )
    if meta.num_columns > limits.max_columns:
        raise LoadError(
            f"the Parquet file has {count_text(meta.num_columns)} columns, over the limit of "
            f"{count_text(limits.max_columns)} columns",
            loc,
        )
    # The full read decodes the columns read in every row group; the head decodes
    # (at most) the first row group, all columns.
    if columns is None:
        size = meta.row_group(0).total_byte_size if meta.num_row_groups else 0
    else:
        wanted = set(columns)
        size = sum(
            group.column(j).total_uncompressed_size
            for group in (meta.row_group(i) for i in range(meta.num_row_groups))
            for j in range(group.num_columns)
            if group.column(j).path_in_schema.split(".")[0] in wanted
        )
    if size > limits.max_data_bytes:
        raise LoadError(
            f"the Parquet file declares {count_text(size)} bytes of uncompressed data, over the limit of "
            f"{count_text(limits.max_data_bytes)} bytes",
            loc,
        )


def _parquet_head(path: Path, rows: int, limits: SampleLimits) -> pd.DataFrame:

    pf = _open(path)
    check_metadata(path, pf, limits)
    try:
        batch = next(pf.iter_batches(batch_size=rows), None)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    if batch is None or batch.num_rows == 0:
        raise LoadError("Parquet file has no rows", Location(str(path)))
    frame: pd.DataFrame = flatten(pa.Table.from_batches([batch])).to_pandas()
    return frame


def _read_parquet(path: Path, columns: list[str], limits: SampleLimits) -> pa.Table:
    import pyarrow.parquet as pq

    pf = _open(path)
    try:
        names = pf.schema_arrow.names
        # Only the columns needed (a nested "user.name" needs its top-level "user").
        top = [c for c in dict.fromkeys(c if c in names else c.split(".")[0] for c in columns) if c in names]
        check_metadata(path, pf, limits, top)
        table = pq.read_table(path, columns=top)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    return flatten(table).select(columns)


def parquet_batches(path: Path, columns: list[str], limits: SampleLimits) -> Iterator[tuple[pa.Table, int]]:
    """The needed columns a batch at a time (for the streaming engine), with the share read as bytes."""
    pf = _open(path)
    total = path.stat().st_size
    try:
        names = pf.schema_arrow.names
        top = [c for c in dict.fromkeys(c if c in names else c.split(".")[0] for c in columns) if c in names]
        check_metadata(path, pf, limits, top)
        groups = max(pf.metadata.num_row_groups, 1)
        for i in range(pf.metadata.num_row_groups):
            for batch in pf.iter_batches(batch_size=1 << 17, row_groups=[i], columns=top):
                yield flatten(pa.Table.from_batches([batch])).select(columns), total * i // groups
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
