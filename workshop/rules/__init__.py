"""Rule drafts: Sigma rules built from use cases, SIEM conversions, local tests, STIX.

The API the UI and the command line use::

    from workshop.rules import build_rule_sets, convert_application, run_tests, latest_rule_tests

    sets = build_rule_sets(store, "payroll-portal")          # [RuleSet], one per use case
    validate_rule_sets(sets)                                 # schemas + pySigma core validators
    convert_application(store, "payroll-portal", "splunk")   # [ConvertedRule] with plain notes
    run_tests(store, "payroll-portal", log="sample.csv")     # TestReport (true positives, sample, evasions)
    latest_rule_tests(store, "payroll-portal")               # {template_id: result} for documents
    stix_bundle(store, ["payroll-portal"])                   # STIX 2.1 bundle (dict)

Modules import pySigma and its backends only when used, so ``workshop --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DEFAULT_STATUSES": "sigma",
    "RuleContext": "sigma",
    "RuleSet": "sigma",
    "SigmaDoc": "sigma",
    "TimeWindow": "sigma",
    "ValidationReport": "sigma",
    "build_rule_set": "sigma",
    "build_rule_sets": "sigma",
    "rule_context": "sigma",
    "validate_rule_sets": "sigma",
    "SIEMS": "convert",
    "ConvertedRule": "convert",
    "convert_application": "convert",
    "convert_rule_set": "convert",
    "default_pipeline_text": "convert",
    "pipeline_for": "convert",
    "reset_pipeline": "convert",
    "save_pipeline": "convert",
    "RuleTestResult": "testing",
    "TestReport": "testing",
    "latest_rule_tests": "testing",
    "run_tests": "testing",
    "test_rule_set": "testing",
    "stix_bundle": "stix",
}

__all__ = [
    "DEFAULT_STATUSES",
    "SIEMS",
    "ConvertedRule",
    "RuleContext",
    "RuleSet",
    "RuleTestResult",
    "SigmaDoc",
    "TestReport",
    "TimeWindow",
    "ValidationReport",
    "build_rule_set",
    "build_rule_sets",
    "convert_application",
    "convert_rule_set",
    "default_pipeline_text",
    "latest_rule_tests",
    "pipeline_for",
    "reset_pipeline",
    "rule_context",
    "run_tests",
    "save_pipeline",
    "stix_bundle",
    "test_rule_set",
    "validate_rule_sets",
]

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.convert import (
        SIEMS,
        ConvertedRule,
        convert_application,
        convert_rule_set,
        default_pipeline_text,
        pipeline_for,
        reset_pipeline,
        save_pipeline,
    )
    from workshop.rules.sigma import (
        DEFAULT_STATUSES,
        RuleContext,
        RuleSet,
        SigmaDoc,
        TimeWindow,
        ValidationReport,
        build_rule_set,
        build_rule_sets,
        rule_context,
        validate_rule_sets,
    )
    from workshop.rules.stix import stix_bundle
    from workshop.rules.testing import RuleTestResult, TestReport, latest_rule_tests, run_tests, test_rule_set


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
