"""The log formats a sample can be read from, one reader module per format.

The registry is the one place that lists them: the loader, the format detection
and the command line's ``--format`` choices all read it, so a new format is a new
module here and one entry in :data:`READERS`.
"""

from __future__ import annotations

from workshop.baseline.readers.access_log import ACCESS_LOG_FORMATS, AccessLogReader
from workshop.baseline.readers.base import BadRows, Head, Reader, ReadRequest, ReadTable
from workshop.baseline.readers.csvfile import CsvReader
from workshop.baseline.readers.jsonl import JsonLinesReader
from workshop.baseline.readers.parquet import ParquetReader
from workshop.baseline.readers.syslog import SyslogReader
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
    )
}
#: Formats a sample can be read from. ``combined`` and ``common`` are the web
#: server access-log formats (Apache/NGINX ``combined`` adds referer and agent).
FORMATS: tuple[str, ...] = tuple(READERS)


def reader(fmt: str) -> Reader:
    """The reader of a format named by a person (``--format``)."""
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
