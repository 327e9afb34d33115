"""Sigma rules (specification 2.1) for an application's use cases, built as data.

Each use case becomes a :class:`RuleSet`: the Sigma documents that implement it (a
detection rule per event selection, and a correlation rule where the logic counts,
sums or orders events), plus what Sigma cannot say and the conversions and local
tests must carry themselves: time windows (business hours, change windows),
first-seen logic, placeholders for lists kept in the SIEM, and plain notes.

Rules are Python dictionaries serialised with ``yaml.safe_dump``, never string
templates, so any answer text (quotes, colons, ``#``, new lines, any script) comes
out as valid YAML that means the same. Values taken from answers are escaped for
Sigma (``*``, ``?`` and ``\\`` are literal characters in an account name, not
wildcards). Nothing in an allowlist or a threshold is ever dropped silently: what
cannot be expressed is written into the rule set's ``notes`` and the rule's
``x_workshop`` attribute (the specification allows arbitrary custom attributes, and
neither JSON schema forbids them).

Identifiers are UUID version 5 of the application slug, the template id and the
rule part, so regenerating the rules keeps their ids (and SIEM content keyed on
them) stable.

The code lives in four modules by concern: :mod:`.model` (rule sets as data, YAML,
the context), :mod:`.build` (from a use case to Sigma documents), :mod:`.validate`
(schemas and pySigma's validators) and :mod:`.files` (edited rule files read back).
This module re-exports them, so ``from workshop.rules.sigma import ...`` keeps working.
"""

from __future__ import annotations

from workshop.rules.build import (
    build_rule_set,
    vocabulary_of,
)
from workshop.rules.files import (
    load_rule_files,
    with_documents,
)
from workshop.rules.model import (
    LEVELS,
    RULE_NAMESPACE,
    TOOLKIT,
    Aggregation,
    Placeholder,
    RuleContext,
    RuleSet,
    SigmaDoc,
    clean_value,
    clean_values,
    dump_yaml,
    dump_yaml_all,
    rule_filename,
    rule_uuid,
    sigma_literal,
    sigma_unescape,
)
from workshop.rules.validate import (
    EXCLUDED_VALIDATORS,
    ValidationReport,
    schema_folder,
    shared_dir,
    validate_documents,
    validate_rule_sets,
)
from workshop.usecases.model import PARAMETER_LISTS

__all__ = [
    "EXCLUDED_VALIDATORS",
    "LEVELS",
    "PARAMETER_LISTS",
    "RULE_NAMESPACE",
    "TOOLKIT",
    "Aggregation",
    "Placeholder",
    "RuleContext",
    "RuleSet",
    "SigmaDoc",
    "ValidationReport",
    "build_rule_set",
    "clean_value",
    "clean_values",
    "dump_yaml",
    "dump_yaml_all",
    "load_rule_files",
    "rule_filename",
    "rule_uuid",
    "schema_folder",
    "shared_dir",
    "sigma_literal",
    "sigma_unescape",
    "validate_documents",
    "validate_rule_sets",
    "vocabulary_of",
    "with_documents",
]
