"""Which format a file is, from its content: the extension is only a hint.

Samples arrive renamed (``export.txt``, ``audit.log``), so the format is read off
the first lines. Detection asks each reader in a fixed order, most specific
first, and falls back to CSV; a JSON array (not JSON lines) is refused here with
advice. Issue 17's formats join :data:`DETECTION_ORDER` as their readers appear.
"""

from __future__ import annotations

import os
from pathlib import Path

from workshop.baseline.files import check_file, head_text
from workshop.baseline.readers import READERS
from workshop.core.errors import LoadError, Location

#: Formats tried in turn; the first whose reader recognises the head wins (CSV takes the rest).
DETECTION_ORDER: tuple[str, ...] = (
    "parquet", "json", "jsonl", "zeek", "w3c", "combined", "common", "syslog", "keyvalue", "csv",
)  # fmt: skip
#: How many non-blank lines the detection looks at.
DETECTION_LINES = 50


def detect_format(path: str | os.PathLike[str], head: bytes | None = None) -> str:
    """Name the format of ``path`` from its content (the extension is only a hint)."""
    p = Path(path)
    if head is None:
        head = check_file(p, None)
    if READERS["parquet"].detect(head, []):
        return "parquet"
    lines = [ln for ln in head_text(head).splitlines() if ln.strip()][:DETECTION_LINES]
    if not lines:
        raise LoadError("file is empty (only blank lines)", Location(str(p)))
    return next(fmt for fmt in DETECTION_ORDER if READERS[fmt].detect(head, lines))
