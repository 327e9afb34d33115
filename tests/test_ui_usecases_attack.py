"""AppTests of the Use cases and ATT&CK pages on the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.interview.model import Application
from workshop.store import Store
from workshop.usecases.model import AttackRef

USECASES = "workshop/ui/pages/usecases.py"
ATTACK = "workshop/ui/pages/attack.py"


@pytest.fixture
def demo(demo_workspace: Path) -> Path:
    return demo_workspace


@pytest.mark.slow
def test_use_cases_page_lists_and_filters(demo: Path, open_page) -> None:
    at = open_page(USECASES)
    assert at.title[0].value == "Use cases · Payroll Portal"
    table = at.dataframe[0].value
    assert "Brute force against the Payroll Portal login" in list(table["Use case"])
    with Store.open(demo) as s:
        s.set_status("payroll-portal", ["brute-force-login"], "rejected", reason="test")
    at.run()
    at.multiselect(key="uc_filter_status").set_value(["accepted"]).run()
    shown = list(at.dataframe[0].value["Use case"]) if at.dataframe else []
    assert "Brute force against the Payroll Portal login" not in shown
    at.multiselect(key="uc_filter_status").set_value(["rejected"]).run()
    assert "Brute force against the Payroll Portal login" in list(at.dataframe[0].value["Use case"])
    at.text_input(key="uc_filter_text").input("no such words").run()
    assert any("No use case matches" in i.value for i in at.info)


@pytest.mark.slow
def test_reject_with_reason_is_recorded(demo: Path, open_page) -> None:
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    at.text_input(key="ucreason:brute-force-login").input("SSO only next quarter").run()
    at.button(key="reject:brute-force-login").click().run()
    assert not at.exception
    with Store.open(demo) as s:
        uc = s.get_use_case("payroll-portal", "brute-force-login")
        last = s.use_case_history("payroll-portal", "brute-force-login")[-1]
    assert uc.status == "rejected"
    assert (last.kind, last.new, last.reason) == ("status", "rejected", "SSO only next quarter")
    assert any("now rejected" in m.value for m in at.success)


@pytest.mark.slow
def test_edit_form_saves_fields_and_parameters(demo: Path, open_page) -> None:
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    key = "ucedit:brute-force-login"
    at.text_input(key=f"{key}:title").input("Password guessing on the portal")
    at.text_input(key=f"{key}:param:max_failures").input("12")
    at.text_input(key=f"{key}:reason").input("agreed with owners")
    at.button(key=f"FormSubmitter:{key}-Save changes").click().run()
    assert not at.exception and not at.error
    with Store.open(demo) as s:
        uc = s.get_use_case("payroll-portal", "brute-force-login")
    assert uc.title == "Password guessing on the portal"
    assert uc.parameters["max_failures"].value == 12
    assert uc.parameters["max_failures"].source == "manual"


@pytest.mark.slow
def test_bad_parameter_value_shows_an_error_not_a_traceback(demo: Path, open_page) -> None:
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    key = "ucedit:brute-force-login"
    at.text_input(key=f"{key}:param:window").input("ten minutes")
    at.button(key=f"FormSubmitter:{key}-Save changes").click().run()
    assert not at.exception
    assert any("not a duration" in e.value for e in at.error)


@pytest.mark.slow
def test_document_preview_escapes_answers(demo: Path, open_page) -> None:
    with Store.open(demo) as s:
        s.edit_use_case(
            "payroll-portal", "brute-force-login", "false_positives", ["<b>bold</b> [x](javascript:1)"]
        )
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    md = " ".join(m.value for m in at.markdown)
    assert "&lt;b&gt;bold&lt;/b&gt;" in md and "\\[x\\]" in md


@pytest.mark.slow
def test_generate_button_on_a_new_application(demo: Path, open_page) -> None:
    with Store.open(demo) as s:
        s.create_application(Application("claims", "Claims"))
        interview = s.create_interview("claims", "in-house-application", "1.0")
        s.save_answer(interview.id, "auth.methods", ["local"])
    at = open_page(USECASES, "claims")
    at.button[0].click().run()  # "Generate use cases"
    assert not at.exception
    assert any("Generated:" in m.value for m in at.success)
    with Store.open(demo) as s:
        assert any(u.template_id == "brute-force-login" for u in s.list_use_cases("claims"))


def test_attack_page_search_detail_and_mapping(demo: Path, open_page) -> None:
    at = open_page(ATTACK)
    assert at.title[0].value == "ATT&CK"
    at.text_input(key="attack_q").input("password spraying").run()
    assert at.radio(key="attack_pick:password spraying").value == "T1110.003"
    assert at.subheader[0].value == "T1110.003 · Password Spraying"
    at.selectbox(key="map_target:T1110.003").set_value("brute-force-login")
    at.text_input(key="map_reason:T1110.003").input("spraying hits the same login")
    at.button(key="FormSubmitter:map:T1110.003-Map").click().run()
    assert not at.exception
    with Store.open(demo) as s:
        uc = s.get_use_case("payroll-portal", "brute-force-login")
    assert AttackRef("T1110.003", "spraying hits the same login") in uc.attack


def test_attack_page_matrix_and_layer_download(demo: Path, open_page) -> None:
    at = open_page(ATTACK)
    html = " ".join(h.value for h in at.get("html"))
    assert "T1110.001" in html and "Credential Access" in html
    button = at.download_button(key="dl_layer")
    assert button.label == "Download the Navigator layer"


@pytest.mark.slow
def test_attack_page_with_a_bundle_setting(demo: Path, shared_dir: Path, open_page) -> None:
    from workshop.services import settings

    settings.save(demo, {"attack_bundle": str(shared_dir / "attack" / "enterprise-attack-18.1.json")})
    at = open_page(ATTACK)
    assert "enterprise-attack 18.1" in at.caption[0].value and "built-in" not in at.caption[0].value
    at.text_input(key="attack_q").input("T1110.003").run()
    expander_labels = [e.label for e in at.expander]
    assert any(label.startswith("DET") for label in expander_labels)  # detection strategies from the bundle


def test_attack_page_without_application(workspace: Path, open_page) -> None:
    at = open_page(ATTACK, slug=None)  # no application, no bundle: the built-in catalogue
    assert not at.error
    assert any("Choose an application" in i.value for i in at.info)  # suggestions need one
    at.text_input(key="attack_q").input("valid accounts").run()
    assert at.radio(key="attack_pick:valid accounts").value == "T1078"
    assert "built-in catalogue" in at.caption[0].value


@pytest.mark.slow
def test_rule_test_results_show_beside_each_use_case(demo: Path, open_page) -> None:
    from workshop.services.rules import run_tests

    with Store.open(demo) as s:
        run_tests(s, "payroll-portal")
    at = open_page(USECASES)
    table = at.dataframe[0].value
    brute = table.loc[table["Use case"] == "Brute force against the Payroll Portal login", "Rule test"].iloc[
        0
    ]
    assert brute.startswith("fires") and "/day on sample" in brute
