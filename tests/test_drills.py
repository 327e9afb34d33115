"""Analyst drills (issue 20): generation from the demo, scoring, playbook tests, what is due again,
the handout and the ``workshop drills`` command."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.drills.model import AnswerKind, DrillKind, Mode, Outcome, PlaybookTest, Question, Result, Topic
from workshop.drills.readiness import fingerprint, judge, readiness
from workshop.drills.scoring import score_answer, score_session
from workshop.services import drills as service
from workshop.services.catalogues import load_questionnaires
from workshop.services.usecases import edit_fields
from workshop.vocab import ADOPTED

SLUG = "payroll-portal"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_drills(demo_store, demo_workspace: Path):
    return service.drill_set(demo_store, [SLUG], load_questionnaires(demo_workspace))


# --------------------------------------------------------------------------- generation


def test_the_demo_has_a_drill_for_every_accepted_use_case_and_three_lookalikes(
    demo_store, demo_drills
) -> None:
    adopted = {u.template_id for u in demo_store.list_use_cases(SLUG, ADOPTED) if u.applies}
    true_positives = [d for d in demo_drills.drills if d.kind == DrillKind.TRUE_POSITIVE]
    assert {d.use_case for d in true_positives} == adopted
    lookalikes = [d for d in demo_drills.drills if d.benign]
    assert len(lookalikes) >= 3
    assert len({d.id for d in demo_drills.drills}) == len(demo_drills.drills)
    # every look-alike's key says "normal, because ..."
    for d in lookalikes:
        normal = next(q for q in d.questions if q.topic == Topic.NORMAL)
        assert normal.correct.startswith("Normal") and normal.answer.startswith("Normal, because")


def test_a_drill_shows_the_rules_true_positive_in_the_apps_field_names_with_baseline_rows(
    demo_drills,
) -> None:
    d = demo_drills.drill(f"{SLUG}:payee-changes-by-one-user")
    # the demo's own names: src_ip (not source_ip) and its action value for a payee change
    assert "src_ip" in d.columns and "timestamp" in d.columns
    matched = [r for r in d.rows if r.matched]
    assert matched and all(r.get("action") == "employee.bank_details.update" for r in matched)
    # the synthetic names are not shown (they would give the answer away)
    assert not any("synthetic" in v for r in d.rows for _, v in r.values)
    benign = [r for r in d.rows if not r.matched]
    assert benign, "no benign rows from the baseline"
    assert all(r.get("user").startswith("clerk") for r in benign)  # users the demo's sample saw
    topics = [q.topic for q in d.questions]
    assert topics == [
        Topic.APPLICATION,
        Topic.NORMAL,
        Topic.TRIAGE,
        Topic.CONTACT,
        Topic.CONTAINMENT,
        Topic.CLOSE,
    ]


def test_answers_come_from_the_document_and_the_baseline(demo_store, demo_drills) -> None:
    d = demo_drills.drill(f"{SLUG}:leaver-account-used")
    q = {x.topic: x for x in d.questions}
    uc = demo_store.get_use_case(SLUG, "leaver-account-used").effective()
    assert q[Topic.TRIAGE].answer == uc.response[0]
    assert "Disable the account" in q[Topic.CONTAINMENT].answer
    assert "may disable accounts directly" in q[Topic.CONTAINMENT].explanation
    assert "Payroll" in q[Topic.APPLICATION].answer and "high" in q[Topic.APPLICATION].answer
    # the baseline's figures (the demo sample: 59 events per user on a normal day)
    assert "baseline" in q[Topic.NORMAL].explanation and "59" in q[Topic.NORMAL].explanation
    # the alert is at noon on a Wednesday: the service owner, by name
    assert "Priya Shah" in q[Topic.CONTACT].answer


def test_an_out_of_hours_alert_asks_for_the_out_of_hours_route(demo_drills) -> None:
    d = demo_drills.drill(f"{SLUG}:login-outside-business-hours")
    contact = next(q for q in d.questions if q.topic == Topic.CONTACT)
    assert "service desk" in contact.answer.lower()
    assert "outside business hours" in contact.explanation
    assert score_answer(contact, "the IT service desk, 24x7").right


def test_lookalikes_are_the_known_batch_jobs_and_the_change_window(demo_drills) -> None:
    lookalikes = [d for d in demo_drills.drills if d.benign]
    users = {r.get("user") for d in lookalikes for r in d.rows}
    assert {"svc-payroll-hrimport", "svc-payroll-monitor"} <= users
    window = next(d for d in lookalikes if "change window" in d.questions[1].answer)
    assert "svc-payroll-deploy" in {r.get("user") for r in window.rows}
    # each look-alike's rows happen when the interview says they do
    hr = next(d for d in lookalikes if any(r.get("user") == "svc-payroll-hrimport" for r in d.rows))
    assert all("T02:0" in r.get("timestamp") for r in hr.rows)


# --------------------------------------------------------------------------- scoring


def _text_q(**kw) -> Question:
    return Question("q", Topic.TRIAGE, "?", "key", keywords=(("disable",), ("priya", "shah")), needed=2, **kw)


@pytest.mark.parametrize(
    ("given", "points"),
    [
        ("I would disable the account and call Priya", 1.0),
        ("Disabling it first, then Shah", 1.0),  # stems and either part of a name
        ("disable it", 0.5),
        ("no idea", 0.0),
        ("", 0.0),
    ],
)
def test_typed_answers_score_by_keyword_groups(given: str, points: float) -> None:
    s = score_answer(_text_q(), given)
    assert s.points == pytest.approx(points)
    assert s.feedback  # always says why


def test_partial_answer_feedback_names_what_is_missing() -> None:
    s = score_answer(_text_q(), "disable it")
    assert "disable" in s.named and s.missing == ("priya / shah",)
    assert "priya" in s.feedback


def test_choice_questions_are_right_or_wrong() -> None:
    q = Question("n", Topic.NORMAL, "?", "k", kind=AnswerKind.CHOICE, choices=("a", "b"), correct="b")
    assert score_answer(q, "b").points == 1.0
    assert score_answer(q, "a").points == 0.0 and '"b"' in score_answer(q, "a").feedback


def test_the_key_itself_scores_full_marks_on_every_demo_question(demo_drills) -> None:
    for d in demo_drills.drills:
        for q in d.questions:
            given = q.correct if q.kind == AnswerKind.CHOICE else q.answer
            assert score_answer(q, given).right, (d.id, q.id, q.keywords)


def test_a_session_scores_only_the_drills_answered(demo_drills) -> None:
    d = demo_drills.drills[0]
    answers = {q.id: (q.correct if q.choices else q.answer) for q in d.questions}
    (result,) = score_session(demo_drills, answers, "ana")
    assert result.max_score == len(d.questions) and result.score == len(d.questions)
    assert list(result.use_cases) == [d.use_case]
    assert [a.given for a in result.answers] == [answers[q.id] for q in d.questions]


# --------------------------------------------------------------------------- readiness and due logic

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("fp", "day", "due", "reason"),
    [
        (None, None, True, "never"),
        ("abc", TODAY - dt.timedelta(days=10), False, ""),
        ("old", TODAY - dt.timedelta(days=10), True, "changed"),
        ("abc", TODAY - dt.timedelta(days=366), True, "interval"),
        ("abc", TODAY - dt.timedelta(days=365), False, ""),
    ],
)
def test_due_when_never_done_changed_or_older_than_the_interval(fp, day, due, reason) -> None:
    got = judge(fp, day, "abc", 365, TODAY)
    assert (got.due, got.reason) == (due, reason)


def test_fingerprint_follows_content_not_status(demo_store) -> None:
    uc = demo_store.get_use_case(SLUG, "mass-update")
    before = fingerprint(uc)
    uc.status = "implemented"
    assert fingerprint(uc) == before
    uc.edits["parameters.max_records"] = {"value": 999}
    assert fingerprint(uc) != before


def test_readiness_counts_analysts_and_flags_a_failed_step(demo_store) -> None:
    ucs = [u for u in demo_store.list_use_cases(SLUG, ADOPTED) if u.applies]
    uc = ucs[0]
    at = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)
    results = [Result(SLUG, "ana", Mode.SOLO, {uc.template_id: fingerprint(uc)}, score=4, max_score=6, at=at),
               Result(SLUG, "ben", Mode.PRESENTER, {uc.template_id: "stale"}, at=at)]  # fmt: skip
    from workshop.drills.model import PlaybookStep

    test = PlaybookTest(SLUG, uc.template_id, [PlaybookStep("containment", "containment", "Disable", outcome=Outcome.FAILED)],
                        "dee", "2026-11-02", fingerprint(uc))  # fmt: skip
    r = readiness(SLUG, ucs, results, [test], 365, TODAY)
    assert r.analysts == {"ana": "2026-11-01", "ben": "2026-11-01"}
    one = r.get(uc.template_id)
    assert one is not None and one.trained_by == ["ana"] and not one.training.due
    assert r.failed == [uc.template_id] and one.failed_steps == ["Disable"]
    assert r.tested == 0  # a failed test is not a tested playbook
    assert len(r.drills_due) == len(ucs) - 1


# --------------------------------------------------------------------------- the store and services


def test_results_are_kept_per_person_with_the_answers_as_given(demo_store, demo_drills) -> None:
    d = demo_drills.drills[0]
    answers = {d.questions[2].id: "Confirm with HR <b>that</b> they left"}
    (saved,) = service.record_session(demo_store, demo_drills, answers, "Ana Analyst")
    assert saved.id is not None and saved.at is not None
    (back,) = service.results(demo_store, SLUG)
    assert back.who == "Ana Analyst" and back.mode == Mode.SOLO
    assert back.use_cases == {d.use_case: d.fingerprint}
    assert back.max_score == len(d.questions) and 0 < (back.score or 0) < back.max_score
    assert [a.given for a in back.answers if a.given] == ["Confirm with HR <b>that</b> they left"]


def test_presenter_sessions_record_attendance(demo_store, demo_drills) -> None:
    shown = [d.id for d in demo_drills.drills[:2]]
    found = service.record_attendance(demo_store, demo_drills, shown, ["ana", " ben ", ""])
    assert sorted(r.who for r in found) == ["ana", "ben"]
    assert all(r.score is None and r.mode == Mode.PRESENTER for r in service.results(demo_store, SLUG))
    from workshop.core.errors import InputError

    with pytest.raises(InputError):
        service.record_attendance(demo_store, demo_drills, shown, [])


def test_changing_a_use_case_makes_its_drills_and_playbook_test_due_again(demo_store, demo_drills) -> None:
    tid = "mass-update"
    d = demo_drills.drill(f"{SLUG}:{tid}")
    service.record_session(demo_store, demo_drills, {q.id: q.answer for q in d.questions}, "ana")
    steps = service.playbook_checklist(demo_store, SLUG, tid)
    service.record_playbook_test(demo_store, SLUG, tid, {s.id: "passed" for s in steps}, tester="dee")
    before = service.readiness(demo_store, SLUG).get(tid)
    assert before is not None and not before.training.due and not before.test.due
    assert before.test_outcome == Outcome.PASSED
    other = next(u for u in service.readiness(demo_store, SLUG).use_cases if u.use_case != tid)

    edit_fields(
        demo_store, SLUG, tid, {"parameters.max_records": {"value": 2500}}, who="lead", reason="tuned"
    )

    after = service.readiness(demo_store, SLUG)
    mine = after.get(tid)
    assert mine is not None and mine.training.due and mine.training.reason == "changed"
    assert mine.test.due and mine.test.reason == "changed"
    assert tid in after.drills_due and tid in after.tests_due
    assert after.get(other.use_case).training.reason == other.training.reason  # the others are untouched
    # a status move is not a change of what was trained on
    demo_store.set_status(SLUG, ["privilege-granted"], "implemented", who="lead")
    assert (
        service.readiness(demo_store, SLUG).get("privilege-granted").training.reason == other.training.reason
    )


def test_review_interval_makes_them_due_again(demo_store, demo_drills) -> None:
    tid = "mass-update"
    d = demo_drills.drill(f"{SLUG}:{tid}")
    service.record_session(demo_store, demo_drills, {d.questions[0].id: "payroll"}, "ana")
    later = dt.date.today() + dt.timedelta(days=400)
    r = service.readiness(demo_store, SLUG, today=later).get(tid)
    assert r is not None and r.training.due and r.training.reason == "interval"


def test_a_failed_playbook_step_is_flagged_in_the_portfolio(demo_store, demo_workspace: Path) -> None:
    from workshop.services.portfolio import portfolio

    tid = "privilege-granted"
    service.record_playbook_test(demo_store, SLUG, tid, {"containment": "failed", "contact-1": "passed"},
                                 tester="dee", tested_on="2026-11-20", notes={"containment": "no rights"})  # fmt: skip
    (row,) = portfolio(demo_store, load_questionnaires(demo_workspace))
    assert row.readiness is not None and row.readiness.failed == [tid]
    data = row.to_dict()["readiness"]
    assert data["failed_playbook_tests"] == [tid] and data["last_tested"] == "2026-11-20"
    (test,) = service.playbook_tests(demo_store, SLUG, tid)
    assert test.outcome == Outcome.FAILED and test.failed_steps[0].note == "no rights"


def test_playbook_test_refuses_unknown_steps_outcomes_and_dates(demo_store) -> None:
    from workshop.core.errors import InputError

    with pytest.raises(InputError, match="no step"):
        service.record_playbook_test(demo_store, SLUG, "mass-update", {"nope": "passed"}, tester="dee")
    with pytest.raises(InputError, match="unknown outcome"):
        service.record_playbook_test(demo_store, SLUG, "mass-update", {"containment": "ok"}, tester="dee")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        service.record_playbook_test(demo_store, SLUG, "mass-update", {}, tester="dee", tested_on="yesterday")
    assert service.playbook_tests(demo_store, SLUG) == []


# --------------------------------------------------------------------------- exports and the command


def test_handout_escapes_what_people_typed(demo_store, demo_workspace: Path) -> None:
    edit_fields(demo_store, SLUG, "mass-update", {"response": ["<script>alert(1)</script> call [x](javascript:y)"]},
                who="x")  # fmt: skip
    ds = service.drill_set(demo_store, [SLUG], load_questionnaires(demo_workspace), ["mass-update"])
    html = service.handout(ds, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    md = service.handout(ds, "md")
    assert "## Answer key" in md and md.index("## Answer key") > md.index("## Drill 1")
    data = json.loads(service.handout(ds, "json"))
    assert data["drills"][0]["questions"][2]["answer"].startswith("<script>")  # JSON keeps the text as typed


def test_cli_prints_the_handout_in_a_subprocess(demo_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "drills.html"
    proc = subprocess.run(
        [sys.executable, "-m", "workshop", "drills", SLUG, "--format", "html", "-o", str(out),
         "--workspace", str(demo_workspace)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") or "<html" in text
    assert "Answer key" in text and "svc-payroll-hrimport" in text


def test_cli_take_results_playbook_test_and_readiness(demo_workspace: Path, tmp_path: Path, capsys) -> None:
    assert main(["drills", SLUG, "--format", "json", "--use-case", "mass-update"]) == 0
    ds = json.loads(capsys.readouterr().out)
    tp = next(d for d in ds["drills"] if d["kind"] == "true_positive")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({q["id"]: q.get("correct") or q["answer"] for q in tp["questions"]}))
    taken_from = dt.datetime.now(dt.UTC).date().isoformat()
    assert (
        main(["drills", "take", SLUG, "--who", "ana", "--answers", str(answers), "--use-case", "mass-update"])
        == 0
    )
    taken_to = dt.datetime.now(dt.UTC).date().isoformat()
    assert "ana on payroll-portal: 6/6 (100%)" in capsys.readouterr().out
    assert main(["drills", "results", SLUG, "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert r["who"] == "ana" and r["percent"] == 100.0 and list(r["use_cases"]) == ["mass-update"]
    assert main(["drills", "checklist", SLUG, "mass-update", "--json"]) == 0
    steps = [s["id"] for s in json.loads(capsys.readouterr().out)]
    assert "containment" in steps and any(s.startswith("pivot-") for s in steps)
    assert main(["drills", "playbook-test", SLUG, "mass-update", "--tester", "dee", "--date", "2026-11-20",
                 "--step", "containment=failed", "--note", "containment=no rights in prod"]) == 0  # fmt: skip
    assert "FAILED containment" in capsys.readouterr().out
    assert main(["drills", "readiness", SLUG, "--json"]) == 0
    ready = json.loads(capsys.readouterr().out)
    # The day of the session as stored (UTC), which is not the local date.today() everywhere.
    assert list(ready["analysts_trained"]) == ["ana"]
    assert ready["analysts_trained"]["ana"] in {taken_from, taken_to}
    assert ready["failed_playbook_tests"] == ["mass-update"]
    assert main(["drills", "playbook-test", SLUG, "mass-update", "--tester", "dee", "--step", "x"]) == 1
    assert "ID=VALUE" in capsys.readouterr().err
