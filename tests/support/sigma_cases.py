"""Every use case the catalogue can generate, without a store: shared by the ``test_rules_*`` modules.

:func:`catalogue_cases` generates every template of the catalogue from answer sets that trigger
them all, as the use-case engine does, and builds each one's Sigma rule set.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

from workshop.attack import load_index_or_builtin
from workshop.core import yamlsource
from workshop.interview.model import Answer, Application
from workshop.rules.sigma import RuleContext, build_rule_set
from workshop.services.catalogues import load_questionnaires
from workshop.services.usecases import load_templates
from workshop.usecases.generate import Inputs, generate
from workshop.usecases.model import UseCase

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "workshop" / "services" / "demo" / "payroll-portal.yaml"


@functools.lru_cache(maxsize=1)
def catalogues():
    qs = load_questionnaires()
    return qs, load_templates(qs)


@functools.lru_cache(maxsize=1)
def _index():
    index, _ = load_index_or_builtin(None)
    return index


def demo_values() -> dict:
    doc = yamlsource.load_file(DEMO)
    return {k: v["value"] for k, v in doc["answers"].items() if isinstance(v, dict) and "value" in v}


def maximal_values() -> dict:
    """The demo's answers, changed so that every template of the catalogue applies."""
    v = copy.deepcopy(demo_values())
    v.update({"purpose.internet_facing": True, "service.api_keys": True, "access.travel": True})
    v["functions.sensitive"] = [*v["functions.sensitive"], "bulk_delete"]
    v["access.remote_access"] = [*v["access.remote_access"], "internet_direct"]
    # issue 16: machine clients, scheduled files, attack signals and impersonation as well
    v["functions.sensitive"] = [*v["functions.sensitive"], "impersonation"]
    v["functions.payee_changes"] = [*v["functions.payee_changes"], "payee_self_service"]
    v["auth.methods"] = [*v["auth.methods"], "api_key"]
    v["logging.events"] = [*v["logging.events"], "api_token", "attack_signals", "input_validation",
                           "record_changes", "job_runs", "file_events"]  # fmt: skip
    v["api.clients"] = [{"name": "Ledger", "client_id": "ledger-post", "calls_per_day": 3000}]
    v["api.calls_per_day"] = 4000
    v["api.rate_limit"] = "600 calls per minute per client id"
    v["transfer.schedule"] = [{"name": "BACS file", "schedule": "daily 02:00"}]
    v["transfer.file_integrity"] = False
    return v


def tactics_of(tid: str):
    t = _index().technique(tid)
    return list(t.tactics) if t is not None else None


def context(values: dict, app: Application | None = None) -> RuleContext:
    app = app or Application("payroll-portal", "Payroll Portal", criticality="high")
    return RuleContext(app, values, tactics_of, "2026-10-14")


def use_cases(values: dict, app: Application | None = None, status: str = "accepted") -> list[UseCase]:
    qs, cat = catalogues()
    app = app or Application("payroll-portal", "Payroll Portal", criticality="high")
    inputs = Inputs(app, {k: Answer(k, val) for k, val in values.items()}, qs.get("in-house-application"))
    out = []
    for tid, template in cat.templates.items():
        doc = generate(template, inputs)
        if doc is not None:
            out.append(UseCase(app.slug, tid, status, generated=doc))
    return out


def catalogue_cases(values: dict | None = None):
    """(use case, rule set, context) for every template the answers trigger."""
    values = values if values is not None else maximal_values()
    ctx = context(values)
    return [(uc, build_rule_set(uc, ctx), ctx) for uc in use_cases(values)]


def one_case(template_id: str, values: dict | None = None):
    for uc, rs, ctx in catalogue_cases(values):
        if uc.template_id == template_id:
            return uc, rs, ctx
    raise AssertionError(f"{template_id} not generated")
