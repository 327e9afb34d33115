"""Keeping the reader's place on a page across the rerun an action causes.

Streamlit keeps the browser's scroll position across a rerun, but the frontend matches the
elements of the new run to the old ones by their place in the page's element tree. An
element that appears above the reader only after an action (a "Saved" message at the top)
moves every element below it one place down: each is then drawn anew, expanders come back
closed, tables are measured again, the page is briefly shorter than the viewport, and the
browser clamps the scroll position to the top. So anything that comes and goes is drawn
into a slot that exists on every run, and the message of an action is also shown where
the reader is (a toast), not only at the top of the page.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

Kind = Literal["success", "info", "warning", "error"]
_ICONS = {"success": ":material/check_circle:", "info": ":material/info:",
          "warning": ":material/warning:", "error": ":material/error:"}  # fmt: skip


def message(msg: tuple[str, str] | str | None, kind: Kind = "success") -> None:
    """The outcome of the last action, in a slot drawn on every run (empty when there is none).

    ``msg`` is the text, or ``(kind, text)``. The toast repeats it where the reader is: an
    action far down the page keeps its place, and the banner at the top would go unseen.
    """
    slot = st.container()
    if not msg:
        return
    if isinstance(msg, tuple):
        kind, text = msg[0], msg[1]  # type: ignore[assignment]
    else:
        text = msg
    getattr(slot, kind)(text)
    st.toast(text, icon=_ICONS.get(kind))
