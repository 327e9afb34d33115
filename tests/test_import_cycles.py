"""No import cycle in the workshop package (issue 12): modules form layers inside a
package too, so that a module can be read, tested and imported on its own.

grimp counts every import, also those inside functions (a late import hides a cycle
from the interpreter, not from a reader); imports under ``TYPE_CHECKING`` are left out,
since they only name types for the type checker.
"""

from __future__ import annotations

import sys

import pytest

grimp = pytest.importorskip("grimp", reason="grimp (installed with import-linter) finds the import graph")


def _cycles(graph) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if not w.startswith("workshop"):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    try:
        for module in sorted(graph.modules):
            if module.startswith("workshop") and module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(old)
    return found


def test_no_import_cycle_in_the_workshop_package() -> None:
    graph = grimp.build_graph("workshop", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check can fail: two modules importing each other are reported."""

    class Graph:
        def __init__(self) -> None:
            self.modules = {"workshop.a", "workshop.b", "workshop.c"}
            self.edges = {
                "workshop.a": {"workshop.b"},
                "workshop.b": {"workshop.a"},
                "workshop.c": {"workshop.a"},
            }

        def find_modules_directly_imported_by(self, m: str) -> set[str]:
            return self.edges.get(m, set())

    assert _cycles(Graph()) == [["workshop.a", "workshop.b"]]
