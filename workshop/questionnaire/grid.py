"""Table answers row by row: the complete rows to save and the rows still being filled in.

A table (``list`` question) used to be checked as a whole: one half-filled row made the
whole answer invalid and nothing of it was saved, while the page still showed the rows.
Here each row is checked on its own, so the complete rows are saved and an incomplete
one stays a draft on the page with the reason beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workshop.core.errors import AnswerError
from workshop.questionnaire.model import Question
from workshop.questionnaire.values import coerce, is_empty

_ROW_PREFIX = re.compile(r"^row 1(, )?:?\s*")


@dataclass(frozen=True)
class Draft:
    """A row that cannot be saved yet: its 1-based position on the page and why."""

    row: int
    reason: str


@dataclass(frozen=True)
class RowCheck:
    valid: list[dict[str, Any]] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)

    @property
    def value(self) -> list[dict[str, Any]] | None:
        """What to store: the complete rows (None when there are none)."""
        return self.valid or None


def check_rows(question: Question, rows: list[dict[str, Any]]) -> RowCheck:
    """Split the rows of a table answer into complete rows and drafts (blank rows are skipped)."""
    valid: list[dict[str, Any]] = []
    drafts: list[Draft] = []
    for n, row in enumerate(rows, start=1):
        if all(is_empty(v) for v in row.values()):
            continue
        try:
            one = coerce(question, [row])
        except AnswerError as exc:
            message = exc.message.split(": ", 1)[-1] if exc.message.startswith(question.id) else exc.message
            drafts.append(Draft(n, _ROW_PREFIX.sub("", message)))
            continue
        if one:
            valid.extend(one)
    return RowCheck(valid, drafts)
