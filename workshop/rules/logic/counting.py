"""What the counting types (threshold, distinct, sum, silence) share: one correlation
over the first selection, with a condition on a count, a distinct count or a sum."""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from workshop.interview.facts import Q
from workshop.rules.logic import Correlated, Correlation, Events, register_fallback
from workshop.rules.model import Aggregation

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.model import SigmaDoc
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target


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
        return Correlation(rule, with_peaks(b, agg, extra), [])

    def synthetic(self, p: SyntheticPlan) -> Events:
        return counted_case(p)

    def aggregation_text(self, agg: Aggregation) -> str:
        return self.text.format(
            sign=agg.sign, count=agg.count, field=agg.field, per=agg.per, timespan=agg.timespan
        )

    # -- conversions: pySigma's correlation templates (Splunk, ES|QL); Kusto has none
    def to_splunk(self, t: Target) -> None:
        from workshop.rules.target import FIXED_BUCKETS

        t.out.query = t.convert(t.docs, **peak_options(t))[-1]
        if self.stock_note:
            t.out.notes.append(self.stock_note.format(backend="Splunk", how="sums with stats"))
        t.out.notes.append(FIXED_BUCKETS.format(how="bin _time span"))
        peak_notes(t)

    def to_esql(self, t: Target) -> None:
        from workshop.rules.target import FIXED_BUCKETS

        t.out.query = t.convert(t.docs, **peak_options(t))[-1]
        if self.stock_note:
            t.out.notes.append(self.stock_note.format(backend="ES|QL", how="sums with stats"))
        t.out.notes.append(FIXED_BUCKETS.format(how="date_trunc"))
        peak_notes(t)

    def to_kql(self, t: Target) -> None:
        from workshop.rules.target import NO_KUSTO_CORRELATION

        agg = t.agg
        by = ", ".join([*(t.field(f) for f in agg.group_by), f"bin({t.time}, {agg.timespan})"])
        fld = t.field(agg.field) if agg.field else ""
        summary = self.kql_summary.format(by=by, fld=fld, count=agg.count)
        if agg.peaks:  # the last line is the condition: the raised thresholds replace it
            summary = summary.rsplit("\n", 1)[0] + "\n" + peak_condition("kql", agg, t.time)
        t.out.query = t.base + "\n" + summary
        peak_notes(t)
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
        peak_notes(t)


# --------------------------------------------------------------------------- known peaks


def with_peaks(b: Builder, agg: Aggregation, extra: list[str]) -> Aggregation:
    """The owners' known peaks on a volume rule: on their days the threshold is raised by
    their factor (a blind suppression would hide an attacker at month-end). Templates opt in
    (``exclude: [known_peaks]``) where the peaks are busier days of the activity counted; a
    threshold of 1 alerts on every event, so it is not a volume and stays as it is."""
    from dataclasses import replace

    if "known_peaks" not in (b.logic.get("exclude") or []):
        return agg
    peaks, problems = b.ctx.facts.known_peaks()
    b.notes.extend(f"A known peak is left out: {p}" for p in problems)
    if not peaks:
        b.notes.append(
            f"Known peaks raise the threshold by design, but none are given as days ({Q.PEAK_DAYS})."
        )
    if not peaks or agg.op != "gte" or not isinstance(agg.count, (int, float)) or agg.count <= 1:
        return agg
    agg = replace(agg, peaks=tuple(peaks))
    said = "; ".join(f"{p.what} ({p.days_text()}): {t}" for p, t in agg.raised())
    extra.append(
        f"On the owners' known peak days the threshold is raised, not switched off: {said} instead of "
        f"{agg.count}. Sigma cannot vary a correlation's threshold by day: each SIEM conversion applies "
        "it where it can (see x_workshop.known_peaks)."
    )
    return agg


#: The day of the month and weekday a bucket falls on, as each SIEM reads them from the
#: bucket's time (``{time}``), and how a condition on them is written.
_PEAK_DAYS = {
    "splunk": '| eval _peak_day=tonumber(strftime(_time, "%d")), _peak_wd=strftime(_time, "%a")',
    "esql": '| eval _peak_day = date_extract("day_of_month", timebucket), '
    '_peak_wd = date_extract("day_of_week", timebucket)',
    "kql": "| extend _peak_day = dayofmonth({time}), _peak_wd = toint(dayofweek({time}) / 1d)",
}


def peak_condition(siem: str, agg: Aggregation, time: str = "") -> str:
    """The condition of a counting rule with the threshold raised on the known peak days."""
    from workshop.rules.convert import _day_numbers

    cases = []
    for p, threshold in agg.raised():
        tests = []
        if p.month_days:
            days = ", ".join(str(d) for d in p.month_days)
            tests.append(f"in(_peak_day, {days})" if siem == "splunk" else f"_peak_day in ({days})")
        if p.weekdays:
            if siem == "splunk":
                tests.append("in(_peak_wd, " + ", ".join(f'"{d.capitalize()}"' for d in p.weekdays) + ")")
            else:
                tests.append(f"_peak_wd in ({_day_numbers(p.weekdays, sunday=7 if siem == 'esql' else 0)})")
        either = " OR " if siem == "splunk" else " or "
        cases.append(f"{either.join(tests)}, {threshold}")
    normal = f"true(), {agg.count}" if siem == "splunk" else str(agg.count)
    assign = {
        "splunk": "| eval peak_threshold=",
        "esql": "| eval peak_threshold = ",
        "kql": "| extend peak_threshold = ",
    }
    return (
        _PEAK_DAYS[siem].format(time=time) + "\n" + assign[siem] + f"case({', '.join(cases)}, {normal})\n"
        f"| where {agg.type} >= peak_threshold"
    )


def peak_options(t: Target) -> dict[str, Any]:
    """The backend option that writes the raised thresholds in place of the plain condition."""
    return {"condition": peak_condition(t.siem, t.agg)} if t.agg.peaks else {}


def peak_notes(t: Target) -> None:
    agg = t.agg
    if not agg.peaks:
        return
    said = "; ".join(f"{p.text()}: {raised}" for p, raised in agg.raised())
    if t.siem == "lucene":
        t.out.notes.append(
            f"NOT IN THE QUERY: the raised thresholds of the known peaks ({said}). An Elastic threshold rule "
            "has one threshold: use the ES|QL version, or a second rule for the peak days."
        )
        return
    day = {
        "splunk": "read with strftime in the time zone of the user the search runs as",
        "esql": "read with date_extract in UTC",
        "kql": "read from the bucket's UTC time",
    }[t.siem]
    t.out.notes.append(
        f"Known peaks raise the threshold on their days ({said}); the day is the day its time bucket starts on, "
        f"{day}."
    )


def counted_case(p: SyntheticPlan) -> Events:
    """Events at the threshold in one group; split over groups each below it; or spread
    over more than the window."""
    from workshop.rules.synthplan import Skip, counted_events, spread

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


@register_fallback
class Unknown(Counting):
    """A logic type no module registers: reported by the builder, and built as "any event"
    so the rest of the rule set still shows."""

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        rule = {"type": "event_count", "rules": [selections[0].name], "group-by": group_by,
                "timespan": window, "condition": {"gte": 1}}  # fmt: skip
        return Correlation(rule, Aggregation("event_count", tuple(group_by), window, "gte", 1), [])
