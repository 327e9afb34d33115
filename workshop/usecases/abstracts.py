"""The strategy abstract of each rule logic type: one sentence-writer per type.

A generated use case says in one paragraph what its rule does, and says it at
generation time, in the use-case layer, which must not import the rules layer where
each logic type's handler (:mod:`workshop.rules.logic`) builds, converts and tests
the rule. So the text lives here, as a small registry keyed by logic type; adding a
logic type adds its writer here, its handler module there, its entry in the template
format, and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workshop.usecases.model import Logic
from workshop.vocab import LogicType


@dataclass(frozen=True)
class Phrases:
    """The pieces every abstract is written from (the application's own names)."""

    event: str  # the logic's event, as the log names it
    per: str  # " per <group>" or ""
    param: Callable[[str], str]  # a parameter reference, resolved when the use case is read
    role: Callable[[str], str]  # a role as the log's field name
    event_text: Callable[[str], str]  # any event, as the log names it


def _single(logic: Logic, w: Phrases) -> str:
    return f"Alert on every {w.event} event."


def _threshold(logic: Logic, w: Phrases) -> str:
    return (f"Count {w.event} events{w.per} over {w.param(logic.window)}; alert when the count reaches "
            f"{w.param(logic.threshold)}.")  # fmt: skip


def _distinct(logic: Logic, w: Phrases) -> str:
    return (f"Count distinct {w.role(logic.field)} values in {w.event} events{w.per} over {w.param(logic.window)}; "
            f"alert when they reach {w.param(logic.threshold)}.")  # fmt: skip


def _sum(logic: Logic, w: Phrases) -> str:
    return (f"Sum {w.role(logic.field)} over {w.event} events{w.per} within {w.param(logic.window)}; "
            f"alert when the total reaches {w.param(logic.threshold)}.")  # fmt: skip


def _sequence(logic: Logic, w: Phrases) -> str:
    steps = [w.event_text(e) for e in logic.events]
    if logic.threshold:
        steps[0] = f"at least {w.param(logic.threshold)} × {steps[0]}"
    return f"Alert when {' then '.join(steps)} happen in that order{w.per} within {w.param(logic.window)}."


def _new_value(logic: Logic, w: Phrases) -> str:
    return (f"Alert on {w.event} events whose {w.role(logic.field)} has not been seen{w.per} "
            f"in the previous {w.param(logic.lookback)}.")  # fmt: skip


def _outside_window(logic: Logic, w: Phrases) -> str:
    return f"Alert on {w.event} events outside {w.param(logic.outside)}."


def _silence(logic: Logic, w: Phrases) -> str:
    return (f"Alert when fewer than {w.param(logic.threshold)} {w.event} events arrive within "
            f"{w.param(logic.window)}: the application may have stopped logging.")  # fmt: skip


ABSTRACTS: dict[str, Callable[[Logic, Phrases], str]] = {
    LogicType.SINGLE: _single,
    LogicType.THRESHOLD: _threshold,
    LogicType.DISTINCT: _distinct,
    LogicType.SUM: _sum,
    LogicType.SEQUENCE: _sequence,
    LogicType.NEW_VALUE: _new_value,
    LogicType.OUTSIDE_WINDOW: _outside_window,
    LogicType.SILENCE: _silence,
}


def abstract(logic: Logic, phrases: Phrases) -> str:
    """The type's sentence (a type without a writer reads as an absence, as it always has)."""
    return ABSTRACTS.get(logic.type, _silence)(logic, phrases)
