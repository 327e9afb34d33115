"""The log formats a sample can be read from, one reader module per format.

The registry is the one place that lists them: the loader, the format detection
and the command line's ``--format`` choices all read it, so a new format is a new
module here and one entry in :data:`READERS`.
"""

from __future__ import annotations

from workshop.baseline.readers.access_log import ACCESS_LOG_FORMATS, AccessLogReader
from workshop.baseline.readers.base import BadRows, Head, Reader, ReadRequest, ReadTable
from workshop.baseline.readers.csvfile import CsvReader
from workshop.baseline.readers.jsondoc import JsonDocumentReader
from workshop.baseline.readers.jsonl import JsonLinesReader
from workshop.baseline.readers.keyvalue import KeyValueReader
from workshop.baseline.readers.parquet import ParquetReader
from workshop.baseline.readers.regex import RegexReader
from workshop.baseline.readers.syslog import SyslogReader
from workshop.baseline.readers.w3c import W3cReader
from workshop.baseline.readers.zeek import ZeekReader
from workshop.core.errors import InputError

#: Readers by format name, in the order shown to people.
READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        CsvReader(),
        JsonLinesReader(),
        ParquetReader(),
        AccessLogReader("combined"),
        AccessLogReader("common"),
        SyslogReader(),
        W3cReader(),
        ZeekReader(),
        KeyValueReader(),
        JsonDocumentReader(),
    )
}
#: Formats a sample can be read from. ``combined`` and ``common`` are the web
#: server access-log formats (Apache/NGINX ``combined`` adds referer and agent);
#: ``regex`` reads lines with a person's regular expression (``--regex``).
FORMATS: tuple[str, ...] = (*READERS, "regex")


def reader(fmt: str, regex: str | None = None) -> Reader:
    """The reader of a format named by a person (``--format``); ``regex`` makes one for ``--regex``."""
    if regex is not None or fmt == "regex":
        if not regex:
            raise InputError("the regex format needs --regex PATTERN (with named groups)")
        return RegexReader(regex)
    try:
        return READERS[fmt]
    except KeyError:
        raise InputError(f"unknown format '{fmt}'; formats are: auto, {', '.join(FORMATS)}") from None


__all__ = [
    "ACCESS_LOG_FORMATS",
    "FORMATS",
    "READERS",
    "BadRows",
    "Head",
    "ReadRequest",
    "ReadTable",
    "Reader",
    "reader",
]
