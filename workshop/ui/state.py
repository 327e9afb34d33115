"""What every page shares: the store, the questionnaires, the selected application.

State that must survive reruns and page switches lives in the store or in plain
session keys (never only in widget keys, which Streamlit drops when a widget is not
drawn). The selected application and presenter mode are mirrored in the URL's query
parameters, so a reload keeps them.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from workshop.core.errors import StaleEditError, ValidationErrors, WorkshopError
from workshop.core.workspace import questionnaire_dirs, resolve_workspace
from workshop.interview.model import Application
from workshop.questionnaire import Catalogue
from workshop.services.applications import find_application
from workshop.services.catalogues import load_questionnaires
from workshop.services.workspace import Store, open_store

log = logging.getLogger("workshop.ui")

APP_KEY = "selected_app"
PRESENTER_KEY = "presenter_mode"


@st.cache_resource(show_spinner=False)
def _store(workspace: str, db_url: str | None) -> Store:
    return open_store(workspace, db_url)


def store() -> Store:
    import os

    return _store(str(resolve_workspace()), os.environ.get("WORKSHOP_DB_URL"))


def _mtimes(workspace: Path) -> tuple:
    stamps = []
    for d in questionnaire_dirs(workspace):
        if d.is_dir():
            stamps += [(str(p), p.stat().st_mtime_ns) for p in sorted(d.glob("*.yaml"))]
    return tuple(stamps)


@st.cache_resource(show_spinner=False, max_entries=4)
def _catalogue(workspace: str, stamps: tuple) -> Catalogue:
    return load_questionnaires(Path(workspace))


def catalogue() -> Catalogue:
    """Questionnaires, reloaded when a file in the folders changes."""
    ws = resolve_workspace()
    return _catalogue(str(ws), _mtimes(ws))


def selected_slug() -> str | None:
    slug = st.session_state.get(APP_KEY)
    if slug is None:
        slug = st.query_params.get("app")
        if slug:
            st.session_state[APP_KEY] = slug
    return slug


def sync_url() -> None:
    """Put the selection back into the URL: page switches drop query parameters,
    and a reload must find the same application (and presenter mode) again."""
    slug = st.session_state.get(APP_KEY)
    if slug and st.query_params.get("app") != slug:
        st.query_params["app"] = slug
    if st.session_state.get(PRESENTER_KEY) and st.query_params.get("presenter") != "1":
        st.query_params["presenter"] = "1"


def select_app(slug: str | None) -> None:
    st.session_state[APP_KEY] = slug
    if slug:
        st.query_params["app"] = slug
    elif "app" in st.query_params:
        del st.query_params["app"]


def app_picker_state(widget_key: str, slugs: list[str]) -> None:
    """Make an application picker show the one selection before it is drawn.

    Two pickers (sidebar and Applications page) each kept their own widget value and
    each pushed it into the selection when it differed: after a change in one, the
    other pushed the old slug back, and so on forever (URL flipping, server at 100%).
    The selection (``APP_KEY``) is the single source of truth; pickers only mirror it
    and change it through their callback (:func:`pick_app`)."""
    current = selected_slug()
    st.session_state[widget_key] = current if current in slugs else None


def pick_app(widget_key: str) -> None:
    """on_change of an application picker: its new value becomes the selection."""
    choice = st.session_state.get(widget_key)
    if choice:
        select_app(choice)


def selected_app() -> Application | None:
    slug = selected_slug()
    if not slug:
        return None
    app = find_application(store(), slug)
    if app is None:
        select_app(None)
    return app


def presenter_mode() -> bool:
    if PRESENTER_KEY not in st.session_state:
        st.session_state[PRESENTER_KEY] = st.query_params.get("presenter") == "1"
    return bool(st.session_state[PRESENTER_KEY])


def set_presenter_mode(on: bool) -> None:
    st.session_state[PRESENTER_KEY] = on
    if on:
        st.query_params["presenter"] = "1"
    elif "presenter" in st.query_params:
        del st.query_params["presenter"]


def mark_saved() -> None:
    st.session_state["saved_at"] = dt.datetime.now().strftime("%H:%M:%S")
    st.session_state.pop("save_error", None)


def report_error(exc: BaseException, where: str = "") -> None:
    """Keep an error to show on the next draw; never a traceback in the page."""
    if isinstance(exc, ValidationErrors):
        message = "\n".join(str(e) for e in exc.errors)
    elif isinstance(exc, WorkshopError):
        message = str(exc)
    else:
        log.error("unexpected error %s\n%s", where, "".join(traceback.format_exception(exc)))
        message = (
            f"Something went wrong{' while ' + where if where else ''}: {type(exc).__name__}. "
            "Your saved answers are safe; the details are in the server log."
        )
    st.session_state["save_error"] = message
    st.session_state.pop("saved_at", None)  # never "All changes saved" beside a failed save


def safe_callback(where: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a widget callback so a failure becomes a message, not a traceback."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except StaleEditError as exc:
                report_error(exc, where)
                st.session_state["stale"] = True
            except Exception as exc:
                report_error(exc, where)
            return None

        return wrapper

    return deco


def show_pending_error() -> None:
    message = st.session_state.get("save_error")
    if message:
        from workshop.ui.text import md

        st.error(md(message), icon=":material/error:")


def require_app() -> Application | None:
    """The selected application, or a prompt to choose one (and None)."""
    app = selected_app()
    if app is None:
        st.title("No application selected")
        st.info("Choose or create an application first.", icon=":material/apps:")
        link("applications", "Go to Applications", ":material/apps:")
    return app


#: st.Page objects by name, filled in by main() so pages can link to each other.
PAGES: dict[str, Any] = {}


def _params() -> dict[str, str]:
    return {
        k: v for k, v in (("app", selected_slug()), ("presenter", "1" if presenter_mode() else None)) if v
    }


def link(page: str, label: str, icon: str | None = None, where: Any = None) -> None:
    """A link to another page that keeps the selected application in the URL."""
    (where or st).page_link(PAGES[page], label=label, icon=icon, query_params=_params())


def go(page: str) -> None:
    st.switch_page(PAGES[page], query_params=_params())


def current_user() -> str:
    """The signed-in person (when the app runs behind Streamlit's OIDC login), else ''."""
    try:
        user = st.user
        if user.get("is_logged_in"):
            return str(user.get("email") or user.get("name") or "")
    except Exception:  # noqa: S110 - no login configured: there is no signed-in identity
        pass
    return ""


def who() -> str:
    """Who to record in histories: the signed-in person, else a generic role."""
    return current_user() or "facilitator"


def login_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (OIDC login for a team)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def require_login() -> bool:
    """With login configured, stop anonymous visitors at a sign-in screen; True when allowed in."""
    if not login_configured():
        return True
    if st.user.get("is_logged_in"):
        return True
    st.title("Use-Case Workshop")
    st.markdown(
        "This workspace is shared by a team. Sign in to continue; your name is recorded with every change."
    )
    st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
    return False
