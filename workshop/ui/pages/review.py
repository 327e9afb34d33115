"""Review: every answer by section, what is still open, follow-ups, and what changed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import streamlit as st

from workshop.core.errors import WorkshopError
from workshop.interview.progress import diff_answers, follow_ups, follow_ups_markdown, open_required, progress
from workshop.interview.summary import OPEN_HEADER, open_items, section_markdown, to_html, to_markdown
from workshop.questionnaire import format_value
from workshop.services import interview as interviews
from workshop.services import usecases
from workshop.services.portfolio import flagged_use_cases
from workshop.services.summary import interview_summary, open_items_csv, render_summary_pdf
from workshop.ui import state
from workshop.ui.text import md, md_block
from workshop.usecases.documents import worry_source
from workshop.vocab import DROPPED


def _opened(summary) -> str:
    text = f"Interview of {summary.held_on}" if summary.held_on else "Interview"
    return text + (f", a re-review of {summary.rereview_of}." if summary.rereview_of else ".")


def _unknowns_markdown(summary) -> str:
    unknown = [(t, i) for t, i in summary.unknowns if not i.follow_up]
    if not unknown:
        return ""
    return "\n## The owners did not know\n\n" + "\n".join(f"- {t}: {i.prompt}" for t, i in unknown) + "\n"


def _local_zone() -> dt.tzinfo | None:
    """The viewer's time zone (the browser's), else the server's."""
    try:
        name = st.context.timezone
        return ZoneInfo(name) if name else None
    except Exception:  # unknown zone name or no browser context
        return None


def _local(at: dt.datetime, zone: dt.tzinfo | None) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _history_value(q, qid: str, new: dict | None) -> str:
    if not new:
        return ""
    if new.get("unknown"):
        return "unknown"
    try:
        return format_value(q.question(qid), new.get("value"))
    except Exception:  # a question no longer in the questionnaire
        value = new.get("value")
        return "" if value is None else str(value)




def _worries(slug: str) -> None:
    """Each worry the owners told and the use cases covering it; a person confirms or corrects."""
    s = state.store()
    items = usecases.worry_coverage(s, slug, state.catalogue())
    if not items:
        st.info("The interview records no worries, fraud scenarios or past incidents.")
        return
    ucs = {u.template_id: u.title for u in usecases.list_use_cases(s, slug) if u.status not in DROPPED}
    gaps = [c for c in items if not c.covered]
    if not ucs:
        st.info("No use cases yet: generate them on the Use cases page to see which worries they cover.")
    elif gaps:
        st.warning(f"{len(gaps)} of {len(items)} worries are not covered by any use case.", icon=":material/warning:")
    else:
        st.success(f"Every one of the {len(items)} worries is covered by at least one use case.")
    for c in items:
        with st.form(f"worry:{c.worry.id}", border=True):
            st.markdown(f"**{md(worry_source(c.worry))}** · {md(c.worry.text)}")
            current = [t for t in c.use_cases if t in ucs]
            picked = st.multiselect("Covered by", list(ucs), default=current, format_func=lambda t: ucs.get(t, t),
                                    key=f"worry_pick:{c.worry.id}", placeholder="NOT COVERED")  # fmt: skip
            if st.form_submit_button("Save"):
                try:
                    usecases.set_worry_coverage(s, slug, c.worry.id, picked, who=state.who(),
                                                questionnaires=state.catalogue())  # fmt: skip
                except WorkshopError as exc:
                    st.error(md(str(exc)))
                else:
                    st.rerun()


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    s = state.store()
    interview = interviews.latest_interview(s, app.slug)
    st.title(f"Review · {md(app.name)}")
    if interview is None:
        st.info("No interview yet.")
        state.link("workshop", "Start the workshop", ":material/forum:")
        return
    q = state.catalogue().questionnaires.get(interview.questionnaire_id)
    if q is None:
        st.error(f"Questionnaire '{md(interview.questionnaire_id)}' could not be loaded; see the Workshop page.")
        return
    answers = interviews.answers(s, interview.id)
    prog = progress(q, answers)
    missing = open_required(q, answers)
    items = follow_ups(q, answers)
    c1, c2, c3 = st.columns(3)
    c1.metric("Answered", f"{prog.answered} / {prog.shown}")
    c2.metric("Required still open", len(missing))
    c3.metric("Follow-ups", len(items))

    tab_answers, tab_open, tab_follow, tab_worries, tab_changes = st.tabs(
        ["Answers", "Still open", "Follow-ups", "Worries", "Changes"]
    )
    with tab_worries:
        _worries(app.slug)
    summary = interview_summary(s, q, interview)
    with tab_answers:
        st.caption(f"What the owners were shown, in full. {_opened(summary)}")
        d1, d2, d3, _ = st.columns([1, 1, 1, 1])
        d1.download_button("What we heard (HTML, prints on A4)", to_html(summary), file_name=f"{app.slug}-what-we-heard.html",
                           mime="text/html", key="dl_summary_html", icon=":material/print:")  # fmt: skip
        d2.download_button("What we heard (Markdown)", to_markdown(summary), file_name=f"{app.slug}-what-we-heard.md",
                           mime="text/markdown", key="dl_summary_md", icon=":material/description:")  # fmt: skip
        d3.download_button("What we heard (PDF, A4)", lambda: render_summary_pdf(summary),
                           file_name=f"{app.slug}-what-we-heard.pdf", mime="application/pdf", key="dl_summary_pdf",
                           icon=":material/picture_as_pdf:")  # fmt: skip
        for section in summary.sections:
            done = sum(1 for i in section.items if i.answered or i.unknown)
            with st.expander(f"{md(section.title)} ({done}/{len(section.items)})", expanded=False):
                st.markdown(section_markdown(section, md_block))
    with tab_open:
        if not missing:
            st.success("Every required question has an answer (or is marked unknown).")
        for m in missing:
            st.markdown(f"- **{md(q.section(m.section).title)}** · {md(m.prompt)}")
    with tab_follow:
        rows = open_items(summary)
        if not rows:
            st.info("Nothing marked for follow-up or unknown.")
        else:
            st.table([dict(zip(OPEN_HEADER, r, strict=True)) for r in rows])
        d1, d2 = st.columns(2)
        d1.download_button("Download as Markdown", follow_ups_markdown(app.name, items, interview.held_on)
                           + _unknowns_markdown(summary),
                           file_name=f"{app.slug}-follow-ups.md", mime="text/markdown", key="dl_followups_md")  # fmt: skip
        d2.download_button("Download as CSV", open_items_csv(summary), file_name=f"{app.slug}-follow-ups.csv",
                           mime="text/csv", key="dl_followups_csv")  # fmt: skip
    with tab_changes:
        prev = interviews.previous_interview(s, interview)
        if prev is None:
            st.info("This is the first interview of this application: nothing to compare with yet.")
        else:
            changes = diff_answers(q, interviews.answers(s, prev.id), answers)
            st.caption(f"Compared with the interview of {prev.held_on}.")
            if changes:
                st.dataframe([c.to_dict() for c in changes], hide_index=True, width="stretch", placeholder="")
            else:
                st.success("No answer changed.")
            flagged = flagged_use_cases(s, app.slug, state.catalogue())
            if flagged:
                st.warning(
                    "These use cases were built from answers that changed; regenerate them on the Use cases page "
                    "and review: " + "; ".join(f"{tid} ({', '.join(ids)})" for tid, ids in flagged.items()),
                    icon=":material/flag:",
                )
        history = interviews.answer_history(s, interview.id)
        if history:
            with st.expander(f"Answer history of this interview ({len(history)} saves)"):
                prompts = {qq.id: qq.prompt for qq in q.questions}
                zone = _local_zone()
                st.dataframe(
                    [{"When": _local(h.at, zone), "Who": h.who, "Question": prompts.get(h.question_id, h.question_id),
                      "Answer": _history_value(q, h.question_id, h.new), "Revision": h.revision}
                     for h in reversed(history[-500:])],
                    hide_index=True, width="stretch", placeholder="",
                    column_config={"Answer": st.column_config.TextColumn(width="large")},
                )  # fmt: skip


if __name__ == "__main__":  # run as a page by st.navigation
    render()
