"""A small, safe expression language for ``when`` conditions.

Questionnaires show a question only when earlier answers make it relevant, and
use-case templates apply only when the interview says so. Authors write those
conditions as text in YAML, so they are parsed here by a hand-written recursive
descent parser into a tiny AST and evaluated by walking it: nothing is ever handed
to ``eval``, and the only names an expression can reach are answer ids.

Grammar::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in"
                        | "contains") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | operand
    operand    := NUMBER | STRING | "true" | "false" | "null" | list | call | NAME | "(" expr ")"
    list       := "[" (expr ("," expr)*)? "]"
    call       := FUNC "(" (expr ("," expr)*)? ")"

``NAME`` is a dotted answer id (``auth.mfa``). Semantics are chosen so that an
unanswered question never makes a condition true by accident: an unanswered name
is ``null``; ordering comparisons with ``null`` are false; ``x in list`` with a
multi-choice ``x`` is true when any chosen value is in the list.

Functions: ``answered(id)``, ``unknown(id)``, ``count(x)`` (items in a list or
multi-choice), ``field(x, "name")`` (a key of a mapping answer, or that column of
every row of a list answer), ``any(x)``, ``all(x)``, ``lower(x)``; for values
(use-case parameters, see :class:`Expression`): ``max``, ``min``, ``round``,
``default(x, fallback)``, ``minutes(n)``/``hours(n)``/``days(n)`` (Sigma timespans
such as ``"15m"``). Arithmetic on an unanswered value gives ``null``, so a parameter
derived from a missing answer falls back to its default instead of becoming 0.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.core.errors import ConditionError, Location

KEYWORDS = {"and", "or", "not", "in", "true", "false", "null", "contains"}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains"}

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<arith>[-+*/])
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)

MAX_LENGTH = 2000
MAX_DEPTH = 50


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise _syntax(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            value = m.group()
            if kind == "name" and value in KEYWORDS:
                kind = "kw"
            tokens.append(Token(kind, value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _syntax(text: str, pos: int, message: str) -> ConditionError:
    return ConditionError(f"bad condition '{text}': {message} at column {pos + 1}")


# --- AST ---------------------------------------------------------------------


class Node:
    def evaluate(self, ctx: Context) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def names(self) -> Iterable[str]:
        return ()


@dataclass(frozen=True)
class Literal(Node):
    value: Any

    def evaluate(self, ctx: Context) -> Any:
        return self.value


@dataclass(frozen=True)
class Name(Node):
    name: str

    def evaluate(self, ctx: Context) -> Any:
        return ctx.value(self.name)

    def names(self) -> Iterable[str]:
        return (self.name,)


@dataclass(frozen=True)
class ListExpr(Node):
    items: tuple[Node, ...]

    def evaluate(self, ctx: Context) -> Any:
        return [item.evaluate(ctx) for item in self.items]

    def names(self) -> Iterable[str]:
        for item in self.items:
            yield from item.names()


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def evaluate(self, ctx: Context) -> Any:
        return not truthy(self.operand.evaluate(ctx))

    def names(self) -> Iterable[str]:
        return self.operand.names()


@dataclass(frozen=True)
class BoolOp(Node):
    op: str
    operands: tuple[Node, ...]

    def evaluate(self, ctx: Context) -> Any:
        if self.op == "and":
            return all(truthy(o.evaluate(ctx)) for o in self.operands)
        return any(truthy(o.evaluate(ctx)) for o in self.operands)

    def names(self) -> Iterable[str]:
        for o in self.operands:
            yield from o.names()


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, ctx: Context) -> Any:
        return compare(self.op, self.left.evaluate(ctx), self.right.evaluate(ctx))

    def names(self) -> Iterable[str]:
        yield from self.left.names()
        yield from self.right.names()


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, ctx: Context) -> Any:
        a, b = self.left.evaluate(ctx), self.right.evaluate(ctx)
        if self.op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not (_is_number(a) and _is_number(b)):
            return None
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return a / b if b else None

    def names(self) -> Iterable[str]:
        yield from self.left.names()
        yield from self.right.names()


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]

    def evaluate(self, ctx: Context) -> Any:
        spec = FUNCTIONS[self.func]
        if spec.takes_name:
            return spec.fn(ctx, self.args[0].name)  # type: ignore[attr-defined]
        return spec.fn(ctx, *(a.evaluate(ctx) for a in self.args))

    def names(self) -> Iterable[str]:
        for a in self.args:
            yield from a.names()


# --- semantics -----------------------------------------------------------------


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple, dict, str)):
        return len(value) > 0
    return bool(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _norm(v: Any) -> Any:
    return v.casefold() if isinstance(v, str) else v


def compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        if _is_number(left) and _is_number(right):
            equal = float(left) == float(right)
        else:
            equal = _norm(left) == _norm(right)
        return equal if op == "==" else not equal
    if op in ("in", "not in"):
        result = _contains(right, left)
        return result if op == "in" else not result
    if op == "contains":
        return _contains(left, right)
    # ordering: only numbers with numbers, strings with strings; anything else is false
    if left is None or right is None:
        return False
    if _is_number(left) and _is_number(right):
        return _ORDER[op](float(left), float(right))
    if isinstance(left, str) and isinstance(right, str):
        return _ORDER[op](left, right)
    return False


#: Ordering operators; both sides are numbers, or both strings, when one is applied.
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _contains(container: Any, item: Any) -> bool:
    if container is None or item is None:
        return False
    if isinstance(container, str):
        if isinstance(item, str):
            return item.casefold() in container.casefold()
        return False
    if isinstance(container, (list, tuple, set)):
        members = {_norm(c) for c in container if _hashable(c)}
        if isinstance(item, (list, tuple, set)):
            return any(_norm(i) in members for i in item if _hashable(i))
        return _hashable(item) and _norm(item) in members
    if isinstance(container, dict):
        return _hashable(item) and item in container
    return False


def _hashable(value: Any) -> bool:
    """Rows (mappings) and nested lists are never members: comparing them would raise."""
    return not isinstance(value, (dict, list, set))


class Context:
    """What a condition can see: answer values by id, and which are 'unknown'."""

    def __init__(self, values: Mapping[str, Any], unknown: Iterable[str] = ()) -> None:
        self.values = values
        self.unknown = set(unknown)

    def value(self, name: str) -> Any:
        if name in self.unknown:
            return None
        return self.values.get(name)


def _field(ctx: Context, value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return [row.get(key) for row in value if isinstance(row, dict)]
    return None


def _field_where(ctx: Context, value: Any, key: Any, flag: Any, wanted: bool) -> list[Any]:
    """``key`` of the rows whose ``flag`` column is (``wanted``) or is not truthy."""
    if not isinstance(value, list):
        return []
    return [r.get(key) for r in value if isinstance(r, dict) and truthy(r.get(flag)) is wanted and r.get(key)]


def _count(ctx: Context, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (list, tuple, dict)):
        return len(value)
    return 1


@dataclass(frozen=True)
class _Func:
    fn: Callable[..., Any]
    arity: int
    takes_name: bool = False


FUNCTIONS: dict[str, _Func] = {
    "answered": _Func(
        lambda ctx, name: name not in ctx.unknown and truthy_answer(ctx.values.get(name)), 1, True
    ),
    "unknown": _Func(lambda ctx, name: name in ctx.unknown, 1, True),
    "count": _Func(_count, 1),
    "field": _Func(_field, 2),
    "field_if": _Func(lambda ctx, v, key, flag: _field_where(ctx, v, key, flag, True), 3),
    "field_unless": _Func(lambda ctx, v, key, flag: _field_where(ctx, v, key, flag, False), 3),
    "any": _Func(lambda ctx, v: any(truthy(x) for x in v) if isinstance(v, list) else truthy(v), 1),
    "all": _Func(
        lambda ctx, v: bool(v) and all(truthy(x) for x in v) if isinstance(v, list) else truthy(v), 1
    ),
    "lower": _Func(lambda ctx, v: v.casefold() if isinstance(v, str) else v, 1),
    "max": _Func(lambda ctx, a, b: _num2(max, a, b), 2),
    "min": _Func(lambda ctx, a, b: _num2(min, a, b), 2),
    "round": _Func(lambda ctx, v: round(v) if _is_number(v) else None, 1),
    "default": _Func(lambda ctx, v, fallback: fallback if v is None else v, 2),
    "minutes": _Func(lambda ctx, v: _span(v, "m"), 1),
    "hours": _Func(lambda ctx, v: _span(v, "h"), 1),
    "days": _Func(lambda ctx, v: _span(v, "d"), 1),
    "gaps": _Func(lambda ctx, rows, key, schedule: _gaps(rows, key, schedule), 3),
}


def _num2(fn: Callable[[list[Any]], Any], a: Any, b: Any) -> Any:
    nums = [x for x in (a, b) if _is_number(x)]
    return fn(nums) if len(nums) == 2 else (nums[0] if nums else None)


#: A schedule in words -> the longest normal time between two runs, with room for a late run:
#: "every N minutes/hours" -> 3 N; else the longest rhythm the schedule names ("monthly, 3
#: working days before payday" is monthly).
_SCHEDULE_GAPS: tuple[tuple[str, str], ...] = (
    (r"\b(yearly|annual(ly)?)\b", "367d"),
    (r"\bmonthly\b", "32d"),
    (r"\bweekly\b", "8d"),
    (r"\b(weekdays?|working days?|mon(day)?\s*(-|to)\s*fri(day)?)\b", "74h"),  # Friday to Monday
    (r"\b(daily|nightly|every (day|night)|each (day|night))\b", "26h"),
    (r"\bhourly\b", "3h"),
)
_EVERY = re.compile(r"\bevery\s+(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?)\b", re.IGNORECASE)


def schedule_gap(text: str) -> str:
    """The longest normal gap between two runs of a job scheduled as ``text`` ("" when the
    words say no rhythm this knows): how long a job may be silent before it has missed a run."""
    every = _EVERY.search(text)
    if every:
        return f"{3 * int(every.group(1))}{every.group(2)[0].lower()}"
    for pattern, gap in _SCHEDULE_GAPS:
        if re.search(pattern, text, re.IGNORECASE):
            return gap
    return ""


def _gaps(rows: Any, key: Any, schedule: Any) -> list[str]:
    """``key: gap`` per row with a ``key`` (a job's account), the gap from its ``schedule``
    column; ``key`` alone when the schedule gives none (the rule's own window applies)."""
    out: list[str] = []
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, dict) and str(r.get(key) or "").strip():
            gap = schedule_gap(str(r.get(schedule) or ""))
            out.append(f"{str(r[key]).strip()}: {gap}" if gap else str(r[key]).strip())
    return list(dict.fromkeys(out))


def _span(v: Any, unit: str) -> str | None:
    if not _is_number(v) or v <= 0:
        return None
    return f"{round(v)}{unit}"


def truthy_answer(value: Any) -> bool:
    """An answer counts as given when it is not empty (``False`` and ``0`` are answers)."""
    if value is None:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


# --- parser --------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None = None) -> Token:
        tok = self.tok
        if tok.kind != kind or (text is not None and tok.text != text):
            want = repr(text) if text else kind
            got = repr(tok.text) if tok.text else "end of condition"
            raise _syntax(self.text, tok.pos, f"expected {want}, found {got}")
        return self.advance()

    def parse(self) -> Node:
        if not self.text.strip():
            raise ConditionError("empty condition")
        node = self.or_expr()
        if self.tok.kind != "end":
            raise _syntax(self.text, self.tok.pos, f"unexpected {self.tok.text!r}")
        return node

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _syntax(self.text, self.tok.pos, "condition nested too deeply")

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.kind == "kw" and self.tok.text == "or":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.tok.kind == "kw" and self.tok.text == "and":
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def not_expr(self) -> Node:
        if self.tok.kind == "kw" and self.tok.text == "not":
            self.advance()
            self._nest()
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        tok = self.tok
        op: str | None = None
        if tok.kind == "op" or (tok.kind == "kw" and tok.text in ("in", "contains")):
            op = tok.text
            self.advance()
        elif tok.kind == "kw" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.advance()
            self.advance()
            op = "not in"
        if op is None:
            return left
        right = self.sum()
        if self.tok.kind == "op" or (self.tok.kind == "kw" and self.tok.text in ("in", "contains")):
            raise _syntax(self.text, self.tok.pos, "chained comparisons are not allowed; use 'and'")
        return Compare(op, left, right)

    def sum(self) -> Node:
        node = self.product()
        while self.tok.kind == "arith" and self.tok.text in "+-":
            op = self.advance().text
            node = Arith(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "arith" and self.tok.text in "*/":
            op = self.advance().text
            node = Arith(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.tok.kind == "arith" and self.tok.text == "-":
            self.advance()
            self._nest()
            node = Arith("-", Literal(0), self.unary())
            self.depth -= 1
            return node
        return self.operand()

    def operand(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Literal(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind == "string":
            self.advance()
            return Literal(_unquote(tok.text))
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[tok.text])
        if tok.kind == "punct" and tok.text == "(":
            self.advance()
            self._nest()
            node = self.or_expr()
            self.depth -= 1
            self.expect("punct", ")")
            return node
        if tok.kind == "punct" and tok.text == "[":
            self.advance()
            self._nest()
            items: list[Node] = []
            if not (self.tok.kind == "punct" and self.tok.text == "]"):
                items.append(self.or_expr())
                while self.tok.kind == "punct" and self.tok.text == ",":
                    self.advance()
                    items.append(self.or_expr())
            self.expect("punct", "]")
            self.depth -= 1
            return ListExpr(tuple(items))
        if tok.kind == "name":
            self.advance()
            if self.tok.kind == "punct" and self.tok.text == "(":
                return self.call(tok)
            return Name(tok.text)
        got = repr(tok.text) if tok.text else "end of condition"
        raise _syntax(self.text, tok.pos, f"expected a value or answer id, found {got}")

    def call(self, name_tok: Token) -> Node:
        spec = FUNCTIONS.get(name_tok.text)
        if spec is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise _syntax(self.text, name_tok.pos, f"unknown function '{name_tok.text}' (known: {known})")
        self.expect("punct", "(")
        self._nest()
        args: list[Node] = []
        if not (self.tok.kind == "punct" and self.tok.text == ")"):
            args.append(self.or_expr())
            while self.tok.kind == "punct" and self.tok.text == ",":
                self.advance()
                args.append(self.or_expr())
        self.expect("punct", ")")
        self.depth -= 1
        if len(args) != spec.arity:
            raise _syntax(
                self.text, name_tok.pos, f"{name_tok.text}() takes {spec.arity} argument(s), got {len(args)}"
            )
        if spec.takes_name and not isinstance(args[0], Name):
            raise _syntax(self.text, name_tok.pos, f"{name_tok.text}() takes an answer id")
        return Call(name_tok.text, tuple(args))


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


@dataclass(frozen=True)
class Condition:
    """A parsed condition; ``names`` lists the answer ids it reads."""

    source: str
    tree: Node = field(repr=False, compare=False)
    names: frozenset[str] = field(default=frozenset())

    @classmethod
    def parse(cls, text: str, location: Location | None = None) -> Condition:
        if not isinstance(text, str):
            raise ConditionError("a condition must be text", location)
        if len(text) > MAX_LENGTH:
            raise ConditionError(f"condition longer than {MAX_LENGTH} characters", location)
        try:
            tree = _Parser(text).parse()
        except ConditionError as exc:
            raise ConditionError(exc.message, location) from None
        return cls(text, tree, frozenset(tree.names()))

    def evaluate(self, values: Mapping[str, Any] | Context, unknown: Iterable[str] = ()) -> bool:
        ctx = values if isinstance(values, Context) else Context(values, unknown)
        return truthy(self.tree.evaluate(ctx))

    def value(self, values: Mapping[str, Any] | Context, unknown: Iterable[str] = ()) -> Any:
        """Evaluate as a value rather than a truth (parameters derived from answers)."""
        ctx = values if isinstance(values, Context) else Context(values, unknown)
        return self.tree.evaluate(ctx)

    def __str__(self) -> str:
        return self.source


#: The same language, read for a value (``max(auth.lockout_threshold * 2, 10)``).
Expression = Condition
