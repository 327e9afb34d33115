"""The ``when`` expression language: parsing, precedence, null semantics, safety."""

from __future__ import annotations

import re

import pytest

from workshop.core.conditions import MAX_DEPTH, Condition, Context, compare, tokenize
from workshop.core.errors import ConditionError, Location


def ev(text: str, values: dict | None = None, unknown: tuple[str, ...] = ()) -> bool:
    return Condition.parse(text).evaluate(values or {}, unknown)


# --- precedence and grouping ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # and binds tighter than or: true or (false and false)
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("false and false or true", True),
        ("false and (false or true)", False),
        # not binds tighter than and: (not false) and false
        ("not false and false", False),
        ("not (false and false)", True),
        ("not true or true", True),
        ("not (true or true)", False),
        ("not not true", True),
        ("((true))", True),
        ("true and true and false", False),
        ("false or false or true", True),
    ],
)
def test_precedence_not_and_or(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_and_or_build_flat_nodes_and_list_names() -> None:
    cond = Condition.parse("a.x == 1 or (b.y > 2 and not c.z) or count(d.w) > 0")
    assert cond.names == frozenset({"a.x", "b.y", "c.z", "d.w"})
    assert str(cond) == "a.x == 1 or (b.y > 2 and not c.z) or count(d.w) > 0"


# --- comparisons ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("x == 3", {"x": 3}, True),
        ("x == 3", {"x": 3.0}, True),
        ("x == 3.5", {"x": 3.5}, True),
        ("x != 3", {"x": 4}, True),
        ("x > 3", {"x": 10}, True),
        ("x > 3", {"x": 2}, False),
        ("x >= 3", {"x": 3}, True),
        ("x <= 3", {"x": 3}, True),
        ("x < 3", {"x": 3}, False),
        ("x > -1", {"x": 0}, True),
        # numbers and strings never order against each other, and are not equal
        ("x > 3", {"x": "10"}, False),
        ("x < 3", {"x": "1"}, False),
        ("x == 10", {"x": "10"}, False),
        ("x != 10", {"x": "10"}, True),
        # strings order as strings (lexicographically: "10" < "9")
        ("x < '9'", {"x": "10"}, True),
        # booleans
        ("x == true", {"x": True}, True),
        ("x == false", {"x": False}, True),
        ("x == true", {"x": False}, False),
        ("x", {"x": False}, False),
        ("x", {"x": True}, True),
        ("not x", {"x": False}, True),
        # case-insensitive string equality, both quote styles
        ("x == 'ALL'", {"x": "all"}, True),
        ('x == "All"', {"x": "aLL"}, True),
        ("x != 'ALL'", {"x": "all"}, False),
        ("lower(x) == 'abc'", {"x": "ABC"}, True),
        # escapes inside strings
        (r"x == 'it\'s'", {"x": "it's"}, True),
        (r'x == "a\nb"', {"x": "a\nb"}, True),
    ],
)
def test_comparisons(text: str, values: dict, expected: bool) -> None:
    assert ev(text, values) is expected


def test_boolean_is_not_a_number_in_ordering() -> None:
    assert ev("x > 0", {"x": True}) is False
    assert compare("<", None, 1) is False
    assert compare(">", [1], 0) is False


# --- membership -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("'local' in x", {"x": ["sso", "local"]}, True),
        ("'LOCAL' in x", {"x": ["sso", "local"]}, True),
        ("'other' in x", {"x": ["sso", "local"]}, False),
        ("'other' not in x", {"x": ["sso", "local"]}, True),
        ("'sso' not in x", {"x": ["sso", "local"]}, False),
        # a multi-choice on the left: true when ANY chosen value is in the list
        ("x in ['b', 'c']", {"x": ["a", "b"]}, True),
        ("x in ['c', 'd']", {"x": ["a", "b"]}, False),
        ("x not in ['c', 'd']", {"x": ["a", "b"]}, True),
        ("x not in ['b']", {"x": ["a", "b"]}, False),
        # single value in a literal list
        ("x in ['confidential', 'restricted']", {"x": "Restricted"}, True),
        ("x in ['confidential', 'restricted']", {"x": "public"}, False),
        ("x in [1, 2, 3]", {"x": 2}, True),
        # contains: list or substring
        ("x contains 'B'", {"x": ["a", "b"]}, True),
        ("x contains 'z'", {"x": ["a", "b"]}, False),
        ("x contains 'word'", {"x": "a sentence with a WORD in it"}, True),
        ("x contains 'nope'", {"x": "a sentence"}, False),
        ("x contains 3", {"x": "a 3"}, False),  # a number is never a substring
        # mapping membership is by key
        ("'start' in x", {"x": {"start": "08:00"}}, True),
        ("'end' in x", {"x": {"start": "08:00"}}, False),
        # empty list literal
        ("x in []", {"x": "a"}, False),
    ],
)
def test_membership(text: str, values: dict, expected: bool) -> None:
    assert ev(text, values) is expected


# --- unanswered = null ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x > 3", False),
        ("x < 3", False),
        ("x >= 0", False),
        ("x <= 0", False),
        ("x == null", True),
        ("x != null", False),
        ("x == 3", False),
        ("'a' in x", False),
        ("x in ['a']", False),
        ("x contains 'a'", False),
        ("answered(x)", False),
        ("not answered(x)", True),
        ("unknown(x)", False),
        ("count(x) == 0", True),
        ("x", False),
        ("not x", True),
        ("any(x)", False),
        ("all(x)", False),
    ],
)
def test_unanswered_is_null(text: str, expected: bool) -> None:
    assert ev(text, {}) is expected


@pytest.mark.parametrize("empty", ["", [], {}, None])
def test_empty_answers_are_not_answered(empty) -> None:
    assert ev("answered(x)", {"x": empty}) is False


@pytest.mark.parametrize("given", [0, False, "no", ["a"], {"k": 1}])
def test_zero_and_false_count_as_answered(given) -> None:
    assert ev("answered(x)", {"x": given}) is True


def test_unknown_reads_as_null_but_is_distinguishable() -> None:
    values = {"x": 5, "y": 5}
    assert ev("unknown(x)", values, ("x",)) is True
    assert ev("unknown(y)", values, ("x",)) is False
    assert ev("answered(x)", values, ("x",)) is False
    assert ev("x == 5", values, ("x",)) is False
    assert ev("x == null", values, ("x",)) is True
    assert ev("y == 5", values, ("x",)) is True
    ctx = Context(values, {"x"})
    assert Condition.parse("x > 1").evaluate(ctx) is False
    assert Condition.parse("y > 1").evaluate(ctx) is True


# --- functions ----------------------------------------------------------------------


ROLES = [
    {"name": "admin", "count": 2, "privileged": True},
    {"name": "clerk", "count": 40, "privileged": False},
]


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("count(x) == 2", {"x": ["a", "b"]}, True),
        ("count(x) > 2", {"x": ["a", "b"]}, False),
        ("count(x) == 1", {"x": "scalar"}, True),
        ("count(x) == 2", {"x": {"a": 1, "b": 2}}, True),
        ("count(r) == 2", {"r": ROLES}, True),
        ("any(field(r, 'privileged'))", {"r": ROLES}, True),
        ("all(field(r, 'privileged'))", {"r": ROLES}, False),
        ("all(field(r, 'name'))", {"r": ROLES}, True),
        ("any(field(r, 'privileged'))", {"r": [{"privileged": False}]}, False),
        ("'admin' in field(r, 'name')", {"r": ROLES}, True),
        ("'auditor' in field(r, 'name')", {"r": ROLES}, False),
        ("count(field(r, 'name')) == 2", {"r": ROLES}, True),
        ("field(w, 'start') == '08:00'", {"w": {"start": "08:00", "end": "18:00"}}, True),
        ("field(w, 'missing') == null", {"w": {"start": "08:00"}}, True),
        ("field(w, 'start') == null", {"w": "not a mapping"}, True),
        ("all(x)", {"x": []}, False),
        ("any(x)", {"x": []}, False),
        ("any(x)", {"x": [0, "", 1]}, True),
        ("all(x)", {"x": [1, "a", True]}, True),
        ("any(x)", {"x": True}, True),
        ("lower(x) == 'mixed'", {"x": "MiXeD"}, True),
        ("lower(x) == 3", {"x": 3}, True),
    ],
)
def test_functions(text: str, values: dict, expected: bool) -> None:
    assert ev(text, values) is expected


# --- errors ------------------------------------------------------------------------


def _column(message: str) -> int:
    m = re.search(r"at column (\d+)", message)
    assert m, message
    return int(m.group(1))


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x ==", 5, "expected a value or answer id, found end of condition"),
        ("x == == 1", 6, "expected a value or answer id"),
        ("x; y", 2, "unexpected character ';'"),
        ("a = 1", 3, "unexpected character '='"),
        ("x == 1 y", 8, "unexpected 'y'"),
        ("(x == 1", 8, "expected ')'"),
        ("[1, 2", 6, "expected ']'"),
        ("x == 1 == 2", 8, "chained comparisons are not allowed"),
        ("x == 'unterminated", 6, "unexpected character"),
        ("and x", 1, "expected a value or answer id, found 'and'"),
        ("x and", 6, "found end of condition"),
        ("x @ y", 3, "unexpected character '@'"),
    ],
)
def test_syntax_errors_give_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ConditionError) as err:
        Condition.parse(text)
    msg = str(err.value)
    assert fragment in msg
    assert _column(msg) == column
    assert f"'{text}'" in msg


def test_unknown_function_lists_the_known_ones() -> None:
    with pytest.raises(ConditionError, match=r"unknown function 'len' \(known: all, answered, any"):
        Condition.parse("len(x) > 1")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("count(x, y) > 1", "count() takes 1 argument(s), got 2"),
        ("count() > 1", "count() takes 1 argument(s), got 0"),
        ("field(x) == 1", "field() takes 2 argument(s), got 1"),
        ("answered(a, b)", "answered() takes 1 argument(s), got 2"),
        ("answered('x')", "answered() takes an answer id"),
        ("unknown(1)", "unknown() takes an answer id"),
    ],
)
def test_wrong_arity_and_argument_kind(text: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as err:
        Condition.parse(text)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
        "not " * (MAX_DEPTH + 5) + "x",
        "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),
        "lower(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5),
        # deep enough to blow Python's stack if nesting were not limited
        "[" * 990 + "]" * 990,
        "lower(" * 280 + "x" + ")" * 280,
    ],
)
def test_nesting_depth_is_limited(text: str) -> None:
    with pytest.raises(ConditionError, match="nested too deeply"):
        Condition.parse(text)


def test_nesting_within_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    assert ev("(" * depth + "x == 1" + ")" * depth, {"x": 1}) is True


def test_overlong_and_empty_and_non_text_conditions() -> None:
    with pytest.raises(ConditionError, match="longer than 2000"):
        Condition.parse("x == 1 or " * 300 + "true")
    with pytest.raises(ConditionError, match="empty condition"):
        Condition.parse("   ")
    with pytest.raises(ConditionError, match="must be text"):
        Condition.parse(5)  # type: ignore[arg-type]


def test_location_is_attached_to_parse_errors() -> None:
    loc = Location("q.yaml", 12)
    with pytest.raises(ConditionError) as err:
        Condition.parse("x ==", loc)
    assert err.value.location == loc
    assert str(err.value).startswith("q.yaml:12: bad condition")


# --- no eval ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('touch /tmp/pwned')",
        "eval('1')",
        "open('/etc/passwd')",
        "x.__class__.__mro__()",
        "(lambda: 1)()",
        "x if y else z",
        "x[0] == 1",
        "x is None",
        "{'a': 1}",
        "f'{x}'",
    ],
)
def test_python_code_does_not_parse(text: str) -> None:
    with pytest.raises(ConditionError):
        Condition.parse(text)


def test_dunder_names_are_only_answer_ids() -> None:
    # A dotted name is looked up as an answer id in the values and nothing else.
    cond = Condition.parse("x.__class__ == null")
    assert cond.names == frozenset({"x.__class__"})
    assert cond.evaluate({"x": 1}) is True
    assert cond.evaluate({"x.__class__": "str"}) is False


def test_keywords_are_not_names() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("not x in ['a'] and true")]
    assert kinds == [
        ("kw", "not"),
        ("name", "x"),
        ("kw", "in"),
        ("punct", "["),
        ("string", "'a'"),
        ("punct", "]"),
        ("kw", "and"),
        ("kw", "true"),
        ("end", ""),
    ]


def test_not_in_is_one_operator_and_not_applies_to_the_comparison() -> None:
    # "not x in [...]" parses as not (x in [...]); "x not in [...]" is the operator
    assert ev("not x in ['a']", {"x": "a"}) is False
    assert ev("x not in ['a']", {"x": "a"}) is False
    assert ev("x not in ['a']", {"x": "b"}) is True


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        # a list question (rows are mappings) compared with a list: no crash, never a member
        ("r in ['admin']", {"r": [{"name": "admin"}]}, False),
        ("r not in ['admin']", {"r": [{"name": "admin"}]}, True),
        ("y not in x", {"x": ["a"], "y": [[1]]}, True),
        ("y in x", {"x": [], "y": [{"a": 1}]}, False),
        ("x in m", {"x": [1], "m": {"a": 1}}, False),
        ("x in ['a']", {"x": {"a": 1}}, False),
        ("'a' in m", {"m": {"a": 1}}, True),
        ("r contains 'admin'", {"r": [{"name": "admin"}]}, False),
        ("'admin' in field(r, 'name')", {"r": [{"name": "admin"}, "not a row"]}, True),
    ],
)
def test_membership_with_rows_and_nested_values_never_raises(text: str, values: dict, expected: bool) -> None:
    assert ev(text, values) is expected


def test_gaps_turn_schedules_into_the_longest_normal_silence_per_row() -> None:
    jobs = [
        {"name": "HR import", "schedule": "Daily 02:00", "account": "svc-hr"},
        {"name": "BACS", "schedule": "Monthly, 3 working days before payday", "account": "svc-bacs"},
        {"name": "Check", "schedule": "Every 5 minutes", "account": "svc-mon"},
        {"name": "Ad hoc", "schedule": "when finance asks", "account": "svc-adhoc"},
        {"name": "No account", "schedule": "Daily"},
    ]
    gaps = Condition.parse("gaps(jobs, 'account', 'schedule')")
    assert gaps.value({"jobs": jobs}) == [
        "svc-hr: 26h",
        "svc-bacs: 32d",  # the longest rhythm named, not "working days"
        "svc-mon: 15m",  # three periods: one late run is not an alert
        "svc-adhoc",  # no rhythm: the rule's own window applies
    ]
    assert gaps.value({"jobs": "not rows"}) == []
