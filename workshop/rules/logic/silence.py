"""``silence``: fewer than N events within a window (the application stopped logging).

In Sigma an event_count with ``lt``; the aggregation kind ``silence`` tells the
conversions to count the last window as a whole, since a query that counts the
windows it finds can never see one with no events.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from workshop.rules.logic import Correlation, Events, register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType, TimeWindow

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from workshop.rules.build import Builder
    from workshop.rules.evaluate import EventTable
    from workshop.rules.model import RuleSet, SigmaDoc
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target


@register
class Silence(Counting):
    type = LogicType.SILENCE
    aggregation_type = "silence"
    op = "lt"
    text = "fewer than {count} events{per} within {timespan}"
    stock_backends: frozenset[str] | None = frozenset()  # the toolkit's templates write it
    note = (
        "Absence: a query that counts events in windows it finds can never see a window with no "
        "events, so each SIEM conversion counts over the last window as a whole instead."
    )

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        """The event_count of :class:`Counting`; with ``logic.within`` (business hours), only a
        silence inside that window is an alert: nights and weekends are quiet by nature."""
        made = super().correlation(b, selections, group_by, window, counted, extra, title, author)
        param = str(b.logic.get("within") or "")
        if not param:
            return made
        within = TimeWindow.from_value(param.replace("_", " "), b.param_value(param))
        if within is None:
            b.problems.append(f"the time window (parameter {param}) is not days, start, end and a time zone: "
                              f"{b.param_value(param)!r}")  # fmt: skip
            return made
        extra.append(
            f"Only a silence inside the {within.label} ({within.text()}) is an alert: outside it the application "
            "is quiet by nature. Schedule the query inside that window only (each SIEM conversion says how)."
        )
        made.aggregation = replace(made.aggregation, within=(within,))
        return made

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.evaluate import alerts_of_absence

        return alerts_of_absence(rs, events)

    def synthetic(self, p: SyntheticPlan) -> Events:
        """Events, then a gap longer than the window, then events again."""
        from workshop.rules.synthplan import Skip

        if p.kind != "true_positive":
            raise Skip("a silence rule has no threshold an attacker stays under by splitting or slowing")
        step = p.window / 4
        t0, gap = p.t0, p.window * 2.5
        within = p.c.rs.aggregation.within
        if within:  # the gap inside the window (a working day), a little longer than the window
            t0, gap = _inside(within[0], p.window * 1.25 + step * 3), p.window * 1.25
        before = [t0 + step * i for i in range(max(p.count, 1) + 2)]
        after = [before[-1] + gap + step * i for i in range(max(p.count, 1) + 2)]
        return [p.c.event(p.first_event, t) for t in before + after], None

    # -- conversions: the last window counted as a whole (the toolkit's "window" templates)
    def to_splunk(self, t: Target) -> None:
        from workshop.rules.backends import WHOLE_WINDOW

        agg = t.agg
        t.out.query = t.convert(t.docs, WHOLE_WINDOW, earliest=agg.timespan)[-1]
        t.out.notes.append(
            f"An absence cannot be found by counting the buckets that have events (what pySigma's stock template "
            f"writes): the toolkit's template counts over the last {agg.timespan} as a whole. Schedule it every "
            f"{agg.timespan} or more often."
        )
        if agg.group_by:
            t.out.notes.append("Per group, stats only lists groups that logged something: a group that fell silent "
                               "entirely does not appear. Compare with a lookup of expected groups.")  # fmt: skip
        _within_note(t)

    def to_esql(self, t: Target) -> None:
        from workshop.rules.backends import WHOLE_WINDOW

        agg = t.agg
        t.out.query = t.convert(t.docs, WHOLE_WINDOW)[-1]
        t.out.notes.append(
            f"Absence: the toolkit's template counts the last {agg.timespan} as a whole (stats without groups "
            f"returns 0 when nothing arrived). Schedule it every {agg.timespan} or more often."
        )
        _within_note(t)

    def to_kql(self, t: Target) -> None:
        from workshop.rules.target import NO_KUSTO_CORRELATION

        agg = t.agg
        g = [t.field(f) for f in agg.group_by]
        by = f" by {', '.join(g)}" if g else ""
        t.out.query = (
            f"{t.table}\n| where {t.time} > ago({agg.timespan})\n| where {t.main}{t.after}\n"
            f"| summarize event_count = count(){by}\n| where event_count < {agg.count}"
        )
        t.out.notes.append(
            f"Absence: the query counts the last {agg.timespan} as a whole (a summarize without groups returns "
            f"0 when nothing arrived). Schedule it every {agg.timespan} or more often."
        )
        t.out.notes.insert(0, NO_KUSTO_CORRELATION)
        _within_note(t)

    def to_lucene(self, t: Target) -> None:
        t.out.query = t.main
        t.out.notes.append(f"NOT IN THE QUERY: the absence ({self.aggregation_text(t.agg)}). Lucene cannot count what did not "
                           "arrive: use the ES|QL version.")  # fmt: skip


def _inside(window: TimeWindow, span: dt.timedelta) -> dt.datetime:
    """The first moment of the week from which ``span`` stays inside the window."""
    import datetime as dt

    monday = dt.datetime(2024, 3, 4, 0, 0, tzinfo=dt.UTC)
    for quarter in range(4 * 24 * 7):
        t = monday + dt.timedelta(minutes=15 * quarter)
        if window.contains(t) and window.contains(t + span):
            return t
    return monday


def _within_note(t: Target) -> None:
    for w in t.agg.within:
        t.out.notes.append(
            f"Only a silence inside the {w.label} ({w.text()}) is an alert: schedule this search to run inside "
            f"that window only, and only once the window has been open for {t.agg.timespan}."
        )
