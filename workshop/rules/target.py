"""What every logic type's conversion starts from: a rule set on its way into one SIEM's
language (:class:`Target`), the results it fills in, and the helpers the handlers share.

A leaf of the conversion: the handlers in :mod:`workshop.rules.logic` import this module,
and :mod:`workshop.rules.convert` (which dispatches to the handlers) imports both, so the
registry and the converter do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workshop.rules.backends import convert_docs
from workshop.rules.backends import quote_field as _quote_field
from workshop.rules.model import Aggregation, RuleSet
from workshop.rules.pipelines import SIEMS, Pipeline
from workshop.vocab import duration_parts

#: How often the first-seen searches are meant to run (the "recent" part of first-seen).
RUN_EVERY = "1h"
_ESQL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
FIXED_BUCKETS = (
    "pySigma counts in fixed time buckets ({how}): a burst that straddles a bucket boundary is split in "
    "two and can stay under the threshold. The toolkit's local tests use a sliding window."
)


def quote_field(siem: str, name: str) -> str:
    return _quote_field(siem, name)


def _convert(
    siem: str, p: Pipeline, docs: list[dict[str, Any]], method: str | None = None, **options: Any
) -> list[str]:
    return convert_docs(siem, p.pysigma(), docs, method, **options)


def esql_span(timespan: str) -> str:
    count, unit = duration_parts(timespan)
    return f"{count} {_ESQL_UNITS[unit]}"


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


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


NO_KUSTO_CORRELATION = (
    "pySigma's Kusto backend converts no Sigma correlations; the toolkit wrote the aggregation in KQL."
)


def sequence_docs(rs: RuleSet) -> list[dict[str, Any]]:
    """The ordered sequence as one temporal_ordered correlation over the selection rules
    themselves, for backends that write a sequence in one query: the minimum count of the
    first step (a chained event_count in the rule file) becomes the correlation's
    condition, and ``x_runs`` on each step says how often it must repeat (EQL ``with runs``)."""
    agg = rs.aggregation
    steps = [rs.doc(s) for s in agg.steps]
    first = agg.first_step_count or 1
    corr = _without(rs.alert.data, "x_workshop", "falsepositives")
    corr["correlation"] = {
        "type": "temporal_ordered",
        "rules": [s.name for s in steps],
        "group-by": list(agg.group_by),
        "timespan": agg.timespan,
        "condition": {"gte": first},
    }
    docs = [corr]
    for i, s in enumerate(steps):
        docs.append(
            _without(s.data, "fields") | {"x_runs": f" with runs={first}" if i == 0 and first > 1 else ""}
        )
    return docs


def eql_sequence(rs: RuleSet, p: Pipeline) -> str:
    """The ordered sequence as an Elastic EQL query, or "" when pySigma cannot write it."""
    try:
        return _convert("eql", p, sequence_docs(rs))[-1]
    except Exception:
        return ""


@dataclass
class Target:
    """One rule set on its way into one SIEM's language: what every logic type's
    conversion (:meth:`workshop.rules.logic.LogicHandler.to_splunk` and siblings) starts from."""

    siem: str
    rs: RuleSet
    p: Pipeline
    out: ConvertedRule
    parts: dict[str, QueryPart]
    after: str  # the time-window lines, after each event search ("" when none)

    @property
    def agg(self) -> Aggregation:
        return self.rs.aggregation

    @property
    def main(self) -> str:
        """The first selection's query, as pySigma wrote it."""
        return self.parts[self.rs.selections[0].id].query

    @property
    def selection(self) -> dict[str, Any]:
        return _without(self.rs.selections[0].data, "name", "fields")

    @property
    def docs(self) -> list[dict[str, Any]]:
        return [d.data for d in self.rs.docs]

    def convert(self, docs: list[dict[str, Any]], method: str | None = None, **options: Any) -> list[str]:
        """The documents through this SIEM's backend (with the time-window lines where it takes them)."""
        if self.siem in ("splunk", "esql"):
            options.setdefault("after_search", self.after)
        return _convert(self.siem, self.p, docs, method, **options)

    def field(self, name: str) -> str:
        """A field of the application's as this SIEM's query writes it (mapped, quoted)."""
        return quote_field(self.siem, self.p.map_field(name))

    # Sentinel: the Kusto backend writes conditions only; the table comes from the pipeline.
    @property
    def table(self) -> str:
        return str(self.p.vars.get("table") or "AppAudit_CL")

    @property
    def time(self) -> str:
        return quote_field("kql", self.p.time_field)

    @property
    def base(self) -> str:
        """Sentinel: the table, the first selection and the time-window lines."""
        return f"{self.table}\n| where {self.main}{self.after}"
