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


def confirmed_values() -> dict:
    """:func:`maximal_values` with a vocabulary nobody has to guess: every kind of event logged
    and named (its OWASP value, confirmed), every field role named, the batch hosts' addresses
    given. The rules built from it are ready, so their mechanics can be tested."""
    from workshop.usecases.events import DEFAULT_FIELDS, EVENTS

    v = maximal_values()
    named = {r["event"] for r in v["logging.event_names"]}
    v["logging.event_names"] = list(v["logging.event_names"]) + [
        {"event": e.id, "action": e.owasp, "outcome": e.outcome}
        for e in EVENTS.values()
        if e.id not in named and e.logged_as
    ]
    v["logging.events"] = sorted({e.logged_as for e in EVENTS.values() if e.logged_as})
    roles = {r["role"] for r in v["logging.fields"]}
    v["logging.fields"] = list(v["logging.fields"]) + [
        {"field": name, "role": str(role)} for role, name in DEFAULT_FIELDS.items() if role not in roles
    ]
    return v


#: Values a person supplies for the lists the rules select on (the lists are log values).
SUPPLIED_LISTS = {
    "sensitive_objects": ["Full salary register"],
    "sensitive_reports": ["Full salary register"],
    "leavers_lookup": "leavers",
    "privileged_roles": ["Payroll manager", "Finance approver", "Application administrator"],
    "app_groups": ["PAYROLL-Managers", "PAYROLL-Approvers"],  # directory groups, as the IdP logs them
}


@functools.lru_cache(maxsize=1)
def _ready_cases() -> tuple:
    return tuple(_build_ready_cases())


def ready_cases():
    """(use case, rule set, context) for every template, each ready (built once per process;
    the use cases are shared: do not change them)."""
    return list(_ready_cases())


def _build_ready_cases():
    """(use case, rule set, context) for every template, each ready: the confirmed vocabulary,
    and the lists a person must supply filled in by hand (as the detection engineer would)."""
    from workshop.usecases.readiness import readiness

    values = confirmed_values()
    ctx = context(values)
    out = []
    for uc in use_cases(values):
        for name, value in SUPPLIED_LISTS.items():
            if name in uc.parameters:
                uc.edits[f"parameters.{name}"] = {"value": value, "source": "manual"}
        r = readiness(uc, ctx.facts)
        assert r.ready, (uc.template_id, r.summary())
        out.append((uc, build_rule_set(uc, ctx), ctx))
    return out


def ready_case(template_id: str):
    """(use case, rule set, context) of one template, ready (see :func:`ready_cases`)."""
    for uc, rs, ctx in ready_cases():
        if uc.template_id == template_id:
            return uc, rs, ctx
    raise AssertionError(f"{template_id} not generated")


def local_alerts(rs, rows, evaluate_from=None) -> int:
    """Alerts of a rule set on events in the application's field names, by the local test
    engine (pySigma's SQLite backend plus the toolkit's windows, first seen and peaks)."""
    from workshop.rules.testing import EventTable, count_alerts

    numeric = [rs.fields[r] for r in ("records", "amount") if r in rs.fields]
    table = EventTable(rows, rs.fields.get("timestamp", "timestamp"), numeric)
    try:
        return count_alerts(rs, table, evaluate_from)
    finally:
        table.close()
