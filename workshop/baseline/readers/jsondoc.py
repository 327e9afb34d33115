"""Single JSON documents: CloudTrail's ``{"Records": [...]}``, pretty-printed objects and arrays.

AWS CloudTrail delivers files holding one object whose ``Records`` list holds the
events; exports from APIs and consoles are one pretty-printed array, or several
pretty-printed objects one after the other. None of them is JSON lines, so they
used to be refused as "invalid JSON". The document is parsed whole (it cannot be
split at line ends), its events found (the ``Records`` list, the one list of
objects, the array, or each object), and nested fields become dotted columns as
for JSON lines. Line numbers are not known for such events: errors name the event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from workshop.baseline.limits import SampleLimits, count_text
from workshop.baseline.readers.base import Head, ReadRequest, ReadTable, TabularReader, with_columns
from workshop.baseline.readers.jsonl import records_table
from workshop.core import jsonsource
from workshop.core.errors import LoadError, Location

#: Largest document parsed whole (larger ones should be JSON lines, which stream).
MAX_DOCUMENT_BYTES = 1024**3


class JsonDocumentReader(TabularReader):
    """One JSON document (or several one after another) holding the events."""

    name = "json"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        if not lines:
            return False
        first = lines[0].strip()
        if first.startswith("["):
            return True
        # An object spread over lines (pretty-printed) does not close on its first line; a JSON
        # lines file does (a broken or deep line stays JSON lines, whose errors name the line).
        # CloudTrail's one-line {"Records": [...]} file is one document too.
        return first.startswith("{") and (
            not first.endswith("}") or first.startswith(('{"Records"', '{ "Records"'))
        )

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        events = document_events(path, limits)
        return Head(records_table(events[:rows]).to_pandas())

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        table = records_table(document_events(path, request.limits))
        return ReadTable(with_columns(table, request.columns), line_offset=None)

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        yield self.read(path, head, request, warnings), path.stat().st_size


def document_events(path: Path, limits: SampleLimits) -> list[dict[str, Any]]:
    """The events of a JSON document: its ``Records``, its one list of objects, its items, or itself."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise LoadError(
            f"a single JSON document of {count_text(size)} bytes is too large to read whole; "
            "write one JSON object per line (JSON lines), which is read in pieces",
            Location(str(path)),
        )
    text = path.read_bytes().decode("utf-8", errors="strict") if size else ""
    docs: list[Any] = []
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        try:
            doc, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise LoadError(f"not valid JSON: {exc.msg}", Location(str(path), exc.lineno)) from None
        # The nesting limit, as for JSON lines (a deep document is refused, not crashed on).
        jsonsource.loads(
            text[pos:end], str(path), line=text.count("\n", 0, pos) + 1, max_depth=limits.max_json_depth
        )
        docs.append(doc)
        pos = end
    events: list[dict[str, Any]] = []
    for doc in docs:
        events += _events_of(doc)
    if not events:
        raise LoadError("the JSON document holds no events (objects)", Location(str(path)))
    bad = next((i for i, e in enumerate(events) if not isinstance(e, dict)), None)
    if bad is not None:
        raise LoadError(f"event {bad + 1} of the JSON document is not an object", Location(str(path)))
    return events


def _events_of(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if isinstance(doc.get("Records"), list):
            return list(doc["Records"])
        lists = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1 and len(doc) <= 3:
            return list(lists[0])
        return [doc]
    return [doc]
