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
    from workshop.rules.build import Builder
    from workshop.rules.model import Aggregation, SigmaDoc


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


HANDLERS: dict[str, LogicHandler] = {}
_MODULES = ("single", "threshold", "distinct", "sum", "sequence", "new_value", "outside_window", "silence")


def register(cls: type[LogicHandler]) -> type[LogicHandler]:
    HANDLERS[cls.type] = cls()
    return cls


def handler(logic_type: str) -> LogicHandler | None:
    """The handler of a logic type (None for a type no module registers)."""
    if not HANDLERS:
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
    return HANDLERS.get(logic_type)
