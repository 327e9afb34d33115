"""Sigma rules converted to SIEM queries with pySigma, and what pySigma cannot write.

Field names go through a processing pipeline per application and SIEM, in pySigma's
own YAML format (``field_name_mapping`` and friends), which the user can edit and the
store keeps. A default is generated from the interview's log vocabulary: Splunk keeps
the application's field names; Sentinel reads a custom table (``<App>_CL`` with
``<field>_s`` string and ``<field>_d`` number columns); Elastic maps the roles to ECS
(``user.name``, ``source.ip``, ``event.action``...) and puts the rest under the
application's own namespace.

pySigma converts the selections. Where a backend cannot express the rest (Kusto has
no correlations at all; Splunk and ES|QL have no ordered sequences or sums; none has
a first-seen correlation or a weekly time window in a time zone), the output says so
in plain words next to the query and gives the aggregation in that language where it
can be written reliably. A threshold, an allowlist or a time window is never dropped
silently: if it is not in the query, a note says so.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from workshop.core.errors import InputError, LoadError, Location
from workshop.rules.sigma import RuleContext, RuleSet, TimeWindow
from workshop.usecases.events import ROLES, vocabulary

SIEMS: dict[str, str] = {
    "splunk": "Splunk SPL",
    "kql": "Microsoft Sentinel KQL",
    "esql": "Elastic ES|QL",
    "lucene": "Elastic Lucene",
}
#: How often the first-seen searches are meant to run (the "recent" part of first-seen).
RUN_EVERY = "1h"
#: Transformation types a user's pipeline may use. Those that read files, URLs or run
#: commands (``file_placeholders``, ``http_placeholders``, ``command_placeholders``) and
#: query templates (which can read Python objects or template files) are refused, since a
#: pipeline saved in a shared workspace runs in every facilitator's process.
ALLOWED_TRANSFORMATIONS = frozenset(
    {
        "field_name_mapping", "field_name_prefix_mapping", "field_name_suffix", "field_name_prefix",
        "drop_detection_item", "add_condition", "change_logsource", "add_field", "remove_field",
        "set_field", "replace_string", "map_string", "set_state", "set_value", "convert_type",
        "regex", "case", "value_placeholders", "query_expression_placeholders", "wildcard_placeholders",
        "rule_failure", "detection_item_failure", "strict_field_mapping_failure", "set_custom_attribute",
    }
)  # fmt: skip
PIPELINE_KEYS = frozenset({"name", "priority", "transformations", "vars", "allowed_backends"})
_DURATION = re.compile(r"^(\d+)([smhd])$")
_ESQL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_FIXED_BUCKETS = (
    "pySigma counts in fixed time buckets ({how}): a burst that straddles a bucket boundary is split in "
    "two and can stay under the threshold. The toolkit's local tests use a sliding window."
)


# --------------------------------------------------------------------------- pipelines


@dataclass
class Pipeline:
    """An application's processing pipeline for one SIEM (YAML text as the user wrote it)."""

    siem: str
    text: str
    data: dict[str, Any]
    source: str = "default"  # "default" or "saved"
    updated_at: str = ""
    updated_by: str = ""

    def pysigma(self):
        from sigma.processing.pipeline import ProcessingPipeline

        return ProcessingPipeline.from_dict(copy.deepcopy(self.data))

    @property
    def mapping(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.data.get("transformations") or []:
            if isinstance(item, dict) and item.get("type") == "field_name_mapping":
                for k, v in (item.get("mapping") or {}).items():
                    target = v[0] if isinstance(v, list) and v else v
                    if isinstance(target, str):
                        out.setdefault(str(k), target)
        return out

    def map_field(self, name: str) -> str:
        return self.mapping.get(name, name)

    @property
    def vars(self) -> dict[str, Any]:
        v = self.data.get("vars")
        return v if isinstance(v, dict) else {}

    def state(self, key: str) -> Any:
        for item in self.data.get("transformations") or []:
            if isinstance(item, dict) and item.get("type") == "set_state" and item.get("key") == key:
                return item.get("val")
        return None

    @property
    def time_field(self) -> str:
        return str(
            self.vars.get("time_field")
            or {"splunk": "_time", "kql": "TimeGenerated"}.get(self.siem, "@timestamp")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "siem": self.siem,
            "source": self.source,
            "text": self.text,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "field_mapping": self.mapping,
        }


def check_siem(siem: str) -> str:
    if siem not in SIEMS:
        raise InputError(f"unknown SIEM '{siem}' (known: {', '.join(SIEMS)})")
    return siem


def parse_pipeline(text: str, siem: str, where: str = "<pipeline>") -> Pipeline:
    """Read a pipeline the user wrote: YAML loaded with ``yaml.safe_load``, only the keys
    and transformation types in :data:`ALLOWED_TRANSFORMATIONS`, then built by pySigma."""
    check_siem(siem)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LoadError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            Location(where, mark.line + 1 if mark else None),
        ) from None
    if not isinstance(data, dict):
        raise LoadError("a processing pipeline must be a mapping with 'transformations'", Location(where, 1))
    unknown = sorted(set(map(str, data)) - PIPELINE_KEYS)
    if unknown:
        raise LoadError(
            f"unknown or refused key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(PIPELINE_KEYS))}); "
            "postprocessing and finalizers are not accepted in a workspace pipeline", Location(where)
        )  # fmt: skip
    items = data.get("transformations") or []
    if not isinstance(items, list):
        raise LoadError("'transformations' must be a list", Location(where))
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or "type" not in item:
            raise LoadError(f"transformation {i} must be a mapping with a 'type'", Location(where))
        if item["type"] not in ALLOWED_TRANSFORMATIONS:
            raise LoadError(
                f"transformation {i}: type '{item['type']}' is not allowed here "
                f"(allowed: {', '.join(sorted(ALLOWED_TRANSFORMATIONS))})", Location(where)
            )  # fmt: skip
        if item["type"] == "field_name_mapping":
            mapping = item.get("mapping")
            good = isinstance(mapping, dict) and all(
                isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(x, str) for x in v))
                for v in mapping.values()
            )
            if not good:
                raise LoadError(
                    f"transformation {i}: 'mapping' must map each field name to a name or a list of names",
                    Location(where),
                )
    if data.get("vars") is not None and not isinstance(data["vars"], dict):
        raise LoadError("'vars' must be a mapping", Location(where))
    pipeline = Pipeline(siem, text if text.endswith("\n") else text + "\n", data, "saved")
    try:
        pipeline.pysigma()
        _convert_docs(siem, pipeline, [_TRIAL_RULE])  # errors that show only when a rule goes through
    except Exception as exc:  # pySigma raises many error types for a bad pipeline
        raise LoadError(f"pySigma cannot build this pipeline: {_error_text(exc)}", Location(where)) from None
    return pipeline


#: A small rule every pipeline must be able to convert.
_TRIAL_RULE: dict[str, Any] = {
    "title": "pipeline check",
    "logsource": {"category": "application", "product": "pipeline-check"},
    "detection": {"selection": {"action": "check", "user": ["a", "b"]}, "condition": "selection"},
}


def _camel(slug: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", slug) if p) or "App"


def _column(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "field"


def _ecs(role: str, field_name: str, namespace: str) -> str:
    fixed = {
        "timestamp": "@timestamp",
        "user": "user.name",
        "action": "event.action",
        "outcome": "event.outcome",
        "source_ip": "source.ip",
        "country": "source.geo.country_iso_code",
        "host": "host.name",
    }
    return fixed.get(role) or f"{namespace}.{_column(field_name).lower()}"


def _splunk_source(source_name: str) -> dict[str, str]:
    out = {}
    for key in ("index", "sourcetype"):
        m = re.search(rf"\b{key}\s*=\s*(?:\"([^\"]*)\"|([^\s\"]+))", source_name or "")
        if m and (m.group(1) or m.group(2)):
            out[key] = m.group(1) or m.group(2)
    return out


def default_pipeline(ctx: RuleContext, siem: str) -> dict[str, Any]:
    """The pipeline the toolkit proposes for this application and SIEM, as data."""
    check_siem(siem)
    vocab = ctx.vocab or vocabulary(ctx.values)
    slug = ctx.slug
    roles = {role: vocab.field_for(role) for role in ROLES}
    namespace = _column(slug).lower()
    transformations: list[dict[str, Any]] = []
    vars_: dict[str, Any] = {}
    if siem == "splunk":
        mapping = {name: name for name in roles.values()}
        transformations.append(
            {"id": f"{namespace}_field_names", "type": "field_name_mapping", "mapping": mapping}
        )
        where = _splunk_source(str(ctx.values.get("logging.source_name") or ""))
        if where:
            transformations.append(
                {"id": f"{namespace}_source", "type": "add_condition", "conditions": where}
            )
        transformations.append({"id": "lookups", "type": "query_expression_placeholders",
                                "expression": "[| inputlookup {id} | fields {field}]"})  # fmt: skip
    elif siem == "kql":
        numeric = {"records", "bytes"}
        mapping = {}
        for role, name in roles.items():
            if role == "timestamp":
                mapping[name] = "TimeGenerated"
            else:
                mapping[name] = f"{_column(name)}_{'d' if role in numeric else 's'}"
        transformations.append(
            {"id": f"{namespace}_columns", "type": "field_name_mapping", "mapping": mapping}
        )
        transformations.append({"id": "watchlists", "type": "query_expression_placeholders",
                                "expression": "{field} in ((_GetWatchlist('{id}') | project SearchKey))"})  # fmt: skip
        vars_ = {"table": f"{_camel(slug)}_CL", "time_field": "TimeGenerated"}
    else:
        mapping = {name: _ecs(role, name, namespace) for role, name in roles.items()}
        transformations.append({"id": f"{namespace}_ecs", "type": "field_name_mapping", "mapping": mapping})
        if siem == "esql":
            transformations.append(
                {"id": "index", "type": "set_state", "key": "index", "val": f"logs-{slug}*"}
            )
        vars_ = {"time_field": "@timestamp"}
    data: dict[str, Any] = {"name": f"{ctx.app.name} to {SIEMS[siem]}", "priority": 20}
    if vars_:
        data["vars"] = vars_
    data["transformations"] = transformations
    return data


_HEADER = {
    "splunk": "Field names: the application's own, as Splunk extracts them from the events. Rename them here "
    "if a data model (CIM) or a field alias changes them. 'add_condition' puts the index and sourcetype "
    "from the interview into every search; lookups turn Sigma placeholders into inputlookup subsearches.",
    "kql": "Columns of a Log Analytics custom table: <field>_s for text, <field>_d for numbers. vars.table "
    "is the table every query reads; placeholders become Sentinel watchlists (_GetWatchlist).",
    "esql": "Elastic Common Schema names for the fields the interview gave a role, the rest under the "
    "application's own namespace. The set_state 'index' is the index pattern every query reads.",
    "lucene": "Elastic Common Schema names for the fields the interview gave a role, the rest under the "
    "application's own namespace.",
}


def default_pipeline_text(ctx: RuleContext, siem: str) -> str:
    """The default pipeline as YAML, with a comment saying what to edit."""
    import textwrap

    header = textwrap.wrap(
        f"pySigma processing pipeline for {ctx.app.name} ({ctx.slug}) and {SIEMS[siem]}, generated from the "
        f"interview's log fields. {_HEADER[siem]} Edit, then save with: workshop rules pipeline {ctx.slug} "
        f"--siem {siem} --edit FILE",
        width=96,
    )
    body = yaml.safe_dump(default_pipeline(ctx, siem), sort_keys=False, allow_unicode=True, width=4096)
    return "".join(f"# {line}\n" for line in header) + body


# --------------------------------------------------------------------------- results


@dataclass
class QueryPart:
    """The query of one Sigma rule of a use case, converted on its own."""

    rule_id: str
    title: str
    role: str
    query: str
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "role": self.role,
            "query": self.query,
            "error": self.error,
        }


@dataclass
class ConvertedRule:
    """One use case in one SIEM's language: the query to schedule, and plain notes."""

    application: str
    use_case: str
    title: str
    rule_id: str
    siem: str
    query: str
    method: str  # "pysigma", "pysigma+toolkit" (pySigma selection, toolkit aggregation), "none"
    notes: list[str] = field(default_factory=list)
    parts: list[QueryPart] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)  # other languages that can do it (e.g. EQL)

    @property
    def complete(self) -> bool:
        """The query implements the whole use case (nothing left to the notes)."""
        return bool(self.query) and not any(n.startswith("NOT IN THE QUERY") for n in self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "use_case": self.use_case,
            "title": self.title,
            "rule_id": self.rule_id,
            "siem": self.siem,
            "language": SIEMS[self.siem],
            "query": self.query,
            "method": self.method,
            "complete": self.complete,
            "notes": list(self.notes),
            "parts": [p.to_dict() for p in self.parts],
            "extra": dict(self.extra),
        }


# --------------------------------------------------------------------------- quoting


def _spl_field(name: str) -> str:
    return name if re.match(r"^[\w.]+$", name) else '"' + name.replace('"', '\\"') + '"'


def _kql_field(name: str) -> str:
    return name if re.match(r"^[A-Za-z_]\w*$", name) else "['" + name.replace("'", "\\'") + "']"


def _esql_field(name: str) -> str:
    return name if re.match(r"^[@A-Za-z_][\w.@]*$", name) else "`" + name.replace("`", "``") + "`"


def _esql_span(timespan: str) -> str:
    m = _DURATION.match(timespan)
    if not m:
        return timespan
    return f"{m.group(1)} {_ESQL_UNITS[m.group(2)]}"


def _day_numbers(days: Iterable[str], sunday: int) -> str:
    order = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    nums = []
    for d in days:
        i = order.index(d)
        nums.append(sunday if d == "sun" else i + 1)
    return ", ".join(str(n) for n in sorted(nums))


# --------------------------------------------------------------------------- time windows


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
        f'| extend _local = datetime_utc_to_local({_kql_field(time_field)}, "{w.timezone}")\n'
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
    t = _esql_field(time_field)
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


def _backend(siem: str, pipeline: Pipeline):
    from sigma.backends.elasticsearch import ESQLBackend, LuceneBackend
    from sigma.backends.kusto import KustoBackend
    from sigma.backends.splunk import SplunkBackend

    cls = {"splunk": SplunkBackend, "kql": KustoBackend, "esql": ESQLBackend, "lucene": LuceneBackend}[siem]
    return cls(pipeline.pysigma())


def _convert_docs(siem: str, pipeline: Pipeline, docs: list[dict[str, Any]]) -> list[str]:
    from sigma.collection import SigmaCollection

    collection = SigmaCollection.from_dicts([copy.deepcopy(d) for d in docs])
    out = _backend(siem, pipeline).convert(collection)
    return [str(q) for q in out]


def _error_text(exc: Exception) -> str:
    text = str(exc).split(" (while ")[0]
    return f"{type(exc).__name__}: {text}"


def _placeholder_help(rs: RuleSet, siem: str) -> str:
    names = ", ".join(f"%{p}%" for p in rs.placeholders)
    return (
        f"{SIEMS[siem]} cannot look up the list {names} inside a query. Write its values into this SIEM's "
        "pipeline (vars: {name: [values]} and a 'value_placeholders' transformation) and convert again."
    )


def convert_rule_set(rs: RuleSet, siem: str, pipeline: Pipeline) -> ConvertedRule:
    """Convert one use case's rules for one SIEM (never raises for a rule pySigma refuses:
    the refusal is in the notes)."""
    check_siem(siem)
    agg = rs.aggregation
    out = ConvertedRule(rs.application, rs.use_case, rs.title, rs.rule_id, siem, "", "none")
    # Each selection on its own: the building blocks of the toolkit's own aggregations.
    parts: dict[str, QueryPart] = {}
    for d in rs.docs:
        if d.kind != "detection":
            continue
        # Without 'fields' (Splunk appends "| table ..." for them, which drops _time) and
        # 'name': the parts are building blocks the toolkit composes further.
        data = {k: v for k, v in d.data.items() if k not in ("name", "fields")}
        try:
            q = _convert_docs(siem, pipeline, [data])[0]
            parts[d.id] = QueryPart(d.id, d.title, d.role, q)
        except Exception as exc:
            parts[d.id] = QueryPart(d.id, d.title, d.role, "", _error_text(exc))
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
    main = parts[rs.selections[0].id].query
    if agg.type == "single" and not rs.windows:
        try:  # the alert rule as pySigma writes it, with the fields the analyst sees
            out.query, out.method = _convert_docs(siem, pipeline, [rs.alert.data])[0], "pysigma"
        except Exception as exc:
            out.notes.append(f"pySigma could not convert the rule with its fields: {_error_text(exc)}")
            out.query, out.method = main, "pysigma"
        if siem == "kql":  # the Kusto backend writes the condition only; the table comes from the pipeline
            out.query = f"{pipeline.vars.get('table') or 'AppAudit_CL'}\n| where {out.query}"
        out.notes.extend(_carry_notes(rs))
        if siem == "lucene":
            _window_lines(rs, siem, pipeline.time_field, out)
        return out
    time_field = pipeline.time_field
    writer = {"splunk": _splunk, "kql": _kql, "esql": _esql, "lucene": _lucene}[siem]
    writer(rs, pipeline, out, parts, main, time_field)
    if agg.type not in ("single", "new_value") and siem in ("splunk", "esql") and out.method == "pysigma":
        how = "bin _time span" if siem == "splunk" else "date_trunc"
        out.notes.append(_FIXED_BUCKETS.format(how=how))
    out.notes.extend(_carry_notes(rs))
    out.notes = list(dict.fromkeys(out.notes))
    return out


def _carry_notes(rs: RuleSet) -> list[str]:
    return [f"Rule note: {n}" for n in rs.notes]


def _try_pysigma_correlation(rs: RuleSet, siem: str, pipeline: Pipeline) -> str | None:
    """pySigma's own conversion of the whole rule set, or None when the backend cannot."""
    try:
        queries = _convert_docs(siem, pipeline, [d.data for d in rs.docs])
    except Exception:
        return None
    return queries[-1] if queries else None


def _group(fields: Iterable[str], fn) -> list[str]:
    return [fn(f) for f in fields]


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
        elif siem == "esql" and _utc(w.timezone):
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


def _spl_earliest(query: str, span: str) -> str:
    """Put ``earliest=-SPAN`` into the search part of a query (before its first pipe)."""
    m = re.search(r"\s\|\s", query)
    if m is None:
        return f"{query} earliest=-{span}"
    return f"{query[: m.start()]} earliest=-{span}{query[m.start() :]}"


def _splunk(rs: RuleSet, p: Pipeline, out: ConvertedRule, parts, main: str, tf: str) -> None:
    agg = rs.aggregation
    g = _group((p.map_field(f) for f in agg.group_by), _spl_field)
    by = (" by " + " ".join(g)) if g else ""
    fld = _spl_field(p.map_field(agg.field)) if agg.field else ""
    window = _window_lines(rs, "splunk", tf, out)
    win = ("\n" + window) if window else ""
    if agg.type == "single":
        out.query, out.method = main + win, "pysigma" if not win else "pysigma+toolkit"
        return
    if agg.type == "new_value":
        keys = " ".join([*g, fld])
        out.query = (
            f"{_spl_earliest(main, agg.lookback)}{win}\n"
            f"| stats earliest(_time) as first_seen latest(_time) as last_seen count by {keys}\n"
            f'| where first_seen >= relative_time(now(), "-{RUN_EVERY}")'
        )
        out.method = "pysigma+toolkit"
        out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it as a stats earliest search. Schedule it "
            f"every {RUN_EVERY} over the last {agg.lookback}: a value whose first appearance in that period "
            "falls in the last hour is new. For long look-backs keep a first-seen lookup instead "
            "(outputlookup the stats, and compare with inputlookup), which searches less."
        )
        return
    if agg.type == "silence":
        out.query = f"{_spl_earliest(main, agg.timespan)}{win}\n| stats count as event_count{by}\n| where event_count < {agg.count}"
        out.method = "pysigma+toolkit"
        out.notes.append(
            f"An absence cannot be found by counting the buckets that have events (what pySigma writes): the "
            f"toolkit counts over the last {agg.timespan} as a whole. Schedule it every {agg.timespan} or more often."
        )
        if g:
            out.notes.append("Per group, stats only lists groups that logged something: a group that fell silent "
                             "entirely does not appear. Compare with a lookup of expected groups.")  # fmt: skip
        return
    if not rs.windows and agg.type in ("event_count", "value_count"):
        q = _try_pysigma_correlation(rs, "splunk", p)
        if q:
            out.query, out.method = q, "pysigma"
            return
    bucket = f"| bin _time span={agg.timespan}"
    tby = " by _time" + ("".join(" " + x for x in g))
    if agg.type == "event_count":
        out.query = (
            f"{main}{win}\n{bucket}\n| stats count as event_count{tby}\n| where event_count >= {agg.count}"
        )
    elif agg.type == "value_count":
        out.query = f"{main}{win}\n{bucket}\n| stats dc({fld}) as value_count{tby}\n| where value_count >= {agg.count}"
    elif agg.type == "value_sum":
        out.query = (
            f"{main}{win}\n{bucket}\n| stats sum({fld}) as value_sum{tby}\n| where value_sum >= {agg.count}"
        )
        out.notes.append(
            "pySigma's Splunk backend has no value_sum correlation; the toolkit wrote the sum with stats."
        )
    elif agg.type == "temporal_ordered":
        sel = [parts[s].query for s in agg.steps]
        if len(sel) != 2:
            out.notes.append(
                f"NOT IN THE QUERY: an ordered sequence of {len(sel)} steps; pySigma's Splunk backend cannot "
                "write it and the toolkit writes two-step sequences only (chained streamstats would let the "
                "whole sequence span more than the window). The query of each step is listed with the rule."
            )
            out.query, out.method = "", "none"
            return
        n = agg.first_step_count or 1
        keyed = f" by {' '.join(g)}" if g else ""
        out.query = (
            "| multisearch\n"
            f'[ search {sel[0]} | eval step="1" ]\n'
            f'[ search {sel[1]} | eval step="2" ]{win}\n'
            "| sort 0 _time\n"
            f'| streamstats time_window={agg.timespan} count(eval(step="1")) as step1_count{keyed}\n'
            f'| where step="2" AND step1_count >= {n}'
        )
        out.notes.append(
            "pySigma's Splunk backend cannot write ordered (temporal_ordered) correlations; the toolkit wrote "
            f"it with streamstats: each second-step event with at least {n} first-step event(s) of the same "
            f"{', '.join(g) or 'log'} in the {agg.timespan} before it."
        )
    out.method = "pysigma+toolkit"
    if agg.type in ("event_count", "value_count", "value_sum"):
        out.notes.append(_FIXED_BUCKETS.format(how="bin _time span"))


def _kql(rs: RuleSet, p: Pipeline, out: ConvertedRule, parts, main: str, tf: str) -> None:
    agg = rs.aggregation
    table = str(p.vars.get("table") or "AppAudit_CL")
    t = _kql_field(tf)

    def where(q: str) -> str:
        return f"{table}\n| where {q}"

    g = _group((p.map_field(f) for f in agg.group_by), _kql_field)
    fld = _kql_field(p.map_field(agg.field)) if agg.field else ""
    window = _window_lines(rs, "kql", tf, out)
    win = ("\n" + window) if window else ""
    base = where(main) + win
    no_corr = (
        "pySigma's Kusto backend converts no Sigma correlations; the toolkit wrote the aggregation in KQL."
    )
    out.method = "pysigma+toolkit"
    if agg.type == "single":
        out.query, out.method = base, "pysigma" if not win else "pysigma+toolkit"
        return
    by_bin = ", ".join([*g, f"bin({t}, {agg.timespan})"])
    if agg.type == "event_count":
        out.query = (
            f"{base}\n| summarize event_count = count() by {by_bin}\n| where event_count >= {agg.count}"
        )
    elif agg.type == "value_count":
        out.query = (
            f"{base}\n| summarize values = make_set({fld}) by {by_bin}\n| extend value_count = array_length(values)\n"
            f"| where value_count >= {agg.count}"
        )
    elif agg.type == "value_sum":
        out.query = f"{base}\n| summarize value_sum = sum(todouble({fld})) by {by_bin}\n| where value_sum >= {agg.count}"
    elif agg.type == "silence":
        by = f" by {', '.join(g)}" if g else ""
        out.query = (
            f"{table}\n| where {t} > ago({agg.timespan})\n| where {main}{win}\n"
            f"| summarize event_count = count(){by}\n| where event_count < {agg.count}"
        )
        out.notes.append(
            f"Absence: the query counts the last {agg.timespan} as a whole (a summarize without groups returns "
            f"0 when nothing arrived). Schedule it every {agg.timespan} or more often."
        )
    elif agg.type == "temporal_ordered":
        sel = [parts[s].query for s in agg.steps]
        keys = g or ["_k"]
        key_ext = "" if g else " | extend _k = 1"
        n = agg.first_step_count or 1
        cols = ", ".join(keys)
        last = len(sel)
        lets = "".join(
            f"let step{i} = {table}\n| where {q}{win}{key_ext}\n| project {cols}, t{i} = {t};\n"
            for i, q in enumerate(sel, 1)
        )
        chain = "step1"
        for i in range(2, last + 1):
            chain += f"\n| join kind=inner (step{i}) on {cols}\n| where t{i - 1} < t{i}"
        out.query = (
            f"{lets}{chain}\n| where t{last} - t1 <= {agg.timespan}\n"
            f"| summarize firsts = make_set(t1) by {cols}, t{last}\n"
            f"| where array_length(firsts) >= {n}"
        )
    elif agg.type == "new_value":
        keys = ", ".join([*g, fld])
        out.query = (
            f"let lookback = {agg.lookback};\nlet recent = {RUN_EVERY};\n"
            f"let seen = {table}\n| where {t} between (ago(lookback) .. ago(recent))\n| where {main}{win}\n"
            f"| distinct {keys};\n"
            f"{table}\n| where {t} > ago(recent)\n| where {main}{win}\n| join kind=leftanti (seen) on {keys}"
        )
        out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it as a leftanti join: events of the last "
            f"{RUN_EVERY} whose {keys} did not occur in the {agg.lookback} before. Schedule it every {RUN_EVERY}."
        )
        return
    out.notes.insert(0, no_corr)
    if agg.type in ("event_count", "value_count", "value_sum"):
        out.notes.append(
            f"bin({tf}, {agg.timespan}) counts in fixed buckets: a burst across a boundary is split."
        )


def _esql(rs: RuleSet, p: Pipeline, out: ConvertedRule, parts, main: str, tf: str) -> None:
    agg = rs.aggregation
    t = _esql_field(tf)
    g = _group((p.map_field(f) for f in agg.group_by), _esql_field)
    fld = _esql_field(p.map_field(agg.field)) if agg.field else ""
    window = _window_lines(rs, "esql", tf, out)
    win = ("\n" + window) if window else ""
    if agg.type == "single":
        out.query, out.method = main + win, "pysigma" if not win else "pysigma+toolkit"
        return
    out.method = "pysigma+toolkit"
    if agg.type == "new_value":
        keys = ", ".join([*g, fld])
        out.query = (
            f"{main}{win}\n| where {t} > now() - {_esql_span(agg.lookback)}\n"
            f"| stats first_seen = min({t}) by {keys}\n| where first_seen > now() - {_esql_span(RUN_EVERY)}"
        )
        terms = [p.map_field(f) for f in agg.group_by] + [p.map_field(agg.field)]
        out.notes.append(
            f"Sigma has no first-seen correlation; the toolkit wrote it in ES|QL (first appearance in the last "
            f"{agg.lookback} falls in the last {RUN_EVERY}; schedule it every {RUN_EVERY}). In Elastic Security a "
            f"'new_terms' rule does the same: new_terms_fields {terms}, history_window_start now-{agg.lookback}, "
            "with the Lucene query of this use case."
        )
        return
    if agg.type == "silence":
        by = f" by {', '.join(g)}" if g else ""
        out.query = (
            f"{main}{win}\n| where {t} > now() - {_esql_span(agg.timespan)}\n"
            f"| stats event_count = count(*){by}\n| where event_count < {agg.count}"
        )
        out.notes.append(
            f"Absence: the query counts the last {agg.timespan} as a whole (stats without groups returns 0 when "
            f"nothing arrived). Schedule it every {agg.timespan} or more often."
        )
        return
    if not rs.windows and agg.type in ("event_count", "value_count"):
        q = _try_pysigma_correlation(rs, "esql", p)
        if q:
            out.query, out.method = q, "pysigma"
            return
    bucket = f"| eval timebucket = date_trunc({_esql_span(agg.timespan)}, {t})"
    by = ", ".join(["timebucket", *g])
    if agg.type == "event_count":
        out.query = f"{main}{win}\n{bucket}\n| stats event_count = count(*) by {by}\n| where event_count >= {agg.count}"
    elif agg.type == "value_count":
        out.query = (f"{main}{win}\n{bucket}\n| stats value_count = count_distinct({fld}) by {by}\n"
                     f"| where value_count >= {agg.count}")  # fmt: skip
    elif agg.type == "value_sum":
        out.query = (
            f"{main}{win}\n{bucket}\n| stats value_sum = sum({fld}) by {by}\n| where value_sum >= {agg.count}"
        )
        out.notes.append(
            "pySigma's ES|QL backend has no value_sum correlation; the toolkit wrote the sum with stats."
        )
    elif agg.type == "temporal_ordered":
        out.query = ""
        out.method = "none"
        out.notes.append(
            "NOT IN THE QUERY: ES|QL cannot express an ordered sequence (no joins over time), and pySigma's ES|QL "
            "backend has no temporal_ordered correlation. Use the EQL sequence below (an Elastic EQL rule)."
        )
        eql = _eql_sequence(rs, p, agg)
        if eql:
            out.extra["eql"] = eql
        return
    if agg.type in ("event_count", "value_count", "value_sum"):
        out.notes.append(_FIXED_BUCKETS.format(how="date_trunc"))


def _eql_sequence(rs: RuleSet, p: Pipeline, agg) -> str:
    from sigma.backends.elasticsearch import EqlBackend
    from sigma.collection import SigmaCollection

    conds = []
    for sid in agg.steps:
        data = {k: v for k, v in rs.doc(sid).data.items() if k != "name"}
        try:
            q = EqlBackend(p.pysigma()).convert(SigmaCollection.from_dicts([copy.deepcopy(data)]))[0]
        except Exception:
            return ""
        conds.append(str(q))
    by = f" by {', '.join(p.map_field(f) for f in agg.group_by)}" if agg.group_by else ""
    lines = [f"sequence{by} with maxspan={agg.timespan}"]
    for i, c in enumerate(conds):
        runs = f" with runs={agg.first_step_count}" if i == 0 and agg.first_step_count else ""
        lines.append(f"  [{c}]{runs}")
    return "\n".join(lines)


def _lucene(rs: RuleSet, p: Pipeline, out: ConvertedRule, parts, main: str, tf: str) -> None:
    agg = rs.aggregation
    _window_lines(rs, "lucene", tf, out)
    out.query, out.method = main, "pysigma"
    g = [p.map_field(f) for f in agg.group_by]
    fld = p.map_field(agg.field) if agg.field else ""
    if agg.type == "single":
        return
    if agg.type == "event_count":
        out.notes.append(
            f"NOT IN THE QUERY: the threshold ({agg.text()}). Lucene selects events only: use this query in an "
            f"Elastic threshold rule (threshold.field {g}, threshold.value {agg.count}, look-back {agg.timespan})."
        )
    elif agg.type == "value_count":
        out.notes.append(
            f"NOT IN THE QUERY: the threshold ({agg.text()}). Use this query in an Elastic threshold rule "
            f"(threshold.field {g}, cardinality of {fld} >= {agg.count}, look-back {agg.timespan})."
        )
    elif agg.type == "value_sum":
        out.notes.append(f"NOT IN THE QUERY: the sum ({agg.text()}). Lucene and threshold rules cannot sum a "
                         "field: use the ES|QL version.")  # fmt: skip
    elif agg.type == "silence":
        out.notes.append(f"NOT IN THE QUERY: the absence ({agg.text()}). Lucene cannot count what did not "
                         "arrive: use the ES|QL version.")  # fmt: skip
    elif agg.type == "temporal_ordered":
        out.notes.append(f"NOT IN THE QUERY: the order ({agg.text()}). Use the EQL sequence of the ES|QL "
                         "output (an Elastic EQL rule).")  # fmt: skip
        eql = _eql_sequence(rs, p, agg)
        if eql:
            out.extra["eql"] = eql
    elif agg.type == "new_value":
        out.notes.append(
            f"NOT IN THE QUERY: first seen ({agg.text()}). Use this query in an Elastic new_terms rule: "
            f"new_terms_fields {[*g, fld]}, history_window_start now-{agg.lookback}."
        )


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
