"""ATT&CK as a guide: which techniques the use cases cover, and ideas for what they do not.

Coverage here is a map for analysts and a list of ideas for engineers, never a score
to push towards 100%: many in-house use cases rightly map to no technique.

Only a live use case (implemented or tested, :data:`workshop.vocab.LIVE`) covers a
technique: a proposed one is an idea and an accepted one a plan. Both are still shown,
apart, so that a matrix never reads "7 use cases" on T1078 when nothing watches it.
A use case whose rule cannot fire on the application's log
(:func:`workshop.usecases.readiness.readiness` says blocked) covers nothing either,
whatever its status: it is listed with the status ``blocked``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workshop.attack import AttackIndex, LayerEntry, build_layer
from workshop.usecases.model import UseCase
from workshop.usecases.readiness import readiness
from workshop.vocab import DROPPED, LIVE, Status

#: Use cases in these statuses are left out of the matrix and the layer altogether.
NOT_COVERING = DROPPED
#: The status a use case is listed with when its rule is blocked (not counted as coverage).
BLOCKED = "blocked"
#: What the score of a layer and the count of a matrix cell say.
COVERAGE_MEANING = (
    "live use cases (implemented or tested) whose rules can fire on the log; proposed, accepted and "
    "blocked ones are shown apart"
)


@dataclass
class Cell:
    technique_id: str
    name: str
    use_cases: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def _with(self, statuses: frozenset[str] | set[str]) -> int:
        return sum(1 for s in self.statuses if s in statuses)

    @property
    def count(self) -> int:
        """Live use cases: the only ones that cover the technique."""
        return self._with(LIVE)

    @property
    def accepted(self) -> int:
        return self._with({Status.ACCEPTED})

    @property
    def proposed(self) -> int:
        return self._with({Status.PROPOSED})

    @property
    def blocked(self) -> int:
        return self._with({BLOCKED})

    @property
    def live(self) -> bool:
        return self.count > 0


def _label(uc: UseCase, with_app: bool) -> str:
    return f"{uc.application}: {uc.title}" if with_app else uc.title


def layer_entries(use_cases: Iterable[UseCase], with_app: bool = False) -> list[LayerEntry]:
    entries: dict[str, LayerEntry] = {}
    for uc in use_cases:
        if uc.status in NOT_COVERING:
            continue
        for ref in uc.attack:
            e = entries.setdefault(ref.technique, LayerEntry(ref.technique))
            e.use_cases.append(_label(uc, with_app))
            e.statuses.append(uc.status if readiness(uc).ready else BLOCKED)
    return list(entries.values())


def navigator_layer(index: AttackIndex, use_cases: list[UseCase], name: str, description: str = "",
                    with_app: bool = False, platforms: Iterable[str] | None = None) -> dict[str, Any]:  # fmt: skip
    domain = (
        index.meta.domain if index.meta.domain and index.meta.domain != "unknown" else "enterprise-attack"
    )
    return build_layer(
        name,
        layer_entries(use_cases, with_app),
        version=index.meta.version or "unknown",
        domain=domain,
        description=" ".join(x for x in (description, f"Score: {COVERAGE_MEANING}.") if x),
        platforms=list(platforms) if platforms else None,
        score_statuses=LIVE,
    )


def matrix(
    index: AttackIndex, use_cases: list[UseCase], with_app: bool = False, every_technique: bool = False
) -> list[tuple[str, str, list[Cell]]]:
    """(tactic shortname, tactic name, cells) in matrix order: techniques with use cases, live first,
    then (``every_technique``) the other techniques of each tactic, empty, so that gaps show."""
    cells: dict[str, Cell] = {}
    for entry in layer_entries(use_cases, with_app):
        t = index.technique(entry.technique_id)
        cells[entry.technique_id] = Cell(
            entry.technique_id, t.name if t else "", entry.use_cases, entry.statuses
        )
    columns = []
    for tactic in index.tactics:
        col = []
        for tid, cell in cells.items():
            t = index.technique(tid)
            if t is not None and tactic.shortname in t.tactics:
                col.append(cell)
        col.sort(key=lambda c: (-c.count, -c.accepted, -c.proposed, c.technique_id))
        if every_technique:
            col += [Cell(t.id, t.name) for t in sorted(index.list_techniques(tactic.shortname, subtechniques=False), key=lambda t: t.name)
                    if t.id not in cells]  # fmt: skip
        columns.append((tactic.shortname, tactic.name, col))
    return columns
