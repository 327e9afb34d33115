"""The exported Sigma files as a stock sigma-cli converts them: the whole detection, or why not.

The toolkit's own queries add to what pySigma's stock backends write (the weekly time
windows, first-seen, absence counted over the whole window, its own correlation
templates). An exported rule must do the same when someone converts it with stock
tools (``sigma convert -t splunk -p PIPELINE rule.yml``), so the export carries, per
application and SIEM, the application's processing pipeline plus one *postprocessing*
item per rule whose query the stock backend writes differently: pySigma's own
``embed`` (text before or after the query) or ``replace`` (a part of the query
replaced), scoped to that rule by its id (a ``rule_attribute`` condition). Each item is
derived by converting the rule with the stock backend and comparing the result with the
toolkit's query, and kept only when applying it gives exactly the toolkit's query.

Where a stock backend cannot convert a rule at all (pySigma 1.5 has no ``value_sum`` or
``temporal_ordered`` correlation for Splunk or ES|QL) or the toolkit's own query is not
the whole use case (a note starting "NOT IN THE QUERY"), the rule file says so (a line
of its description and ``x_workshop.export``) and an alerting level (high, critical) is
lowered to ``medium``, the level it had being kept in ``x_workshop.export``. Sentinel's
``kusto`` target is checked the same way, but its backend refuses every correlation (no
query, so no noisier alert): such a refusal is said in the file without lowering the level.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from workshop.rules.model import RuleSet
from workshop.rules.pipelines import SIEMS, Pipeline, error_text
from workshop.rules.target import ConvertedRule

#: SIEMs whose stock sigma-cli target the export is checked against, and that target's name.
STOCK_TARGETS = {"splunk": "splunk", "esql": "esql", "kql": "kusto"}
#: Targets whose stock backend refuses every correlation (pySigma's Kusto backend): a refusal
#: gives no query, so no noisier alert, and does not lower the level (the file still says why).
REFUSING_TARGETS = frozenset({"kql"})
#: Levels a SIEM raises as alerts; a rule the stock tools cannot reproduce is not shipped at one.
ALERTING_LEVELS = ("high", "critical")
#: Postprocessing for every rule of a target. pySigma's stock ES|QL backend writes a bucket as
#: ``date_trunc(1hours, ...)``; the toolkit's writes ES|QL's time-span literal ``1 hours``.
COMMON_ITEMS: dict[str, list[dict[str, Any]]] = {
    "esql": [{"id": "esql_time_span_literal", "type": "replace",
              "pattern": r"date_trunc\((\d+)(?=[a-z])", "replacement": r"date_trunc(\1 "}],
}  # fmt: skip
CAPPED_LEVEL = "medium"


@dataclass
class StockResult:
    """One rule set through one SIEM's stock backend with the exported pipeline."""

    siem: str
    query: str = ""  # as stock pySigma writes it with the exported pipeline ("" when it cannot)
    postprocessing: list[dict[str, Any]] = field(default_factory=list)  # items that make it the toolkit's
    reason: str = ""  # why the stock conversion is not the whole detection ("" when it is)

    @property
    def whole(self) -> bool:
        return not self.reason


@dataclass
class StockReport:
    """Every rule set of an application through the stock backends: the pipelines to export
    and, per rule set, what the file must say."""

    results: dict[str, dict[str, StockResult]] = field(default_factory=dict)  # rule id -> siem -> result

    def items(self, siem: str) -> list[dict[str, Any]]:
        return [item for r in self.results.values() if siem in r for item in r[siem].postprocessing]

    def reasons(self, rule_id: str) -> dict[str, str]:
        return {s: r.reason for s, r in self.results.get(rule_id, {}).items() if r.reason}

    def lowers_level(self, rule_id: str) -> bool:
        """Whether a stock conversion could alert on more than the toolkit's query: a query
        that is not the whole detection, or a refusal where the level follows that target."""
        return any(
            r.reason and (r.query or s not in REFUSING_TARGETS)
            for s, r in self.results.get(rule_id, {}).items()
        )


def stock_backend(siem: str, pipeline: Any) -> Any:
    """The backend ``sigma convert -t TARGET`` uses (pySigma's, without the toolkit's templates)."""
    if siem == "splunk":
        from sigma.backends.splunk import SplunkBackend

        return SplunkBackend(pipeline)
    if siem == "esql":
        from sigma.backends.elasticsearch import ESQLBackend

        return ESQLBackend(pipeline)
    if siem == "kql":
        from sigma.backends.kusto import KustoBackend

        return KustoBackend(pipeline)
    raise KeyError(siem)


def stock_convert(siem: str, pipeline_data: dict[str, Any], docs: list[dict[str, Any]]) -> list[str]:
    """Rule documents converted as stock sigma-cli converts a file: the stock backend, the
    pipeline as data (the same as its YAML), every query the file yields."""
    from sigma.collection import SigmaCollection
    from sigma.processing.pipeline import ProcessingPipeline

    pipeline = ProcessingPipeline.from_dict(copy.deepcopy(pipeline_data))
    collection = SigmaCollection.from_dicts(copy.deepcopy(docs))
    return [str(q) for q in stock_backend(siem, pipeline).convert(collection)]


def _scope(rule_id: str) -> list[dict[str, Any]]:
    return [{"type": "rule_attribute", "attribute": "id", "value": rule_id}]


def _repl(text: str) -> str:
    """Text as a replacement of Python's re.sub (what pySigma's ``replace`` calls)."""
    return text.replace("\\", "\\\\")


def postprocessing_items(rs: RuleSet, stock: str, wanted: str) -> list[dict[str, Any]]:
    """The pipeline items that turn the stock query into the toolkit's ([] when equal), as
    small as they can be: text put before or after the query (``embed``), text inserted
    after a unique anchor, or one differing part replaced (``replace``). Raises ValueError
    when the items would not give exactly the toolkit's query."""
    if stock == wanted:
        return []
    n = 0
    while n < min(len(stock), len(wanted)) and stock[n] == wanted[n]:
        n += 1
    base = {"id": f"{rs.use_case}_as_the_toolkit_writes_it", "rule_conditions": _scope(rs.rule_id)}
    items: list[dict[str, Any]] = []
    at = wanted.find(stock[n:], n) if n < len(stock) else n
    if at >= n:  # insertions only: before the differing point, and after the stock query
        inserted, after = wanted[n:at], wanted[at + len(stock) - n :]
        if inserted and n == 0:
            items.append(base | {"type": "embed", "prefix": inserted})
        elif inserted:
            anchor = _unique_tail(stock, n)
            items.append(
                base
                | {"type": "replace", "pattern": re.escape(anchor), "replacement": _repl(anchor + inserted)}
            )
        if after:
            items.append(base | {"type": "embed", "suffix": after})
    else:  # one part replaced
        m = 0
        while m < min(len(stock), len(wanted)) - n and stock[-1 - m] == wanted[-1 - m]:
            m += 1
        head, old, new = stock[:n], stock[n : len(stock) - m], wanted[n : len(wanted) - m]
        if old and stock.count(old) == 1:
            items.append(base | {"type": "replace", "pattern": re.escape(old), "replacement": _repl(new)})
        else:
            pattern = r"\A(?s:" + re.escape(head) + ")" + re.escape(old)
            items.append(base | {"type": "replace", "pattern": pattern, "replacement": _repl(head + new)})
    for k, item in enumerate(items[1:], 2):
        item["id"] += f"_{k}"
    result = stock
    for item in items:
        result = _apply(item, result)
    if result != wanted:
        raise ValueError("no postprocessing item reproduces the toolkit's query")
    return items


def _unique_tail(text: str, end: int) -> str:
    """The shortest end of text[:end] found once in text, at least 8 characters and starting
    at a word boundary where it can (so the pattern reads as a piece of the query)."""
    found = ""
    for k in range(min(8, end), end + 1):
        tail = text[end - k : end]
        if text.count(tail) != 1:
            continue
        found = found or tail
        if k == end or not (text[end - k - 1].isalnum() or text[end - k - 1] == "_"):
            return tail
    return found or text[:end]


def _apply(item: dict[str, Any], query: str) -> str:
    if item["type"] == "embed":
        return str(item.get("prefix", "")) + query + str(item.get("suffix", ""))
    return re.sub(item["pattern"], item["replacement"], query)


def check_rule_set(rs: RuleSet, siem: str, pipeline: Pipeline, converted: ConvertedRule) -> StockResult:
    """Convert the rule set with the stock backend and the application's pipeline; derive
    the postprocessing item, or say why the stock conversion cannot be the whole detection."""
    out = StockResult(siem)
    docs = [d.data for d in rs.docs]
    backend = "pySigma's stock " + {"splunk": "Splunk", "esql": "ES|QL", "kql": "Kusto"}[siem] + " backend"
    try:
        stock = stock_convert(siem, export_pipeline(pipeline, []), docs)[-1]
    except Exception as exc:  # pySigma raises many error types; each is a reason, not a crash
        out.reason = f"{backend} cannot convert this rule ({error_text(exc)})"
        if converted.query:
            out.reason += f"; the toolkit's {SIEMS[siem]} export has the query"
        return out
    if not converted.query:
        out.query = stock
        out.reason = f"the toolkit has no {SIEMS[siem]} query for the whole use case (see its notes)"
        return out
    try:
        out.postprocessing = postprocessing_items(rs, stock, converted.query)
    except ValueError as exc:
        out.query, out.reason = stock, f"{exc} for {SIEMS[siem]}"
        return out
    out.query = converted.query
    missing = [n for n in converted.notes if n.startswith("NOT IN THE QUERY")]
    if missing:
        out.reason = f"{SIEMS[siem]}: " + missing[0].removeprefix("NOT IN THE QUERY: ")
    return out


def export_pipeline(pipeline: Pipeline, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The application's pipeline with the postprocessing items, as data for its YAML."""
    data = copy.deepcopy(pipeline.data)
    items = [*COMMON_ITEMS.get(pipeline.siem, []), *items]
    if items:
        data["postprocessing"] = [*(data.get("postprocessing") or []), *copy.deepcopy(items)]
    return data


def mark_rule_set(rs: RuleSet, reasons: dict[str, str], lower: bool = True) -> RuleSet:
    """The rule set as exported: where a stock conversion is not the whole detection, its
    file says so and (``lower``: where that conversion could alert on more) an alerting level
    is lowered (the level it had is kept in x_workshop)."""
    if not reasons:
        return rs
    docs = copy.deepcopy(rs.docs)
    alert = docs[0].data
    xw = alert.setdefault("x_workshop", {})
    export: dict[str, Any] = {"stock_conversion": dict(reasons)}
    said = "; ".join(f"{STOCK_TARGETS[s]}: {r}" for s, r in reasons.items())
    line = f"Converted with stock sigma-cli and the exported pipelines, this rule is not the whole detection ({said})."
    level = str(alert.get("level") or "")
    if lower and level in ALERTING_LEVELS:
        export["level_in_the_toolkit"] = level
        alert["level"] = CAPPED_LEVEL
        line += f" Shipped at level {CAPPED_LEVEL} instead of {level} until it is."
    xw["export"] = export
    alert["description"] = (str(alert.get("description") or "") + "\n\n" + line).strip()
    return RuleSet(**{**rs.__dict__, "docs": docs})


# --------------------------------------------------------------------------- what the export says

#: Issues SigmaHQ's validators (``sigma check``) report on exported rules knowingly, and why.
#: Every other issue is a defect of the export (``tests/test_sigma_export.py`` pins this set).
SIGMAHQ_EXCEPTIONS: dict[str, str] = {
    "SigmahqLogsourceUnknownIssue": "the log source is the application's own audit log (category "
    "application, product <application>), which SigmaHQ's taxonomy cannot know",
    "SigmahqUnknownFieldIssue": "x_workshop, on the first rule of each file only: the toolkit's data for the "
    "rule (use case, time windows, lists, what a stock conversion lacks), which 'workshop rules test "
    "--rules DIR' reads back; SigmaHQ's validator accepts no custom attribute",
    "SigmahqFalsepositivesBannedWordIssue": "false positives quote the owners' answers (for example a yearly "
    "penetration test); SigmaHQ bans the words none, pentest and penetration in its own repository",
    "SigmahqCorrelationGroupByExistenceIssue": "an absence over the whole log (the application stopped "
    "logging) counts every event together: there is nothing to group by",
}


def manifest(slug: str, sets: list[RuleSet], report: StockReport) -> dict[str, Any]:
    """Per rule file: the use case, the rule id, the level shipped, and per stock target
    whether ``sigma convert`` with the exported pipeline is the whole detection."""
    rules = []
    for rs in sets:
        results = report.results.get(rs.rule_id, {})
        rules.append(
            {
                "file": rs.filename,
                "use_case": rs.use_case,
                "rule_id": rs.rule_id,
                "logic": rs.logic,
                "level": rs.alert.data.get("level"),
                "stock": {
                    STOCK_TARGETS[s]: {
                        "whole_detection": r.whole,
                        "postprocessing": len(r.postprocessing),
                    }
                    | ({"why_not": r.reason} if r.reason else {})
                    for s, r in results.items()
                },
            }
        )
    return {
        "application": slug,
        "pipelines": {t: f"pipelines/{slug}/{s}.yml" for s, t in STOCK_TARGETS.items()},
        "sigmahq_exceptions": dict(SIGMAHQ_EXCEPTIONS),
        "rules": rules,
    }


def pipeline_yaml(app_name: str, siem: str, data: dict[str, Any]) -> str:
    import textwrap

    import yaml

    n = len(data.get("postprocessing") or [])
    head = textwrap.wrap(
        f"pySigma processing pipeline for {app_name} and {SIEMS[siem]}, exported with the Sigma rules. "
        f"Convert with: sigma convert -t {STOCK_TARGETS[siem]} -p THIS_FILE RULE.yml. The field mappings are "
        f"the application's pipeline; the {n} postprocessing item(s) each apply to one rule (by its id) and add "
        "what pySigma's stock backend does not write (time windows, first seen, absence over the whole window), "
        "so that the query is the one the toolkit shows.",
        width=96,
    )

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    body = yaml.dump(data, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=4096)
    return "".join(f"# {line}\n" for line in head) + body


def export_readme(app_name: str, slug: str, sets: list[RuleSet], report: StockReport) -> str:
    lines = [
        f"# Sigma rules of {app_name}",
        "",
        "Convert them with stock sigma-cli and the exported pipelines:",
        "",
        "```",
        *(
            f"sigma convert -t {t} -p pipelines/{slug}/{s}.yml sigma/{slug}/"
            for s, t in STOCK_TARGETS.items()
        ),
        "```",
        "",
        "Each pipeline adds, rule by rule, what pySigma's stock backend does not write, so the query is the one "
        "the toolkit shows. A rule whose stock conversion is not the whole detection says so in its description "
        f"and in `x_workshop.export`, and is shipped at level {CAPPED_LEVEL} at most, unless the only stock "
        "backend that cannot convert it refuses it outright (pySigma's Kusto backend converts no correlations; "
        "the toolkit's Sentinel KQL export has their queries): a refusal gives no query, so no noisier alert.",
        "",
        "| file | level | " + " | ".join(STOCK_TARGETS.values()) + " |",
        "| --- | --- | " + " | ".join("---" for _ in STOCK_TARGETS) + " |",
    ]
    for rs in sets:
        cells = []
        for s in STOCK_TARGETS:
            r = report.results.get(rs.rule_id, {}).get(s)
            cells.append(
                "whole detection" if r and r.whole else (r.reason if r else "not checked").replace("|", "/")
            )
        lines.append(f"| {rs.filename} | {rs.alert.data.get('level')} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## SigmaHQ checks",
        "",
        "`sigma check` with the SigmaHQ validators reports only these issues, knowingly:",
        "",
        *(f"- `{name}`: {why}." for name, why in SIGMAHQ_EXCEPTIONS.items()),
        "",
    ]
    return "\n".join(lines)
