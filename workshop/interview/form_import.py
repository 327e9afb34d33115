"""A filled send-ahead form against the interview: what it would change, question by question.

The owners may fill the blank form before the meeting; importing it must not silently
overwrite what was said in the room, so the page first shows every change (before and
after, in words) and applies only when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workshop.interview.model import Answer
from workshop.questionnaire import Questionnaire, format_value


@dataclass(frozen=True)
class FormChange:
    question_id: str
    section: str
    prompt: str
    before: str
    after: str
    state: dict[str, Any]

    def to_row(self) -> dict[str, str]:
        return {"Section": self.section, "Question": self.prompt, "Now": self.before, "From the form": self.after}


def _shown(questionnaire: Questionnaire, qid: str, state: Mapping[str, Any] | None) -> str:
    if not state:
        return ""
    if state.get("unknown"):
        text = "unknown"
    else:
        text = format_value(questionnaire.question(qid), state.get("value"))
    if state.get("follow_up"):
        who = state.get("follow_up_owner") or ""
        note = state.get("follow_up_note") or ""
        text += f" [follow-up{': ' + who if who else ''}{' - ' + note if note else ''}]"
    return text


def _state(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {"value": answer.value, "unknown": answer.unknown, "follow_up": answer.follow_up,
            "follow_up_owner": answer.follow_up_owner, "follow_up_note": answer.follow_up_note}  # fmt: skip


def form_changes(
    questionnaire: Questionnaire, answers: Mapping[str, Answer], states: Mapping[str, Mapping[str, Any]]
) -> list[FormChange]:
    """The answers in ``states`` (checked form answers) that differ from ``answers``, in questionnaire order."""
    out = []
    for question in questionnaire.questions:
        state = states.get(question.id)
        if not state:
            continue
        before = _shown(questionnaire, question.id, _state(answers.get(question.id)))
        after = _shown(questionnaire, question.id, state)
        if before != after:
            section = questionnaire.section(question.section).title
            out.append(FormChange(question.id, section, question.prompt, before, after, dict(state)))
    return out
