"""W3C extended log files (IIS, some proxies): fields named by a ``#Fields:`` header.

IIS writes a header block (``#Software``, ``#Version``, ``#Date``, ``#Fields``)
at the top and again whenever the server restarts, and the fields may change from
one block to the next; every block is read with its own ``#Fields``. Values are
separated by spaces and ``-`` means empty. The date and the time are two fields:
the mapping proposal joins them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workshop.baseline.mapping import MappingProposal, propose_mapping
from workshop.baseline.readers.lines import LineRecordsReader, Rows, parse_headed

if TYPE_CHECKING:
    import pandas as pd

#: W3C field names and the role each plays by default.
W3C_ROLES: dict[str, str] = {
    "c-ip": "source_ip",
    "cs-username": "user",
    "sc-status": "outcome",
    "sc-bytes": "bytes",
    "cs-method": "action",
}


class W3cReader(LineRecordsReader):
    """``#Fields: date time s-ip cs-method cs-uri-stem ...`` then space-separated values."""

    name = "w3c"
    what = "W3C extended log line"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return any(ln.startswith("#Fields:") for ln in lines[:20]) and any(
            ln.startswith(("#Software:", "#Version:", "#Date:")) for ln in lines[:20]
        )

    def parse(self, lines: Sequence[str], first_line: int, state: dict[str, Any]) -> Rows:
        rows = Rows()
        for record, number in parse_headed(lines, first_line, state, "#Fields:", " ", rows):
            rows.add(record, number)
        return rows

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        proposal = propose_mapping(head)
        for field, role in W3C_ROLES.items():
            if field in head.columns and head[field].notna().any():
                proposal.mapping = {r: c for r, c in proposal.mapping.items() if c != field and r != role}
                proposal.mapping[role] = field
                proposal.reasons[role] = f"W3C field {field}"
        if "cs-uri-stem" in head.columns:
            proposal.mapping["action"] = "cs-uri-stem"
            proposal.reasons["action"] = "W3C field cs-uri-stem (the page or API called)"
        return proposal
