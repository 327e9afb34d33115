"""The project's shared vocabulary: one home for each word that several layers use.

A status, a priority, a log role or a weekday is spelled here once. Everything else
imports it, so that a new status or role is added in one place and a typo fails at
import time instead of silently matching nothing. The enums are ``StrEnum``: they
compare equal to the plain strings kept in the database and in YAML, so rows and
files need no conversion.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workshop.core.errors import InputError

if TYPE_CHECKING:  # numpy is only needed by the baseline engine's vectorised checks
    import numpy as np


# --------------------------------------------------------------------------- use-case lifecycle


class Status(StrEnum):
    """Where a use case stands. Only implemented and tested rules watch anything."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"
    TESTED = "tested"
    RETIRED = "retired"


STATUSES: tuple[str, ...] = tuple(Status)
#: Moves a person may make; anything else is refused with the allowed moves.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PROPOSED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset({Status.IMPLEMENTED, Status.REJECTED, Status.PROPOSED, Status.RETIRED}),
    Status.IMPLEMENTED: frozenset({Status.TESTED, Status.ACCEPTED, Status.RETIRED}),
    Status.TESTED: frozenset({Status.IMPLEMENTED, Status.RETIRED}),
    Status.REJECTED: frozenset({Status.PROPOSED, Status.ACCEPTED}),
    Status.RETIRED: frozenset({Status.PROPOSED}),
}
#: Use cases someone decided to build: they get documents, rules and exports.
ADOPTED: frozenset[str] = frozenset({Status.ACCEPTED, Status.IMPLEMENTED, Status.TESTED})
#: Use cases that watch in the SIEM today: the only ones that count as coverage.
LIVE: frozenset[str] = frozenset({Status.IMPLEMENTED, Status.TESTED})
#: Use cases nobody will build: they never appear as coverage or ideas taken.
DROPPED: frozenset[str] = frozenset({Status.REJECTED, Status.RETIRED})


class Priority(StrEnum):
    """Alert priority, lowest first (the order matters: rules only ever raise it)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


PRIORITIES: tuple[str, ...] = tuple(Priority)


def priority_rank(level: str) -> int:
    return PRIORITIES.index(level)


class Criticality(StrEnum):
    """How much the business depends on an application; sets the review interval."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


CRITICALITIES: tuple[str, ...] = tuple(Criticality)


class LogicType(StrEnum):
    """How a use case decides that something is an alert."""

    SINGLE = "single"  # every matching event is an alert
    THRESHOLD = "threshold"  # count of events per group within a window
    DISTINCT = "distinct"  # count of distinct values of a field per group within a window
    SUM = "sum"  # sum of a numeric field per group within a window
    SEQUENCE = "sequence"  # events in order within a window (temporal_ordered)
    NEW_VALUE = "new_value"  # a value not seen for this group in the lookback period
    OUTSIDE_WINDOW = "outside_window"  # events outside a time window (business hours, change windows)
    SILENCE = "silence"  # fewer events than expected: logging stopped


LOGIC_TYPES: tuple[str, ...] = tuple(LogicType)


class LogRole(StrEnum):
    """The part a log field plays, whatever the application calls it."""

    TIMESTAMP = "timestamp"
    USER = "user"
    ACTION = "action"
    OUTCOME = "outcome"
    SOURCE_IP = "source_ip"
    OBJECT = "object"
    RECORDS = "records"
    BYTES = "bytes"
    SESSION = "session"
    COUNTRY = "country"
    HOST = "host"
    #: A money value (payment, transfer): amount bands and sums (issue 15).
    AMOUNT = "amount"
    #: The name of a report, export or other named object: what was exported or viewed.
    REPORT = "report"
    #: The account acted upon (created, granted, reset), as opposed to the acting user.
    TARGET_USER = "target_user"
    #: A new bank account written to a record (payee, employee): the payment fraud pivot.
    BANK_ACCOUNT = "bank_account"
    #: The id of the item a workflow creates and then approves (a payment, a payroll run, a
    #: request), the same in both events: segregation of duties is checked per item.
    ITEM = "item"
    #: The requested URL (path and query string) of a web access log: injection and scanner patterns.
    URL = "url"
    #: The client's user agent in a web access log: attack tools name themselves there.
    USER_AGENT = "user_agent"
    #: The HTTP status code of the response (401, 403, 404...) in a web access log.
    HTTP_STATUS = "http_status"


LOG_ROLES: tuple[str, ...] = tuple(LogRole)
#: Roles the baseline engine reads from a sample (object and host are rule-only so far).
BASELINE_ROLES: tuple[str, ...] = (
    LogRole.TIMESTAMP, LogRole.USER, LogRole.ACTION, LogRole.OUTCOME, LogRole.SOURCE_IP,
    LogRole.RECORDS, LogRole.BYTES, LogRole.SESSION, LogRole.COUNTRY,
)  # fmt: skip

#: Roles whose values are numbers to sum (volumes), not labels.
NUMERIC_ROLES: tuple[str, ...] = (LogRole.RECORDS, LogRole.BYTES, LogRole.AMOUNT)


# --------------------------------------------------------------------------- durations

DURATION_RE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def is_duration(value: object) -> bool:
    """``15m``, ``1h``, ``30d``: the one duration syntax of templates, parameters and rules."""
    return isinstance(value, str) and DURATION_RE.match(value) is not None


def duration_seconds(value: str) -> int:
    m = DURATION_RE.match(str(value))
    if not m:
        raise InputError(f"'{value}' is not a duration such as 15m, 1h or 30d")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def duration_parts(value: str) -> tuple[int, str]:
    """``("15", "m")`` style split, for SIEM syntaxes that spell units their own way."""
    m = DURATION_RE.match(str(value))
    if not m:
        raise InputError(f"'{value}' is not a duration such as 15m, 1h or 30d")
    return int(m.group(1)), m.group(2)


def duration_delta(value: str) -> dt.timedelta:
    return dt.timedelta(seconds=duration_seconds(value))


# --------------------------------------------------------------------------- weekdays and windows

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKING_DAYS: tuple[str, ...] = WEEKDAYS[:5]
_DAY_NAMES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def day_index(text: str) -> int:
    key = str(text).strip().lower()
    if key in _DAY_NAMES:
        return _DAY_NAMES[key]
    if key[:3] in _DAY_NAMES:
        return _DAY_NAMES[key[:3]]
    raise InputError(f"unknown day '{text}'; use mon, tue, wed, thu, fri, sat, sun")


def clock_minutes(value: str) -> int:
    """Minutes after midnight of ``HH:MM`` (``24:00`` is the end of the day)."""
    m = _HHMM.fullmatch(str(value).strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and m.group(2) != "00"):
        raise InputError(f"time '{value}' is not HH:MM")
    return int(m.group(1)) * 60 + int(m.group(2))


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone '{name}'; use an IANA name such as Europe/London or UTC"
        ) from exc
    return name


@dataclass(frozen=True)
class TimeWindow:
    """A weekly window: days, start and end on the local clock, and a zone.

    Business hours, change windows and a job's schedule are all this one type. A
    window whose end is not after its start (``22:00``-``06:00``) runs over midnight
    and belongs to the day it starts on. ``timezone`` None means "the zone of whatever
    reads it" (a baseline's declared zone).
    """

    days: tuple[str, ...] = WORKING_DAYS
    start: str = "08:00"
    end: str = "18:00"
    timezone: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        days = tuple(str(d).strip().lower()[:3] for d in self.days)
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise InputError(f"unknown day(s) {', '.join(bad)}; use mon, tue, wed, thu, fri, sat, sun")
        object.__setattr__(self, "days", tuple(d for d in WEEKDAYS if d in days))
        clock_minutes(self.start)
        clock_minutes(self.end)
        if self.timezone:
            check_timezone(self.timezone)

    # ----------------------------------------------------------------- construction

    @classmethod
    def parse(cls, text: str, timezone: str | None = None, label: str = "") -> TimeWindow:
        """``"mon-fri 08:00-18:00"`` or ``"mon,tue,sat 09:00-17:30"``."""
        m = re.fullmatch(r"\s*([a-zA-Z,\-]+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", text or "")
        if not m:
            raise InputError(f"time window '{text}' not understood; write e.g. 'mon-fri 08:00-18:00'")
        days: list[str] = []
        for part in m.group(1).lower().split(","):
            if "-" in part:
                a, _, b = part.partition("-")
                ia, ib = day_index(a), day_index(b)
                span = range(ia, ib + 1) if ia <= ib else [*range(ia, 7), *range(0, ib + 1)]
                days.extend(WEEKDAYS[i] for i in span)
            elif part:
                days.append(WEEKDAYS[day_index(part)])
        return cls(days=tuple(days), start=m.group(2), end=m.group(3), timezone=timezone, label=label)

    @classmethod
    def from_answer(cls, value: Mapping[str, Any], label: str = "") -> TimeWindow:
        """From an interview ``time_window`` answer (days, start, end, timezone); defaults fill gaps."""
        return cls(
            days=tuple(value.get("days") or WORKING_DAYS),
            start=str(value.get("start") or "08:00"),
            end=str(value.get("end") or "18:00"),
            timezone=value.get("timezone") or None,
            label=label,
        )

    @classmethod
    def from_value(cls, label: str, value: Any, default_zone: str = "UTC") -> TimeWindow | None:
        """A window from a stored value, or None where the value is not a complete window.

        Rules need a window that was really given (no defaulted days), so unlike
        :meth:`from_answer` nothing is filled in except the zone.
        """
        if not isinstance(value, Mapping):
            return None
        days = tuple(d for d in (str(x).lower()[:3] for x in value.get("days") or []) if d in WEEKDAYS)
        if not days:
            return None
        try:
            return cls(days, str(value.get("start") or "00:00"), str(value.get("end") or "24:00"),
                       str(value.get("timezone") or default_zone), label)  # fmt: skip
        except InputError:
            return None

    from_dict = from_answer

    # ----------------------------------------------------------------- reading

    @property
    def start_minute(self) -> int:
        return clock_minutes(self.start)

    @property
    def end_minute(self) -> int:
        return clock_minutes(self.end)

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    @property
    def zone(self) -> str:
        return self.timezone or "UTC"

    def contains(self, when: dt.datetime) -> bool:
        """Whether an aware instant falls inside the window, on the window's clock."""
        local = when.astimezone(ZoneInfo(self.zone))
        minute = local.hour * 60 + local.minute
        day, prev = WEEKDAYS[local.weekday()], WEEKDAYS[(local.weekday() - 1) % 7]
        if not self.overnight:
            return day in self.days and self.start_minute <= minute < self.end_minute
        return (day in self.days and minute >= self.start_minute) or (prev in self.days and minute < self.end_minute)

    def contains_local(self, weekday: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """Vectorised test on local (weekday 0=Monday, minute of day) pairs.

        The day test applies to the day the event falls on (the baseline engine's
        long-standing convention for overnight business hours).
        """
        import numpy as np

        day_ok = np.isin(weekday, [WEEKDAYS.index(d) for d in self.days])
        s, e = self.start_minute, self.end_minute
        time_ok = (minute >= s) & (minute < e) if s <= e else (minute >= s) | (minute < e)
        return day_ok & time_ok

    def hour_weights(self) -> np.ndarray:
        """7x24 share of each clock hour inside the window (for hourly counts)."""
        import numpy as np

        minutes = np.arange(1440)
        weights = np.zeros((7, 24))
        for w in range(7):
            weights[w] = self.contains_local(np.full(1440, w), minutes).reshape(24, 60).mean(axis=1)
        return weights

    # ----------------------------------------------------------------- writing

    def describe(self) -> str:
        days = "Mon-Fri" if self.days == WORKING_DAYS else ",".join(self.days)
        zone = f" {self.timezone}" if self.timezone else ""
        return f"{days} {self.start}-{self.end}{zone}"

    def text(self) -> str:
        return f"{', '.join(d.capitalize() for d in self.days)} {self.start}-{self.end} ({self.zone})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"days": list(self.days), "start": self.start, "end": self.end,
                               "timezone": self.timezone}  # fmt: skip
        if self.label:
            out["label"] = self.label
        return out


def days_text(days: Iterable[str]) -> str:
    return ", ".join(d.capitalize() for d in days)


# --------------------------------------------------------------------------- known peaks


def parse_month_days(text: Any) -> tuple[int, ...]:
    """``"18-25, 28"`` as (18, ..., 25, 28): days of the month, each 1 to 31."""
    days: list[int] = []
    for part in re.split(r"[,;\s]+", str(text or "").strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", part)
        lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
        if not m or not 1 <= lo <= hi <= 31:
            raise InputError(f"days of the month '{text}' not understood; write e.g. '18-25, 28' (1 to 31)")
        days.extend(range(lo, hi + 1))
    return tuple(sorted(set(days)))


def parse_weekdays(text: Any) -> tuple[str, ...]:
    """``"mon, fri"`` or ``"mon-wed"`` as weekday codes, in week order."""
    days: set[str] = set()
    for part in re.split(r"[,;\s]+", str(text or "").strip().lower()):
        if "-" in part:
            a, _, b = part.partition("-")
            ia, ib = day_index(a), day_index(b)
            days.update(WEEKDAYS[i % 7] for i in range(ia, ib + 1 if ia <= ib else ib + 8))
        elif part:
            days.add(WEEKDAYS[day_index(part)])
    return tuple(d for d in WEEKDAYS if d in days)


@dataclass(frozen=True)
class KnownPeak:
    """A planned busy period the owners named: on these days of the month and/or weekdays,
    activity is ``factor`` times the normal. Volume rules raise their threshold by the
    factor on those days instead of suppressing them (an attacker at month-end still counts)."""

    what: str
    month_days: tuple[int, ...] = ()
    weekdays: tuple[str, ...] = ()
    factor: float = 1.0

    def __post_init__(self) -> None:
        days = tuple(str(d).strip().lower()[:3] for d in self.weekdays)
        if any(d not in WEEKDAYS for d in days) or any(not 1 <= int(d) <= 31 for d in self.month_days):
            raise InputError(f"the peak '{self.what}' names a day that does not exist")
        object.__setattr__(self, "weekdays", tuple(d for d in WEEKDAYS if d in days))
        object.__setattr__(self, "month_days", tuple(sorted({int(d) for d in self.month_days})))
        if not self.month_days and not self.weekdays:
            raise InputError(f"the peak '{self.what}' names no day of the month and no weekday")
        if not self.factor > 1:
            raise InputError(
                f"the peak '{self.what}' must be busier than normal (a factor above 1, not {self.factor})"
            )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> KnownPeak:
        """From a row of the interview's peaks table (what, month_days, weekdays, factor)."""
        factor = row.get("factor")
        try:
            number = float(str(factor).strip().lower().lstrip("x×").rstrip("x×").strip())
        except ValueError as exc:
            raise InputError(
                f"the peak '{row.get('what')}': factor '{factor}' is not a number such as 2"
            ) from exc
        return cls(str(row.get("what") or "").strip(), parse_month_days(row.get("month_days")),
                   parse_weekdays(row.get("weekdays")), number)  # fmt: skip

    def threshold(self, normal: float, whole: bool = True) -> int | float:
        """The threshold on this peak's days: the normal one times the factor (rounded up
        where events are counted, so a count never has to reach a fraction)."""
        value = float(normal) * self.factor
        return math.ceil(value) if whole or value.is_integer() else value

    def on(self, day: dt.date) -> bool:
        return day.day in self.month_days or WEEKDAYS[day.weekday()] in self.weekdays

    def days_text(self) -> str:
        parts = []
        if self.month_days:
            parts.append("days " + month_days_text(self.month_days) + " of the month")
        if self.weekdays:
            parts.append(days_text(self.weekdays))
        return " and ".join(parts)

    def text(self) -> str:
        return f"{self.what or 'peak'}: {self.days_text()}, threshold x{self.factor:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "month_days": list(self.month_days), "weekdays": list(self.weekdays),
                "factor": self.factor}  # fmt: skip


def month_days_text(numbers: Iterable[int]) -> str:
    """``1, 2, 3, 5`` as ``1-3, 5``."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
