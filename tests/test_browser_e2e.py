"""End to end, in a real browser: a workshop survives its server being killed.

The app runs as ``workshop ui`` in a child process; Playwright drives Debian's headless
Chromium. The test creates an application, answers questions in several sections,
kills the server with SIGKILL, starts it again, reloads, and finds every answer on the
page. Screenshots of the main pages are saved in ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.e2e import (
    DEFAULT_TIMEOUT,
    AppServer,
    browser_page,
    key_css,
    next_section,
    rerun,
    shot,
    wait_for_app,
    wait_until,
)
from workshop.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUMMARY = "Claims Portal pays out insurance claims; adjusters <b>approve</b> payments up to £5,000."


def stored(workspace: Path) -> dict:
    with Store.open(workspace) as s:
        interview = s.latest_interview("claims-portal")
        return {k: a.value for k, a in s.answers(interview.id).items()} if interview else {}


def go_to_section(page, title_start: str) -> None:
    rerun(page, page.locator(key_css("section:1")).get_by_text(title_start, exact=False).first.click)
    page.get_by_role("heading", name=title_start).first.wait_for()


def test_answers_survive_sigkill_of_the_server(workspace: Path) -> None:
    server = AppServer(workspace).start()
    try:
        with browser_page() as page:
            page.goto(server.url)
            wait_for_app(page)
            page.get_by_role("button", name="Load the demo application").wait_for()
            shot(page, "01-applications-empty")

            rerun(page, page.get_by_role("button", name="New application").click)
            page.locator(key_css("new_app:name")).locator("input").fill("Claims Portal")
            page.locator(key_css("new_app:owner")).locator("input").fill("Head of Claims")
            rerun(page, page.get_by_role("button", name="Create application").click)
            rerun(page, page.get_by_role("button", name="Open the workshop").click)
            page.get_by_role("heading", name="Purpose and business context").wait_for()

            # Section 1: long text (saved when the field loses focus) and a choice.
            summary = page.locator(key_css("v:1:purpose.summary")).locator("textarea")
            summary.fill(SUMMARY)
            summary.press("Tab")
            wait_until(lambda: stored(workspace).get("purpose.summary") == SUMMARY, what="summary saved")
            page.locator(key_css("v:1:purpose.internet_facing")).get_by_role("radio", name="Yes").click()
            wait_until(lambda: stored(workspace).get("purpose.internet_facing") is True, what="boolean saved")
            wait_for_app(page)
            shot(page, "02-workshop-purpose")

            # Section 2: a number.
            next_section(page)
            users = page.locator(key_css("v:1:users.total_count")).locator("input")
            users.fill("1800")
            users.press("Enter")
            wait_until(lambda: stored(workspace).get("users.total_count") == 1800, what="number saved")

            # A later section reached through the section list: tags.
            go_to_section(page, "Normal access times")
            countries = page.locator(key_css("v:1:access.countries")).locator("input")
            countries.click()
            countries.fill("GB")
            page.get_by_role("option", name="Add: GB").first.click()
            wait_until(lambda: stored(workspace).get("access.countries") == ["GB"], what="tags saved")
            wait_for_app(page)
            page.get_by_text("All changes saved").wait_for()
            shot(page, "03-workshop-access")

            before = stored(workspace)
            server.kill()
            server.start()

            page.reload()
            wait_for_app(page)
            shot(page, "04a-after-restart")
            # The session resumes where it stopped, with every answer.
            page.get_by_role("heading", name="Normal access times").first.wait_for()
            page.locator(key_css("v:1:access.countries")).get_by_text("GB").wait_for()
            go_to_section(page, "Purpose and business context")
            # (expect waits for the section's run to draw the answer; a lost answer still fails)
            summary = page.locator(key_css("v:1:purpose.summary")).locator("textarea")
            expect(summary).to_have_value(SUMMARY, timeout=DEFAULT_TIMEOUT)
            yes = page.locator(key_css("v:1:purpose.internet_facing")).get_by_role("radio", name="Yes")
            expect(yes).to_have_attribute("aria-checked", "true", timeout=DEFAULT_TIMEOUT)
            go_to_section(page, "Users, roles")
            users = page.locator(key_css("v:1:users.total_count")).locator("input")
            expect(users).to_have_value("1800", timeout=DEFAULT_TIMEOUT)
            shot(page, "04-workshop-after-restart")

            page.goto(f"{server.url}/review?app=claims-portal")
            wait_for_app(page)
            page.get_by_role("heading", name="Review · Claims Portal").wait_for()
            shot(page, "05-review")
            assert stored(workspace) == before
    finally:
        server.stop()


def test_presenter_mode_in_the_browser(workspace: Path) -> None:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.demo import create_demo

    with Store.open(workspace) as s:
        create_demo(s, load_questionnaires(workspace))
    server = AppServer(workspace).start()
    try:
        with browser_page() as page:
            page.goto(f"{server.url}/workshop?app=payroll-portal")
            wait_for_app(page)
            page.get_by_text("Why we ask").first.wait_for()
            shot(page, "06-workshop-demo")
            rerun(page, page.get_by_text("Presenter mode").click)
            expect(page.get_by_text("Why we ask")).to_have_count(0, timeout=DEFAULT_TIMEOUT)
            shot(page, "07-workshop-presenter")

            # The SOC manager's views: use cases, ATT&CK coverage and the portfolio.
            page.goto(f"{server.url}/usecases?app=payroll-portal")
            wait_for_app(page)
            page.get_by_role("heading", name="Use cases · Payroll Portal").wait_for()
            shot(page, "08-use-cases")
            page.goto(f"{server.url}/attack?app=payroll-portal")
            wait_for_app(page)
            page.get_by_role("tab", name="Coverage").click()
            page.get_by_text("Credential Access").first.wait_for()
            shot(page, "09-attack-coverage")
            page.goto(f"{server.url}/portfolio")
            wait_for_app(page)
            page.get_by_role("heading", name="Portfolio").wait_for()
            page.get_by_text("Reviews overdue").wait_for()
            page.get_by_text("Use cases by status").wait_for()  # table cells are drawn on a canvas
            shot(page, "10-portfolio")
    finally:
        server.stop()


def test_two_browser_sessions_on_one_interview(workspace: Path) -> None:
    """Two facilitators' screens: both keep their answers; a stale edit is shown, not lost."""
    from playwright.sync_api import expect, sync_playwright

    from tests.support.e2e import CHROMIUM_ARGS, chromium_path
    from workshop.interview.model import Application

    with Store.open(workspace) as s:
        s.create_application(Application("claims-portal", "Claims Portal"))
        s.create_interview("claims-portal", "in-house-application", "1.0")
    server = AppServer(workspace).start()
    url = f"{server.url}/workshop?app=claims-portal"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            a = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            b = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for page in (a, b):
                page.set_default_timeout(DEFAULT_TIMEOUT)
                page.goto(url)
                wait_for_app(page)
            # Different questions from each screen: both saved.
            box = a.locator(key_css("v:1:purpose.tech_stack")).locator("input")
            box.fill("Java 17, PostgreSQL")
            box.press("Enter")
            wait_until(
                lambda: stored(workspace).get("purpose.tech_stack") == "Java 17, PostgreSQL", what="A saved"
            )
            b.locator(key_css("v:1:purpose.internet_facing")).get_by_role("radio", name="No").click()
            wait_until(lambda: stored(workspace).get("purpose.internet_facing") is False, what="B saved")
            assert stored(workspace)["purpose.tech_stack"] == "Java 17, PostgreSQL"
            # The same question: B edits over A's newer answer and is told, not silently winning.
            box.fill("Java 21")
            box.press("Enter")
            wait_until(lambda: stored(workspace).get("purpose.tech_stack") == "Java 21", what="A saved again")
            other = b.locator(key_css("v:1:purpose.tech_stack")).locator("input")
            other.fill("Kotlin")
            other.press("Enter")
            wait_for_app(b)
            b.get_by_text("since you opened it").first.wait_for()
            shot(b, "11-stale-edit-warning")
            assert stored(workspace)["purpose.tech_stack"] == "Java 21"
            rerun(b, b.get_by_role("button", name="Load their answer").click)
            expect(b.locator(key_css("v:1:purpose.tech_stack")).locator("input")).to_have_value(
                "Java 21", timeout=DEFAULT_TIMEOUT
            )
            expect(b.get_by_text("since you opened it")).to_have_count(0, timeout=DEFAULT_TIMEOUT)
            shot(b, "12-their-answer-loaded")
            browser.close()
    finally:
        server.stop()
