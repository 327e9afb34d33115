"""Issue 13 logic without a browser: table rows as drafts, the autosave hand-off, presenter mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.questionnaire.grid import BLANK_ROWS, check_rows, with_blank_rows
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


def test_a_table_is_drawn_with_empty_rows_to_type_in_and_those_are_never_saved() -> None:
    blank = {"role": None, "name": None}
    rows = with_blank_rows(contacts(), [{"role": "App owner", "name": "Ann"}, blank, {"role": "", "name": ""}])
    assert rows == [{"role": "App owner", "name": "Ann"}] + [blank] * BLANK_ROWS  # old blanks are not piled up
    assert with_blank_rows(contacts(), []) == [blank] * BLANK_ROWS
    assert check_rows(contacts(), rows).value == [{"role": "App owner", "name": "Ann"}]


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

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
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
        "edited_rows": {0: {"role": "App owner", "name": "Ann"}, 1: {"name": "Bob"}}, "deleted_rows": [],
        "added_rows": [],
    }  # the first two of the empty rows the table is drawn with  # fmt: skip
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


# --- "What we heard" -------------------------------------------------------------------


@pytest.fixture
def demo_ws(workspace: Path) -> Path:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.demo import create_demo
    from workshop.store import Store

    with Store.open(workspace) as s:
        create_demo(s, load_questionnaires(workspace))
    return workspace


def _demo_summary(ws: Path):
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.summary import interview_summary
    from workshop.store import Store

    with Store.open(ws) as s:
        interview = s.latest_interview("payroll-portal")
        q = load_questionnaires(ws).get(interview.questionnaire_id)
        return interview_summary(s, q, interview), s.answers(interview.id), q


def test_summary_has_every_answer_in_full(demo_ws: Path) -> None:
    import html as htmlmod

    from workshop.interview.summary import to_html, to_markdown
    from workshop.questionnaire import format_value

    summary, answers, q = _demo_summary(demo_ws)
    md, page = to_markdown(summary), to_html(summary)
    shown = {i.question_id for sec in summary.sections for i in sec.items}
    checked = 0
    for qid in shown:
        a = answers.get(qid)
        if a is None or a.unknown or a.value in (None, "", []):
            continue
        question = q.question(qid)
        if question.type == "list":
            for row in a.value:
                for col in question.columns:
                    v = row.get(col.id)
                    if col.type == "choice" and v:
                        v = next(o.label for o in col.options if o.value == v)  # labels, not raw values
                    if isinstance(v, str) and v:
                        assert htmlmod.escape(v) in page, (qid, v)
        else:
            text = format_value(question, a.value)
            assert htmlmod.escape(text) in page, qid
        assert htmlmod.escape(question.prompt) in page
        checked += 1
    assert checked > 40
    assert "## Sign-off" in md and "<h2>Sign-off</h2>" in page
    assert "@page { size: A4" in page and "<script" not in page


def test_summary_lists_unknowns_and_follow_ups_with_owners(demo_ws: Path) -> None:
    from workshop.interview.model import Answer
    from workshop.interview.summary import build_summary, open_items, to_markdown
    from workshop.services.catalogues import load_questionnaires
    from workshop.store import Store

    with Store.open(demo_ws) as s:
        interview = s.latest_interview("payroll-portal")
        app = s.get_application("payroll-portal")
        answers = dict(s.answers(interview.id))
    q = load_questionnaires(demo_ws).get(interview.questionnaire_id)
    answers["purpose.summary"] = Answer("purpose.summary", unknown=True, follow_up=True,
                                        follow_up_owner="Priya (HR)", follow_up_note="ask | the *board*")  # fmt: skip
    summary = build_summary(q, answers, app, interview)
    rows = open_items(summary)
    assert ["Follow-up", "Purpose and business context", q.question("purpose.summary").prompt, "Priya (HR)",
            "ask | the *board*", "unknown"] in rows  # fmt: skip
    md = to_markdown(summary)
    assert "Priya (HR)" in md and "ask \\| the \\*board\\*" in md


def test_cli_summary_writes_markdown_and_html(demo_ws: Path, tmp_path: Path) -> None:
    from workshop.cli import main as cli_main

    out = tmp_path / "s.html"
    assert cli_main(["interview", "summary", "payroll-portal", "--format", "html", "--out", str(out)]) == 0
    assert out.read_text().startswith("<!doctype html>")
    out_md = tmp_path / "s.md"
    assert cli_main(["interview", "summary", "payroll-portal", "--out", str(out_md)]) == 0
    assert out_md.read_text().startswith("# What we heard: Payroll Portal")
    out_pdf = tmp_path / "s.pdf"
    assert cli_main(["interview", "summary", "payroll-portal", "--format", "pdf", "--out", str(out_pdf)]) == 0
    assert out_pdf.read_bytes().startswith(b"%PDF-")


def _pdf_text(data: bytes) -> str:
    """The text an uncompressed fpdf2 PDF draws: its ``(...) Tj`` strings (core font) or the
    hex glyph strings (embedded font, mapped back through the ToUnicode CMap)."""
    import re

    text = data.decode("latin-1")
    plain = [m.replace("\\(", "(").replace("\\)", ")") for m in re.findall(r"\((.*?)(?<!\\)\) ?Tj", text)]
    return " ".join(plain)


def test_the_pdf_summary_carries_every_section_answer_and_the_sign_off(demo_ws: Path) -> None:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.summary import interview_summary
    from workshop.services.summary_pdf import to_pdf
    from workshop.store import Store

    with Store.open(demo_ws) as s:
        interview = s.latest_interview("payroll-portal")
        q = load_questionnaires(demo_ws).get(interview.questionnaire_id)
        summary = interview_summary(s, q, interview)
    data = to_pdf(summary, compress=False, font_dir=None)  # core font: the text is readable in the bytes
    assert data.startswith(b"%PDF-") and b"/MediaBox [0 0 595.28 841.89]" in data  # A4
    text = _pdf_text(data)
    assert "What we heard: Payroll Portal" in text
    for section in summary.sections:
        assert section.title in text, section.title
    answered = [i for sec in summary.sections for i in sec.items if i.text and i.text.isascii() and len(i.text) < 60]
    assert answered and all(i.text in text for i in answered[:10])
    assert "Sign-off" in text and "Signature" in text
    assert to_pdf(summary).startswith(b"%PDF-")  # with DejaVu when installed, compressed


def test_the_pdf_keeps_text_outside_latin1_readable_without_the_unicode_font() -> None:
    from workshop.services.summary_pdf import _latin1

    assert _latin1("Zoë – “Ops” Łódź 東") == 'Zoë - "Ops" Lódz ?'


def test_review_page_shows_the_summary_and_downloads(demo_ws: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params["app"] = "payroll-portal"
    at.run()
    at.switch_page("workshop/ui/pages/review.py").run()
    assert not at.exception
    assert any("Payroll Portal" in m.value or "payroll" in m.value.lower() for m in at.markdown)


# --- smaller items -----------------------------------------------------------------------


def test_every_example_of_a_checked_question_is_accepted() -> None:
    from workshop.questionnaire import coerce
    from workshop.services.catalogues import load_questionnaires

    for q in load_questionnaires(Path("/nonexistent")).questionnaires.values():
        for question in q.questions:
            if question.example and question.format and question.type in ("text", "tags"):
                coerce(question, question.example)  # raises when the example is refused


def test_networks_accept_a_label_and_rules_read_the_range() -> None:
    from workshop.questionnaire import coerce
    from workshop.questionnaire.model import Question
    from workshop.questionnaire.values import network_of

    q = Question("access.networks", "Networks", "tags", "", format="cidr")
    assert coerce(q, ["10.20.0.1/16   office  west", "10.40.0.0/16"]) == ["10.20.0.0/16 office west", "10.40.0.0/16"]
    assert network_of("10.20.0.0/16 office west") == "10.20.0.0/16"
    with pytest.raises(Exception, match="optionally with a label"):
        coerce(q, ["office 10.20.0.0/16"])


def test_network_error_clears_when_the_bad_value_is_removed(app_ws: Path) -> None:
    at = _workshop()
    at.button(key="nav_access").click().run()
    box = at.multiselect(key="v:1:access.networks")
    box.set_value(["10.20.0.0/16 office", "nonsense"]).run()
    assert any("not a network" in e.value for e in at.error)
    at.multiselect(key="v:1:access.networks").set_value(["10.20.0.0/16 office"]).run()
    assert not any("not a network" in e.value for e in at.error)


def test_criticality_is_prefilled_from_the_profile(app_ws: Path) -> None:
    from workshop.store import Store

    _workshop()
    with Store.open(app_ws) as s:
        assert s.answers(1)["purpose.criticality"].value == "high"


def test_a_new_interview_needs_confirmation_and_says_which_is_open(app_ws: Path) -> None:
    from workshop.store import Store

    at = _workshop()
    assert any("Interview 1 of" in c.value for c in at.caption)
    assert at.button(key="rereview").disabled
    at.checkbox(key="confirm_new_interview").check().run()
    at.button(key="rereview").click().run()
    with Store.open(app_ws) as s:
        assert s.latest_interview("claims").id == 2
    assert any("Interview 2 of" in c.value and "re-review of interview 1" in c.value for c in at.caption)


# --- send ahead and import back ----------------------------------------------------------


def test_a_filled_form_previews_its_changes_then_applies_them(app_ws: Path) -> None:
    import yaml

    from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE, load_questionnaires
    from workshop.services.sendahead import apply_form, blank, preview_form
    from workshop.store import Store

    cat = load_questionnaires(app_ws)
    q = cat.get(DEFAULT_QUESTIONNAIRE)
    form = yaml.safe_load(blank(q, "yaml"))
    form["answers"]["purpose.summary"]["value"] = "Pays claims"
    form["answers"]["users.total_count"]["value"] = 430
    form["answers"]["users.shared_accounts"] = {"unknown": True, "follow_up": {"owner": "Ann", "note": "ask IT"}}
    text = yaml.safe_dump(form)
    with Store.open(app_ws) as s:
        changes = preview_form(s, cat, q, 1, text, "filled.yaml")
        assert [(c.question_id, c.before, c.after) for c in changes] == [
            ("purpose.summary", "", "Pays claims"),
            ("users.total_count", "", "430 named users"),
            ("users.shared_accounts", "", "unknown [follow-up: Ann - ask IT]"),
        ]
        assert s.answers(1) == {}  # nothing written by the preview
        assert apply_form(s, q, 1, changes, who="form") == 3
        answers = s.answers(1)
        assert answers["users.total_count"].value == 430
        assert answers["users.shared_accounts"].follow_up_owner == "Ann"
        assert preview_form(s, cat, q, 1, text, "filled.yaml") == []


def test_the_workshop_page_offers_the_blank_forms(app_ws: Path) -> None:
    at = _workshop()
    assert not at.exception
    labels = [e.proto.label for e in at.get("download_button")]
    assert {"Blank form (MD)", "Blank form (HTML)", "Blank form (YAML)"} <= set(labels)
