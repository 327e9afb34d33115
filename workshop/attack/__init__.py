"""ATT&CK knowledge for the workshop: load MITRE's bundles fast, search, suggest, export.

The API other modules use (UI pages, exports, use-case generation)::

    from workshop.attack import load_index, load_index_or_builtin, resolve_bundle

    index = load_index(resolve_bundle())          # bundle via the cache, or built-in
    index.info()                                  # release, domain, counts
    index.search("brute force", limit=10)         # ranked SearchHit list
    index.technique("T1110.003")                  # Technique or None
    index.detail("T1110")                         # everything `attack show` prints
    suggest_for_application(index, platforms, answers)
    suggest_for_use_case(index, title, objective, platforms, tactics)
    build_layer(name, entries, version=index.meta.version, domain=index.meta.domain)

Heavy modules (``stix2``, ``urllib``) are imported only where needed.
"""

from __future__ import annotations

from workshop.attack.builtin import app_logs_note, load_builtin
from workshop.attack.index import AttackIndex
from workshop.attack.load import (
    BUILTIN,
    ENV_BUNDLE,
    downloaded_bundles,
    load_index,
    load_index_or_builtin,
    resolve_bundle,
)
from workshop.attack.model import (
    Analytic,
    AttackMeta,
    Campaign,
    DataComponent,
    DetectionStrategy,
    Group,
    LogSourceRef,
    Mitigation,
    MutableElement,
    SearchHit,
    Tactic,
    Technique,
    plain_text,
)
from workshop.attack.navigator import LayerEntry, build_layer, validate_layer
from workshop.attack.suggest import Suggestion, suggest_for_application, suggest_for_use_case

__all__ = [
    "BUILTIN",
    "ENV_BUNDLE",
    "Analytic",
    "AttackIndex",
    "AttackMeta",
    "Campaign",
    "DataComponent",
    "DetectionStrategy",
    "Group",
    "LayerEntry",
    "LogSourceRef",
    "Mitigation",
    "MutableElement",
    "SearchHit",
    "Suggestion",
    "Tactic",
    "Technique",
    "app_logs_note",
    "build_layer",
    "downloaded_bundles",
    "load_builtin",
    "load_index",
    "load_index_or_builtin",
    "plain_text",
    "resolve_bundle",
    "suggest_for_application",
    "suggest_for_use_case",
    "validate_layer",
]
