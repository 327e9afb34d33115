"""``distinct``: at least N distinct values of a field per group within a window (value_count)."""

from __future__ import annotations

from workshop.rules.logic import register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType


@register
class Distinct(Counting):
    type = LogicType.DISTINCT
    correlation_type = aggregation_type = "value_count"
    counts_field = True
