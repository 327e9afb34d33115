"""In a real browser: an analyst runs a solo drill session on the demo, sees the score and the key,
and the result (with the answers as typed) is in the store (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.e2e import AppServer, browser_page, key_css, rerun, shot, wait_for_app, wait_until
from workshop.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "payroll-portal"
TRIAGE = "Confirm with HR that the person has left, and the date"


def results(workspace: Path) -> list:
    with Store.open(workspace) as s:
        return s.drill_results(SLUG)


def test_a_solo_drill_session_is_scored_and_recorded(demo_workspace: Path) -> None:
    server = AppServer(demo_workspace).start()
    try:
        with browser_page() as page:
            page.goto(f"{server.url}/drills?app={SLUG}")
            wait_for_app(page)
            page.get_by_role("heading", name="Drills").first.wait_for()
            rerun(page, page.locator(key_css("drills:mode")).get_by_text("Solo (one analyst)").click)
            rerun(page, page.locator(key_css("drills:start")).get_by_role("button").click)
            page.get_by_text("The SIEM raised").first.wait_for()
            shot(page, "drills-01-alert")

            rerun(page, page.locator(key_css("ans-0-1")).get_by_text("Not normal: investigate").click)
            triage = page.locator(key_css("ans-0-2")).locator("textarea")
            triage.fill(TRIAGE)
            rerun(page, lambda: triage.press("Tab"))
            contact = page.locator(key_css("ans-0-3")).locator("textarea")
            contact.fill("Priya Shah")
            rerun(page, lambda: contact.press("Tab"))
            rerun(page, page.locator(key_css("check-0")).get_by_role("button").click)
            page.get_by_text("The key:").first.wait_for()
            assert page.get_by_text("Right: you named").count() >= 2
            shot(page, "drills-02-scored")

            name = page.locator(key_css("drills:who")).locator("input")
            name.fill("Ana Analyst")
            rerun(page, lambda: name.press("Enter"))
            rerun(page, page.locator(key_css("drills:save")).get_by_role("button").click)
            page.get_by_text("Result saved").first.wait_for()
            assert page.locator('[data-testid="stException"]').count() == 0
            shot(page, "drills-03-saved")
    finally:
        server.stop()

    wait_until(lambda: len(results(demo_workspace)) == 1, what="the result in the store")
    (result,) = results(demo_workspace)
    assert result.who == "Ana Analyst" and result.mode == "solo"
    assert list(result.use_cases) == ["leaver-account-used"]
    given = {a.question.rsplit(":", 1)[-1]: a.given for a in result.answers}
    assert given["triage"] == TRIAGE and given["normal"] == "Not normal: investigate"
    assert result.score is not None and 3 <= result.score < result.max_score == 6
