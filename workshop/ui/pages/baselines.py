"""Baselines: profile a log sample, check the owners' claims, turn figures into thresholds."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from workshop import vocab
from workshop.baseline import inspect_sample
from workshop.core.errors import WorkshopError
from workshop.services.baselines import attach_file, claims_for
from workshop.services.thresholds import apply_proposal, proposals_for
from workshop.ui import state

ROLES: tuple[str, ...] = tuple(str(role) for role in vocab.BASELINE_ROLES)
WEEKDAYS: tuple[str, ...] = tuple(day.capitalize() for day in vocab.WEEKDAYS)
NONE = "(not in this log)"


def _uploaded_path() -> Path | None:
    """Keep the uploaded file in a temporary file (outside the workspace) while it is mapped."""
    upload = st.file_uploader(
        "Log sample (CSV, JSON lines, Parquet, or a web server access log)",
        type=["csv", "jsonl", "json", "ndjson", "parquet", "log", "txt"],
        key="bl_upload",
    )
    if upload is None:
        st.session_state.pop("bl_tmp", None)
        return None
    ident = (upload.name, upload.size)
    tmp = st.session_state.get("bl_tmp")
    if st.session_state.get("bl_tmp_id") != ident or not tmp or not Path(tmp).is_file():
        suffix = "".join(Path(upload.name).suffixes) or ".log"
        fd, tmp = tempfile.mkstemp(prefix="workshop-sample-", suffix=suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(upload.getbuffer())
        st.session_state["bl_tmp"], st.session_state["bl_tmp_id"] = tmp, ident
    return Path(st.session_state["bl_tmp"])


def _add_sample(app) -> None:
    st.subheader("Add a log sample")
    st.caption(
        "Only aggregates are stored (counts, percentiles, first-seen values); the raw rows are kept only if you "
        "tick the box. A file that fails to load leaves nothing behind."
    )
    path = _uploaded_path()
    server_path = st.text_input("...or the path of a file on this server (for large samples)", key="bl_path")
    if path is None and server_path:
        path = Path(server_path).expanduser()
    if path is None:
        return
    try:
        with st.spinner("Reading the sample..."):
            insp = inspect_sample(path)
    except WorkshopError as exc:
        st.error(str(exc))
        return
    c1, c2 = st.columns(2)
    log_source = c1.text_input("Which log is this", value="audit", key="bl_source", max_chars=100)
    keep = c2.checkbox("Also keep the raw rows in the workspace", key="bl_keep")
    saved = state.store().get_log_mapping(app.slug, log_source)
    proposal = dict(insp.proposal.mapping)
    if saved and saved.mapping and all(col in insp.columns for col in saved.mapping.values()):
        proposal = dict(saved.mapping)  # what someone confirmed last time for this log
        st.caption(f"Using the mapping confirmed for '{log_source}' before; change it if the log changed.")
    st.markdown(
        f"Detected **{insp.format}** with {len(insp.columns)} columns. Confirm which column plays each role:"
    )
    columns = [NONE, *insp.columns]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, role in enumerate(ROLES):
        proposed = proposal.get(role)
        pick = cols[i % 3].selectbox(
            role.replace("_", " "), columns, index=columns.index(proposed) if proposed in columns else 0,
            key=f"bl_map:{role}", help=(insp.proposal.reasons or {}).get(role),
        )  # fmt: skip
        if pick != NONE:
            mapping[role] = pick
    if st.button("Profile and attach", type="primary", key="bl_attach"):
        with st.status("Profiling the sample...", expanded=True) as status:
            try:
                st.write("Reading and checking every row")
                done = attach_file(state.store(), app.slug, path, log_source=log_source, mapping=mapping,
                                   keep_sample=keep, who=state.who(),
                                   file_name=getattr(st.session_state.get("bl_upload"), "name", None))  # fmt: skip
            except WorkshopError as exc:
                status.update(label="The sample could not be used", state="error")
                st.error(str(exc))
                return
            status.update(
                label=f"Attached {done.baseline.log_source} v{done.baseline.version}", state="complete"
            )
        tmp = st.session_state.pop("bl_tmp", None)
        st.session_state.pop("bl_tmp_id", None)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        st.session_state["bl_version"] = done.baseline.version
        st.rerun()


def _charts(profile: dict) -> None:
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Events by weekday and hour**")
        counts = (profile.get("hourly_by_weekday") or {}).get("counts")
        if counts:
            heat = pd.DataFrame(
                [
                    {"Weekday": WEEKDAYS[d], "Hour": h, "Events": n}
                    for d, row in enumerate(counts)
                    for h, n in enumerate(row)
                ]
            )
            import altair as alt

            chart = (
                alt.Chart(heat)
                .mark_rect()
                .encode(
                    x=alt.X("Hour:O"),
                    y=alt.Y("Weekday:O", sort=list(WEEKDAYS)),
                    color=alt.Color("Events:Q", scale=alt.Scale(scheme="blues")),
                    tooltip=["Weekday", "Hour", "Events"],
                )
            )
            st.altair_chart(chart, width="stretch")
    with c2:
        st.markdown("**Events per entity per day**")
        hist = (profile.get("per_entity_day") or {}).get("histogram") or []
        if hist:
            st.bar_chart(pd.DataFrame(hist, columns=["Events per day", "Entity-days"]), x="Events per day",
                         y="Entity-days")  # fmt: skip
    actions = profile.get("actions") or {}
    if actions:
        st.markdown("**Top actions**")
        top = sorted(((k, v.get("events", 0)) for k, v in actions.items()), key=lambda kv: -kv[1])[:15]
        st.bar_chart(pd.DataFrame(top, columns=["Action", "Events"]), x="Action", y="Events", horizontal=True)


def _thresholds(app, baseline) -> None:
    items = proposals_for(state.store(), app.slug, baseline)
    if not items:
        st.info("No use case parameter names a baseline figure yet: generate the use cases first.")
        return
    for item in items:
        head = f"{item.title} · {item.parameter} = {item.current} ({item.current_source})"
        with st.expander(head):
            st.caption(f"{item.description} · from {item.figure}")
            if item.note:
                st.info(item.note)
            if not item.proposals:
                continue
            rows = [{"Method": p.method, "Threshold": None if p.value is None else round(p.value, 2),
                     "Alerts per day on the sample": round(p.alerts_per_day, 2), "Why": p.why} for p in item.proposals]  # fmt: skip
            st.dataframe(rows, hide_index=True, width="stretch")
            cols = st.columns(len(item.proposals))
            for col, p in zip(cols, item.proposals, strict=True):
                if p.value is None:
                    continue
                key = f"apply:{item.use_case}:{item.parameter}:{p.method}"
                if col.button(f"Use {p.method}", key=key):
                    try:
                        apply_proposal(state.store(), app.slug, item.use_case, item.parameter, p.method, baseline,
                                       who=state.who())  # fmt: skip
                    except WorkshopError as exc:
                        st.error(str(exc))
                        return
                    st.session_state["bl_message"] = f"{item.title}: {item.parameter} set from {p.method}."
                    st.rerun()


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    st.title(f"Baselines · {app.name}")
    msg = st.session_state.pop("bl_message", None)
    if msg:
        st.success(msg)
    s = state.store()
    baselines = s.list_baselines(app.slug)
    with st.expander("Add a log sample", expanded=not baselines, icon=":material/upload_file:"):
        _add_sample(app)
    if not baselines:
        return
    labels = {(b.log_source, b.version): f"{b.log_source} v{b.version} · {b.created_at:%Y-%m-%d} · {b.events:,} events"
              for b in baselines}  # fmt: skip
    keys = list(labels)
    choice = st.selectbox("Baseline", keys, format_func=labels.get, key="bl_choice")
    baseline = s.get_baseline(app.slug, choice[0], choice[1])
    p = baseline.profile
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Events", f"{baseline.events:,}")
    m2.metric("Entities", f"{p.get('entities', 0):,}")
    m3.metric("Days", p.get("days_covered", ""))
    m4.metric("Outside business hours", f"{(p.get('out_of_hours_share') or 0):.1%}")
    st.caption(
        f"{baseline.first} to {baseline.last} · counted in {p.get('timezone')} · entity: {p.get('entity_role')}"
    )
    tab_normal, tab_claims, tab_thresholds = st.tabs(
        ["What normal looks like", "Claims against reality", "Thresholds"]
    )
    with tab_normal:
        _charts(p)
    with tab_claims:
        claims = claims_for(s, app.slug, baseline)
        order = {"contradicted": 0, "unverifiable": 1, "consistent": 2}
        rows = [{"Verdict": c.verdict, "Severity": c.severity, "What the owners said": c.claim, "What the log shows": c.evidence}
                for c in sorted(claims, key=lambda c: order.get(c.verdict, 3))]  # fmt: skip
        bad = sum(1 for c in claims if c.verdict == "contradicted")
        if bad:
            st.warning(f"The sample contradicts {bad} of the owners' claims: worth a follow-up question.")
        st.dataframe(rows, hide_index=True, width="stretch")
    with tab_thresholds:
        _thresholds(app, baseline)


if __name__ == "__main__":
    render()
