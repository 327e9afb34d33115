"""Rule logic types as a dispatch table: one module per type, one handler object each.

A use case's ``logic.type`` (single, threshold, distinct, sum, sequence, new_value,
outside_window, silence; :class:`workshop.vocab.LogicType`) decides how its Sigma
rules are built. Each type's module registers a :class:`LogicHandler` that says it:
whether the type is one detection rule that alerts (``standalone``) or selections
under a correlation, what must be set up before the rules are built (an
outside-hours window), and the correlation (or first-seen aggregation) it writes.
The builder (:mod:`workshop.rules.build`) holds no branch on the logic type.

Adding a logic type: a module here with its handler, its entry in the template
format (``LogicType`` and the template loader's checks), and tests. The handlers'
output is an :class:`~workshop.rules.model.Aggregation`, whose ``type`` is a Sigma
correlation kind; conversions, synthetic events and local tests read that (this
round moved the Sigma building; those three still branch on the aggregation kind,
see the module docstrings of :mod:`.convert`, :mod:`.synthetic`, :mod:`.testing`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    from workshop.rules.build import Builder
    from workshop.rules.model import Aggregation, RuleSet, SigmaDoc
    from workshop.rules.synthetic import SyntheticPlan
    from workshop.rules.testing import EventTable

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
        from workshop.rules.synthetic import Skip

        if p.kind != "true_positive":
            raise Skip("a rule that alerts on every matching event has no threshold or window to stay under")
        return [p.c.event(p.first_event, p.t0)], None

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        """Alerts on these events in the local tests (default: every event the rule selects)."""
        from workshop.rules.testing import selected_rows

        return len(selected_rows(rs, events)[1])


class Correlated(LogicHandler):
    """A correlation over selection rules, run by pySigma's SQLite backend in the local tests."""

    standalone = False

    def count_alerts(self, rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None) -> int:
        from workshop.rules.testing import alerts_of_correlation

        return alerts_of_correlation(rs, events)


class Unknown(Correlated):
    """A logic type no module registers: reported by the builder, and built as "any event"
    so the rest of the rule set still shows."""

    def correlation(self, b: Builder, selections: list[SigmaDoc], group_by: list[str], window: str,
                    counted: str, extra: list[str], title: str, author: str) -> Correlation:  # fmt: skip
        from workshop.rules.model import Aggregation

        rule = {"type": "event_count", "rules": [selections[0].name], "group-by": group_by,
                "timespan": window, "condition": {"gte": 1}}  # fmt: skip
        return Correlation(rule, Aggregation("event_count", tuple(group_by), window, "gte", 1), [])

    def synthetic(self, p: SyntheticPlan) -> Events:
        from workshop.rules.logic.counting import counted_case

        return counted_case(p)


UNKNOWN = Unknown()


HANDLERS: dict[str, LogicHandler] = {}
_MODULES = ("single", "threshold", "distinct", "sum", "sequence", "new_value", "outside_window", "silence")


def register(cls: type[LogicHandler]) -> type[LogicHandler]:
    HANDLERS[cls.type] = cls()
    return cls


def logic_handler(logic_type: str) -> LogicHandler:
    """The handler of a logic type, :data:`UNKNOWN` for a type no module registers."""
    return handler(logic_type) or UNKNOWN


def handler(logic_type: str) -> LogicHandler | None:
    """The handler of a logic type (None for a type no module registers)."""
    if not HANDLERS:
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
    return HANDLERS.get(logic_type)
