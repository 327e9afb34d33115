"""The lifecycle rules of a use case, without a store."""

from __future__ import annotations

import pytest

from workshop.core.errors import InputError
from workshop.usecases.lifecycle import check_parameter, check_status, transition_refusal
from workshop.vocab import STATUSES, TRANSITIONS


def test_every_status_has_its_moves_and_only_listed_moves_pass() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    for current in STATUSES:
        for wanted in STATUSES:
            refusal = transition_refusal(current, wanted)
            if wanted == current:
                assert refusal == f"already {wanted}"
            elif wanted in TRANSITIONS[current]:
                assert refusal is None
            else:
                assert refusal is not None and "allowed:" in refusal


def test_unknown_status_is_refused() -> None:
    with pytest.raises(InputError, match="unknown status 'live'"):
        check_status("live")


@pytest.mark.parametrize(
    ("ptype", "value", "expected"),
    [("integer", 7.0, 7), ("number", 2.5, 2.5), ("duration", "15m", "15m"), ("list", ["a", " ", 3], ["a", "3"])],
)
def test_parameter_values_of_the_declared_type_pass(ptype: str, value: object, expected: object) -> None:
    assert check_parameter("p", ptype, value) == expected


@pytest.mark.parametrize(
    ("ptype", "value"),
    [("integer", -1), ("integer", 1.5), ("integer", True), ("number", -0.1), ("duration", "0m"),
     ("duration", "15 minutes"), ("list", [{"a": 1}])],
)  # fmt: skip
def test_parameter_values_of_another_shape_are_refused(ptype: str, value: object) -> None:
    with pytest.raises(InputError, match="parameter 'p'"):
        check_parameter("p", ptype, value)
