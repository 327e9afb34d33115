"""Load questionnaire YAML and report every problem with its file and line.

The loader validates the whole file before building anything and keeps going after
each problem, so ``workshop questionnaire validate`` lists all of them at once
(``questionnaires/x.yaml:41: question 'auth.mfa': unknown type 'choice'``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.core import yamlsource
from workshop.core.checking import MappingChecker, closest, load_all
from workshop.core.conditions import Condition
from workshop.core.errors import ConditionError, LoadError, WorkshopError
from workshop.core.yamlsource import YList, YMap, line_of
from workshop.questionnaire.model import (
    CHOICE_TYPES,
    COLUMN_FORMATS,
    COLUMN_TYPES,
    QUESTION_TYPES,
    TAG_FORMATS,
    Column,
    Option,
    Question,
    Questionnaire,
    Section,
)

ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TOP_KEYS = {"id", "title", "version", "description", "sections"}
SECTION_KEYS = {"id", "title", "intro", "when", "questions"}
QUESTION_KEYS = {
    "id", "prompt", "type", "required", "help", "probes", "example", "unit",
    "options", "columns", "when", "min", "max", "format",
}  # fmt: skip
COLUMN_KEYS = {"id", "label", "type", "options", "required", "help", "format"}
OPTION_KEYS = {"value", "label", "help"}


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and validate one questionnaire file; raise ValidationErrors listing every problem."""
    text = yamlsource.read_text(path)
    return load_questionnaire_text(text, str(path))


def load_questionnaire_text(text: str, filename: str = "<questionnaire>") -> Questionnaire:
    data = yamlsource.load(text, filename)
    return _Validator(filename).run(data)


class _Validator(MappingChecker):
    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.file = filename
        self.seen: dict[str, int | None] = {}  # question id -> line, in order of appearance
        self.lines: dict[str, int | None] = {}

    # -- helpers ------------------------------------------------------------
    def _condition(self, obj: YMap, what: str, position: str | None) -> Condition | None:
        text = obj.get("when")
        if text is None:
            return None
        line = obj.line_of("when")
        try:
            cond = Condition.parse(text if isinstance(text, str) else str(text))
        except ConditionError as exc:
            self.p.add(f"{what}: {exc.message}", line)
            return None
        for name in sorted(cond.names):
            if name == position:
                self.p.add(f"{what}: condition refers to the question itself ('{name}')", line)
            elif name in self.seen:
                continue
            elif name in self.all_ids:
                self.p.add(
                    f"{what}: condition uses '{name}', which comes later (line {self.all_ids[name]}); "
                    "a condition may only use answers to earlier questions",
                    line,
                )
            else:
                hint = closest(name, set(self.all_ids))
                self.p.add(
                    f"{what}: condition uses '{name}', which is not a question in this file{hint}", line
                )
        return cond

    # -- structure ----------------------------------------------------------
    def run(self, data: Any) -> Questionnaire:
        if not isinstance(data, YMap):
            self.p.add(
                "a questionnaire must be a mapping with id, title, version and sections", line_of(data) or 1
            )
            self.p.raise_if_any()
        self.unknown_keys(data, TOP_KEYS, "questionnaire")
        qid = self.text(data, "id", "questionnaire", required=True)
        if qid and not SLUG_RE.match(qid):
            self.p.add(
                f"questionnaire id '{qid}' must be lower-case letters, digits, '-' or '_'", data.line_of("id")
            )
        title = self.text(data, "title", "questionnaire", required=True)
        version = self.text(data, "version", "questionnaire", required=True)
        description = self.text(data, "description", "questionnaire")
        sections_raw = data.get("sections")
        if not isinstance(sections_raw, YList) or not sections_raw:
            self.p.add("questionnaire: 'sections' must be a non-empty list", data.line_of("sections"))
            self.p.raise_if_any()
        self.all_ids = self._collect_ids(sections_raw)
        section_ids: dict[str, int | None] = {}
        sections: list[Section] = []
        for i, sec in enumerate(sections_raw):
            built = self._section(sec, sections_raw.line_of(i), section_ids)
            if built is not None:
                sections.append(built)
        if not self.seen:
            self.p.add("questionnaire has no questions", data.line)
        self.p.raise_if_any()
        return Questionnaire(qid, title, version, description, tuple(sections), source=self.file)

    def _collect_ids(self, sections: YList) -> dict[str, int | None]:
        ids: dict[str, int | None] = {}
        for sec in sections:
            if isinstance(sec, YMap) and isinstance(sec.get("questions"), YList):
                for q in sec["questions"]:
                    if isinstance(q, YMap) and isinstance(q.get("id"), str):
                        ids.setdefault(q["id"], q.line_of("id"))
        return ids

    def _section(self, sec: Any, line: int | None, section_ids: dict[str, int | None]) -> Section | None:
        if not isinstance(sec, YMap):
            self.p.add("a section must be a mapping with id, title and questions", line)
            return None
        self.unknown_keys(sec, SECTION_KEYS, "section")
        sid = self.text(sec, "id", "section", required=True)
        what = f"section '{sid}'" if sid else "section"
        if sid:
            if not ID_RE.match(sid):
                self.p.add(f"{what}: id must be lower-case letters, digits and '_'", sec.line_of("id"))
            if sid in section_ids:
                self.p.add(
                    f"duplicate section id '{sid}' (first at line {section_ids[sid]})", sec.line_of("id")
                )
            section_ids[sid] = sec.line_of("id")
        title = self.text(sec, "title", what, required=True)
        intro = self.text(sec, "intro", what)
        when = self._condition(sec, what, None)
        qs_raw = sec.get("questions")
        if not isinstance(qs_raw, YList) or not qs_raw:
            self.p.add(f"{what}: 'questions' must be a non-empty list", sec.line_of("questions"))
            return None
        questions = []
        for i, q in enumerate(qs_raw):
            built = self._question(q, qs_raw.line_of(i), sid)
            if built is not None:
                questions.append(built)
        return Section(sid, title, intro, tuple(questions), when)

    def _question(self, q: Any, line: int | None, section: str) -> Question | None:
        if not isinstance(q, YMap):
            self.p.add("a question must be a mapping with id, prompt and type", line)
            return None
        before = len(self.p.errors)
        qid = self.text(q, "id", "question", required=True)
        what = f"question '{qid}'" if qid else "question"
        self.unknown_keys(q, QUESTION_KEYS, what)
        if qid:
            if not ID_RE.match(qid):
                self.p.add(
                    f"{what}: id must be dotted lower-case words such as 'access.business_hours'",
                    q.line_of("id"),
                )
            if qid in self.seen:
                self.p.add(f"duplicate question id '{qid}' (first at line {self.seen[qid]})", q.line_of("id"))
        prompt = self.text(q, "prompt", what, required=True)
        qtype = self.text(q, "type", what, required=True)
        if qtype and qtype not in QUESTION_TYPES:
            self.p.add(
                f"{what}: unknown type '{qtype}'{closest(qtype, set(QUESTION_TYPES))} "
                f"(known: {', '.join(QUESTION_TYPES)})",
                q.line_of("type"),
            )
        required = q.get("required", False)
        if not isinstance(required, bool):
            self.p.add(f"{what}: 'required' must be true or false", q.line_of("required"))
            required = False
        probes_raw = q.get("probes") or []
        if not isinstance(probes_raw, list) or any(isinstance(p, (dict, list)) for p in probes_raw):
            self.p.add(f"{what}: 'probes' must be a list of follow-up prompts", q.line_of("probes"))
            probes_raw = []
        options = self._options(q, qtype, what)
        columns = self._columns(q, qtype, what)
        fmt = self.text(q, "format", what)
        if fmt and (qtype not in ("tags", "text") or fmt not in TAG_FORMATS):
            self.p.add(
                f"{what}: format '{fmt}' is not allowed here (tags and text take: {', '.join(sorted(TAG_FORMATS))})",
                q.line_of("format"),
            )
        bounds = {}
        for key in ("min", "max"):
            if key in q:
                v = q[key]
                if qtype not in ("integer", "number", "scale"):
                    self.p.add(f"{what}: '{key}' only applies to integer, number and scale", q.line_of(key))
                elif isinstance(v, bool) or not isinstance(v, (int, float)):
                    self.p.add(f"{what}: '{key}' must be a number", q.line_of(key))
                else:
                    bounds[key] = v
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            self.p.add(f"{what}: min is greater than max", q.line_of("min"))
        when = self._condition(q, what, qid or None)
        if qid and qid not in self.seen:
            self.seen[qid] = q.line_of("id")
        if len(self.p.errors) > before:
            return None
        return Question(
            id=qid,
            prompt=prompt,
            type=qtype,
            section=section,
            required=required,
            help=self.text(q, "help", what),
            probes=tuple(str(p) for p in probes_raw),
            example=self.text(q, "example", what),
            unit=self.text(q, "unit", what),
            options=options,
            columns=columns,
            when=when,
            min=bounds.get("min"),
            max=bounds.get("max"),
            format=fmt,
            line=q.line,
        )

    def _option_list(self, raw: Any, line: int | None, what: str) -> tuple[Option, ...]:
        if not isinstance(raw, YList) or not raw:
            self.p.add(f"{what}: 'options' must be a non-empty list", line)
            return ()
        out: list[Option] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            item_line = raw.line_of(i)
            if isinstance(item, YMap):
                self.unknown_keys(item, OPTION_KEYS, f"{what} option")
                if item.get("value") is None:
                    self.p.add(f"{what}: an option needs a 'value'", item_line)
                    continue
                opt = Option.from_dict(item)
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                opt = Option.from_dict(str(item))
            else:
                self.p.add(f"{what}: an option must be text or a mapping with value and label", item_line)
                continue
            if opt.value in seen:
                self.p.add(f"{what}: duplicate option '{opt.value}'", item_line)
            seen.add(opt.value)
            out.append(opt)
        return tuple(out)

    def _options(self, q: YMap, qtype: str, what: str) -> tuple[Option, ...]:
        if qtype in CHOICE_TYPES:
            if "options" not in q:
                self.p.add(f"{what}: a {qtype} question needs 'options'", q.line)
                return ()
            return self._option_list(q["options"], q.line_of("options"), what)
        if "options" in q:
            self.p.add(
                f"{what}: 'options' only applies to single_choice and multi_choice", q.line_of("options")
            )
        return ()

    def _columns(self, q: YMap, qtype: str, what: str) -> tuple[Column, ...]:
        raw = q.get("columns")
        if qtype != "list":
            if raw is not None:
                self.p.add(f"{what}: 'columns' only applies to list questions", q.line_of("columns"))
            return ()
        if not isinstance(raw, YList) or not raw:
            self.p.add(f"{what}: a list question needs 'columns' (a non-empty list)", q.line_of("columns"))
            return ()
        cols: list[Column] = []
        seen: set[str] = set()
        for i, c in enumerate(raw):
            line = raw.line_of(i)
            if not isinstance(c, YMap):
                self.p.add(f"{what}: a column must be a mapping with id, label and type", line)
                continue
            self.unknown_keys(c, COLUMN_KEYS, f"{what} column")
            cid = self.text(c, "id", f"{what} column", required=True)
            if not cid:
                continue
            if not re.match(r"^[a-z][a-z0-9_]*$", cid):
                self.p.add(f"{what}: column id '{cid}' must be lower-case letters, digits and '_'", line)
            if cid in seen:
                self.p.add(f"{what}: duplicate column '{cid}'", line)
            seen.add(cid)
            ctype = self.text(c, "type", f"{what} column '{cid}'") or "text"
            if ctype not in COLUMN_TYPES:
                self.p.add(
                    f"{what}: column '{cid}' has unknown type '{ctype}' (known: {', '.join(sorted(COLUMN_TYPES))})",
                    c.line_of("type"),
                )
            options: tuple[Option, ...] = ()
            if ctype == "choice":
                options = self._option_list(c.get("options"), c.line_of("options"), f"{what} column '{cid}'")
            elif "options" in c:
                self.p.add(
                    f"{what}: column '{cid}': 'options' only applies to choice columns", c.line_of("options")
                )
            cols.append(
                Column(
                    cid,
                    self.text(c, "label", "column") or cid,
                    ctype,
                    options,
                    bool(c.get("required", False)),
                    self.text(c, "help", "column"),
                    self._column_format(c, ctype, f"{what} column '{cid}'"),
                )
            )
        return tuple(cols)

    def _column_format(self, c: YMap, ctype: str, what: str) -> str:
        fmt = self.text(c, "format", what)
        if fmt and (ctype != "text" or fmt not in COLUMN_FORMATS):
            self.p.add(f"{what}: format '{fmt}' needs a text column and one of: {', '.join(sorted(COLUMN_FORMATS))}",
                       c.line_of("format"))  # fmt: skip
            return ""
        return fmt


@dataclass
class Catalogue:
    """Every questionnaire found in the search folders, and the files that failed."""

    questionnaires: dict[str, Questionnaire] = field(default_factory=dict)
    errors: dict[str, list[WorkshopError]] = field(default_factory=dict)

    def get(self, qid: str) -> Questionnaire:
        try:
            return self.questionnaires[qid]
        except KeyError:
            known = ", ".join(sorted(self.questionnaires)) or "none"
            raise LoadError(f"no questionnaire with id '{qid}' (available: {known})") from None


def discover(dirs: Iterable[Path]) -> Catalogue:
    """Load every ``*.yaml`` questionnaire under ``dirs``; a broken file does not hide the others."""
    questionnaires, errors = load_all(dirs, load_questionnaire, "questionnaire")
    return Catalogue(questionnaires, errors)
