"""Answer values: coerce() for every question type, and format_value()."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from workshop.core import yamlsource
from workshop.core.errors import AnswerError
from workshop.questionnaire import coerce, format_value, is_empty
from workshop.questionnaire.model import Column, Option, Question
from workshop.questionnaire.values import MAX_LONG_TEXT, MAX_ROWS, MAX_TEXT, format_time_window

OPTS = (Option("sso", "Single sign-on"), Option("local", "Local accounts"), Option("other", "Other"))
COLS = (
    Column("name", "Role", "text", required=True),
    Column("count", "People", "integer"),
    Column("share", "Share", "number"),
    Column("privileged", "Privileged", "boolean"),
    Column(
        "granted_by",
        "Granted by",
        "choice",
        options=(Option("it", "IT service desk"), Option("owner", "Owner")),
    ),
)


def Q(qtype: str, **kw: Any) -> Question:
    return Question("x.q", "Prompt?", qtype, "s", **kw)


def bad(question: Question, value: Any, fragment: str) -> None:
    with pytest.raises(AnswerError) as err:
        coerce(question, value)
    assert fragment in err.value.message
    assert err.value.message.startswith("x.q: ")  # names the question


# --- empty ------------------------------------------------------------------------------


@pytest.mark.parametrize("qtype", ["text", "long_text", "integer", "number", "boolean", "single_choice",
                                   "multi_choice", "time_window", "list", "tags", "date", "scale"])  # fmt: skip
@pytest.mark.parametrize("empty", [None, "", "   ", "\r\n\t", [], {}])
def test_empty_input_means_no_answer(qtype: str, empty: Any) -> None:
    q = Q(qtype, options=OPTS if "choice" in qtype else (), columns=COLS if qtype == "list" else ())
    assert coerce(q, empty) is None  # blank text is no answer, even in long text


def test_is_empty() -> None:
    assert is_empty(None) and is_empty("") and is_empty([]) and is_empty({})
    assert not is_empty(0) and not is_empty(False) and not is_empty(" ") and not is_empty([None])


# --- text ----------------------------------------------------------------------------------


def test_text_is_one_line_and_stripped() -> None:
    assert coerce(Q("text"), "  hello  ") == "hello"
    assert coerce(Q("text"), "line one\nline two\r\nthree") == "line one line two three"
    assert coerce(Q("text"), 42) == "42"


def test_long_text_keeps_newlines_and_spaces() -> None:
    text = "  indented\n\n- dash\n  trailing  "
    assert coerce(Q("long_text"), text) == text


def test_text_length_limits() -> None:
    assert coerce(Q("text"), "x" * MAX_TEXT) == "x" * MAX_TEXT
    bad(
        Q("text"),
        "x" * (MAX_TEXT + 1),
        f"text is {MAX_TEXT + 1:,} characters, over the limit of {MAX_TEXT:,}",
    )
    assert len(coerce(Q("long_text"), "y" * MAX_LONG_TEXT)) == MAX_LONG_TEXT
    bad(Q("long_text"), "y" * (MAX_LONG_TEXT + 1), "over the limit of 50,000")


def test_text_refuses_structures() -> None:
    bad(Q("text"), {"a": 1}, "expected text")
    bad(Q("long_text"), ["a"], "expected text")


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, 42), ("42", 42), (" 42 ", 42), ("1,234", 1234), ("1,234,567", 1234567), ("10_000", 10000),
     (3.0, 3), ("-5", -5), (0, 0)],
)  # fmt: skip
def test_integer_accepts(value: Any, expected: int) -> None:
    result = coerce(Q("integer"), value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(3.5, "expected a whole number, got 3.5"), ("3.5", "expected a whole number, got '3.5'"),
     ("lots", "expected a whole number, got 'lots'"), (True, "got yes/no"), (False, "got yes/no"),
     ("1e3", "expected a whole number"), ([1], "expected a whole number, got list")],
)  # fmt: skip
def test_integer_refuses(value: Any, fragment: str) -> None:
    bad(Q("integer"), value, fragment)


def test_integer_bounds() -> None:
    q = Q("integer", min=0, max=100)
    assert coerce(q, 0) == 0
    assert coerce(q, "100") == 100
    bad(q, -1, "-1 is below the minimum of 0")
    bad(q, "1,000", "1000 is above the maximum of 100")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, 1.5), ("1,234.5", 1234.5), ("2.0", 2), (7, 7), ("-0.25", -0.25), ("1e3", 1000)],
)
def test_number_accepts(value: Any, expected: float) -> None:
    assert coerce(Q("number"), value) == expected


def test_number_whole_floats_become_int() -> None:
    assert type(coerce(Q("number"), "2.0")) is int


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("nan", "expected a finite number"), ("inf", "expected a finite number"), (float("-inf"), "finite"),
     ("abc", "expected a number, got 'abc'"), (True, "got yes/no")],
)  # fmt: skip
def test_number_refuses(value: Any, fragment: str) -> None:
    bad(Q("number"), value, fragment)


def test_number_bounds() -> None:
    bad(Q("number", max=10), 10.5, "above the maximum of 10")
    bad(Q("number", min=0.5), 0.25, "below the minimum of 0.5")


# --- boolean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("yes", True), ("No", False), ("TRUE", True), ("false", False),
     ("y", True), ("n", False), ("on", True), ("off", False), ("1", True), ("0", False), (1, True), (0, False),
     (" Yes ", True)],
)  # fmt: skip
def test_boolean_accepts(value: Any, expected: bool) -> None:
    assert coerce(Q("boolean"), value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, -1, "si", 0.5])
def test_boolean_refuses(value: Any) -> None:
    bad(Q("boolean"), value, "expected yes or no")


# --- choices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("sso", "sso"), ("SSO", "sso"), ("Single sign-on", "sso"), ("single SIGN-ON", "sso"),
     (" local ", "local"), ("Local accounts", "local")],
)  # fmt: skip
def test_single_choice_by_value_label_or_case(value: str, expected: str) -> None:
    assert coerce(Q("single_choice", options=OPTS), value) == expected


def test_single_choice_refuses() -> None:
    q = Q("single_choice", options=OPTS)
    bad(q, "kerberos", "'kerberos' is not one of the options (sso, local, other)")
    bad(q, ["sso"], "expected one option")


def test_multi_choice_is_in_option_order_without_duplicates() -> None:
    q = Q("multi_choice", options=OPTS)
    assert coerce(q, ["other", "sso", "other", "Local accounts", "SSO"]) == ["sso", "local", "other"]
    assert coerce(q, "local") == ["local"]
    assert coerce(q, ("other",)) == ["other"]
    bad(q, ["sso", "nope"], "'nope' is not one of the options")


def test_numeric_option_values_from_yaml() -> None:
    q = Q("single_choice", options=(Option("1", "One"), Option("2", "Two")))
    assert coerce(q, 2) == "2"


# --- time windows ---------------------------------------------------------------------------------

TW = Q("time_window")


def test_time_window_canonical_form() -> None:
    value = {
        "days": ["fri", "mon", "Tuesday", "mon"],
        "start": "8:30",
        "end": "18:00",
        "timezone": "Europe/London",
    }
    assert coerce(TW, value) == {
        "days": ["mon", "tue", "fri"],
        "start": "08:30",
        "end": "18:00",
        "timezone": "Europe/London",
    }


def test_time_window_days_as_a_string() -> None:
    out = coerce(TW, {"days": "mon, tue wed,thu", "start": "08:00", "end": "17:00"})
    assert out["days"] == ["mon", "tue", "wed", "thu"]
    assert out["timezone"] == "UTC"  # default


def test_time_window_yaml_sexagesimal_minutes() -> None:
    # YAML 1.1 reads an unquoted 8:00 as 480 (minutes); it must come back as 08:00
    raw = yamlsource.load("{days: [mon], start: 8:00, end: 17:30}")
    assert raw["start"] == 480
    assert raw["end"] == 1050
    out = coerce(TW, raw)
    assert (out["start"], out["end"]) == ("08:00", "17:30")
    assert coerce(TW, {"days": ["mon"], "start": 480, "end": 1080})["end"] == "18:00"


def test_time_window_accepts_time_objects_and_24_00() -> None:
    out = coerce(TW, {"days": ["sat"], "start": dt.time(6, 5), "end": "24:00", "timezone": "utc"})
    assert out == {"days": ["sat"], "start": "06:05", "end": "24:00", "timezone": "UTC"}


def test_time_window_crossing_midnight_is_allowed() -> None:
    out = coerce(TW, {"days": ["mon"], "start": "22:00", "end": "06:00", "timezone": "Asia/Tokyo"})
    assert (out["start"], out["end"]) == ("22:00", "06:00")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"days": ["mon"], "start": "08:00", "end": "08:00"}, "start and end are the same time"),
        ({"days": ["mon"], "start": 480, "end": "08:00"}, "start and end are the same time"),
        (
            {"days": ["mon"], "start": "08:00", "end": "18:00", "timezone": "Mars/Olympus"},
            "unknown time zone 'Mars/Olympus'",
        ),
        ({"days": ["mon"], "timezone": "../../etc/passwd"}, "unknown time zone"),
        ({"days": ["mon"], "start": "25:00"}, "start must be a time like 08:30, got '25:00'"),
        ({"days": ["mon"], "end": "9am"}, "end must be a time like 08:30"),
        ({"days": ["mon"], "start": "08:60"}, "start must be a time"),
        ({"days": []}, "a time window needs at least one day"),
        ({"start": "08:00"}, "a time window needs at least one day"),
        ({"days": ["someday"]}, "unknown day 'someday'"),
        ({"days": ["mon"], "tz": "UTC"}, "unknown keys in time window: tz"),
        ("mon-fri 9-5", "expected days, start, end and timezone"),
    ],
)
def test_time_window_refuses(value: Any, fragment: str) -> None:
    bad(TW, value, fragment)


# --- lists ---------------------------------------------------------------------------------------

LQ = Q("list", columns=COLS)


def test_list_rows_are_coerced_per_column() -> None:
    rows = [
        {
            "name": " admin ",
            "count": "1,200",
            "share": "0.5",
            "privileged": "yes",
            "granted_by": "IT service desk",
        },
        {"name": "clerk", "privileged": False},
    ]
    assert coerce(LQ, rows) == [
        {"name": "admin", "count": 1200, "share": 0.5, "privileged": True, "granted_by": "it"},
        {"name": "clerk", "count": None, "share": None, "privileged": False, "granted_by": None},
    ]


def test_list_blank_rows_are_dropped() -> None:
    rows = [{}, {"name": "", "count": None}, {"name": "admin"}, {"name": "  ", "privileged": ""}]
    assert coerce(LQ, rows) == [
        {"name": "admin", "count": None, "share": None, "privileged": None, "granted_by": None}
    ]
    assert coerce(LQ, [{}, {"name": ""}]) is None


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([{"name": "a", "bogus": 1}], "row 1: unknown column(s) bogus"),
        ([{"name": "a"}, {"count": 3}], "row 2: Role is required"),
        ([{"name": "a", "count": "many"}], "row 1, count: expected a whole number, got 'many'"),
        ([{"name": "a", "privileged": "perhaps"}], "row 1, privileged: expected yes or no"),
        (
            [{"name": "a", "granted_by": "hr"}],
            "row 1, granted_by: 'hr' is not one of the options (it, owner)",
        ),
        (["just text"], "row 1: expected a mapping of column to value"),
        ({"name": "a"}, "expected a list of rows"),
        ([{"name": "a"}] * (MAX_ROWS + 1), f"{MAX_ROWS + 1} rows, over the limit of {MAX_ROWS}"),
    ],
)
def test_list_refuses(rows: Any, fragment: str) -> None:
    bad(LQ, rows, fragment)


# --- tags ---------------------------------------------------------------------------------------


def test_tags_from_list_or_text_deduplicated() -> None:
    assert coerce(Q("tags"), ["svc_backup", " svc_backup ", "", "svc_etl"]) == ["svc_backup", "svc_etl"]
    assert coerce(Q("tags"), "a, b\nc,,a") == ["a", "b", "c"]
    assert coerce(Q("tags"), [" ", ""]) is None


def test_tags_country_format() -> None:
    q = Q("tags", format="country")
    assert coerce(q, "gb, ie\nFR, gb") == ["GB", "IE", "FR"]
    bad(q, ["GBR"], "'GBR' is not a two-letter country code")
    bad(q, ["G1"], "is not a two-letter country code")


def test_tags_cidr_format_normalises() -> None:
    q = Q("tags", format="cidr")
    assert coerce(q, ["10.1.2.3/8", "192.168.0.0/24", "2001:db8::1/32", "10.0.0.0/8"]) == [
        "10.0.0.0/8",
        "192.168.0.0/24",
        "2001:db8::/32",
    ]
    bad(q, ["10.0.0.0/33"], "'10.0.0.0/33' is not a network")
    bad(q, ["intranet"], "is not a network")


def test_tags_ip_email_hostname_formats() -> None:
    assert coerce(Q("tags", format="ip"), ["10.0.0.1", "::1"]) == ["10.0.0.1", "::1"]
    bad(Q("tags", format="ip"), ["10.0.0"], "'10.0.0' is not an IP address")
    assert coerce(Q("tags", format="email"), ["soc@example.com"]) == ["soc@example.com"]
    bad(Q("tags", format="email"), ["not-an-email"], "is not an email address")
    assert coerce(Q("tags", format="hostname"), ["web-01.corp.example", "*.example.com"]) == [
        "web-01.corp.example",
        "*.example.com",
    ]
    bad(Q("tags", format="hostname"), ["bad host"], "'bad host' is not a host name")


def test_tags_limits() -> None:
    bad(Q("tags"), ["x" * 256], "value too long")
    bad(Q("tags"), [f"t{i}" for i in range(MAX_ROWS + 1)], "over the limit of 500")
    bad(Q("tags"), [["nested"]], "expected a list of short values")


# --- date and scale -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-03-31", "2026-03-31"), (dt.date(2026, 1, 2), "2026-01-02"),
     (dt.datetime(2026, 1, 2, 13, 45), "2026-01-02"), (" 2024-02-29 ", "2024-02-29")],
)  # fmt: skip
def test_date_accepts(value: Any, expected: str) -> None:
    assert coerce(Q("date"), value) == expected


@pytest.mark.parametrize("value", ["31/03/2026", "2026-02-30", "2025-02-29", "tomorrow", "2026-13-01"])
def test_date_refuses(value: str) -> None:
    bad(Q("date"), value, "expected a date like 2026-03-31")


def test_scale_default_bounds_one_to_five() -> None:
    q = Q("scale")
    assert [coerce(q, v) for v in (1, "3", 5.0)] == [1, 3, 5]
    bad(q, 0, "0 is outside the scale 1 to 5")
    bad(q, 6, "6 is outside the scale 1 to 5")
    bad(q, 2.5, "expected a whole number")


def test_scale_custom_bounds() -> None:
    q = Q("scale", min=0, max=10)
    assert coerce(q, 0) == 0
    assert coerce(q, 10) == 10
    bad(q, 11, "outside the scale 0 to 10")


# --- format_value ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        (Q("boolean"), True, "Yes"),
        (Q("boolean"), False, "No"),
        (Q("integer"), 0, "0"),
        (Q("integer", unit="records per day"), 5000, "5000 records per day"),
        (Q("number", unit="GB"), 1.5, "1.5 GB"),
        (Q("text", unit="ignored"), "x", "x"),
        (Q("single_choice", options=OPTS), "sso", "Single sign-on"),
        (Q("single_choice", options=OPTS), "retired", "retired"),  # an option since removed
        (Q("multi_choice", options=OPTS), ["sso", "local"], "Single sign-on, Local accounts"),
        (Q("tags"), ["GB", "IE"], "GB, IE"),
        (Q("date"), "2026-03-31", "2026-03-31"),
        (Q("text"), None, ""),
        (Q("multi_choice", options=OPTS), [], ""),
        (
            Q("time_window"),
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "08:00",
                "end": "18:00",
                "timezone": "Europe/London",
            },
            "Mon-Fri 08:00-18:00 (Europe/London)",
        ),
        (
            Q("time_window"),
            {"days": ["mon", "wed"], "start": "22:00", "end": "06:00", "timezone": "UTC"},
            "Mon, Wed 22:00-06:00 (UTC)",
        ),
        (
            Q("list", columns=COLS),
            [
                {"name": "admin", "count": 2, "share": None, "privileged": True, "granted_by": "it"},
                {"name": "clerk", "count": None, "share": None, "privileged": False, "granted_by": None},
            ],
            "Role: admin; People: 2; Privileged: yes; Granted by: IT service desk\nRole: clerk; Privileged: no",
        ),
    ],
)
def test_format_value(question: Question, value: Any, expected: str) -> None:
    assert format_value(question, value) == expected


def test_format_time_window_two_adjacent_days_are_listed() -> None:
    assert format_time_window(
        {"days": ["sat", "sun"], "start": "00:00", "end": "24:00", "timezone": "UTC"}
    ) == ("Sat, Sun 00:00-24:00 (UTC)")


def test_coerce_then_format_is_stable() -> None:
    q = Q("time_window")
    value = coerce(q, {"days": "mon tue wed", "start": 540, "end": "17:00", "timezone": "Europe/Paris"})
    assert format_value(q, value) == "Mon-Wed 09:00-17:00 (Europe/Paris)"
    assert coerce(q, value) == value  # canonical values are a fixed point


@pytest.mark.parametrize("days", [1, {"mon": True}, 2.5])
def test_time_window_days_of_the_wrong_shape(days: Any) -> None:
    bad(TW, {"days": days, "start": "08:00", "end": "09:00"}, "days must be a list such as [mon, tue]")
