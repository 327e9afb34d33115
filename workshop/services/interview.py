"""Running an interview: checked answers saved through the store.

This is the layer between a questionnaire and the store: the UI and the command line
call it, never the store directly, so every answer is checked against its question
before it is saved, whichever way it came in. Progress, follow-ups and changes are
pure and live in :mod:`workshop.interview.progress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workshop.core.errors import InputError
from workshop.interview.model import Answer, AnswerSet, HistoryEntry, Interview
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


def latest_answers(store: Store, slug: str) -> dict[str, Answer]:
    """The answers of the application's latest interview (none before the first workshop)."""
    interview = store.latest_interview(slug)
    return store.answers(interview.id) if interview is not None else {}


def latest_answer_values(store: Store, slug: str) -> dict[str, Any]:
    """Answer values by question id from the latest interview, as suggestions and documents read them."""
    return dict(AnswerSet(latest_answers(store, slug)).values)


def latest_interview(store: Store, slug: str) -> Interview | None:
    return store.latest_interview(slug)


def answers(store: Store, interview_id: int) -> dict[str, Answer]:
    return store.answers(interview_id)


def answer_history(store: Store, interview_id: int) -> list[HistoryEntry]:
    """Every saved change of every answer, oldest first."""
    return store.history(interview_id)


def start_interview(store: Store, slug: str, questionnaire: Questionnaire, *, held_on: str = "",
                    facilitator: str = "", participants: Sequence[str] = ()) -> Interview:  # fmt: skip
    return store.create_interview(slug, questionnaire.id, questionnaire.version, held_on=held_on,
                                  facilitator=facilitator, participants=participants)  # fmt: skip


def set_current_section(store: Store, interview_id: int, section_id: str) -> None:
    """Remember where the workshop is, so another screen (the presenter's) follows."""
    store.set_current_section(interview_id, section_id)


def get_interview(store: Store, interview_id: int) -> Interview:
    return store.get_interview(interview_id)
