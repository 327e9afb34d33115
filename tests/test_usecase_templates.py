"""The use-case templates shipped in ``usecases/``.

Each template is tested like a small program: it loads without errors, it applies
exactly when the interview says so (one crafted answer set that proposes it, one that
does not), its parameters come from the answers named in ``from:`` and fall back to
the default when those answers are missing, an unknown deciding answer gives a
conditional proposal, and the demo application gets a full, readable set of use
cases. The loader's FILE:LINE reporting is checked on small broken templates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from workshop.interview.io import parse_interview
from workshop.interview.model import Answer, Application
from workshop.services.catalogues import load_questionnaires
from workshop.services.demo import DEMO_FILE
from workshop.services.usecases import answer_ids, load_templates
from workshop.usecases.generate import Inputs, applies, derive_parameters, generate, generate_all
from workshop.usecases.loader import discover_templates
from workshop.usecases.model import GeneratedUseCase, UseCase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
USECASES_DIR = PROJECT_ROOT / "usecases"
README = USECASES_DIR / "README.md"

NETWORKS = ["10.20.0.0/16"]
HOURS = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "start": "08:00",
    "end": "18:00",
    "timezone": "Europe/London",
}

#: template id -> (answers that make it apply, answers that do not).
WHEN_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "access-denied-per-user": (
        {"users.roles": [{"name": "Clerk"}, {"name": "Administrator"}]},
        {"users.roles": [{"name": "Clerk"}], "users.populations": ["employees"]},
    ),
    "admin-action-outside-change-window": (
        {"change.windows": HOURS, "functions.sensitive": ["config_changes"]},
        {"change.windows": HOURS, "functions.sensitive": ["export"]},
    ),
    "api-token-created": (
        {"service.api_keys": True},
        {"service.api_keys": False, "functions.sensitive": ["export"], "auth.methods": ["sso_saml"]},
    ),
    "audit-logging-changed": (
        {"functions.sensitive": ["config_changes"]},
        {"functions.sensitive": ["export"], "logging.destination": "siem"},
    ),
    "breakglass-account-used": (
        {"auth.breakglass_accounts": ["bg-01"]},
        {"auth.breakglass_accounts": []},
    ),
    "brute-force-login": ({"auth.methods": ["local"]}, {"auth.methods": ["sso_oidc"]}),
    "bulk-record-viewing": (
        {"data.types": ["pii"]},
        {"data.types": ["other"], "data.classification": "internal"},
    ),
    "dormant-account-login": (
        {"users.leaver_disable_sla": "within_week"},
        {
            "users.leaver_disable_sla": "same_day",
            "users.populations": ["employees"],
            "users.shared_accounts": False,
        },
    ),
    "error-spike-per-source": (
        {"purpose.internet_facing": True},
        {"purpose.internet_facing": False, "users.populations": ["employees"]},
    ),
    "export-volume-above-baseline": (
        {"functions.sensitive": ["export"]},
        {"functions.sensitive": ["approvals"]},
    ),
    "first-export-by-user": (
        {"functions.sensitive": ["reports"], "data.classification": "confidential"},
        {"functions.sensitive": ["export"], "data.classification": "public"},
    ),
    "input-validation-failures": (
        {"logging.events": ["input_validation"]},
        {
            "purpose.internet_facing": False,
            "users.populations": ["employees"],
            "logging.events": ["authn_success"],
        },
    ),
    "leaver-account-used": (
        {"users.leaver_list": True},
        {"users.leaver_list": False, "users.leaver_disable_sla": "same_day"},
    ),
    "log-silence": ({"logging.destination": "siem"}, {"logging.destination": "local_files"}),
    "login-from-two-countries": (
        {"access.travel": True},
        {"purpose.internet_facing": False, "access.remote_access": ["vpn"], "access.travel": False},
    ),
    "login-new-country": (
        {"purpose.internet_facing": True},
        {"purpose.internet_facing": False, "access.remote_access": ["office_only", "vpn"]},
    ),
    "login-new-network": (
        {"access.networks": NETWORKS},
        {"access.networks": NETWORKS, "logging.source_ip_is_client": False},
    ),
    "login-outside-business-hours": ({"access.business_hours": HOURS}, {}),
    "mass-delete": ({"functions.sensitive": ["bulk_delete"]}, {"functions.sensitive": ["bulk_update"]}),
    "mass-update": ({"functions.sensitive": ["bulk_update"]}, {"functions.sensitive": ["bulk_delete"]}),
    "mfa-change-then-external-login": (
        {"auth.mfa": "all", "auth.methods": ["local"], "access.networks": NETWORKS},
        {"auth.mfa": "all", "auth.methods": ["sso_saml"], "access.networks": NETWORKS},
    ),
    "password-reset-then-external-login": (
        {"auth.password_reset": "self_service", "access.networks": NETWORKS},
        {"auth.password_reset": "helpdesk", "access.networks": NETWORKS},
    ),
    "password-spraying": ({"auth.methods": ["ldap"]}, {"auth.methods": ["sso_saml"]}),
    "payee-change-reverted-after-payment": (
        {"functions.sensitive": ["payments"], "functions.payee_changes": ["staff_in_app"]},
        {"functions.sensitive": ["payments"], "functions.payee_changes": ["integration_import"]},
    ),
    "payee-change-then-payment": (
        {"functions.sensitive": ["refunds"], "functions.payee_changes": ["payee_self_service"]},
        {"functions.sensitive": ["refunds"], "functions.payee_changes": ["not_changeable"]},
    ),
    "payee-changes-by-one-user": (
        {"functions.payee_changes": ["staff_in_app"]},
        {"functions.payee_changes": ["integration_import"]},
    ),
    "payments-near-limit": (
        {"functions.sensitive": ["payments"], "functions.payment_limit": 5000},
        {"functions.sensitive": ["payments"], "functions.payment_limit": 0},
    ),
    "privilege-granted": (
        {"functions.sensitive": ["permission_changes"], "functions.permission_source": "in_app"},
        {"functions.sensitive": ["permission_changes"], "functions.permission_source": "idp_groups"},
    ),
    "rapid-record-access": (
        {"data.classification": "restricted"},
        {"data.classification": "internal", "users.populations": ["employees"]},
    ),
    "security-config-changed": (
        {"functions.sensitive": ["config_changes"]},
        {"functions.sensitive": ["export"]},
    ),
    "self-approval": ({"functions.sensitive": ["approvals"]}, {"functions.sensitive": ["payments"]}),
    "sensitive-report-export": (
        {"data.most_sensitive": "Salary register report", "functions.sensitive": ["export"]},
        {"data.most_sensitive": "Salary register report", "functions.sensitive": ["approvals"]},
    ),
    "service-account-interactive-login": (
        {"service.accounts": [{"name": "svc-import"}]},
        {"service.accounts": []},
    ),
    "service-account-new-source": (
        {"service.accounts": [{"name": "svc-import"}]},
        {"service.accounts": [{"name": "svc-import"}], "logging.source_ip_is_client": False},
    ),
    "success-after-failures": (
        {"auth.methods": ["local", "sso_saml"]},
        {"auth.methods": ["sso_saml", "api_key"]},
    ),
    "user-created-then-privileged": (
        {"functions.sensitive": ["user_management"]},
        {"functions.sensitive": ["user_management"], "functions.permission_source": "idp_groups"},
    ),
    # issue 16: machine clients, sessions, the owners' fraud worries
    "api-key-outside-schedule": (
        {"api.clients": [{"name": "Payroll Portal", "client_id": "pp-prod"}]},
        {"api.clients": []},
    ),
    "api-invalid-key-attempts": ({"auth.methods": ["api_key"]}, {"auth.methods": ["local"], "api.clients": []}),
    "api-scope-denials": (
        {"api.clients": [{"name": "Ledger", "client_id": "ledger-post"}]},
        {"api.clients": [], "auth.methods": ["client_cert"]},
    ),
    "api-volume-above-normal": ({"api.calls_per_day": 4000}, {}),
    "scheduled-job-missing": (
        {"transfer.schedule": [{"name": "HR import"}]},
        {"transfer.schedule": [], "service.batch_jobs": []},
    ),
    "session-reuse": (
        {"logging.fields": [{"field": "sid", "role": "session"}]},
        {"logging.fields": [{"field": "sid", "role": "session"}], "logging.source_ip_is_client": False},
    ),
    "session-used-after-expiry": ({"logging.events": ["session_events"]}, {"logging.events": ["authn_success"]}),
    "token-reuse": (
        {"logging.events": ["api_token"]},
        {"logging.events": ["authn_success"], "service.api_keys": False, "auth.methods": ["local"]},
    ),
    "application-attack-detected": (
        {"logging.events": ["attack_signals"]},
        {"logging.events": ["authn_success"]},
    ),
    "rate-limit-exceeded": (
        {"api.rate_limit": "600 calls per minute per client id"},
        {"logging.events": ["authn_success"]},
    ),
    "vip-record-viewed": ({"data.vip_records": True}, {"data.vip_records": False}),
    "bank-account-fan-in": (
        {"functions.payee_changes": ["integration_import"]},
        {"functions.payee_changes": ["not_changeable"]},
    ),
    "contact-change-then-payee-change": (
        {"functions.payee_changes": ["payee_self_service"]},
        {"functions.payee_changes": ["integration_import"]},
    ),
    "record-created-by-hand": (
        {"service.integrations": [{"system": "HR"}], "functions.sensitive": ["payments"]},
        {"service.integrations": [{"system": "HR"}], "functions.sensitive": ["export"]},
    ),
    "impersonation-started": ({"functions.sensitive": ["impersonation"]}, {"functions.sensitive": ["export"]}),
    "disabled-account-reenabled": (
        {"functions.sensitive": ["user_management"]},
        {"functions.sensitive": ["export"]},
    ),
    "idp-group-grants-app-role": (
        {"functions.permission_source": "idp_groups"},
        {"functions.permission_source": "in_app"},
    ),
    "file-changed-before-sending": (
        {"transfer.schedule": [{"name": "BACS file"}], "transfer.file_integrity": False},
        {
            "transfer.schedule": [{"name": "BACS file"}],
            "transfer.file_integrity": True,
            "service.batch_jobs": [{"name": "BACS file"}],
            "functions.sensitive": ["export"],
        },
    ),
    # issue 16: comparisons of two fields, and the web access log
    "privilege-self-grant": (
        {"functions.sensitive": ["permission_changes"], "functions.permission_source": "both"},
        {"functions.sensitive": ["permission_changes"], "functions.permission_source": "idp_groups"},
    ),
    "own-record-changed": (
        {"functions.payee_changes": ["staff_in_app"]},
        {"functions.payee_changes": ["payee_self_service", "integration_import"]},
    ),
    "web-attack-patterns": (
        {"purpose.internet_facing": True},
        {"purpose.internet_facing": False, "logging.format": "json"},
    ),
    "web-error-burst": (
        {"logging.format": "combined_access"},
        {"purpose.internet_facing": False, "logging.format": "json"},
    ),
}
#: Templates written with no ``when`` (they apply to every application). None today:
#: every detection idea depends on something the interview establishes.
ALWAYS_APPLY: frozenset[str] = frozenset()

#: Baseline figures a parameter may name (documented in usecases/README.md).
BASELINE_FIGURES = {
    "per_entity_day.p99", "per_entity_hour.p99", "failing_entities_per_source_day.p99",
    "records_per_entity_day.p99", "failures_per_source_day.p99", "failures_per_entity_day.p99",
    "failure_ratio", "first_seen.user", "first_seen.source_ip", "first_seen.country",
    "service_accounts.sources", "hour_of_day", "hourly_by_weekday.mean",
}  # fmt: skip


@pytest.fixture(scope="module")
def questionnaires():
    return load_questionnaires()


@pytest.fixture(scope="module")
def catalogue(questionnaires):
    return load_templates(questionnaires)


@pytest.fixture(scope="module")
def demo_inputs(questionnaires) -> Inputs:
    parsed = parse_interview(DEMO_FILE.read_text(encoding="utf-8"), str(DEMO_FILE), questionnaires)
    answers = {
        qid: Answer(qid, state.get("value"), unknown=state.get("unknown", False))
        for qid, state in parsed.states.items()
    }
    return Inputs(parsed.application, answers, parsed.questionnaire)


def make_inputs(
    values: dict[str, Any], unknown: set[str] | frozenset[str] = frozenset(), **app: Any
) -> Inputs:
    answers = {qid: Answer(qid, value) for qid, value in values.items()}
    for qid in unknown:
        answers[qid] = Answer(qid, None, unknown=True)
    return Inputs(Application(slug="test-app", name="Test App", **app), answers)


def effective(doc: GeneratedUseCase, tid: str) -> GeneratedUseCase:
    """What a reader sees: the generated document with ``{params.NAME}`` filled in."""
    return UseCase("test-app", tid, generated=doc).effective()


# -- loading ------------------------------------------------------------------------------


def test_every_template_file_loads_without_errors(catalogue):
    problems = {f: [str(e) for e in errs] for f, errs in catalogue.errors.items()}
    assert problems == {}
    assert len(catalogue.templates) >= 25
    files = sorted(p.stem for p in USECASES_DIR.glob("*.yaml"))
    assert files == sorted(catalogue.templates), "each file holds the template named like it"


def test_every_template_has_a_when_case(catalogue):
    assert set(WHEN_CASES) | ALWAYS_APPLY == set(catalogue.templates)
    assert not set(WHEN_CASES) & ALWAYS_APPLY


def test_templates_without_when_are_exactly_the_declared_ones(catalogue):
    no_when = {tid for tid, t in catalogue.templates.items() if t.when is None}
    assert no_when == ALWAYS_APPLY
    for tid in ALWAYS_APPLY:
        assert applies(catalogue.templates[tid], make_inputs({})) == (True, [])


# -- when ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tid", sorted(WHEN_CASES))
def test_when_proposes_on_one_answer_set_and_not_another(catalogue, tid):
    template = catalogue.templates[tid]
    yes, no = WHEN_CASES[tid]
    assert set(yes) | set(no) <= template.when.names, "the crafted answers must be ones the condition reads"
    assert yes != no
    assert applies(template, make_inputs(yes)) == (True, [])
    doc = generate(template, make_inputs(yes))
    assert doc is not None and doc.conditional is False
    assert applies(template, make_inputs(no)) == (False, [])
    assert generate(template, make_inputs(no)) is None


@pytest.mark.parametrize("tid", sorted(WHEN_CASES))
def test_unknown_deciding_answers_give_a_conditional_proposal(catalogue, tid):
    template = catalogue.templates[tid]
    yes, no = WHEN_CASES[tid]
    unknown = set(yes) | set(no)
    doc = generate(template, make_inputs({}, unknown=unknown))
    assert doc is not None, "an unknown answer must never silently drop a use case"
    assert doc.conditional is True
    assert unknown <= set(doc.missing_answers)
    assert doc.blind_spots[0].startswith("Proposed because these answers are unknown")


def test_self_approval_with_unknown_functions_is_conditional_and_says_why(catalogue):
    template = catalogue.templates["self-approval"]
    doc = generate(template, make_inputs({"auth.methods": ["local"]}, unknown={"functions.sensitive"}))
    assert doc.conditional is True
    assert "functions.sensitive" in doc.missing_answers
    assert "functions.sensitive" in doc.blind_spots[0]
    # the same answer given as "no approvals" drops it
    assert generate(template, make_inputs({"functions.sensitive": ["export"]})) is None


# -- parameters ---------------------------------------------------------------------------


def _param(doc: GeneratedUseCase, name: str) -> tuple[Any, str]:
    p = doc.parameters[name]
    return p.value, p.source


@pytest.mark.parametrize(("lockout", "expected"), [(5, 10), (3, 10), (12, 24)])
def test_brute_force_threshold_derives_from_lockout(catalogue, lockout, expected):
    doc = generate(
        catalogue.templates["brute-force-login"],
        make_inputs({"auth.methods": ["local"], "auth.lockout_threshold": lockout}),
    )
    assert _param(doc, "max_failures") == (expected, "answer")
    assert "auth.lockout_threshold" not in doc.missing_answers
    assert f"reaches {expected}." in effective(doc, "brute-force-login").strategy_abstract


@pytest.mark.parametrize("unknown", [True, False], ids=["marked-unknown", "not-answered"])
def test_brute_force_threshold_falls_back_to_default(catalogue, unknown):
    template = catalogue.templates["brute-force-login"]
    doc = generate(
        template,
        make_inputs({"auth.methods": ["local"]}, unknown={"auth.lockout_threshold"} if unknown else set()),
    )
    assert _param(doc, "max_failures") == (template.parameter("max_failures").default, "default")
    assert "auth.lockout_threshold" in doc.missing_answers


def test_every_derived_parameter_falls_back_to_its_default_without_answers(catalogue):
    empty = make_inputs({})
    for tid, template in catalogue.templates.items():
        params, missing = derive_parameters(template, empty)
        for spec in template.parameters:
            if spec.derive is None:
                continue
            names = {n for n in spec.derive.names if not n.startswith("app.")}
            assert (params[spec.name].value, params[spec.name].source) == (spec.default, "default"), (
                f"{tid}.{spec.name}"
            )
            assert names <= missing, f"{tid}.{spec.name} must list the answers it would come from"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"volume.max_records_normal": 400, "volume.records_per_user_day": 50}, 500),
        ({"volume.records_per_user_day": 150}, 600),
        ({"volume.max_records_normal": 1000}, 1250),
    ],
)
def test_bulk_viewing_threshold_from_volumes(catalogue, answers, expected):
    doc = generate(
        catalogue.templates["bulk-record-viewing"], make_inputs({"data.types": ["pii"], **answers})
    )
    assert _param(doc, "max_records") == (expected, "answer")


def test_export_threshold_from_largest_export_or_record_count(catalogue):
    template = catalogue.templates["export-volume-above-baseline"]
    base = {"functions.sensitive": ["export"], "data.record_count": 2600}
    doc = generate(template, make_inputs({**base, "volume.export_max_records": 2000}))
    assert _param(doc, "max_records") == (3000, "answer")
    doc = generate(template, make_inputs(base, unknown={"volume.export_max_records"}))
    assert _param(doc, "max_records") == (1300, "answer")
    assert "volume.export_max_records" in doc.missing_answers
    assert any("falls back to half of all records" in b for b in doc.blind_spots)


def test_time_window_parameters_take_the_interview_window(catalogue):
    doc = generate(
        catalogue.templates["login-outside-business-hours"], make_inputs({"access.business_hours": HOURS})
    )
    assert _param(doc, "business_hours") == (HOURS, "answer")
    eff = effective(doc, "login-outside-business-hours")
    assert "Mon-Fri 08:00-18:00 (Europe/London)" in eff.strategy_abstract
    windows = {"days": ["thu"], "start": "19:00", "end": "22:00", "timezone": "UTC"}
    doc = generate(
        catalogue.templates["admin-action-outside-change-window"],
        make_inputs({"change.windows": windows, "functions.sensitive": ["config_changes"]}),
    )
    assert _param(doc, "change_window") == (windows, "answer")


@pytest.mark.parametrize(("logins", "window"), [(120, "4h"), (10, "24h"), (2000, "1h")])
def test_silence_window_scales_with_daily_logins(catalogue, logins, window):
    doc = generate(
        catalogue.templates["log-silence"],
        make_inputs({"logging.destination": "siem", "volume.daily_logins": logins}),
    )
    assert _param(doc, "window") == (window, "answer")


def test_payment_band_comes_from_the_limit(catalogue):
    doc = generate(
        catalogue.templates["payments-near-limit"],
        make_inputs({"functions.sensitive": ["payments"], "functions.payment_limit": 5000}),
    )
    assert _param(doc, "payment_limit") == (5000, "answer")
    assert _param(doc, "near_limit_amount") == (4500, "answer")
    assert "between 4500 and the approval limit of 5000" in effective(doc, "payments-near-limit").objective


def test_lookbacks_are_limited_by_retention(catalogue):
    template = catalogue.templates["dormant-account-login"]
    base = {"users.leaver_disable_sla": "longer"}
    assert _param(generate(template, make_inputs({**base, "logging.retention_days": 365})), "lookback") == (
        "90d",
        "answer",
    )
    short = generate(template, make_inputs({**base, "logging.retention_days": 30}))
    assert _param(short, "lookback") == ("30d", "answer")
    assert any("The log is kept 30," in b for b in short.blind_spots)


def test_priority_rules_follow_the_interview(catalogue):
    template = catalogue.templates["payee-change-then-payment"]
    base = {"functions.sensitive": ["payments"], "functions.payee_changes": ["staff_in_app"]}
    assert generate(template, make_inputs(base)).priority == "high"
    self_service = {**base, "functions.payee_changes": ["payee_self_service"]}
    assert generate(template, make_inputs(self_service)).priority == "critical"
    template = catalogue.templates["self-approval"]
    assert generate(template, make_inputs({"functions.sensitive": ["approvals"]})).priority == "high"
    unguarded = {"functions.sensitive": ["approvals"], "functions.self_approval_prevented": False}
    assert generate(template, make_inputs(unguarded)).priority == "critical"


def test_text_conditions_follow_the_interview(catalogue):
    template = catalogue.templates["leaver-account-used"]
    without_list = generate(
        template, make_inputs({"users.leaver_disable_sla": "longer", "users.leaver_list": False})
    )
    assert any("No leavers list has been agreed" in b for b in without_list.blind_spots)
    with_list = generate(template, make_inputs({"users.leaver_list": True}))
    assert not any("No leavers list has been agreed" in b for b in with_list.blind_spots)


# -- the whole catalogue --------------------------------------------------------------------


def test_parameters_named_in_baselines_use_the_documented_figures(catalogue):
    readme = README.read_text(encoding="utf-8")
    for tid, template in catalogue.templates.items():
        for spec in template.parameters:
            if spec.baseline:
                assert spec.baseline in BASELINE_FIGURES, f"{tid}.{spec.name}: {spec.baseline}"
    for figure in BASELINE_FIGURES:
        assert f"`{figure}`" in readme, f"baseline figure {figure} is not documented"


def test_readme_lists_every_template(catalogue):
    readme = README.read_text(encoding="utf-8")
    for tid in catalogue.templates:
        assert f"`{tid}`" in readme, f"{tid} missing from the README table"


def test_every_template_names_who_to_call_and_how_to_test(catalogue):
    for tid, template in catalogue.templates.items():
        assert any("{response.contacts}" in t.text for t in template.response), tid
        assert template.validation and template.blind_spots and template.false_positives, tid
        assert template.needs, f"{tid} relies on no answer at all?"
        assert template.category in {
            "authentication", "access", "privilege", "data", "integrity", "fraud",
            "defense-evasion", "api", "availability", "application-attack",
        }  # fmt: skip


def test_threshold_like_templates_say_how_they_are_evaded(catalogue):
    for tid, template in catalogue.templates.items():
        if template.logic.type in ("threshold", "distinct", "sum"):
            kinds = {e.kind for e in template.evasions}
            assert kinds & {"split_below_threshold", "slow_spread"}, tid


def test_attack_ids_exist_in_attack_18_1(catalogue, shared_dir):
    bundle = shared_dir / "attack" / "enterprise-attack-18.1.json"
    if not bundle.is_file():
        pytest.skip(f"no ATT&CK bundle at {bundle}")
    live = set()
    for obj in json.loads(bundle.read_text(encoding="utf-8"))["objects"]:
        if obj.get("type") != "attack-pattern" or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        live.update(
            r["external_id"]
            for r in obj.get("external_references", [])
            if r.get("source_name") == "mitre-attack"
        )
    used = {(tid, a.technique) for tid, t in catalogue.templates.items() for a in t.attack}
    assert {u for u in used if u[1] not in live} == set()
    assert used, "some templates map to ATT&CK"


# -- the demo application ---------------------------------------------------------------------

PLACEHOLDER_LEFT = re.compile(r"\[(?:not answered|unknown): [a-z_.]+\]|\{params\.[a-z_]+\}")
TEXT_FIELDS = (
    "title",
    "objective",
    "strategy_abstract",
    "false_positives",
    "blind_spots",
    "response",
    "validation",
)


def test_demo_generates_a_full_readable_set(catalogue, demo_inputs):
    docs = {tid: d for tid, d in generate_all(catalogue, demo_inputs).items() if d is not None}
    assert len(docs) >= 18
    assert {
        "brute-force-login", "password-spraying", "leaver-account-used", "payee-change-then-payment",
        "payee-change-reverted-after-payment", "self-approval", "sensitive-report-export",
        "export-volume-above-baseline", "bulk-record-viewing", "login-outside-business-hours",
    } <= set(docs)  # fmt: skip
    # internal, office and VPN only, no travel, no bulk delete, no API keys
    assert not {"login-new-country", "login-from-two-countries", "mass-delete", "api-token-created"} & set(
        docs
    )
    for tid, doc in docs.items():
        eff = effective(doc, tid)
        for key in TEXT_FIELDS:
            value = getattr(eff, key)
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                assert not PLACEHOLDER_LEFT.search(text), f"{tid}.{key}: {text}"
        assert doc.conditional is False, tid


def test_demo_parameters_come_from_its_answers(catalogue, demo_inputs):
    docs = generate_all(catalogue, demo_inputs)
    assert _param(docs["brute-force-login"], "max_failures") == (10, "answer")
    assert _param(docs["bulk-record-viewing"], "max_records") == (500, "answer")
    assert _param(docs["login-outside-business-hours"], "business_hours")[0]["start"] == "07:30"
    assert _param(docs["breakglass-account-used"], "breakglass_accounts") == (
        ["pp-breakglass-01", "pp-breakglass-02"],
        "answer",
    )
    # the owners did not know their largest export: the use case says so
    assert "volume.export_max_records" in docs["export-volume-above-baseline"].missing_answers


STORED_KEYS = {
    "title", "objective", "category", "service", "template_version", "priority", "priority_reasons",
    "priority_criteria", "parameters", "logic", "vocabulary", "events", "strategy_abstract", "technical_context",
    "false_positives", "blind_spots", "response", "contacts", "validation", "attack", "references", "evasions",
    "triggered_by", "conditional", "missing_answers", "inputs", "covers",
}  # fmt: skip


def test_generated_use_case_keeps_the_stored_shape(catalogue, demo_inputs):
    """Workspaces hold the generated use case as JSON: the typed model reads and writes that shape."""
    for tid, doc in generate_all(catalogue, demo_inputs).items():
        if doc is None:
            continue
        stored = json.loads(json.dumps(doc.to_dict()))
        assert set(stored) == STORED_KEYS, tid
        for entry in stored["parameters"].values():
            assert set(entry) == {"value", "source", "detail", "description", "type", "unit", "baseline"}, tid
        assert GeneratedUseCase.from_dict(stored).to_dict() == stored, tid


def test_edits_overlay_the_typed_use_case(catalogue, demo_inputs):
    doc = generate_all(catalogue, demo_inputs)["brute-force-login"]
    uc = UseCase("test-app", "brute-force-login", generated=doc, edits={
        "priority": "critical", "attack": [{"technique": "T1110.003", "reason": "spraying"}],
        "false_positives": ["one", "two"], "notes": "see ticket 12",
        "parameters.max_failures": {"value": 7, "source": "manual", "detail": "agreed", "who": "ann"},
    })  # fmt: skip
    eff = uc.effective()
    assert (eff.priority, eff.notes, eff.false_positives) == ("critical", "see ticket 12", ["one", "two"])
    assert [(a.technique, a.reason) for a in uc.attack] == [("T1110.003", "spraying")]
    p = eff.parameters["max_failures"]
    assert (p.value, p.source, p.who, p.type) == (7, "manual", "ann", "integer")
    assert "reaches 7." in eff.strategy_abstract
    assert doc.parameters["max_failures"].value == 10  # the generated use case itself is untouched


# -- loader errors report FILE:LINE ---------------------------------------------------------------

VALID = """\
id: tiny
title: Tiny {app.name} use case
category: authentication
objective: Detect something small.
when: "'local' in auth.methods"
needs: [auth.methods]
logic:
  type: threshold
  event: authn_failure
  group_by: [user]
  window: window
  threshold: limit
parameters:
  window: {description: Window, type: duration, default: 10m}
  limit: {description: Limit, type: integer, default: 5}
priority:
  default: medium
false_positives:
  - Users who forget passwords.
blind_spots:
  - Slow attackers.
response:
  - "Call {response.contacts}."
validation:
  - Fail {params.limit} times.
attack:
  - {technique: T1110.001, reason: Guessing.}
"""


def _errors(tmp_path: Path, text: str, questionnaires) -> tuple[Path, list[str]]:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    cat = discover_templates([tmp_path], answer_ids(questionnaires))
    return path, [str(e) for e in cat.errors.get(str(path), [])]


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_tiny_template_is_valid(tmp_path, questionnaires):
    _, errors = _errors(tmp_path, VALID, questionnaires)
    assert errors == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  type: threshold", "  type: burst", "unknown type 'burst'"),
        ("  threshold: limit", "  threshold: nope", "parameter 'nope', which is not declared"),
        ("  event: authn_failure", "  event: login_party", "unknown event 'login_party'"),
        (
            "when: \"'local' in auth.methods\"",
            'when: "auth.colour == 1"',
            "'auth.colour', which no questionnaire asks",
        ),
        ("  - {technique: T1110.001, reason: Guessing.}", "  - {technique: T99, reason: Guessing.}", "'T99'"),
        ('  - "Call {response.contacts}."', '  - "Call {response.colour}."', "'response.colour'"),
        ("  - Fail {params.limit} times.", "  - Fail {params.nope} times.", "names no declared parameter"),
        ("title: Tiny {app.name} use case", "title: Tiny {app.colour} use case", "unknown placeholder"),
    ],
    ids=[
        "logic-type",
        "undeclared-parameter",
        "event",
        "when-answer",
        "technique",
        "answer-placeholder",
        "param-placeholder",
        "app-placeholder",
    ],
)
def test_loader_reports_file_and_line(tmp_path, questionnaires, old, new, message):
    assert old in VALID
    text = VALID.replace(old, new)
    path, errors = _errors(tmp_path, text, questionnaires)
    line = _line_of(text, new.strip())
    assert any(e.startswith(f"{path}:{line}: ") and message in e for e in errors), errors


def test_loader_reports_a_missing_required_key(tmp_path, questionnaires):
    text = VALID.replace("objective: Detect something small.\n", "")
    path, errors = _errors(tmp_path, text, questionnaires)
    assert any(re.match(rf"{re.escape(str(path))}:\d+: .*'objective' is required", e) for e in errors), errors


def test_loader_reports_a_yaml_syntax_error(tmp_path, questionnaires):
    text = VALID.replace("needs: [auth.methods]", "needs: [auth.methods")
    path, errors = _errors(tmp_path, text, questionnaires)
    assert len(errors) == 1
    assert re.match(rf"{re.escape(str(path))}:\d+: YAML syntax error", errors[0]), errors


def test_a_broken_template_does_not_hide_the_others(tmp_path, questionnaires):
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(VALID.replace("tiny", "bad").replace("type: threshold", "type: x"))
    cat = discover_templates([tmp_path], answer_ids(questionnaires))
    assert set(cat.templates) == {"tiny"}
    assert list(cat.errors) == [str(tmp_path / "bad.yaml")]
