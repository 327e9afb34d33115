"""Is this a file we can read at all? The checks made before any format is guessed.

A person hands over whatever they have: a zip, a UTF-16 export from Excel, a
binary, an empty file, 5 GB of logs. Each of these gets its own message naming
the file (and the line of a bad byte), before any reader tries and fails with a
generic parser error. The checks look only at the first megabyte, so they are
cheap for files of any size; every format, present and to come, passes through them.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from workshop.core.errors import LoadError, Location

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
