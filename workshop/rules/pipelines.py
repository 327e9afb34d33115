"""pySigma processing pipelines: the toolkit's defaults per SIEM, and users' edits checked.

Field names go through a processing pipeline per application and SIEM, in pySigma's
own YAML format (``field_name_mapping`` and friends), which the user can edit and the
workspace keeps. A default is generated from the interview's log vocabulary: Splunk
keeps the application's field names; Sentinel reads a custom table (``<App>_CL`` with
``<field>_s`` string and ``<field>_d`` number columns); Elastic maps the roles to ECS
(``user.name``, ``source.ip``, ``event.action``...) and puts the rest under the
application's own namespace.

A pipeline someone typed runs in every facilitator's process, so it is read with the
budgeted YAML loader (size checked before parsing, a node budget against alias bombs),
and only the keys and transformation types in :data:`ALLOWED_TRANSFORMATIONS` pass.
"""

from __future__ import annotations

import copy
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from workshop.core import yamlsource
from workshop.core.errors import InputError, LoadError, Location, YamlSyntaxError
from workshop.interview.facts import Facts
from workshop.rules.model import RuleContext
from workshop.usecases.events import ROLES, vocabulary

if TYPE_CHECKING:
    from sigma.processing.pipeline import ProcessingPipeline

SIEMS: dict[str, str] = {
    "splunk": "Splunk SPL",
    "kql": "Microsoft Sentinel KQL",
    "esql": "Elastic ES|QL",
    "lucene": "Elastic Lucene",
}
#: A pipeline longer than this is refused before it is parsed.
MAX_PIPELINE_CHARS = 200_000
#: Values a pipeline may expand to (its aliases included): far more than any real
#: field mapping needs, far fewer than an alias bomb.
MAX_PIPELINE_NODES = 20_000
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
#: The ES|QL pipeline's expression for a list (a Sigma placeholder): true on the rows that
#: LOOKUP JOIN matched in the lookup index named like the list, each of whose rows has
#: ``<list>_listed`` set (the toolkit's ES|QL backend writes the join).
ESQL_LIST_EXPRESSION = "{id}_listed IS NOT NULL"
PIPELINE_KEYS = frozenset({"name", "priority", "transformations", "vars", "allowed_backends"})


@dataclass
class Pipeline:
    """An application's processing pipeline for one SIEM (YAML text as the user wrote it)."""

    siem: str
    text: str
    data: dict[str, Any]
    source: str = "default"  # "default" or "saved"
    updated_at: str = ""
    updated_by: str = ""

    def pysigma(self) -> ProcessingPipeline:
        from sigma.processing.pipeline import ProcessingPipeline

        return ProcessingPipeline.from_dict(copy.deepcopy(self.data))

    @property
    def mapping(self) -> dict[str, str]:
        """Field name -> the name the queries use: the mappings, then the suffixes added to
        the mapped names a ``field_name_suffix`` item lists (Sentinel's legacy columns)."""
        out: dict[str, str] = {}
        items = [i for i in self.data.get("transformations") or [] if isinstance(i, dict)]
        for item in items:
            if item.get("type") == "field_name_mapping":
                for k, v in (item.get("mapping") or {}).items():
                    target = v[0] if isinstance(v, list) and v else v
                    if isinstance(target, str):
                        out.setdefault(str(k), target)
        for item in items:
            if item.get("type") == "field_name_suffix" and isinstance(item.get("suffix"), str):
                listed = {
                    str(f)
                    for c in item.get("field_name_conditions") or []
                    if isinstance(c, dict) and c.get("type") == "include_fields"
                    for f in c.get("fields") or []
                }
                out = {k: v + item["suffix"] if v in listed else v for k, v in out.items()}
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
    """Read a pipeline the user wrote: its length checked first, then YAML read by the
    budgeted loader (no tags, no duplicate keys, no alias bomb), only the keys and
    transformation types in :data:`ALLOWED_TRANSFORMATIONS`, then built by pySigma."""
    check_siem(siem)
    if len(text) > MAX_PIPELINE_CHARS:
        raise LoadError(f"the pipeline is longer than {MAX_PIPELINE_CHARS:,} characters", Location(where))
    try:
        data = _plain(yamlsource.load(text, where, max_nodes=MAX_PIPELINE_NODES))
    except YamlSyntaxError as exc:
        raise LoadError(f"not valid YAML: {exc.message}", exc.location or Location(where)) from None
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
        from workshop.rules.backends import convert_docs

        convert_docs(
            siem, pipeline.pysigma(), [_TRIAL_RULE]
        )  # errors that show only when a rule goes through
    except Exception as exc:  # pySigma raises many error types for a bad pipeline
        raise LoadError(f"pySigma cannot build this pipeline: {error_text(exc)}", Location(where)) from None
    return pipeline


def _plain(value: Any) -> Any:
    """Plain dicts and lists (pySigma copies and compares them; line numbers are not needed)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def error_text(exc: Exception) -> str:
    """pySigma's message without the rule source it appends."""
    text = str(exc).split(" (while ")[0]
    return f"{type(exc).__name__}: {text}"


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
        where = _splunk_source(Facts.of(ctx.values).log_source_name)
        if where:
            transformations.append(
                {"id": f"{namespace}_source", "type": "add_condition", "conditions": where}
            )
        transformations.append({"id": "lookups", "type": "query_expression_placeholders",
                                "expression": "[| inputlookup {id} | fields {field}]"})  # fmt: skip
    elif siem == "kql":
        numeric = {"records", "bytes", "amount"}
        mapping = {
            name: "TimeGenerated" if role == "timestamp" else _column(name) for role, name in roles.items()
        }
        transformations.append(
            {"id": f"{namespace}_columns", "type": "field_name_mapping", "mapping": mapping}
        )
        # The legacy column suffixes, a setting of this pipeline: delete these two items for a
        # table whose columns keep their names (Logs Ingestion API, data collection rules).
        for kind, suffix, cols in (
            ("text", "_s", [mapping[n] for r, n in roles.items() if r != "timestamp" and r not in numeric]),
            ("number", "_d", [mapping[n] for r, n in roles.items() if r in numeric]),
        ):
            if cols:
                transformations.append({"id": f"legacy_{kind}_column_suffix", "type": "field_name_suffix",
                                        "suffix": suffix, "field_name_conditions": [
                                            {"type": "include_fields", "fields": sorted(set(cols))}]})  # fmt: skip
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
            transformations.append({"id": "lookups", "type": "query_expression_placeholders",
                                    "expression": ESQL_LIST_EXPRESSION})  # fmt: skip
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
    "kql": "Columns of a Log Analytics custom table. Column naming is a setting of this pipeline: the items "
    "legacy_text_column_suffix and legacy_number_column_suffix add the _s and _d suffixes that the HTTP Data "
    "Collector API gives custom-log columns; delete both for a table created through the Logs Ingestion API "
    "(data collection rules), whose columns keep the field names. vars.table is the table every query "
    "reads; placeholders become Sentinel watchlists (_GetWatchlist).",
    "esql": "Elastic Common Schema names for the fields the interview gave a role, the rest under the "
    "application's own namespace. The set_state 'index' is the index pattern every query reads. A list "
    "(Sigma placeholder %name%) is read with LOOKUP JOIN from a lookup index called name (index.mode: "
    "lookup, Elasticsearch 8.18 or later) holding the rule's field and name_listed: true on every row.",
    "lucene": "Elastic Common Schema names for the fields the interview gave a role, the rest under the "
    "application's own namespace.",
}


def default_pipeline_text(ctx: RuleContext, siem: str) -> str:
    """The default pipeline as YAML, with a comment saying what to edit."""
    header = textwrap.wrap(
        f"pySigma processing pipeline for {ctx.app.name} ({ctx.slug}) and {SIEMS[siem]}, generated from the "
        f"interview's log fields. {_HEADER[siem]} Edit, then save with: workshop rules pipeline {ctx.slug} "
        f"--siem {siem} --edit FILE",
        width=96,
    )
    body = yaml.safe_dump(default_pipeline(ctx, siem), sort_keys=False, allow_unicode=True, width=4096)
    return "".join(f"# {line}\n" for line in header) + body
