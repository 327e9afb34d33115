"""Export: documents, rules, conversions, layers, bundles and the backlog, previewed and downloaded."""

from __future__ import annotations

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.core.workspace import resolve_workspace
from workshop.services import settings
from workshop.services.exports import EXPORTERS, ExportRequest, everything
from workshop.ui import state
from workshop.ui.text import md

LABELS = {
    "markdown": "Use-case document and analyst brief (Markdown)",
    "html": "Use-case document and analyst brief (HTML, printable)",
    "sigma": "Sigma rules",
    "splunk": "Splunk SPL",
    "kql": "Microsoft Sentinel KQL",
    "esql": "Elastic ES|QL",
    "lucene": "Elastic Lucene",
    "navigator": "ATT&CK Navigator layer",
    "stix": "STIX 2.1 bundle",
    "analytics": "ATT&CK v18 analytics and coverage per technique (STIX 2.1, Markdown, JSON)",
    "package": "Detection package: rules, pipelines, test events, test runner, CI (a folder for git)",
    "csv": "Backlog CSV (for a ticket tracker)",
}
LANG = {".md": "markdown", ".yml": "yaml", ".yaml": "yaml", ".json": "json", ".csv": None, ".html": "html", ".spl": None,
        ".kql": None, ".txt": None}  # fmt: skip
PREVIEW_LIMIT = 30_000
PREVIEW_HEIGHT = 520  # px: the download buttons stay in sight above it


def _request(slug: str | None) -> ExportRequest:
    bundle = settings.load(resolve_workspace()).get("attack_bundle") or None
    return ExportRequest(state.store(), state.catalogue(), slug, attack_bundle=bundle)


def _pipelines(app) -> None:
    """Edit how the application's field names map to each SIEM's (pySigma processing pipelines)."""
    from workshop.rules.pipelines import SIEMS
    from workshop.services.rules import pipeline_for, reset_pipeline, save_pipeline

    with st.expander(f"Field mappings for {md(app.name)} (processing pipelines)", icon=":material/tune:"):
        st.caption(
            "Each SIEM names fields its own way (ECS in Elastic, table columns in Sentinel). The pipeline maps "
            f"{md(app.name)}'s field names to them; it is saved for this application and SIEM."
        )
        msg = st.session_state.pop("pl_message", None)
        if msg:
            st.success(msg)
        siem = st.segmented_control("SIEM", list(SIEMS), default="splunk", key="pl_siem")
        if not siem:
            return
        s = state.store()
        current = pipeline_for(s, app.slug, siem)
        st.caption(f"{'Saved' if current.source == 'saved' else 'Default'} pipeline" +
                   (f", last changed by {md(current.updated_by or 'someone')} at {current.updated_at}" if current.updated_at else ""))  # fmt: skip
        text = st.text_area("Pipeline (YAML)", value=current.text, height=260, key=f"pl_text:{siem}")
        c1, c2 = st.columns(2)
        if c1.button("Save pipeline", key=f"pl_save:{siem}", type="primary"):
            try:
                save_pipeline(s, app.slug, siem, text, who=state.who())
            except WorkshopError as exc:
                st.error(md(str(exc)))
            else:
                st.session_state.pop("ex_files", None)
                st.session_state["pl_message"] = f"{siem} pipeline saved; conversions now use it."
                st.rerun()
        if current.source == "saved" and c2.button("Back to the default", key=f"pl_reset:{siem}"):
            reset_pipeline(s, app.slug, siem)
            st.session_state.pop(f"pl_text:{siem}", None)
            st.rerun()


def _what_is_exported(slug: str | None) -> None:
    """Say which use cases the files hold: only adopted ones (accepted, implemented, tested)."""
    from workshop.services.usecases import list_use_cases
    from workshop.vocab import ADOPTED, STATUSES

    ucs = list_use_cases(state.store(), slug)
    adopted = [u for u in ucs if u.status in ADOPTED]
    words = ", ".join(x for x in STATUSES if x in ADOPTED)
    left = len(ucs) - len(adopted)
    text = f"Exported: the use cases someone decided to build ({words}), **{len(adopted)} of {len(ucs)}**."
    (st.info if adopted else st.warning)(text, icon=":material/filter_alt:")
    if left:
        st.caption(f"The other {left} (proposed, rejected or retired) are left out of documents and rules until "
                   "accepted on the Use cases page; the Navigator layer shows proposed ones, the backlog CSV all.")  # fmt: skip


def _preview(name: str, content: str | bytes) -> None:
    """A rendered preview in a box of fixed height: documents as they will read, other files as text."""
    from workshop.usecases.documents import to_html

    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    suffix = name[name.rfind(".") :] if "." in name else ""
    shown = text if len(text) <= PREVIEW_LIMIT else text[:PREVIEW_LIMIT] + "\n... (truncated in the preview)"
    if suffix == ".html":
        st.iframe(text, height=PREVIEW_HEIGHT)  # our own document, in a sandboxed frame
    elif suffix == ".md":
        st.iframe(to_html(text, name, toc=False), height=PREVIEW_HEIGHT)
    else:
        with st.container(height=PREVIEW_HEIGHT, key="ex_preview_box"):
            st.code(shown, language=LANG.get(suffix), line_numbers=False)


def render() -> None:
    st.title("Export")
    app = state.selected_app()
    if app is not None:
        _pipelines(app)
    scopes = (["application"] if app else []) + ["portfolio"]
    scope = st.radio("What to export", scopes, horizontal=True, key="ex_scope",
                     format_func=lambda s: md(app.name) if s == "application" and app else "Every application")  # fmt: skip
    slug = app.slug if scope == "application" and app else None
    _what_is_exported(slug)
    formats = st.multiselect("Formats", [f for f in LABELS if f in EXPORTERS], default=["markdown", "sigma", "splunk"],
                             format_func=LABELS.__getitem__, key="ex_formats")  # fmt: skip
    if st.button("Prepare the files", type="primary", key="ex_prepare", disabled=not formats):
        files: dict[str, str | bytes] = {}
        problems: dict[str, str] = {}
        with st.status("Building exports...", expanded=False) as status:
            req = _request(slug)
            for fmt in formats:
                st.write(LABELS[fmt])
                try:
                    files.update(EXPORTERS[fmt](req))
                except WorkshopError as exc:
                    problems[fmt] = str(exc)
            status.update(label=f"{len(files)} file(s) ready", state="complete")
        st.session_state["ex_files"] = files
        st.session_state["ex_problems"] = problems
        st.session_state["ex_key"] = (slug, tuple(formats))
    files = st.session_state.get("ex_files") or {}
    if not files or st.session_state.get("ex_key") != (slug, tuple(formats)):
        st.caption("Choose the formats, then prepare the files to preview and download them.")
        return
    for fmt, why in (st.session_state.get("ex_problems") or {}).items():
        st.error(f"{LABELS.get(fmt, fmt)}: {md(why)}")
    names = sorted(files)
    name = st.selectbox("Preview", names, key="ex_preview")
    content = files[name]
    c1, c2 = st.columns(2)
    _preview(name, content)
    c1.download_button(f"Download {name}", content, file_name=name, key="ex_download_one")
    if c2.button("Prepare one zip of everything", key="ex_zip"):
        with st.spinner("Building the zip (documents, rules, conversions, layer, bundle, CSV, manifest)..."):
            st.session_state["ex_zip_data"] = everything(_request(slug))
            st.session_state["ex_zip_scope"] = slug
    zipped = st.session_state.get("ex_zip_data")
    if zipped and st.session_state.get("ex_zip_scope") == slug:  # never offer another scope's zip
        zname, zdata = next(iter(zipped.items()))
        c2.download_button(
            f"Download {zname}", zdata, file_name=zname, mime="application/zip", key="ex_download_zip"
        )


if __name__ == "__main__":
    render()
