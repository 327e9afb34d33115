"""In a real browser: the pages after the workshop at a desk size and at a presenter size.

Each page (Use cases, Baselines, ATT&CK, Export, Portfolio) is loaded on the demo at
1600x900 and at 1280x720 zoomed to 125% (what a shared screen shows), screenshotted into
``test-artifacts/`` for a person to look at, and every request it makes is recorded: any
request not to the app's own address fails the test (issue 18).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.e2e import ARTIFACTS, CHROMIUM_ARGS, AppServer, chromium_path, wait_for_app
from tests.support.requests_log import RequestLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ("usecases", "baselines", "attack", "export", "portfolio")
#: name -> (viewport width, height, zoom). The presenter size is 1280x720 at 125%: 1024x576 CSS pixels.
SIZES = {"desk": (1600, 900, 1.0), "presenter": (1024, 576, 1.25)}


@pytest.mark.parametrize("size", list(SIZES))
def test_pages_load_local_only_and_are_screenshotted(demo_workspace: Path, size: str) -> None:
    from playwright.sync_api import sync_playwright

    width, height, zoom = SIZES[size]
    server = AppServer(demo_workspace).start()
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=zoom)
                page.set_default_timeout(30_000)
                log = RequestLog(page, server.url)
                for name in PAGES:
                    page.goto(f"{server.url}/{name}?app=payroll-portal")
                    wait_for_app(page)
                    page.wait_for_timeout(800)
                    errors = page.locator('[data-testid="stException"]').count()
                    if errors:
                        problems.append(f"{name}: {errors} exception(s) shown")
                    page.screenshot(path=str(ARTIFACTS / f"pages-{name}-{size}.png"), full_page=False)
                    page.screenshot(path=str(ARTIFACTS / f"pages-{name}-{size}-full.png"), full_page=True)
            finally:
                browser.close()
    finally:
        server.stop()
    assert not problems, problems
    assert log.all, "no request recorded: the recorder is not attached"
    assert log.foreign == [], sorted(set(log.foreign))


def test_use_case_rows_open_on_click_and_take_bulk_actions(demo_workspace: Path) -> None:
    """AppTest cannot click a table's rows: here a person clicks two rows of the Use cases table,
    the last one clicked opens below, and "Reject 2 selected" rejects exactly those two, with the
    reason typed beside the buttons in their history."""
    from tests.support.e2e import browser_page, key_css, wait_until
    from workshop.store import Store

    with Store.open(demo_workspace) as s:
        ucs = s.list_use_cases("payroll-portal")
    first, second = ucs[0], ucs[1]
    assert first.status == second.status == "accepted"  # the demo: a reject is a visible change
    server = AppServer(demo_workspace).start()
    try:
        with browser_page(1600, 900) as page:
            page.goto(f"{server.url}/usecases?app=payroll-portal")
            wait_for_app(page)
            table = page.locator(key_css("uc_table")).locator('[data-testid="stDataFrameResizable"]')
            table.scroll_into_view_if_needed()
            b = table.bounding_box()
            for i in (0, 1):  # the row markers (the tick boxes at the left of each row)
                page.mouse.click(b["x"] + 18, b["y"] + 35 + 35 * i + 17)
                wait_for_app(page)
            opened = page.locator(key_css("uc_select")).locator("input")
            wait_until(lambda: second.title in opened.input_value(), what="the last clicked use case opened")
            assert page.get_by_role("button", name="Accept 2 selected").count() == 1
            reason = page.locator(key_css("uc_bulk_reason")).locator("input")
            reason.fill("Owners run this check themselves")
            reason.press("Tab")
            wait_for_app(page)
            page.locator(key_css("uc_bulk_reject")).get_by_role("button").click()
            wait_for_app(page)

            def rejected() -> bool:
                with Store.open(demo_workspace) as s:
                    by_id = {u.template_id: u.status for u in s.list_use_cases("payroll-portal")}
                return by_id[first.template_id] == by_id[second.template_id] == "rejected"

            wait_until(rejected, what="both clicked use cases rejected")
            with Store.open(demo_workspace) as s:
                others = [u for u in s.list_use_cases("payroll-portal") if u.template_id not in
                          (first.template_id, second.template_id)]  # fmt: skip
                history = s.use_case_history("payroll-portal", first.template_id)
            assert sum(u.status == "rejected" for u in others) == 1  # the demo's own rejected one, no more
            assert any(e.reason == "Owners run this check themselves" for e in history), history
            page.screenshot(path=str(ARTIFACTS / "usecases-bulk-rejected.png"))
    finally:
        server.stop()
