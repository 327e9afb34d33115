"""``silence``: fewer than N events within a window (the application stopped logging).

In Sigma an event_count with ``lt``; the aggregation kind ``silence`` tells the
conversions to count the last window as a whole, since a query that counts the
windows it finds can never see one with no events.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from workshop.rules.backends import quote_field
from workshop.rules.logic import Correlation, Events, register
from workshop.rules.logic.counting import Counting
from workshop.vocab import LogicType, TimeWindow, duration_seconds, is_duration

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from workshop.rules.build import Builder
    from workshop.rules.evaluate import EventTable
    from workshop.rules.model import RuleSet, SigmaDoc
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target


#: The parameter that lists the jobs a silence is checked for one by one ("account: gap"
#: entries, from the batch jobs' answers): each job's own events, each within its own gap.
PER_JOB = "job_windows"


def job_windows(raw: object, default: str) -> list[tuple[str, str]]:
    """(account, gap) of each "account: gap" entry; an entry without a valid gap gets ``default``."""
    out: dict[str, str] = {}
    for entry in raw if isinstance(raw, list) else []:
        account, _, gap = str(entry).rpartition(":") if ":" in str(entry) else (str(entry), "", "")
        account, gap = account.strip(), gap.strip()
        if account:
            out.setdefault(account, gap if is_duration(gap) else default)
    return list(out.items())


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
        jobs = job_windows(b.param_value(PER_JOB), window) if PER_JOB in b.uc.parameters else []
        if jobs:
            return _per_job(self, b, selections, jobs, counted, extra, title, author)
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
        expected = p.c.rs.aggregation.expected
        if expected:  # per job: the first job's own runs, then a gap longer than its own
            import datetime as dt

            account, own = expected[0]
            step = dt.timedelta(seconds=duration_seconds(own)) / 4
            runs = [p.t0 + step * i for i in range(3)] + [p.t0 + step * (12 + i) for i in range(3)]
            return [p.c.event(p.first_event, t, user=account) for t in runs], None
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
        if agg.expected:
            return _per_job_splunk(t)
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
        if agg.expected:
            return _per_job_esql(t)
        t.out.query = t.convert(t.docs, WHOLE_WINDOW)[-1]
        t.out.notes.append(
            f"Absence: the toolkit's template counts the last {agg.timespan} as a whole (stats without groups "
            f"returns 0 when nothing arrived). Schedule it every {agg.timespan} or more often."
        )
        _within_note(t)

    def to_kql(self, t: Target) -> None:
        from workshop.rules.target import NO_KUSTO_CORRELATION

        agg = t.agg
        if agg.expected:
            return _per_job_kql(t)
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


def _per_job(h: Silence, b: Builder, selections: list[SigmaDoc], jobs: list[tuple[str, str]], counted: str,
             extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
    """Each job by the account it runs as, within its own gap: the selection keeps the jobs'
    accounts, the correlation groups by account over the longest gap, and the aggregation
    lists every job with its gap (a job with no event at all is still a group the
    conversions and the local test check)."""
    user = b.field("user")
    det = selections[0].data["detection"]
    det["selection_job_accounts"] = {user: [a for a, _ in jobs]}
    det["condition"] = "selection and selection_job_accounts" + str(det["condition"])[len("selection") :]
    longest = max((g for _, g in jobs), key=duration_seconds)
    made = Counting.correlation(h, b, selections, [user], longest, counted, extra, title, author)
    extra.append(
        "Checked per job, by the account it runs as: an alert when a job's account logs no run event within "
        "its own gap (" + "; ".join(f"{a}: {g}" for a, g in jobs) + ")."
    )
    made.aggregation = replace(made.aggregation, expected=tuple(jobs))
    return made


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _longest(t: Target) -> str:
    return max((g for _, g in t.agg.expected), key=duration_seconds)


_PER_JOB_NOTE = (
    "Per job: each job's account must log a run event within its own gap ({jobs}); an account with no "
    "event at all is listed too. Schedule the search every {every} or more often."
)


def _per_job_note(t: Target) -> None:
    jobs = "; ".join(f"{a}: {g}" for a, g in t.agg.expected)
    every = min((g for _, g in t.agg.expected), key=duration_seconds)
    t.out.notes.append(_PER_JOB_NOTE.format(jobs=jobs, every=every))


def _per_job_splunk(t: Target) -> None:
    """The last run of each job's account, the accounts that logged nothing added, each
    compared with its own gap (a silence found by its last event, not by counting)."""
    user = t.field(t.agg.group_by[0])
    accounts = ", ".join(_quoted(a) for a, _ in t.agg.expected)
    gaps = ", ".join(f"{user}=={_quoted(a)}, {duration_seconds(g)}" for a, g in t.agg.expected)
    t.out.query = (
        f"earliest=-{_longest(t)} {t.main}{t.after}\n| stats max(_time) as last_run by {user}\n"
        f"| append [| makeresults | eval {user}=mvappend({accounts}) | mvexpand {user} | fields {user}]\n"
        f"| stats max(last_run) as last_run by {user}\n| eval gap=case({gaps})\n"
        "| where isnull(last_run) OR last_run < now() - gap"
    )
    _per_job_note(t)


def _per_job_esql(t: Target) -> None:
    """One row: each job's last run (a filtered max, null when its account logged nothing)."""
    from workshop.rules.target import esql_span

    user, ts = t.field(t.agg.group_by[0]), quote_field("esql", t.p.time_field)
    cols = ["`" + f"last_run {a}".replace("`", "``") + "`" for a, _ in t.agg.expected]
    stats = ", ".join(
        f"{c} = max({ts}) WHERE {user} == {_quoted(a)}"
        for c, (a, _) in zip(cols, t.agg.expected, strict=True)
    )
    late = " OR ".join(
        f"{c} IS NULL OR {c} < now() - {esql_span(g)}" for c, (_, g) in zip(cols, t.agg.expected, strict=True)
    )
    t.out.query = (
        f"{t.main}{t.after}\n| where {ts} > now() - {esql_span(_longest(t))}\n| stats {stats}\n| where {late}"
    )
    t.out.notes.append("The filtered aggregations (STATS ... WHERE) need Elasticsearch 8.18 or later.")
    _per_job_note(t)


def _per_job_kql(t: Target) -> None:
    """The expected jobs as a datatable, each joined with its account's last run."""
    from workshop.rules.target import NO_KUSTO_CORRELATION

    user = t.field(t.agg.group_by[0])
    rows = ", ".join(f"{_quoted(a)}, {g}" for a, g in t.agg.expected)
    t.out.query = (
        f"datatable({user}: string, gap: timespan) [{rows}]\n| join kind=leftouter (\n    {t.table}\n"
        f"    | where {t.time} > ago({_longest(t)})\n    | where {t.main}{t.after}\n"
        f"    | summarize last_run = max({t.time}) by {user}\n) on {user}\n"
        f"| where isnull(last_run) or last_run < ago(gap)\n| project {user}, last_run, gap"
    )
    t.out.notes.insert(0, NO_KUSTO_CORRELATION)
    _per_job_note(t)


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
