"""Portfolio: every in-house application, its workshops, use cases and reviews due."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workshop.core.workspace import resolve_workspace
from workshop.interview.model import CRITICALITIES
from workshop.services import settings
from workshop.services.portfolio import portfolio, reviews_by_month, uncovered_ideas
from workshop.services.usecases import list_use_cases
from workshop.ui import state
from workshop.ui.text import md
from workshop.vocab import DROPPED, PRIORITIES, STATUSES, Status

#: Width of one portfolio figure; the row wraps when the screen (or presenter zoom) is narrower.
METRIC_WIDTH = 200

def _intervals_form(conf: dict) -> None:
    with st.expander("Review intervals", icon=":material/event_repeat:"):
        st.caption("Days between workshops, by criticality. An application never interviewed is due now.")
        with st.form("intervals"):
            cols = st.columns(len(CRITICALITIES))
            values = {
                c: cols[i].number_input(
                    c.capitalize(),
                    min_value=1,
                    step=1,
                    key=f"interval:{c}",
                    value=int(conf["review_interval_days"].get(c, 365)),
                )
                for i, c in enumerate(CRITICALITIES)
            }
            if st.form_submit_button("Save intervals"):
                settings.save(
                    resolve_workspace(), {"review_interval_days": {k: int(v) for k, v in values.items()}}
                )
                st.rerun()


#: What each status word means on every page (live = implemented or tested, workshop.vocab.LIVE).
GLOSSARY: dict[str, str] = {
    Status.PROPOSED: "generated from the interview (or made from a technique); nobody has decided yet",
    Status.ACCEPTED: "agreed to build; gets documents and rule drafts, but watches nothing yet",
    Status.IMPLEMENTED: "its rule runs in the SIEM: live",
    Status.TESTED: "live, and its rule was checked to fire on a true positive",
    Status.REJECTED: "decided against; kept with its reason",
    Status.RETIRED: "was live or planned, now switched off",
}


def _glossary() -> None:
    with st.expander("What the statuses mean", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in GLOSSARY.items()) + "\n\n"
                    "**Live** means implemented or tested, and only live use cases count as ATT&CK coverage. "
                    "**Tests passed** counts use cases whose latest local rule test fired on its own true positive, "
                    "whatever their status.")  # fmt: skip


def _baseline_age(r) -> str:
    if r.baseline_age_days is None:
        return "none"
    days = r.baseline_age_days
    return f"sample to {r.baseline_date} ({days} day{'s' if days != 1 else ''} old)"


def _readiness_columns(r) -> dict:
    """Analysts trained and playbooks tested, and when; what is due again (issue 20)."""
    ready = r.readiness
    if ready is None:
        return {}
    return {
        "Analysts trained": len(ready.analysts),
        "Last trained": ready.last_trained or "never",
        "Playbooks tested": f"{ready.tested}/{len(ready.use_cases)}",
        "Last playbook test": ready.last_tested or "never",
        "Drills due": len(ready.drills_due),
        "Playbook tests due": len(ready.tests_due),
    }


def render() -> None:
    st.title("Portfolio")
    s = state.store()
    conf = settings.load(resolve_workspace())
    rows = portfolio(s, state.catalogue(), conf["review_interval_days"])
    if not rows:
        st.info("No applications yet.")
        state.link("applications", "Go to Applications", ":material/apps:")
        return
    live = sum(r.live for r in rows)
    # A wrapping row, not five fixed columns: at presenter size the labels move to a second line
    # instead of being cut ("Live use ca...").
    figures = st.container(horizontal=True, wrap=True, gap="medium")
    figures.metric("Applications", len(rows), width=METRIC_WIDTH)
    figures.metric("Reviews overdue", sum(1 for r in rows if r.overdue), width=METRIC_WIDTH)
    figures.metric("Live use cases", live, help="Implemented or tested: watching in the SIEM. Accepted ones are plans.",
              width=METRIC_WIDTH)
    figures.metric("Rule tests passed", sum(r.tests_passed for r in rows),
              help="Use cases whose latest local rule test fired on its true positive.", width=METRIC_WIDTH)  # fmt: skip
    figures.metric("Open follow-ups", sum(r.open_follow_ups for r in rows), width=METRIC_WIDTH)
    _glossary()

    table = pd.DataFrame(
        [
            {
                "Application": r.name,
                "Criticality": r.criticality,
                "Last workshop": r.last_workshop or "never",
                "Answered": (r.completeness or 0.0) * 100,
                "Follow-ups": r.open_follow_ups,
                **{
                    s_.capitalize(): r.use_cases[s_]
                    for s_ in STATUSES
                    if s_ not in DROPPED
                },
                "Tests passed": r.tests_passed,
                **_readiness_columns(r),
                "Baseline": _baseline_age(r),
                "Next review": r.next_review + (" (overdue)" if r.overdue else ""),
                "To review": len(r.flagged_use_cases),
            }
            for r in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Answered": st.column_config.ProgressColumn(
                "Answered", format="%.0f%%", min_value=0, max_value=100
            )
        },
    )
    failed = [r for r in rows if r.readiness is not None and r.readiness.failed]
    if failed:
        st.error(
            "Failed playbook tests: "
            + "; ".join(f"{md(r.name)}: {md(', '.join(r.readiness.failed if r.readiness else []))}" for r in failed)
            + ". See the use case, or the Drills page.",
            icon=":material/error:",
        )
    flagged = [r for r in rows if r.flagged_use_cases]
    if flagged:
        st.warning(
            "Use cases whose triggering answers changed at the last re-review: "
            + "; ".join(f"{md(r.name)}: {md(', '.join(r.flagged_use_cases))}" for r in flagged)
        )

    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Use cases by status**")
        by_status = pd.DataFrame(
            [
                {"Application": r.name, "Status": s_, "Use cases": n}
                for r in rows
                for s_, n in r.use_cases.items()
                if n
            ]
        )
        if by_status.empty:
            st.caption("No use cases generated yet.")
        else:
            st.bar_chart(by_status, x="Application", y="Use cases", color="Status", horizontal=True)
    with c2:
        st.markdown("**Reviews due by month**")
        months = reviews_by_month(rows)
        due = pd.DataFrame([{"Month": k, "Reviews": v} for k, v in months.items()])
        # A bar per month, each a thin one: one or two months must not fill the chart with blocks.
        # No axis title beside the months: a chart this short cut it ("Montl") at presenter size,
        # and the heading above already says what the rows are.
        st.bar_chart(due, x="Month", y="Reviews", x_label="", horizontal=True,
                     height=min(320, 60 + 36 * len(months)))  # fmt: skip

    st.subheader("Use cases across applications")
    f1, f2 = st.columns(2)
    statuses = f1.multiselect("Status", STATUSES, default=[Status.ACCEPTED], key="pf_status",
                              help="For example: accepted, to see what is agreed but not implemented yet.")  # fmt: skip
    priorities = f2.multiselect("Priority", list(reversed(PRIORITIES)), key="pf_priority", placeholder="any")
    names = {r.slug: r.name for r in rows}
    ucs = [
        u for u in list_use_cases(s, statuses=statuses or None) if not priorities or u.priority in priorities
    ]
    if ucs:
        st.dataframe(
            [{"Application": names.get(u.application, u.application), "Use case": u.title, "Status": u.status,
              "Priority": u.priority, "Since": u.updated_at.date().isoformat() if u.updated_at else ""} for u in ucs],
            hide_index=True, width="stretch",
        )  # fmt: skip
    else:
        st.caption("No use case matches.")

    st.subheader("ATT&CK ideas")
    st.caption(
        "Techniques suggested for these applications' platforms and answers that no use case covers yet, "
        "most widely relevant first. A list of ideas, not a score: many are rightly left alone."
    )
    from workshop.ui.pages.attack import index

    idx, _warning = index()
    ideas = uncovered_ideas(s, idx, limit=25)
    if ideas:
        st.dataframe(
            [{"Technique": i.technique_id, "Name": i.name, "Applications": len(i.applications),
              "Which": ", ".join(names.get(a, a) for a in i.applications), "Why": " ".join(i.reasons[:1])}
             for i in ideas],
            hide_index=True, width="stretch",
        )  # fmt: skip
    _intervals_form(conf)


if __name__ == "__main__":
    render()
