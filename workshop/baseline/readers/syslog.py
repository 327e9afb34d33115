"""Syslog (RFC 3164 and RFC 5424) and Linux ``auth.log``, with sshd and PAM messages read.

The questionnaire offers "Syslog" as a log source, and a Linux server's
authentication log is the commonest sample an owner can hand over. Its lines name
no columns: the time, host, program and message are fixed by the format, and who
logged in from where, and whether it worked, is in the message text
("Failed password for invalid user admin from 203.0.113.9 port 4711 ssh2").
This module splits the lines with vectorised regular expressions, reads the sshd,
PAM and sudo messages into ``user``, ``outcome``, ``source_ip`` and ``action``,
and proposes the mapping an authentication log has.

RFC 3164 dates have no year ("Mar 27 13:06:56"): it is taken from the file's date
(a month after the file's own month belongs to the year before), or given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workshop.baseline.files import head_text
from workshop.baseline.limits import SampleLimits
from workshop.baseline.mapping import MappingProposal
from workshop.baseline.readers.base import MAX_EXAMPLES, Head, ReadRequest, ReadTable, line_chunks
from workshop.core.errors import LoadError, Location

if TYPE_CHECKING:
    import pandas as pd

# <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
RFC5424 = (
    r"^<\d{1,3}>\d{1,2} (?P<time>\S+) (?P<host>\S+) (?P<program>\S+) (?P<pid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?$"
)
# [<PRI>]Mmm dd hh:mm:ss HOST PROGRAM[PID]: MSG (also with an ISO 8601 time, as rsyslog writes it)
RFC3164 = (
    r"^(?:<\d{1,3}>)?(?P<time>[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) "
    r"(?P<program>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<message>.*)$"
)
_RFC3164_RE = re.compile(RFC3164)
_RFC5424_RE = re.compile(RFC5424)
#: The columns a syslog line yields, in order.
SYSLOG_COLUMNS: tuple[str, ...] = (
    "time", "host", "program", "pid", "message", "action", "outcome", "user", "source_ip", "auth_method",
)  # fmt: skip

# Messages of sshd, PAM, sudo and su read into roles: (pattern, action, outcome). The first match wins.
_IP = r"(?P<ip>[0-9A-Fa-f:.]+)"
AUTH_MESSAGES: tuple[tuple[str, str, str | None], ...] = (
    (rf"^Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from {_IP} port \d+", "ssh login", "failure"),
    (rf"^Accepted (?P<method>\S+) for (?P<user>\S+) from {_IP} port \d+", "ssh login", "success"),
    (rf"^Invalid user (?P<user>.*?) from {_IP}(?: port \d+)?$", "ssh invalid user", "failure"),
    (
        rf"^pam_unix\((?P<method>[^)]*)\): authentication failure;.*? rhost={_IP}?(?:\s+user=(?P<user>\S+))?",
        "pam authentication",
        "failure",
    ),
    (r"^pam_unix\((?P<method>[^)]*)\): session opened for user (?P<user>[^\s(]+)", "session opened", "success"),
    (r"^pam_unix\((?P<method>[^)]*)\): session closed for user (?P<user>[^\s(]+)", "session closed", "success"),
    (rf"^(?:Received disconnect|Disconnected) from (?:(?:invalid |authenticating )?user (?P<user>\S+) )?{_IP}", "ssh disconnect", None),
    (rf"^Connection closed by (?:(?:invalid |authenticating )?user (?P<user>\S+) )?{_IP}", "ssh connection closed", None),
    (r"^\s*(?P<user>\S+) : .*COMMAND=", "sudo", "success"),
    (r"^\s*(?P<user>\S+) : .*command not allowed", "sudo", "failure"),
    (r"^(?:Successful su for|\(to \S+\)) (?P<user>\S+)", "su", "success"),
    (r"^FAILED su for (?P<user>\S+)", "su", "failure"),
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class SyslogReader:
    """RFC 3164 / RFC 5424 syslog, Linux ``auth.log`` and ``secure`` among them."""

    name = "syslog"
    header_line: int | None = None

    def detect(self, head: bytes, lines: Sequence[str]) -> bool:
        matched = sum(1 for ln in lines if _RFC3164_RE.match(ln) or _RFC5424_RE.match(ln))
        return bool(lines) and matched >= max(1, int(0.8 * len(lines)))

    def head(self, path: Path, head: bytes, rows: int, limits: SampleLimits) -> Head:
        lines = pa.array(head_text(head).splitlines()[: rows * 2], pa.string())
        table, matched = parse_syslog_lines(lines, file_year(path))
        if not pc.any(matched).as_py():
            raise LoadError("no line is a syslog line (RFC 3164 or RFC 5424)", Location(str(path), 1))
        return Head(table.filter(matched).slice(0, rows).to_pandas())

    def proposal(self, head: pd.DataFrame) -> MappingProposal:
        mapping = {"timestamp": "time", "action": "action", "outcome": "outcome", "source_ip": "source_ip"}
        reasons = {
            "timestamp": "syslog time (a date without a year takes the file's year)",
            "action": "what the message says (ssh login, sudo...) or the program",
            "outcome": "failure or success read from sshd, PAM, sudo and su messages",
            "source_ip": "remote address from sshd and PAM messages",
        }
        if "user" in head.columns and head["user"].notna().any():
            mapping["user"] = "user"
            reasons["user"] = "account named in sshd, PAM, sudo and su messages"
        candidates = {"action": ["action", "program"], "user": ["user"], "source_ip": ["source_ip", "host"]}
        return MappingProposal(mapping=mapping, reasons=reasons, candidates=candidates)

    def time_format(self, column: str) -> str | None:
        return None

    def read(self, path: Path, head: Head, request: ReadRequest, warnings: list[str]) -> ReadTable:
        parts = list(self.batches(path, head, request, warnings))
        tables = [p.table for p, _ in parts]
        numbers = [p.line_numbers for p, _ in parts if p.line_numbers is not None]
        return ReadTable(
            pa.concat_tables(tables),
            sum(p.skipped for p, _ in parts),
            line_numbers=np.concatenate(numbers) if numbers else np.array([], dtype=np.int64),
        )

    def batches(
        self, path: Path, head: Head, request: ReadRequest, warnings: list[str]
    ) -> Iterator[tuple[ReadTable, int]]:
        from workshop.baseline.readers.access_log import read_lines

        year = request.year or file_year(path)
        bad = 0
        examples: list[int] = []
        matched_rows = 0
        for data, first_line, done in line_chunks(path):
            lines = read_lines(path, data).combine_chunks()
            table, matched = parse_syslog_lines(lines, year)
            ok = matched.to_numpy(zero_copy_only=False)
            blank = pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False)
            wrong = np.flatnonzero(~ok & ~blank)
            if len(wrong):
                if request.on_bad_rows == "error":
                    raise LoadError(
                        f"not a syslog line (RFC 3164 or RFC 5424): {str(lines[int(wrong[0])].as_py())[:80]!r}",
                        Location(str(path), int(wrong[0]) + first_line),
                    )
                bad += len(wrong)
                examples += [int(i) + first_line for i in wrong[: MAX_EXAMPLES - len(examples)]]
            kept = table.filter(matched)
            matched_rows += kept.num_rows
            yield (
                ReadTable(
                    kept.select(list(request.columns)),
                    len(wrong),
                    line_numbers=np.flatnonzero(ok) + first_line,
                ),
                done,
            )
        if not matched_rows:
            raise LoadError("no line is a syslog line (RFC 3164 or RFC 5424)", Location(str(path), 1))
        if bad:
            where = ", ".join(str(n) for n in examples)
            warnings.append(f"{bad} line(s) are not syslog lines, e.g. line(s) {where}; skipped")


def file_year(path: Path) -> dt.date:
    """The file's date, for dates without a year (its modification time)."""
    try:
        return dt.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return dt.date.today()


def parse_syslog_lines(lines: pa.Array, year: int | dt.date) -> tuple[pa.Table, pa.Array]:
    """Split syslog lines into columns and read the auth messages; return (table, matched mask).

    ``year`` completes RFC 3164 dates: a whole year, or the file's date (then a month
    later than the file's month is taken for the year before: the log wrapped).
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    old = pc.extract_regex(lines, RFC3164)
    new = pc.extract_regex(lines, RFC5424)
    is_old = pc.is_valid(old)
    is_new = pc.is_valid(new)
    matched = pc.or_(is_old, is_new)
    null = pa.scalar(None, pa.string())

    def field_(name: str) -> pa.Array:
        a = pc.if_else(is_old, pc.struct_field(old, name), null) if name != "msgid" else null
        b = pc.struct_field(new, name)
        out = pc.if_else(is_new, b, a)
        return pc.if_else(pc.equal(out, "-"), null, out)

    time = _full_time(field_("time"), year)
    message = pc.fill_null(field_("message"), "")
    # "message repeated 3 times: [ Failed password for ...]": the repeated message is read (once).
    message = pc.replace_substring_regex(message, r"^message repeated \d+ times: \[ ?(.*?) ?\]$", r"\1")
    program = field_("program")
    cols: dict[str, pa.Array] = {
        "time": time,
        "host": field_("host"),
        "program": program,
        "pid": field_("pid"),
        "message": message,
    }
    action = pa.nulls(len(lines), pa.string())
    outcome = pa.nulls(len(lines), pa.string())
    user = pa.nulls(len(lines), pa.string())
    source = pa.nulls(len(lines), pa.string())
    method = pa.nulls(len(lines), pa.string())
    done = pa.array(np.zeros(len(lines), dtype=bool))
    for pattern, name, result in AUTH_MESSAGES:
        m = pc.extract_regex(message, pattern)
        hit = pc.and_(pc.is_valid(m), pc.invert(done))
        if not pc.any(hit).as_py():
            continue
        names = {f.name for f in m.type}
        action = pc.if_else(hit, name, action)
        outcome = pc.if_else(hit, pa.scalar(result, pa.string()), outcome)
        if "user" in names:
            found = pc.struct_field(m, "user")
            found = pc.if_else(pc.equal(found, ""), null, found)
            user = pc.if_else(hit, found, user)
        if "ip" in names:
            found = pc.struct_field(m, "ip")
            found = pc.if_else(pc.equal(found, ""), null, found)
            source = pc.if_else(hit, found, source)
        if "method" in names:
            method = pc.if_else(hit, pc.struct_field(m, "method"), method)
        done = pc.or_(done, hit)
    cols["action"] = pc.if_else(done, action, program)
    cols["outcome"] = outcome
    cols["user"] = user
    cols["source_ip"] = source
    cols["auth_method"] = method
    return pa.table(cols), matched


def _full_time(time: pa.Array, year: int | dt.date) -> pa.Array:
    """RFC 3164 ``Mar 27 13:06:56`` to ISO 8601 with the year; other times as they are."""
    short = pc.match_substring_regex(pc.fill_null(time, ""), r"^[A-Z][a-z]{2} ")
    if not pc.any(short).as_py():
        return time
    squeezed = pc.replace_substring_regex(time, r"^([A-Z][a-z]{2})  ", r"\1 ")
    month = pc.index_in(pc.utf8_slice_codeunits(squeezed, 0, 3), value_set=pa.array(_MONTHS))
    if isinstance(year, dt.date):
        # A month after the file's month was written the year before (the log wrapped).
        later = pc.greater(month, year.month - 1)
        years = pc.if_else(later, year.year - 1, year.year)
    else:
        years = pa.array(np.full(len(time), year, dtype=np.int64))
    text = pc.binary_join_element_wise(pc.cast(years, pa.string()), squeezed, " ")
    parsed = pc.strptime(text, format="%Y %b %d %H:%M:%S", unit="s", error_is_null=True)
    iso = pc.strftime(parsed, format="%Y-%m-%dT%H:%M:%S")
    return pc.if_else(short, iso, time)
