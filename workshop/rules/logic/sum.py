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
    text = "a total {field} of {sign} {count}{per} within {timespan}"
    kql_summary = "| summarize value_sum = sum(todouble({fld})) by {by}\n| where value_sum >= {count}"
    lucene_note = "NOT IN THE QUERY: the sum ({text}). Lucene and threshold rules cannot sum a field: use the ES|QL version."
    stock_note = (
        "pySigma's stock {backend} backend has no value_sum correlation; the toolkit's template {how}."
    )
    stock_backends: frozenset[str] | None = frozenset()  # the toolkit's templates write it
