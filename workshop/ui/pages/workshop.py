"""Workshop: the guided interview, one section at a time, saved as it is typed."""

from __future__ import annotations

import datetime as dt
import functools
import html

import streamlit as st

from workshop.core.errors import ValidationErrors, WorkshopError
from workshop.interview.facts import Q
from workshop.interview.form_import import FormChange
from workshop.interview.model import Application, Interview
from workshop.interview.progress import context_for, progress
from workshop.questionnaire import Questionnaire
from workshop.services import interview as interviews
from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE
from workshop.ui import autosave, state, widgets
from workshop.ui.text import md


def _start_form(app: Application) -> None:
    cat = state.catalogue()
    st.title(md(app.name))
    st.subheader("Start the workshop")
    if not cat.questionnaires:
        st.error("No usable questionnaire was found; fix the files listed below.")
        _catalogue_errors()
        return
    ids = list(cat.questionnaires)
    default = ids.index(DEFAULT_QUESTIONNAIRE) if DEFAULT_QUESTIONNAIRE in ids else 0
    with st.form("start_interview"):
        qid = st.selectbox("Questionnaire", ids, index=default,
                           format_func=lambda i: f"{cat.questionnaires[i].title} (v{cat.questionnaires[i].version})", key="start:questionnaire")  # fmt: skip
        held_on = st.date_input("Date", value=dt.date.today(), format="YYYY-MM-DD", key="start:date")
        facilitator = st.text_input("Facilitator", value=state.current_user(), key="start:facilitator")
        participants = st.text_input(
            "Participants", placeholder="Names and roles, separated by commas", key="start:participants"
        )
        go = st.form_submit_button("Start", type="primary")
    if go:
        q = cat.questionnaires[qid]
        interviews.start_interview(
            state.store(), app.slug, q, held_on=held_on.isoformat(), facilitator=facilitator,
            participants=[p.strip() for p in participants.split(",")],
        )  # fmt: skip
        st.rerun()
    _catalogue_errors()


def _catalogue_errors() -> None:
    errors = state.catalogue().errors
    if errors:
        with st.expander(
            f"{len(errors)} questionnaire file(s) could not be loaded", icon=":material/warning:"
        ):
            for path, errs in errors.items():
                st.markdown(f"**{path}**")
                st.code("\n".join(str(e) for e in errs), language=None)


def _section_key(iid: int) -> str:
    """A plain session key (not a widget key): the section being worked on.

    The section list used to be a radio whose value the browser sends back as the
    option's label; the label carries the "(n/m)" count, so an answer that changed a
    count made the old label unknown and Streamlit fell back to the first section.
    The list is now made of buttons (triggers, no value to go stale) and the selection
    lives here, in the store (to resume) and in the URL (to reload)."""
    return f"current_section:{iid}"


def _set_section(iid: int, section_id: str, scroll: bool = False) -> None:
    st.session_state[_section_key(iid)] = section_id
    st.query_params["section"] = section_id
    widgets.fold_tables(iid)
    if scroll:
        st.session_state["scroll_to_top"] = st.session_state.get("scroll_to_top", 0) + 1
    interviews.set_current_section(state.store(), iid, section_id)


SCROLL_TOP_JS = """<script>
/* nonce %s: a new section starts at its top */
(() => {
  const d = document;
  const toTop = () => {
    for (const sel of ['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]']) {
      const el = d.querySelector(sel); if (el) { el.scrollTop = 0; } }
    window.scrollTo(0, 0); };
  const ae = d.activeElement; if (ae && ae !== d.body && ae.blur) { ae.blur(); }  /* no focus pulling it back */
  toTop();
  /* again once the run that draws the section has ended (and a little after), however long it takes;
     the last scroll is recorded on the page: a test waits for it before it clicks on (a click sent
     between two of these scrolls can land on another question) */
  const idle = () => d.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
  const t0 = Date.now();
  const poll = setInterval(() => {
    toTop();
    if (idle() || Date.now() - t0 > 10000) {
      clearInterval(poll);
      for (const ms of [60, 150, 300, 500]) { setTimeout(toTop, ms); }
      setTimeout(() => { toTop(); d.body.dataset.uwScrolledToTop = "%s"; }, 800);
    }
  }, 50);
})();
</script>"""


def _scroll_to_top() -> None:
    """After "Next section" the new section starts at its top, not mid-page (Streamlit keeps
    the scroll position across reruns). A small script in the page itself (``st.html``; it was
    a zero-height frame, ``components.html``, deprecated and a new frame per switch) scrolls.

    It is drawn on every run at the same place with the same content, and Streamlit runs an
    ``st.html`` script again only when its text changes: it runs when the counter changes, and
    a run cut short by another event (the autosave sending text) cannot swallow the scroll.
    Its box is hidden by the page's CSS (``uw-scroll-top``), so it takes no room."""
    n = st.session_state.get("scroll_to_top", 0)
    if n:
        with st.container(key="uw-scroll-top"):
            st.html(SCROLL_TOP_JS % (n, n), unsafe_allow_javascript=True)


def _prefill_criticality(q: Questionnaire, iid: int, app: Application, answers) -> bool:
    """The profile already says how critical the application is: start from that answer."""
    done = f"prefilled:{iid}"
    if st.session_state.get(done) or Q.PURPOSE_CRITICALITY in answers or not app.criticality:
        return False
    st.session_state[done] = True
    try:
        question = q.question(Q.PURPOSE_CRITICALITY)
    except Exception:  # another questionnaire without this question
        return False
    if str(app.criticality) not in {o.value for o in question.options}:
        return False
    return widgets.save(q, iid, question.id, "application profile", str(app.criticality)) is not None


def _new_interview(app: Application, q: Questionnaire, prefill: bool) -> None:
    from workshop.services.portfolio import start_rereview

    s = state.store()
    if prefill:
        start_rereview(s, app.slug, q, facilitator=state.current_user(), who=state.who())
    else:
        interviews.start_interview(s, app.slug, q, facilitator=state.current_user())
    st.rerun()


def _header(app: Application, interview: Interview, q: Questionnaire) -> None:
    st.title(md(app.name))
    meta = f"Interview {interview.id} of {interview.held_on} · {md(q.title)} v{q.version}"
    if interview.previous_id is not None:
        prev = interviews.get_interview(state.store(), interview.previous_id)
        meta += f" · re-review of interview {prev.id} of {prev.held_on}"
    if interview.facilitator:
        meta += f" · facilitated by {md(interview.facilitator)}"
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.caption(meta)
    if not state.presenter_mode():
        with c2.popover("New interview", icon=":material/event_repeat:"):
            st.caption("A year on? Start a re-review: every answer is carried over, and the Review page "
                       "shows what changed.")  # fmt: skip
            sure = st.checkbox(
                f"Yes, start interview {interview.id + 1}: interview {interview.id} of {interview.held_on} "
                "is kept as it is and no longer edited here.",
                key="confirm_new_interview",
            )
            if st.button("Start a re-review (pre-filled)", key="rereview", type="primary", disabled=not sure):
                st.session_state.pop("confirm_new_interview", None)
                _new_interview(app, q, prefill=True)
            if st.button("Start a blank interview", key="blank_interview", disabled=not sure):
                st.session_state.pop("confirm_new_interview", None)
                _new_interview(app, q, prefill=False)


def _saved_state(prog) -> None:
    c1, c2 = st.columns([4, 1])
    c1.progress(prog.ratio, text=f"{prog.answered} of {prog.shown} questions answered")
    saved = st.session_state.get("saved_at")
    if saved and not st.session_state.get("save_error"):
        c2.markdown(f'<div class="uw-saved">✓ All changes saved · {saved}</div>', unsafe_allow_html=True)
    else:
        c2.caption("Answers save as you type.")


def _send_ahead(app: Application, q: Questionnaire, iid: int) -> None:
    """Send the blank form before the meeting; bring a filled one back, see its changes, apply."""
    from workshop.services.sendahead import BLANK_FORMATS, blank, preview_form

    with st.expander("Send ahead and import back", icon=":material/forward_to_inbox:"):
        st.caption("Send the owners the blank form before the meeting; import the filled YAML form here.")
        cols = st.columns(len(BLANK_FORMATS))
        for col, (fmt, mime) in zip(cols, BLANK_FORMATS.items(), strict=True):
            # made on click (a callable), not on every run: the three forms took half of each rerun
            col.download_button(f"Blank form ({fmt.upper()})", functools.partial(blank, q, fmt),
                                file_name=f"{app.slug}-form.{fmt}", mime=mime, key=f"blank_form_{fmt}",
                                on_click="ignore", width="stretch")  # fmt: skip
        round_ = st.session_state.setdefault(f"form_round:{iid}", 0)  # a new uploader after each import
        upload = st.file_uploader("Filled form (YAML)", type=["yaml", "yml"], key=f"form_upload:{iid}:{round_}")
        if upload is None:
            return
        try:
            text = upload.getvalue().decode("utf-8")
            changes = preview_form(state.store(), state.catalogue(), q, iid, text, upload.name)
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text.")
            return
        except WorkshopError as exc:
            st.error(str(exc) if not isinstance(exc, ValidationErrors) else "\n".join(map(str, exc.errors)))
            return
        if not changes:
            st.success("The form changes nothing: every answer in it is already here.")
            return
        st.markdown(f"**{len(changes)} answer(s) would change:**")
        st.table([c.to_row() for c in changes])
        st.button(f"Apply these {len(changes)} changes", key=f"form_apply:{iid}", type="primary",
                  on_click=state.safe_callback("applying a form")(_apply_form),
                  args=(q, iid, changes, upload.name, round_))  # fmt: skip


def _apply_form(q: Questionnaire, iid: int, changes: list[FormChange], name: str, round_: int) -> None:
    """Save a previewed form; as a callback it runs before the page is drawn, so the questions the
    form changed lose their widget state here and are drawn from the store in this same run (a
    widget whose key is reseeded after it was drawn would keep showing the old text)."""
    from workshop.services.sendahead import apply_form

    n = apply_form(state.store(), q, iid, changes, who=f"form:{name}")
    for c in changes:
        widgets.reload_question(iid, c.question_id)
    st.session_state[f"form_round:{iid}"] = round_ + 1  # a fresh uploader: the form is done
    st.toast(f"Applied {n} answers from {name}", icon=":material/check_circle:")


def render() -> None:
    app = state.require_app()
    if app is None:
        return
    s = state.store()
    interview = interviews.latest_interview(s, app.slug)
    if interview is None:
        _start_form(app)
        return
    cat = state.catalogue()
    q = cat.questionnaires.get(interview.questionnaire_id)
    if q is None:
        st.error(
            f"This interview uses questionnaire '{interview.questionnaire_id}', which could not be loaded. "
            "Its answers are safe; fix the file (problems below) and reload."
        )
        _catalogue_errors()
        return
    if q.version != interview.questionnaire_version:
        st.warning(
            f"This interview was started with version {interview.questionnaire_version} of the questionnaire; "
            f"the file is now version {q.version}. Answers to questions that still exist are shown."
        )
    iid = interview.id
    who = state.current_user() or interview.facilitator or "facilitator"  # the signed-in person first
    typed = _save_typed(q, iid, who)
    _header(app, interview, q)
    if not state.presenter_mode():
        _send_ahead(app, q, iid)
    _interview(app, q, iid, interview.current_section, who)
    autosave.draw(list(typed), typed.error)


@st.fragment
def _interview(app: Application, q: Questionnaire, iid: int, resume: str | None, who: str) -> None:
    """Progress, sections and the questions of one section: the part of the page an answer or a
    section switch changes, redrawn on its own (a fragment). A click here reruns only this, not
    the sidebar, the header or the send-ahead forms; the answers are read once per run."""
    if st.session_state.pop(widgets.RERUN_APP, False):
        st.rerun(scope="app")  # a change that shows outside this fragment (see widgets._load_theirs)
    _scroll_to_top()  # first, so its place on the page never moves
    answers = interviews.answers(state.store(), iid)
    if _prefill_criticality(q, iid, app, answers):
        answers = interviews.answers(state.store(), iid)
    prog = progress(q, answers)
    _saved_state(prog)
    state.show_pending_error()

    nav_key = _section_key(iid)
    section_ids = [sec.id for sec in q.sections]
    if st.session_state.get(nav_key) not in section_ids:
        from_url = st.query_params.get("section")
        st.session_state[nav_key] = (
            from_url if from_url in section_ids
            else resume if resume in section_ids
            else section_ids[0]
        )  # fmt: skip
    if st.query_params.get("section") != st.session_state[nav_key]:
        st.query_params["section"] = st.session_state[nav_key]
    counts = {sp.section_id: sp for sp in prog.sections}

    def label(sid: str) -> str:
        sp = counts[sid]
        mark = "✓ " if sp.complete else ""
        return (
            f"{mark}{sp.title}  ({sp.answered}/{sp.shown})" if sp.shown else f"{sp.title}  (not applicable)"
        )

    presenter = state.presenter_mode()
    current = st.session_state[nav_key]
    nav_col, body = st.columns([1, 3.2] if not presenter else [1.3, 3.7], gap="large")
    with nav_col, st.container(key=f"section:{iid}"):
        st.markdown("**Sections**")
        for sid in section_ids:
            st.button(label(sid), key=f"nav_{sid.replace('.', '_')}", on_click=_set_section, args=(iid, sid),
                      type="primary" if sid == current else "tertiary", width="stretch")  # fmt: skip
    section = q.section(current)
    ctx = context_for(answers)
    with body:
        st.header(section.title)
        if section.intro:
            st.markdown(section.intro)
        shown = q.visible_questions(ctx, section)
        if not shown:
            st.info("Nothing to ask here: earlier answers made this section not applicable.")
        for question in shown:
            with st.container(border=True, key=f"qbox_{question.id.replace('.', '_')}"):
                _question(q, iid, question, answers.get(question.id), who, presenter)
        idx = section_ids.index(section.id)
        b1, _, b2 = st.columns([1, 2, 1])
        if idx > 0:
            b1.button("← " + q.sections[idx - 1].title, on_click=_set_section, args=(iid, section_ids[idx - 1], True),
                      key="prev_section", wrap=True)  # fmt: skip
        if idx < len(section_ids) - 1:
            b2.button(q.sections[idx + 1].title + " →", on_click=_set_section, args=(iid, section_ids[idx + 1], True),
                      key="next_section", type="primary", wrap=True)  # fmt: skip
        else:
            state.link("review", "Review the answers", ":material/checklist:", where=b2)


class _Typed(dict[str, str]):
    """CSS class of a text field -> its question id, with the last autosave error."""

    error: str = ""


def _save_typed(q: Questionnaire, iid: int, who: str) -> _Typed:
    """Save the text the autosave component sent (typed, not yet blurred) before drawing."""
    typed = _Typed(
        (autosave.css_class(widgets.key(iid, question.id)), question.id)
        for question in q.questions
        if question.type in ("text", "long_text")
    )
    event = autosave.pending()
    if event and event.get("cls") in typed:
        qid = typed[event["cls"]]
        widgets.save(q, iid, qid, who, str(event.get("value") or ""))
        typed.error = widgets.question_error(qid)
    return typed


def _prompt_html(question) -> str:
    req = ' <span class="uw-required" title="required">*</span>' if question.required else ""
    unit = f'<div class="uw-unit">{html.escape(question.unit)}</div>' if question.unit else ""
    return f'<div class="uw-prompt">{html.escape(question.prompt)}{req}</div>{unit}'


def _question(q: Questionnaire, iid: int, question, answer, who: str, presenter: bool) -> None:
    """One question: its prompt, its input and (for the facilitator) its notes.

    The prompt and the notes are HTML elements (``st.html``), not Markdown: every Markdown
    element costs the browser a parse and a measurement of its size when it is drawn, and a
    section switch draws all of a section's questions; the HTML is made here instead."""
    if presenter:
        st.html(_prompt_html(question))
        widgets.draw(q, iid, question, answer, who)
        return
    notes_html = widgets.notes_html(question.help or "", tuple(question.probes or ()), question.example or "")
    if question.type == "list":  # a table gets the full width: prompt, table, then the notes under it
        st.html(_prompt_html(question))
        widgets.draw(q, iid, question, answer, who)
        if notes_html:
            st.html(notes_html.replace('class="uw-notes"', 'class="uw-notes uw-below"', 1))
        return
    # prompt and input on the left, the notes on the right: laid out by the page's CSS (a grid on
    # the question's box, see main.BASE_CSS), not by st.columns, which adds six blocks per question
    st.html(_prompt_html(question))
    widgets.draw(q, iid, question, answer, who)
    if notes_html:
        st.html(notes_html)


if __name__ == "__main__":  # run as a page by st.navigation
    render()
