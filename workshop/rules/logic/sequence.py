"""``sequence``: events in order per group within a window (Sigma temporal_ordered).

With a minimum count of the first step (``logic.threshold``), the first step is an
event_count correlation of its own that the temporal_ordered rule refers to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workshop.rules.logic import Correlated, Correlation, Events, register
from workshop.rules.model import Aggregation, SigmaDoc, bounded, identifier, one_line, rule_uuid
from workshop.usecases.events import EVENTS
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.synthetic import SyntheticPlan


@register
class Sequence(Correlated):
    type = LogicType.SEQUENCE

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        slug, tid = b.ctx.slug, b.uc.template_id
        first = selections[0]
        refs = [s.name for s in selections]
        steps: list[SigmaDoc] = []
        first_count = None
        if b.logic.get("threshold"):
            first_count = b.number_param(str(b.logic["threshold"]), "minimum count of the first step")
            if first_count is not None and first_count > 1:
                sid = rule_uuid(slug, tid, "correlation:first-step")
                sname = identifier(f"{slug}_{tid}_{first.event}_repeated")
                label = EVENTS[first.event].label if first.event in EVENTS else first.event
                stitle = one_line(f"{title}: at least {first_count} x {label}", 256)
                sdata = {
                    "title": stitle,
                    "id": sid,
                    "name": sname,
                    "description": bounded(
                        f"At least {first_count} '{label}' events per {', '.join(group_by) or 'log'} within "
                        f"{window}: the first step of the use case '{title}'; not an alert on its own."
                    ),
                    "author": author,
                    "correlation": {
                        "type": "event_count",
                        "rules": [first.name],
                        "group-by": group_by,
                        "timespan": window,
                        "condition": {"gte": first_count},
                    },
                }
                steps.append(SigmaDoc(sid, stitle, "correlation", "step", sdata, first.event))
                refs[0] = sname
        rule = {"type": "temporal_ordered", "rules": refs, "group-by": group_by, "timespan": window}
        agg = Aggregation(
            "temporal_ordered",
            tuple(group_by),
            window,
            steps=tuple(s.id for s in selections),
            first_step_count=first_count if first_count and first_count > 1 else None,  # type: ignore[arg-type]
        )
        return Correlation(rule, agg, steps)

    def synthetic(self, p: SyntheticPlan) -> Events:
        """The steps in order for one group (the first step repeated as often as asked); below
        the minimum count of the first step; or every step further apart than the window."""
        from workshop.rules.synthetic import Skip, sequence_roles, spread

        c, window, t0 = p.c, p.window, p.t0
        steps = [s.event for s in c.rs.selections]
        first_n = c.rs.aggregation.first_step_count or 1
        if p.kind == "true_positive":
            times = spread(t0, window / 2, first_n + len(steps) - 1)
        elif p.kind == "split_below_threshold":
            if first_n <= 1:
                raise Skip("the sequence has no minimum count to stay under")
            first_n -= 1
            times = spread(t0, window / 2, first_n + len(steps) - 1)
        else:  # slow_spread: every step further apart than the window
            times = spread(t0, window * 1.5 * (first_n + len(steps) - 2 or 1), first_n + len(steps) - 1)
            if len(times) > 1 and times[-1] - times[-2] <= window:
                times[-1] = times[-2] + window * 1.5
        roles = sequence_roles(c, p.group_roles)
        out = [c.event(steps[0], t, **roles) for t in times[:first_n]]
        out.extend(c.event(e, t, **roles) for e, t in zip(steps[1:], times[first_n:], strict=False))
        return out, None
