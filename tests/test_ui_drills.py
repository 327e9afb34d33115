"""AppTests of the Drills page (issue 20): the presenter flow, solo scoring, playbook tests, and the
failed playbook test flagged on the Use cases and Portfolio pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.store import Store

DRILLS = "workshop/ui/pages/drills.py"
SLUG = "payroll-portal"

pytestmark = pytest.mark.slow


def _revealed(at, n: int = 0) -> int:
    return int(at.session_state[f"reveal:{n}"]) if f"reveal:{n}" in at.session_state else 0


def test_presenter_shows_the_alert_first_and_reveals_answers_one_at_a_time(
    demo_workspace: Path, open_page
) -> None:
    at = open_page(DRILLS)
    assert at.title[0].value == "Drills"
    at.button(key="drills:start").click().run()
    assert not at.exception
    # the alert: the situation and the SIEM rows, the questions, and no answer yet
    assert any("The SIEM raised" in m.value for m in at.markdown)
    rows = at.dataframe[0].value
    assert "src_ip" in rows.columns and len(rows) >= 2
    prompts = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(prompts) == 6
    assert _revealed(at) == 0
    key_text = "Confirm with HR"
    assert not any(key_text in m.value for m in at.markdown)
    for expected in (1, 2, 3):
        at.button(key="reveal-btn-0").click().run()
        assert _revealed(at) == expected
    assert any(key_text in m.value for m in at.markdown)  # the third answer: the first triage step
    # on to the next drill: its answers start hidden again
    at.button(key="drills:next").click().run()
    assert any("Drill 2 of" in c.value for c in at.caption)
    assert _revealed(at, 1) == 0
    at.text_input(key="drills:attendees").input("Ana, Ben").run()
    at.button(key="drills:record").click().run()
    assert not at.exception
    assert any("Session recorded" in s.value for s in at.success)
    with Store.open(demo_workspace) as s:
        results = s.drill_results(SLUG)
    assert sorted(r.who for r in results) == ["Ana", "Ben"]
    assert all(r.mode == "presenter" and r.score is None for r in results)
    assert len(results[0].use_cases) == 2  # the two drills shown


def test_solo_answers_are_scored_explained_and_saved(demo_workspace: Path, open_page) -> None:
    at = open_page(DRILLS)
    at.radio(key="drills:mode").set_value("solo").run()
    at.button(key="drills:start").click().run()
    # drill 1 is the leaver account: answer well on some questions, badly on one
    at.radio(key="ans-0-1").set_value("Not normal: investigate").run()
    at.text_area(key="ans-0-2").input("Confirm with HR that the person has left, and the date").run()
    at.text_area(key="ans-0-3").input("Priya Shah, the service owner").run()
    at.text_area(key="ans-0-4").input("no idea").run()
    at.button(key="check-0").click().run()
    assert not at.exception
    feedback = [s.value for s in at.success] + [w.value for w in at.warning]
    assert sum(1 for f in at.success if f.value.startswith("Right")) >= 3
    assert any("Not yet" in w.value and "disable" in w.value for w in at.warning), feedback
    assert any("The key" in m.value for m in at.markdown)
    at.text_input(key="drills:who").input("Ana Analyst").run()
    at.button(key="drills:save").click().run()
    assert any("Result saved" in s.value for s in at.success)
    with Store.open(demo_workspace) as s:
        (result,) = s.drill_results(SLUG)
    assert result.who == "Ana Analyst" and result.mode == "solo"
    assert result.max_score == 6 and 3 <= (result.score or 0) < 6
    given = {a.question.rsplit(":", 1)[-1]: a.given for a in result.answers}
    assert given["contain"] == "no idea" and given["contact"] == "Priya Shah, the service owner"


def test_solo_save_without_answers_says_why(demo_workspace: Path, open_page) -> None:
    at = open_page(DRILLS)
    at.radio(key="drills:mode").set_value("solo").run()
    at.button(key="drills:start").click().run()
    at.button(key="drills:save").click().run()
    assert not at.exception
    assert any("no answer was given" in e.value for e in at.error)


def test_playbook_test_recorded_and_failed_step_flagged(demo_workspace: Path, open_page) -> None:
    at = open_page(DRILLS)
    at.session_state["drills:tabs"] = "Playbook tests"
    at.run()
    at.selectbox(key="pb:uc").set_value("privilege-granted").run()
    steps = [r for r in at.radio if str(r.key).startswith("pb:o:privilege-granted:")]
    assert len(steps) >= 4
    for r in steps:
        r.set_value("passed")
    steps[-2].set_value("failed")
    at.text_input(key=f"pb:n:privilege-granted:{len(steps) - 2}").input("wrong index")
    at.text_input(key="pb:tester:privilege-granted").input("Dee")
    at.button[[b.label for b in at.button].index("Record the playbook test")].click().run()
    assert not at.exception
    assert any("Recorded" in s.value and "failed (1 step" in s.value for s in at.success)
    with Store.open(demo_workspace) as s:
        (test,) = s.playbook_tests(SLUG, "privilege-granted")
    assert test.tester == "Dee" and test.outcome == "failed" and test.failed_steps[0].note == "wrong index"

    uc_page = open_page("workshop/ui/pages/usecases.py")
    uc_page.selectbox(key="uc_select").set_value("privilege-granted").run()
    assert any("Playbook test failed" in e.value and "wrong index" in e.value for e in uc_page.error)
    table = uc_page.dataframe[0].value
    assert any(str(v).startswith("FAILED") for v in table["Playbook test"])
    portfolio = open_page("workshop/ui/pages/portfolio.py")
    assert any("Failed playbook tests" in e.value and "privilege-granted" in e.value for e in portfolio.error)
    assert "Analysts trained" in portfolio.dataframe[0].value.columns
