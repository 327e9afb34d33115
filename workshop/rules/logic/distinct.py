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
    text = "{sign} {count} distinct {field} values{per} within {timespan}"
    kql_summary = (
        "| summarize values = make_set({fld}) by {by}\n| extend value_count = array_length(values)\n"
        "| where value_count >= {count}"
    )
    lucene_note = (
        "NOT IN THE QUERY: the threshold ({text}). Use this query in an Elastic threshold rule "
        "(threshold.field {groups}, cardinality of {fld} >= {count}, look-back {timespan})."
    )
