"""key=value lines (firewalls, Splunk-style application logs, logfmt).

Each line is a run of ``key=value`` pairs, values optionally in double quotes,
anything before the first pair (a syslog prefix) ignored. The columns are the
keys met in the file; a key that first appears after the head is still read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from workshop.baseline.readers.lines import LineRecordsReader, Rows

_PAIR = re.compile(r'([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|\S*)')
#: Pairs a line needs to count as key=value.
MIN_PAIRS = 3


class KeyValueReader(LineRecordsReader):
    """``time=2024-03-04T09:00:00Z user=alice action="log in" result=ok``."""

    name = "keyvalue"
    what = "key=value line"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        good = sum(1 for ln in lines if len(_PAIR.findall(ln)) >= MIN_PAIRS)
        return bool(lines) and good >= max(1, int(0.8 * len(lines)))

    def parse(self, lines: Sequence[str], first_line: int, state: dict[str, Any]) -> Rows:
        rows = Rows()
        for number, line in enumerate(lines, start=first_line):
            if not line.strip():
                continue
            pairs = _PAIR.findall(line)
            if not pairs:
                rows.bad.append((number, "no key=value pair"))
                continue
            rows.add({k: _unquote(v) for k, v in pairs}, number)
        return rows


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
