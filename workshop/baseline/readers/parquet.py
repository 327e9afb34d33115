"""Parquet files from a data lake: only the needed columns are read.

Parquet is columnar, so the reader asks for the mapped columns alone (a nested
``user.name`` needs its top-level ``user``) and never holds the rest of the file.
Rows have no lines; errors name the row instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from workshop.baseline.readers.base import Head, ReadRequest, ReadTable, TabularReader, flatten
from workshop.core.errors import LoadError, Location

PARQUET_MAGIC = b"PAR1"


class ParquetReader(TabularReader):
    """Apache Parquet, recognised by its magic bytes."""

    name = "parquet"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return head[:4] == PARQUET_MAGIC

    def head(self, path: Path, head: bytes, rows: int) -> Head:
        return Head(_parquet_head(path, rows))

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        return ReadTable(_read_parquet(path, list(request.columns)))


def _parquet_head(path: Path, rows: int) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        batch = next(pf.iter_batches(batch_size=rows), None)
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    if batch is None or batch.num_rows == 0:
        raise LoadError("Parquet file has no rows", Location(str(path)))
    frame: pd.DataFrame = flatten(pa.Table.from_batches([batch])).to_pandas()
    return frame


def _read_parquet(path: Path, columns: list[str]) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        # Only the columns needed (a nested "user.name" needs its top-level "user").
        top = list(dict.fromkeys(c if c in names else c.split(".")[0] for c in columns))
        table = pq.read_table(path, columns=[c for c in top if c in names])
    except (pa.ArrowException, OSError) as exc:
        raise LoadError(f"not a readable Parquet file: {exc}", Location(str(path))) from None
    return flatten(table).select(columns)
