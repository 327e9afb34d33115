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
