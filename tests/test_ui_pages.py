"""AppTests of the Applications, Workshop and Review pages.

Each test drives the real app script through ``streamlit.testing.v1.AppTest`` against a
throw-away workspace, and checks the store (the source of truth) as well as the page.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workshop.core.errors import InputError
from workshop.interview.model import Application
from workshop.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
WORKSHOP = "workshop/ui/pages/workshop.py"
REVIEW = "workshop/ui/pages/review.py"


def app_test(slug: str | None = None, presenter: bool = False) -> AppTest:
    # The timeout stops a hanging run; it is no speed claim (as in tests/support/apptest.py: a
    # worker's first run imports the whole app, slowly on a loaded 2-core CI machine).
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if slug:
        at.query_params["app"] = slug
    if presenter:
        at.query_params["presenter"] = "1"
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def ws(workspace: Path) -> Path:
    """A workspace with the all-types questionnaire and an application interviewed with it."""
    (workspace / "questionnaires").mkdir(parents=True)
    shutil.copy(DATA / "all-types.yaml", workspace / "questionnaires" / "all-types.yaml")
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims Portal", criticality="high"))
        s.create_interview("claims", "all-types", "1", facilitator="Fay")
    return workspace


def answers(ws: Path) -> dict:
    with Store.open(ws) as s:
        interview = s.latest_interview("claims")
        return {k: a for k, a in s.answers(interview.id).items()}


def open_workshop(slug: str = "claims", presenter: bool = False) -> AppTest:
    at = app_test(slug, presenter)
    at.run()
    at.switch_page(WORKSHOP).run()
    no_errors(at)
    return at


def goto_section(at: AppTest, section_id: str) -> None:
    at.button(key=f"nav_{section_id.replace('.', '_')}").click().run()
    no_errors(at)


# --- Applications -----------------------------------------------------------------------


def test_empty_workspace_offers_demo_and_new_application(workspace: Path) -> None:
    at = app_test()
    at.run()
    no_errors(at)
    labels = [b.label for b in at.button]
    assert "Load the demo application" in labels
    assert "New application" in labels


def test_new_application_is_created_and_selected(workspace: Path) -> None:
    at = app_test()
    at.run()
    next(b for b in at.button if b.label == "New application").click().run()
    at.text_input(key="new_app:name").input("Claims Portal")
    at.text_input(key="new_app:owner").input("Head of Claims")
    at.selectbox(key="new_app:crit").set_value("critical")
    at.button(key="FormSubmitter:new_app-Create application").click().run()
    no_errors(at)
    with Store.open(workspace) as s:
        app = s.get_application("claims-portal")
    assert app.owner == "Head of Claims"
    assert app.criticality == "critical"
    assert at.session_state["selected_app"] == "claims-portal"


def test_demo_button_loads_demo(workspace: Path) -> None:
    if not (ROOT / "workshop" / "services" / "demo" / "payroll-portal.yaml").exists():
        pytest.skip("demo interview file not present")
    at = app_test()
    at.run()
    next(b for b in at.button if b.label == "Load the demo application").click().run()
    no_errors(at)
    with Store.open(workspace) as s:
        interview = s.latest_interview("payroll-portal")
        assert interview is not None
        assert len(s.answers(interview.id)) > 40
    assert "Payroll Portal" in [r["Application"] for r in at.dataframe[0].value.to_dict("records")]


def test_edit_profile(ws: Path) -> None:
    at = app_test("claims")
    at.run()
    at.text_input(key="edit_claims:owner").input("New Owner")
    at.button(key="FormSubmitter:edit_claims-Save").click().run()
    no_errors(at)
    with Store.open(ws) as s:
        assert s.get_application("claims").owner == "New Owner"


# --- Workshop -----------------------------------------------------------------------------


def test_answer_every_type_and_find_them_after_reopening(ws: Path) -> None:
    at = open_workshop()
    assert at.header[0].value == "Basics"
    at.text_input(key="v:1:basics.name").input("Claims <b>Portal</b>").run()
    at.text_area(key="v:1:basics.summary").input("Line one\nLine two").run()
    at.number_input(key="v:1:basics.users").set_value(250).run()
    at.number_input(key="v:1:basics.ratio").set_value(0.25).run()
    at.segmented_control(key="v:1:basics.internet").set_value(True).run()
    no_errors(at)

    goto_section(at, "choices")
    at.pills(key="v:1:choices.hosting").set_value("cloud").run()
    at.pills(key="v:1:choices.auth").set_value(["sso", "local"]).run()
    at.pills(key="v:1:choices.risk").set_value(4).run()

    goto_section(at, "structured")
    at.pills(key="days:1:structured.hours").set_value(["mon", "tue", "wed", "thu", "fri"]).run()
    at.time_input(key="start:1:structured.hours").set_value(dt.time(8, 0)).run()
    at.time_input(key="end:1:structured.hours").set_value(dt.time(18, 0)).run()
    at.selectbox(key="tz:1:structured.hours").set_value("Europe/London").run()
    at.multiselect(key="v:1:structured.countries").set_value(["gb", "IE"]).run()
    at.date_input(key="v:1:structured.golive").set_value(dt.date(2021, 4, 1)).run()
    no_errors(at)

    saved = answers(ws)
    assert saved["basics.name"].value == "Claims <b>Portal</b>"
    assert saved["basics.summary"].value == "Line one\nLine two"
    assert saved["basics.users"].value == 250
    assert saved["basics.ratio"].value == 0.25
    assert saved["basics.internet"].value is True
    assert saved["choices.hosting"].value == "cloud"
    assert saved["choices.auth"].value == ["sso", "local"]
    assert saved["choices.risk"].value == 4
    assert saved["structured.hours"].value == {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "08:00",
        "end": "18:00",
        "timezone": "Europe/London",
    }
    assert saved["structured.countries"].value == ["GB", "IE"]
    assert saved["structured.golive"].value == "2021-04-01"
    assert any("All changes saved" in m.value for m in at.markdown)

    # A new session (a reload, or a restarted server) resumes in the section where the
    # last one stopped, and shows every saved value.
    again = open_workshop()
    assert again.header[0].value == "Structured"
    assert again.pills(key="days:1:structured.hours").value == ["mon", "tue", "wed", "thu", "fri"]
    assert again.time_input(key="start:1:structured.hours").value == dt.time(8, 0)
    assert again.selectbox(key="tz:1:structured.hours").value == "Europe/London"
    assert again.multiselect(key="v:1:structured.countries").value == ["GB", "IE"]
    assert again.date_input(key="v:1:structured.golive").value == dt.date(2021, 4, 1)
    goto_section(again, "basics")
    assert again.text_input(key="v:1:basics.name").value == "Claims <b>Portal</b>"
    assert again.text_area(key="v:1:basics.summary").value == "Line one\nLine two"
    assert again.number_input(key="v:1:basics.users").value == 250
    assert again.segmented_control(key="v:1:basics.internet").value is True
    goto_section(again, "choices")
    assert again.pills(key="v:1:choices.auth").value == ["sso", "local"]
    assert again.pills(key="v:1:choices.risk").value == 4


def test_list_question_saves_rows(ws: Path) -> None:
    with Store.open(ws) as s:
        s.set_current_section(1, "structured")
    at = open_workshop()
    assert at.data_editor(key="v:1:structured.roles").editing_mode == "dynamic"
    # AppTest applies data_editor edits through the editor's edit state.
    at.session_state["v:1:structured.roles"] = {
        "edited_rows": {},
        "added_rows": [
            {"name": "Clerk", "count": 12, "privileged": False},
            {"name": "Admin", "count": 2, "privileged": True},
        ],
        "deleted_rows": [],
    }
    at.run()
    no_errors(at)
    rows = answers(ws)["structured.roles"].value
    assert rows == [
        {"name": "Clerk", "count": 12, "privileged": False},
        {"name": "Admin", "count": 2, "privileged": True},
    ]


def _has_editor(at: AppTest, qid: str) -> bool:
    return any(e.key == f"v:1:{qid}" for e in at.data_editor)


def test_a_filled_table_opens_to_read_and_its_editor_opens_on_a_click(ws: Path) -> None:
    """A table with rows shows them to read (in full, with labels, escaped) and an Edit button:
    its editor, the heaviest element a section switch draws, is drawn when asked for. An empty
    table opens as its editor, which stays one after its first row is saved (it must not fold
    under the hands of someone typing); the next visit of the section shows the rows to read."""
    with Store.open(ws) as s:
        s.set_current_section(1, "structured")
    at = open_workshop()
    assert _has_editor(at, "structured.roles") and _read_table(at, "structured.roles") is None
    at.session_state["v:1:structured.roles"] = {
        "edited_rows": {}, "added_rows": [{"name": "<b>Clerk</b>", "count": 12, "privileged": True}],
        "deleted_rows": [],
    }  # fmt: skip
    at.run()
    no_errors(at)
    assert answers(ws)["structured.roles"].value == [{"name": "<b>Clerk</b>", "count": 12, "privileged": True}]
    assert _has_editor(at, "structured.roles") and _read_table(at, "structured.roles") is None
    goto_section(at, "basics")
    goto_section(at, "structured")
    assert not _has_editor(at, "structured.roles")
    assert _read_table(at, "structured.roles") == [["<b>Clerk</b>", "12", "yes"]]
    body = next(h.proto.body for h in at.get("html") if 'data-question="structured.roles"' in h.proto.body)
    assert "&lt;b&gt;Clerk&lt;/b&gt;" in body and "<b>" not in body  # what was typed is text, not markup
    assert "<th>Role</th><th>People</th><th>Privileged</th>" in body
    at.button(key="edit_table:1:structured.roles").click().run()
    no_errors(at)
    assert _has_editor(at, "structured.roles") and _read_table(at, "structured.roles") is None
    at.session_state["v:1:structured.roles"] = {
        "edited_rows": {0: {"count": 14}}, "added_rows": [], "deleted_rows": [],
    }  # fmt: skip
    at.run()
    no_errors(at)
    assert answers(ws)["structured.roles"].value == [{"name": "<b>Clerk</b>", "count": 14, "privileged": True}]


def test_empty_table_cells_show_nothing_not_none(ws: Path) -> None:
    """A cell left empty (a row without a count) is shown empty in the table, not as "None"
    (Streamlit's table draws a missing value as the text "None" unless told otherwise)."""
    from workshop.questionnaire import load_questionnaire
    from workshop.services.interview import answer_question

    with Store.open(ws) as s:
        s.set_current_section(1, "structured")
        q = load_questionnaire(DATA / "all-types.yaml")
        answer_question(s, q, 1, "structured.roles", [{"name": "Clerk", "count": None, "privileged": None}])
    at = open_workshop()
    no_errors(at)
    cells = _read_table(at, "structured.roles")
    assert cells == [["Clerk", "", ""]], cells  # the table to read: empty cells empty, too
    at.button(key="edit_table:1:structured.roles").click().run()
    editor = at.data_editor(key="v:1:structured.roles")
    assert editor.proto.HasField("placeholder") and editor.proto.placeholder == "", editor.proto.placeholder
    assert answers(ws)["structured.roles"].value[0]["count"] is None  # drawn, nothing changed


def _read_table(at: AppTest, qid: str) -> list[list[str]] | None:
    """The cells of the table to read drawn for a question (None when it is drawn as its editor)."""
    import re
    from html import unescape

    for h in at.get("html"):
        body = h.proto.body
        if f'data-question="{qid}"' in body:
            rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1])
            return [[unescape(c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]
    return None


def test_review_tables_show_empty_values_as_empty(ws: Path) -> None:
    """The answer history on the Review page: a save without a value shows an empty cell, also for
    a question the questionnaire no longer has, and the tables draw missing values as nothing."""
    from workshop.questionnaire import load_questionnaire
    from workshop.services.interview import answer_question
    from workshop.ui.pages.review import _history_value

    q = load_questionnaire(DATA / "all-types.yaml")
    assert _history_value(q, "gone.question", {"value": None}) == ""
    assert _history_value(q, "gone.question", {"value": 3}) == "3"
    with Store.open(ws) as s:
        answer_question(s, q, 1, "basics.name", "Claims")
        answer_question(s, q, 1, "basics.name", None)
    at = app_test("claims")
    at.run()
    at.switch_page(REVIEW).run()
    no_errors(at)
    assert at.dataframe, "the answer history is shown"
    for frame in at.dataframe:
        assert frame.proto.HasField("placeholder") and frame.proto.placeholder == ""
        assert "None" not in frame.value.astype(str).to_numpy().ravel().tolist()


def test_conditional_question_appears_and_hidden_answer_is_kept(ws: Path) -> None:
    at = open_workshop()
    prompts = [h.value for h in at.html if "uw-prompt" in h.value]
    assert not any("How is it exposed" in p for p in prompts)
    at.segmented_control(key="v:1:basics.internet").set_value(True).run()
    prompts = [h.value for h in at.html if "uw-prompt" in h.value]
    assert any("How is it exposed" in p for p in prompts)
    at.text_input(key="v:1:basics.exposure_note").input("Behind a WAF").run()
    at.segmented_control(key="v:1:basics.internet").set_value(False).run()
    prompts = [h.value for h in at.html if "uw-prompt" in h.value]
    assert not any("How is it exposed" in p for p in prompts)
    assert answers(ws)["basics.exposure_note"].value == "Behind a WAF"  # kept, not deleted


def test_section_progress_and_next_button(ws: Path) -> None:
    at = open_workshop()
    at.text_input(key="v:1:basics.name").input("Claims").run()
    assert any(b.label.startswith("Basics  (1/5)") for b in at.button)
    at.button(key="next_section").click().run()
    assert at.header[0].value == "Choices"
    with Store.open(ws) as s:
        assert s.get_interview(1).current_section == "choices"


def test_invalid_value_is_refused_with_a_message(ws: Path) -> None:
    with Store.open(ws) as s:
        s.set_current_section(1, "structured")
    at = open_workshop()
    at.multiselect(key="v:1:structured.countries").set_value(["Narnia"]).run()
    assert any("two-letter country code" in e.value for e in at.error)
    assert "structured.countries" not in answers(ws)


def _flag_keys(at: AppTest) -> set[str]:
    return {w.key for w in [*at.checkbox, *at.text_input] if w.key and w.key.split(":", 1)[0] in FLAG_PARTS}


FLAG_PARTS = ("unk", "fu", "fuo", "fun")


def test_unknown_and_follow_up_flags_are_saved(ws: Path) -> None:
    at = open_workshop()
    at.session_state["flags:1:basics.users"] = True  # the facilitator opens the question's popover
    at.run()
    at.checkbox(key="unk:1:basics.users").check().run()
    at.checkbox(key="fu:1:basics.users").check().run()
    at.text_input(key="fuo:1:basics.users").input("Priya (HR)").run()
    at.text_input(key="fun:1:basics.users").input("Count from the licence report").run()
    no_errors(at)
    a = answers(ws)["basics.users"]
    assert a.unknown and a.follow_up
    assert a.follow_up_owner == "Priya (HR)"
    assert a.follow_up_note == "Count from the licence report"


def test_a_flags_popover_draws_its_fields_only_while_open_and_stays_open_as_its_flags_change(ws: Path) -> None:
    """Closed, a popover's fields are not sent at all (they were, for every question on every
    section switch). Its label shows the flags, so ticking one makes it a new widget: it must
    stay open for the person still typing the follow-up owner."""
    at = open_workshop()
    no_errors(at)
    assert _flag_keys(at) == set()
    at.session_state["flags:1:basics.users"] = True
    at.run()
    assert _flag_keys(at) == {"unk:1:basics.users", "fu:1:basics.users"}
    at.checkbox(key="fu:1:basics.users").check().run()
    assert _flag_keys(at) == {f"{p}:1:basics.users" for p in FLAG_PARTS}
    at.text_input(key="fuo:1:basics.users").input("Priya (HR)").run()
    assert _flag_keys(at) == {f"{p}:1:basics.users" for p in FLAG_PARTS}
    assert answers(ws)["basics.users"].follow_up_owner == "Priya (HR)"
    at.session_state["flags:1:basics.users"] = False  # closed: a click outside it
    at.run()
    no_errors(at)
    assert _flag_keys(at) == set()
    # closed, the flags come from the store: the label still says who follows up
    assert "Follow up: Priya (HR)" in [b.proto.popover.label for b in at.get("popover")]


def test_presenter_mode_hides_facilitator_notes(ws: Path) -> None:
    at = open_workshop()
    assert any("Why we ask" in h.value for h in at.html)
    presenting = open_workshop(presenter=True)
    shown = [h.value for h in presenting.html] + [m.value for m in presenting.markdown]
    assert not any("Why we ask" in text for text in shown)
    assert not any("Probe" in text for text in shown)
    assert any("How many users?" in text for text in shown)


def test_stale_edit_is_detected_not_overwritten(ws: Path) -> None:
    first = open_workshop()
    second = open_workshop()
    first.text_input(key="v:1:basics.name").input("From the first screen").run()
    second.text_input(key="v:1:basics.name").input("From the second screen").run()
    assert any("since you opened it" in e.value for e in second.error)
    assert answers(ws)["basics.name"].value == "From the first screen"
    second.button(key="reload:1:basics.name").click().run()
    assert second.text_input(key="v:1:basics.name").value == "From the first screen"


def test_broken_questionnaire_shows_file_and_line(ws: Path) -> None:
    (ws / "questionnaires" / "broken.yaml").write_text(
        "id: broken\ntitle: B\nversion: '1'\nsections:\n  - id: s\n    title: S\n    questions:\n"
        "      - id: s.q\n        prompt: Q\n        type: txt\n"
    )
    with Store.open(ws) as s:
        s.create_application(Application("other", "Other"))
    at = open_workshop("other")
    text = " ".join(c.value for c in at.code)
    assert "broken.yaml:10" in text and "unknown type 'txt'" in text


def test_interview_with_missing_questionnaire_shows_message(ws: Path) -> None:
    with Store.open(ws) as s:
        s.create_application(Application("ghost", "Ghost"))
        s.create_interview("ghost", "no-such-questionnaire", "1")
    at = app_test("ghost")
    at.run()
    at.switch_page(WORKSHOP).run()
    assert not at.exception
    assert any("could not be loaded" in e.value for e in at.error)


def test_workshop_without_application_points_to_applications(workspace: Path) -> None:
    at = app_test()
    at.run()
    at.switch_page(WORKSHOP).run()
    no_errors(at)
    assert any("Choose or create an application" in i.value for i in at.info)


def test_start_form_creates_interview(workspace: Path) -> None:
    (workspace / "questionnaires").mkdir(parents=True)
    shutil.copy(DATA / "all-types.yaml", workspace / "questionnaires" / "all-types.yaml")
    with Store.open(workspace) as s:
        s.create_application(Application("fresh", "Fresh"))
    at = app_test("fresh")
    at.run()
    at.switch_page(WORKSHOP).run()
    at.selectbox(key="start:questionnaire").set_value("all-types")
    at.text_input(key="start:participants").input("Ann (owner), Bob (admin)")
    at.button(key="FormSubmitter:start_interview-Start").click().run()
    no_errors(at)
    with Store.open(workspace) as s:
        interview = s.latest_interview("fresh")
    assert interview.questionnaire_id == "all-types"
    assert interview.participants == ("Ann (owner)", "Bob (admin)")


# --- Review -------------------------------------------------------------------------------


def test_review_lists_answers_open_questions_and_follow_ups(ws: Path) -> None:
    from workshop.questionnaire import load_questionnaire
    from workshop.services.interview import answer_question

    q = load_questionnaire(DATA / "all-types.yaml")
    with Store.open(ws) as s:
        answer_question(s, q, 1, "basics.name", "Claims")
        answer_question(s, q, 1, "basics.users", None, unknown=True, follow_up=True,
                        follow_up_owner="=HYPERLINK(evil)", follow_up_note="ask HR")  # fmt: skip
    at = app_test("claims")
    at.run()
    at.switch_page(REVIEW).run()
    no_errors(at)
    assert at.metric[0].value == "2 / 12"  # two conditional questions are hidden
    assert at.metric[1].value == "1"  # basics.internet is required and open
    assert any("Is it reachable from the internet?" in m.value for m in at.markdown)
    follow = [t for t in at.table if "Who follows up" in t.value.columns]  # a table: full text, no truncation
    assert follow and follow[0].value.iloc[0]["Who follows up"] == "=HYPERLINK(evil)"
    csv_button = at.download_button(key="dl_followups_csv")
    assert csv_button.label == "Download as CSV"


def test_review_shows_changes_since_previous_interview(ws: Path) -> None:
    from workshop.questionnaire import load_questionnaire
    from workshop.services.interview import answer_question

    q = load_questionnaire(DATA / "all-types.yaml")
    with Store.open(ws) as s:
        answer_question(s, q, 1, "basics.users", 100)
        second = s.create_interview("claims", "all-types", "1")
        answer_question(s, q, second.id, "basics.users", 400)
    at = app_test("claims")
    at.run()
    at.switch_page(REVIEW).run()
    no_errors(at)
    changes = [d for d in at.dataframe if "before" in d.value.columns]
    assert changes
    row = changes[0].value.iloc[0]
    assert (row["question_id"], row["before"], row["after"]) == ("basics.users", "100 people", "400 people")


def test_signed_in_identity_is_written_into_the_answer_history(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workshop.ui import state

    monkeypatch.setattr(state, "current_user", lambda: "ann.facilitator@example.org")
    at = open_workshop()
    at.text_input(key="v:1:basics.name").input("Claims").run()
    with Store.open(ws) as s:
        history = s.history(1, "basics.name")
    assert [h.who for h in history] == ["ann.facilitator@example.org"]


def test_duplicate_application_names_are_refused_and_labels_stay_unique(ws: Path) -> None:
    at = app_test("claims")
    at.run()
    at.text_input(key="new_app:name").input("claims portal")
    at.button(key="FormSubmitter:new_app-Create application").click().run()
    assert any("exists already" in e.value for e in at.error)
    with Store.open(ws) as s:
        assert [a.slug for a in s.list_applications()] == ["claims"]
        with pytest.raises(InputError, match="exists already"):  # refused for every caller (issue 14)
            s.create_application(Application("claims-2", "Claims Portal"))
        # a workspace from before that rule may still hold two of a name: labels must stay unique
        from sqlalchemy import insert

        from workshop.interview.model import utcnow
        from workshop.store.schema import applications

        with s.engine.begin() as conn:
            conn.execute(insert(applications).values(slug="claims-2", name="Claims Portal", owner="", criticality="medium",
                                                     description="", platforms=[], created_at=utcnow(), updated_at=utcnow()))  # fmt: skip
    at.run()
    sidebar = at.selectbox(key="sidebar_app")
    assert sidebar.value == "claims"  # not switched to the other application of the same name
    assert at.title[0].value == "Applications"
