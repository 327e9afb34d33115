"""The live workshop in a real browser (issue 13): what a room of application owners sees.

Each test starts ``workshop ui`` in a child process and drives Debian's headless Chromium
with Playwright (see e2e_support). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import time
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
