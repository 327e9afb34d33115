"""ATT&CK as a guide: which techniques the use cases cover, and ideas for what they do not.

Coverage here is a map for analysts and a list of ideas for engineers, never a score
to push towards 100%: many in-house use cases rightly map to no technique.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workshop.attack import AttackIndex, LayerEntry, build_layer
from workshop.usecases.model import UseCase
from workshop.vocab import DROPPED

#: Use cases in these statuses do not cover anything.
NOT_COVERING = DROPPED


@dataclass
class Cell:
    technique_id: str
    name: str
    use_cases: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.use_cases)


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
            e.statuses.append(uc.status)
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
        description=description,
        platforms=list(platforms) if platforms else None,
    )


def matrix(
    index: AttackIndex, use_cases: list[UseCase], with_app: bool = False
) -> list[tuple[str, str, list[Cell]]]:
    """(tactic shortname, tactic name, cells) in matrix order, for techniques with use cases."""
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
        columns.append((tactic.shortname, tactic.name, sorted(col, key=lambda c: (-c.count, c.technique_id))))
    return columns
