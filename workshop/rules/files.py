"""Sigma rule files edited by hand (as written by ``rules build --out``), read back for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workshop.core.errors import LoadError, Location
from workshop.rules.model import (
    RuleSet,
    SigmaDoc,
)


def load_rule_files(folder: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Sigma files from a folder (as written by ``rules build --out``), by use-case id
    (``x_workshop.use_case`` of the outer rule), so edited rules can be tested."""
    base = Path(folder)
    if not base.is_dir():
        raise LoadError(f"no such folder: {base}")
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(base.rglob("*.yml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise LoadError(
                f"not valid YAML: {exc}", Location(str(path), mark.line + 1 if mark else None)
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError(f"cannot read: {exc}", Location(str(path))) from None
        if not docs or not all(isinstance(d, dict) for d in docs):
            raise LoadError("a Sigma file must hold one or more rule mappings", Location(str(path)))
        xw = docs[0].get("x_workshop")
        tid = xw.get("use_case") if isinstance(xw, dict) else None
        if not tid:
            raise LoadError(
                "the first rule has no x_workshop.use_case: which use case is it?", Location(str(path))
            )
        out[str(tid)] = docs
    return out


def with_documents(rs: RuleSet, docs: list[dict[str, Any]]) -> RuleSet:
    """The rule set with its Sigma documents replaced (edited rules from files)."""
    new_docs = []
    for i, d in enumerate(docs):
        kind = "correlation" if "correlation" in d else "detection"
        role = "alert" if i == 0 else ("step" if kind == "correlation" else "selection")
        event = next((x.event for x in rs.docs if x.id == str(d.get("id"))), "")
        new_docs.append(SigmaDoc(str(d.get("id") or ""), str(d.get("title") or ""), kind, role, d, event))
    return RuleSet(**{**rs.__dict__, "docs": new_docs})
