"""Hand-offs: the logging the developers must add, and the detection package for the engineers."""

from __future__ import annotations

import tempfile

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.ui import state
from workshop.ui.text import md

FORMATS = {"md": ("Markdown", "text/markdown"), "html": ("HTML", "text/html"),
           "csv": ("Tickets (CSV)", "text/csv"), "json": ("Tickets (JSON)", "application/json")}  # fmt: skip


def _bundle() -> str | None:
    from workshop.core.workspace import resolve_workspace
    from workshop.services import settings

    return settings.load(resolve_workspace()).get("attack_bundle") or None


def _logging(app) -> None:
    from workshop.services.logging_requirements import requirements_for
    from workshop.usecases.logging_requirements import render, status_text

    st.subheader("Logging requirements for the developers")
    st.caption(
        "Every event the use cases need, under the application's own name and the OWASP Logging Vocabulary "
        "name, with the fields in ECS, OCSF and OpenTelemetry, why it is needed (use cases, the owners' "
        "worries) and the event that must appear once it is done. Tickets: one per missing or incomplete event."
    )
    with st.spinner("Reading the use cases, their rules and the kept sample..."):
        reqs = requirements_for(state.store(), app.slug, _bundle())
    c1, c2 = st.columns(2)
    c1.metric("Events to add or complete", len(reqs.requirements))
    c2.metric("Already logged as needed", len(reqs.satisfied))
    if reqs.requirements:
        # A table, not a grid: event names and the use cases they unblock are shown whole, at any size.
        # Its cells are Markdown: the owners' event names are escaped, and "no name" is a word (a lone
        # "-" is drawn as a bullet).
        st.table(
            [{"Event": e.label, "What is missing": status_text(e.status), "Logged as": md(e.action),
              "OWASP": e.owasp or "none", "Use cases": ", ".join(e.blocked_use_cases)} for e in reqs.requirements],
            hide_index=True,
        )  # fmt: skip
    else:
        st.success("Every event the detections need is logged with the fields they read.")
    cols = st.columns(len(FORMATS))
    for col, (fmt, (label, mime)) in zip(cols, FORMATS.items(), strict=True):
        col.download_button(label, render(reqs, fmt), file_name=f"{app.slug}-logging-requirements.{fmt}",
                            mime=mime, key=f"lr_download:{fmt}")  # fmt: skip
    with st.expander("The document", icon=":material/description:"):
        st.iframe(render(reqs, "html"), height=520)  # our own escaped document, in a sandboxed frame


def _package(app) -> None:
    from workshop.services.package_import import apply_changes, extract_package, package_changes, package_zip

    st.subheader("Detection package for the detection engineers")
    st.caption(
        "A folder to keep in git: Sigma rules, pySigma pipelines, queries, documents, test events per rule "
        "(benign ones from the kept sample), run_tests.py (stock pySigma and SQLite) and a CI workflow."
    )
    if st.button("Prepare the package", key="pk_prepare", type="primary"):
        with st.spinner("Building the rules, their tests and the documents..."):
            st.session_state["pk_zip"] = (
                app.slug,
                *package_zip(state.store(), state.catalogue(), app.slug, _bundle()),
            )
    made = st.session_state.get("pk_zip")
    if made and made[0] == app.slug:
        st.download_button(f"Download {made[1]}", made[2], file_name=made[1], mime="application/zip",
                           key="pk_download")  # fmt: skip
    st.markdown("**Read edits back** (thresholds, windows, lists, status)")
    upload = st.file_uploader("The package folder, zipped", type=["zip"], key="pk_upload")
    if upload is None:
        return
    try:
        with tempfile.TemporaryDirectory(prefix="workshop-package-") as tmp:
            folder = extract_package(upload.getvalue(), tmp)
            slug, changes = package_changes(state.store(), folder, _bundle())
    except WorkshopError as exc:
        st.error(md(str(exc)))
        return
    if slug != app.slug:
        st.error(f"This package is for '{md(slug)}', not {md(app.name)}: choose that application first.")
        return
    if not changes:
        st.success("The package's rules match the toolkit's: nothing to change.")
        return
    st.dataframe([{"Use case": c.use_case, "What": c.field, "Now": str(c.old), "In the package": str(c.new),
                   "Applied here": "yes" if c.applies else "no", "Note": c.note} for c in changes],
                 hide_index=True, width="stretch")  # fmt: skip
    applicable = [c for c in changes if c.applies]
    if applicable and st.button(f"Apply {len(applicable)} change(s)", key="pk_apply", type="primary"):
        try:
            done = apply_changes(state.store(), app.slug, changes, who=state.who())
        except WorkshopError as exc:
            st.error(md(str(exc)))
            return
        st.success("Applied: " + md("; ".join(done)))


def render() -> None:
    st.title("Hand-offs")
    app = state.require_app()
    if app is None:
        return
    _logging(app)
    st.divider()
    _package(app)


if __name__ == "__main__":
    render()
