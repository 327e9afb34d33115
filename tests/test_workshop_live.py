"""Issue 13 logic without a browser: table rows as drafts, the autosave hand-off, presenter mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.questionnaire.grid import check_rows
from workshop.questionnaire.model import Column, Question


def contacts() -> Question:
    return Question(
        "response.contacts", "Who to call", "list", "",
        columns=(Column("role", "Role", "text", required=True), Column("name", "Name", "text")),
    )  # fmt: skip


def test_complete_rows_are_kept_and_incomplete_rows_are_drafts() -> None:
    rows = [
        {"role": "App owner", "name": "Ann"},
        {"role": None, "name": "Bob"},
        {"role": None, "name": None},
        {"role": "DBA", "name": ""},
    ]
    checked = check_rows(contacts(), rows)
    assert checked.value == [{"role": "App owner", "name": "Ann"}, {"role": "DBA", "name": None}]
    assert [(d.row, d.reason) for d in checked.drafts] == [(2, "Role is required")]


def test_only_drafts_store_nothing_and_blank_rows_are_ignored() -> None:
    assert check_rows(contacts(), [{"role": None, "name": "Bob"}]).value is None
    assert check_rows(contacts(), [{"role": None, "name": None}]).drafts == []


@pytest.fixture
def app_ws(workspace: Path) -> Path:
    from workshop.interview.model import Application
    from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE, load_questionnaires
    from workshop.store import Store

    with Store.open(workspace) as s:
        s.create_application(Application.from_dict({"slug": "claims", "name": "Claims", "owner": "x",
                                                    "criticality": "high"}))  # fmt: skip
        q = load_questionnaires(workspace).get(DEFAULT_QUESTIONNAIRE)
        s.create_interview("claims", q.id, q.version)
    return workspace


def _workshop(presenter: bool = False):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.query_params["app"] = "claims"
    if presenter:
        at.query_params["presenter"] = "1"
    at.run()
    at.switch_page("workshop/ui/pages/workshop.py").run()
    assert not at.exception
    return at


def test_a_half_filled_table_saves_its_complete_rows(app_ws: Path) -> None:
    from workshop.store import Store

    at = _workshop()
    at.button(key="nav_response").click().run()
    editor_key = "v:1:response.contacts"
    at.session_state[editor_key] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"role": "App owner", "name": "Ann"}, {"name": "Bob"}],
    }  # fmt: skip
    at.run()
    assert any("Row 2 is a draft" in w.value for w in at.warning)
    with Store.open(app_ws) as s:
        assert s.answers(1)["response.contacts"].value == [{"role": "App owner", "name": "Ann", "email": None,
                                                           "phone": None, "hours": None}]  # fmt: skip


def test_typed_text_from_the_autosave_component_is_saved(app_ws: Path) -> None:
    from workshop.store import Store
    from workshop.ui import autosave

    at = _workshop()
    at.session_state[autosave.KEY] = {"cls": autosave.css_class("v:1:purpose.summary"), "value": "Pays claims",
                                      "sid": "s1", "seq": 1}  # fmt: skip
    at.run()
    with Store.open(app_ws) as s:
        assert s.answers(1)["purpose.summary"].value == "Pays claims"
    assert at.session_state[autosave.DONE_KEY] == {"sid": "s1", "seq": 1}


def test_section_buttons_keep_the_section_when_counts_change(app_ws: Path) -> None:
    at = _workshop()
    at.button(key="nav_users").click().run()
    assert at.header[0].value.startswith("Users")
    at.number_input(key="v:1:users.total_count").set_value(430).run()
    at.segmented_control(key="v:1:users.shared_accounts").set_value(True).run()
    assert at.header[0].value.startswith("Users")
    assert at.query_params["section"] == ["users"] or at.query_params["section"] == "users"


def test_presenter_mode_offers_a_way_out(app_ws: Path) -> None:
    at = _workshop(presenter=True)
    at.button(key="leave_presenter").click().run()
    assert not at.session_state["presenter_mode"]
