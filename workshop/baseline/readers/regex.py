"""Any line format, with a regular expression the person gives (``--regex``): its named groups are the columns.

For logs no reader knows, ``(?P<time>\\S+ \\S+) (?P<user>\\w+) (?P<action>.*)``
turns each line into fields. The expression is checked before the file is read: it
must compile and have named groups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from workshop.baseline.readers.lines import LineRecordsReader, Rows
from workshop.core.errors import InputError

#: Longest expression accepted (a guard against pathological input, not a limit people meet).
MAX_PATTERN = 2000


class RegexReader(LineRecordsReader):
    """Lines matched by a person's regular expression; unmatched lines are named."""

    name = "regex"

    def __init__(self, pattern: str) -> None:
        if len(pattern) > MAX_PATTERN:
            raise InputError(f"--regex is longer than {MAX_PATTERN} characters")
        try:
            self.regex = re.compile(pattern)
        except re.error as exc:
            raise InputError(f"--regex does not compile: {exc}") from None
        if not self.regex.groupindex:
            raise InputError("--regex needs named groups, e.g. (?P<time>\\S+) (?P<user>\\S+) (?P<action>.*)")
        self.pattern = pattern
        self.what = "line matching --regex"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return False  # only when asked for

    def parse(self, lines: Sequence[str], first_line: int, state: dict[str, Any]) -> Rows:
        rows = Rows()
        for number, line in enumerate(lines, start=first_line):
            if not line.strip():
                continue
            m = self.regex.search(line)
            if m is None:
                rows.bad.append((number, f"does not match: {line[:80]!r}"))
            else:
                rows.add(m.groupdict(), number)
        return rows
