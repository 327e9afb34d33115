"""The Review page's Worries tab: each worry with the use cases covering it, corrected by a person
(issue 16), and the owners' summary naming what nothing covers."""

from __future__ import annotations

from pathlib import Path

from workshop.services.catalogues import load_questionnaires
from workshop.services.usecases import generate_for_application, load_templates, worry_coverage
from workshop.store import Store

REVIEW = "workshop/ui/pages/review.py"
SLUG = "payroll-portal"
BACS = "concerns.fraud_scenarios#6"


def test_review_page_lists_worries_and_a_person_corrects_coverage(demo_workspace: Path, open_page) -> None:
    qs = load_questionnaires()
    with Store.open(demo_workspace) as s:
        generate_for_application(s, SLUG, load_templates(qs), qs)
    at = open_page(REVIEW)
    assert any("The BACS file edited in /data/bacs/out" in m.value for m in at.markdown)
    assert any("Every one of the 13 worries is covered" in m.value for m in at.success)
    pick = at.multiselect(key=f"worry_pick:{BACS}")
    assert "file-changed-before-sending" in pick.value
    pick.set_value([])
    form_button = next(b for b in at.button if b.label == "Save" and BACS in str(b.form_id))
    form_button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 of 13 worries are not covered" in w.value for w in at.warning)
    with Store.open(demo_workspace) as s:
        bacs = next(c for c in worry_coverage(s, SLUG, qs) if c.worry.id == BACS)
        assert bacs.use_cases == []
        from workshop.services.summary import interview_summary, render_summary

        interview = s.latest_interview(SLUG)
        summary = interview_summary(s, qs.get(interview.questionnaire_id), interview)
    assert summary.uncovered_worries == [
        "The BACS file edited in /data/bacs/out between generation and submission."
    ]
    assert "**Not covered by any use case yet** · The BACS file edited" in render_summary(summary, "md")
