"""The questionnaire: sections of typed questions with facilitator notes.

A questionnaire is authored in YAML (see ``questionnaires/README.md``) and loaded by
:mod:`workshop.questionnaire.loader`. The objects here are immutable once loaded so
that the app can cache one per file and share it between sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from workshop.core.conditions import Condition, Context

#: Every question type, with what its answer looks like.
QUESTION_TYPES: dict[str, str] = {
    "text": "one line of text",
    "long_text": "free text over several lines",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "yes or no",
    "single_choice": "one of the options",
    "multi_choice": "any of the options",
    "time_window": "days of the week and hours, with a time zone",
    "list": "a table of rows with declared columns",
    "tags": "a list of short values (names, hosts, country codes, networks)",
    "date": "a calendar date (YYYY-MM-DD)",
    "scale": "a rating on a scale (1 to 5 unless given)",
}
CHOICE_TYPES = {"single_choice", "multi_choice"}
COLUMN_TYPES = {"text", "integer", "number", "boolean", "choice"}
TAG_FORMATS = {"country", "cidr", "email", "hostname", "ip", "timezone"}
#: Formats of a text column: days of the month (``18-25, 28``) and weekdays (``mon, fri``).
COLUMN_FORMATS = {"month_days", "weekdays"}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "label": self.label}
        if self.help:
            d["help"] = self.help
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Option:
        if isinstance(data, str):
            return cls(data, data.replace("_", " ").capitalize())
        return cls(str(data["value"]), str(data.get("label") or data["value"]), str(data.get("help") or ""))


@dataclass(frozen=True)
class Column:
    """A column of a ``list`` question (one field of each row)."""

    id: str
    label: str
    type: str = "text"
    options: tuple[Option, ...] = ()
    required: bool = False
    help: str = ""
    format: str = ""  # COLUMN_FORMATS, text columns only

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "label": self.label, "type": self.type}
        if self.format:
            d["format"] = self.format
        if self.options:
            d["options"] = [o.to_dict() for o in self.options]
        if self.required:
            d["required"] = True
        if self.help:
            d["help"] = self.help
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Column:
        return cls(
            id=str(data["id"]),
            label=str(data.get("label") or data["id"]),
            type=str(data.get("type", "text")),
            options=tuple(Option.from_dict(o) for o in data.get("options") or ()),
            required=bool(data.get("required", False)),
            help=str(data.get("help") or ""),
            format=str(data.get("format") or ""),
        )


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    type: str
    section: str
    required: bool = False
    help: str = ""
    probes: tuple[str, ...] = ()
    example: str = ""
    unit: str = ""
    options: tuple[Option, ...] = ()
    columns: tuple[Column, ...] = ()
    when: Condition | None = None
    min: float | None = None
    max: float | None = None
    format: str = ""
    line: int | None = field(default=None, compare=False)

    def option(self, value: str) -> Option | None:
        for opt in self.options:
            if opt.value == value:
                return opt
        return None

    def label_of(self, value: Any) -> str:
        opt = self.option(value) if isinstance(value, str) else None
        return opt.label if opt else str(value)

    def is_visible(self, ctx: Context) -> bool:
        return self.when is None or self.when.evaluate(ctx)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "prompt": self.prompt, "type": self.type}
        if self.required:
            d["required"] = True
        for key in ("help", "example", "unit", "format"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.probes:
            d["probes"] = list(self.probes)
        if self.options:
            d["options"] = [o.to_dict() for o in self.options]
        if self.columns:
            d["columns"] = [c.to_dict() for c in self.columns]
        if self.when is not None:
            d["when"] = self.when.source
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], section: str) -> Question:
        when = data.get("when")
        return cls(
            id=str(data["id"]),
            prompt=str(data["prompt"]),
            type=str(data["type"]),
            section=section,
            required=bool(data.get("required", False)),
            help=str(data.get("help") or ""),
            probes=tuple(str(p) for p in data.get("probes") or ()),
            example=str(data.get("example") or ""),
            unit=str(data.get("unit") or ""),
            options=tuple(Option.from_dict(o) for o in data.get("options") or ()),
            columns=tuple(Column.from_dict(c) for c in data.get("columns") or ()),
            when=Condition.parse(when) if when else None,
            min=data.get("min"),
            max=data.get("max"),
            format=str(data.get("format") or ""),
        )


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str = ""
    questions: tuple[Question, ...] = ()
    when: Condition | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.intro:
            d["intro"] = self.intro
        if self.when is not None:
            d["when"] = self.when.source
        d["questions"] = [q.to_dict() for q in self.questions]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Section:
        sid = str(data["id"])
        when = data.get("when")
        return cls(
            id=sid,
            title=str(data.get("title") or sid),
            intro=str(data.get("intro") or ""),
            questions=tuple(Question.from_dict(q, sid) for q in data.get("questions") or ()),
            when=Condition.parse(when) if when else None,
        )


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: str
    version: str
    description: str = ""
    sections: tuple[Section, ...] = ()
    source: str | None = field(default=None, compare=False)

    @cached_property
    def _index(self) -> dict[str, Question]:
        # cached_property writes the instance's __dict__ directly, so it works on a frozen
        # dataclass, and as a non-field it stays out of equality and repr.
        return {q.id: q for s in self.sections for q in s.questions}

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, qid: str) -> Question:
        return self._index[qid]

    def has_question(self, qid: str) -> bool:
        return qid in self._index

    def section(self, sid: str) -> Section:
        for s in self.sections:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def visible_questions(self, ctx: Context, section: Section | None = None) -> list[Question]:
        """Questions shown for these answers; a hidden section hides all of its questions."""
        sections: Iterable[Section] = [section] if section is not None else self.sections
        shown: list[Question] = []
        for s in sections:
            if s.when is not None and not s.when.evaluate(ctx):
                continue
            shown.extend(q for q in s.questions if q.is_visible(ctx))
        return shown

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title, "version": self.version}
        if self.description:
            d["description"] = self.description
        d["sections"] = [s.to_dict() for s in self.sections]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> Questionnaire:
        """Build from already-validated data; use the loader for files people wrote."""
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or data["id"]),
            version=str(data.get("version", "1")),
            description=str(data.get("description") or ""),
            sections=tuple(Section.from_dict(s) for s in data.get("sections") or ()),
            source=source,
        )
