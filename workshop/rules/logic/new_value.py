"""``new_value``: a value not seen for its group within the look-back (first seen).

Sigma has no first-seen correlation: the rule selects the candidate events, and the
aggregation (``new_value``) tells each conversion and the local tests to add it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from workshop.rules.logic import Events, LogicHandler, register
from workshop.rules.model import Aggregation
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.evaluate import EventTable
    from workshop.rules.model import RuleSet
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target


@register
class NewValue(LogicHandler):
    type = LogicType.NEW_VALUE
    one_rule = False  # the rule selects the candidates; each conversion adds the first-seen part
    stock_backends: frozenset[str] | None = frozenset()

    def standalone_aggregation(self, b: Builder, group_by: list[str], counted: str, extra: list[str],
                               x_workshop: dict[str, Any]) -> Aggregation:  # fmt: skip
        lookback = b.duration_param(str(b.logic.get("lookback")), "lookback")
        if b.logic.get("after_silence"):
            extra.append(
                f"After silence: alert only when {counted} was seen before"
                + (f" for the same {', '.join(group_by)}" if group_by else "")
                + f", and its latest earlier event is older than {lookback} (a dormant account woken up). "
                "A value never seen before (a joiner) is not an alert. Sigma has no such correlation: each "
                "SIEM conversion adds it (the previous event per value, compared with the look-back)."
            )
            x_workshop["first_seen"] = {"field": counted, "group_by": group_by, "lookback": lookback,
                                        "after_silence": True}  # fmt: skip
            return Aggregation("new_value", tuple(group_by), field=counted, lookback=lookback, after_silence=True)
        extra.append(
            f"First seen: alert only when {counted} has not been seen"
            + (f" for the same {', '.join(group_by)}" if group_by else "")
            + f" in the previous {lookback}. Sigma has no first-seen correlation: this rule selects the "
            "candidate events, and each SIEM conversion adds its own first-seen logic (a stats earliest "
            "search, a leftanti join, an Elastic new_terms rule)."
        )
        x_workshop["first_seen"] = {"field": counted, "group_by": group_by, "lookback": lookback}
        return Aggregation("new_value", tuple(group_by), field=counted, lookback=lookback)

    def aggregation_text(self, agg: Aggregation) -> str:
        if agg.after_silence:
            return f"a {agg.field} value seen before{agg.per} but not in the previous {agg.lookback}"
        return f"a {agg.field} value not seen{agg.per} in the previous {agg.lookback}"

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.evaluate import alerts_of_first_seen

        return alerts_of_first_seen(rs, events, evaluate_from)

    def test_notes(self, rs: RuleSet) -> list[str]:
        return ["First seen is evaluated by the toolkit on the rows the Sigma rule selects."]

    def sample_evaluated_from(self, rs: RuleSet, sample: EventTable, notes: list[str]) -> dt.datetime | None:
        """Up to the look-back (at most half the sample) is history: a value is new only
        against what came before it, so the start of any sample would be all "new"."""
        from workshop.vocab import duration_seconds

        if not (sample.first and sample.last):
            return None
        lookback = dt.timedelta(seconds=duration_seconds(rs.aggregation.lookback))
        span = sample.last - sample.first
        history = min(lookback, span / 2)
        if history < lookback:
            notes.append(
                f"The sample covers {span.days} days, less than the look-back ({rs.aggregation.lookback}): "
                f"its first {history.days} days were used as history only, so the sample overstates alerts."
            )
        return sample.first + history

    def from_known_source(self, event: dict[str, Any], field: str, attack_value: Any, known: str) -> None:
        if event.get(field) == attack_value:
            event[field] = known  # the new source is the allowed one; history stays as it was

    def synthetic(self, p: SyntheticPlan) -> Events:
        """History, then a value new for its group (a dormant account: seen only before the
        look-back); or the new value already seen inside the look-back (slow spread)."""
        from workshop.rules.synthplan import Skip
        from workshop.vocab import duration_seconds

        c, t0 = p.c, p.t0
        lookback = dt.timedelta(seconds=duration_seconds(c.rs.aggregation.lookback))
        role = p.counted_role or "user"
        new_value = c.attack_user() if role == "user" else c.distinct(role, 1)
        old_value = c.distinct(role, 2) if role != "user" else "synthetic.colleague"
        if p.kind == "true_positive":
            before = t0 - lookback - dt.timedelta(days=1)
        elif p.kind == "slow_spread":
            before = t0 - lookback / 2
        else:
            raise Skip("a first-seen rule has no threshold to stay under")
        out = [
            c.event(p.first_event, t0 - dt.timedelta(days=1), **{role: old_value}),
            c.event(p.first_event, before, **{role: new_value}),
            c.event(p.first_event, t0, **{role: new_value}),
        ]
        return out, t0 - dt.timedelta(seconds=1)

    # -- conversions: Sigma has no first-seen correlation and no backend writes one, so the
    # toolkit adds it after pySigma's selection in each language
    def to_splunk(self, t: Target) -> None:
        from workshop.rules.target import RUN_EVERY

        agg = t.agg
        keys = " ".join(t.field(f) for f in [*agg.group_by, agg.field])
        if agg.after_silence:
            search = t.convert([t.selection], earliest=_twice(agg.lookback))[0]
            t.out.query = (
                f'{search}\n| eval earlier=if(_time < relative_time(now(), "-{RUN_EVERY}"), _time, null())\n'
                f"| stats max(earlier) as previous_seen max(_time) as last_seen by {keys}\n"
                f'| where last_seen >= relative_time(now(), "-{RUN_EVERY}") AND isnotnull(previous_seen) '
                f'AND previous_seen < relative_time(now(), "-{agg.lookback}")'
            )
            t.out.notes.append(
                f"A dormant value: seen in the last {RUN_EVERY}, seen before, and not in the {agg.lookback} before "
                f"that. The search reaches back {_twice(agg.lookback)} for the earlier activity (a value first seen "
                f"now, a joiner, is not an alert); schedule it every {RUN_EVERY}."
            )
            return
        search = t.convert([t.selection], earliest=agg.lookback)[0]
        t.out.query = (
            f"{search}\n| stats earliest(_time) as first_seen latest(_time) as last_seen count by {keys}\n"
            f'| where first_seen >= relative_time(now(), "-{RUN_EVERY}")'
        )
        t.out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it as a stats earliest search. Schedule it "
            f"every {RUN_EVERY} over the last {agg.lookback}: a value whose first appearance in that period "
            "falls in the last hour is new. For long look-backs keep a first-seen lookup instead "
            "(outputlookup the stats, and compare with inputlookup), which searches less."
        )

    def to_esql(self, t: Target) -> None:
        from workshop.rules.target import RUN_EVERY, esql_span, quote_field

        agg = t.agg
        ts = quote_field("esql", t.p.time_field)
        keys = ", ".join(t.field(f) for f in [*agg.group_by, agg.field])
        search = t.convert([t.selection])[0]
        if agg.after_silence:
            recent = esql_span(RUN_EVERY)
            t.out.query = (
                f"{search}\n| where {ts} > now() - {esql_span(_twice(agg.lookback))}\n"
                f"| eval earlier = case({ts} < now() - {recent}, {ts}, null)\n"
                f"| stats previous_seen = max(earlier), last_seen = max({ts}) by {keys}\n"
                f"| where last_seen > now() - {recent} and previous_seen is not null "
                f"and previous_seen < now() - {esql_span(agg.lookback)}"
            )
            t.out.notes.append(
                f"A dormant value: seen in the last {RUN_EVERY} after more than {agg.lookback} of silence, and seen "
                f"before that (within {_twice(agg.lookback)}); a value never seen before is not an alert."
            )
            return
        t.out.query = (
            f"{search}\n| where {ts} > now() - {esql_span(agg.lookback)}\n"
            f"| stats first_seen = min({ts}) by {keys}\n| where first_seen > now() - {esql_span(RUN_EVERY)}"
        )
        terms = [t.p.map_field(f) for f in agg.group_by] + [t.p.map_field(agg.field)]
        t.out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it in ES|QL (first appearance in the last "
            f"{agg.lookback} falls in the last {RUN_EVERY}; schedule it every {RUN_EVERY}). In Elastic Security a "
            f"'new_terms' rule does the same: new_terms_fields {terms}, history_window_start now-{agg.lookback}, "
            "with the Lucene query of this use case."
        )

    def to_kql(self, t: Target) -> None:
        from workshop.rules.target import RUN_EVERY

        agg = t.agg
        keys = ", ".join([*(t.field(f) for f in agg.group_by), t.field(agg.field) if agg.field else ""])
        table, ts, main, win = t.table, t.time, t.main, t.after
        if agg.after_silence:
            t.out.query = (
                f"let lookback = {agg.lookback};\nlet recent = {RUN_EVERY};\n"
                f"let previous = {table}\n| where {ts} between (ago({_twice(agg.lookback)}) .. ago(recent))\n"
                f"| where {main}{win}\n| summarize previous_seen = max({ts}) by {keys};\n"
                f"{table}\n| where {ts} > ago(recent)\n| where {main}{win}\n"
                f"| join kind=inner (previous) on {keys}\n| where previous_seen < ago(lookback)"
            )
            t.out.notes.append(
                f"A dormant value: events of the last {RUN_EVERY} whose {keys} was last seen more than "
                f"{agg.lookback} before (an inner join, so a value never seen before, a joiner, is not an alert)."
            )
            return
        t.out.query = (
            f"let lookback = {agg.lookback};\nlet recent = {RUN_EVERY};\n"
            f"let seen = {table}\n| where {ts} between (ago(lookback) .. ago(recent))\n| where {main}{win}\n"
            f"| distinct {keys};\n"
            f"{table}\n| where {ts} > ago(recent)\n| where {main}{win}\n| join kind=leftanti (seen) on {keys}"
        )
        t.out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it as a leftanti join: events of the last "
            f"{RUN_EVERY} whose {keys} did not occur in the {agg.lookback} before. Schedule it every {RUN_EVERY}."
        )

    def to_lucene(self, t: Target) -> None:
        agg = t.agg
        t.out.query = t.main
        g = [t.p.map_field(f) for f in agg.group_by]
        fld = t.p.map_field(agg.field) if agg.field else ""
        t.out.notes.append(
            f"NOT IN THE QUERY: first seen ({self.aggregation_text(agg)}). Use this query in an Elastic new_terms rule: "
            f"new_terms_fields {[*g, fld]}, history_window_start now-{agg.lookback}."
        )


def _twice(duration: str) -> str:
    """The search horizon of a dormant rule: twice the look-back (``90d`` -> ``180d``), so the
    earlier activity the silence is measured from is in the search."""
    import re

    m = re.fullmatch(r"(\d+)([smhdw])", duration.strip())
    return f"{int(m.group(1)) * 2}{m.group(2)}" if m else duration
