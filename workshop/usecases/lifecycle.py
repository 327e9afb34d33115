"""The rules of a use case's life: which status moves are allowed, what a parameter may hold.

They are domain rules, not storage: the store applies them when it records a change,
and pages and the command line may ask them before offering a move.
"""

from __future__ import annotations

from typing import Any

from workshop.core.errors import InputError
from workshop.vocab import PRIORITIES, STATUSES, TRANSITIONS, duration_seconds, is_duration

__all__ = ["TRANSITIONS", "check_parameter", "check_priority", "check_status", "transition_refusal"]


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise InputError(f"unknown status '{status}' (known: {', '.join(STATUSES)})")


def check_priority(value: Any) -> None:
    if value not in PRIORITIES:
        raise InputError(f"priority must be one of {', '.join(PRIORITIES)}")


def transition_refusal(current: str, wanted: str) -> str | None:
    """Why a use case in ``current`` cannot move to ``wanted``; None when it can."""
    if current == wanted:
        return f"already {wanted}"
    allowed = TRANSITIONS[current]
    if wanted not in allowed:
        return f"cannot go from {current} to {wanted} (allowed: {', '.join(sorted(allowed))})"
    return None


def check_parameter(name: str, ptype: str, value: Any) -> Any:
    """A parameter value of the declared type, or InputError: a rule built from it must not fail later."""
    if ptype == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
            raise InputError(f"parameter '{name}' is a whole number of 0 or more, not {value!r}")
        return int(value)
    if ptype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"parameter '{name}' is a number of 0 or more, not {value!r}")
        return value
    if ptype == "duration":
        if not is_duration(value) or duration_seconds(value) == 0:
            raise InputError(f"parameter '{name}' is a duration such as 15m, 1h or 30d, not {value!r}")
        return value
    if ptype == "list":
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, (dict, list)) for v in items):
            raise InputError(f"parameter '{name}' is a list of values")
        return [str(v) for v in items if str(v).strip()]
    if ptype == "time_window":
        from workshop.questionnaire.model import Question
        from workshop.questionnaire.values import coerce

        return coerce(Question(name, name, "time_window", ""), value)
    return value
