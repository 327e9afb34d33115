"""JSON a person supplies (ATT&CK bundles, uploaded files), parsed with bounded nesting.

``json.loads`` recurses once per level of nesting and stops at the interpreter's
recursion limit, so ``[[[[...]]]]`` 200,000 deep ends in a ``RecursionError``
traceback; Arrow's JSON reader does worse and crashes the process (a segmentation
fault near 10,000 levels). :func:`loads` turns the first into a :class:`LoadError`
naming the file and line, and with ``max_depth`` refuses deep nesting before
parsing; :func:`check_lines` does the same for every line of a JSON-lines file in
one streaming pass, before any parser sees it. (An ATT&CK bundle needs six levels,
a log line rarely twenty.)
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from workshop.core.errors import LoadError, Location

#: Bytes scanned at a time by :func:`check_lines` (the scan holds a few int32 arrays of this length).
CHUNK_BYTES = 4 * 1024 * 1024

_QUOTE, _BACKSLASH, _NEWLINE = 0x22, 0x5C, 0x0A
_OPENERS, _CLOSERS = (0x7B, 0x5B), (0x7D, 0x5D)


def loads(
    data: str | bytes,
    filename: str | None = None,
    *,
    line: int | None = None,
    max_depth: int | None = None,
) -> Any:
    """Parse JSON; raise LoadError for a document nested too deeply. Syntax errors stay
    ``json.JSONDecodeError`` (callers word them for their format).

    With ``max_depth`` the nesting is measured first (one document, without parsing);
    ``line`` is where the document starts in ``filename``, for the message.
    """
    if max_depth is not None:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        deep = _too_deep(raw, max_depth, per_line=False)
        if deep is not None:
            raise LoadError(_deep_message(max_depth), Location(filename, (line or 1) + deep)) from None
    try:
        return json.loads(data)
    except RecursionError:
        raise LoadError(
            "the JSON is nested too deeply; refusing to load it", Location(filename, line)
        ) from None


def check_lines(path: str | os.PathLike[str], max_depth: int, max_line_bytes: int | None = None) -> None:
    """Refuse a JSON-lines file with a line nested deeper than ``max_depth`` (or longer
    than ``max_line_bytes``), naming the first such line; reads the file once, in chunks."""
    name = os.fspath(path)
    lines_before = 0
    rest = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(CHUNK_BYTES)
            data = rest + block
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if cut == 0:  # no line end in the chunk: one line longer than a chunk
                if max_line_bytes is not None and len(data) > max_line_bytes:
                    raise LoadError(_long_message(max_line_bytes), Location(name, lines_before + 1))
                rest = data
                continue
            chunk, rest = data[:cut], data[cut:]
            if max_line_bytes is not None:
                long = _long_line(chunk, max_line_bytes)
                if long is not None:
                    raise LoadError(_long_message(max_line_bytes), Location(name, lines_before + long + 1))
            deep = _too_deep(chunk, max_depth, per_line=True)
            if deep is not None:
                raise LoadError(_deep_message(max_depth), Location(name, lines_before + deep + 1))
            lines_before += chunk.count(b"\n")


def _deep_message(max_depth: int) -> str:
    return f"the JSON is nested more than {max_depth} levels deep; refusing to load it"


def _long_message(max_line_bytes: int) -> str:
    return f"a line is longer than {max_line_bytes:,} bytes, the limit for one line; refusing to load it"


def _long_line(chunk: bytes, limit: int) -> int | None:
    """0-based index of the first line in ``chunk`` longer than ``limit`` bytes, if any."""
    buf = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(buf == _NEWLINE)
    if len(buf) and buf[-1] != _NEWLINE:
        ends = np.append(ends, len(buf))
    starts = np.concatenate(([0], ends[:-1] + 1))
    over = np.flatnonzero(ends - starts > limit)
    return int(over[0]) if len(over) else None


def _too_deep(data: bytes, limit: int, *, per_line: bool) -> int | None:
    """The 0-based line (within ``data``) where the nesting first exceeds ``limit``, or None.

    Counts ``{``/``[`` up and ``}``/``]`` down outside strings (a string starts at a
    quote not escaped by an odd run of backslashes), vectorised; ``per_line`` starts
    every line at depth 0, as in JSON lines (a JSON string cannot hold a raw line break).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    opens = (buf == _OPENERS[0]) | (buf == _OPENERS[1])
    if int(np.count_nonzero(opens)) <= limit:
        return None  # fewer openers than the limit: cannot be deeper (the common case for one line)
    n = len(buf)
    newline = buf == _NEWLINE
    line_of = np.cumsum(newline, dtype=np.int32)
    line_start = np.concatenate(([0], np.flatnonzero(newline) + 1))
    if per_line:
        # Only lines with more openers than the limit can be too deep: look at those alone.
        starts = line_start[line_start < n]
        counts = np.add.reduceat(opens, starts, dtype=np.int32) if len(starts) else np.zeros(0, np.int32)
        suspect = counts > limit
        if not suspect.any():
            return None
        if not suspect.all():
            lines = np.flatnonzero(suspect)
            own_line = line_of - newline  # a line break belongs to the line it ends
            sub = buf[suspect[own_line]]
            found = _too_deep(sub.tobytes(), limit, per_line=True)
            return None if found is None else int(lines[found])
    quotes = np.flatnonzero(buf == _QUOTE)
    backslash = buf == _BACKSLASH
    if len(quotes) and backslash.any():
        idx = np.arange(n, dtype=np.int32)
        last_plain = np.maximum.accumulate(np.where(backslash, np.int32(-1), idx))
        before = quotes - 1
        run = np.where(before >= 0, before - last_plain[np.maximum(before, 0)], 0)
        quotes = quotes[run % 2 == 0]
    toggles = np.zeros(n, dtype=np.int32)
    toggles[quotes] = 1
    parity = np.cumsum(toggles, dtype=np.int32)
    if per_line:
        base = np.concatenate(([0], parity))[line_start]
        parity = parity - base[line_of]
    outside = (parity & 1) == 0
    step = np.zeros(n, dtype=np.int32)
    step[opens & outside] = 1
    step[((buf == _CLOSERS[0]) | (buf == _CLOSERS[1])) & outside] = -1
    depth = np.cumsum(step, dtype=np.int32)
    if per_line:
        base = np.concatenate(([0], depth))[line_start]
        depth = depth - base[line_of]
    over = np.flatnonzero(depth > limit)
    return int(line_of[over[0]]) if len(over) else None
