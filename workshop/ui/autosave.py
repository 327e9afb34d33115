"""Text answers saved while they are typed, through a small local component.

Streamlit's ``text_input`` and ``text_area`` send their value only on blur or
Ctrl+Enter. The component in ``components/autosave`` (plain HTML and JS served by the
app, no download) watches the page's text fields and sends a field's text shortly
after the last keystroke; :func:`pending` hands that to the page to save, and
:func:`draw` acknowledges it so the badge turns from "saving..." to "saved" only once
the store has it. The Streamlit widgets stay as they are (blur still saves, tests and
keyboards work the same); the widget's own value is not overwritten while it is typed in.

The same frame carries ``gridkeys.js``: keys typed into a table (st.data_editor) before its
cell editor has opened, or after a redraw took the table's focus, are handed to the editor
instead of being dropped (see the comment at its top).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

KEY = "uw_autosave"
DONE_KEY = "uw_autosave_done"
DEBOUNCE_MS = 600

_component = components.declare_component(
    "uw_autosave", path=str(Path(__file__).resolve().parent / "components" / "autosave")
)


def css_class(widget_key: str) -> str:
    """The class Streamlit gives the element of a widget with this key."""
    return "st-key-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in widget_key)


def pending() -> dict[str, Any] | None:
    """The text sent since the last run, once (None when there is nothing new)."""
    event = st.session_state.get(KEY)
    if not isinstance(event, dict) or "cls" not in event:
        return None
    mark = {"sid": event.get("sid"), "seq": event.get("seq")}
    if st.session_state.get(DONE_KEY) == mark:
        return None
    st.session_state[DONE_KEY] = mark
    return event


def draw(watch: list[str], error: str = "") -> None:
    """Place the (invisible) component; ``watch`` are the CSS classes of the fields to send."""
    _component(
        watch=sorted(watch),
        ack=st.session_state.get(DONE_KEY) or {},
        error=error,
        debounce_ms=DEBOUNCE_MS,
        key=KEY,
        default=None,
    )
