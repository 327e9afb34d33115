"""The live workshop in a real browser (issue 13): what a room of application owners sees.

Each test starts ``workshop ui`` in a child process and drives Debian's headless Chromium
with Playwright (see e2e_support). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import AppServer, browser_page, key_css, shot, wait_for_app, wait_until

from workshop.interview.model import Application
from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE, load_questionnaires
from workshop.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def make_app(workspace: Path, slug: str = "claims", name: str = "Claims", interview: bool = True) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application.from_dict({"slug": slug, "name": name, "owner": "Head of Claims",
                                                    "criticality": "high"}))  # fmt: skip
        if interview:
            q = load_questionnaires(workspace).get(DEFAULT_QUESTIONNAIRE)
            s.create_interview(slug, q.id, q.version)


def stored(workspace: Path, slug: str = "claims") -> dict:
    with Store.open(workspace) as s:
        interview = s.latest_interview(slug)
        return {k: a.value for k, a in s.answers(interview.id).items()} if interview else {}


def heading(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text()


def picked(page, widget_key: str) -> str:
    box = page.locator(key_css(widget_key))
    inp = box.locator("input")
    return (inp.input_value() if inp.count() else "") or box.locator('[data-baseweb="select"]').inner_text()


def test_application_switch_on_the_applications_page_does_not_loop(workspace: Path) -> None:
    make_app(workspace, "claims", "Claims", interview=False)
    make_app(workspace, "payroll", "Payroll", interview=False)
    server = AppServer(workspace).start()
    try:
        with browser_page(1600, 900) as page:
            page.goto(f"{server.url}/?app=claims")
            wait_for_app(page)
            page.locator(key_css("apps_page_select")).click()
            page.get_by_role("option", name="Payroll (payroll)").click()
            wait_for_app(page)
            seen = set()
            for _ in range(10):  # the URL must settle on the new slug and stay there
                page.wait_for_timeout(200)
                seen.add(page.url.split("app=")[-1].split("&")[0])
            shot(page, "workshop-app-switch")
            assert seen == {"payroll"}, seen
            assert picked(page, "sidebar_app") == "Payroll (payroll)"
            # and back again through the sidebar
            page.locator(key_css("sidebar_app")).click()
            page.get_by_role("option", name="Claims (claims)").click()
            wait_for_app(page)
            page.wait_for_timeout(1000)
            assert page.url.split("app=")[-1].split("&")[0] == "claims"
            assert picked(page, "apps_page_select") == "Claims (claims)"
    finally:
        server.stop()


LONG = (
    "Claims Portal pays out insurance claims. Adjusters approve payments up to 5,000 pounds; "
    "team leads approve above that. Typed without leaving the field."
)


def test_typed_text_survives_sigkill_without_leaving_the_field(workspace: Path) -> None:
    make_app(workspace)
    server = AppServer(workspace).start()
    try:
        with browser_page(1600, 900) as page:
            page.goto(f"{server.url}/workshop?app=claims")
            wait_for_app(page)
            area = page.locator(key_css("v:1:purpose.summary")).locator("textarea")
            area.click()
            area.press_sequentially(LONG[:60], delay=5)
            page.wait_for_timeout(300)  # a pause mid-sentence: a save starts, typing goes on
            area.press_sequentially(LONG[60:], delay=5)
            badge = page.get_by_test_id("uwAutosave")
            badge.wait_for()
            page.wait_for_timeout(2000)  # no blur, no Ctrl+Enter
            assert area.evaluate("el => el === document.activeElement")
            assert area.input_value() == LONG  # nothing typed during a save was lost on the page
            assert badge.get_attribute("data-state") == "saved"
            shot(page, "workshop-autosave-saved")
            server.kill()
            assert stored(workspace)["purpose.summary"] == LONG
            server.start()
            page.reload()
            wait_for_app(page)
            shot(page, "workshop-autosave-after-restart")
            area = page.locator(key_css("v:1:purpose.summary")).locator("textarea")
            wait_until(lambda: area.input_value() == LONG, timeout=10, what="the typed text on the page")
    finally:
        server.stop()
