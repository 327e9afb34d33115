"""What the counting types (threshold, distinct, sum, silence) share: one correlation
over the first selection, with a condition on a count, a distinct count or a sum."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workshop.rules.logic import Correlated, Correlation
from workshop.rules.model import Aggregation

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.model import SigmaDoc


class Counting(Correlated):
    #: The Sigma correlation type, and the aggregation kind the conversions read.
    correlation_type = "event_count"
    aggregation_type = "event_count"
    op = "gte"
    counts_field = False  # the condition names the counted field (value_count, value_sum)
    note = ""  # said in the rule's description

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        threshold = b.number_param(str(b.logic.get("threshold")), "threshold")
        cond: dict[str, Any] = {self.op: threshold if threshold is not None else 1}
        if self.counts_field:
            cond = {"field": counted, **cond}
        rule = {"type": self.correlation_type, "rules": [selections[0].name], "group-by": group_by,
                "timespan": window, "condition": cond}  # fmt: skip
        if self.note:
            extra.append(self.note)
        agg = Aggregation(self.aggregation_type, tuple(group_by), window, self.op, threshold,
                          counted if self.counts_field else "")  # fmt: skip
        return Correlation(rule, agg, [])
