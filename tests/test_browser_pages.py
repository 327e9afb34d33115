"""In a real browser: the pages after the workshop at a desk size and at a presenter size.

Each page (Use cases, Baselines, ATT&CK, Export, Hand-offs, Drills, Portfolio) is loaded on the demo at
1600x900 and at 1280x720 zoomed to 125% (what a shared screen shows), screenshotted into
``test-artifacts/`` for a person to look at, and every request it makes is recorded: any
request not to the app's own address fails the test (issue 18).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.e2e import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DEFAULT_TIMEOUT,
    AppServer,
    chromium_path,
    wait_for_app,
    wait_for_scroll_to_settle,
)
from tests.support.requests_log import RequestLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ("usecases", "baselines", "attack", "export", "handoffs", "drills", "portfolio")
#: name -> (viewport width, height, zoom). The presenter size is 1280x720 at 125%: 1024x576 CSS pixels.
SIZES = {"desk": (1600, 900, 1.0), "presenter": (1024, 576, 1.25)}


#: [table width, room] of every static table (st.table) wider than the room it has.
TABLES_WIDER_THAN_PAGE = """() => [...document.querySelectorAll('[data-testid="stTable"]')]
    .map(t => [t.querySelector('table').scrollWidth, t.clientWidth]).filter(([w, room]) => w > room + 1)"""


def _full_screenshot(page, path: Path) -> None:
    """The whole page, to look at: Streamlit scrolls inside its main area, so ``full_page`` gives only
    the window; the window is made as tall as the page for this one picture."""
    viewport = page.viewport_size
    tall = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size(
        {"width": viewport["width"], "height": max(viewport["height"], min(int(tall), 12_000))}
    )
    try:
        wait_for_app(page)  # a taller window redraws the grids and charts
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)


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
                page.set_default_timeout(DEFAULT_TIMEOUT)
                log = RequestLog(page, server.url)
                for name in PAGES:
                    page.goto(f"{server.url}/{name}?app=payroll-portal")
                    wait_for_app(page)
                    page.wait_for_timeout(800)
                    errors = page.locator('[data-testid="stException"]').count()
                    if errors:
                        problems.append(f"{name}: {errors} exception(s) shown")
                    # A table of whole cells fits the page: a long identifier breaks rather than
                    # pushing the last column out of view (Hand-offs at presenter size).
                    wide = page.evaluate(TABLES_WIDER_THAN_PAGE)
                    if wide:
                        problems.append(f"{name}: table(s) wider than the page {wide}")
                    page.screenshot(path=str(ARTIFACTS / f"pages-{name}-{size}.png"), full_page=False)
                    _full_screenshot(page, ARTIFACTS / f"pages-{name}-{size}-full.png")
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
    from playwright.sync_api import expect

    from tests.support.e2e import browser_page, key_css, rerun, wait_until
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
            for i in (0, 1):  # the row markers (the tick boxes at the left of each row)
                table.scroll_into_view_if_needed()
                wait_for_scroll_to_settle(page)
                b = table.bounding_box()  # read again: the click goes to coordinates, where the table is now
                rerun(page, lambda b=b, i=i: page.mouse.click(b["x"] + 18, b["y"] + 35 + 35 * i + 17))
            opened = page.locator(key_css("uc_select")).locator("input")
            wait_until(lambda: second.title in opened.input_value(), what="the last clicked use case opened")
            expect(page.get_by_role("button", name="Accept 2 selected")).to_have_count(1, timeout=DEFAULT_TIMEOUT)
            reason = page.locator(key_css("uc_bulk_reason")).locator("input")
            reason.fill("Owners run this check themselves")
            rerun(page, lambda: reason.press("Tab"))
            rerun(page, page.locator(key_css("uc_bulk_reject")).get_by_role("button").click)

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


#: Where the reader is: the scroll position of Streamlit's main area (the page itself does not scroll).
SCROLL_TOP = "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop"
#: A first load and the rule tests are long runs on a loaded machine: waits on them allow this (ms).
LONG_RUN = 180_000


def _centre(locator) -> None:
    """Scroll the page so ``locator`` is in the middle of the window, as a reader would before clicking it
    (a click on an element out of view would scroll it in, and hide the scroll the app causes).

    Done again, in the browser, until the element is in the window and has not moved for 10 frames:
    a scroll made while an expander is still opening (slowly, on a loaded machine) is clamped by the
    page's height at that moment and can leave the element below the window once it has opened."""
    locator.page.wait_for_function(
        """(e) => new Promise((done) => {
            let last = null, same = 0;
            const step = () => {
                const r = e.getBoundingClientRect();
                if (!(r.top >= 0 && r.bottom <= innerHeight)) { e.scrollIntoView({block: 'center'}); same = 0; }
                else { same = last !== null && r.top === last ? same + 1 : 0; }
                last = r.top;
                if (same >= 10) done(true); else requestAnimationFrame(step);
            };
            e.scrollIntoView({block: 'center'});
            requestAnimationFrame(step);
        })""",
        arg=locator.element_handle(),
    )
    wait_for_scroll_to_settle(locator.page)


def _selected_tab(page) -> list[str]:
    return page.locator('[data-testid="stTab"][aria-selected="true"]').all_inner_texts()


def _assert_place_kept(page, before: float, tab: str, what: str, control=None) -> None:
    """The reader's place after an action: the page did not jump back to the top (nor to the tab bar),
    the same tab is open, and the control just used (where it is still drawn) is still in the window.

    The failure this guards against is a jump back up (to 0, or to the tab bar). A message drawn above
    the reader moves the content down by its height, and the browser's scroll anchoring may follow it
    (the scroll grows by that height, 215 px for a two-line message in one CI run) or not. So the
    scroll may not go back up by more than 200 px, nor down by more than half the window; where the
    control just used is still drawn, it must be in the window, which is what the reader sees."""
    after = wait_for_scroll_to_settle(page)  # the browser's scroll anchoring may still be moving it
    height = page.viewport_size["height"]
    assert before - 200 <= after <= before + height / 2, f"{what}: scrolled from {before} to {after}"
    assert _selected_tab(page) == [tab], f"{what}: tab {_selected_tab(page)} instead of {tab}"
    if control is not None:
        box = control.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (
            f"{what}: {box} out of view"
        )


def test_actions_keep_the_tab_and_the_scroll_position(demo_workspace: Path) -> None:
    """A detection engineer far down a page uses a threshold, switches a tab, sets a status, accepts,
    and tests the rules: after each the page stays where it was, on the same tab (issue 18).

    The cause was the element tree, not the scroll: a message appearing at the top moved every
    element below it one place, so Streamlit drew them anew (expanders closed, the page shrank,
    the browser clamped the scroll to the top); a threshold's expander was named by its label,
    which the action changes."""
    from tests.support.e2e import browser_page, key_css, rerun, wait_until
    from workshop.store import Store

    slug = "payroll-portal"

    def status(tid: str) -> str:
        with Store.open(demo_workspace) as s:
            return next(u.status for u in s.list_use_cases(slug) if u.template_id == tid)

    server = AppServer(demo_workspace).start()
    try:
        with browser_page(1600, 900) as page:
            page.set_default_timeout(60_000)
            # Baselines: "Use ..." on the last threshold whose value still comes from an answer or a default.
            page.goto(f"{server.url}/baselines?app={slug}")
            wait_for_app(page, LONG_RUN)
            rerun(page, page.get_by_role("tab", name="Thresholds").click, LONG_RUN)
            boxes = page.locator('[data-testid="stTabPanel"]:not([hidden]) [data-testid="stExpander"]')
            labels = [boxes.nth(i).locator("summary").inner_text() for i in range(boxes.count())]
            candidates = [
                i for i, text in enumerate(labels) if text.rstrip().endswith(("(answer)", "(default)"))
            ]
            assert len(candidates) > 3, labels  # far enough down the tab to scroll
            box = boxes.nth(candidates[-1])
            box.locator("summary").click()  # opening an expander does not rerun
            use = box.get_by_role("button", name="Use ").first
            use.wait_for()
            _centre(use)
            before = page.evaluate(SCROLL_TOP)
            assert before > 300, before  # the action is far down the page
            rerun(page, use.click, LONG_RUN)
            box.get_by_text("(baseline").first.wait_for()  # the label now names where the value comes from
            _assert_place_kept(page, before, "Thresholds", "Baselines: Use a proposed threshold", use)

            # Use cases: the first use case (accepted in the demo), its Rule tab, far down the page.
            page.goto(f"{server.url}/usecases?app={slug}")
            wait_for_app(page, LONG_RUN)
            tid = "leaver-account-used"
            assert status(tid) == "accepted"
            tab = page.get_by_role("tab", name="Rule")
            _centre(tab)
            before = page.evaluate(SCROLL_TOP)
            assert before > 300, before
            rerun(page, tab.click, LONG_RUN)
            _assert_place_kept(page, before, "Rule", "Use cases: switch to the Rule tab", tab)

            for button, expected in ((f"ucmovebtn:{tid}", "proposed"), (f"accept:{tid}", "accepted")):
                control = page.locator(key_css(button)).get_by_role("button")
                _centre(control)
                before = page.evaluate(SCROLL_TOP)
                rerun(page, control.click, LONG_RUN)
                wait_until(lambda e=expected: status(tid) == e, what=f"{tid} {expected}")
                _assert_place_kept(page, before, "Rule", f"Use cases: {button}")

            run = page.locator(key_css(f"runtests:{tid}")).get_by_role("button")
            _centre(run)
            before = page.evaluate(SCROLL_TOP)
            rerun(page, run.click, LONG_RUN)
            page.get_by_text("Tested ").first.wait_for()  # the outcome, in numbers (and in a toast)
            _assert_place_kept(page, before, "Rule", "Use cases: test the rules", run)
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / "usecases-place-kept.png"))
    finally:
        server.stop()
