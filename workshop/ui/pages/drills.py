"""Drills: train the SOC on the use cases (presenter or solo), test the playbooks, see readiness."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.services import drills as service
from workshop.services.applications import list_applications
from workshop.services.usecases import list_use_cases
from workshop.ui import state
from workshop.ui.text import md, md_block
from workshop.vocab import ADOPTED

MODES = {"presenter": "Presenter (a group)", "solo": "Solo (one analyst)"}
OUTCOME_LABELS = {"passed": "passed", "failed": "failed", "skipped": "skipped"}
_SET = "drills:set"  # the session's DrillSet
_AT = "drills:at"  # index of the drill shown
_ANSWERS = "drills:answers"  # question id -> typed answer (kept across drills: widgets are not)
_CHECKED = "drills:checked"  # drill ids whose answers were checked (solo)
_SHOWN = "drills:shown"  # drill ids shown (presenter attendance)


def _reset_session() -> None:
    for k in (_SET, _AT, _ANSWERS, _CHECKED, _SHOWN):
        st.session_state.pop(k, None)
    for k in [k for k in st.session_state if str(k).startswith(("reveal:", "ans-"))]:
        del st.session_state[k]


def _start(slugs: list[str], use_cases: list[str]) -> None:
    s = state.store()
    _reset_session()
    ds = service.drill_set(s, slugs, state.catalogue(), use_cases or None)
    st.session_state[_SET] = ds
    st.session_state[_AT] = 0
    st.session_state[_ANSWERS] = {}
    st.session_state[_CHECKED] = []
    st.session_state[_SHOWN] = []


def _alert(drill) -> None:
    st.markdown(md_block(drill.situation))
    rows = [{c: r.get(c) for c in drill.columns} for r in drill.rows]
    st.dataframe(rows, hide_index=True, width="stretch", key=f"rows-{drill.id}")
    if drill.hidden_rows:
        st.caption(f"{drill.hidden_rows} more matching events not shown.")


def _presenter(drill, n: int) -> None:
    key = f"reveal:{n}"
    revealed = int(st.session_state.get(key, 0))
    for i, q in enumerate(drill.questions):
        st.markdown(f"**{i + 1}. {md(q.prompt)}**")
        if q.choices:
            st.caption(" / ".join(md(c) for c in q.choices))
        if i < revealed:
            with st.container(border=True, key=f"answer-{n}-{i}"):
                st.markdown(md_block(q.answer))
                if q.explanation:
                    st.caption(md(q.explanation))
    if revealed < len(drill.questions):
        if st.button(
            "Reveal the next answer", key=f"reveal-btn-{n}", icon=":material/visibility:", type="primary"
        ):
            st.session_state[key] = revealed + 1
            st.rerun()
    else:
        st.caption("Every answer of this drill is shown.")


def _solo(drill, n: int) -> None:
    answers: dict[str, str] = st.session_state[_ANSWERS]
    checked = drill.id in st.session_state[_CHECKED]
    for i, q in enumerate(drill.questions):
        wkey = f"ans-{n}-{i}"
        label = f"{i + 1}. {q.prompt}"
        if q.choices:
            prev = answers.get(q.id)
            value = st.radio(label, q.choices, index=q.choices.index(prev) if prev in q.choices else None,
                             key=wkey, disabled=checked)  # fmt: skip
            answers[q.id] = value or ""
        else:
            answers[q.id] = st.text_area(
                label, value=answers.get(q.id, ""), key=wkey, height=80, disabled=checked
            )
        if checked:
            from workshop.drills.scoring import score_answer

            scored = score_answer(q, answers.get(q.id, ""))
            (st.success if scored.right else st.warning)(md(scored.feedback), icon=":material/grading:")
            with st.container(border=True, key=f"key-{n}-{i}"):
                st.markdown("**The key:** " + md_block(q.answer))
                if q.explanation:
                    st.caption(md(q.explanation))
    if not checked and st.button(
        "Check my answers", key=f"check-{n}", type="primary", icon=":material/grading:"
    ):
        st.session_state[_CHECKED] = [*st.session_state[_CHECKED], drill.id]
        st.rerun()


def _save_solo(ds) -> None:
    who = st.text_input("Your name", value=state.who(), key="drills:who")
    if st.button("Finish and save my result", key="drills:save", icon=":material/save:"):
        try:
            found = service.record_session(state.store(), ds, st.session_state[_ANSWERS], who)
        except WorkshopError as exc:
            st.error(md(str(exc)), icon=":material/error:")
            return
        parts = [f"{r.application}: {r.score:g} of {r.max_score:g} ({(r.percent or 0):.0f}%)" for r in found]
        st.session_state["drills:saved"] = "Result saved. " + "; ".join(parts)
        st.rerun()


def _save_presenter(ds) -> None:
    names = st.text_input("Analysts who attended (comma-separated)", key="drills:attendees")
    if st.button("Record the session", key="drills:record", icon=":material/save:"):
        try:
            found = service.record_attendance(state.store(), ds, st.session_state[_SHOWN], names.split(","))
        except WorkshopError as exc:
            st.error(md(str(exc)), icon=":material/error:")
            return
        st.session_state["drills:saved"] = f"Session recorded: {len(found)} record(s)."
        st.rerun()


def _session(app) -> None:
    s = state.store()
    apps = list_applications(s)
    names = {a.slug: a.name for a in apps}
    c1, c2, c3 = st.columns([3, 3, 2.4])  # the mode's labels on one line at presenter size
    slugs = c1.multiselect("Applications", list(names), default=[app.slug], format_func=lambda x: names.get(x, x),
                           key="drills:apps")  # fmt: skip
    ucs = [u for slug in slugs for u in list_use_cases(s, slug, ADOPTED)]
    titles = {u.template_id: u.title for u in ucs}
    chosen = c2.multiselect("Use cases (all when empty)", list(titles), format_func=lambda x: titles.get(x, x),
                            key="drills:ucs", placeholder="all accepted use cases")  # fmt: skip
    mode = c3.radio("Mode", list(MODES), format_func=MODES.get, key="drills:mode")
    if st.button("Start a session", key="drills:start", type="primary", icon=":material/play_arrow:",
                 disabled=not slugs):  # fmt: skip
        _start(slugs, chosen)
        st.rerun()
    saved = st.session_state.pop("drills:saved", None)
    if saved:
        st.success(md(saved), icon=":material/check_circle:")
    ds = st.session_state.get(_SET)
    if ds is None:
        st.info("Choose the applications and start a session. Presenter mode shows the alert first and reveals the "
                "answers one at a time; solo mode scores typed answers against the key.")  # fmt: skip
        return
    if not ds.drills:
        st.warning("No drills: these applications have no accepted use cases yet.")
        return
    n = min(int(st.session_state.get(_AT, 0)), len(ds.drills) - 1)
    drill = ds.drills[n]
    if drill.id not in st.session_state[_SHOWN]:
        st.session_state[_SHOWN] = [*st.session_state[_SHOWN], drill.id]
    lookalikes = sum(1 for d in ds.drills if d.benign)
    st.caption(f"Drill {n + 1} of {len(ds.drills)} ({lookalikes} benign look-alikes among them) · "
               f"{md(drill.application_name)}")  # fmt: skip
    st.subheader(f"Drill {n + 1}")
    _alert(drill)
    if mode == "presenter":
        _presenter(drill, n)
    else:
        _solo(drill, n)
    b1, b2, _ = st.columns([1, 1, 4])
    if b1.button("Previous drill", key="drills:prev", disabled=n == 0, icon=":material/arrow_back:"):
        st.session_state[_AT] = n - 1
        st.rerun()
    if b2.button(
        "Next drill", key="drills:next", disabled=n >= len(ds.drills) - 1, icon=":material/arrow_forward:"
    ):
        st.session_state[_AT] = n + 1
        st.rerun()
    st.divider()
    if mode == "presenter":
        _save_presenter(ds)
    else:
        _save_solo(ds)


def _playbooks(app) -> None:
    s = state.store()
    ucs = list_use_cases(s, app.slug, ADOPTED)
    if not ucs:
        st.info("No accepted use case to test yet.")
        return
    titles = {u.template_id: u.title for u in ucs}
    tid = st.selectbox("Use case", list(titles), format_func=lambda x: titles.get(x, x), key="pb:uc")
    ckey = f"pb:steps:{app.slug}:{tid}"
    if ckey not in st.session_state:
        st.session_state[ckey] = service.playbook_checklist(s, app.slug, tid, state.catalogue())
    steps = st.session_state[ckey]
    st.caption("Walk through each step with the detection engineer and an analyst when the rule is tested.")
    outcomes, notes = {}, {}
    with st.form(f"pb:form:{tid}"):
        for i, step in enumerate(steps):
            st.markdown(f"**{md(step.text)}**")
            st.caption(md(step.expect))
            a, b = st.columns([2, 3])
            outcomes[step.id] = a.radio("Outcome", list(OUTCOME_LABELS), index=2, horizontal=True,
                                        key=f"pb:o:{tid}:{i}", label_visibility="collapsed")  # fmt: skip
            notes[step.id] = b.text_input("Note", key=f"pb:n:{tid}:{i}", label_visibility="collapsed",
                                          placeholder="note (what failed, who to fix it)")  # fmt: skip
        t1, t2 = st.columns(2)
        tester = t1.text_input("Tested by", value=state.who(), key=f"pb:tester:{tid}")
        day = t2.date_input("Tested on", value=dt.date.today(), key=f"pb:date:{tid}")
        if st.form_submit_button("Record the playbook test", type="primary"):
            try:
                test = service.record_playbook_test(s, app.slug, tid, outcomes, tester=tester,
                                                    tested_on=day.isoformat(), notes=notes,
                                                    questionnaires=state.catalogue())  # fmt: skip
            except WorkshopError as exc:
                st.error(md(str(exc)), icon=":material/error:")
            else:
                st.session_state["pb:saved"] = (
                    f"Recorded: {test.outcome} ({len(test.failed_steps)} step(s) failed)."
                )
                st.rerun()
    saved = st.session_state.pop("pb:saved", None)
    if saved:
        st.success(md(saved), icon=":material/check_circle:")
    history = service.playbook_tests(s, app.slug, tid)
    if history:
        st.markdown("**Earlier tests**")
        st.dataframe([{"Tested on": t.tested_on, "By": t.tester, "Outcome": str(t.outcome),
                       "Failed steps": "; ".join(x.text for x in t.failed_steps)} for t in reversed(history)],
                     hide_index=True, width="stretch")  # fmt: skip


def _readiness(app) -> None:
    s = state.store()
    r = service.readiness(s, app.slug)
    figures = st.container(horizontal=True, wrap=True, gap="medium")
    figures.metric("Analysts trained", len(r.analysts), width=200)
    figures.metric("Last trained", r.last_trained or "never", width=200)
    figures.metric("Playbooks tested", f"{r.tested}/{len(r.use_cases)}", width=200,
                   help="Current (not due) and passed.")  # fmt: skip
    figures.metric("Drills due", len(r.drills_due), width=200)
    figures.metric("Playbook tests due", len(r.tests_due), width=200)
    if r.failed:
        st.error("Failed playbook tests: " + md(", ".join(r.failed)), icon=":material/error:")
    st.caption(f"Due again when the use case changes, or {r.interval_days} days after (the review interval).")
    st.dataframe([{"Use case": u.title, "Trained by": ", ".join(u.trained_by), "Training": u.training.words(),
                   "Training due": u.training.due, "Playbook test": u.test.words(),
                   "Outcome": str(u.test_outcome or ""), "Test due": u.test.due} for u in r.use_cases],
                 hide_index=True, width="stretch", key="readiness-table")  # fmt: skip
    found = service.results(s, app.slug)
    st.markdown("**Training results**")
    if not found:
        st.caption("No training recorded yet.")
    for res in reversed(found):
        score = (
            "attended (presenter)"
            if res.percent is None
            else f"{res.score:g}/{res.max_score:g} ({res.percent:.0f}%)"
        )
        when = res.at.strftime("%Y-%m-%d %H:%M") if res.at else ""
        with st.expander(f"{when} · {res.who} · {score}"):
            st.caption("Use cases: " + md(", ".join(sorted(res.use_cases))))
            if res.answers:
                st.dataframe([{"Question": a.question.rsplit(":", 1)[-1], "Drill": a.drill, "Answer as given": a.given,
                               "Points": round(a.points, 2), "Feedback": a.feedback} for a in res.answers],
                             hide_index=True, width="stretch")  # fmt: skip


def _exports(app) -> None:
    s = state.store()
    st.caption("The drills as a printable handout (answer key at the end), or as JSON.")
    if st.button("Prepare the handout", key="drills:handout"):
        ds = service.drill_set(s, [app.slug], state.catalogue())
        st.session_state["drills:files"] = {f: service.handout(ds, f) for f in service.FORMATS}
    files = st.session_state.get("drills:files")
    if files:
        mime = {"md": "text/markdown", "html": "text/html", "json": "application/json"}
        cols = st.columns(len(files))
        for col, (fmt, text) in zip(cols, files.items(), strict=True):
            col.download_button(f"Download {fmt.upper()}", text, file_name=f"{app.slug}-drills.{fmt}",
                                mime=mime[fmt], key=f"drills:dl:{fmt}")  # fmt: skip


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    st.title("Drills")
    st.caption(f"Train the SOC on {md(app.name)}'s use cases and test their playbooks.")
    tab_session, tab_pb, tab_ready, tab_export = st.tabs(
        ["Training session", "Playbook tests", "Readiness and results", "Handout"],
        key="drills:tabs",
        on_change="rerun",
    )
    for tab, draw in (
        (tab_session, _session),
        (tab_pb, _playbooks),
        (tab_ready, _readiness),
        (tab_export, _exports),
    ):
        if tab.open:
            with tab:
                draw(app)


if __name__ == "__main__":
    render()
