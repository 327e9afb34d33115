"""Baselines from log samples: what normal looks like, and what the owners said.

The small public API the store, the UI and the use-case catalogue build on::

    sample = load_sample(path, fmt="auto", mapping=None, default_tz="UTC")
    profile = build_profile(sample, entity_role=None, tz="Europe/London",
                            business_hours=TimeWindow(...), service_accounts=[...])
    profile.to_dict() / Profile.from_dict(...)
    compare_claims(profile, answers) -> [Discrepancy]
    propose_thresholds(count_series(sample, where={"action": "export"}), days=profile.span_days)
    generate_queries("splunk", mapping) / profile_from_siem_tables([csv, ...])

Heavy modules (pandas, pyarrow) load on first use of a name, so importing this
package stays cheap for the command line's ``--help``.

Where things are, lowest first (no module imports one below it in this list)::

    timestamps   time stamps of every kind to UTC
    mapping      which column plays which role (proposals)
    limits       SampleLimits: rows, columns, line length, nesting, inflation
    files        is the file readable at all (size, compression, encoding, limits)
    readers/     one reader per format (CSV, JSON lines, JSON documents, Parquet, access logs,
                 syslog/auth.log, W3C, Zeek, key=value, --regex), and the registry
    detect       which format a file is, from its content
    sample       LoadedSample and SampleInspection: what reading gives
    loading      file -> LoadedSample (load_sample, inspect_sample)
    options      ProfileOptions: failures, login and export patterns
    figures      Distribution and the other value objects of a profile
    profile      Profile: the stored artefact and its figures by name
    tables       count tables, and the pandas path that builds them from a sample
    derive       every figure from count tables (shared by all paths)
    build        build_profile and count_series: the direct path from a sample
    engine       the streaming path: DuckDB over a file of any size (the CLI, attach, the page)
    siem         SIEM queries that compute the count tables, and their import
    claims       owners' answers against a profile
    stats        threshold proposals and back-tests
    synthetic    a demo log with planted anomalies
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DEFAULT_SIZE_LIMIT": "files",
    "FORMATS": "readers",
    "SampleLimits": "limits",
    "default_limits": "limits",
    "LoadedSample": "sample",
    "SampleInspection": "sample",
    "inspect_sample": "loading",
    "load_sample": "loading",
    "ROLES": "mapping",
    "MappingProposal": "mapping",
    "propose_mapping": "mapping",
    "Distribution": "figures",
    "Profile": "profile",
    "ProfileOptions": "options",
    "build_profile": "build",
    "count_series": "build",
    "Discrepancy": "claims",
    "check_claims": "claims",
    "compare_claims": "claims",
    "profile_options_from_answers": "claims",
    "Backtest": "stats",
    "Method": "stats",
    "ThresholdProposal": "stats",
    "backtest": "stats",
    "propose_thresholds": "stats",
    "SiemQuery": "siem",
    "generate_queries": "siem",
    "profile_from_siem_tables": "siem",
    "PlantedAnomaly": "synthetic",
    "SyntheticSample": "synthetic",
    "generate_sample": "synthetic",
}

__all__ = [
    "DEFAULT_SIZE_LIMIT",
    "FORMATS",
    "ROLES",
    "Backtest",
    "Discrepancy",
    "Distribution",
    "LoadedSample",
    "MappingProposal",
    "Method",
    "PlantedAnomaly",
    "Profile",
    "ProfileOptions",
    "SampleInspection",
    "SampleLimits",
    "SiemQuery",
    "SyntheticSample",
    "ThresholdProposal",
    "backtest",
    "build_profile",
    "check_claims",
    "compare_claims",
    "count_series",
    "default_limits",
    "generate_queries",
    "generate_sample",
    "inspect_sample",
    "load_sample",
    "profile_from_siem_tables",
    "profile_options_from_answers",
    "propose_mapping",
    "propose_thresholds",
]

if TYPE_CHECKING:  # pragma: no cover
    from workshop.baseline.build import build_profile, count_series
    from workshop.baseline.claims import (
        Discrepancy,
        check_claims,
        compare_claims,
        profile_options_from_answers,
    )
    from workshop.baseline.figures import Distribution
    from workshop.baseline.files import DEFAULT_SIZE_LIMIT
    from workshop.baseline.limits import SampleLimits, default_limits
    from workshop.baseline.loading import inspect_sample, load_sample
    from workshop.baseline.mapping import ROLES, MappingProposal, propose_mapping
    from workshop.baseline.options import ProfileOptions
    from workshop.baseline.profile import Profile
    from workshop.baseline.readers import FORMATS
    from workshop.baseline.sample import LoadedSample, SampleInspection
    from workshop.baseline.siem import SiemQuery, generate_queries, profile_from_siem_tables
    from workshop.baseline.stats import Backtest, Method, ThresholdProposal, backtest, propose_thresholds
    from workshop.baseline.synthetic import PlantedAnomaly, SyntheticSample, generate_sample


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
