"""What an answer of each question type may be, and how it reads back.

Answers arrive from widgets, from YAML files owners filled in, and from imports;
every path goes through :func:`coerce` so the store only ever holds values of the
declared shape. Empty input (``""``, ``[]``, ``None``) means "no answer".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from workshop.core.errors import AnswerError, InputError
from workshop.core.text import bad_character
from workshop.questionnaire.model import Column, Option, Question
from workshop.vocab import WEEKDAYS, month_days_text, parse_month_days, parse_weekdays

MAX_TEXT = 2_000
MAX_LONG_TEXT = 50_000
MAX_ROWS = 500
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_*]([A-Za-z0-9_*-]{0,62})(\.[A-Za-z0-9_*-]{1,63})*$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


def coerce(question: Question, value: Any) -> Any:
    """Return ``value`` in the canonical form for ``question``, or raise AnswerError."""
    if isinstance(value, str):
        # long text keeps its own spacing, but blank text is no answer in any type
        value = value.strip() if question.type != "long_text" else (value if value.strip() else "")
    if is_empty(value):
        return None
    fn = _COERCERS[question.type]
    try:
        return fn(question, value)
    except AnswerError as exc:
        raise AnswerError(f"{question.id}: {exc.message}") from None


def _text(q: Question, v: Any) -> str:
    if isinstance(v, (dict, list)):
        raise AnswerError("expected text")
    s = str(v)
    limit = MAX_LONG_TEXT if q.type == "long_text" else MAX_TEXT
    if len(s) > limit:
        raise AnswerError(f"text is {len(s):,} characters, over the limit of {limit:,}")
    if q.type == "text":
        s = " ".join(s.splitlines()).strip()
    _check_characters(s, multiline=q.type == "long_text")
    if q.type == "text" and q.format:
        s = _check_format(q.format, s)
    return s


def _check_characters(s: str, multiline: bool = False) -> None:
    """Refuse control characters (NUL, ESC, BEL...) and invisible or bidi controls: they would be
    written raw into exports and terminals."""
    bad = bad_character(s.replace("\t", " "), multiline=multiline)  # a tab is harmless in any answer
    if bad:
        raise AnswerError(f"text contains a control character {bad}")


def _int(q: Question | Column, v: Any) -> int:
    if isinstance(v, bool):
        raise AnswerError("expected a whole number, got yes/no")
    if isinstance(v, float):
        if not v.is_integer():
            raise AnswerError(f"expected a whole number, got {v}")
        v = int(v)
    if isinstance(v, str):
        try:
            v = int(v.replace(",", "").replace("_", ""))
        except ValueError:
            raise AnswerError(f"expected a whole number, got {v!r}") from None
    if not isinstance(v, int):
        raise AnswerError(f"expected a whole number, got {type(v).__name__}")
    _check_range(q, v)
    return v


def _number(q: Question | Column, v: Any) -> int | float:
    if isinstance(v, bool):
        raise AnswerError("expected a number, got yes/no")
    if isinstance(v, str):
        try:
            v = float(v.replace(",", "").replace("_", ""))
        except ValueError:
            raise AnswerError(f"expected a number, got {v!r}") from None
    if not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        raise AnswerError(f"expected a finite number, got {v!r}")
    _check_range(q, v)
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _check_range(q: Question | Column, v: float) -> None:
    lo = getattr(q, "min", None)
    hi = getattr(q, "max", None)
    if lo is not None and v < lo:
        raise AnswerError(f"{v} is below the minimum of {lo}")
    if hi is not None and v > hi:
        raise AnswerError(f"{v} is above the maximum of {hi}")


def _bool(q: Question | Column, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in _TRUE:
        return True
    if isinstance(v, str) and v.strip().lower() in _FALSE:
        return False
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise AnswerError(f"expected yes or no, got {v!r}")


def _choice_value(options: tuple[Option, ...], v: Any) -> str:
    s = str(v).strip()
    for opt in options:
        if s == opt.value:
            return opt.value
    for opt in options:  # accept a label, or a different case, from hand-filled forms
        if s.casefold() in (opt.value.casefold(), opt.label.casefold()):
            return opt.value
    allowed = ", ".join(o.value for o in options)
    raise AnswerError(f"{s!r} is not one of the options ({allowed})")


def _single(q: Question, v: Any) -> str:
    if isinstance(v, (list, dict)):
        raise AnswerError("expected one option")
    return _choice_value(q.options, v)


def _multi(q: Question, v: Any) -> list[str]:
    items = v if isinstance(v, (list, tuple)) else [v]
    out: list[str] = []
    for item in items:
        val = _choice_value(q.options, item)
        if val not in out:
            out.append(val)
    order = {o.value: i for i, o in enumerate(q.options)}
    return sorted(out, key=order.__getitem__)


def _time(s: Any, what: str) -> str:
    if isinstance(s, dt.time):
        return s.strftime("%H:%M")
    if isinstance(s, int) and 0 <= s <= 24 * 60:  # YAML reads 08:00 as sexagesimal minutes
        return f"{s // 60:02d}:{s % 60:02d}"
    text = str(s).strip()
    m = _TIME_RE.match(text)
    if not m:
        raise AnswerError(f"{what} must be a time like 08:30, got {text!r}")
    if text == "24:00":
        return text
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def check_timezone(name: Any) -> str:
    text = str(name).strip()
    if text.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise AnswerError(f"unknown time zone {text!r} (use an IANA name such as Europe/London)") from None
    return text


def _time_window(q: Question, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise AnswerError("expected days, start, end and timezone")
    unknown = set(v) - {"days", "start", "end", "timezone"}
    if unknown:
        raise AnswerError(f"unknown keys in time window: {', '.join(sorted(map(str, unknown)))}")
    days_in = v.get("days") or []
    if isinstance(days_in, str):
        days_in = [d for d in re.split(r"[,\s]+", days_in) if d]
    if not isinstance(days_in, (list, tuple)):
        raise AnswerError(f"days must be a list such as [mon, tue], got {days_in!r}")
    days: list[str] = []
    for d in days_in:
        key = str(d).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise AnswerError(f"unknown day {d!r} (use mon, tue, wed, thu, fri, sat, sun)")
        if key not in days:
            days.append(key)
    if not days:
        raise AnswerError("a time window needs at least one day")
    start = _time(v.get("start", "00:00"), "start")
    end = _time(v.get("end", "24:00"), "end")
    if start == end:
        raise AnswerError("start and end are the same time")
    tz = check_timezone(v.get("timezone") or "UTC")
    return {"days": sorted(days, key=WEEKDAYS.index), "start": start, "end": end, "timezone": tz}


def _column_value(col: Column, v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
    if is_empty(v):
        return None
    if col.type == "text" and col.format:
        return _column_format(col.format, v)
    if col.type == "text":
        return _text(Question(col.id, col.label, "text", ""), v)
    if col.type == "integer":
        return _int(col, v)
    if col.type == "number":
        return _number(col, v)
    if col.type == "boolean":
        return _bool(col, v)
    return _choice_value(col.options, v)


def _column_format(fmt: str, v: Any) -> str:
    """Days of the month or weekdays, checked and written the one way the rules read them."""
    try:
        if fmt == "month_days":
            return month_days_text(parse_month_days(v))
        return ", ".join(parse_weekdays(v))
    except InputError as exc:
        raise AnswerError(exc.message) from None


def _list(q: Question, v: Any) -> list[dict[str, Any]]:
    if not isinstance(v, list):
        raise AnswerError("expected a list of rows")
    if len(v) > MAX_ROWS:
        raise AnswerError(f"{len(v)} rows, over the limit of {MAX_ROWS}")
    ids = {c.id for c in q.columns}
    rows: list[dict[str, Any]] = []
    for n, row in enumerate(v, start=1):
        if not isinstance(row, dict):
            raise AnswerError(f"row {n}: expected a mapping of column to value")
        extra = set(row) - ids
        if extra:
            raise AnswerError(f"row {n}: unknown column(s) {', '.join(sorted(map(str, extra)))}")
        out: dict[str, Any] = {}
        for col in q.columns:
            try:
                out[col.id] = _column_value(col, row.get(col.id))
            except AnswerError as exc:
                raise AnswerError(f"row {n}, {col.id}: {exc.message}") from None
        if all(is_empty(x) for x in out.values()):
            continue  # a blank row left over in an editable table
        for col in q.columns:
            if col.required and is_empty(out[col.id]):
                raise AnswerError(f"row {n}: {col.label} is required")
        rows.append(out)
    return rows or None  # type: ignore[return-value]


def _tags(q: Question, v: Any) -> list[str]:
    items = v if isinstance(v, (list, tuple)) else re.split(r"[,\n]+", str(v))
    out: list[str] = []
    for item in items:
        if isinstance(item, (dict, list)):
            raise AnswerError("expected a list of short values")
        s = str(item).strip()
        if not s:
            continue
        _check_characters(s)
        s = _check_format(q.format, s)
        if s not in out:
            out.append(s)
    if len(out) > MAX_ROWS:
        raise AnswerError(f"{len(out)} values, over the limit of {MAX_ROWS}")
    return out or None  # type: ignore[return-value]


def _check_format(fmt: str, s: str) -> str:
    if len(s) > 255:
        raise AnswerError(f"value too long: {s[:40]!r}...")
    if fmt == "country":
        s = s.upper()
        if not _COUNTRY_RE.match(s):
            raise AnswerError(f"{s!r} is not a two-letter country code (ISO 3166, e.g. GB)")
    elif fmt == "cidr":
        net, _, label = s.partition(" ")
        try:
            net = str(ipaddress.ip_network(net, strict=False))
        except ValueError:
            raise AnswerError(
                f"{s!r} is not a network (use CIDR such as 10.0.0.0/8, optionally with a label: "
                "10.20.0.0/16 office)"
            ) from None
        label = " ".join(label.split())
        s = f"{net} {label}" if label else net
    elif fmt == "ip":
        try:
            s = str(ipaddress.ip_address(s))
        except ValueError:
            raise AnswerError(f"{s!r} is not an IP address") from None
    elif fmt == "timezone":
        s = check_timezone(s)
    elif fmt == "email" and not _EMAIL_RE.match(s):
        raise AnswerError(f"{s!r} is not an email address")
    elif fmt == "hostname" and not _HOST_RE.match(s):
        raise AnswerError(f"{s!r} is not a host name")
    return s


def network_of(entry: Any) -> str:
    """The network part of a network answer: '10.20.0.0/16 office' -> '10.20.0.0/16'.

    Network answers may carry a label after the range (the owners name their ranges);
    code that needs the range itself reads it through here."""
    return str(entry).strip().split(" ", 1)[0] if entry is not None else ""


def _date(q: Question, v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    try:
        return dt.date.fromisoformat(str(v).strip()).isoformat()
    except ValueError:
        raise AnswerError(f"expected a date like 2026-03-31, got {v!r}") from None


def _scale(q: Question, v: Any) -> int:
    lo = int(q.min if q.min is not None else 1)
    hi = int(q.max if q.max is not None else 5)
    n = _int(Question(q.id, q.prompt, "integer", q.section), v)
    if not lo <= n <= hi:
        raise AnswerError(f"{n} is outside the scale {lo} to {hi}")
    return n


_COERCERS = {
    "text": _text,
    "long_text": _text,
    "integer": _int,
    "number": _number,
    "boolean": _bool,
    "single_choice": _single,
    "multi_choice": _multi,
    "time_window": _time_window,
    "list": _list,
    "tags": _tags,
    "date": _date,
    "scale": _scale,
}


def format_value(question: Question, value: Any) -> str:
    """A person-readable rendering of an answer (plain text, not escaped)."""
    if is_empty(value):
        return ""
    t = question.type
    if t == "boolean":
        return "Yes" if value else "No"
    if t == "single_choice":
        return question.label_of(value)
    if t == "multi_choice":
        return ", ".join(question.label_of(v) for v in value)
    if t == "tags":
        return ", ".join(map(str, value))
    if t == "time_window":
        return format_time_window(value)
    if t == "list":
        parts = []
        for row in value:
            cells = [
                f"{c.label}: {_cell(c, row.get(c.id))}"
                for c in question.columns
                if not is_empty(row.get(c.id))
            ]
            parts.append("; ".join(cells))
        return "\n".join(parts)
    unit = f" {question.unit}" if question.unit and t in ("integer", "number") else ""
    return f"{value}{unit}"


def _cell(col: Column, v: Any) -> str:
    if col.type == "boolean":
        return "yes" if v else "no"
    if col.type == "choice":
        for o in col.options:
            if o.value == v:
                return o.label
    return str(v)


def format_time_window(value: dict[str, Any]) -> str:
    days = value.get("days") or []
    idx = [WEEKDAYS.index(d) for d in days]
    if idx and idx == list(range(idx[0], idx[0] + len(idx))) and len(idx) > 2:
        day_text = f"{days[0].capitalize()}-{days[-1].capitalize()}"
    else:
        day_text = ", ".join(d.capitalize() for d in days)
    return f"{day_text} {value.get('start')}-{value.get('end')} ({value.get('timezone')})"


def common_timezones() -> list[str]:
    """IANA zone names for pickers, UTC first."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ["UTC", *zones]
