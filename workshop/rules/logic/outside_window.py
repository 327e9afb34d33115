"""``outside_window``: events outside a weekly window (business hours) are alerts.

Sigma's detection cannot express a weekly window in a time zone, so the rule is a
single detection rule and the window is carried beside it (``RuleSet.windows``) for
the conversions and the local tests to apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workshop.rules.logic import LogicHandler, register
from workshop.vocab import LogicType, TimeWindow

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder


@register
class OutsideWindow(LogicHandler):
    type = LogicType.OUTSIDE_WINDOW

    def prepare(self, b: Builder) -> None:
        param = str(b.logic.get("outside"))
        window = TimeWindow.from_value(
            str(b.logic.get("outside") or "window").replace("_", " "), b.param_value(param)
        )
        if window is None:
            b.problems.append(
                f"the time window (parameter {b.logic.get('outside')}) is not days, start, end and a time zone: "
                f"{b.param_value(param)!r}"
            )
        else:
            b.windows.insert(0, window)
