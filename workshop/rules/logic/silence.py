"""``silence``: fewer than N events within a window (the application stopped logging).

In Sigma an event_count with ``lt``; the aggregation kind ``silence`` tells the
conversions to count the last window as a whole, since a query that counts the
windows it finds can never see one with no events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workshop.rules.logic import Events, register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from workshop.rules.model import RuleSet
    from workshop.rules.synthetic import SyntheticPlan
    from workshop.rules.testing import EventTable


@register
class Silence(Counting):
    type = LogicType.SILENCE
    aggregation_type = "silence"
    op = "lt"
    note = (
        "Absence: a query that counts events in windows it finds can never see a window with no "
        "events, so each SIEM conversion counts over the last window as a whole instead."
    )

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.testing import alerts_of_absence

        return alerts_of_absence(rs, events)

    def synthetic(self, p: SyntheticPlan) -> Events:
        """Events, then a gap longer than the window, then events again."""
        from workshop.rules.synthetic import Skip

        if p.kind != "true_positive":
            raise Skip("a silence rule has no threshold an attacker stays under by splitting or slowing")
        step = p.window / 4
        before = [p.t0 + step * i for i in range(max(p.count, 1) + 2)]
        after = [before[-1] + p.window * 2.5 + step * i for i in range(max(p.count, 1) + 2)]
        return [p.c.event(p.first_event, t) for t in before + after], None
