"""Rule logic types as a dispatch table: one module per type, one handler object each.

A use case's ``logic.type`` (single, threshold, distinct, sum, sequence, new_value,
outside_window, silence; :class:`workshop.vocab.LogicType`) decides how its rules
are built and checked. Each type's module registers a :class:`LogicHandler` that
provides, for that type:

* Sigma building: whether it is one detection rule that alerts (``standalone``) or
  selections under a correlation, what must be set up first (an outside-hours
  window), and the correlation or first-seen aggregation it writes
  (:mod:`workshop.rules.build` holds no branch on the logic type);
* synthetic events: the true positive and the evasions it can generate
  (:mod:`workshop.rules.synthetic` prepares a :class:`~workshop.rules.synthplan.SyntheticPlan`);
* conversions: the query for each SIEM (``to_splunk``, ``to_esql``, ``to_kql``,
  ``to_lucene``) from a :class:`~workshop.rules.target.Target` (pySigma's output
  through the toolkit's backends, plus what no backend writes);
* local test semantics: how alerts are counted on events
  (:func:`workshop.rules.testing.count_alerts`, on :mod:`workshop.rules.evaluate`), and what part of a log sample is
  history only (first seen).

Adding a logic type: a module here (registered in ``_MODULES``), its sentence in
:mod:`workshop.usecases.abstracts` (the strategy abstract written at generation
time, in the layer below that may not import this one), its entry in the template
format (``LogicType`` and the template loader's checks), and tests. No module outside
this package branches on the logic type or on the aggregation kind a handler writes.

Why the registry is at the rules layer: the handlers build Sigma, convert through
pySigma, generate events and run pySigma's SQLite backend, none of which the use-case
layer below may import.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from workshop.rules.build import Builder
    from workshop.rules.evaluate import EventTable
    from workshop.rules.model import Aggregation, RuleSet, SigmaDoc
    from workshop.rules.synthplan import SyntheticPlan
    from workshop.rules.target import Target

#: Synthetic events of a case, and the moment from which alerts count (first seen: history before).
Events = tuple[list[dict[str, Any]], "dt.datetime | None"]


@dataclass
class Correlation:
    """What a correlated handler writes: the outer rule's ``correlation`` mapping, the
    aggregation in plain terms, and any intermediate correlation rules (steps)."""

    rule: dict[str, Any]
    aggregation: Aggregation
    steps: list[SigmaDoc]


class LogicHandler:
    """How one logic type becomes Sigma rules (defaults: a single detection rule)."""

    type: str = ""
    #: One detection rule that alerts on each event (no correlation).
    standalone: bool = True
    #: The alerting rule, converted alone by pySigma, is the whole query (nothing is
    #: correlated or looked back on), so the conversion keeps the rule's fields.
    one_rule: bool = True
    #: SIEMs whose stock pySigma backend writes the whole query from its own templates
    #: (None: every backend); elsewhere the toolkit's templates or code write part of it.
    stock_backends: frozenset[str] | None = None

    def prepare(self, b: Builder) -> None:
        """Set up what the rules need before they are built (e.g. a time window)."""

    def standalone_aggregation(self, b: Builder, group_by: list[str], counted: str, extra: list[str],
                               x_workshop: dict[str, Any]) -> Aggregation:  # fmt: skip
        from workshop.rules.model import Aggregation

        return Aggregation("single")

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        raise NotImplementedError(f"logic type {self.type} has no correlation")

    def synthetic(self, p: SyntheticPlan) -> Events:
        """The events of a true positive or an evasion (default: one matching event)."""
        from workshop.rules.synthplan import Skip

        if p.kind != "true_positive":
            raise Skip("a rule that alerts on every matching event has no threshold or window to stay under")
        return [p.c.event(p.first_event, p.t0)], None

    # -- conversions (default: every selected event is an alert; time windows after the search)
    def to_splunk(self, t: Target) -> None:
        t.out.query = t.convert([t.selection])[0]

    def to_esql(self, t: Target) -> None:
        t.out.query = t.convert([t.selection])[0]

    def to_kql(self, t: Target) -> None:
        t.out.query = t.base

    def to_lucene(self, t: Target) -> None:
        t.out.query = t.main

    def aggregation_text(self, agg: Aggregation) -> str:
        """The aggregation in words, for the notes of what a query cannot say."""
        return "every matching event"

    def written_by_stock_backend(self, siem: str) -> bool:
        return self.stock_backends is None or siem in self.stock_backends

    def from_known_source(self, event: dict[str, Any], field: str, attack_value: Any, known: str) -> None:
        """Move an event of the true positive to a known source when the rule counts that very
        field (default: leave it, so the count over sources stays what the attack made it)."""

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        """Alerts on these events in the local tests (default: every event the rule selects)."""
        from workshop.rules.evaluate import selected_rows

        return len(selected_rows(rs, events)[1])

    def test_notes(self, rs: RuleSet) -> list[str]:
        """What a rule test says about how the toolkit evaluated this logic (default: nothing)."""
        return []

    def sample_evaluated_from(self, rs: RuleSet, sample: EventTable, notes: list[str]) -> dt.datetime | None:
        """From when alerts on a log sample count (default: the whole sample; events before
        the moment returned are history only), noting any caveat in ``notes``."""
        return None


class Correlated(LogicHandler):
    """A correlation over selection rules, run by pySigma's SQLite backend in the local tests."""

    standalone = False
    one_rule = False
    stock_backends: frozenset[str] | None = frozenset()

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.evaluate import alerts_of_correlation

        return alerts_of_correlation(rs, events)


HANDLERS: dict[str, LogicHandler] = {}
#: The handler of a type no module registers (set by :func:`register_fallback`).
_FALLBACK: list[LogicHandler] = []
_MODULES = (
    "counting",
    "single",
    "threshold",
    "distinct",
    "sum",
    "sequence",
    "new_value",
    "outside_window",
    "silence",
)


def register(cls: type[LogicHandler]) -> type[LogicHandler]:
    HANDLERS[cls.type] = cls()
    return cls


def register_fallback(cls: type[LogicHandler]) -> type[LogicHandler]:
    """Register the handler used for a logic type no module registers (the modules import
    this package, never the other way round, so the registry imports no handler)."""
    _FALLBACK[:] = [cls()]
    return cls


def logic_handler(logic_type: str) -> LogicHandler:
    """The handler of a logic type; for a type no module registers, one that builds "any
    event" rules so the rest of the rule set still shows (the builder reports the type)."""
    found = handler(logic_type)
    return found if found is not None else _FALLBACK[0]


def handler(logic_type: str) -> LogicHandler | None:
    """The handler of a logic type (None for a type no module registers)."""
    if not HANDLERS:
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
    return HANDLERS.get(logic_type)
