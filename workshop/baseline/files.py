"""Is this a file we can read at all? The checks made before any format is guessed.

A person hands over whatever they have: a zip, a UTF-16 export from Excel, a
binary, an empty file, 5 GB of logs. Each of these gets its own message naming
the file (and the line of a bad byte), before any reader tries and fails with a
generic parser error. The checks look only at the first megabyte, so they are
cheap for files of any size; every format, present and to come, passes through them.

The same first megabyte bounds what a reader will take on (:mod:`workshop.baseline.limits`):
the columns of the header line, the length of lines, the rows the file's size
implies. A gzip file or a one-file ZIP archive is read through its content,
inflated by :func:`inflated` with every byte counted against the size limit and
the inflation ratio, so that a bomb stops at the first megabytes.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workshop.baseline.limits import SampleLimits, count_text
from workshop.core.errors import LoadError, Location
from workshop.core.fileio import UPLOAD_PREFIX

#: Files above this size are refused: a baseline needs weeks of events, not
#: everything, and reading more would exhaust a laptop's memory.
DEFAULT_SIZE_LIMIT = 500 * 1024 * 1024
#: How much of a file the checks, the format detection and the previews look at.
HEAD_BYTES = 1024 * 1024


def _size_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def check_file(path: str | os.PathLike[str], size_limit: int | None = DEFAULT_SIZE_LIMIT) -> bytes:
    """Refuse files that cannot be a usable sample; return the first bytes.

    Checks, in order: exists, size limit, empty, compressed, UTF-16, binary, UTF-8.
    Parquet files pass (they are binary by design).
    """
    p = Path(path)
    loc = Location(str(p))
    if not p.exists():
        raise LoadError("file not found", loc)
    if p.is_dir():
        raise LoadError("is a folder, not a file", loc)
    size = p.stat().st_size
    if size_limit is not None and size > size_limit:
        raise LoadError(
            f"file is {_size_text(size)}, over the size limit of {_size_text(size_limit)}; "
            "take a smaller sample (a few weeks is enough) or raise the limit (--size-limit MB)",
            loc,
        )
    if size == 0:
        raise LoadError("file is empty", loc)
    try:
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", loc) from exc
    if head[:4] == b"PAR1":
        return head
    if head[:2] == b"\x1f\x8b":
        raise LoadError("file is gzip-compressed; decompress it first (gunzip)", loc)
    if head[:4] == b"PK\x03\x04":
        raise LoadError("file is a ZIP archive; extract the log file first", loc)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(head):
        raise LoadError(
            "file is UTF-16 text; save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8 in.csv > out.csv)", loc
        )
    if b"\x00" in head or _control_share(head) > 0.01:
        nul = head.find(b"\x00")
        line = head[:nul].count(b"\n") + 1 if nul >= 0 else None
        raise LoadError(
            "binary file: not CSV, JSON lines, Parquet or a web server access log", Location(str(p), line)
        )
    text = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        truncated = len(head) == HEAD_BYTES and exc.start >= len(text) - 3
        if not truncated:
            raise _encoding_error(p, text, exc.start) from None
    if not head.strip():
        raise LoadError("file is empty (only blank lines)", loc)
    return head


def _looks_utf16(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    return max(even, odd) > 0.4 * half


def _control_share(head: bytes) -> float:
    sample = head[:65536]
    if not sample:
        return 0.0
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32), 127))
    return controls / len(sample)


def _encoding_error(path: Path, data: bytes, pos: int, line_offset: int = 0) -> LoadError:
    line = line_offset + data[:pos].count(b"\n") + 1
    byte = data[pos]
    guess = "Latin-1 or Windows-1252" if byte >= 0x80 else "another encoding"
    return LoadError(
        f"not UTF-8 text: byte 0x{byte:02X} cannot be read (the file looks like {guess}); "
        "save it as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv",
        Location(str(path), line),
    )


def find_invalid_utf8(path: Path) -> LoadError:
    """Locate the first byte that is not UTF-8 (only called once a reader failed)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _encoding_error(path, chunk, max(exc.start, 0), lines)
            lines += chunk.count(b"\n")
    return LoadError("not UTF-8 text; save the file as UTF-8", Location(str(path)))


def head_text(head: bytes) -> str:
    """The first bytes as text, without a BOM and without the line cut short at the end."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    text = head.decode("utf-8", errors="ignore")
    if len(head) >= HEAD_BYTES and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # drop the partial last line
    return text


#: Delimiters a header line is split on to count its columns (those the CSV sniffer tries).
DELIMITERS = ",;\t|"


def header_columns(line: str) -> int:
    """How many columns a header line has, split on the delimiter that gives the most.

    An upper bound taken before the delimiter is sniffed (the sniffer and the CSV
    readers take minutes over a line of 100,000 columns); quotes are respected.
    """
    return max(_fields(line, d) for d in DELIMITERS)


def _fields(line: str, delimiter: str) -> int:
    if delimiter not in line:
        return 1
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:  # a field over the csv module's size limit: count the delimiters
        return line.count(delimiter) + 1


def check_columns(path: Path, count: int, limits: SampleLimits, line: int | None = 1) -> None:
    """Refuse a file with more columns than the limit, before any reader sees them."""
    if count > limits.max_columns:
        raise LoadError(
            f"the file has {count_text(count)} columns, over the limit of {count_text(limits.max_columns)} "
            "columns; export only the fields the baseline needs (time, user, action, outcome, ...)",
            Location(str(path), line),
        )


def check_text_head(path: Path, head: bytes, limits: SampleLimits) -> None:
    """Refuse a text file whose first lines are longer than the line limit, or whose
    size for the length of its first lines means more rows than the row limit.

    Both are read off the first bytes alone: what cannot be known before the full
    read (a long line further down, the exact row count) is checked by the readers.
    """
    size = path.stat().st_size
    whole = len(head) >= size
    pieces = head.split(b"\n")
    if not whole:
        last = pieces.pop()  # cut short by the head: only too long if already over the limit
        if len(last) > limits.max_line_bytes:
            pieces.append(last)
    for number, piece in enumerate(pieces, start=1):
        if len(piece) > limits.max_line_bytes:
            raise LoadError(
                f"line {number} is longer than {count_text(limits.max_line_bytes)} bytes, the limit for one line",
                Location(str(path), number),
            )
    if not whole and len(pieces) == 0 and size > limits.max_line_bytes:
        raise LoadError(
            f"line 1 is longer than {count_text(len(head))} bytes (no line break in the first "
            f"{_size_text(len(head))}), over the limit of {count_text(limits.max_line_bytes)} bytes for one line",
            Location(str(path), 1),
        )
    lines = head.count(b"\n")
    if not whole and lines:
        estimate = size * lines // len(head)
        if estimate > limits.max_rows:
            raise LoadError(
                f"the file holds about {count_text(estimate)} rows (judged from its first lines), over the limit "
                f"of {count_text(limits.max_rows)} rows; take a smaller sample (a few weeks is enough)",
                Location(str(path)),
            )


def check_rows(path: Path, rows: int, limits: SampleLimits) -> None:
    """Refuse a sample with more rows than the limit (once they are counted)."""
    if rows > limits.max_rows:
        raise LoadError(
            f"the file holds {count_text(rows)} rows, over the limit of {count_text(limits.max_rows)} rows; "
            "take a smaller sample (a few weeks is enough)",
            Location(str(path)),
        )


GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
#: Inflated bytes below which the ratio is not judged (a small file may inflate a lot harmlessly).
RATIO_FLOOR = 1024 * 1024
_INFLATE_CHUNK = 1024 * 1024


@contextlib.contextmanager
def inflated(
    path: str | os.PathLike[str], limits: SampleLimits, size_limit: int | None = DEFAULT_SIZE_LIMIT
) -> Iterator[Path]:
    """The file to read: ``path`` itself, or the content of a gzip file or a one-file ZIP
    archive inflated into a temporary file that is deleted when the block ends.

    Inflation streams and counts: it stops the moment the content passes the size
    limit (the one a plain file must keep) or inflates more than ``limits.max_ratio``
    times (a decompression bomb), and a ZIP archive is judged first by what its
    directory declares. Errors name ``path``, never the temporary file.
    """
    p = Path(path)
    loc = Location(str(p))
    try:
        with p.open("rb") as fh:
            magic = fh.read(4)
    except OSError:
        magic = b""  # check_file names what is wrong (missing, a folder, unreadable)
    if magic[:2] != GZIP_MAGIC and magic != ZIP_MAGIC:
        yield p
        return
    size = p.stat().st_size
    if size_limit is not None and size > size_limit:
        raise LoadError(
            f"file is {_size_text(size)}, over the size limit of {_size_text(size_limit)}; take a smaller sample",
            loc,
        )
    cap = size_limit if size_limit is not None else limits.max_data_bytes
    inner = p.stem if magic[:2] == GZIP_MAGIC else ""
    fd, name = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=Path(inner).suffix)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            if magic[:2] == GZIP_MAGIC:
                _gunzip(p, out, cap, limits)
            else:
                _unzip(p, out, cap, limits)
        try:
            yield tmp
        except LoadError as exc:
            if exc.location is not None and exc.location.file == str(tmp):
                raise type(exc)(exc.message, Location(str(p), exc.location.line)) from None
            raise
    finally:
        tmp.unlink(missing_ok=True)


def _inflate_limits(p: Path, written: int, consumed: int, cap: int, limits: SampleLimits, kind: str) -> None:
    if written > cap:
        raise LoadError(
            f"the {kind} content is over the size limit of {_size_text(cap)} once decompressed; "
            "take a smaller sample (a few weeks is enough)",
            Location(str(p)),
        )
    if written > RATIO_FLOOR and written > limits.max_ratio * max(consumed, 1):
        raise LoadError(
            f"the {kind} content decompresses to more than {limits.max_ratio} times its compressed size "
            "(a decompression bomb?); refusing to decompress it",
            Location(str(p)),
        )


def _gunzip(p: Path, out: Any, cap: int, limits: SampleLimits) -> None:
    import gzip
    import zlib

    written = 0
    try:
        with p.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
            while chunk := gz.read(_INFLATE_CHUNK):
                written += len(chunk)
                _inflate_limits(p, written, raw.tell(), cap, limits, "gzip")
                out.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise LoadError(f"not a readable gzip file: {exc}", Location(str(p))) from None


def _unzip(p: Path, out: Any, cap: int, limits: SampleLimits) -> None:
    try:
        with zipfile.ZipFile(p) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise LoadError(
                    f"the ZIP archive holds {len(members)} files; give one log file (or its ZIP alone)",
                    Location(str(p)),
                )
            member = members[0]
            # What the directory declares first (it may lie: the stream is counted too).
            _inflate_limits(p, member.file_size, member.compress_size, cap, limits, "ZIP")
            written = 0
            with zf.open(member) as src:
                while chunk := src.read(_INFLATE_CHUNK):
                    written += len(chunk)
                    _inflate_limits(p, written, member.compress_size, cap, limits, "ZIP")
                    out.write(chunk)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        RuntimeError,
        NotImplementedError,
        OSError,
        EOFError,
    ) as exc:
        raise LoadError(f"not a readable ZIP archive: {exc}", Location(str(p))) from None
