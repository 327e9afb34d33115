"""Checking Sigma rules: the official JSON schemas, pySigma's parser and its core validators."""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workshop.core.workspace import PROJECT_ROOT
from workshop.rules.model import (
    RuleSet,
)

if TYPE_CHECKING:
    from sigma.validation import SigmaValidator

# --------------------------------------------------------------------------- validation

#: Core validators left out, and why. The SigmaHQ-repository validators (the separate
#: ``pysigma-validators-sigmahq`` package) are not used at all: they enforce that
#: repository's conventions (known log sources, file names, reference formats) and
#: reject custom log sources such as ``category: application, product: <app>`` by design.
EXCLUDED_VALIDATORS = {
    "attacktag": "downloads MITRE's ATT&CK data from GitHub on first use (this toolkit runs offline); "
    "ATT&CK tags are checked against the toolkit's own ATT&CK index instead",
    "d3_fendtag": "downloads MITRE's D3FEND data on first use; the rules carry no D3FEND tags",
    "escaped_wildcard": "values from answers are escaped on purpose, so that a '*' or '?' in an account "
    "name is that character and not a wildcard",
    "number_as_string": "the application's log holds its values as text (an employee number or an event id "
    "written as a string is meant as a string)",
}


def shared_dir() -> Path:
    """Where data from outside the repository lives (``$WORKSHOP_SHARED``, else ``../shared``)."""
    return Path(os.environ.get("WORKSHOP_SHARED") or PROJECT_ROOT.parent / "shared")


@functools.lru_cache(maxsize=4)
def _schemas(folder: str) -> tuple[Any, Any] | None:
    from jsonschema import Draft202012Validator, FormatChecker

    base = Path(folder)
    det, cor = base / "sigma-detection-rule-schema.json", base / "sigma-correlation-rules-schema.json"
    if not det.is_file() or not cor.is_file():
        return None
    checker = FormatChecker()
    return (
        Draft202012Validator(json.loads(det.read_text(encoding="utf-8")), format_checker=checker),
        Draft202012Validator(json.loads(cor.read_text(encoding="utf-8")), format_checker=checker),
    )


def schema_folder() -> Path:
    return shared_dir() / "specs" / "sigma"


@dataclass
class ValidationReport:
    """Problems found in rules: by the official JSON schemas, by pySigma's parser and its
    core validators, and by the toolkit (ATT&CK tags, values it had to leave out)."""

    schema: list[str] = field(default_factory=list)
    pysigma: list[str] = field(default_factory=list)
    toolkit: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(
        default_factory=list
    )  # worth knowing, not wrong (e.g. a technique the data lacks)
    rules_checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.schema or self.pysigma or self.toolkit)

    def problems(self) -> list[str]:
        return self.schema + self.pysigma + self.toolkit

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rules_checked": self.rules_checked,
            "schema": self.schema,
            "pysigma": self.pysigma,
            "toolkit": self.toolkit,
            "skipped": self.skipped,
            "notes": self.notes,
            "excluded_validators": dict(EXCLUDED_VALIDATORS),
        }


def _pysigma_validator() -> SigmaValidator:
    from sigma.validation import SigmaValidator
    from sigma.validators.core import validators

    return SigmaValidator([cls for name, cls in validators.items() if name not in EXCLUDED_VALIDATORS])


def validate_documents(
    docs: list[dict[str, Any]], label: str = "rules", schemas: Path | None = None
) -> ValidationReport:
    """Check Sigma documents (as parsed YAML) against the JSON schemas and pySigma."""
    from sigma.collection import SigmaCollection

    report = ValidationReport(rules_checked=len(docs))
    folder = schemas or schema_folder()
    validators = _schemas(str(folder))
    if validators is None:
        msg = f"Sigma JSON schemas not found in {folder} (set WORKSHOP_SHARED); schema validation skipped"
        warnings.warn(msg, stacklevel=2)
        report.skipped.append(msg)
    else:
        det, cor = validators
        for doc in docs:
            v = cor if "correlation" in doc else det
            for err in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
                where = "/".join(map(str, err.path)) or "(rule)"
                report.schema.append(f"{label}: {doc.get('title', '?')}: {where}: {err.message}")
    try:
        collection = SigmaCollection.from_dicts(
            [json.loads(json.dumps(d)) for d in docs], collect_errors=True
        )
    except Exception as exc:  # pySigma raises its own errors for unresolvable references
        report.pysigma.append(f"{label}: pySigma cannot read the rules: {exc}")
        return report
    for err in collection.errors:
        report.pysigma.append(f"{label}: pySigma: {err}")
    validator = _pysigma_validator()
    # pySigma's annotation says Iterator[SigmaRule], but its collections mix detection and
    # correlation rules and its validators take both (sigma-cli passes whole collections).
    rules = iter(collection.rules)
    for issue in validator.validate_rules(rules):  # type: ignore[arg-type]  # pySigma typing gap
        titles = ", ".join(str(getattr(r, "title", "?")) for r in issue.rules)
        report.pysigma.append(f"{label}: {titles}: {issue.description} ({issue.severity.name.lower()})")
    return report


def validate_rule_sets(
    rule_sets: list[RuleSet],
    schemas: Path | None = None,
    known_technique: Callable[[str], bool] | None = None,
) -> ValidationReport:
    """Validate every rule of these rule sets, together (so titles and ids must be unique
    across the application), each rule set parsed back from its own YAML text."""
    docs: list[dict[str, Any]] = []
    report = ValidationReport()
    for rs in rule_sets:
        text = rs.yaml()
        try:
            parsed = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:  # pragma: no cover - safe_dump output always parses
            report.toolkit.append(f"{rs.filename}: the YAML does not parse back: {exc}")
            continue
        if parsed != json.loads(json.dumps([d.data for d in rs.docs])):
            report.toolkit.append(f"{rs.filename}: the YAML does not read back as the same rules")
        docs.extend(parsed)
        report.toolkit.extend(f"{rs.filename}: {p}" for p in rs.problems)
        if known_technique is not None:
            for tid in rs.attack:
                if not known_technique(tid):
                    report.notes.append(
                        f"{rs.filename}: ATT&CK technique {tid} is not in the ATT&CK data loaded, so its tactic "
                        "tags are missing (load an ATT&CK bundle: workshop attack ...)"
                    )
    checked = validate_documents(docs, "rules", schemas)
    report.schema, report.pysigma, report.skipped = checked.schema, checked.pysigma, checked.skipped
    report.rules_checked = len(docs)
    return report
