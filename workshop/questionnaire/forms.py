"""Blank forms of a questionnaire, to send to application owners before the workshop.

Owners see prompts, options and examples, never the facilitator's notes (help and
probes). The YAML form is an interview file with empty answers: owners fill in the
``value:`` lines and the facilitator imports it with ``workshop interview import``.
"""

from __future__ import annotations

from typing import Any

from workshop.core.render import markdown_to_html, md_escape
from workshop.questionnaire.model import QUESTION_TYPES, Question, Questionnaire

FORMATS = ("md", "html", "yaml")


def _answer_hint(q: Question) -> str:
    if q.type == "single_choice":
        return "Choose one: " + " / ".join(o.label for o in q.options)
    if q.type == "multi_choice":
        return "Choose any: " + " / ".join(o.label for o in q.options)
    if q.type == "list":
        return "A table with columns: " + ", ".join(c.label for c in q.columns)
    if q.type == "time_window":
        return "Days of the week, start and end time, and time zone"
    hint = QUESTION_TYPES[q.type].capitalize()
    if q.unit:
        hint += f" ({q.unit})"
    if q.format:
        hint += f", format: {q.format}"
    return hint


def blank_markdown(q: Questionnaire) -> str:
    lines = [f"# {md_escape(q.title, False)}", ""]
    lines.append(f"Questionnaire `{q.id}`, version {md_escape(q.version, False)}.")
    lines.append("")
    if q.description:
        lines += [md_escape(q.description), ""]
    lines += [
        "Questions marked **(required)** are the ones we cannot do without. "
        "If you do not know an answer, write *unknown* and who might know.",
        "",
    ]
    n = 0
    for section in q.sections:
        lines += [f"## {md_escape(section.title, False)}", ""]
        if section.intro:
            lines += [md_escape(section.intro), ""]
        for question in section.questions:
            n += 1
            req = " **(required)**" if question.required else ""
            lines += [f"### {n}. {md_escape(question.prompt, False)}{req}", ""]
            lines += [f"*{md_escape(_answer_hint(question), False)}*", ""]
            if question.when is not None:
                lines += [f"Only if: `{question.when.source.replace('`', '')}`", ""]
            if question.example:
                lines += [f"Example: {md_escape(question.example, False)}", ""]
            lines += ["Answer:", "", "&nbsp;", ""]
    return "\n".join(lines)


def blank_html(q: Questionnaire) -> str:
    return markdown_to_html(blank_markdown(q), q.title)


def _comment(text: str) -> list[str]:
    """Comment lines: each line of ``text`` behind '# ', so no text can leave the comment."""
    return ["# " + line if line.strip() else "#" for line in str(text).splitlines() or [""]]


def _indent(block: str, n: int) -> list[str]:
    return [(" " * n + line) if line else line for line in block.rstrip("\n").splitlines()]


def _dump(data: Any) -> str:
    from workshop.core.yamlsource import dump

    return dump(data)


def _shape_hint(q: Question) -> list[str]:
    if q.type in ("single_choice", "multi_choice"):
        kind = "one of" if q.type == "single_choice" else "a list of any of"
        return [f"value: {kind}:"] + [f"  {o.value}  ({o.label})" for o in q.options]
    if q.type == "list":
        cols = ", ".join(f"{c.id} ({c.type})" for c in q.columns)
        return [f"value: a list of rows, each with: {cols}"]
    if q.type == "time_window":
        return [
            'value: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", timezone: Europe/London}'
        ]
    if q.type == "tags":
        return ["value: a list, e.g. [first, second]" + (f" ({q.format})" if q.format else "")]
    if q.type == "boolean":
        return ["value: yes or no"]
    return [f"value: {QUESTION_TYPES[q.type]}" + (f" ({q.unit})" if q.unit else "")]


def blank_yaml(q: Questionnaire) -> str:
    out: list[str] = []
    out += _comment(f"{q.title} (questionnaire {q.id}, version {q.version})")
    out += _comment(
        "Fill in the 'value:' lines. If you do not know, set 'unknown: true' and, if someone else\n"
        "knows, add 'follow_up: {owner: Name, note: what to ask}'. Leave a value empty to skip it."
    )
    header = {
        "format": "use-case-workshop/interview",
        "format_version": 1,
        "application": {"slug": "", "name": "", "owner": "", "criticality": "medium", "description": ""},
        "interview": {
            "questionnaire": q.id,
            "questionnaire_version": q.version,
            "held_on": "",
            "facilitator": "",
            "participants": [],
        },
    }
    out += _dump(header).rstrip("\n").splitlines()
    out.append("answers:")
    for section in q.sections:
        out.append("")
        out += _indent("\n".join(_comment(f"== {section.title} ==")), 2)
        for question in section.questions:
            req = " (required)" if question.required else ""
            notes = [f"{question.prompt}{req}"]
            if question.when is not None:
                notes.append(f"only if: {question.when.source}")
            if question.example:
                notes.append(f"example: {question.example}")
            notes += _shape_hint(question)
            out += _indent("\n".join(_comment("\n".join(notes))), 2)
            out += _indent(_dump({question.id: {"value": None}}), 2)
    return "\n".join(out) + "\n"


def blank_form(q: Questionnaire, fmt: str) -> str:
    if fmt == "md":
        return blank_markdown(q)
    if fmt == "html":
        return blank_html(q)
    if fmt == "yaml":
        return blank_yaml(q)
    raise ValueError(f"unknown form format {fmt!r}")
