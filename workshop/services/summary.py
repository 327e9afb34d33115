"""The owners' "What we heard" summary of an interview, from the store, in a chosen format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from workshop.core.csvsafe import to_csv
from workshop.core.errors import InputError
from workshop.interview.facts import Facts
from workshop.interview.model import Answer, AnswerSet, Interview
from workshop.interview.summary import OPEN_HEADER, Summary, build_summary, open_items, to_html, to_markdown
from workshop.questionnaire import Questionnaire
from workshop.store import Store
from workshop.usecases.worries import coverage, uncovered

FORMATS = ("md", "html", "pdf")
MIME = {"md": "text/markdown", "html": "text/html", "csv": "text/csv", "pdf": "application/pdf"}


def rereview_label(store: Store, interview: Interview) -> str:
    """'interview 3 of 2025-11-20' when this interview re-reviews an earlier one, else ''."""
    if interview.previous_id is None:
        return ""
    prev = store.get_interview(interview.previous_id)
    return f"interview {prev.id} of {prev.held_on}"


def interview_summary(
    store: Store, questionnaire: Questionnaire, interview: Interview, today: dt.date | None = None
) -> Summary:
    app = store.get_application(interview.application)
    answers = store.answers(interview.id)
    summary = build_summary(
        questionnaire, answers, app, interview, today=today,
        rereview_of=rereview_label(store, interview),
    )  # fmt: skip
    return replace(summary, uncovered_worries=_uncovered_worries(store, interview.application, answers))


def _uncovered_worries(store: Store, slug: str, answers: Mapping[str, Answer]) -> list[str]:
    """The worries told in this interview that no use case covers, once use cases exist."""
    ucs = store.list_use_cases(slug)
    if not ucs:
        return []
    aset = AnswerSet(dict(answers))
    items = coverage(Facts.of(aset.values, aset.unknown).worries, {u.template_id: u.covers for u in ucs},
                     {u.template_id: u.status for u in ucs})  # fmt: skip
    return [w.text for w in uncovered(items)]


def render_summary(summary: Summary, fmt: str) -> str:
    """The summary as text (Markdown or HTML); PDF is bytes: :func:`render_summary_pdf`."""
    if fmt == "md":
        return to_markdown(summary)
    if fmt == "html":
        return to_html(summary)
    if fmt == "pdf":
        raise InputError("a PDF is bytes, not text: use render_summary_pdf")
    raise InputError(f"unknown summary format '{fmt}' (choose from {', '.join(FORMATS)})")


def render_summary_pdf(summary: Summary) -> bytes:
    """The summary as an A4 PDF (see ``summary_pdf`` for the font choice)."""
    from workshop.services.summary_pdf import to_pdf

    return to_pdf(summary)


def open_items_csv(summary: Summary) -> str:
    """Unknowns and follow-ups, for the email after the meeting (cells safe for spreadsheets)."""
    return to_csv(OPEN_HEADER, open_items(summary))
