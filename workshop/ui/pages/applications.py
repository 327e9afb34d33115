"""Applications: list, create, edit and select; the demo is one click away."""

from __future__ import annotations

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.interview.model import CRITICALITIES, PLATFORMS, Application
from workshop.services import applications
from workshop.services import interview as interviews
from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE
from workshop.services.demo import DEMO_SLUG, create_demo
from workshop.ui import state
from workshop.ui.text import md


def _load_demo() -> None:
    s = state.store()
    with st.spinner("Loading the demo application..."):
        app, _ = create_demo(s, state.catalogue())
    state.select_app(app.slug)
    st.toast(f"Loaded {md(app.name)}", icon=":material/check_circle:")


def _profile_form(key: str, app: Application | None) -> dict | None:
    """The profile fields; returns them when the form is submitted."""
    with st.form(key, border=True):
        name = st.text_input(
            "Name", value=app.name if app else "", placeholder="e.g. Claims Portal", key=f"{key}:name"
        )
        owner = st.text_input("Business owner", value=app.owner if app else "", key=f"{key}:owner")
        crit = st.selectbox(
            "Criticality",
            CRITICALITIES,
            index=CRITICALITIES.index(app.criticality if app else "medium"),
            key=f"{key}:crit",
        )
        description = st.text_area(
            "What it is for", value=app.description if app else "", height=90, key=f"{key}:description"
        )
        platforms = st.multiselect(
            "Platforms",
            PLATFORMS,
            default=[p for p in (app.platforms if app else ()) if p in PLATFORMS],
            help="ATT&CK platforms the application runs on or relies on; they steer technique suggestions.",
            key=f"{key}:platforms",
        )
        submitted = st.form_submit_button("Save" if app else "Create application", type="primary")
    if not submitted:
        return None
    return {
        "name": name,
        "owner": owner,
        "criticality": crit,
        "description": description,
        "platforms": platforms,
    }


def _create(fields: dict) -> None:
    try:
        app = applications.create_application(state.store(), fields)
    except WorkshopError as exc:
        st.error(md(str(exc)))
        return
    state.select_app(app.slug)
    st.session_state["show_new_form"] = False
    st.toast(f"Created {md(app.name)}", icon=":material/check_circle:")
    st.rerun()


def _start_workshop(app: Application) -> None:
    s = state.store()
    cat = state.catalogue()
    if interviews.latest_interview(s, app.slug) is None:
        q = (
            cat.get(DEFAULT_QUESTIONNAIRE)
            if DEFAULT_QUESTIONNAIRE in cat.questionnaires
            else next(iter(cat.questionnaires.values()))
        )
        interviews.start_interview(s, app.slug, q)
    state.select_app(app.slug)
    state.go("workshop")


def render() -> None:
    st.title("Applications")
    state.show_pending_error()
    s = state.store()
    apps = applications.list_applications(s)

    if not apps:
        st.markdown(
            "Monitor the applications no vendor writes rules for: interview the team that owns one, "
            "then turn the answers into detection use cases, baselines and rule drafts."
        )
        c1, c2 = st.columns(2)
        with c1.container(border=True):
            st.markdown("#### See a finished workshop")
            st.caption("A payroll portal with a completed interview, to explore every page.")
            if st.button("Load the demo application", type="primary", icon=":material/play_circle:"):
                _load_demo()
                st.rerun()
        with c2.container(border=True):
            st.markdown("#### Start your own")
            st.caption("Create an application profile, then run the interview.")
            if st.button("New application", icon=":material/add:"):
                st.session_state["show_new_form"] = True
        if st.session_state.get("show_new_form"):
            fields = _profile_form("new_app", None)
            if fields:
                _create(fields)
        return

    selected = state.selected_slug()
    rows = []
    for a in apps:
        last = interviews.latest_interview(s, a.slug)
        rows.append({
            "Application": a.name,
            "Slug": a.slug,
            "Criticality": a.criticality,
            "Owner": a.owner,
            "Last workshop": last.held_on if last else "",
            "Selected": "●" if a.slug == selected else "",
        })  # fmt: skip
    st.dataframe(rows, hide_index=True, width="stretch")

    left, right = st.columns([3, 2])
    with left:
        names = {a.slug: a.name for a in apps}
        slugs = list(names)
        state.app_picker_state("apps_page_select", slugs)
        st.selectbox(
            "Work on",
            slugs,
            format_func=lambda x: f"{names[x]} ({x})",
            placeholder="Choose an application",
            key="apps_page_select",
            on_change=state.pick_app,
            args=("apps_page_select",),
        )
        app = state.selected_app()
        if app is not None:
            b1, b2 = st.columns(2)
            if b1.button("Open the workshop", type="primary", icon=":material/forum:"):
                _start_workshop(app)
            if b2.button("Review answers", icon=":material/checklist:"):
                state.go("review")
            with st.expander(f"Edit {md(app.name)}'s profile"):
                fields = _profile_form(f"edit_{app.slug}", app)
                if fields:
                    applications.update_application(s, app.slug, fields)
                    st.toast("Profile saved", icon=":material/check_circle:")
                    st.rerun()
    with right:
        with st.expander("New application", expanded=bool(st.session_state.get("show_new_form"))):
            fields = _profile_form("new_app", None)
            if fields:
                _create(fields)
        if applications.find_application(s, DEMO_SLUG) is None and st.button("Load the demo application"):
            _load_demo()
            st.rerun()


if __name__ == "__main__":  # run as a page by st.navigation
    render()
