"""Zeek (Bro) TSV logs: ``#separator``, ``#fields`` and ``#types`` headers, then tab-separated values.

Zeek's JSON logs are JSON lines and read by the JSON lines reader; the TSV form
names its fields in a ``#fields`` line, writes ``-`` for an unset field and
``(empty)`` for an empty set, and its ``ts`` is epoch seconds. The connection's
originator (``id.orig_h``) is the source address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workshop.baseline.mapping import MappingProposal, propose_mapping
from workshop.baseline.readers.lines import LineRecordsReader, Rows, parse_headed

if TYPE_CHECKING:
    import pandas as pd

#: Zeek fields and the role each plays by default (first present wins per role).
ZEEK_ROLES: tuple[tuple[str, str], ...] = (
    ("ts", "timestamp"),
    ("id.orig_h", "source_ip"),
    ("username", "user"),
    ("user", "user"),
    ("status_code", "outcome"),
    ("auth_success", "outcome"),
    ("conn_state", "outcome"),
    ("method", "action"),
    ("service", "action"),
    ("uid", "session"),
    ("orig_bytes", "bytes"),
    ("response_body_len", "bytes"),
)


_BOOL_OUTCOME = {"T": "success", "F": "failure"}


class ZeekReader(LineRecordsReader):
    """Zeek's tab-separated logs (conn.log, http.log, ssh.log...)."""

    name = "zeek"
    what = "Zeek log line"

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        return (
            bool(lines)
            and lines[0].startswith("#separator")
            and any(ln.startswith("#fields") for ln in lines)
        )

    def parse(self, lines: Sequence[str], first_line: int, state: dict[str, Any]) -> Rows:
        rows = Rows()
        for fields, number in parse_headed(lines, first_line, state, "#fields", "\t", rows):
            record = {f: (None if v in ("-", "(empty)") else v) for f, v in fields.items()}
            if record.get("auth_success") in _BOOL_OUTCOME:  # ssh.log: T/F
                record["auth_success"] = _BOOL_OUTCOME[str(record["auth_success"])]
            rows.add(record, number)
        return rows

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        proposal = propose_mapping(head)
        return zeek_defaults(head, proposal)


def zeek_defaults(head: pd.DataFrame, proposal: MappingProposal) -> MappingProposal:
    """Zeek's own field names take their roles (``uid`` is a connection, not a user)."""
    if not {"ts", "uid"} <= set(head.columns):
        return proposal
    taken: set[str] = set()
    for field, role in ZEEK_ROLES:
        if role in taken or field not in head.columns or not head[field].notna().any():
            continue
        proposal.mapping = {r: c for r, c in proposal.mapping.items() if c != field and r != role}
        proposal.mapping[role] = field
        proposal.reasons[role] = f"Zeek field {field}"
        taken.add(role)
    return proposal
