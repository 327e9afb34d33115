"""Use-case generation, regeneration that keeps edits, lifecycle history, documents, exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.core.errors import InputError, StaleEditError
from workshop.interview.model import Answer, Application
from workshop.services.catalogues import load_questionnaires
from workshop.services.interview import answer_question
from workshop.services.usecases import answer_ids, generate_for_application, load_templates
from workshop.store import Store
from workshop.usecases import Inputs, generate, load_template_text
from workshop.usecases.documents import DocumentContext, application_document, to_html, use_case_markdown

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """
id: test-brute
title: Brute force on {app.name}
category: authentication
objective: Failed logins against {app.name}; lockout after {auth.lockout_threshold}.
when: "'local' in auth.methods"
needs: [auth.lockout_threshold]
logic:
  type: threshold
  event: authn_failure
  group_by: [source_ip]
  window: window
  threshold: max_failures
parameters:
  window: {description: Window, type: duration, default: 10m}
  max_failures:
    description: Failures per source in the window
    type: integer
    default: 20
    from: "max(auth.lockout_threshold * 2, 10)"
priority:
  default: medium
  raise:
    - {when: "purpose.internet_facing == true", level: high, reason: it faces the internet}
false_positives:
  - Users who forgot a password.
  - text: "Service accounts {service.accounts}."
    when: count(service.accounts) > 0
blind_spots: [Spraying across many sources.]
response: ["Call {response.contacts} if it continues past {params.max_failures} failures."]
validation: ["Fail {params.max_failures} logins within {params.window}."]
attack:
  - {technique: T1110.001, reason: password guessing}
"""


@pytest.fixture(scope="module")
def questionnaires():
    return load_questionnaires()


@pytest.fixture(scope="module")
def template(questionnaires):
    return load_template_text(TEMPLATE, "test.yaml", answer_ids(questionnaires))


def inputs(questionnaires, values: dict, unknown: set[str] = frozenset(), name: str = "Claims") -> Inputs:
    answers = {k: Answer(k, v) for k, v in values.items()}
    answers.update({k: Answer(k, None, unknown=True) for k in unknown})
    q = questionnaires.get("in-house-application")
    return Inputs(Application("claims", name, criticality="high"), answers, q)


def test_applies_only_when_condition_holds(questionnaires, template) -> None:
    assert generate(template, inputs(questionnaires, {"auth.methods": ["sso_saml"]})) is None
    doc = generate(template, inputs(questionnaires, {"auth.methods": ["local"], "auth.lockout_threshold": 8}))
    assert doc is not None
    assert doc.title == "Brute force on Claims"
    assert doc.parameters["max_failures"].to_dict() == {
        "value": 16,
        "source": "answer",
        "detail": "max(auth.lockout_threshold * 2, 10) with auth.lockout_threshold = 8 failed attempts",
        "description": "Failures per source in the window",
        "type": "integer",
        "unit": "",
        "baseline": "",
    }
    assert [t.to_dict() for t in doc.triggered_by] == [
        {"question_id": "auth.methods", "value": "Local accounts (passwords stored by the application)"}
    ]
    assert doc.missing_answers == ["response.contacts"]  # named in the response text, not answered
    assert doc.priority == "medium"


def test_unknown_answer_never_gives_a_confident_use_case(questionnaires, template) -> None:
    doc = generate(
        template, inputs(questionnaires, {"auth.methods": ["local"]}, unknown={"auth.lockout_threshold"})
    )
    assert doc.parameters["max_failures"].source == "default"
    assert doc.parameters["max_failures"].value == 20
    assert "auth.lockout_threshold" in doc.missing_answers
    assert "[unknown: auth.lockout_threshold]" in doc.objective


def test_unknown_deciding_answer_proposes_conditionally(questionnaires, template) -> None:
    doc = generate(template, inputs(questionnaires, {}, unknown={"auth.methods"}))
    assert doc is not None and doc.conditional is True
    assert "auth.methods" in doc.missing_answers
    assert doc.blind_spots[0].startswith("Proposed because these answers are unknown")


def test_priority_rule_and_conditional_texts(questionnaires, template) -> None:
    values = {
        "auth.methods": ["local"],
        "purpose.internet_facing": True,
        "service.accounts": [{"name": "svc-import", "purpose": "HR feed"}],
    }
    doc = generate(template, inputs(questionnaires, values))
    assert doc.priority == "high"
    assert any("faces the internet" in r for r in doc.priority_reasons)
    assert "Service accounts svc-import." in doc.false_positives


def test_logging_gaps_become_blind_spots(questionnaires, template) -> None:
    values = {
        "auth.methods": ["local"],
        "logging.events": ["authn_success"],
        "logging.source_ip_is_client": False,
    }
    doc = generate(template, inputs(questionnaires, values))
    text = " ".join(doc.blind_spots)
    assert "does not log 'Login failed'" in text
    assert "not the client's" in text


def test_demo_ends_with_most_use_cases_accepted(demo_store) -> None:
    ucs = demo_store.list_use_cases("payroll-portal")
    assert ucs
    accepted = [u for u in ucs if u.status == "accepted"]
    assert len(accepted) >= len(ucs) / 2


def test_regeneration_keeps_edits_and_shows_conflicts(demo_store, questionnaires) -> None:
    s = demo_store
    templates = load_templates(questionnaires)
    uc = s.get_use_case("payroll-portal", "brute-force-login")
    generated_max = uc.parameters["max_failures"].value
    s.edit_use_case(
        "payroll-portal", "brute-force-login", "title", "Our own title", who="ann", reason="clearer"
    )
    s.edit_use_case("payroll-portal", "brute-force-login", "parameters.max_failures",
                    {"value": 7, "source": "manual", "detail": "owner asked"}, who="ann")  # fmt: skip
    # Nothing changed in the answers: regeneration leaves the edits alone, with no conflict.
    result = generate_for_application(s, "payroll-portal", templates, questionnaires)
    assert "brute-force-login" not in result.conflicts
    # The answers change what generation derives: the edit wins, the conflict is shown.
    interview = s.latest_interview("payroll-portal")
    q = questionnaires.get("in-house-application")
    answer_question(s, q, interview.id, "auth.lockout_threshold", 12)
    result = generate_for_application(s, "payroll-portal", templates, questionnaires)
    assert result.conflicts["brute-force-login"] == ["parameters.max_failures"]
    uc = s.get_use_case("payroll-portal", "brute-force-login")
    assert uc.parameters["max_failures"].value == 7
    assert uc.conflicts["parameters.max_failures"] == {
        "generated_before": generated_max,
        "generated_now": 24,
        "yours": 7,
    }
    assert uc.title == "Our own title"
    assert "reaches 7" in uc.effective().strategy_abstract  # the edited value shows in the text
    # Taking the generated value resolves it.
    uc = s.resolve_conflict(
        "payroll-portal", "brute-force-login", "parameters.max_failures", "generated", who="ann"
    )
    assert uc.parameters["max_failures"].value == 24 and not uc.conflicts
    kinds = [e.kind for e in s.use_case_history("payroll-portal", "brute-force-login")]
    assert "conflict" in kinds and "revert" in kinds


def test_use_case_no_longer_applying_is_flagged_not_deleted(demo_store, questionnaires) -> None:
    s = demo_store
    interview = s.latest_interview("payroll-portal")
    q = questionnaires.get("in-house-application")
    answer_question(s, q, interview.id, "auth.methods", ["sso_saml"])
    result = generate_for_application(s, "payroll-portal", load_templates(questionnaires), questionnaires)
    assert "brute-force-login" in result.no_longer_applies
    uc = s.get_use_case("payroll-portal", "brute-force-login")
    assert uc.applies is False and uc.status == "accepted"


def test_lifecycle_transitions_and_history(demo_store) -> None:
    s = demo_store
    tid = "brute-force-login"
    changed, skipped = s.set_status("payroll-portal", [tid], "tested", who="bob")
    assert not changed and "cannot go from accepted to tested" in skipped[tid]
    for status in ("implemented", "tested", "retired", "proposed"):
        changed, skipped = s.set_status("payroll-portal", [tid], status, who="bob", reason=f"now {status}")
        assert changed == [tid], skipped
    with pytest.raises(InputError, match="unknown status"):
        s.set_status("payroll-portal", [tid], "done")
    history = [
        (e.old, e.new, e.who, e.reason)
        for e in s.use_case_history("payroll-portal", tid)
        if e.kind == "status"
    ]
    assert history[-4:] == [
        ("accepted", "implemented", "bob", "now implemented"),
        ("implemented", "tested", "bob", "now tested"),
        ("tested", "retired", "bob", "now retired"),
        ("retired", "proposed", "bob", "now proposed"),
    ]


def test_stale_use_case_edit_is_refused(demo_store) -> None:
    uc = demo_store.get_use_case("payroll-portal", "brute-force-login")
    demo_store.edit_use_case(
        "payroll-portal", uc.template_id, "notes", "first", expected_revision=uc.revision
    )
    with pytest.raises(StaleEditError):
        demo_store.edit_use_case(
            "payroll-portal", uc.template_id, "notes", "second", expected_revision=uc.revision
        )


def test_documents_escape_everything_a_person_typed(demo_store, questionnaires) -> None:
    s = demo_store
    evil = "<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)>"
    s.edit_use_case("payroll-portal", "brute-force-login", "title", evil)
    s.edit_use_case("payroll-portal", "brute-force-login", "false_positives", [evil])
    s.update_application("payroll-portal", description=evil)
    from workshop.services.exports import document_context

    ctx = document_context(s, "payroll-portal", questionnaires)
    page = to_html(application_document(s.list_use_cases("payroll-portal"), ctx), "doc")
    assert "<script" not in page and "<img" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;" in page


def test_document_sections_in_ads_order(demo_store, questionnaires) -> None:
    from workshop.services.exports import document_context

    ctx = document_context(demo_store, "payroll-portal", questionnaires)
    md = use_case_markdown(demo_store.get_use_case("payroll-portal", "brute-force-login"), ctx)
    order = ["Goal", "Categorization", "Strategy Abstract", "Technical Context", "Blind Spots and Assumptions",
             "False Positives", "Validation", "Priority", "Response", "Baseline", "Contacts", "Additional Resources"]  # fmt: skip
    positions = [md.index(f"### {h}\n") for h in order]
    assert positions == sorted(positions)
    assert "Password Guessing" in md  # technique name from the ATT&CK layer (built-in catalogue at least)


@pytest.mark.slow
def test_cli_generate_status_edit_and_export(demo_store, workspace: Path, capsys, tmp_path: Path) -> None:
    ws = str(workspace)
    assert main(["usecases", "generate", "payroll-portal", "--json", "--workspace", ws]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"id", "title", "status", "priority", "attack", "parameters"} <= set(data[0])
    brute = next(d for d in data if d["id"] == "brute-force-login")
    assert brute["attack"] == ["T1110.001"] and isinstance(brute["parameters"], dict)
    assert main(["usecases", "status", "payroll-portal", "brute-force-login", "implemented",
                 "--reason", "rule deployed", "--who", "cy", "--workspace", ws]) == 0  # fmt: skip
    assert main(["usecases", "edit", "payroll-portal", "brute-force-login", "parameters.window", "15m",
                 "--workspace", ws]) == 0  # fmt: skip
    capsys.readouterr()
    assert (
        main(["usecases", "history", "payroll-portal", "brute-force-login", "--json", "--workspace", ws]) == 0
    )
    events = json.loads(capsys.readouterr().out)
    assert any(e["kind"] == "status" and e["new"] == "implemented" and e["who"] == "cy" and e["reason"] == "rule deployed"
               for e in events)  # fmt: skip
    out = tmp_path / "out"
    assert main(["export", "payroll-portal", "--format", "markdown,html,navigator", "--out", str(out),
                 "--workspace", ws]) == 0  # fmt: skip
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "payroll-portal-analyst-brief.html",
        "payroll-portal-analyst-brief.md",
        "payroll-portal-navigator.json",
        "payroll-portal-use-cases.html",
        "payroll-portal-use-cases.md",
    ]
    assert "15m" in (out / "payroll-portal-use-cases.md").read_text()
    brief = (out / "payroll-portal-analyst-brief.md").read_text()
    assert "What normal looks like" in brief and "Who to call" in brief
    assert main(["usecases", "status", "payroll-portal", "nope", "accepted", "--workspace", ws]) == 1
    assert "no use case 'nope'" in capsys.readouterr().err


def test_navigator_layer_has_every_required_field(demo_store, workspace: Path, tmp_path: Path) -> None:
    from workshop.attack import validate_layer

    out = tmp_path / "nav"
    assert (
        main(
            [
                "export",
                "--portfolio",
                "--format",
                "navigator",
                "--out",
                str(out),
                "--workspace",
                str(workspace),
            ]
        )
        == 0
    )
    layer = json.loads((out / "portfolio-navigator.json").read_text())
    assert validate_layer(layer) == []
    assert layer["versions"]["layer"] == "4.5" and layer["domain"] == "enterprise-attack"
    tech = {t["techniqueID"]: t for t in layer["techniques"]}
    assert tech["T1110.001"]["score"] == 0  # only live (implemented or tested) use cases score; the demo has none
    assert "payroll-portal: " in tech["T1110.001"]["comment"]
    assert tech["T1110.001"]["metadata"][0]["value"] in ("accepted", "proposed", "implemented", "tested")


def test_export_refuses_unknown_format(demo_store, workspace: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", "payroll-portal", "--format", "pdf", "--out", str(tmp_path / "x"),
                 "--workspace", str(workspace)]) == 1  # fmt: skip
    assert "unknown export format" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_template_errors_report_file_and_line(questionnaires, tmp_path: Path) -> None:
    from workshop.core.errors import ValidationErrors

    bad = TEMPLATE.replace("type: threshold", "type: thresold").replace(
        "auth.lockout_threshold * 2", "auth.nope * 2"
    )
    with pytest.raises(ValidationErrors) as exc:
        load_template_text(bad, "bad.yaml", answer_ids(questionnaires))
    text = str(exc.value)
    assert "bad.yaml:9: logic: unknown type 'thresold'" in text
    assert (
        "bad.yaml:20: parameter 'max_failures' 'from' uses 'auth.nope', which no questionnaire asks" in text
    )


def test_document_context_for_app_without_interview(workspace: Path, questionnaires) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application("empty", "Empty"))
        from workshop.services.exports import document_context

        ctx = document_context(s, "empty", questionnaires)
        assert isinstance(ctx, DocumentContext)
        assert "No use case is accepted yet" in application_document([], ctx)


ONLY_TEMPLATE = """
id: test-breakglass
title: Break-glass account used
category: privilege
objective: Any login by a break-glass account.
when: "'local' in auth.methods"
logic:
  type: single
  event: authn_success
  only: {user: accounts}
parameters:
  accounts: {description: Break-glass accounts, type: list, default: [], from: auth.breakglass_accounts}
priority: {default: high}
false_positives: [Tested on purpose.]
blind_spots: [None.]
response: [Call the owner.]
validation: [Log in with one.]
"""


def test_only_keeps_listed_values_and_warns_when_the_list_is_empty(questionnaires) -> None:
    t = load_template_text(ONLY_TEMPLATE, "only.yaml", answer_ids(questionnaires))
    assert t.logic.only == (("user", "accounts"),)
    named = generate(
        t, inputs(questionnaires, {"auth.methods": ["local"], "auth.breakglass_accounts": ["bg-admin1"]})
    )
    assert named.logic.to_dict()["only"] == {"user": "accounts"}
    assert named.parameters["accounts"].value == ["bg-admin1"]
    assert (
        "Only events whose user (field user, assumed) is one of: {params.accounts}"
        in named.strategy_abstract
    )
    assert not any("cannot fire" in b for b in named.blind_spots)
    empty = generate(t, inputs(questionnaires, {"auth.methods": ["local"]}))
    assert any("No values are named for 'accounts'" in b for b in empty.blind_spots)


def test_only_must_name_a_declared_list_parameter(questionnaires) -> None:
    from workshop.core.errors import ValidationErrors

    bad = ONLY_TEMPLATE.replace("only: {user: accounts}", "only: {user: nope, planet: accounts}")
    with pytest.raises(ValidationErrors) as exc:
        load_template_text(bad, "only.yaml", answer_ids(questionnaires))
    text = str(exc.value)
    assert "'only' names parameter 'nope', which is not declared" in text
    assert "'only' names unknown field role 'planet'" in text


def test_stray_keys_in_attack_items_are_reported(questionnaires) -> None:
    from workshop.core.errors import ValidationErrors

    bad = TEMPLATE.replace(
        "- {technique: T1110.001, reason: password guessing}",
        "- {technique: T1110.001, reason: guessing, badly}",
    )
    with pytest.raises(ValidationErrors, match="attack item: unknown key 'badly'"):
        load_template_text(bad, "bad.yaml", answer_ids(questionnaires))


def test_parameter_edits_are_checked_for_every_caller(demo_store, workspace: Path, capsys) -> None:
    ws = str(workspace)
    for name, value in (("parameters.max_failures", "abc"), ("parameters.max_failures", "-5"),
                        ("parameters.window", "banana"), ("parameters.window", "0m")):  # fmt: skip
        assert (
            main(["usecases", "edit", "payroll-portal", "brute-force-login", name, value, "--workspace", ws])
            == 1
        )
        assert "workshop: error: parameter" in capsys.readouterr().err
    with pytest.raises(InputError, match="whole number"):
        demo_store.edit_use_case("payroll-portal", "brute-force-login", "parameters.max_failures",
                                 {"value": True, "source": "manual"})  # fmt: skip
    uc = demo_store.edit_use_case("payroll-portal", "brute-force-login", "parameters.max_failures",
                                  {"value": 12.0, "source": "manual"})  # fmt: skip
    assert uc.parameters["max_failures"].value == 12
