"""pySigma backends as the toolkit uses them: subclasses that fill the correlation templates.

pySigma writes a correlation from templates each backend declares as class
attributes (``default_correlation_query``, ``*_aggregation_expression``,
``*_condition_expression``, ``groupby_expression``...; see
:mod:`sigma.conversion.base`). Where the pinned backends lack a template the toolkit
needs, the subclasses below add it, so every query with a correlation is written by
pySigma from the Sigma rules, never assembled by hand or edited afterwards:

* Splunk: ``value_sum`` (stats sum); an ordered two-step sequence (method
  ``streamstats``: a sliding window over the sorted events); an absence (method
  ``window``: the whole search window counted at once, since counting the buckets
  that have events can never find an empty one).
* ES|QL: ``value_sum`` (stats sum) and absence (method ``window``); lists (Sigma
  placeholders, which the pipeline turns into query expressions,
  :data:`workshop.rules.pipelines.ESQL_LIST_EXPRESSION`) read with
  ``LOOKUP JOIN`` from a lookup index of the list's name.
* EQL: ordered sequences with a minimum count of the first step (``with runs``).

Two things no backend can express are added here as well, at a documented
extension point rather than by editing the output: the weekly time windows (lines
after each event search, :attr:`after_search`) and Splunk's search period
(``earliest=``, for absence and first-seen searches).

Values and field names come from interviews, so the Splunk backend also escapes
``"`` and ``\\`` in field names (the stock backend quotes a field name with ``"``
but escapes nothing inside it, and writes ``fields`` into ``| table`` unquoted): one
mechanism for every place a field name is written.

A method the stock backend lacks (``window``, ``streamstats``) is added with
:func:`_add_method`: one entry per template attribute, next to the stock entries.

Kusto has no correlation support in pySigma at all (``KustoBackend.correlation_methods``
is None), so its aggregations stay hand-written in :mod:`workshop.rules.convert`.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from sigma.backends.elasticsearch import EqlBackend, ESQLBackend, LuceneBackend
from sigma.backends.kusto import KustoBackend
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend, TextQueryBackend
from sigma.conversion.deferred import DeferredQueryExpression
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

#: Correlation method that counts the whole search window at once (absence).
WHOLE_WINDOW = "window"
#: Splunk correlation method for ordered sequences.
STREAMSTATS = "streamstats"
#: Processing-state key where the ES|QL backend notes the lists a rule looks up (id -> field).
LOOKUP_JOINS = "workshop_lookup_joins"


#: Processing-state key where a backend notes that a rule's lookups (``x_workshop.lookups_added``)
#: were written into the query.
ENRICHED = "workshop_enriched"


def lookups_added(rule: Any) -> dict[str, dict[str, str]]:
    """Fields the rule expects the SIEM to add from a lookup before its test (a record's owner),
    as the rule file says them: lookup name -> {"key": field, "adds": field}."""
    attrs = getattr(rule, "custom_attributes", None) or {}
    x = attrs.get("x_workshop") if isinstance(attrs, dict) else None
    raw = x.get("lookups_added") if isinstance(x, dict) else None
    return {str(k): {"key": str(v["key"]), "adds": str(v["adds"])} for k, v in (raw or {}).items()
            if isinstance(v, dict) and v.get("key") and v.get("adds")}  # fmt: skip


@dataclass
class _DeferredLines(DeferredQueryExpression):
    """Lines written after the event search and before the deferred tests (a lookup)."""

    text: str = ""

    def finalize_expression(self) -> str:
        return self.text


class WorkshopSplunkBackend(SplunkBackend):
    """Splunk SPL with escaped field names, sums, sequences and absences."""

    # Field names: escape backslashes and (field_escape_quote) double quotes, then quote.
    field_escape: ClassVar[str] = "\\"
    field_escape_pattern: ClassVar[re.Pattern[str]] = re.compile(r"\\")

    value_sum_aggregation_expression: ClassVar[dict[str, str]] = {
        "stats": "| bin _time span={timespan}\n| stats sum({field}) as value_sum by _time{groupby}",
    }
    value_sum_condition_expression: ClassVar[dict[str, str]] = {"stats": "| search value_sum {op} {count}"}

    def __init__(
        self,
        processing_pipeline: ProcessingPipeline | None = None,
        earliest: str = "",
        after_search: str = "",
        condition: str = "",
    ) -> None:
        super().__init__(processing_pipeline)
        self.earliest = earliest
        self.after_search = after_search
        _own_condition(self, condition)

    def convert_rule(self, rule: Any, output_format: str | None = None, callback: Any = None) -> Any:
        self._lookups = lookups_added(rule)
        return super().convert_rule(rule, output_format, callback)

    def convert_condition_field_eq_field(self, cond: Any, state: Any) -> Any:
        """A field compared with another (``|fieldref``): a field the log lacks is first added
        from its lookup (``| lookup NAME KEY OUTPUT FIELD``), then Splunk's deferred ``| where``."""
        if getattr(self, "_lookups", None) and not state.processing_state.get(ENRICHED):
            state.processing_state[ENRICHED] = True
            for name, spec in self._lookups.items():
                key, adds = (self.escape_and_quote_field(spec[k]) for k in ("key", "adds"))
                _DeferredLines(state, text=f"lookup {name} {key} OUTPUT {adds}")
        return super().convert_condition_field_eq_field(cond, state)

    def finish_query(self, rule: Any, query: Any, state: Any) -> Any:
        """Each event search (not the correlation around it) gets the search period in front
        and the time-window lines after it."""
        query = super().finish_query(rule, query, state)
        if isinstance(rule, SigmaRule) and isinstance(query, str):
            period = f"earliest=-{self.earliest} " if self.earliest else ""
            query = f"{period}{query}{self.after_search}"
        return query

    def finalize_query_default(self, rule: Any, query: str, index: int, state: Any) -> str:
        """As the stock backend, with the ``| table`` fields escaped and quoted like any field."""
        fields = list(rule.fields) if isinstance(rule, SigmaRule) else []
        if not fields:
            return str(super().finalize_query_default(rule, query, index, state))
        rule.fields = []
        try:
            out = str(super().finalize_query_default(rule, query, index, state))
        finally:
            rule.fields = fields
        return out + " | table " + ",".join(self.escape_and_quote_field(f) for f in fields)


class WorkshopEsqlBackend(ESQLBackend):
    """ES|QL with sums and absences; time-window lines after the event search."""

    value_sum_aggregation_expression: ClassVar[dict[str, str]] = {
        "stats": "| eval timebucket=date_trunc({timespan}, @timestamp) | stats value_sum=sum({field}){fields}{groupby}"
    }
    value_sum_condition_expression: ClassVar[dict[str, str]] = {"stats": "| where value_sum {op} {count}"}
    timespan_mapping: ClassVar[dict[str, str]] = {k: f" {v}" for k, v in ESQLBackend.timespan_mapping.items()}

    def __init__(
        self,
        processing_pipeline: ProcessingPipeline | None = None,
        after_search: str = "",
        condition: str = "",
    ) -> None:
        super().__init__(processing_pipeline)
        self.after_search = after_search
        _own_condition(self, condition)
        # The event search of a correlation, with the window lines after it.
        escaped = after_search.replace("{", "{{").replace("}", "}}")
        self.correlation_search_single_rule_expression = "{query}" + escaped  # type: ignore[misc]

    def convert_condition_field_eq_query_expr(self, cond: Any, state: Any) -> Any:
        """A list (a placeholder the pipeline turned into a query expression): noted, so that
        the query joins the lookup index of that name on the field before it filters."""
        joins = state.processing_state.setdefault(LOOKUP_JOINS, {})
        joins[str(cond.value.id)] = self.escape_and_quote_field(cond.field)
        return super().convert_condition_field_eq_query_expr(cond, state)

    def finalize_query_default(self, rule: Any, query: str, index: int, state: Any) -> str:
        out = str(super().finalize_query_default(rule, query, index, state))
        joins = state.processing_state.get(LOOKUP_JOINS) or {}
        if isinstance(rule, SigmaRule):  # a field the log lacks, added from its lookup index first
            for name, spec in lookups_added(rule).items():
                joins.setdefault(name, self.escape_and_quote_field(spec["key"]))
        if joins and isinstance(rule, SigmaRule):  # "from ... metadata ... | where ...": join first
            lookups = "".join(f" | lookup join {name} on {fld}" for name, fld in joins.items())
            out = out.replace(" | where ", lookups + " | where ", 1)
        return out + self.after_search if isinstance(rule, SigmaRule) else out


#: The correlation types whose condition a counting rule may write itself (known peaks).
_COUNTED = ("event_count", "value_count", "value_sum")


def _own_condition(b: TextQueryBackend, condition: str) -> None:
    """The condition of the counted correlations (method ``stats``) as given, in place of the
    template's ``{op} {count}`` (the thresholds raised on known peak days)."""
    if not condition:
        return
    escaped = condition.replace("{", "{{").replace("}", "}}")
    for kind in _COUNTED:
        attr = f"{kind}_condition_expression"
        setattr(b, attr, {**(getattr(b, attr) or {}), "stats": escaped})


def _add_method(
    cls: type[TextQueryBackend], method: str, description: str, templates: dict[str, str]
) -> None:
    """One more correlation method of a backend: every template attribute (a dict by method)
    gets the method's entry next to the stock ones, which stay as pySigma wrote them."""
    cls.correlation_methods = {**(cls.correlation_methods or {}), method: description}
    for attr, template in templates.items():
        setattr(cls, attr, {**(getattr(cls, attr) or {}), method: template})


#: Grouping as the toolkit's methods write it (`` by a b`` in SPL, `` by a, b`` in ES|QL).
_BY = {"groupby_expression": " by {fields}", "groupby_field_expression": "{field}"}
_SEARCH_AGGREGATE_CONDITION = "{search}\n{aggregate}\n{condition}"

_add_method(WorkshopSplunkBackend, WHOLE_WINDOW, "Count over the whole search window (absence of events)", {
    "default_correlation_query": _SEARCH_AGGREGATE_CONDITION,
    "event_count_aggregation_expression": "| stats count as event_count{groupby}",
    "event_count_condition_expression": "| where event_count {op} {count}",
    **_BY, "groupby_field_expression_joiner": " ",
})  # fmt: skip
# The first referenced rule is the first step; the condition's count is the minimum number of
# first-step events before a second-step event (see target.sequence_docs).
_add_method(WorkshopSplunkBackend, STREAMSTATS, "Ordered sequence with streamstats over a sliding window", {
    "default_correlation_query": _SEARCH_AGGREGATE_CONDITION,
    "temporal_ordered_aggregation_expression": "| sort 0 _time\n| streamstats time_window={timespan} "
    'count(eval(event_type="{rule.rules[0].reference}")) as step1_count{groupby}\n'
    '| where event_type="{rule.rules[1].reference}"',
    "temporal_ordered_condition_expression": "| where step1_count {op} {count}",
    **_BY, "groupby_field_expression_joiner": " ",
})  # fmt: skip
# An absence lists no field values: there may be no event to take them from.
_add_method(WorkshopEsqlBackend, WHOLE_WINDOW, "Count over the whole search window (absence of events)", {
    "default_correlation_query": "{search}\n| where @timestamp > now() - {timespan}\n{aggregate}\n{condition}",
    "event_count_aggregation_expression": "| stats event_count=count(*){groupby}",
    "event_count_condition_expression": "| where event_count {op} {count}",
    "correlation_fields_expression": "",
    "correlation_fields_field_expression": ", {field}=values({field})",
    "correlation_fields_field_expression_joiner": "",
    "referenced_rules_expression": "{ruleid}",
    "referenced_rules_expression_joiner": ",",
    "groupby_expression_nofield": "",
    **_BY, "groupby_field_expression_joiner": ", ",
})  # fmt: skip


class WorkshopKustoBackend(KustoBackend):
    """KQL that compares two columns of the same row (Sigma ``|fieldref``), which the stock
    Kusto backend refuses."""

    field_equals_field_expression: ClassVar[str] = "{field1} == {field2}"


class WorkshopLuceneBackend(LuceneBackend):
    """Lucene cannot compare two fields: a ``|fieldref`` item keeps only events that have the
    field (``_exists_:``), and the conversion notes say that the comparison is not in the query."""

    def convert_condition_field_eq_field(self, cond: Any, state: Any) -> Any:
        return self.field_exists_expression.format(field=self.escape_and_quote_field(cond.field))


class WorkshopEqlBackend(EqlBackend):
    """EQL sequences, each step on its own line; the first step may repeat (``with runs``)."""

    temporal_ordered_correlation_query: ClassVar[dict[str, str]] = {
        "sequence": "sequence{groupby} with maxspan={timespan}\n{search}"
    }
    correlation_search_multi_rule_query_expression: ClassVar[str] = (
        "  [any where {query}]{rule.custom_attributes[x_runs]}"
    )
    correlation_search_multi_rule_query_expression_joiner: ClassVar[str] = "\n"
    groupby_expression: ClassVar[dict[str, str]] = {"sequence": " by {fields}"}


def backend(siem: str, pipeline: ProcessingPipeline | None, **options: Any) -> Backend:
    """The backend of a SIEM (``eql`` too), with the toolkit's templates."""
    if siem == "splunk":
        return WorkshopSplunkBackend(pipeline, **options)
    if siem == "esql":
        return WorkshopEsqlBackend(pipeline, **options)
    if siem == "eql":
        return WorkshopEqlBackend(pipeline)
    plain: dict[str, type[Backend]] = {"kql": WorkshopKustoBackend, "lucene": WorkshopLuceneBackend}
    return plain[siem](pipeline)


def convert_docs(
    siem: str,
    pipeline: ProcessingPipeline | None,
    docs: list[dict[str, Any]],
    method: str | None = None,
    **options: Any,
) -> list[str]:
    """Sigma documents (as data) converted by the SIEM's backend; the last query is the
    outermost rule's when the documents hold a correlation."""
    collection = SigmaCollection.from_dicts([_plain_groups(copy.deepcopy(d)) for d in docs])
    out = backend(siem, pipeline, **options).convert(collection, correlation_method=method)
    return [str(q) for q in out]


def _plain_groups(doc: dict[str, Any]) -> dict[str, Any]:
    """A correlation grouped by nothing says so by having no ``group-by`` (pySigma writes an
    empty list as a ``by`` clause with no fields)."""
    corr = doc.get("correlation")
    if isinstance(corr, dict) and not corr.get("group-by"):
        corr.pop("group-by", None)
    return doc


def quote_field(siem: str, name: str) -> str:
    """A field name as the SIEM's backend writes it (escaped and quoted where needed)."""
    if siem == "esql" and re.match(r"^[@A-Za-z_][\w.@]*$", name):  # a plain ES|QL name (@timestamp too)
        return name
    if siem == "kql":  # the Kusto backend writes bare names; a column name is bracketed
        return (
            name
            if re.match(r"^[A-Za-z_]\w*$", name)
            else "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']"
        )
    return str(_plain_backend(siem).escape_and_quote_field(name))


@functools.lru_cache(maxsize=8)
def _plain_backend(siem: str) -> TextQueryBackend:
    b = backend(siem, None)
    assert isinstance(b, TextQueryBackend)
    return b
