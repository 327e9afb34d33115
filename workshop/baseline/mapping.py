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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workshop.baseline.timestamps import parse_timestamp_strings_quick
from workshop.core.errors import InputError
from workshop.vocab import BASELINE_ROLES, LogRole
from workshop.vocab import NUMERIC_ROLES as NUMERIC_ROLES  # the roles whose values are summed (volumes)

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


def _sample(values: pd.Series, n: int = 200) -> pd.Series:
    return values.dropna().head(n)


def _looks_like_ip(values: pd.Series) -> float:
    sample = _sample(values)
    if sample.empty:
        return 0.0
    ok = 0
    for v in sample.astype(str):
        try:
            ipaddress.ip_address(v.strip())
            ok += 1
        except ValueError:
            pass
    return ok / len(sample)


def _looks_like_time(values: pd.Series) -> float:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return 1.0
    sample = _sample(values)
    if sample.empty:
        return 0.0
    if pd.api.types.is_numeric_dtype(sample.dtype):
        # Epoch seconds / milliseconds between 2000 and 2100.
        s = pd.to_numeric(sample, errors="coerce")
        in_range = ((s > 9.4e8) & (s < 4.2e9)) | ((s > 9.4e11) & (s < 4.2e12))
        return float(in_range.mean())
    return parse_timestamp_strings_quick([str(v) for v in sample])


def _looks_numeric(values: pd.Series) -> float:
    sample = _sample(values)
    if sample.empty:
        return 0.0
    if pd.api.types.is_bool_dtype(sample.dtype):
        return 0.0
    if pd.api.types.is_numeric_dtype(sample.dtype):
        return 1.0
    return float(pd.to_numeric(sample.astype(str).replace("-", "0"), errors="coerce").notna().mean())


def _looks_like_outcome(values: pd.Series) -> float:
    sample = _sample(values)
    if sample.empty:
        return 0.0
    if pd.api.types.is_bool_dtype(sample.dtype):
        return 1.0
    text = sample.astype(str).str.strip().str.lower()
    words = text.isin(_OUTCOME_WORDS)
    http = text.str.fullmatch(r"[1-5]\d\d")
    return float((words | http).mean())


def _looks_like_country(values: pd.Series) -> float:
    sample = _sample(values)
    if sample.empty or pd.api.types.is_numeric_dtype(sample.dtype):
        return 0.0
    return float(sample.astype(str).str.fullmatch(_COUNTRY_RE.pattern).mean())


def _filled_share(values: pd.Series) -> float:
    """Share of the head's rows with a value (not missing, not blank, not "-")."""
    if len(values) == 0:
        return 0.0
    if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
        text = values.astype(str).str.strip()
        return float((values.notna() & ~text.isin(["", "-", "nan", "None"])).mean())
    return float(values.notna().mean())


def _plausible_amounts(values: pd.Series) -> bool:
    """Records and bytes are whole, non-negative amounts of a plausible size: an account
    number (``recipientAccountId``, 12 digits) is a number, not a count."""
    sample = pd.to_numeric(
        _sample(values).astype(str).str.strip().replace("-", None), errors="coerce"
    ).dropna()
    if sample.empty:
        return True
    whole = bool((sample == sample.round()).all())
    return whole and bool((sample >= 0).all()) and float(sample.median()) < 1e9


def _value_check(role: str, values: pd.Series) -> tuple[float, str]:
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


def propose_mapping(head: pd.DataFrame) -> MappingProposal:
    """Propose a column for each role from the names and the first rows of ``head``.

    Each column is used for at most one role; roles are filled best match first.
    Value checks veto name matches that cannot be right (an ``ip`` column holding
    no addresses, a ``time`` column holding no dates).
    """
    scored: list[tuple[float, str, str, str]] = []
    candidates: dict[str, list[tuple[float, str]]] = {role: [] for role in ROLES}
    for role in ROLES:
        for column in head.columns:
            score, why = _name_score(role, str(column))
            if score == 0 and role not in ("timestamp", "source_ip"):
                continue  # only times and addresses are recognised by their values alone
            values = head[column]
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


def _all_fullmatch(values: pd.Series, pattern: str) -> bool:
    sample = _sample(values)
    return not sample.empty and bool(sample.astype(str).str.fullmatch(pattern).all())


def _join_date_and_time(head: pd.DataFrame, proposal: MappingProposal) -> None:
    """A date column alone would put every event at midnight: join it with a time column when there is one."""
    date_col = proposal.mapping.get("timestamp")
    if date_col is None or not _all_fullmatch(head[date_col], _DATE_ONLY):
        return
    for column in head.columns:
        if column != date_col and _all_fullmatch(head[column], _TIME_ONLY):
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
