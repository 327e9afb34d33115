"""Running an interview: checked answers saved through the store.

This is the layer between a questionnaire and the store: the UI and the command line
call it, never the store directly, so every answer is checked against its question
before it is saved, whichever way it came in. Progress, follow-ups and changes are
pure and live in :mod:`workshop.interview.progress`.
"""

from __future__ import annotations

from typing import Any

from workshop.core.errors import InputError
from workshop.interview.model import Answer, Interview
from workshop.questionnaire import Questionnaire, coerce
from workshop.store import UNSET, Store


def answer_question(
    store: Store,
    questionnaire: Questionnaire,
    interview_id: int,
    question_id: str,
    value: Any = UNSET,
    *,
    unknown: bool | None = None,
    follow_up: bool | None = None,
    follow_up_owner: str | None = None,
    follow_up_note: str | None = None,
    who: str = "",
    expected_revision: int | None = None,
) -> Answer:
    """Check ``value`` against its question and save it (raises AnswerError if it does not fit)."""
    if not questionnaire.has_question(question_id):
        raise InputError(f"'{question_id}' is not a question of {questionnaire.id} {questionnaire.version}")
    question = questionnaire.question(question_id)
    if value is not UNSET:
        value = coerce(question, value)
    return store.save_answer(
        interview_id,
        question_id,
        value,
        unknown=unknown,
        follow_up=follow_up,
        follow_up_owner=follow_up_owner,
        follow_up_note=follow_up_note,
        who=who,
        expected_revision=expected_revision,
    )


def previous_interview(store: Store, interview: Interview) -> Interview | None:
    """The interview this one follows: its explicit predecessor, else the one before it."""
    if interview.previous_id is not None:
        return store.get_interview(interview.previous_id)
    earlier = [i for i in store.list_interviews(interview.application) if i.id < interview.id]
    return earlier[0] if earlier else None
