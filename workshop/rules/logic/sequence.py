"""``sequence``: events in order per group within a window (Sigma temporal_ordered).

With a minimum count of the first step (``logic.threshold``), the first step is an
event_count correlation of its own that the temporal_ordered rule refers to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workshop.rules.logic import Correlated, Correlation, register
from workshop.rules.model import Aggregation, SigmaDoc, bounded, identifier, one_line, rule_uuid
from workshop.usecases.events import EVENTS
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder


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
