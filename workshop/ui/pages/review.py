"""Review: every answer by section, what is still open, follow-ups, and what changed."""

from __future__ import annotations

import streamlit as st

from workshop.interview.progress import (
    context_for,
    diff_answers,
    follow_ups,
    follow_ups_csv,
    follow_ups_markdown,
    open_required,
    progress,
)
from workshop.questionnaire import format_value
from workshop.services.interview import previous_interview
from workshop.services.portfolio import flagged_use_cases
from workshop.ui import state


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    s = state.store()
    interview = s.latest_interview(app.slug)
    st.title(f"Review · {app.name}")
    if interview is None:
        st.info("No interview yet.")
        state.link("workshop", "Start the workshop", ":material/forum:")
        return
    q = state.catalogue().questionnaires.get(interview.questionnaire_id)
    if q is None:
        st.error(f"Questionnaire '{interview.questionnaire_id}' could not be loaded; see the Workshop page.")
        return
    answers = s.answers(interview.id)
    prog = progress(q, answers)
    missing = open_required(q, answers)
    items = follow_ups(q, answers)
    c1, c2, c3 = st.columns(3)
    c1.metric("Answered", f"{prog.answered} / {prog.shown}")
    c2.metric("Required still open", len(missing))
    c3.metric("Follow-ups", len(items))

    tab_answers, tab_open, tab_follow, tab_changes = st.tabs(
        ["Answers", "Still open", "Follow-ups", "Changes"]
    )
    with tab_answers:
        ctx = context_for(answers)
        for section in q.sections:
            shown = q.visible_questions(ctx, section)
            if not shown:
                continue
            rows = []
            for question in shown:
                a = answers.get(question.id)
                if a is None:
                    value = ""
                elif a.unknown:
                    value = "unknown"
                else:
                    value = format_value(question, a.value)
                flag = "follow up" if a is not None and a.follow_up else ""
                rows.append({"Question": question.prompt, "Answer": value, "Flag": flag})
            done = sum(1 for r in rows if r["Answer"])
            with st.expander(f"{section.title} ({done}/{len(rows)})", expanded=False):
                st.dataframe(rows, hide_index=True, width="stretch")
    with tab_open:
        if not missing:
            st.success("Every required question has an answer (or is marked unknown).")
        for m in missing:
            st.markdown(f"- **{q.section(m.section).title}** · {m.prompt}")
    with tab_follow:
        if not items:
            st.info("Nothing marked for follow-up.")
        else:
            st.dataframe([f.to_dict() for f in items], hide_index=True, width="stretch")
        d1, d2 = st.columns(2)
        d1.download_button("Download as Markdown", follow_ups_markdown(app.name, items, interview.held_on),
                           file_name=f"{app.slug}-follow-ups.md", mime="text/markdown", key="dl_followups_md")  # fmt: skip
        d2.download_button("Download as CSV", follow_ups_csv(items), file_name=f"{app.slug}-follow-ups.csv",
                           mime="text/csv", key="dl_followups_csv")  # fmt: skip
    with tab_changes:
        prev = previous_interview(s, interview)
        if prev is None:
            st.info("This is the first interview of this application: nothing to compare with yet.")
        else:
            changes = diff_answers(q, s.answers(prev.id), answers)
            st.caption(f"Compared with the interview of {prev.held_on}.")
            if changes:
                st.dataframe([c.to_dict() for c in changes], hide_index=True, width="stretch")
            else:
                st.success("No answer changed.")
            flagged = flagged_use_cases(s, app.slug, state.catalogue())
            if flagged:
                st.warning(
                    "These use cases were built from answers that changed; regenerate them on the Use cases page "
                    "and review: " + "; ".join(f"{tid} ({', '.join(ids)})" for tid, ids in flagged.items()),
                    icon=":material/flag:",
                )
        history = s.history(interview.id)
        if history:
            with st.expander(f"Answer history of this interview ({len(history)} saves)"):
                st.dataframe(
                    [{"When": h.at.strftime("%Y-%m-%d %H:%M:%S"), "Who": h.who, "Question": h.question_id,
                      "Revision": h.revision} for h in reversed(history[-500:])],
                    hide_index=True, width="stretch",
                )  # fmt: skip


if __name__ == "__main__":  # run as a page by st.navigation
    render()
