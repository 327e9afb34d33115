"""Baselines: profile a log sample, check the owners' claims, turn figures into thresholds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from workshop import vocab
from workshop.baseline import inspect_sample
from workshop.core.errors import WorkshopError
from workshop.core.fileio import upload_file
from workshop.services.baselines import (
    ReadOptions,
    attach_file,
    claims_for,
    confirmed_on_form,
    get_baseline,
    list_baselines,
    saved_mapping,
    server_file,
    server_files_dir,
)
from workshop.services.thresholds import apply_proposal, proposals_for
from workshop.ui import place, state
from workshop.ui.text import md

ROLES: tuple[str, ...] = tuple(str(role) for role in vocab.BASELINE_ROLES)
WEEKDAYS: tuple[str, ...] = tuple(day.capitalize() for day in vocab.WEEKDAYS)
NONE = "(not in this log)"
TOP_ACTIONS = 20


def _add_sample(app) -> None:
    st.subheader("Add a log sample")
    st.caption(
        "Only aggregates are stored (counts, percentiles, first-seen values); the raw rows are kept only if you "
        "tick the box. A file that fails to load leaves nothing behind."
    )
    upload = st.file_uploader(
        "Log sample (CSV, JSON lines, Parquet, or a web server access log; also gzip-compressed or in a ZIP)",
        type=["csv", "tsv", "jsonl", "json", "ndjson", "parquet", "log", "txt", "gz", "zip"],
        key="bl_upload",
    )
    folder = server_files_dir()
    server_name = ""
    if folder is not None:  # off unless the operator opened a folder (SECURITY.md)
        server_name = st.text_input(f"...or the name of a file in {folder} on this server (for large samples)",
                                    key="bl_path")  # fmt: skip
    if upload is not None:
        # The raw rows live in a temporary file only while this run of the page uses them:
        # it is deleted when the block ends, whether the attach succeeds, fails or is abandoned.
        # Copied to disk in pieces (upload_file reads the upload chunk by chunk); the profile is
        # then streamed from the file, so no size limit applies below the disk and the sample limits.
        with upload_file(upload, upload.name) as path:
            _sample_form(app, path, upload.name, on_server=False)
    elif server_name:
        try:
            path = server_file(server_name)
        except WorkshopError as exc:
            st.error(str(exc))
            return
        _sample_form(app, path, path.name, on_server=True)


def _sample_error(exc: WorkshopError, on_server: bool) -> str:
    """The message for a sample that failed; for a file on the server, without any of its content."""
    if not on_server:
        return str(exc)
    where = f" ({exc.location})" if getattr(exc, "location", None) else ""
    return f"This file could not be used as a log sample{where}; check its format on the server."


def default_log_source(fmt: str) -> str:
    """A web server access log is the "access" log; anything else starts as the application's "audit" log."""
    from workshop.baseline.readers.access_log import ACCESS_LOG_FORMATS

    return "access" if fmt in ACCESS_LOG_FORMATS or fmt.startswith("access") else "audit"


def _sample_form(app, path: Path, file_name: str, *, on_server: bool) -> None:
    try:
        with st.spinner("Reading the sample..."):
            # No size limit below the disk and the sample limits; a regular expression given
            # in the reading options (below) reads the lines and names the columns.
            insp = inspect_sample(
                path, size_limit=None, regex=(st.session_state.get("bl_regex") or "").strip() or None
            )
    except WorkshopError as exc:
        st.error(_sample_error(exc, on_server))
        return
    c1, c2 = st.columns(2)
    log_source = c1.text_input("Which log is this", value=default_log_source(insp.format), key="bl_source",
                               max_chars=100, help="The log's role: audit, access, admin... Rules and baselines "
                               "are kept per log.")  # fmt: skip
    keep = c2.checkbox("Also keep the raw rows in the workspace", key="bl_keep")
    saved = saved_mapping(state.store(), app.slug, log_source)
    proposal = dict(insp.proposal.mapping)
    confirmed_before: tuple[str, ...] = ()
    if saved and saved.mapping and all(col in insp.columns for col in saved.mapping.values()):
        proposal = dict(saved.mapping)  # the mapping used last time for this log
        confirmed_before = saved.confirmed
        st.caption(f"Using the mapping of '{md(log_source)}' from last time; change it if the log changed.")
    st.markdown(
        f"Detected **{md(insp.format)}** with {len(insp.columns)} columns. Confirm which column plays each role:"
    )
    columns = [NONE, *insp.columns]
    mapping: dict[str, str] = {}
    cols = st.columns(3)
    for i, role in enumerate(ROLES):
        proposed = proposal.get(role)
        options = columns
        if proposed and proposed not in columns and role == "timestamp":
            options = [NONE, proposed, *insp.columns]  # a date and a time column, joined
        pick = cols[i % 3].selectbox(
            role.replace("_", " "), options, index=options.index(proposed) if proposed in options else 0,
            key=f"bl_map:{role}", help=(insp.proposal.reasons or {}).get(role),
        )  # fmt: skip
        if pick != NONE:
            mapping[role] = pick
    checked_all = st.checkbox("I checked the column of every role above", key="bl_confirmed",
                              help="Otherwise only the roles you changed (or confirmed before) count as "
                              "confirmed; the others are stored as the tool's proposal.")  # fmt: skip
    confirmed = confirmed_on_form(
        mapping, {r: c for r, c in proposal.items() if c}, confirmed_before, checked_all
    )
    unconfirmed = [role for role in mapping if role not in confirmed]
    if unconfirmed:
        st.caption("Proposed by the tool, not confirmed: " + ", ".join(md(r) for r in unconfirmed))
    read = _read_options(mapping, insp)
    if st.button("Profile and attach", type="primary", key="bl_attach"):
        with st.status("Profiling the sample...", expanded=True) as status:
            try:
                st.write("Reading and checking every row")
                bar = st.progress(0.0, text="Reading the file")

                def progress(done_bytes: int, total: int) -> None:
                    bar.progress(min(done_bytes / total, 1.0) if total else 1.0,
                                 text=f"Read {done_bytes / 2**20:,.0f} of {total / 2**20:,.0f} MB")  # fmt: skip

                done = attach_file(state.store(), app.slug, path, log_source=log_source, read=read,
                                   keep_sample=keep, who=state.who(), file_name=file_name,
                                   progress=progress, confirmed=confirmed)  # fmt: skip
            except WorkshopError as exc:
                status.update(label="The sample could not be used", state="error")
                st.error(_sample_error(exc, on_server))
                return
            status.update(
                label=f"Attached {md(done.baseline.log_source)} v{done.baseline.version}", state="complete"
            )
        # The picker opens on the baseline just attached, not on the one shown before.
        st.session_state["bl_choice"] = (done.baseline.log_source, done.baseline.version)
        st.session_state["bl_message"] = f"Attached {done.baseline.log_source} v{done.baseline.version}."
        st.rerun()


def _read_options(mapping: dict[str, str], insp) -> ReadOptions:
    """The options of ``workshop baseline profile`` (and ``attach``), on the page.

    The mapping is exact: every role is shown above, so a role set to "not in this
    log" stays removed instead of coming back from the proposal.
    """
    with st.expander("Reading options (entity, time zones, time stamp layout, bad rows)"):
        c1, c2 = st.columns(2)
        entities = ["(default: user, else source address)", *(r for r in mapping if r != "timestamp")]
        entity = c1.selectbox("Count per (entity)", entities, key="bl_entity")
        default_tz = c1.text_input("Zone of time stamps without an offset", key="bl_default_tz",
                                   placeholder="the log's declared zone")  # fmt: skip
        tz = c2.text_input(
            "Zone days and hours are counted in", key="bl_tz", placeholder="the business hours' zone"
        )
        fmt = c2.text_input("Time stamp layout (strptime, e.g. %Y-%m-%d %H:%M:%S,%f)", key="bl_ts_format")
        year = c1.number_input("Year of dates written without one (syslog)", min_value=1970, max_value=2100,
                               value=None, step=1, key="bl_year", placeholder="the file's year")  # fmt: skip
        skip = st.checkbox("Leave out rows whose time stamp cannot be read (with a warning)", key="bl_skip")
        fold = st.checkbox(
            "User names are case-insensitive (Administrator = administrator)", key="bl_fold_users"
        )
        regex = st.text_input("Read each line with a regular expression (named groups are the columns)",
                              key="bl_regex", placeholder=r"(?P<time>\S+ \S+) (?P<user>\S+) (?P<action>.*)")  # fmt: skip
    return ReadOptions(
        fmt=insp.format, mapping=dict(mapping), exact_mapping=True,
        entity=None if entity == entities[0] else entity, tz=tz.strip() or None,
        default_tz=default_tz.strip() or None, timestamp_format=fmt.strip() or None, skip_bad_rows=skip,
        year=int(year) if year else None, regex=regex.strip() or None,
        users_case_insensitive=fold, size_limit=None,
    )  # fmt: skip


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
            import altair as alt

            # The stored histogram lists only the counts that occur; on a numeric axis with even
            # bins (not one bar per distinct count) the gaps and the long tail show as they are.
            frame = pd.DataFrame(hist, columns=["Events per day", "Entity-days"])
            chart = (
                alt.Chart(frame)
                .mark_bar()
                .encode(
                    x=alt.X("Events per day:Q", bin=alt.Bin(maxbins=40), title="Events per entity per day"),
                    y=alt.Y("sum(Entity-days):Q", title="Entity-days"),
                    tooltip=[alt.Tooltip("sum(Entity-days):Q", title="Entity-days")],
                )
            )
            st.altair_chart(chart, width="stretch")
    actions = profile.get("actions") or {}
    if actions:
        import altair as alt

        top = sorted(((k, v.get("events", 0)) for k, v in actions.items()), key=lambda kv: (-kv[1], kv[0]))[
            :TOP_ACTIONS
        ]
        st.markdown(f"**Top actions** ({len(top)} of {len(actions)}, most frequent first)")
        chart = (
            alt.Chart(pd.DataFrame(top, columns=["Action", "Events"]))
            .mark_bar()
            .encode(
                # sorted by count (a plain bar chart sorts names), labels never cut short
                y=alt.Y("Action:N", sort="-x", axis=alt.Axis(labelLimit=0, title=None)),
                x=alt.X("Events:Q"),
                tooltip=["Action", "Events"],
            )
            .properties(height=24 * len(top) + 30)
        )
        st.altair_chart(chart, width="stretch")


def _thresholds(app, baseline) -> None:
    items = proposals_for(state.store(), app.slug, baseline)
    if not items:
        st.info("No use case parameter names a baseline figure yet: generate the use cases first.")
        return
    for item in items:
        head = f"{item.title} · {item.parameter} = {item.current} ({item.current_source})"
        # Keyed: applying a proposal changes the label (the value in use), and an unkeyed expander
        # takes its identity from its label, so it came back closed and the page shrank under the reader.
        with st.expander(md(head), key=f"bl_thr:{item.use_case}:{item.parameter}"):
            st.caption(f"{md(item.description)} · from {md(item.figure)}")
            if item.note:
                st.info(item.note)
            if not item.proposals:
                continue
            rows = [{"Method": p.method, "Threshold": None if p.value is None else round(p.value, 2),
                     "Alerts per day on the sample": round(p.alerts_per_day, 2),
                     "Why": p.why + (f" WARNING: {item.warnings[p.method]}" if p.method in item.warnings else "")}
                    for p in item.proposals]  # fmt: skip
            if item.current_alerts_per_day is not None:
                rows.insert(0, {"Method": "current", "Threshold": item.current,
                                "Alerts per day on the sample": round(item.current_alerts_per_day, 2),
                                "Why": f"the value in use ({item.current_source})"})  # fmt: skip
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
                        st.error(md(str(exc)))
                        return
                    st.session_state["bl_message"] = f"{item.title}: {item.parameter} set from {p.method}."
                    st.rerun()


def _mapping(baseline) -> None:
    """Which column played each role, and whether a person confirmed it or the tool proposed it."""
    unconfirmed = [role for role in baseline.mapping if role not in baseline.confirmed]
    with st.expander(
        "Column mapping"
        + (f" · {len(unconfirmed)} role(s) not confirmed" if unconfirmed else " · confirmed"),
        expanded=bool(unconfirmed),
    ):
        rows = [
            {"Role": role, "Column": column,
             "Confirmed": "by a person" if role in baseline.confirmed else "no: proposed by the tool"}
            for role, column in baseline.mapping.items()
        ]  # fmt: skip
        st.table(pd.DataFrame(rows))
        if unconfirmed:
            st.caption(
                "A role the tool proposed may be the wrong column: check it, and attach the sample again with the "
                "right one if need be."
            )


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    st.title(f"Baselines · {md(app.name)}")
    place.message(st.session_state.pop("bl_message", None))  # a slot on every run: see workshop.ui.place
    s = state.store()
    baselines = list_baselines(s, app.slug)
    # Open while a file is being added: an error about it must not hide in a closed box.
    busy = bool(st.session_state.get("bl_upload") or st.session_state.get("bl_path"))
    with st.expander("Add a log sample", expanded=not baselines or busy, icon=":material/upload_file:"):
        _add_sample(app)
    if not baselines:
        return
    labels = {(b.log_source, b.version): f"{b.log_source} v{b.version} · {b.created_at:%Y-%m-%d} · {b.events:,} events"
              for b in baselines}  # fmt: skip
    keys = list(labels)
    if st.session_state.get("bl_choice") not in keys:
        st.session_state.pop("bl_choice", None)
    choice = st.selectbox("Baseline", keys, format_func=labels.__getitem__, key="bl_choice")
    if choice is None:  # not with baselines to choose from; Streamlit's type allows it
        return
    baseline = get_baseline(s, app.slug, choice[0], choice[1])
    p = baseline.profile
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Events", f"{baseline.events:,}")
    m2.metric("Entities", f"{p.get('entities', 0):,}")
    m3.metric("Days", p.get("days_covered", ""))
    # A label short enough to stay whole in a quarter of the page at presenter size.
    m4.metric("Out of hours", f"{(p.get('out_of_hours_share') or 0):.1%}",
              help="Share of the events outside the business hours the owners gave")  # fmt: skip
    st.caption(
        f"{md(baseline.first)} to {md(baseline.last)} · counted in {md(p.get('timezone'))} · entity: {md(p.get('entity_role'))}"
    )
    _mapping(baseline)
    # Keyed: a "Use ..." button on the Thresholds tab reruns the page on that tab.
    tab_normal, tab_claims, tab_thresholds = st.tabs(
        ["What normal looks like", "Claims against reality", "Thresholds"], key="bl_tabs", on_change="rerun"
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
        # A table, not a grid: the claims and the evidence are sentences, shown whole.
        if rows:
            st.table(pd.DataFrame(rows))
        else:
            st.caption("No claim to check for this log.")
    with tab_thresholds:
        _thresholds(app, baseline)


if __name__ == "__main__":
    render()
