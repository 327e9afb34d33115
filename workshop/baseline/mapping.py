"""Which column plays which role: proposals from column names and values.

A log sample only becomes a baseline once we know which column is the time, who
acted, what they did and how it ended. Files name these columns in many ways
(``ts``, ``@timestamp``, ``event_time``...), so we propose a mapping from the names
and a look at the first rows, say why, and let the person confirm or change it
(``--map ROLE=COLUMN``). The proposal never guesses silently: each role comes with
the reason it was chosen and the other candidates.

It depends on no reader: readers ask it for proposals, and it asks
:mod:`workshop.baseline.timestamps` whether values look like dates.
"""

from __future__ import annotations

import ipaddress
import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workshop.baseline.timestamps import parse_timestamp_strings_quick
from workshop.core.errors import InputError
from workshop.vocab import BASELINE_ROLES, LogRole
from workshop.vocab import NUMERIC_ROLES as NUMERIC_ROLES  # the roles whose values are summed (volumes)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Every role a column can play, in the order shown to people. Plain strings, not
#: enum members: they become the keys of stored and exported mappings.
ROLES: tuple[str, ...] = tuple(str(role) for role in BASELINE_ROLES)
#: Roles whose values are labels (kept as categories, counted per value).
LABEL_ROLES: tuple[str, ...] = (
    LogRole.USER, LogRole.ACTION, LogRole.OUTCOME, LogRole.SOURCE_IP, LogRole.SESSION, LogRole.COUNTRY,
)  # fmt: skip
#: Roles that can be the entity the per-entity figures count.
ENTITY_ROLES: tuple[str, ...] = (
    LogRole.USER, LogRole.SOURCE_IP, LogRole.SESSION, LogRole.COUNTRY, LogRole.ACTION, LogRole.OUTCOME,
)  # fmt: skip

ROLE_HELP: dict[str, str] = {
    "timestamp": "when the event happened",
    "user": "who acted (account name); the default entity",
    "action": "what was done (event type, operation, HTTP method and path)",
    "outcome": "how it ended (success/failure, HTTP status)",
    "source_ip": "where from (client address); the entity when no user is mapped",
    "records": "how many records or objects the event touched",
    "bytes": "how many bytes were sent or returned",
    "session": "session identifier",
    "country": "ISO country code of the source",
}

# Normalised column names (lower case, only letters and digits) that name a role.
# Exact names score higher than names that merely contain one of the words.
_EXACT: dict[str, tuple[str, ...]] = {
    "timestamp": (
        "timestamp",
        "ts",
        "time",
        "eventtime",
        "datetime",
        "date",
        "createdat",
        "timegenerated",
        "loggedat",
        "occurredat",
        "when",
        "eventtimestamp",
        "logtime",
        "eventdate",
        "creationtime",
    ),
    "user": (
        "user",
        "username",
        "actor",
        "account",
        "accountname",
        "login",
        "principal",
        "userid",
        "username",
        "subject",
        "upn",
        "userprincipalname",
        "email",
        "uid",
        "authuser",
        "actorname",
        "identity",
    ),
    "action": (
        "action",
        "event",
        "operation",
        "activity",
        "eventtype",
        "eventname",
        "eventaction",
        "operationname",
        "verb",
        "activitytype",
        "api",
        "command",
    ),
    "outcome": (
        "outcome",
        "result",
        "status",
        "statuscode",
        "eventoutcome",
        "success",
        "responsecode",
        "resultcode",
        "resulttype",
        "httpstatus",
    ),
    "source_ip": (
        "srcip",
        "sourceip",
        "clientip",
        "ip",
        "remoteaddr",
        "remoteip",
        "ipaddress",
        "sourceaddress",
        "callerip",
        "clientaddress",
        "src",
        "client",
        "host",
        "callipaddress",
    ),
    "records": (
        "records",
        "recordcount",
        "rows",
        "rowcount",
        "items",
        "numrecords",
        "resultcount",
        "count",
        "objects",
        "recordsreturned",
    ),
    "bytes": (
        "bytes",
        "size",
        "bytessent",
        "responsesize",
        "bodybytessent",
        "contentlength",
        "length",
        "bytesout",
    ),
    "session": ("session", "sessionid", "sid", "sessionkey", "correlationid"),
    "country": ("country", "countrycode", "geocountryisocode", "countryisocode", "cc", "geocountry"),
}
_WORDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "time", "date"),
    "user": ("user", "actor", "account", "principal", "login"),
    "action": ("action", "event", "operation", "activity"),
    "outcome": ("outcome", "result", "status"),
    "source_ip": ("ip", "addr", "address", "client"),
    "records": ("record", "rows", "count"),
    "bytes": ("bytes", "size"),
    "session": ("session",),
    "country": ("country",),
}

_OUTCOME_WORDS = {
    "success",
    "succeeded",
    "ok",
    "fail",
    "failed",
    "failure",
    "denied",
    "error",
    "allowed",
    "true",
    "false",
    "blocked",
}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass
class MappingProposal:
    """A proposed role-to-column mapping, with the reason for each choice.

    ``candidates`` lists, per role, every column that could play it (best first),
    so a UI can offer them in a drop-down.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": dict(self.mapping),
            "reasons": dict(self.reasons),
            "candidates": {k: list(v) for k, v in self.candidates.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MappingProposal:
        return cls(
            mapping=dict(data.get("mapping", {})),
            reasons=dict(data.get("reasons", {})),
            candidates={k: list(v) for k, v in data.get("candidates", {}).items()},
        )


def normalise_name(name: str) -> str:
    """``Event-Time`` and ``event_time`` and ``eventTime`` all become ``eventtime``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _last_part(name: str) -> str:
    """``user.name`` -> ``name``; ``source.ip`` -> ``ip`` (ECS-style nested names)."""
    return normalise_name(re.split(r"[.:/]", str(name))[-1])


def name_words(name: str) -> list[str]:
    """The words of a column name: ``recipientAccountId`` -> recipient, account, id; ``src_ip`` -> src, ip."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def _name_score(role: str, column: str) -> tuple[float, str]:
    """How well a column's name names a role: a usual name (earlier in the list is more usual),
    a usual name at the end of a dotted name, or one of the role's words as a whole word
    (``recipientAccountId`` holds the word "account", not "count")."""
    norm = normalise_name(column)
    exact = _EXACT[role]
    if norm in exact:
        return 6 - exact.index(norm) / 100, f"column name '{column}' is a usual name for {role}"
    if "." in column and _last_part(column) in exact:
        # "user.name" is the user, "source.ip" the source address (ECS).
        head = normalise_name(column.split(".")[0])
        bonus = 1 if head in exact or any(w in name_words(column.split(".")[0]) for w in _WORDS[role]) else 0
        return 4 + bonus - exact.index(
            _last_part(column)
        ) / 100, f"column name '{column}' ends in a usual name for {role}"
    words = name_words(column)
    for word in _WORDS[role]:
        if word in words or any(w.rstrip("s") == word.rstrip("s") for w in words):
            return 2, f"column name '{column}' has the word '{word}'"
    return 0, ""


@dataclass(frozen=True)
class HeadColumn:
    """A column of a head as the checks see it, whether the head is an Arrow table or a frame.

    The profile's command reads a CSV head with pyarrow and must not import pandas
    (half a second of start-up) just to look at a thousand rows, so the checks work
    on plain values. ``kind`` is how pandas would type the column (``datetime``,
    ``bool``, ``number``, ``text`` for object and string columns, ``other``), and
    ``values`` hold what pandas would hold (None where missing; whole numbers of
    a column with gaps become floats), so that a proposal is the same either way.
    """

    kind: str
    values: list[Any]
    zoned: bool = False

    def sample(self, n: int = 200) -> list[Any]:
        """The first ``n`` values present."""
        out: list[Any] = []
        for v in self.values:
            if v is not None:
                out.append(v)
                if len(out) == n:
                    break
        return out

    @property
    def numeric(self) -> bool:
        """pandas' ``is_numeric_dtype``: numbers and booleans."""
        return self.kind in ("number", "bool")


def head_columns(head: pa.Table | pd.DataFrame) -> list[Any]:
    """The column keys of a head (an Arrow table or a frame)."""
    import pyarrow as pa

    return list(head.column_names) if isinstance(head, pa.Table) else list(head.columns)


def head_column(head: pa.Table | pd.DataFrame, name: Any) -> HeadColumn:
    """One column of a head as a :class:`HeadColumn` (pandas is used only for a frame)."""
    import pyarrow as pa

    if isinstance(head, pa.Table):
        return _arrow_column(head.column(name))
    return _frame_column(head[name])


def _arrow_column(col: pa.ChunkedArray) -> HeadColumn:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.types as pt

    t = col.type
    gaps = col.null_count > 0
    if pt.is_timestamp(t):
        # As text: Arrow turns zoned instants into Python ones through pandas.
        return HeadColumn("datetime", pc.cast(col, pa.string()).to_pylist(), zoned=t.tz is not None)
    if pt.is_boolean(t):
        return HeadColumn("text" if gaps else "bool", col.to_pylist())
    if pt.is_integer(t):
        values = col.to_pylist()
        return HeadColumn("number", [None if v is None else float(v) for v in values] if gaps else values)
    if pt.is_floating(t):
        return HeadColumn("number", [None if v is None or v != v else v for v in col.to_pylist()])
    if (
        pt.is_null(t) or pt.is_string(t) or pt.is_large_string(t)
        or pt.is_date(t) or pt.is_time(t)
    ):  # fmt: skip
        return HeadColumn("text", col.to_pylist())
    return _frame_column(pa.chunked_array(col.chunks, t).to_pandas())  # a type CSV heads do not have


def _frame_column(series: pd.Series) -> HeadColumn:
    import pandas as pd

    dtype = series.dtype
    present = series.notna().tolist()
    values = [v if ok else None for v, ok in zip(series.tolist(), present, strict=True)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return HeadColumn("datetime", values, zoned=isinstance(dtype, pd.DatetimeTZDtype))
    if pd.api.types.is_bool_dtype(dtype):
        return HeadColumn("bool", values)
    if pd.api.types.is_numeric_dtype(dtype):
        return HeadColumn("number", values)
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return HeadColumn("text", values)
    return HeadColumn("other", values)


_NUMBER_RE = re.compile(
    r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*", re.IGNORECASE | re.ASCII
)


def _number(text: str) -> float | None:
    """``text`` as pandas' ``to_numeric(errors="coerce")`` reads it (None where it gives NaN)."""
    if not _NUMBER_RE.fullmatch(text):
        return None
    value = float(text)
    return None if math.isnan(value) else value


def _looks_like_ip(values: HeadColumn) -> float:
    sample = values.sample()
    if not sample:
        return 0.0
    ok = 0
    for v in sample:
        try:
            ipaddress.ip_address(str(v).strip())
            ok += 1
        except ValueError:
            pass
    return ok / len(sample)


def _looks_like_time(values: HeadColumn) -> float:
    if values.kind == "datetime":
        return 1.0
    sample = values.sample()
    if not sample:
        return 0.0
    if values.numeric:
        # Epoch seconds / milliseconds between 2000 and 2100.
        in_range = [bool((9.4e8 < s < 4.2e9) or (9.4e11 < s < 4.2e12)) for s in sample]
        return sum(in_range) / len(in_range)
    return parse_timestamp_strings_quick([str(v) for v in sample])


def _looks_numeric(values: HeadColumn) -> float:
    sample = values.sample()
    if not sample:
        return 0.0
    if values.kind == "bool":
        return 0.0
    if values.kind == "number":
        return 1.0
    numbers = [_number("0" if str(v) == "-" else str(v)) for v in sample]
    return sum(n is not None for n in numbers) / len(numbers)


def _looks_like_outcome(values: HeadColumn) -> float:
    sample = values.sample()
    if not sample:
        return 0.0
    if values.kind == "bool":
        return 1.0
    text = [str(v).strip().lower() for v in sample]
    fits = [t in _OUTCOME_WORDS or re.fullmatch(r"[1-5]\d\d", t) is not None for t in text]
    return sum(fits) / len(fits)


def _looks_like_country(values: HeadColumn) -> float:
    sample = values.sample()
    if not sample or values.numeric:
        return 0.0
    return sum(_COUNTRY_RE.fullmatch(str(v)) is not None for v in sample) / len(sample)


def _filled_share(values: HeadColumn) -> float:
    """Share of the head's rows with a value (not missing, not blank, not "-")."""
    if len(values.values) == 0:
        return 0.0
    if values.kind == "text":
        blank = ("", "-", "nan", "None")
        filled = sum(v is not None and str(v).strip() not in blank for v in values.values)
    else:
        filled = sum(v is not None for v in values.values)
    return filled / len(values.values)


def _plausible_amounts(values: HeadColumn) -> bool:
    """Records and bytes are whole, non-negative amounts of a plausible size: an account
    number (``recipientAccountId``, 12 digits) is a number, not a count."""
    texts = [str(v).strip() for v in values.sample()]
    sample = [n for n in (_number(t) for t in texts if t != "-") if n is not None]
    if not sample:
        return True
    whole = all(math.isinf(n) or n == round(n) for n in sample)
    return whole and all(n >= 0 for n in sample) and float(statistics.median(sample)) < 1e9


def _value_check(role: str, values: HeadColumn) -> tuple[float, str]:
    """How well the values fit the role (0..1) and what was seen."""
    if role == "timestamp":
        share = _looks_like_time(values)
        return share, f"{share:.0%} of sampled values are dates"
    if role == "source_ip":
        share = _looks_like_ip(values)
        return share, f"{share:.0%} of sampled values are IP addresses"
    if role in NUMERIC_ROLES:
        share = _looks_numeric(values)
        return share, f"{share:.0%} of sampled values are numbers"
    if role == "outcome":
        share = _looks_like_outcome(values)
        return share, f"{share:.0%} of sampled values look like outcomes"
    if role == "country":
        share = _looks_like_country(values)
        return share, f"{share:.0%} of sampled values are two-letter codes"
    return 1.0, ""


def propose_mapping(head: pa.Table | pd.DataFrame) -> MappingProposal:
    """Propose a column for each role from the names and the first rows of ``head``.

    Each column is used for at most one role; roles are filled best match first.
    Value checks veto name matches that cannot be right (an ``ip`` column holding
    no addresses, a ``time`` column holding no dates).
    """
    scored: list[tuple[float, str, str, str]] = []
    candidates: dict[str, list[tuple[float, str]]] = {role: [] for role in ROLES}
    keys = head_columns(head)
    seen_columns: dict[Any, HeadColumn] = {}
    for role in ROLES:
        for column in keys:
            score, why = _name_score(role, str(column))
            if score == 0 and role not in ("timestamp", "source_ip"):
                continue  # only times and addresses are recognised by their values alone
            values = seen_columns.get(column)
            if values is None:
                values = seen_columns[column] = head_column(head, column)
            fit, seen = _value_check(role, values)
            if role == "timestamp" and score >= 4 and fit > 0:
                # Named like a time stamp and holding some dates: propose it, so
                # that loading reports the values that do not parse instead of
                # claiming the file has no time stamp at all.
                pass
            elif role in ("timestamp", "source_ip") or role in NUMERIC_ROLES:
                if fit < 0.8:
                    if score and fit > 0:
                        candidates[role].append((0.5, str(column)))  # the person may know better
                    continue
                if score == 0 and role in ("timestamp", "source_ip"):
                    # Values alone are enough evidence for time and addresses.
                    score, why = 1, f"values of '{column}' fit"
            elif role in ("outcome", "country") and score and fit < 0.5:
                # Values that do not fit the role: offered, never proposed.
                candidates[role].append((0.5, str(column)))
                continue
            if role in NUMERIC_ROLES and not _plausible_amounts(values):
                candidates[role].append((0.5, str(column)))
                continue
            if score <= 0:
                continue
            filled = _filled_share(values)
            if filled == 0:
                continue
            # Ties between names are broken by how many rows have a value, then by the values' fit.
            total = score + fit + filled
            reason = (
                why
                + (f" ({seen})" if seen else "")
                + (f"; {filled:.0%} of rows have a value" if filled < 1 else "")
            )
            scored.append((total, role, str(column), reason))
            candidates[role].append((total, str(column)))
    scored.sort(key=lambda t: (-t[0], ROLES.index(t[1]), t[2]))
    proposal = MappingProposal()
    used: set[str] = set()
    for _total, role, column, reason in scored:
        if role in proposal.mapping or column in used:
            continue
        proposal.mapping[role] = column
        proposal.reasons[role] = reason
        used.add(column)
    proposal.candidates = {
        role: [c for _s, c in sorted(cands, key=lambda t: -t[0])]
        for role, cands in candidates.items()
        if cands
    }
    _join_date_and_time(head, proposal)
    return proposal


#: How a time stamp spread over a date column and a time column is mapped: ``date + time``.
TIME_JOIN = " + "
_DATE_ONLY = r"\s*(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}/\d{2}/\d{2})\s*"
_TIME_ONLY = r"\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,:]\d{1,9})?)?\s*"


def time_parts(column: str, columns: Iterable[str] = ()) -> list[str]:
    """The file's columns a ``timestamp`` mapping reads: one, or a date and a time column (``date + time``)."""
    names = set(columns)
    if column not in names and TIME_JOIN in column:
        parts = [c.strip() for c in column.split(TIME_JOIN.strip())]
        if len(parts) == 2 and (not names or all(c in names for c in parts)):
            return parts
    return [column]


def _all_fullmatch(values: HeadColumn, pattern: str) -> bool:
    sample = values.sample()
    return bool(sample) and all(re.fullmatch(pattern, str(v)) is not None for v in sample)


def _join_date_and_time(head: pa.Table | pd.DataFrame, proposal: MappingProposal) -> None:
    """A date column alone would put every event at midnight: join it with a time column when there is one."""
    date_col = proposal.mapping.get("timestamp")
    if date_col is None or not _all_fullmatch(head_column(head, date_col), _DATE_ONLY):
        return
    for column in head_columns(head):
        if column != date_col and _all_fullmatch(head_column(head, column), _TIME_ONLY):
            proposal.mapping["timestamp"] = f"{date_col}{TIME_JOIN}{column}"
            proposal.reasons["timestamp"] = f"date in '{date_col}' and time of day in '{column}', joined"
            return
    proposal.reasons["timestamp"] = (
        proposal.reasons.get("timestamp", "") + "; dates without a time: every event falls at midnight"
    )


def parse_map_args(items: Iterable[str] | None) -> dict[str, str | None]:
    """Turn ``["user=actor", "session="]`` into ``{"user": "actor", "session": None}``.

    An empty column removes the role from the proposal.
    """
    result: dict[str, str | None] = {}
    for item in items or ():
        role, sep, column = item.partition("=")
        role = role.strip()
        if not sep:
            raise InputError(f"--map takes ROLE=COLUMN, not '{item}'")
        check_role(role)
        result[role] = column.strip() or None
    return result


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"unknown role '{role}'; roles are: {', '.join(ROLES)}")
    return role


def merge_mapping(
    proposal: Mapping[str, str], overrides: Mapping[str, str | None] | None, exact: bool = False
) -> dict[str, str]:
    """The mapping to use: the proposal with the person's choices on top.

    With ``exact`` the proposal is ignored (a mapping saved for an application is
    used as it was confirmed). A ``None`` column removes the role.
    """
    result: dict[str, str] = {} if exact else dict(proposal)
    for role, column in (overrides or {}).items():
        check_role(role)
        if column is None or column == "":
            result.pop(role, None)
        else:
            result[role] = column
    return {role: result[role] for role in ROLES if role in result}
