"""Use cases: generate from the interview, filter, accept or reject, edit, preview, download."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.interview.model import Application
from workshop.services import usecases as service
from workshop.services.exports import attack_warning, document_context
from workshop.services.thresholds import ALERT_BUDGET_PER_DAY
from workshop.services.usecases import generate_for_application, load_templates
from workshop.ui import place, state
from workshop.ui.text import md
from workshop.usecases.documents import analyst_brief, application_document, to_html, use_case_markdown
from workshop.usecases.model import UseCase
from workshop.vocab import DROPPED, PRIORITIES, STATUSES, TRANSITIONS, Status

if TYPE_CHECKING:  # pragma: no cover
    from workshop.rules.testing import RuleTestResult
    from workshop.usecases.readiness import Readiness

LIST_FIELDS = ("false_positives", "blind_spots", "response", "validation")


@st.cache_resource(show_spinner=False, max_entries=4)
def _templates(workspace: str, stamps: tuple):
    from pathlib import Path

    return load_templates(state.catalogue(), Path(workspace))


def templates():
    from workshop.core.workspace import resolve_workspace
    from workshop.services.usecases import template_dirs

    ws = resolve_workspace()
    stamps = tuple(
        (str(p), p.stat().st_mtime_ns)
        for d in template_dirs(ws)
        if d.is_dir()
        for p in sorted(d.glob("*.yaml"))
    )
    return _templates(str(ws), stamps)


def _generate(app: Application) -> None:
    s = state.store()
    try:
        result = generate_for_application(s, app.slug, templates(), state.catalogue(), who=state.who())
    except WorkshopError as exc:
        st.session_state["uc_message"] = ("error", str(exc))
        return
    parts = [
        f"{len(result.created)} new",
        f"{len(result.updated)} updated",
        f"{len(result.unchanged)} unchanged",
    ]
    if result.no_longer_applies:
        parts.append(f"{len(result.no_longer_applies)} no longer apply")
    text = "Generated: " + ", ".join(parts) + "."
    if result.conflicts:
        text += " Conflicts (your edits kept): " + "; ".join(
            f"{k}: {', '.join(v)}" for k, v in result.conflicts.items()
        )
    st.session_state["uc_message"] = ("success", text)


def _set_status(app: Application, ids: list[str], status: str, reason: str) -> None:
    changed, skipped = service.set_status(state.store(), app.slug, ids, status, who=state.who(), reason=reason)
    msg = f"{len(changed)} use case(s) now {status}."
    if skipped:
        msg += " Skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items())
    st.session_state["uc_message"] = ("success" if changed else "warning", msg)


def _test_message(report) -> tuple[str, str]:
    """What a test run did, in numbers: nothing tested is said, not hidden behind "done"."""
    if not report.results:
        return ("warning", "No rule was tested: only accepted, implemented or tested use cases have rules, and "
                           "this application has none. Accept the use cases to build first.")  # fmt: skip
    fired = sum(1 for r in report.results if r.passed)
    untestable = len(report.untestable)
    text = f"Tested {len(report.results)} rule(s): {fired} fire on their own true positive"
    missed = len(report.failing)
    if missed:
        text += f", {missed} do not (see their Rule tab)"
    if untestable:
        text += f", {untestable} untestable (blocked: the rule cannot fire on the log yet)"
    if report.sample:
        text += f"; log sample {md(str(report.sample.get('file', '')))}"
    return ("success" if not missed else "warning", text + ".")


def _test_mark(result: RuleTestResult | None, noisy: str = "") -> str:
    if not result:
        return "not run"
    mark = {"pass": "fires", "fail": "DOES NOT FIRE", "error": "COULD NOT RUN"}.get(result.outcome, result.untestable)
    if result.alerts_per_day is not None:
        mark += f" · {float(result.alerts_per_day):.2f}/day on sample"
    if noisy:
        mark += f" · NOISY (more than {ALERT_BUDGET_PER_DAY:g}/day)"
    return mark


def _noisy(app: Application) -> dict[str, str]:
    """Template id -> why its rule is noisy on the sample, and the proposal that would bring it down."""
    from workshop.services.thresholds import noisy_rules

    return {tid: n.text() for tid, n in noisy_rules(state.store(), app.slug).items()}


def _table(ucs: list[UseCase], tests: dict[str, RuleTestResult], ready: dict[str, Readiness],
           noisy: dict[str, str], playbooks: dict[str, str] | None = None) -> list[str]:  # fmt: skip
    """The use cases as a table; a click on rows selects them. Returns the selected ids."""
    playbooks = playbooks or {}
    rows = [
        {
            "Use case": u.title,
            "Status": u.status,
            "Priority": u.priority,
            "Category": u.generated.category,
            "ATT&CK": ", ".join(a.technique for a in u.attack) or "-",
            "Missing answers": len(u.generated.missing_answers),
            "Readiness": ready[u.template_id].summary() if u.template_id in ready else "",
            "Rule test": _test_mark(tests.get(u.template_id), noisy.get(u.template_id, "")),
            "Playbook test": playbooks.get(u.template_id, "not tested"),
            "Needs review": "conflict" if u.conflicts else ("no longer applies" if not u.applies else ""),
            "id": u.template_id,
        }
        for u in ucs
    ]
    event = st.dataframe(rows, hide_index=True, width="stretch", column_config={"id": None}, key="uc_table",
                         on_select="rerun", selection_mode="multi-row")  # fmt: skip
    picked = [str(rows[i]["id"]) for i in event.selection.rows if i < len(rows)] if event else []
    return picked


def _playbook_marks(slug: str) -> dict[str, str]:
    """The latest playbook test of each use case (issue 20): FAILED stands out in the table."""
    from workshop.services.drills import playbook_tests

    latest = {t.use_case: t for t in playbook_tests(state.store(), slug)}
    return {tid: ("FAILED " if t.failed_steps else "") + f"{t.outcome} {t.tested_on}" for tid, t in latest.items()}


def _playbook_flag(app: Application, uc: UseCase) -> None:
    """A failed step of the latest playbook test, flagged until a later test passes."""
    from workshop.services.drills import playbook_tests

    tests = playbook_tests(state.store(), app.slug, uc.template_id)
    if tests and tests[-1].failed_steps:
        t = tests[-1]
        st.error(
            f"Playbook test failed on {md(t.tested_on)} (tested by {md(t.tester)}): "
            + "; ".join(md(x.text + (f" ({x.note})" if x.note else "")) for x in t.failed_steps)
            + ". Fix it and test again on the Drills page.",
            icon=":material/error:",
        )


def _edit_form(app: Application, uc: UseCase) -> None:
    eff = uc.effective()
    key = f"ucedit:{uc.template_id}"
    with st.form(key):
        title = st.text_input("Title", value=uc.title, key=f"{key}:title")
        priority = st.selectbox(
            "Priority", PRIORITIES, index=PRIORITIES.index(uc.priority), key=f"{key}:priority"
        )
        objective = st.text_area("Goal", value=eff.objective, key=f"{key}:objective")
        abstract = st.text_area(
            "Strategy abstract", value=eff.strategy_abstract, key=f"{key}:strategy"
        )
        lists = {}
        for name in LIST_FIELDS:
            lists[name] = st.text_area(
                name.replace("_", " ").capitalize() + " (one per line)",
                value="\n".join(getattr(eff, name)),
                key=f"{key}:{name}",
                height=120,
            )
        notes = st.text_area("Notes", value=eff.notes, key=f"{key}:notes")
        params = {}
        if uc.parameters:
            st.markdown("**Parameters**")
            for pname, p in uc.parameters.items():
                params[pname] = st.text_input(
                    f"{pname}: {p.description}",
                    value=p.shown() if p.type != "time_window" else "",
                    disabled=p.type == "time_window",
                    key=f"{key}:param:{pname}",
                    help=f"source: {p.source}; {p.detail}",
                )
        reason = st.text_input("Why (recorded in the history)", key=f"{key}:reason")
        saved = st.form_submit_button("Save changes", type="primary")
    if not saved:
        return
    try:
        _save_edits(app, uc, title, priority, objective, abstract, lists, notes, params, reason)
    except WorkshopError as exc:
        st.error(md(str(exc)))


def _save_edits(app, uc, title, priority, objective, abstract, lists, notes, params, reason) -> None:
    eff = uc.effective()
    changes: dict[str, object] = {}
    if title != uc.title:
        changes["title"] = title
    if priority != uc.priority:
        changes["priority"] = priority
    if objective != eff.objective:
        changes["objective"] = objective
    if abstract != eff.strategy_abstract:
        changes["strategy_abstract"] = abstract
    for name, text in lists.items():
        items = [line.strip() for line in text.splitlines() if line.strip()]
        if items != getattr(eff, name):
            changes[name] = items
    if notes != eff.notes:
        changes["notes"] = notes
    for name, text in params.items():
        p = uc.parameters[name]
        if p.type == "time_window" or text == p.shown():
            continue
        changes[f"parameters.{name}"] = {"value": _param_value(p.type, text), "source": "manual",
                                         "detail": reason or "set by hand"}  # fmt: skip
    service.edit_fields(state.store(), app.slug, uc.template_id, changes, who=state.who(), reason=reason)
    st.session_state["uc_message"] = (
        "success",
        f"Saved {len(changes)} change(s)." if changes else "Nothing changed.",
    )
    st.rerun()


def _param_value(ptype: str, text: str) -> object:
    from workshop.core.errors import InputError

    text = text.strip()
    if ptype == "integer":
        try:
            return int(text)
        except ValueError:
            raise InputError(f"'{text}' is not a whole number") from None
    if ptype == "number":
        try:
            return float(text)
        except ValueError:
            raise InputError(f"'{text}' is not a number") from None
    if ptype == "duration":
        from workshop.vocab import is_duration

        if not is_duration(text):
            raise InputError(f"'{text}' is not a duration like 15m, 1h or 30d")
        return text
    if ptype == "list":
        return [x.strip() for x in text.split(",") if x.strip()]
    return text


def _detail(app: Application, uc: UseCase) -> None:
    eff = uc.effective()
    st.subheader(md(uc.title))
    c1, c2, c3 = st.columns([2, 2, 3])
    c1.markdown(f"Status **{uc.status}** · priority **{uc.priority}**")
    # Everything that comes and goes with the status is drawn into a slot present on every run:
    # the elements below then keep their places, and the reader keeps theirs (workshop.ui.place).
    blocked_slot, noisy_slot, moves_slot, flag_slot, conflict_slot, applies_slot = (
        st.container() for _ in range(6)
    )
    ready = service.readiness_for(state.store(), app.slug, [uc])[uc.template_id]
    if not ready.ready:
        blocked_slot.warning("**Blocked**: this rule cannot fire on the application's log yet, so it is not watching "
                   "and covers nothing.\n\n" + "\n".join(f"- {md(r.text)}" for r in ready.reasons))  # fmt: skip
    noisy = _noisy(app).get(uc.template_id)
    if noisy:
        noisy_slot.warning(md(noisy.capitalize()))
    reason = c3.text_input(
        "Reason", key=f"ucreason:{uc.template_id}", placeholder="why (recorded in the history)"
    )
    with c2:
        b1, b2 = st.columns(2)
        if uc.status != Status.ACCEPTED and b1.button("Accept", key=f"accept:{uc.template_id}", type="primary"):
            _set_status(app, [uc.template_id], Status.ACCEPTED, reason)
            st.rerun()
        if uc.status not in DROPPED and b2.button("Reject", key=f"reject:{uc.template_id}"):
            _set_status(app, [uc.template_id], Status.REJECTED, reason)
            st.rerun()
    moves = [x for x in STATUSES if x in TRANSITIONS.get(uc.status, ()) and x not in (Status.ACCEPTED, Status.REJECTED)]
    if moves:
        m1, m2 = moves_slot.columns([2, 5])
        target = m1.selectbox("Move to", moves, key=f"ucmove:{uc.template_id}",
                              help="Implemented: its rule runs in the SIEM (live). Tested: live and checked to fire. "
                                   "Retired: switched off.")  # fmt: skip
        if m2.button(f"Set {target}", key=f"ucmovebtn:{uc.template_id}"):
            _set_status(app, [uc.template_id], target, reason)
            st.rerun()
    with flag_slot:
        _playbook_flag(app, uc)
    if uc.conflicts:
        conflict_slot.warning(
            "The answers changed a field you had edited; your edit is kept: "
            + ", ".join(uc.conflicts)
            + ". Resolve it below (keep yours, or take the new generated value)."
        )
        for name, c in uc.conflicts.items():
            k1, k2, k3 = conflict_slot.columns([3, 1, 1])
            k1.caption(f"{md(name)}: yours {md(repr(c.get('yours')))}; generated now {md(repr(c.get('generated_now')))}")
            if k2.button("Keep mine", key=f"keep:{uc.template_id}:{name}"):
                service.resolve_conflict(state.store(), app.slug, uc.template_id, name, "mine", who=state.who())
                st.rerun()
            if k3.button("Take generated", key=f"take:{uc.template_id}:{name}"):
                service.resolve_conflict(
                    state.store(), app.slug, uc.template_id, name, "generated", who=state.who()
                )
                st.rerun()
    if not uc.applies:
        applies_slot.warning(
            "The current answers no longer trigger this use case. Review it: retire it, or keep it on purpose."
        )
    # Keyed: a button inside a tab (a rule test, a conversion) reruns the page on the same tab.
    tab_doc, tab_rule, tab_why, tab_edit, tab_hist = st.tabs(
        ["Document", "Rule", "Why proposed", "Edit", "History"], key=f"uctabs:{uc.template_id}", on_change="rerun"
    )
    ctx = document_context(state.store(), app.slug, state.catalogue())
    with tab_doc:
        doc_md = use_case_markdown(uc, ctx, level=3)
        st.markdown(doc_md)
        d1, d2 = st.columns(2)
        d1.download_button("Markdown", doc_md, file_name=f"{app.slug}-{uc.template_id}.md", mime="text/markdown",
                           key=f"dlmd:{uc.template_id}")  # fmt: skip
        d2.download_button("HTML", to_html(doc_md, uc.title), file_name=f"{app.slug}-{uc.template_id}.html",
                           mime="text/html", key=f"dlhtml:{uc.template_id}")  # fmt: skip
    with tab_rule:
        _rule_tab(app, uc)
    with tab_why:
        trig = [t.to_dict() for t in eff.triggered_by]
        if trig:
            st.markdown("Proposed because of these answers:")
            st.dataframe(trig, hide_index=True, width="stretch")
        else:
            st.markdown("This use case applies to every application.")
        missing = eff.missing_answers
        if missing:
            st.warning("Answers it needs and did not get (defaults were used): " + md(", ".join(missing)))
        params = [
            {"Parameter": k, "Value": p.shown(), "Source": p.source, "How": p.detail}
            for k, p in uc.parameters.items()
        ]  # fmt: skip
        if params:
            st.dataframe(params, hide_index=True, width="stretch")
    with tab_edit:
        _edit_form(app, uc)
        if uc.edits:
            st.caption("Edited fields: " + ", ".join(sorted(uc.edits)))
            field = st.selectbox(
                "Revert an edit", sorted(uc.edits), index=None, key=f"revert:{uc.template_id}"
            )
            if field and st.button("Revert to the generated value", key=f"revertbtn:{uc.template_id}"):
                service.revert_edit(state.store(), app.slug, uc.template_id, field, who=state.who())
                st.rerun()
    with tab_hist:
        events = service.history(state.store(), app.slug, uc.template_id)
        st.dataframe(
            [{"When": e.at.strftime("%Y-%m-%d %H:%M"), "Who": e.who, "What": e.kind, "Field": e.field,
              "From": "" if e.old is None else str(e.old), "To": "" if e.new is None else str(e.new),
              "Why": e.reason} for e in reversed(events)],
            hide_index=True, width="stretch",
        )  # fmt: skip


def _rule_tab(app: Application, uc: UseCase) -> None:
    """The Sigma rule, its conversions, and its latest local test result."""
    from workshop.rules.pipelines import SIEMS
    from workshop.rules.sigma import build_rule_set
    from workshop.services.rules import convert_application, latest_rule_tests, rule_context, run_tests

    s = state.store()
    result = latest_rule_tests(s, app.slug).get(uc.template_id)
    if result and result.untestable:
        st.warning(md(result.untestable.capitalize()) + ": a blocked rule is never reported as passing.")
    if result:
        fires = result.fires_on_true_positive
        text = (
            "Fires on its synthetic true positive"
            if fires
            else ("Not tested on synthetic events" if result.untestable else "Does NOT fire on its synthetic true positive")
        )
        if result.alerts_on_sample is not None:
            text += f"; {result.alerts_on_sample} alert(s) on the log sample ({result.alerts_per_day or 0:.2f}/day)"
        (st.success if fires else (st.info if result.untestable else st.error))(text + ".")
        if result.evasion_results:
            st.markdown("**Ways round the rule, tested** (from the template's evasions)")
            st.dataframe([{"Way round": ev.description, "Kind": ev.kind, "Alerts": ev.alerts,
                           "Result": "caught" if ev.caught else "missed: a blind spot"}
                          for ev in result.evasion_results], hide_index=True, width="stretch")  # fmt: skip
        for gap in result.evasions_not_tested:
            st.caption(f"Way round not tested: {md(gap.description)} ({md(gap.reason)})")
        if result.sample_events or result.sample_fields:
            events = ", ".join(f"{md(k)}: {v}" for k, v in result.sample_events.items()) or "none"
            absent = ", ".join(md(k) for k, v in result.sample_fields.items() if not v) or "none"
            st.caption(f"In the log sample: events {events}; fields the rule reads that the sample lacks: {absent}")
        if result.attacker_evasions:
            st.markdown("**Ways round a real attacker would try** (test them by hand)")
            st.dataframe([{"Way round": a.description, "How to test": a.how_to_test}
                          for a in result.attacker_evasions], hide_index=True, width="stretch")  # fmt: skip
    else:
        st.caption("No local test result yet.")
    if st.button("Test the rules of this application", key=f"runtests:{uc.template_id}"):
        with st.spinner("Running every rule in SQLite against synthetic attacks and the kept log sample..."):
            try:
                report = run_tests(s, app.slug, who=state.who())
            except WorkshopError as exc:
                st.error(md(str(exc)))
                return
        st.session_state["uc_message"] = _test_message(report)
        st.rerun()
    try:
        ctx = rule_context(s, app.slug)
        rs = build_rule_set(uc, ctx)
    except WorkshopError as exc:
        st.error(md(str(exc)))
        return
    st.code(rs.yaml(), language="yaml")
    siem = st.segmented_control("Convert to", list(SIEMS), default="splunk", key=f"siem:{uc.template_id}")
    if siem:
        converted = convert_application(s, app.slug, siem, statuses=None, rule_sets=[rs], ctx=ctx)
        for c in converted:
            st.code(c.query or "(no query: see the notes)", language=None)
            for note in c.notes:
                st.caption(md(note))
            for lang, text in c.extra.items():  # what the notes point to ("the EQL sequence below")
                st.markdown(f"**{md(lang.upper())}**")
                st.code(text, language=None)


def _bulk_actions(app: Application, shown: list[UseCase], picked: list[str]) -> None:
    if not picked:
        st.caption("Click rows to open a use case; select several to accept or reject them together.")
        return
    b1, b2, b3 = st.columns([2, 2, 3])
    reason = b3.text_input("Reason for the selected", key="uc_bulk_reason", placeholder="why (recorded in the history)")
    if b1.button(f"Accept {len(picked)} selected", key="uc_bulk_accept", type="primary"):
        _set_status(app, picked, Status.ACCEPTED, reason or "accepted in bulk on the Use cases page")
        st.rerun()
    if b2.button(f"Reject {len(picked)} selected", key="uc_bulk_reject"):
        _set_status(app, picked, Status.REJECTED, reason or "rejected in bulk on the Use cases page")
        st.rerun()


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    st.title(f"Use cases · {md(app.name)}")
    s = state.store()
    bundle_problem = attack_warning(store=s)
    warn_slot, errors_slot = st.container(), st.container()  # on every run: see workshop.ui.place
    if bundle_problem:  # the configured bundle failed: technique names come from the built-in catalogue
        warn_slot.warning(
            md(bundle_problem) + " Change the bundle on the ATT&CK page.", icon=":material/warning:"
        )
    cat = templates()
    if cat.errors:
        with errors_slot.expander(
            f"{len(cat.errors)} template file(s) could not be loaded", icon=":material/warning:"
        ):
            for path, errs in cat.errors.items():
                st.code(f"{path}\n" + "\n".join(str(e) for e in errs), language=None)
    place.message(st.session_state.pop("uc_message", None))
    if not service.has_interview(s, app.slug):
        st.info("Run the workshop first: use cases are generated from the interview.")
        state.link("workshop", "Go to the workshop", ":material/forum:")
        return
    ucs = service.list_use_cases(s, app.slug)
    # One wrapping row of buttons sized to their labels: at presenter size columns cut them short.
    bar = st.container(horizontal=True, wrap=True, key="uc_top_bar")
    top1 = top2 = top3 = bar
    label = "Regenerate from the answers" if ucs else "Generate use cases"
    if top1.button(label, type="primary" if not ucs else "secondary", icon=":material/auto_awesome:"):
        _generate(app)
        st.rerun()
    proposed = [u.template_id for u in ucs if u.status == Status.PROPOSED]
    if proposed and top2.button(f"Accept all {len(proposed)} proposed", key="accept_all"):
        _set_status(app, proposed, Status.ACCEPTED, "accepted in bulk on the Use cases page")
        st.rerun()
    if not ucs:
        st.info(f"{len(cat.templates)} templates are ready to be matched against this application's answers.")
        return
    ctx = document_context(s, app.slug, state.catalogue(), pivots=True)  # the download is the export
    with top3:
        d1 = d2 = top3
        d1.download_button("Use-case document", to_html(application_document(ucs, ctx), f"{app.name} use cases"),
                           file_name=f"{app.slug}-use-cases.html", mime="text/html", key="dl_doc")  # fmt: skip
        d2.download_button("Analyst brief", to_html(analyst_brief(ucs, ctx), f"{app.name} analyst brief"),
                           file_name=f"{app.slug}-analyst-brief.html", mime="text/html", key="dl_brief")  # fmt: skip

    f1, f2, f3 = st.columns([2, 2, 3])
    statuses = f1.multiselect("Status", STATUSES, key="uc_filter_status", placeholder="any status")
    priorities = f2.multiselect(
        "Priority", list(reversed(PRIORITIES)), key="uc_filter_priority", placeholder="any"
    )
    text = f3.text_input("Search", key="uc_filter_text", placeholder="words in the title or id")
    shown = [
        u for u in ucs
        if (not statuses or u.status in statuses)
        and (not priorities or u.priority in priorities)
        and (not text or text.lower() in (u.title + " " + u.template_id).lower())
    ]  # fmt: skip
    counts = {st_: sum(1 for u in ucs if u.status == st_) for st_ in STATUSES}
    st.caption(
        " · ".join(f"{k}: {v}" for k, v in counts.items() if v) + f" · showing {len(shown)} of {len(ucs)}"
    )
    if not shown:
        st.info("No use case matches these filters.")
        return
    from workshop.services.rules import latest_rule_tests

    picked = _table(shown, latest_rule_tests(s, app.slug), service.readiness_for(s, app.slug, shown), _noisy(app),
                    _playbook_marks(app.slug))
    _bulk_actions(app, shown, picked)
    before = st.session_state.get("uc_table_last", [])
    fresh = [x for x in picked if x not in before]
    st.session_state["uc_table_last"] = picked
    if fresh:  # a row just clicked opens that use case
        st.session_state["uc_select"] = fresh[-1]
    titles = {u.template_id: u.title for u in shown}
    current = st.session_state.get("uc_selected")
    ids = list(titles)
    choice = st.selectbox("Open a use case", ids, index=ids.index(current) if current in ids else 0,
                          format_func=lambda i: f"{titles[i]} ({i})", key="uc_select")  # fmt: skip
    st.session_state["uc_selected"] = choice
    _detail(app, next(u for u in shown if u.template_id == choice))


if __name__ == "__main__":
    render()
