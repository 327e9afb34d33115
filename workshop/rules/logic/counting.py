"""What the counting types (threshold, distinct, sum, silence) share: one correlation
over the first selection, with a condition on a count, a distinct count or a sum."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from workshop.rules.logic import Correlated, Correlation, Events
from workshop.rules.model import Aggregation

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.convert import Target
    from workshop.rules.model import SigmaDoc
    from workshop.rules.synthetic import SyntheticPlan


class Counting(Correlated):
    #: The Sigma correlation type, and the aggregation kind the conversions read.
    correlation_type = "event_count"
    aggregation_type = "event_count"
    op = "gte"
    counts_field = False  # the condition names the counted field (value_count, value_sum)
    note = ""  # said in the rule's description
    #: Sentinel's summarize (no pySigma correlation for Kusto): {by} the groups and time bin.
    kql_summary = "| summarize event_count = count() by {by}\n| where event_count >= {count}"
    #: What Lucene cannot say, for an Elastic rule type that can.
    lucene_note = (
        "NOT IN THE QUERY: the threshold ({text}). Lucene selects events only: use this query in an "
        "Elastic threshold rule (threshold.field {groups}, threshold.value {count}, look-back {timespan})."
    )
    #: Said when the stock backends lack the correlation type (the toolkit's template writes it).
    stock_note = ""
    #: The aggregation in words (fields of the Aggregation, and its ``per`` and ``sign``).
    text = "{sign} {count} events{per} within {timespan}"
    #: pySigma's Splunk and ES|QL backends write event_count and value_count correlations.
    stock_backends: frozenset[str] | None = frozenset({"splunk", "esql"})

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

    def synthetic(self, p: SyntheticPlan) -> Events:
        return counted_case(p)

    def aggregation_text(self, agg: Aggregation) -> str:
        return self.text.format(sign=agg.sign, count=agg.count, field=agg.field, per=agg.per, timespan=agg.timespan)

    # -- conversions: pySigma's correlation templates (Splunk, ES|QL); Kusto has none
    def to_splunk(self, t: Target) -> None:
        from workshop.rules.convert import FIXED_BUCKETS

        t.out.query = t.convert(t.docs)[-1]
        if self.stock_note:
            t.out.notes.append(self.stock_note.format(backend="Splunk", how="sums with stats"))
        t.out.notes.append(FIXED_BUCKETS.format(how="bin _time span"))

    def to_esql(self, t: Target) -> None:
        from workshop.rules.convert import FIXED_BUCKETS

        t.out.query = t.convert(t.docs)[-1]
        if self.stock_note:
            t.out.notes.append(self.stock_note.format(backend="ES|QL", how="sums with stats"))
        t.out.notes.append(FIXED_BUCKETS.format(how="date_trunc"))

    def to_kql(self, t: Target) -> None:
        from workshop.rules.convert import NO_KUSTO_CORRELATION

        agg = t.agg
        by = ", ".join([*(t.field(f) for f in agg.group_by), f"bin({t.time}, {agg.timespan})"])
        fld = t.field(agg.field) if agg.field else ""
        t.out.query = t.base + "\n" + self.kql_summary.format(by=by, fld=fld, count=agg.count)
        t.out.notes.insert(0, NO_KUSTO_CORRELATION)
        t.out.notes.append(
            f"bin({t.p.time_field}, {agg.timespan}) counts in fixed buckets: a burst across a boundary is split."
        )

    def to_lucene(self, t: Target) -> None:
        agg = t.agg
        t.out.query = t.main
        t.out.notes.append(self.lucene_note.format(
            text=self.aggregation_text(agg), groups=[t.p.map_field(f) for f in agg.group_by], count=agg.count,
            timespan=agg.timespan, fld=t.p.map_field(agg.field) if agg.field else ""))  # fmt: skip


def counted_case(p: SyntheticPlan) -> Events:
    """Events at the threshold in one group; split over groups each below it; or spread
    over more than the window."""
    from workshop.rules.synthetic import Skip, counted_events, spread

    c, agg_type, count, window, t0 = p.c, p.c.rs.aggregation.type, p.count, p.window, p.t0
    out: list[dict[str, Any]] = []
    if p.kind == "true_positive":
        n = max(count, 1)
        times = spread(t0, window / 2, n if agg_type != "value_sum" else 3)
        out.extend(counted_events(c, p.first_event, agg_type, p.counted_role, times, count, p.grouped(0)))
    elif p.kind == "split_below_threshold":
        if not p.group_roles:
            raise Skip("the rule counts across the whole log (no group), so splitting does not help")
        if count <= 1:
            raise Skip("a threshold of 1 cannot be split")
        per = count - 1
        for g in range(max(2, math.ceil(count / per))):
            n = per if agg_type != "value_sum" else 1
            times = spread(t0 + dt.timedelta(seconds=g), window / 2, n)
            out.extend(counted_events(c, p.first_event, agg_type, p.counted_role, times, per, p.grouped(g + 1),
                                      offset=g * 1000))  # fmt: skip
    else:  # slow_spread
        if count <= 1:
            raise Skip("a threshold of 1 fires on any single event, however slow")
        times = spread(t0, window * 2.5, count if agg_type != "value_sum" else 3)
        out.extend(counted_events(c, p.first_event, agg_type, p.counted_role, times, count, p.grouped(0)))
    return out, None


class Unknown(Counting):
    """A logic type no module registers: reported by the builder, and built as "any event"
    so the rest of the rule set still shows."""

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        rule = {"type": "event_count", "rules": [selections[0].name], "group-by": group_by,
                "timespan": window, "condition": {"gte": 1}}  # fmt: skip
        return Correlation(rule, Aggregation("event_count", tuple(group_by), window, "gte", 1), [])


UNKNOWN = Unknown()
