"""Sigma rules converted to SIEM queries with pySigma, and what pySigma cannot write.

pySigma converts the rules through the application's pipeline (:mod:`.pipelines`)
with the toolkit's backends (:mod:`.backends`), whose correlation templates write
thresholds, distinct counts, sums, absences and ordered sequences where the SIEM's
language can say them. What no backend can express is written here, in plain
composition of pySigma's output, never by editing it: first-seen searches (Sigma
has no first-seen correlation), and every aggregation for Sentinel (pySigma's Kusto
backend converts no correlations). Where a SIEM cannot do something at all (ES|QL
has no ordered sequence, Lucene no aggregation, none a weekly time window in a time
zone except Splunk and Sentinel), the output says so in plain words next to the
query. A threshold, an allowlist or a time window is never dropped silently: if it
is not in the query, a note says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workshop.rules.model import RuleSet
from workshop.rules.pipelines import SIEMS, Pipeline, check_siem, error_text
from workshop.rules.target import (
    FIXED_BUCKETS,
    NO_KUSTO_CORRELATION,
    RUN_EVERY,
    ConvertedRule,
    QueryPart,
    Target,
    _convert,
    _without,
    eql_sequence,
    esql_span,
    quote_field,
    sequence_docs,
)
from workshop.vocab import WEEKDAYS, TimeWindow

__all__ = [
    "EXTENSIONS", "FIXED_BUCKETS", "NO_KUSTO_CORRELATION", "RUN_EVERY", "ConvertedRule", "QueryPart", "Target",
    "convert_rule_set", "eql_sequence", "esql_span", "export_text", "quote_field", "sequence_docs",
]  # fmt: skip

# --------------------------------------------------------------------------- time windows


def _day_numbers(days: Iterable[str], sunday: int) -> str:
    """Weekday numbers as a SIEM counts them (Monday 1; Sunday 0 in Kusto, 7 in ES|QL)."""
    return ", ".join(str(n) for n in sorted(sunday if d == "sun" else WEEKDAYS.index(d) + 1 for d in days))


def _window_spl(w: TimeWindow) -> str:
    days = ", ".join(f'"{d.capitalize()}"' for d in w.days)
    s, e = int(w.start.replace(":", "")), int(w.end.replace(":", ""))
    lines = '| eval _wd=strftime(_time, "%a"), _hm=tonumber(strftime(_time, "%H%M"))'
    if not w.overnight:
        inside = f"in(_wd, {days}) AND _hm>={s} AND _hm<{e}"
    else:
        lines += ', _pwd=strftime(relative_time(_time, "-1d"), "%a")'
        inside = f"(in(_wd, {days}) AND _hm>={s}) OR (in(_pwd, {days}) AND _hm<{e})"
    return f"{lines}\n| where NOT ({inside})"


def _window_kql(w: TimeWindow, time_field: str) -> str:
    days = _day_numbers(w.days, sunday=0)
    s, e = w.start_minute, w.end_minute
    lines = (
        f'| extend _local = datetime_utc_to_local({quote_field("kql", time_field)}, "{w.timezone}")\n'
        '| extend _day = toint(dayofweek(_local) / 1d), _minute = hourofday(_local) * 60 + datetime_part("minute", _local)'
    )
    if not w.overnight:
        return lines + f"\n| where not(_day in ({days}) and _minute >= {s} and _minute < {e})"
    lines += "\n| extend _prev_day = toint(dayofweek(_local - 1d) / 1d)"
    return (
        lines
        + f"\n| where not((_day in ({days}) and _minute >= {s}) or (_prev_day in ({days}) and _minute < {e}))"
    )


def _utc(tz: str) -> bool:
    return tz in ("UTC", "Etc/UTC", "Etc/GMT", "GMT", "Universal", "Zulu", "Etc/Universal", "Etc/Zulu")


def _window_esql(w: TimeWindow, time_field: str) -> str:
    t = quote_field("esql", time_field)
    days = _day_numbers(w.days, sunday=7)
    s, e = w.start_minute, w.end_minute
    lines = (
        f'| eval _day = date_extract("day_of_week", {t}), '
        f'_minute = date_extract("hour_of_day", {t}) * 60 + date_extract("minute_of_hour", {t})'
    )
    if not w.overnight:
        return lines + f"\n| where not (_day in ({days}) and _minute >= {s} and _minute < {e})"
    lines += f'\n| eval _prev_day = date_extract("day_of_week", {t} - 1 day)'
    return (
        lines
        + f"\n| where not ((_day in ({days}) and _minute >= {s}) or (_prev_day in ({days}) and _minute < {e}))"
    )


# --------------------------------------------------------------------------- conversion


def _placeholder_help(rs: RuleSet, siem: str) -> str:
    names = ", ".join(f"%{p}%" for p in rs.placeholders)
    return (
        f"{SIEMS[siem]} cannot look up the list {names} inside a query. Write its values into this SIEM's "
        "pipeline (vars: {name: [values]} and a 'value_placeholders' transformation) and convert again."
    )


def convert_rule_set(rs: RuleSet, siem: str, pipeline: Pipeline) -> ConvertedRule:
    """Convert one use case's rules for one SIEM (never raises for a rule pySigma refuses:
    the refusal is in the notes)."""
    from workshop.rules.logic import logic_handler

    check_siem(siem)
    out = ConvertedRule(rs.application, rs.use_case, rs.title, rs.rule_id, siem, "", "none")
    # Each selection on its own: what a reader checks, and the building blocks of Sentinel's
    # aggregations. Without 'fields' (Splunk appends "| table ...", which drops _time) and 'name'.
    parts: dict[str, QueryPart] = {}
    for d in rs.docs:
        if d.kind != "detection":
            continue
        try:
            q = _convert(siem, pipeline, [_mapped_lookups(_without(d.data, "name", "fields"), pipeline)])[0]
            parts[d.id] = QueryPart(d.id, d.title, d.role, q)
        except Exception as exc:
            parts[d.id] = QueryPart(d.id, d.title, d.role, "", error_text(exc))
    out.parts = list(parts.values())
    failed = [p for p in out.parts if p.error]
    if failed:
        for p in failed:
            out.notes.append(f"pySigma could not convert '{p.title}': {p.error}")
        if rs.placeholders and any("placeholder" in p.error.lower() for p in failed):
            out.notes.append(_placeholder_help(rs, siem))
        out.notes.append(
            "NOT IN THE QUERY: this use case has no query for this SIEM until the above is fixed."
        )
        out.notes.extend(_carry_notes(rs))
        return out
    if logic_handler(rs.logic).one_rule and not rs.windows:
        main = parts[rs.selections[0].id].query
        try:  # the alert rule as pySigma writes it, with the fields the analyst sees
            out.query, out.method = (
                _convert(siem, pipeline, [_mapped_lookups(rs.alert.data, pipeline)])[0],
                "pysigma",
            )
        except Exception as exc:
            out.notes.append(f"pySigma could not convert the rule with its fields: {error_text(exc)}")
            out.query, out.method = main, "pysigma"
        if siem == "kql":  # the Kusto backend writes the condition only; the table comes from the pipeline
            out.query = f"{pipeline.vars.get('table') or 'AppAudit_CL'}{_kql_lookups(rs, pipeline)}\n| where {out.query}"
        _field_comparisons(rs, siem, pipeline, out)
        _list_dates(rs, siem, pipeline, out)
        out.notes.extend(_carry_notes(rs))
        if siem == "lucene":
            _window_lines(rs, siem, pipeline.time_field, out)
        return out
    try:
        _write(siem, rs, pipeline, out, parts)
    except Exception as exc:  # a backend refusing the correlation is a note, not a crash
        out.query, out.method = "", "none"
        out.notes.append(f"NOT IN THE QUERY: pySigma could not convert the correlation: {error_text(exc)}")
    out.notes.extend(_carry_notes(rs))
    out.notes = list(dict.fromkeys(out.notes))
    return out


def _list_dates(rs: RuleSet, siem: str, p: Pipeline, out: ConvertedRule) -> None:
    """A lookup whose rows count only after a date it holds (a leaver's last working day):
    the date test after the search, where the SIEM reads the lookup's columns."""
    for ph in rs.placeholders.values():
        if not ph.after:
            continue
        fld = quote_field(siem, p.map_field(ph.field))
        if siem == "splunk" and out.query:
            out.query += (
                f"\n| lookup {ph.id} {fld} OUTPUT {ph.after}"
                f'\n| where _time >= strptime({ph.after}, "%Y-%m-%d") + 86400'
            )
            out.notes.append(
                f"Only events after the {ph.after} in the lookup '{ph.id}' (a date, YYYY-MM-DD) count."
            )
        elif siem == "esql" and out.query and f"lookup join {ph.id} " in out.query:
            out.query += f"\n| where {quote_field('esql', p.time_field)} >= {ph.after} + 1 day"
            out.notes.append(
                f"Only events after the {ph.after} (a date field of the lookup index '{ph.id}') count."
            )
        elif siem == "kql" and out.query and f"_GetWatchlist('{ph.id}')" in out.query:
            # the watchlist's search key is the account; its other columns come as text
            out.query += (
                f"\n| lookup kind=inner (_GetWatchlist('{ph.id}') | project {fld} = tostring(SearchKey), "
                f"{ph.after} = todatetime({ph.after})) on {fld}"
                f"\n| where {quote_field('kql', p.time_field)} >= {ph.after} + 1d"
            )
            out.notes.append(
                f"Only events after the {ph.after} (a column of the watchlist '{ph.id}', a date, YYYY-MM-DD, "
                "read as UTC midnight; its SearchKey is the account) count."
            )
        else:
            out.notes.append(
                f"NOT IN THE QUERY: the date test (only events after the {ph.after} held in the list '{ph.id}'): "
                f"every event of an account in the list is returned. Use the Splunk or ES|QL version."
            )


def _compared(rs: RuleSet) -> list[str]:
    """The field comparisons (Sigma ``|fieldref``) of the rule's selections, as ``a = b``."""
    return [f"{str(k).split('|')[0]} = {v}" for d in rs.selections
            for block in (d.data.get("detection") or {}).values() if isinstance(block, dict)
            for k, v in block.items() if str(k).endswith("|fieldref")]  # fmt: skip


def _mapped_lookups(data: dict[str, Any], p: Pipeline) -> dict[str, Any]:
    """The rule with the fields of its lookups (``x_workshop.lookups_added``) as this SIEM names
    them: the backends write the lookup lines, and pySigma maps only the detection's fields."""
    x = data.get("x_workshop") or {}
    added = x.get("lookups_added") if isinstance(x, dict) else None
    if not added:
        return data
    mapped = {k: {"key": p.map_field(v["key"]), "adds": p.map_field(v["adds"])} for k, v in added.items()}
    return data | {"x_workshop": x | {"lookups_added": mapped}}


def _kql_lookups(rs: RuleSet, p: Pipeline) -> str:
    """Sentinel: a field the log lacks, added from the watchlist of that name (keyed on its
    SearchKey, the owner in a column named like the log's field)."""
    lines = []
    for name, (key, adds) in rs.enrich.items():
        k, a = (quote_field("kql", p.map_field(f)) for f in (key, adds))
        lines.append(f"\n| lookup kind=leftouter (_GetWatchlist('{name}') | project {k}=tostring(SearchKey), "
                     f"{a}=tostring({quote_field('kql', adds)})) on {k}")  # fmt: skip
    return "".join(lines)


def _field_comparisons(rs: RuleSet, siem: str, p: Pipeline, out: ConvertedRule) -> None:
    """What each SIEM does with a comparison of two fields of one event."""
    compared = _compared(rs)
    if not compared:
        return
    what = ", ".join(compared)
    if siem == "lucene":
        out.notes.append(
            f"NOT IN THE QUERY: the comparison {what}. Lucene cannot compare two fields of one event, so this "
            "query returns every selected event that has the field; use the ES|QL version (a Kibana ES|QL rule)."
        )
    elif siem == "kql":
        out.method = "pysigma+toolkit"
        out.notes.append(f"The comparison {what} is written by the toolkit's Kusto backend (stock pySigma's refuses "
                         "Sigma's |fieldref).")  # fmt: skip
    for name, (key, adds) in rs.enrich.items():
        if siem == "lucene":
            out.notes.append(f"NOT IN THE QUERY: {adds} from the lookup '{name}' (keyed on {key}); Lucene cannot "
                             "join a lookup.")  # fmt: skip
        else:
            out.method = "pysigma+toolkit"
            k, a = (quote_field(siem, p.map_field(f)) for f in (key, adds))
            out.notes.append(f"{a} is read from the lookup '{name}' (keyed on {k}, the owner in a column "
                             f"{a if siem != 'kql' else adds}) before the comparison.")  # fmt: skip


def _carry_notes(rs: RuleSet) -> list[str]:
    return [f"Rule note: {n}" for n in rs.notes]


def _window_lines(rs: RuleSet, siem: str, time_field: str, out: ConvertedRule) -> str:
    lines = []
    for w in rs.windows:
        if siem == "splunk":
            lines.append(_window_spl(w))
            out.notes.append(
                f"The {w.label} ({w.text()}) is applied with strftime, which renders _time in the time zone of "
                f"the user the search runs as: set that user's time zone to {w.timezone}."
            )
        elif siem == "kql":
            lines.append(_window_kql(w, time_field))
            out.notes.append(
                f"The {w.label} ({w.text()}) is applied in {w.timezone} with datetime_utc_to_local()."
            )
        elif siem == "esql" and _utc(w.zone):
            lines.append(_window_esql(w, time_field))
            out.notes.append(f"The {w.label} ({w.text()}) is applied with date_extract (UTC).")
        else:
            what = (
                "ES|QL has no time-zone conversion"
                if siem == "esql"
                else "Lucene cannot test the time of day"
            )
            out.notes.append(
                f"NOT IN THE QUERY: the {w.label} ({w.text()}). {what}, so this query also returns the events "
                "inside the window. Add the local day and hour at ingest (an ingest pipeline with a date "
                f"processor in {w.timezone}) and filter on them, or use the Splunk or Sentinel version."
            )
    return "\n".join(lines)


def _method(siem: str, rs: RuleSet) -> str:
    """ "pysigma" when a stock backend template wrote the whole query, else "pysigma+toolkit"."""
    if siem == "lucene":
        return "pysigma"
    from workshop.rules.logic import logic_handler

    stock = logic_handler(rs.logic).written_by_stock_backend(siem)
    return "pysigma" if stock and not rs.windows else "pysigma+toolkit"


def _write(siem: str, rs: RuleSet, p: Pipeline, out: ConvertedRule, parts: dict[str, QueryPart]) -> None:
    """The query of the whole use case, as its logic type writes it for this SIEM."""
    from workshop.rules.logic import logic_handler

    window = _window_lines(rs, siem, p.time_field, out)
    out.method = _method(siem, rs)
    target = Target(siem, rs, p, out, parts, ("\n" + window) if window else "")
    getattr(logic_handler(rs.logic), f"to_{siem}")(target)


# --------------------------------------------------------------------------- export text

_COMMENT = {"splunk": "", "kql": "// ", "esql": "// ", "lucene": "# "}
EXTENSIONS = {"splunk": "spl", "kql": "kql", "esql": "esql", "lucene": "lucene.txt"}


def _comment(siem: str, lines: list[str]) -> str:
    start = _COMMENT[siem]
    if siem == "splunk":  # SPL's own comment syntax: ```...```
        body = "\n".join(line.replace("```", "'''") for line in lines)
        return f"```\n{body}\n```"
    return "\n".join(f"{start}{line}".rstrip() for line in lines)


def export_text(
    app_name: str, siem: str, converted: list[ConvertedRule], pipeline: Pipeline | None = None
) -> str:
    """One file per application and SIEM: every query, each with its notes above it."""
    import textwrap

    head = [
        f"{app_name}: detection rule drafts for {SIEMS[siem]}",
        "Generated by Use-Case Workshop from Sigma rules.",
    ]
    if siem == "lucene":
        head.append("Lines starting with '#' are notes, not part of the queries.")
    if pipeline is not None:
        head.append(f"Field names: {pipeline.source} pipeline ({len(pipeline.mapping)} field mappings).")
    blocks = [_comment(siem, head)]
    for c in converted:
        lines = [f"{c.title}", f"use case: {c.use_case} | Sigma rule id: {c.rule_id} | method: {c.method}"]
        for note in c.notes:
            wrapped = textwrap.wrap(note, 100) or [""]
            lines.append("NOTE: " + wrapped[0])
            lines.extend("      " + w for w in wrapped[1:])
        if not c.query:
            lines.append("(no query for the whole use case: see the notes)")
        block = _comment(siem, lines)
        if c.query:
            block += "\n" + c.query
        else:
            for part in c.parts:
                if part.query:
                    block += "\n" + _comment(siem, [f"selection only: {part.title}"]) + "\n" + part.query
        for lang, text in c.extra.items():
            block += (
                "\n"
                + _comment(siem, [f"{lang.upper()} alternative:"])
                + "\n"
                + _comment(siem, text.splitlines())
            )
        blocks.append(block)
    return "\n\n".join(blocks) + "\n"
