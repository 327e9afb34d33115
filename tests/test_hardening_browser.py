"""In a real browser: hostile names and answers make no request to another address.

Markdown in Streamlit elements could load a remote image (``![x](http://...)``) when a
page is viewed; every request a page load makes is recorded, and any request not to the
app's own address fails the test (issue 14, item 8).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.e2e import AppServer, browser_page, wait_for_app
from workshop.interview.model import Application
from workshop.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EVIL = "http://127.0.0.9:9"
NAME = f"Pay ![x]({EVIL}/name.png) [link]({EVIL}/l) {EVIL}/bare www.evil.example"
PERSON = f"Sam ![p]({EVIL}/person.png) <img src={EVIL}/i.png>"


def test_no_page_requests_another_address_with_hostile_data(workspace: Path) -> None:
    from workshop.services.catalogues import load_questionnaires

    with Store.open(workspace) as s:
        s.create_application(Application(slug="evil", name=NAME, owner=PERSON, description=f"![d]({EVIL}/d.png)"))
        q = load_questionnaires(workspace).questionnaires["in-house-application"]
        iid = s.create_interview("evil", q.id, q.version, facilitator=PERSON).id
        s.save_answer(iid, "purpose.summary", f"Summary ![s]({EVIL}/answer.png) {EVIL}/x")
    server = AppServer(workspace).start()
    foreign: list[str] = []
    try:
        with browser_page() as page:
            def record(request) -> None:
                url = request.url
                if not (url.startswith(server.url) or url.startswith(("data:", "blob:", "about:"))):
                    foreign.append(url)

            page.on("request", record)
            for path in ("applications", "workshop", "review", "usecases", "baselines", "attack", "export"):
                page.goto(f"{server.url}/{path}?app=evil")
                wait_for_app(page)
                page.wait_for_timeout(500)
                links = page.eval_on_selector_all(
                    '[data-testid="stMain"] a[href], [data-testid="stSidebar"] a[href]', "els => els.map(e => e.href)"
                )
                assert not [h for h in links if "127.0.0.9" in h or "evil.example" in h], (path, links)
    finally:
        server.stop()
    assert foreign == [], sorted(set(foreign))
