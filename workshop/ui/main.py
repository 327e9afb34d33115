"""The app shell: page setup, navigation, sidebar, presenter mode and the error boundary."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.core.fileio import sweep_stale_uploads
from workshop.services.applications import list_applications
from workshop.ui import state
from workshop.ui.text import md

PAGE_DIR = Path(__file__).resolve().parent / "pages"
#: Page files in workshop/ui/pages, in navigation order: name -> (title, icon).
PAGES = {
    "applications": ("Applications", ":material/apps:"),
    "workshop": ("Workshop", ":material/forum:"),
    "review": ("Review", ":material/checklist:"),
    "usecases": ("Use cases", ":material/shield:"),
    "baselines": ("Baselines", ":material/monitoring:"),
    "attack": ("ATT&CK", ":material/grid_view:"),
    "export": ("Export", ":material/download:"),
    "handoffs": ("Hand-offs", ":material/handshake:"),
    "drills": ("Drills", ":material/school:"),
    "portfolio": ("Portfolio", ":material/dashboard:"),
}

BASE_CSS = """
<style>
.block-container { padding-top: 2.2rem; }
div[data-testid="stVerticalBlockBorderWrapper"] { border-radius: 10px; }
div[data-testid="stColumn"]:has(div[class*="st-key-section-"]) { position: sticky; top: 3.8rem; align-self: flex-start; }
.uw-prompt { font-size: 1.08rem; font-weight: 600; margin-bottom: .2rem; }
.uw-unit { color: rgba(49, 51, 63, .6); font-size: .875rem; margin-bottom: .2rem; }
.uw-required { color: #b3261e; font-weight: 700; }
.uw-saved { color: #1b7f3b; font-size: .9rem; }
.stMultiSelect [data-baseweb="select"] > div:first-child { flex-wrap: wrap; overflow: visible; max-height: none; }
div[class*="st-key-section-"] button { justify-content: flex-start; text-align: left; padding: .25rem .6rem;
  min-height: 0; }
div[class*="st-key-section-"] button > div, div[class*="st-key-section-"] button [data-testid="stMarkdownContainer"]
  { justify-content: flex-start; text-align: left; width: 100%; }
div[class*="st-key-section-"] [data-testid="stVerticalBlock"] { gap: .15rem; }
div.stVerticalBlock[class*="st-key-qbox_"]:has(> .stElementContainer .uw-notes:not(.uw-below)) { display: grid;
  grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); grid-template-rows: repeat(7, auto) 1fr;
  column-gap: 1.5rem; row-gap: 0; align-items: start; }
div.stVerticalBlock[class*="st-key-qbox_"]:has(> .stElementContainer .uw-notes:not(.uw-below)) > *
  { grid-column: 1; margin-bottom: .8rem; }
div.stVerticalBlock[class*="st-key-qbox_"] > .stElementContainer:has(.uw-notes:not(.uw-below))
  { grid-column: 2; grid-row: 1 / -1; margin-bottom: 0; }
.uw-notes { background: #f4f7fc; border-left: 3px solid #1f5fbf; border-radius: 6px;
  padding: .55rem .8rem; font-size: .92rem; color: #34405a; }
.uw-notes p, .uw-notes li { font-size: .92rem; margin: 0 0 .35rem 0; }
.uw-notes ul { margin: 0 0 .35rem 0; padding-left: 1.2rem; }
/* the box of the workshop page's scroll-to-top script takes no room */
.st-key-uw-scroll-top, [data-testid="stLayoutWrapper"]:has(> .st-key-uw-scroll-top) { display: none; }
/* Tables show whole cells: a long identifier (employee.bank_details.update) may break, so a narrow
   screen squeezes no column out of view. */
[data-testid="stTable"] :is(td, th) p { overflow-wrap: anywhere !important; }
/* a filled table answer, shown to read until its editor is opened */
.uw-table { border-collapse: collapse; width: 100%; font-size: .95rem; margin: .2rem 0 .4rem 0; }
.uw-table :is(th, td) { border: 1px solid #d5dae3; padding: .3rem .55rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.uw-table th { background: #f4f7fc; font-weight: 600; }
</style>
"""

PRESENTER_CSS = """
<style>
[data-testid="stMain"] .stMarkdown p, [data-testid="stMain"] li, [data-testid="stMain"] label p,
[data-testid="stMain"] input, [data-testid="stMain"] textarea, [data-testid="stMain"] button p,
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.25rem !important; }
[data-testid="stMain"] h1 { font-size: 2.9rem !important; }
[data-testid="stMain"] h2 { font-size: 2.2rem !important; }
[data-testid="stMain"] .uw-prompt { font-size: 1.6rem !important; }
[data-testid="stMain"] .uw-unit, [data-testid="stMain"] .uw-notes p, [data-testid="stMain"] .uw-notes li,
[data-testid="stMain"] .uw-table { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stDataFrame"] { zoom: 1.3; }
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
</style>
"""


def _sidebar() -> None:
    s = state.store()
    apps = list_applications(s)
    with st.sidebar:
        st.markdown("### Use-Case Workshop")
        if apps:
            slugs = [a.slug for a in apps]
            names = {a.slug: a.name for a in apps}
            state.app_picker_state("sidebar_app", slugs)
            st.selectbox(
                "Application",
                slugs,
                format_func=lambda slug: f"{names.get(slug, slug)} ({slug})",  # names need not be unique
                placeholder="Choose an application",
                key="sidebar_app",
                on_change=state.pick_app,
                args=("sidebar_app",),
            )
        presenter = st.toggle(
            "Presenter mode",
            value=state.presenter_mode(),
            help="For screen sharing: hides facilitator notes and enlarges the text.",
        )
        if presenter != state.presenter_mode():
            state.set_presenter_mode(presenter)
        st.caption(f"Workspace: `{s.workspace}`")
        user = state.current_user()
        if user:
            st.caption(f"Signed in as {md(user)}")
            st.button("Sign out", on_click=st.logout, key="logout")


@st.cache_resource(show_spinner=False)
def _icon():
    """The tab icon, drawn here and served by the app itself: a Material icon name would make
    every browser fetch it from Google's font servers (a request to another address)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(img).polygon([(32, 4), (58, 14), (54, 42), (32, 60), (10, 42), (6, 14)], fill=(31, 95, 191, 255))
    return img


@st.cache_resource(show_spinner=False)
def _sweep_uploads_once() -> int:
    """Once per server start: delete copies of uploads left behind by a server that was killed."""
    return sweep_stale_uploads()


def main() -> None:
    _sweep_uploads_once()
    st.set_page_config(page_title="Use-Case Workshop", page_icon=_icon(), layout="wide")
    pages = {
        name: st.Page(
            PAGE_DIR / f"{name}.py", title=title, icon=icon, url_path=name, default=name == "applications"
        )
        for name, (title, icon) in PAGES.items()
    }
    state.PAGES.clear()
    state.PAGES.update(pages)
    st.html(BASE_CSS)
    if not state.require_login():
        st.navigation([pages["applications"]], position="hidden")
        return
    nav = st.navigation(list(pages.values()))
    try:
        _sidebar()
        state.sync_url()
        if state.presenter_mode():
            st.html(PRESENTER_CSS)  # hides the sidebar (workspace path, picker): the way out is here
            st.button("Leave presenter mode", key="leave_presenter", icon=":material/close_fullscreen:",
                      type="tertiary", on_click=state.set_presenter_mode, args=(False,))  # fmt: skip
        nav.run()
    except WorkshopError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    except Exception as exc:  # the last line of defence: a message, never a traceback
        if type(exc).__module__.startswith("streamlit"):
            raise  # Streamlit's own control flow (rerun, stop, switch_page)
        state.report_error(exc, "drawing the page")
        state.show_pending_error()
