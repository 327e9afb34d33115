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


#: Empty rows drawn under a table's rows, ready to type in.
BLANK_ROWS = 3


def with_blank_rows(question: Question, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows to draw: the filled ones, then :data:`BLANK_ROWS` empty rows.

    The grid's own "add row" (its empty last row, or +) appends a row and opens the cell's
    editor a moment later, in the browser, rerun or not: keys typed in that moment are lost
    ("p owner" for "App owner"). A cell of a row that already exists takes typing at once, so
    the table is drawn with empty rows to type in; empty rows are never saved (see
    ``check_rows``). They are added only when the table is (re)seeded, never while it is being
    edited, so the editor's data stays the same between its reruns and keeps its edits."""
    filled = [r for r in rows if not all(is_empty(v) for v in r.values())]
    return filled + [{c.id: None for c in question.columns} for _ in range(BLANK_ROWS)]
