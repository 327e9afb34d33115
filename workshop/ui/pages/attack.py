"""ATT&CK: search, a technique's detail, mapping to use cases, the coverage matrix, the layer.

ATT&CK is a guide here: suggestions are ideas, and the matrix shows what the use cases
cover without any target to reach.
"""

from __future__ import annotations

import html
import json

import streamlit as st

from workshop.attack import load_index_or_builtin, resolve_bundle, suggest_for_application
from workshop.core.errors import WorkshopError
from workshop.core.fileio import safe_name
from workshop.core.render import md_escape
from workshop.core.workspace import resolve_workspace
from workshop.services import settings, usecases
from workshop.services.interview import latest_answer_values
from workshop.ui import state
from workshop.ui.text import md
from workshop.usecases.coverage import COVERAGE_MEANING, matrix, navigator_layer
from workshop.vocab import DROPPED


@st.cache_resource(show_spinner="Loading ATT&CK...", max_entries=2)
def _index(bundle: str):
    return load_index_or_builtin(resolve_bundle(bundle or None))


def index():
    bundle = settings.load(resolve_workspace()).get("attack_bundle") or ""
    return _index(bundle)


def _source_panel() -> None:
    ws = resolve_workspace()
    current = settings.load(ws).get("attack_bundle") or ""
    with st.expander("ATT&CK data source", icon=":material/dataset:"):
        st.caption(
            "Path of an official ATT&CK STIX bundle (enterprise-attack.json or ics-attack.json, STIX 2.0 or 2.1). "
            "Leave empty to use the newest file in attack_data/, else the built-in catalogue."
        )
        path = st.text_input("Bundle path", value=current, key="attack_bundle_path")
        if st.button("Use this bundle", key="attack_bundle_save"):
            try:
                with st.spinner("Checking the bundle..."):
                    settings.save(ws, {"attack_bundle": path})  # refused unless it loads as ATT&CK
            except WorkshopError as exc:
                st.error(md(str(exc)))
            else:
                st.rerun()


def _technique_detail(idx, tid: str, app) -> None:
    d = idx.detail(tid, platforms=list(app.platforms) if app and app.platforms else None)
    if d is None:
        st.error(f"{md(tid)} is not in this ATT&CK data.")
        return
    st.subheader(f"{md(d['id'])} · {md(d['name'])}")
    st.caption(
        f"Tactics: {', '.join(d['tactics'])} · platforms: {', '.join(d['platforms'])} · [{d['url']}]({d['url']})"
    )
    if d.get("app_logs"):
        st.info("What application logs would show: " + md(d["app_logs"]), icon=":material/lightbulb:")
    if d.get("description"):
        with st.expander("Description (MITRE)"):
            st.markdown(md_escape(d["description"]))
    strategies = d.get("detection_strategies") or []
    if strategies:
        st.markdown(f"**Detection strategies** ({len(strategies)})")
        for ds in strategies:
            with st.expander(f"{md(ds['id'])} · {md(ds['name'])}"):
                for an in ds.get("analytics") or []:
                    st.markdown(f"**{an['id']}** · {md_escape(', '.join(an.get('platforms') or []), False)} · "
                                f"{md_escape(an.get('description', ''), False)}")  # fmt: skip
                    sources = [
                        f"{s.get('data_component_name') or s.get('data_component', '')}: {s.get('name', '')} "
                        f"{s.get('channel', '')}".strip()
                        for s in an.get("log_sources") or []
                    ]
                    if sources:
                        st.markdown("Log sources:\n" + "\n".join(f"- {md_escape(x, False)}" for x in sources))
                    mutable = an.get("mutable_elements") or []
                    if mutable:
                        st.markdown("Tunable (a baseline can fill these):\n" + "\n".join(
                            f"- `{md_escape(m.get('field', ''), False)}`: {md_escape(m.get('description', ''), False)}"
                            for m in mutable))  # fmt: skip
    elif idx.meta.source == "builtin":
        st.caption(
            "Detection strategies and analytics come with an official bundle (see ATT&CK data source)."
        )
    mitigations = d.get("mitigations") or []
    if mitigations:
        st.markdown(
            "**Mitigations**: " + ", ".join(f"{md(m['id'])} {md(m['name'])}" for m in mitigations)
        )
    if app is not None:
        _new_use_case_button(app, d["id"], d["name"], key=f"newuc:search:{d['id']}")
        _map_to_use_case(app, d["id"], d["name"])


def _new_use_case_button(app, tid: str, name: str, key: str, idx=None) -> None:
    """One step from a technique to a proposed use case of the application, pre-filled from it."""
    existing = {u.template_id for u in usecases.list_use_cases(state.store(), app.slug)}
    uc_id = usecases.custom_id(tid)
    if uc_id in existing:
        st.caption(f"{md(app.name)} already has a use case made from {md(tid)} ({md(uc_id)}): see the Use cases page.")
        return
    if st.button(f"New use case from {md(tid)} {md(name)}", key=key, icon=":material/add_circle:"):
        try:
            made = usecases.use_case_from_technique(state.store(), app.slug, tid, index=idx or index()[0],
                                                    who=state.who())  # fmt: skip
        except WorkshopError as exc:
            st.error(md(str(exc)))
            return
        st.session_state["uc_selected"] = made.template_id
        st.success(f"Proposed use case '{md(made.title)}' created: open it on the Use cases page to write its logic.")


def _map_to_use_case(app, tid: str, name: str) -> None:
    s = state.store()
    ucs = [u for u in usecases.list_use_cases(s, app.slug) if u.status not in DROPPED]
    if not ucs:
        st.caption("Generate use cases for this application to map techniques to them.")
        return
    with st.form(f"map:{tid}"):
        titles = {u.template_id: u.title for u in ucs}
        target = st.selectbox(f"Map {md(tid)} to a use case of {md(app.name)}", list(titles), format_func=titles.__getitem__,
                              key=f"map_target:{tid}")  # fmt: skip
        reason = st.text_input("Why this technique fits", key=f"map_reason:{tid}")
        go = st.form_submit_button("Map")
    if go and target is not None:
        try:
            usecases.map_technique(s, app.slug, target, tid, reason or f"mapped by hand to {name}", who=state.who())
        except WorkshopError as exc:
            st.error(md(str(exc)))
            return
        st.success(f"{md(tid)} mapped to {md(titles[target])}.")


def _matrix_html(columns) -> str:
    """The coverage matrix as a static HTML table (escaped; no script).

    Shade is the number of live use cases (implemented or tested), the only coverage;
    a technique with only accepted or proposed use cases gets a dashed outline and says
    so, and one with none stays blank so that the gaps show.
    """
    cols = [c for c in columns if c[2]]
    if not any(cell.statuses for _, _, cells in cols for cell in cells):
        return "<p>No use case is mapped to a technique yet.</p>"
    top = max([cell.count for _, _, cells in cols for cell in cells] + [1])
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name, _ in cols)
    depth = max(len(cells) for _, _, cells in cols)
    rows = []
    for i in range(depth):
        tds = []
        for _, _, cells in cols:
            if i >= len(cells):
                tds.append("<td></td>")
                continue
            c = cells[i]
            tip = html.escape("\n".join(f"{t} ({s})" for t, s in zip(c.use_cases, c.statuses, strict=False)))
            parts = [f"{n} {w}" for n, w in ((c.count, "live"), (c.accepted, "accepted"), (c.proposed, "proposed")) if n]
            note = f"<br><small>{html.escape(' · '.join(parts))}</small>" if parts else ""
            if c.count:
                alpha = 0.25 + 0.65 * (c.count / top)
                style = f"background: rgba(31,95,191,{alpha:.2f}); color: {'#fff' if alpha > 0.55 else '#111'}"
                cls = "live"
            elif c.statuses:
                style, cls = "border: 2px dashed #1f5fbf; background: #f5f8fd", "planned"
            else:
                style, cls = "color: #667", "none"
            tds.append(f'<td class="{cls}" style="{style}" title="{tip}"><b>{html.escape(c.technique_id)}</b>'
                       f"<br>{html.escape(c.name)}{note}</td>")  # fmt: skip
        rows.append("<tr>" + "".join(tds) + "</tr>")
    style = ("<style>.uw-matrix{border-collapse:collapse;font-size:.78rem;width:100%}"
             ".uw-matrix th,.uw-matrix td{border:1px solid #d7dce5;padding:.3rem;vertical-align:top;min-width:6.5rem}"
             ".uw-matrix th{background:#f1f4f9}</style>")  # fmt: skip
    legend = ('<p style="font-size:.8rem">Shade: live use cases (implemented or tested), the only coverage. '
              'Dashed: accepted or proposed only, not watching anything yet. Blank: no use case.</p>')  # fmt: skip
    return f'{style}{legend}<div style="overflow-x:auto"><table class="uw-matrix"><tr>{head}</tr>{"".join(rows)}</table></div>'


def render() -> None:
    st.title("ATT&CK")
    head = st.container()  # shown above the data source panel, filled once the index is loaded
    _source_panel()  # drawn first: if the configured bundle cannot be loaded, this is where to fix it
    idx, warning = index()
    meta = idx.meta
    with head:
        st.caption(
            f"Data: {meta.domain} {meta.version} "
            f"({'built-in catalogue' if meta.source == 'builtin' else md(meta.file)}). "
            "ATT&CK is a guide for these use cases, not a score to maximise."
        )
        if warning:
            st.warning(md(warning), icon=":material/warning:")
    app = state.selected_app()
    s = state.store()
    tab_search, tab_suggest, tab_matrix = st.tabs(["Search", "Suggestions", "Coverage"])
    with tab_search:
        query = st.text_input(
            "Search techniques", placeholder="T1110, brute force, valid accounts...", key="attack_q"
        )
        if query:
            hits = idx.search(query, limit=25, kinds=("technique", "subtechnique"))
            if not hits:
                st.info(f"No technique matches '{md(query)}'.")
            else:
                ids = [h.id for h in hits]
                names = {h.id: h.name for h in hits}
                left, right = st.columns([2, 3])
                with left:
                    # Keyed by the query: a new search starts on its own first hit, never on the
                    # technique picked for the previous one.
                    choice = st.radio("Results", ids, format_func=lambda i: f"{md(i)} · {md(names[i])}",
                                      key=f"attack_pick:{query.strip().lower()}")  # fmt: skip
                with right:
                    _technique_detail(idx, choice or ids[0], app)
    with tab_suggest:
        if app is None:
            st.info("Choose an application to see techniques worth a look for it.")
        else:
            answers = latest_answer_values(s, app.slug)
            sugg = suggest_for_application(idx, list(app.platforms), answers, limit=25)
            mapped = usecases.technique_statuses(s, app.slug)
            st.caption(f"From {md(app.name)}'s platforms ({md(', '.join(app.platforms) or 'none set')}) and answers. "
                       "Use cases: live ones (implemented or tested) cover the technique; accepted and proposed "
                       "ones are plans.")  # fmt: skip
            st.dataframe(
                [{"Technique": x.technique_id, "Name": x.name, "Why": "; ".join(x.reasons),
                  "Use cases": usecases.coverage_word(mapped.get(x.technique_id, [])) or "none",
                  "Tunable elements": len(x.mutable_elements)} for x in sugg],
                hide_index=True, width="stretch",
            )  # fmt: skip
            if sugg:
                sugg_names = {x.technique_id: x.name for x in sugg}
                pick = st.selectbox("Make a use case from a suggestion", list(sugg_names),
                                    format_func=lambda t: f"{t} · {sugg_names[t]}", key="attack_sugg_pick")  # fmt: skip
                _new_use_case_button(app, pick, sugg_names[pick], key=f"newuc:sugg:{pick}", idx=idx)
    with tab_matrix:
        scope = st.segmented_control("Scope", ["Application", "Portfolio"], default="Application" if app else "Portfolio",
                                     key="attack_scope")  # fmt: skip
        if scope == "Application" and app is not None:
            ucs, name, with_app = usecases.list_use_cases(s, app.slug), f"{app.name} use cases", False
        else:
            ucs, name, with_app = usecases.list_use_cases(s), "Portfolio use cases", True
        every = st.toggle("Show techniques without use cases", value=True, key="attack_every",
                          help="Blank cells are the gaps; turn off to see only techniques with use cases.")  # fmt: skip
        st.html(_matrix_html(matrix(idx, ucs, with_app, every_technique=every)))
        st.caption(f"The Navigator layer scores {COVERAGE_MEANING}; its colours tell the statuses apart.")
        layer = navigator_layer(idx, ucs, name, with_app=with_app)
        st.download_button("Download the Navigator layer", json.dumps(layer, indent=2),
                           file_name=f"{safe_name(name.lower(), 'file name')}-navigator.json", mime="application/json",
                           key="dl_layer")  # fmt: skip


if __name__ == "__main__":
    render()
