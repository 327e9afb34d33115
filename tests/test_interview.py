"""Running an interview: checked answers, progress, open questions, follow-ups, changes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.core.errors import AnswerError, InputError, StaleEditError
from workshop.core.render import markdown_to_html
from workshop.interview.model import Answer, Application
from workshop.interview.progress import (
    diff_answers,
    follow_ups,
    follow_ups_csv,
    follow_ups_markdown,
    open_required,
    progress,
)
from workshop.questionnaire import Questionnaire, load_questionnaire
from workshop.services.interview import answer_question, previous_interview
from workshop.store import UNSET, Store

MINI = Path(__file__).resolve().parent / "data" / "mini-questionnaire.yaml"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(MINI)


@pytest.fixture
def store(workspace: Path) -> Iterator[Store]:
    s = Store.open()
    s.create_application(Application("pay", "Payroll Portal"))
    yield s
    s.close()


@pytest.fixture
def iid(store: Store, q: Questionnaire) -> int:
    return store.create_interview("pay", q.id, q.version).id


# --- answer_question -------------------------------------------------------------------


def test_answer_question_coerces_before_saving(store: Store, q: Questionnaire, iid: int) -> None:
    a = answer_question(store, q, iid, "auth.methods", ["Local accounts", "sso", "sso"], who="fay")
    assert a.value == ["sso", "local"]
    assert store.get_answer(iid, "auth.methods").value == ["sso", "local"]
    hours = answer_question(store, q, iid, "access.hours", {"days": "mon tue", "start": 480, "end": "17:00"})
    assert hours.value == {"days": ["mon", "tue"], "start": "08:00", "end": "17:00", "timezone": "UTC"}


def test_answer_question_refuses_bad_values_and_writes_nothing(
    store: Store, q: Questionnaire, iid: int
) -> None:
    with pytest.raises(AnswerError, match=r"auth\.lockout: -3 is below the minimum of 0"):
        answer_question(store, q, iid, "auth.lockout", -3)
    with pytest.raises(AnswerError, match="'kerberos' is not one of the options"):
        answer_question(store, q, iid, "auth.mfa", "kerberos")
    with pytest.raises(InputError, match=r"'no\.such' is not a question of test-mini 1"):
        answer_question(store, q, iid, "no.such", "x")
    assert store.answers(iid) == {}
    assert store.history(iid) == []


def test_answer_question_flags_only_and_stale(store: Store, q: Questionnaire, iid: int) -> None:
    answer_question(store, q, iid, "misc.users", "1,500")
    flagged = answer_question(store, q, iid, "misc.users", UNSET, follow_up=True, follow_up_owner="Ann",
                              follow_up_note="check the HR export")  # fmt: skip
    assert (flagged.value, flagged.follow_up, flagged.revision) == (1500, True, 2)
    with pytest.raises(StaleEditError):
        answer_question(store, q, iid, "misc.users", 10, expected_revision=1)
    ok = answer_question(store, q, iid, "misc.users", 10, expected_revision=2)
    assert ok.revision == 3
    cleared = answer_question(store, q, iid, "misc.users", "")
    assert cleared.value is None


# --- progress and open required ----------------------------------------------------------


def A(value=None, **kw) -> Answer:
    return Answer("unused", value=value, **kw)


def _answers(**kw: Answer) -> dict[str, Answer]:
    return {k.replace("__", "."): v for k, v in kw.items()}


def test_progress_counts_shown_questions_only(q: Questionnaire) -> None:
    empty = progress(q, {})
    # auth.lockout (local not chosen) and access.admin_review (no privileged role) are hidden
    assert [(s.section_id, s.answered, s.shown) for s in empty.sections] == [
        ("auth", 0, 2),
        ("access", 0, 3),
        ("misc", 0, 6),
    ]
    assert (empty.answered, empty.shown, empty.ratio) == (0, 11, 0.0)

    answers = _answers(
        auth__methods=A(["local"]),
        auth__mfa=A(unknown=True),  # unknown counts as answered
        access__roles=A([{"name": "admin", "count": 1, "privileged": True}]),
        misc__internet=A(False),  # False is an answer
        misc__notes=A(""),  # empty is not
    )
    p = progress(q, answers)
    assert [(s.section_id, s.answered, s.shown) for s in p.sections] == [
        ("auth", 2, 3),  # lockout now shown, unanswered
        ("access", 1, 4),  # admin_review now shown
        ("misc", 1, 6),
    ]
    assert p.answered == 4 and p.shown == 13
    assert p.ratio == pytest.approx(4 / 13)
    assert not p.sections[0].complete


def test_section_complete(q: Questionnaire) -> None:
    answers = _answers(auth__methods=A(["sso"]), auth__mfa=A("all"))
    assert progress(q, answers).sections[0].complete is True


def test_hidden_answers_are_kept_but_not_counted(q: Questionnaire) -> None:
    answers = _answers(auth__methods=A(["sso"]), auth__lockout=A(5))
    p = progress(q, answers)
    assert (p.sections[0].answered, p.sections[0].shown) == (1, 2)


def test_open_required(q: Questionnaire) -> None:
    assert [x.id for x in open_required(q, {})] == ["auth.methods", "auth.mfa", "misc.internet"]
    answers = _answers(auth__methods=A(["sso"]), auth__mfa=A(unknown=True), misc__internet=A(False))
    assert open_required(q, answers) == []
    assert [x.id for x in open_required(q, _answers(auth__methods=A([])))] == [
        "auth.methods",
        "auth.mfa",
        "misc.internet",
    ]


def test_a_hidden_section_hides_its_required_questions(tmp_path: Path) -> None:
    f = tmp_path / "q.yaml"
    f.write_text(
        "id: t\ntitle: T\nversion: '1'\nsections:\n"
        "  - id: a\n    title: A\n    questions:\n      - {id: a.web, prompt: Web, type: boolean}\n"
        "  - id: b\n    title: B\n    when: a.web == true\n    questions:\n"
        "      - {id: b.waf, prompt: WAF, type: boolean, required: true}\n"
    )
    q = load_questionnaire(f)
    assert open_required(q, {}) == []
    assert [x.id for x in open_required(q, {"a.web": Answer("a.web", True)})] == ["b.waf"]
    assert progress(q, {}).sections[1].shown == 0
    assert progress(q, {}).sections[1].complete is False


# --- follow-ups -------------------------------------------------------------------------------


def test_follow_ups_in_questionnaire_order(q: Questionnaire) -> None:
    answers = _answers(
        misc__users=A(1500, follow_up=True, follow_up_owner="HR", follow_up_note="exact number"),
        auth__methods=A(["sso", "local"], follow_up=True, follow_up_owner="IT"),
        auth__mfa=A(unknown=True, follow_up=True),
        access__countries=A(["GB"], follow_up=False, follow_up_owner="closed one"),
        auth__lockout=A(5, follow_up=True, follow_up_note="hidden but still listed"),
    )
    items = follow_ups(q, answers)
    assert [f.question_id for f in items] == ["auth.methods", "auth.lockout", "auth.mfa", "misc.users"]
    first = items[0]
    assert (first.section, first.prompt, first.owner, first.answer) == (
        "Authentication", "How do users log in?", "IT", "Single sign-on, Local accounts",
    )  # fmt: skip
    assert items[2].answer == "unknown"
    assert items[3].answer == "1500"
    assert items[3].to_dict() == {
        "question_id": "misc.users",
        "section": "Everything else",
        "question": "How many users?",
        "owner": "HR",
        "note": "exact number",
        "current_answer": "1500",
    }


HOSTILE_NOTE = '=HYPERLINK("http://evil","x") <script>alert(1)</script> [x](javascript:alert(1)) | pipe'


def test_follow_ups_markdown_is_escaped(q: Questionnaire) -> None:
    answers = _answers(misc__notes=A("- not a list\n<b>bold</b>", follow_up=True,
                                     follow_up_owner="@owner", follow_up_note=HOSTILE_NOTE))  # fmt: skip
    md = follow_ups_markdown("Pay <Portal>", follow_ups(q, answers), "2026-03-31")
    assert md.startswith("# Follow-ups from the Pay &lt;Portal&gt; workshop (2026-03-31)\n")
    assert "<script>" not in md and "<b>" not in md
    table_rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table_rows) == 2  # header and one row: the pipe and the newline did not break the table
    assert table_rows[1].count(" | ") == 4
    html = markdown_to_html(md, "f")
    assert "<script>" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_follow_ups_markdown_when_empty() -> None:
    assert follow_ups_markdown("App", []) == "# Follow-ups from the App workshop\n\nNo open follow-ups.\n"


def test_follow_ups_csv_neutralises_formulas(q: Questionnaire) -> None:
    answers = _answers(
        misc__notes=A(
            "+cmd|' /C calc'!A0", follow_up=True, follow_up_owner="=owner", follow_up_note=HOSTILE_NOTE
        ),
        misc__users=A(-5, follow_up=True, follow_up_note="line1\nline2"),
    )
    text = follow_ups_csv(follow_ups(q, answers))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["question_id", "section", "question", "owner", "note", "current_answer"]
    assert rows[1][3] == "'=owner"
    assert rows[1][4] == "'" + HOSTILE_NOTE
    assert rows[1][5] == "'+cmd|' /C calc'!A0"
    assert rows[2][4] == "line1\nline2"  # newlines stay inside the quoted cell
    assert rows[2][5] == "-5"  # a negative number is data, not a formula
    assert len(rows) == 3


# --- changes between interviews ------------------------------------------------------------------


def test_diff_answers(q: Questionnaire) -> None:
    before = _answers(
        auth__methods=A(["sso"]),
        auth__mfa=A("admins"),
        misc__internet=A(True),
        misc__users=A(100),
        old__question=A("gone"),
    )
    after = _answers(
        auth__methods=A(["sso", "local"]),
        auth__mfa=A("admins"),
        misc__internet=A(unknown=True),
        access__countries=A(["GB"]),
        new__question=A("extra"),
    )
    changes = diff_answers(q, before, after)
    assert [(c.question_id, c.kind, c.before, c.after) for c in changes] == [
        ("auth.methods", "changed", "Single sign-on", "Single sign-on, Local accounts"),
        ("access.countries", "added", "", "GB"),
        ("misc.internet", "changed", "Yes", "unknown"),
        ("misc.users", "removed", "100", ""),
        ("new.question", "added", "", "extra"),
        ("old.question", "removed", "gone", ""),
    ]
    assert changes[-1].prompt == "old.question"
    assert changes[0].to_dict()["question"] == "How do users log in?"
    assert diff_answers(q, after, after) == []


def test_previous_interview(store: Store, q: Questionnaire) -> None:
    first = store.create_interview("pay", q.id, q.version)
    second = store.create_interview("pay", q.id, q.version)
    third = store.create_interview("pay", q.id, q.version, previous_id=first.id)
    assert previous_interview(store, first) is None
    assert previous_interview(store, second).id == first.id
    assert previous_interview(store, third).id == first.id  # explicit predecessor wins
    store.create_application(Application("other", "Other"))
    other = store.create_interview("other", q.id, q.version)
    assert previous_interview(store, other) is None


def test_follow_ups_json_shape(q: Questionnaire) -> None:
    answers = _answers(auth__mfa=A("none", follow_up=True, follow_up_owner="Ann"))
    data = json.loads(json.dumps([f.to_dict() for f in follow_ups(q, answers)]))
    assert data == [
        {"question_id": "auth.mfa", "section": "Authentication", "question": "Who has MFA?", "owner": "Ann",
         "note": "", "current_answer": "None"}
    ]  # fmt: skip
