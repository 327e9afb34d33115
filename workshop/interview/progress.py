"""Where an interview stands: progress, open required questions, follow-ups, changes.

Pure functions of a questionnaire and answers, so the page, the command line and
the portfolio compute them the same way without a store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workshop.core.conditions import Context
from workshop.interview.model import Answer, AnswerSet
from workshop.questionnaire import Question, Questionnaire, format_value, is_empty


def context_for(answers: Mapping[str, Answer]) -> Context:
    return AnswerSet(dict(answers)).context()


@dataclass(frozen=True)
class SectionProgress:
    section_id: str
    title: str
    answered: int
    shown: int

    @property
    def complete(self) -> bool:
        return self.shown > 0 and self.answered >= self.shown


@dataclass
class Progress:
    sections: list[SectionProgress] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.sections)

    @property
    def shown(self) -> int:
        return sum(s.shown for s in self.sections)

    @property
    def ratio(self) -> float:
        return self.answered / self.shown if self.shown else 0.0


def progress(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> Progress:
    """Answered / shown per section; an answer marked unknown counts as answered."""
    ctx = context_for(answers)
    out = Progress()
    for section in questionnaire.sections:
        shown = questionnaire.visible_questions(ctx, section)
        done = sum(1 for q in shown if q.id in answers and answers[q.id].answered)
        out.sections.append(SectionProgress(section.id, section.title, done, len(shown)))
    return out


def open_required(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[Question]:
    """Required questions that are shown and have neither an answer nor an 'unknown' mark."""
    ctx = context_for(answers)
    return [
        q
        for q in questionnaire.visible_questions(ctx)
        if q.required and not (q.id in answers and answers[q.id].answered)
    ]


@dataclass(frozen=True)
class FollowUp:
    question_id: str
    section: str
    prompt: str
    owner: str
    note: str
    answer: str

    def to_dict(self) -> dict[str, str]:
        return {
            "question_id": self.question_id,
            "section": self.section,
            "question": self.prompt,
            "owner": self.owner,
            "note": self.note,
            "current_answer": self.answer,
        }


def follow_ups(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[FollowUp]:
    """Everything marked for follow-up, in questionnaire order (hidden questions included)."""
    out = []
    for q in questionnaire.questions:
        a = answers.get(q.id)
        if a is not None and a.follow_up:
            section = questionnaire.section(q.section).title
            shown = "unknown" if a.unknown else format_value(q, a.value)
            out.append(FollowUp(q.id, section, q.prompt, a.follow_up_owner, a.follow_up_note, shown))
    return out


@dataclass(frozen=True)
class Change:
    question_id: str
    prompt: str
    before: str
    after: str
    kind: str  # added | removed | changed

    def to_dict(self) -> dict[str, str]:
        return {
            "question_id": self.question_id,
            "question": self.prompt,
            "before": self.before,
            "after": self.after,
            "kind": self.kind,
        }


def _shown(q: Question | None, a: Answer | None) -> str:
    if a is None:
        return ""
    if a.unknown:
        return "unknown"
    if q is None:
        return "" if is_empty(a.value) else str(a.value)
    return format_value(q, a.value)


def diff_answers(
    questionnaire: Questionnaire, before: Mapping[str, Answer], after: Mapping[str, Answer]
) -> list[Change]:
    """What changed between two interviews (or two points in one), in questionnaire order."""
    ids = [q.id for q in questionnaire.questions]
    ids += sorted((set(before) | set(after)) - set(ids))
    changes: list[Change] = []
    for qid in ids:
        q = questionnaire.question(qid) if questionnaire.has_question(qid) else None
        b, a = before.get(qid), after.get(qid)
        old, new = _shown(q, b), _shown(q, a)
        if old == new:
            continue
        kind = "added" if not old else "removed" if not new else "changed"
        changes.append(Change(qid, q.prompt if q else qid, old, new, kind))
    return changes


def follow_ups_markdown(app_name: str, items: list[FollowUp], held_on: str = "") -> str:
    """The follow-up list for the email after the meeting."""
    from workshop.core.render import md_escape, md_table

    title = f"Follow-ups from the {md_escape(app_name, False)} workshop"
    if held_on:
        title += f" ({md_escape(held_on, False)})"
    if not items:
        return f"# {title}\n\nNo open follow-ups.\n"
    rows = [[f.section, f.prompt, f.owner or "(unassigned)", f.note, f.answer] for f in items]
    return f"# {title}\n\n" + md_table(["Section", "Question", "Owner", "Note", "Answer so far"], rows) + "\n"


def follow_ups_csv(items: list[FollowUp]) -> str:
    from workshop.core.csvsafe import to_csv

    return to_csv(
        ["question_id", "section", "question", "owner", "note", "current_answer"],
        [[f.question_id, f.section, f.prompt, f.owner, f.note, f.answer] for f in items],
    )
