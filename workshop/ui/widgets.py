"""One widget per question type, each saving through the store as soon as it changes.

Widget keys are derived from the interview and question ids. A widget's value is
seeded from the store whenever Streamlit has dropped its key (first draw, or the
section was left and re-entered), together with the answer's revision in a plain
session key; every save sends that revision back, so an edit made over someone
else's newer answer is refused and shown instead of silently overwriting it.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import streamlit as st

from workshop.core.errors import AnswerError, StaleEditError, WorkshopError
from workshop.core.render import markdown_fragment
from workshop.interview.model import Answer
from workshop.interview.summary import html_table, table_of
from workshop.questionnaire import Question, Questionnaire
from workshop.questionnaire.grid import check_rows, with_blank_rows
from workshop.questionnaire.values import common_timezones
from workshop.services.interview import answer_question
from workshop.ui import state
from workshop.ui.text import md
from workshop.vocab import WEEKDAYS

PILL_LIMIT_SINGLE = 8
PILL_LIMIT_MULTI = 14


def key(iid: int, qid: str, part: str = "v") -> str:
    return f"{part}:{iid}:{qid}"


def _errors() -> dict[str, str]:
    return st.session_state.setdefault("question_errors", {})


def question_error(qid: str) -> str:
    """The message shown under a question ('' when its last save went through)."""
    return _errors().get(qid, "")


# --- value conversion between the store and widgets ------------------------------------


def _to_time(text: str | None) -> dt.time | None:
    if not text:
        return None
    if text == "24:00":
        return dt.time(23, 59)
    h, m = text.split(":")
    return dt.time(int(h), int(m))


def _seed(iid: int, q: Question, answer: Answer | None) -> None:
    """Put the stored value into the widget keys Streamlit has dropped."""
    value = answer.value if answer else None
    rev_key = key(iid, q.id, "rev")
    main = key(iid, q.id)
    if q.type == "time_window":
        parts = {k: key(iid, q.id, k) for k in ("days", "start", "end", "tz")}
        if parts["days"] not in st.session_state:
            v = value or {}
            st.session_state[parts["days"]] = list(v.get("days") or [])
            st.session_state[parts["start"]] = _to_time(v.get("start"))
            st.session_state[parts["end"]] = _to_time(v.get("end"))
            st.session_state[parts["tz"]] = v.get("timezone") or st.session_state.get("last_timezone", "UTC")
            st.session_state[rev_key] = answer.revision if answer else 0
    elif q.type == "list":
        base = key(iid, q.id, "base")
        if main not in st.session_state or base not in st.session_state:
            # rows still being filled in (kept in a plain key, which survives leaving the section)
            rows = st.session_state.get(key(iid, q.id, "draft")) or value or []
            st.session_state[base] = with_blank_rows(q, rows)
            st.session_state[rev_key] = answer.revision if answer else 0
    elif main not in st.session_state:
        if q.type == "date" and value:
            value = dt.date.fromisoformat(value)
        elif q.type in ("multi_choice", "tags"):
            value = list(value or [])
        elif q.type in ("text", "long_text"):
            value = value or ""
        st.session_state[main] = value
        st.session_state[rev_key] = answer.revision if answer else 0
    for part, attr, default in (("unk", "unknown", False), ("fu", "follow_up", False),
                                ("fuo", "follow_up_owner", ""), ("fun", "follow_up_note", "")):  # fmt: skip
        k = key(iid, q.id, part)
        if k not in st.session_state:
            st.session_state[k] = getattr(answer, attr) if answer else default


def _widget_value(iid: int, q: Question) -> Any:
    """Read the current widget value(s) back into the answer's shape (before checking)."""
    ss = st.session_state
    if q.type == "time_window":
        days = ss.get(key(iid, q.id, "days")) or []
        start, end = ss.get(key(iid, q.id, "start")), ss.get(key(iid, q.id, "end"))
        tz = ss.get(key(iid, q.id, "tz")) or "UTC"
        if not days and start is None and end is None:
            return None
        if not days or start is None or end is None:
            raise AnswerError("pick the days, a start and an end time (nothing saved yet)")
        ss["last_timezone"] = tz
        return {"days": days, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"), "timezone": tz}
    value = ss.get(key(iid, q.id))
    if q.type == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and q.type == "integer" and value.is_integer():
        return int(value)
    return value


# --- saving ---------------------------------------------------------------------------


def save(q: Questionnaire, iid: int, qid: str, who: str, value: Any = ..., **flags: Any) -> Answer | None:
    """Save through the store; keep the revision; turn every failure into a message."""
    errors = _errors()
    rev_key = key(iid, qid, "rev")
    try:
        kwargs: dict[str, Any] = dict(flags)
        if value is not ...:
            kwargs["value"] = value
        saved = answer_question(
            state.store(), q, iid, qid, who=who, expected_revision=st.session_state.get(rev_key), **kwargs
        )
    except StaleEditError as exc:
        current = exc.current  # the answer as the other person saved it
        shown = ("unknown" if current.unknown else current.value) if isinstance(current, Answer) else current
        errors[qid] = (
            f"{exc.message}. Their answer: {shown!r}. Use 'Load their answer' to see it, then change it if needed."
        )
        st.session_state.setdefault("stale_questions", set()).add(qid)
        return None
    except AnswerError as exc:
        errors[qid] = exc.message.split(": ", 1)[-1] if exc.message.startswith(qid) else exc.message
        return None
    except WorkshopError as exc:
        state.report_error(exc, "saving")
        return None
    errors.pop(qid, None)
    st.session_state[rev_key] = saved.revision
    st.session_state[key(iid, qid, "stored")] = saved.value
    state.mark_saved()
    return saved


def _value_keys(iid: int, q: Question) -> list[str]:
    if q.type == "time_window":
        return [key(iid, q.id, part) for part in ("days", "start", "end")]
    return [key(iid, q.id)]


def _on_value(q: Questionnaire, iid: int, qid: str, who: str) -> None:
    """Save a widget's new value, but only one this session holds.

    A change can reach the server for a widget whose value the session no longer holds (its
    state dropped between two runs while the browser still shows it); reading it would give
    None and save the answer as empty. Not saving then loses nothing the person did: the store
    and the page still hold their answer. (The wipes seen in CI came from the browser itself
    sending empty values, see pages/workshop.py _interview; this guards the server's side.)"""
    question = q.question(qid)
    if any(k not in st.session_state for k in _value_keys(iid, question)):
        return
    try:
        value = _widget_value(iid, question)
    except AnswerError as exc:
        _errors()[qid] = exc.message
        return
    save(q, iid, qid, who, value)


def _on_flag(q: Questionnaire, iid: int, qid: str, who: str) -> None:
    ss = st.session_state

    def held(part: str, cast: Callable[[Any], Any]) -> Any:
        k = key(iid, qid, part)
        return cast(ss.get(k)) if k in ss else None  # None: not held here, leave the stored flag (see _on_value)

    # the popover's label shows the flags, so a flag changed makes it a new widget, closed by
    # default: it stays open for the person still working in it
    ss[key(iid, qid, "flags")] = True
    save(
        q, iid, qid, who,
        unknown=held("unk", bool),
        follow_up=held("fu", bool),
        follow_up_owner=held("fuo", lambda v: v or ""),
        follow_up_note=held("fun", lambda v: v or ""),
    )  # fmt: skip


def reload_question(iid: int, qid: str) -> None:
    """Forget this session's widget state for a question so it is drawn from the store again."""
    for k in [k for k in st.session_state if isinstance(k, str) and k.split(":", 2)[1:] == [str(iid), qid]]:
        del st.session_state[k]
    _errors().pop(qid, None)
    st.session_state.get("stale_questions", set()).discard(qid)


RERUN_APP = "rerun_app"


def _load_theirs(iid: int, qid: str) -> None:
    """The other person's answer replaces this screen's edit. The whole page is drawn again, not
    only the questions (a fragment): the autosave badge outside them still says "not saved"."""
    reload_question(iid, qid)
    st.session_state[RERUN_APP] = True


# --- drawing --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def notes_html(help_: str, probes: tuple[str, ...], example: str) -> str:
    """The facilitator's notes of a question as one block of HTML ('' when it has none).

    Cached here, in a module the page imports: the page's own module runs afresh on every rerun,
    so a cache there was empty each time and the Markdown was converted again for every question."""
    parts = []
    if help_:
        parts.append(f"**Why we ask** · {help_}")
    if probes:
        parts.append("**Probe**\n\n" + "\n".join(f"- {p}" for p in probes))
    if example:
        parts.append(f"**Example** · _{example}_")
    if not parts:
        return ""
    body = markdown_fragment("\n\n".join(parts))
    return f'<div class="uw-notes">{body}</div>'


def draw(q: Questionnaire, iid: int, question: Question, answer: Answer | None, who: str) -> None:
    """Draw the input for one question (its value widget and its flags)."""
    _seed(iid, question, answer)
    k = key(iid, question.id)
    cb: dict[str, Any] = dict(
        on_change=state.safe_callback("saving an answer")(_on_value), args=(q, iid, question.id, who)
    )
    label = question.prompt
    lv: Literal["collapsed"] = "collapsed"
    t = question.type
    if t == "text":
        st.text_input(
            label, key=k, label_visibility=lv, max_chars=2000, placeholder=question.example or None, **cb
        )
    elif t == "long_text":
        st.text_area(
            label, key=k, label_visibility=lv, height=110, placeholder=question.example or None, **cb
        )
    elif t in ("integer", "number"):
        step = 1 if t == "integer" else None
        bounds: dict[str, Any] = {}
        if question.min is not None:
            bounds["min_value"] = int(question.min) if t == "integer" else float(question.min)
        if question.max is not None:
            bounds["max_value"] = int(question.max) if t == "integer" else float(question.max)
        if t == "number" and isinstance(st.session_state.get(k), int):
            st.session_state[k] = float(st.session_state[k])
        st.number_input(label, key=k, label_visibility=lv, step=step, placeholder=question.unit or None,
                        **bounds, **cb)  # fmt: skip
    elif t == "boolean":
        st.segmented_control(label, [True, False], key=k, label_visibility=lv,
                             format_func=lambda v: "Yes" if v else "No", wrap=True, **cb)  # fmt: skip
    elif t == "single_choice":
        labels = {o.value: o.label for o in question.options}
        if len(question.options) <= PILL_LIMIT_SINGLE:
            st.pills(
                label,
                list(labels),
                key=k,
                label_visibility=lv,
                format_func=labels.__getitem__,
                wrap=True,
                **cb,
            )
        else:
            st.selectbox(label, list(labels), key=k, label_visibility=lv, format_func=labels.__getitem__,
                         placeholder="Choose one", **cb)  # fmt: skip
    elif t == "multi_choice":
        labels = {o.value: o.label for o in question.options}
        if len(question.options) <= PILL_LIMIT_MULTI:
            st.pills(label, list(labels), key=k, selection_mode="multi", label_visibility=lv,
                     format_func=labels.__getitem__, wrap=True, **cb)  # fmt: skip
        else:
            st.multiselect(label, list(labels), key=k, label_visibility=lv, format_func=labels.__getitem__,
                           placeholder="Choose any", **cb)  # fmt: skip
    elif t == "scale":
        lo = int(question.min if question.min is not None else 1)
        hi = int(question.max if question.max is not None else 5)
        st.pills(label, list(range(lo, hi + 1)), key=k, label_visibility=lv, wrap=True, **cb)
    elif t == "date":
        st.date_input(label, key=k, label_visibility=lv, format="YYYY-MM-DD", **cb)
    elif t == "tags":
        current = st.session_state.get(k) or []
        st.multiselect(label, current, key=k, label_visibility=lv, accept_new_options=True,
                       placeholder="Type a value and press Enter", **cb)  # fmt: skip
    elif t == "time_window":
        _time_window(q, iid, question, who)
    elif t == "list":
        # the value in the store as this run read it; a save updates it (the table's own reruns
        # compare with it instead of reading the store again)
        st.session_state[key(iid, question.id, "stored")] = answer.value if answer else None
        if _editing(iid, question, answer):
            _list_editor(q, iid, question, answer, who)
        else:
            _filled_table(iid, question, answer.value if answer else [])
    error = _errors().get(question.id)
    if error:
        st.error(md(error), icon=":material/warning:")  # carries another person's answer: shown as text
        if question.id in st.session_state.get("stale_questions", set()):
            st.button("Load their answer", key=key(iid, question.id, "reload"),
                      on_click=_load_theirs, args=(iid, question.id))  # fmt: skip
    _flags(q, iid, question, who)


def _time_window(q: Questionnaire, iid: int, question: Question, who: str) -> None:
    cb: dict[str, Any] = dict(
        on_change=state.safe_callback("saving an answer")(_on_value), args=(q, iid, question.id, who)
    )
    st.pills("Days", WEEKDAYS, key=key(iid, question.id, "days"), selection_mode="multi",
             format_func=str.capitalize, wrap=True, **cb)  # fmt: skip
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.time_input("From", key=key(iid, question.id, "start"), step=900, **cb)
    c2.time_input("To", key=key(iid, question.id, "end"), step=900, **cb)
    zones = common_timezones()
    tz_key = key(iid, question.id, "tz")
    if st.session_state.get(tz_key) not in zones:
        st.session_state[tz_key] = "UTC"
    c3.selectbox("Time zone", zones, key=tz_key, **cb)


def _editing(iid: int, question: Question, answer: Answer | None) -> bool:
    """Whether a table answer is drawn as its editor, or as a table to read with an Edit button.

    The editor is the heaviest element on the page: each one took the browser about 190 ms of
    CPU to draw, and a section switch draws every table of the section (three in Service
    accounts). A table that already has rows when the section opens is shown as a plain table,
    which also reads in full (the editor cuts long cells); one click opens the editor. An empty
    table, or one with a draft row, opens as the editor, ready to type. The choice is made once
    per visit of the section (``fold_tables`` forgets it when the section changes), never while
    someone types: the first saved row does not fold the editor under their hands."""
    k = key(iid, question.id, "edit")
    if k not in st.session_state:
        draft = st.session_state.get(key(iid, question.id, "draft"))
        st.session_state[k] = bool(draft) or not (answer and answer.value)
    return bool(st.session_state[k])


def fold_tables(iid: int) -> None:
    """Forget which tables were opened for editing: the next section decides again (``_editing``)."""
    prefix = key(iid, "", "edit")  # the keys _editing sets for this interview, whatever the question
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[k]


def _open_editor(iid: int, qid: str) -> None:
    st.session_state[key(iid, qid, "edit")] = True


def _filled_table(iid: int, question: Question, rows: list[dict[str, Any]]) -> None:
    table = html_table(table_of(question, rows), "uw-table")  # every cell escaped there
    st.html(f'<div class="uw-table-box" data-question="{html.escape(question.id)}">{table}</div>')
    n = len(rows)
    st.button(f"Edit the table ({n} row{'s' if n != 1 else ''})", key=key(iid, question.id, "edit_table"),
              icon=":material/edit:", on_click=_open_editor, args=(iid, question.id))  # fmt: skip


def _labeller(names: dict[str, str]) -> Callable[[Any], str]:
    """A choice column's label for a value (the value itself for one no longer offered)."""
    return lambda v: names.get(v, v)


def _frame(question: Question, rows: list[dict[str, Any]]) -> pd.DataFrame:
    # pandas' extension dtypes keep missing cells as <NA> instead of turning the column to float
    dtypes: dict[str, Any] = {"integer": "Int64", "number": "Float64", "boolean": "boolean"}
    df = pd.DataFrame(rows or [], columns=[c.id for c in question.columns])
    for c in question.columns:
        df[c.id] = df[c.id].astype(dtypes.get(c.type, "object"))
    return df


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                v = None
            elif hasattr(v, "item"):
                v = v.item()
            row[str(k)] = v  # the column ids, which are strings
        out.append(row)
    return out


@st.fragment
def _list_editor(q: Questionnaire, iid: int, question: Question, answer: Answer | None, who: str) -> None:
    """A table answer, redrawn on its own (a fragment) when a cell changes.

    Every cell edit reruns the script; a whole-page rerun takes long enough for the next
    keystrokes to land on a table being redrawn, and those were lost. As a fragment the
    rerun covers only this table, so the window is a fraction of what it was."""
    cc = st.column_config
    config: dict[str, Any] = {}
    for c in question.columns:
        label = c.label + (" *" if c.required else "")
        if c.type == "integer":
            config[c.id] = cc.NumberColumn(label, step=1, help=c.help or None)
        elif c.type == "number":
            config[c.id] = cc.NumberColumn(label, help=c.help or None)
        elif c.type == "boolean":
            config[c.id] = cc.CheckboxColumn(label, help=c.help or None)
        elif c.type == "choice":
            names = {o.value: o.label for o in c.options}
            config[c.id] = cc.SelectboxColumn(
                label, options=list(names), format_func=_labeller(names),
                help=c.help or None, width="medium",
            )  # fmt: skip
        else:
            config[c.id] = cc.TextColumn(label, help=c.help or None, max_chars=2000)
    base = st.session_state[key(iid, question.id, "base")]
    edited = st.data_editor(
        _frame(question, base),
        key=key(iid, question.id),
        num_rows="dynamic",
        hide_index=True,
        column_config=config,
        width="stretch",
        placeholder="",  # an empty cell shows nothing (Streamlit's default shows "None")
    )
    st.caption(
        "Type into the empty rows at the bottom; for more, click the last row (or **+** above the table). "
        "Remove rows: tick them on the left, then the bin icon above the table. Complete rows are saved "
        "as you go; empty rows are not saved."
    )
    rows = _rows(edited)
    stored = st.session_state.get(key(iid, question.id, "stored"))
    checked = check_rows(question, rows)
    draft_key = key(iid, question.id, "draft")
    if checked.drafts:
        st.session_state[draft_key] = rows
        st.warning(
            "  \n".join(f"Row {d.row} is a draft, not saved yet: {d.reason}." for d in checked.drafts)
            + ("  \nThe other rows are saved." if checked.valid else ""),
            icon=":material/edit_note:",
        )
    else:
        st.session_state.pop(draft_key, None)
    if checked.value != stored and question.id not in st.session_state.get("stale_questions", set()):
        save(q, iid, question.id, who, checked.value)


def flags_label(unknown: bool, follow_up: bool, owner: str) -> str:
    """What the flags button says: the flags a question carries, readable without opening it."""
    parts = []
    if unknown:
        parts.append("Owners don't know")
    if follow_up:
        parts.append(f"Follow up: {md(owner)}" if owner else "Follow up")
    return " · ".join(parts) or "Don't know / follow up"


def _flags(q: Questionnaire, iid: int, question: Question, who: str) -> None:
    """The "owners don't know" and follow-up controls, in one small popover per question.

    They used to be two checkboxes in two columns (and two more fields once "Follow up" was
    ticked) under every question, and drawing them was a large part of what the browser did
    on each section switch. The popover tracks whether it is open (``on_change="rerun"``) and its
    content is drawn only while it is: a closed popover's checkboxes were still sent and kept by
    the browser, two elements per question on every switch (about 7 % of the browser's work on
    one). Opening it costs a short run of the questions. The widgets and their keys
    (``unk:``/``fu:``/``fuo:``/``fun:``) are the same as before; closed, they are seeded from the
    store (see ``_seed``). The button's label shows the flags a question carries, so nothing is
    hidden by closing it. No tooltip: one shown on hover covered the question below the button."""
    cb: dict[str, Any] = dict(
        on_change=state.safe_callback("saving a flag")(_on_flag), args=(q, iid, question.id, who)
    )
    ss = st.session_state
    unknown, follow_up = bool(ss.get(key(iid, question.id, "unk"))), bool(ss.get(key(iid, question.id, "fu")))
    label = flags_label(unknown, follow_up, str(ss.get(key(iid, question.id, "fuo")) or ""))
    flagged = unknown or follow_up
    with st.popover(label, key=key(iid, question.id, "flags"),
                    icon=":material/flag:" if flagged else ":material/help_outline:",
                    type="secondary" if flagged else "tertiary", on_change="rerun") as flags:  # fmt: skip
        if not flags.open:
            return
        st.checkbox("Owners don't know", key=key(iid, question.id, "unk"), **cb)
        st.checkbox("Follow up", key=key(iid, question.id, "fu"), **cb)
        if follow_up:
            st.text_input("Who follows up", key=key(iid, question.id, "fuo"), max_chars=200, **cb)
            st.text_input("What to find out", key=key(iid, question.id, "fun"), max_chars=2000, **cb)
