"""``new_value``: a value not seen for its group within the look-back (first seen).

Sigma has no first-seen correlation: the rule selects the candidate events, and the
aggregation (``new_value``) tells each conversion and the local tests to add it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workshop.rules.logic import Events, LogicHandler, register
from workshop.rules.model import Aggregation
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.model import RuleSet
    from workshop.rules.synthetic import SyntheticPlan
    from workshop.rules.testing import EventTable


@register
class NewValue(LogicHandler):
    type = LogicType.NEW_VALUE

    def standalone_aggregation(self, b: Builder, group_by: list[str], counted: str, extra: list[str],
                               x_workshop: dict[str, Any]) -> Aggregation:  # fmt: skip
        lookback = b.duration_param(str(b.logic.get("lookback")), "lookback")
        extra.append(
            f"First seen: alert only when {counted} has not been seen"
            + (f" for the same {', '.join(group_by)}" if group_by else "")
            + f" in the previous {lookback}. Sigma has no first-seen correlation: this rule selects the "
            "candidate events, and each SIEM conversion adds its own first-seen logic (a stats earliest "
            "search, a leftanti join, an Elastic new_terms rule)."
        )
        x_workshop["first_seen"] = {"field": counted, "group_by": group_by, "lookback": lookback}
        return Aggregation("new_value", tuple(group_by), field=counted, lookback=lookback)

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.testing import alerts_of_first_seen

        return alerts_of_first_seen(rs, events, evaluate_from)

    def synthetic(self, p: SyntheticPlan) -> Events:
        """History, then a value new for its group (a dormant account: seen only before the
        look-back); or the new value already seen inside the look-back (slow spread)."""
        from workshop.rules.synthetic import Skip
        from workshop.vocab import duration_seconds

        c, t0 = p.c, p.t0
        lookback = dt.timedelta(seconds=duration_seconds(c.rs.aggregation.lookback))
        role = p.counted_role or "user"
        new_value = c.attack_user() if role == "user" else c.distinct(role, 1)
        old_value = c.distinct(role, 2) if role != "user" else "synthetic.colleague"
        if p.kind == "true_positive":
            before = t0 - lookback - dt.timedelta(days=1)
        elif p.kind == "slow_spread":
            before = t0 - lookback / 2
        else:
            raise Skip("a first-seen rule has no threshold to stay under")
        out = [
            c.event(p.first_event, t0 - dt.timedelta(days=1), **{role: old_value}),
            c.event(p.first_event, before, **{role: new_value}),
            c.event(p.first_event, t0, **{role: new_value}),
        ]
        return out, t0 - dt.timedelta(seconds=1)
