"""Rule drafts: Sigma rules built from use cases, SIEM conversions, local tests, STIX.

Pure domain code: everything here takes its inputs as data (use cases, a
:class:`RuleContext`, a pipeline's text, events) and never opens the store. The
workspace side (the latest answers, saved pipelines, recorded test results, the
ATT&CK setting) is :mod:`workshop.services.rules`. The API::

    rs = build_rule_set(use_case, ctx)            # RuleSet: the Sigma documents of one use case
    validate_rule_sets([rs])                      # schemas + pySigma core validators
    pipeline = parse_pipeline(text, "splunk")     # a user's pySigma pipeline, checked
    convert_rule_set(rs, "splunk", pipeline)      # ConvertedRule with plain notes
    test_use_cases(ucs, ctx, log="sample.csv")    # TestReport (true positives, sample, evasions)
    stix_bundle([(rs, uc)], organisation, index)  # STIX 2.1 bundle (dict)

Modules import pySigma and its backends only when used, so ``workshop --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "RuleContext": "sigma",
    "RuleSet": "sigma",
    "SigmaDoc": "sigma",
    "ValidationReport": "sigma",
    "build_rule_set": "sigma",
    "validate_rule_sets": "sigma",
    "SIEMS": "pipelines",
    "ConvertedRule": "convert",
    "Pipeline": "pipelines",
    "convert_rule_set": "convert",
    "default_pipeline_text": "pipelines",
    "parse_pipeline": "pipelines",
    "RuleTestResult": "testing",
    "TestReport": "testing",
    "test_rule_set": "testing",
    "test_use_cases": "testing",
    "stix_bundle": "stix",
}

__all__ = [
    "SIEMS",
    "ConvertedRule",
    "Pipeline",
    "RuleContext",
    "RuleSet",
    "RuleTestResult",
    "SigmaDoc",
    "TestReport",
    "ValidationReport",
    "build_rule_set",
    "convert_rule_set",
    "default_pipeline_text",
    "parse_pipeline",
    "stix_bundle",
    "test_rule_set",
    "test_use_cases",
    "validate_rule_sets",
]

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.convert import ConvertedRule, convert_rule_set
    from workshop.rules.pipelines import SIEMS, Pipeline, default_pipeline_text, parse_pipeline
    from workshop.rules.sigma import (
        RuleContext,
        RuleSet,
        SigmaDoc,
        ValidationReport,
        build_rule_set,
        validate_rule_sets,
    )
    from workshop.rules.stix import stix_bundle
    from workshop.rules.testing import RuleTestResult, TestReport, test_rule_set, test_use_cases


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
