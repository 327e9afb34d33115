"""Send ahead and import back: the blank form to send, and a filled form applied to an interview."""

from __future__ import annotations

from workshop.core.errors import InputError
from workshop.interview.form_import import FormChange, form_changes
from workshop.questionnaire import Catalogue, Questionnaire
from workshop.questionnaire.forms import blank_form
from workshop.services.interview import answer_question
from workshop.services.interview_io import parse_interview
from workshop.store import Store

BLANK_FORMATS = {"md": "text/markdown", "html": "text/html", "yaml": "application/yaml"}


def blank(questionnaire: Questionnaire, fmt: str) -> str:
    return blank_form(questionnaire, fmt)


def preview_form(
    store: Store, catalogue: Catalogue, questionnaire: Questionnaire, interview_id: int, text: str, filename: str
) -> list[FormChange]:
    """What a filled form would change in this interview (raises the form's problems, with lines)."""
    parsed = parse_interview(text, filename, catalogue)
    if parsed.questionnaire.id != questionnaire.id:
        raise InputError(
            f"{filename}: this form is for questionnaire '{parsed.questionnaire.id}', "
            f"the interview uses '{questionnaire.id}'"
        )
    return form_changes(questionnaire, store.answers(interview_id), parsed.states)


def apply_form(
    store: Store, questionnaire: Questionnaire, interview_id: int, changes: list[FormChange], who: str
) -> int:
    """Save the previewed changes; returns how many answers were written."""
    for change in changes:
        s = change.state
        answer_question(
            store, questionnaire, interview_id, change.question_id, s.get("value"),
            unknown=bool(s.get("unknown")), follow_up=bool(s.get("follow_up")),
            follow_up_owner=s.get("follow_up_owner") or "", follow_up_note=s.get("follow_up_note") or "", who=who,
        )  # fmt: skip
    return len(changes)
