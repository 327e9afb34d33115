"""``sequence``: events in order per group within a window (Sigma temporal_ordered).

With a minimum count of the first step (``logic.threshold``), the first step is an
event_count correlation of its own that the temporal_ordered rule refers to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workshop.rules.logic import Correlated, Correlation, Events, register
from workshop.rules.model import Aggregation, SigmaDoc, bounded, identifier, one_line, rule_uuid
from workshop.usecases.events import EVENTS
from workshop.vocab import LogicType

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.build import Builder
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target


@register
class Sequence(Correlated):
    type = LogicType.SEQUENCE

    def aggregation_text(self, agg: Aggregation) -> str:
        first = f" (at least {agg.first_step_count} of the first)" if agg.first_step_count else ""
        return f"the {len(agg.steps)} steps in order{first}{agg.per} within {agg.timespan}"

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

    def synthetic(self, p: SyntheticPlan) -> Events:
        """The steps in order for one group (the first step repeated as often as asked); below
        the minimum count of the first step; or every step further apart than the window."""
        from workshop.rules.synthplan import Skip, sequence_roles, spread

        c, window, t0 = p.c, p.window, p.t0
        steps = [s.event for s in c.rs.selections]
        first_n = c.rs.aggregation.first_step_count or 1
        if p.kind == "true_positive":
            times = spread(t0, window / 2, first_n + len(steps) - 1)
        elif p.kind == "split_below_threshold":
            if first_n <= 1:
                raise Skip("the sequence has no minimum count to stay under")
            first_n -= 1
            times = spread(t0, window / 2, first_n + len(steps) - 1)
        else:  # slow_spread: every step further apart than the window
            times = spread(t0, window * 1.5 * (first_n + len(steps) - 2 or 1), first_n + len(steps) - 1)
            if len(times) > 1 and times[-1] - times[-2] <= window:
                times[-1] = times[-2] + window * 1.5
        roles = sequence_roles(c, p.group_roles)
        out = [c.event(steps[0], t, **roles) for t in times[:first_n]]
        out.extend(c.event(e, t, **roles) for e, t in zip(steps[1:], times[first_n:], strict=False))
        return out, None

    # -- conversions
    def to_splunk(self, t: Target) -> None:
        from workshop.rules.backends import STREAMSTATS
        from workshop.rules.target import sequence_docs

        agg = t.agg
        if len(agg.steps) != 2:
            t.out.notes.append(
                f"NOT IN THE QUERY: an ordered sequence of {len(agg.steps)} steps; pySigma's Splunk backend cannot "
                "write it and the toolkit's template writes two-step sequences only (chained streamstats would "
                "let the whole sequence span more than the window). The query of each step is listed with the rule."
            )
            t.out.query, t.out.method = "", "none"
            return
        t.out.query = t.convert(sequence_docs(t.rs), STREAMSTATS)[-1]
        n = agg.first_step_count or 1
        t.out.notes.append(
            "pySigma's stock Splunk backend cannot write ordered (temporal_ordered) correlations; the toolkit's "
            f"template writes it with streamstats: each second-step event with at least {n} first-step event(s) "
            f"of the same {', '.join(agg.group_by) or 'log'} in the {agg.timespan} before it."
        )

    def to_esql(self, t: Target) -> None:
        from workshop.rules.target import eql_sequence

        t.out.query, t.out.method = "", "none"
        t.out.notes.append(
            "NOT IN THE QUERY: ES|QL cannot express an ordered sequence (no joins over time), and pySigma's ES|QL "
            "backend has no temporal_ordered correlation. Use the EQL sequence below (an Elastic EQL rule)."
        )
        eql = eql_sequence(t.rs, t.p)
        if eql:
            t.out.extra["eql"] = eql

    def to_kql(self, t: Target) -> None:
        """Each step a let statement, joined in order on the group within the window."""
        from workshop.rules.target import NO_KUSTO_CORRELATION

        agg = t.agg
        g = [t.field(f) for f in agg.group_by]
        sel = [t.parts[s].query for s in agg.steps]
        keys = g or ["_k"]
        key_ext = "" if g else " | extend _k = 1"
        n = agg.first_step_count or 1
        cols = ", ".join(keys)
        last = len(sel)
        lets = "".join(
            f"let step{i} = {t.table}\n| where {q}{t.after}{key_ext}\n| project {cols}, t{i} = {t.time};\n"
            for i, q in enumerate(sel, 1)
        )
        chain = "step1"
        for i in range(2, last + 1):
            chain += f"\n| join kind=inner (step{i}) on {cols}\n| where t{i - 1} < t{i}"
        t.out.query = (
            f"{lets}{chain}\n| where t{last} - t1 <= {agg.timespan}\n"
            f"| summarize firsts = make_set(t1) by {cols}, t{last}\n"
            f"| where array_length(firsts) >= {n}"
        )
        t.out.notes.insert(0, NO_KUSTO_CORRELATION)

    def to_lucene(self, t: Target) -> None:
        from workshop.rules.target import eql_sequence

        t.out.query = t.main
        t.out.notes.append(f"NOT IN THE QUERY: the order ({self.aggregation_text(t.agg)}). Use the EQL sequence of the ES|QL "
                           "output (an Elastic EQL rule).")  # fmt: skip
        eql = eql_sequence(t.rs, t.p)
        if eql:
            t.out.extra["eql"] = eql
