"""``sum``: a numeric field summed per group within a window reaches N (value_sum)."""

from __future__ import annotations

from workshop.rules.logic import register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType


@register
class Sum(Counting):
    type = LogicType.SUM
    correlation_type = aggregation_type = "value_sum"
    counts_field = True
