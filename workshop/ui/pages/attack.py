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
from workshop.core.render import md_escape
from workshop.core.workspace import resolve_workspace
from workshop.interview.model import AnswerSet
from workshop.services import settings
from workshop.ui import state
from workshop.usecases.coverage import matrix, navigator_layer
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
                st.error(str(exc))
            else:
                st.rerun()


def _technique_detail(idx, tid: str, app) -> None:
    d = idx.detail(tid, platforms=list(app.platforms) if app and app.platforms else None)
    if d is None:
        st.error(f"{tid} is not in this ATT&CK data.")
        return
    st.subheader(f"{d['id']} · {d['name']}")
    st.caption(
        f"Tactics: {', '.join(d['tactics'])} · platforms: {', '.join(d['platforms'])} · [{d['url']}]({d['url']})"
    )
    if d.get("app_logs"):
        st.info("What application logs would show: " + d["app_logs"], icon=":material/lightbulb:")
    if d.get("description"):
        with st.expander("Description (MITRE)"):
            st.markdown(md_escape(d["description"]))
    strategies = d.get("detection_strategies") or []
    if strategies:
        st.markdown(f"**Detection strategies** ({len(strategies)})")
        for ds in strategies:
            with st.expander(f"{ds['id']} · {ds['name']}"):
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
            "**Mitigations**: " + ", ".join(f"{m['id']} {md_escape(m['name'], False)}" for m in mitigations)
        )
    if app is not None:
        _map_to_use_case(app, d["id"], d["name"])


def _map_to_use_case(app, tid: str, name: str) -> None:
    s = state.store()
    ucs = [u for u in s.list_use_cases(app.slug) if u.status not in DROPPED]
    if not ucs:
        st.caption("Generate use cases for this application to map techniques to them.")
        return
    with st.form(f"map:{tid}"):
        titles = {u.template_id: u.title for u in ucs}
        target = st.selectbox(f"Map {tid} to a use case of {app.name}", list(titles), format_func=titles.get,
                              key=f"map_target:{tid}")  # fmt: skip
        reason = st.text_input("Why this technique fits", key=f"map_reason:{tid}")
        go = st.form_submit_button("Map")
    if go:
        uc = s.get_use_case(app.slug, target)
        attack = [a.to_dict() for a in uc.attack if a.technique != tid]
        attack.append({"technique": tid, "reason": reason or f"mapped by hand to {name}"})
        try:
            s.edit_use_case(app.slug, target, "attack", attack, who=state.who(), reason=f"mapped {tid}")
        except WorkshopError as exc:
            st.error(str(exc))
            return
        st.success(f"{tid} mapped to {titles[target]}.")


def _matrix_html(columns) -> str:
    """The coverage matrix as a static HTML table (escaped; no script)."""
    cols = [c for c in columns if c[2]]
    if not cols:
        return "<p>No use case is mapped to a technique yet.</p>"
    top = max(cell.count for _, _, cells in cols for cell in cells)
    head = "".join(f"<th>{html.escape(name)}</th>" for _, name, _ in cols)
    depth = max(len(cells) for _, _, cells in cols)
    rows = []
    for i in range(depth):
        tds = []
        for _, _, cells in cols:
            if i < len(cells):
                c = cells[i]
                alpha = 0.15 + 0.75 * (c.count / top)
                tip = html.escape(
                    "\n".join(f"{t} ({s})" for t, s in zip(c.use_cases, c.statuses, strict=False))
                )
                tds.append(
                    f'<td style="background: rgba(31,95,191,{alpha:.2f}); color: {"#fff" if alpha > 0.55 else "#111"}"'
                    f' title="{tip}"><b>{html.escape(c.technique_id)}</b><br>{html.escape(c.name)}'
                    f"<br><small>{c.count} use case{'s' if c.count != 1 else ''}</small></td>"
                )
            else:
                tds.append("<td></td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    style = ("<style>.uw-matrix{border-collapse:collapse;font-size:.82rem;width:100%}"
             ".uw-matrix th,.uw-matrix td{border:1px solid #d7dce5;padding:.35rem;vertical-align:top;min-width:7rem}"
             ".uw-matrix th{background:#f1f4f9}</style>")  # fmt: skip
    return f'{style}<table class="uw-matrix"><tr>{head}</tr>{"".join(rows)}</table>'


def render() -> None:
    st.title("ATT&CK")
    idx, warning = index()
    meta = idx.meta
    st.caption(
        f"Data: {meta.domain} {meta.version} ({'built-in catalogue' if meta.source == 'builtin' else meta.file}). "
        "ATT&CK is a guide for these use cases, not a score to maximise."
    )
    if warning:
        st.warning(warning)
    _source_panel()
    app = state.selected_app()
    s = state.store()
    tab_search, tab_suggest, tab_matrix = st.tabs(["Search", "Suggestions", "Coverage"])
    with tab_search:
        query = st.text_input(
            "Search techniques", placeholder="T1110, brute force, valid accounts...", key="attack_q"
        )
        if query:
            hits = [h for h in idx.search(query, limit=25) if h.kind in ("technique", "subtechnique")]
            if not hits:
                st.info(f"No technique matches '{query}'.")
            else:
                ids = [h.id for h in hits]
                names = {h.id: h.name for h in hits}
                choice = st.radio(
                    "Results", ids, format_func=lambda i: f"{i} · {names[i]}", key="attack_pick"
                )
                _technique_detail(idx, choice, app)
    with tab_suggest:
        if app is None:
            st.info("Choose an application to see techniques worth a look for it.")
        else:
            interview = s.latest_interview(app.slug)
            answers = AnswerSet(s.answers(interview.id)).values if interview else {}
            sugg = suggest_for_application(idx, list(app.platforms), answers, limit=25)
            covered = {a.technique for u in s.list_use_cases(app.slug) for a in u.attack}
            st.caption(f"From {app.name}'s platforms ({', '.join(app.platforms) or 'none set'}) and answers.")
            st.dataframe(
                [{"Technique": x.technique_id, "Name": x.name, "Why": "; ".join(x.reasons),
                  "Covered by a use case": "yes" if x.technique_id in covered else "",
                  "Tunable elements": len(x.mutable_elements)} for x in sugg],
                hide_index=True, width="stretch",
            )  # fmt: skip
    with tab_matrix:
        scope = st.segmented_control("Scope", ["Application", "Portfolio"], default="Application" if app else "Portfolio",
                                     key="attack_scope")  # fmt: skip
        if scope == "Application" and app is not None:
            ucs, name, with_app = s.list_use_cases(app.slug), f"{app.name} use cases", False
        else:
            ucs, name, with_app = s.list_use_cases(), "Portfolio use cases", True
        st.html(_matrix_html(matrix(idx, ucs, with_app)))
        layer = navigator_layer(idx, ucs, name, with_app=with_app)
        st.download_button("Download the Navigator layer", json.dumps(layer, indent=2),
                           file_name=f"{name.lower().replace(' ', '-')}-navigator.json", mime="application/json",
                           key="dl_layer")  # fmt: skip


if __name__ == "__main__":
    render()
