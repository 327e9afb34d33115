"""How large a log sample may be, checked before it is read in full.

A few kilobytes can stand for gigabytes once read: a 3 MB Parquet file can declare
300 million dictionary-encoded rows, a 1 MB CSV can have 100,000 columns, a gzip
or ZIP file can inflate a thousandfold, a JSON line can nest 200,000 deep. Each
such file is refused from what can be learnt cheaply (Parquet metadata, the header
line, the bytes inflated so far, one pass over the lines) with a
:class:`~workshop.core.errors.LoadError` naming the file and the limit, before any
reader holds it.

The limits are generous enough for a real 2 GB log and follow the machine: rows
from its memory, so a larger machine takes larger samples (issue 17 asks for files
up to what the machine can hold). The operator can set each one with an environment
variable (SECURITY.md lists them) rather than in the app, so that nobody using the
page can raise them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from workshop.core.errors import InputError

#: What one row of a sample costs at the peak of loading (Arrow columns, the
#: categorical codes, the time stamps), with a margin; measured near 100 bytes.
BYTES_PER_ROW = 200
#: The row limit never goes below this, even on a small machine (a 2 GB access log has 8.5 million lines).
MIN_ROWS = 10_000_000
#: Environment variables that override the limits (whole numbers).
ENV = {
    "max_rows": "WORKSHOP_SAMPLE_MAX_ROWS",
    "max_columns": "WORKSHOP_SAMPLE_MAX_COLUMNS",
    "max_line_bytes": "WORKSHOP_SAMPLE_MAX_LINE_BYTES",
    "max_json_depth": "WORKSHOP_SAMPLE_MAX_JSON_DEPTH",
    "max_ratio": "WORKSHOP_SAMPLE_MAX_RATIO",
    "max_data_bytes": "WORKSHOP_SAMPLE_MAX_DATA_BYTES",
}


@dataclass(frozen=True)
class SampleLimits:
    """The bounds a sample file must keep.

    ``max_rows``: rows (Parquet: from its metadata; text: estimated from the head
    before reading, counted after). ``max_columns``: columns in the header line,
    the Parquet schema or the first JSON objects. ``max_line_bytes``: one line of a
    text format. ``max_json_depth``: nesting of one JSON line. ``max_ratio``: how
    many times a gzip or ZIP file may inflate (the inflated bytes also count against
    the size limit). ``max_data_bytes``: the uncompressed data a Parquet file
    declares for the columns read.
    """

    max_rows: int
    max_columns: int = 1000
    max_line_bytes: int = 1024 * 1024
    max_json_depth: int = 64
    max_ratio: int = 250
    max_data_bytes: int = 8 * 1024**3

    def __post_init__(self) -> None:
        for name in ENV:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InputError(f"sample limit {name} must be a positive whole number, not {value!r}")


def machine_memory() -> int:
    """The machine's physical memory in bytes (8 GB where it cannot be told)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8 * 1024**3


def default_limits() -> SampleLimits:
    """The limits for this machine, with the operator's overrides from the environment."""
    memory = machine_memory()
    values: dict[str, int] = {
        "max_rows": max(MIN_ROWS, memory // BYTES_PER_ROW),
        "max_data_bytes": max(2 * 1024**3, memory // 2),
    }
    for name, env in ENV.items():
        raw = os.environ.get(env, "").strip().replace("_", "")
        if not raw:
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            raise InputError(f"{env} must be a whole number, not {raw!r}") from None
    return SampleLimits(**values)


def count_text(n: int) -> str:
    """1234567 -> '1,234,567' (for messages)."""
    return f"{n:,}"
