"""Opening a page of the app in Streamlit's AppTest (no browser)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"


def open_page(
    page: str | None = None,
    slug: str | None = "payroll-portal",
    *,
    presenter: bool = False,
    timeout: float = 120,
) -> AppTest:
    """Run the app (with ``?app=slug``), switch to ``page`` and check that nothing raised.

    ``timeout`` is Streamlit's per-run limit: it stops a hanging page, it is not a speed claim
    (the demo's pages are slow to draw on a loaded machine).
    """
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if slug:
        at.query_params["app"] = slug
    if presenter:
        at.query_params["presenter"] = "1"
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
