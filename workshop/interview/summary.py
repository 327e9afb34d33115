""" "What we heard": the interview as the application owners read it and sign it off.

Every section with the full text of every answer shown to them, tables as tables,
what the owners did not know and what someone follows up (with who), and a sign-off
block. Rendered as Markdown and as HTML that prints on A4 (print CSS, no scripts, no
remote resources). Pure: built from the questionnaire, the answers and the profile.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from workshop.interview.model import Answer, AnswerSet, Application, Interview
from workshop.questionnaire import Question, Questionnaire, format_value, is_empty

NOT_ANSWERED = "(not answered)"
UNKNOWN = "The owners don't know yet."


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Item:
    question_id: str
    prompt: str
    text: str = ""
    table: Table | None = None
    unknown: bool = False
    follow_up: bool = False
    follow_up_owner: str = ""
    follow_up_note: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.text or self.table)


@dataclass(frozen=True)
class SectionSummary:
    title: str
    items: list[Item]


@dataclass(frozen=True)
class Summary:
    app_name: str
    app_slug: str
    owner: str
    criticality: str
    questionnaire: str
    held_on: str
    facilitator: str
    participants: list[str]
    sections: list[SectionSummary]
    prepared_on: str
    rereview_of: str = ""
    signatories: list[str] = field(default_factory=list)
    #: The owners' worries no use case covers yet (filled in once use cases are generated).
    uncovered_worries: list[str] = field(default_factory=list)

    @property
    def unknowns(self) -> list[tuple[str, Item]]:
        return [(s.title, i) for s in self.sections for i in s.items if i.unknown]

    @property
    def follow_ups(self) -> list[tuple[str, Item]]:
        return [(s.title, i) for s in self.sections for i in s.items if i.follow_up]


def _cell(question: Question, column_id: str, value: Any) -> str:
    col = next(c for c in question.columns if c.id == column_id)
    if is_empty(value):
        return ""
    if col.type == "boolean":
        return "yes" if value else "no"
    if col.type == "choice":
        return next((o.label for o in col.options if o.value == value), str(value))
    return str(value)


def table_of(question: Question, rows: Sequence[Mapping[str, Any]]) -> Table:
    """A table answer as people read it: column labels, choice labels, empty cells empty."""
    headers = [c.label for c in question.columns]
    return Table(headers, [[_cell(question, c.id, row.get(c.id)) for c in question.columns] for row in rows])


def _item(question: Question, answer: Answer | None) -> Item:
    if answer is None:
        return Item(question.id, question.prompt)
    flagged = Item(question.id, question.prompt, unknown=answer.unknown, follow_up=answer.follow_up,
                   follow_up_owner=answer.follow_up_owner, follow_up_note=answer.follow_up_note)  # fmt: skip
    if answer.unknown or is_empty(answer.value):
        return flagged
    if question.type == "list":
        return replace(flagged, table=table_of(question, answer.value))
    return replace(flagged, text=format_value(question, answer.value))


def build_summary(
    questionnaire: Questionnaire,
    answers: Mapping[str, Answer],
    application: Application,
    interview: Interview,
    *,
    today: dt.date | None = None,
    rereview_of: str = "",
) -> Summary:
    """The owners' summary: the questions they were shown (conditions applied), in order."""
    ctx = AnswerSet(dict(answers)).context()
    sections = []
    for section in questionnaire.sections:
        shown = questionnaire.visible_questions(ctx, section)
        if shown:
            sections.append(SectionSummary(section.title, [_item(q, answers.get(q.id)) for q in shown]))
    participants = [p for p in interview.participants if p]
    signatories = list(dict.fromkeys([application.owner, *participants, interview.facilitator]))
    return Summary(
        app_name=application.name,
        app_slug=application.slug,
        owner=application.owner,
        criticality=str(application.criticality),
        questionnaire=f"{questionnaire.title} v{questionnaire.version}",
        held_on=interview.held_on,
        facilitator=interview.facilitator,
        participants=participants,
        sections=sections,
        prepared_on=(today or dt.date.today()).isoformat(),
        rereview_of=rereview_of,
        signatories=[s for s in signatories if s],
    )


# --- Markdown ----------------------------------------------------------------------------


def _md_inline(text: str) -> str:
    """User text in Markdown: no markup of its own, line breaks kept."""
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "\\`*_{}[]<>#|!~" else ch)
    return "".join(out).replace("\n", "  \n")


def _md_cell(text: str) -> str:
    return _md_inline(text).replace("  \n", "<br>")


def section_markdown(section: SectionSummary, escape: Callable[[str], str] = _md_inline) -> str:
    """One section's questions and answers in Markdown (user text escaped, tables as tables).

    ``escape`` makes user text inert: the default suits Markdown files; a page passes the
    stricter escaper of its renderer, which also turns bare addresses into plain text.
    """

    def cell(text: str) -> str:
        return escape(text).replace("  \n", "<br>")

    lines: list[str] = []
    for item in section.items:
        lines += [f"**{escape(item.prompt)}**", ""]
        if item.table:
            lines.append("| " + " | ".join(cell(h) for h in item.table.headers) + " |")
            lines.append("|" + "---|" * len(item.table.headers))
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in item.table.rows]
        elif item.text:
            lines.append(escape(item.text))
        else:
            lines.append(f"_{UNKNOWN}_" if item.unknown else f"_{NOT_ANSWERED}_")
        if item.follow_up:
            who = f" ({escape(item.follow_up_owner)})" if item.follow_up_owner else ""
            note = f": {escape(item.follow_up_note)}" if item.follow_up_note else ""
            lines += ["", f"> Follow-up{who}{note}"]
        lines.append("")
    return "\n".join(lines)


OPEN_HEADER = ["Kind", "Section", "Question", "Who follows up", "What to find out", "Current answer"]


def open_items(summary: Summary) -> list[list[str]]:
    """What is still open: unknowns first, then follow-ups (one row each, OPEN_HEADER columns)."""
    rows = []
    for title, item in summary.unknowns:
        if not item.follow_up:
            rows.append(["Unknown", title, item.prompt, "", "", ""])
    for title, item in summary.follow_ups:
        current = "unknown" if item.unknown else item.text or ("(table)" if item.table else "")
        rows.append(["Follow-up", title, item.prompt, item.follow_up_owner, item.follow_up_note, current])
    return rows


def to_markdown(summary: Summary) -> str:
    s = summary
    lines = [f"# What we heard: {_md_inline(s.app_name)}", ""]
    meta = [f"Workshop of {s.held_on}" if s.held_on else "Workshop", _md_inline(s.questionnaire)]
    if s.rereview_of:
        meta.append(f"re-review of {_md_inline(s.rereview_of)}")
    lines += [" · ".join(meta), ""]
    if s.owner:
        lines.append(f"- **Business owner:** {_md_inline(s.owner)}")
    lines.append(f"- **Criticality:** {_md_inline(s.criticality)}")
    if s.facilitator:
        lines.append(f"- **Facilitator:** {_md_inline(s.facilitator)}")
    if s.participants:
        lines.append(f"- **Participants:** {_md_inline(', '.join(s.participants))}")
    lines += [f"- **Prepared on:** {s.prepared_on}", "",
              "Please read what we understood and correct anything we got wrong.", ""]  # fmt: skip
    for section in s.sections:
        lines += [f"## {_md_inline(section.title)}", "", section_markdown(section)]
    lines += ["## Still to find out", ""]
    if not s.unknowns and not s.follow_ups and not s.uncovered_worries:
        lines += ["Nothing open.", ""]
    for worry in s.uncovered_worries:
        lines.append(f"- **Not covered by any use case yet** · {_md_inline(worry)}")
    for title, item in s.unknowns:
        lines.append(f"- **Unknown** · {_md_inline(title)} · {_md_inline(item.prompt)}")
    for title, item in s.follow_ups:
        who = _md_inline(item.follow_up_owner) or "someone to name"
        note = f": {_md_inline(item.follow_up_note)}" if item.follow_up_note else ""
        lines.append(f"- **Follow-up** ({who}) · {_md_inline(title)} · {_md_inline(item.prompt)}{note}")
    lines += ["", "## Sign-off", "", "| Name | Role | Signature | Date |", "|---|---|---|---|"]
    for name in s.signatories or [""]:
        lines.append(f"| {_md_cell(name)} |  |  |  |")
    lines += ["|  |  |  |  |", ""]
    return "\n".join(lines)


# --- HTML (prints on A4) -----------------------------------------------------------------

PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm; }
body { font-family: "Source Sans Pro", "Segoe UI", Helvetica, Arial, sans-serif; font-size: 11pt;
  line-height: 1.4; color: #1d2330; max-width: 180mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2mm; } h2 { font-size: 14pt; margin: 8mm 0 3mm;
  border-bottom: 1px solid #c9d2e3; padding-bottom: 1mm; break-after: avoid; }
.meta { color: #4a5568; margin-bottom: 4mm; } dl { display: grid; grid-template-columns: 38mm 1fr;
  gap: 1mm 4mm; margin: 0 0 4mm; } dt { font-weight: 600; } dd { margin: 0; }
.q { break-inside: avoid; margin: 0 0 4mm; } .prompt { font-weight: 600; margin-bottom: 1mm; }
.answer { white-space: pre-wrap; overflow-wrap: anywhere; }
.none { color: #6b7280; font-style: italic; } .unknown { color: #8a4b00; font-style: italic; }
.follow { border-left: 3px solid #1f5fbf; background: #f4f7fc; padding: 1mm 3mm; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; break-inside: auto; }
th, td { border: 1px solid #c9d2e3; padding: 1.2mm 2mm; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; } th { background: #eef2f8; } tr { break-inside: avoid; }
thead { display: table-header-group; }
.signoff td { height: 12mm; } .open li { margin-bottom: 1mm; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def html_table(table: Table, css: str = "") -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(summary: Summary) -> str:
    s = summary
    meta = [f"Workshop of {s.held_on}" if s.held_on else "Workshop", s.questionnaire]
    if s.rereview_of:
        meta.append(f"re-review of {s.rereview_of}")
    facts = [("Business owner", s.owner), ("Criticality", s.criticality), ("Facilitator", s.facilitator),
             ("Participants", ", ".join(s.participants)), ("Prepared on", s.prepared_on)]  # fmt: skip
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>What we heard: {_h(s.app_name)}</title>",
        f"<style>{PRINT_CSS}</style></head><body>",
        f"<h1>What we heard: {_h(s.app_name)}</h1>",
        f'<div class="meta">{_h(" · ".join(meta))}</div>',
        "<dl>" + "".join(f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in facts if v) + "</dl>",
        "<p>Please read what we understood and correct anything we got wrong.</p>",
    ]
    for section in s.sections:
        out.append(f"<section><h2>{_h(section.title)}</h2>")
        for item in section.items:
            out.append(
                f'<div class="q" id="q-{_h(item.question_id)}"><div class="prompt">{_h(item.prompt)}</div>'
            )
            if item.table:
                out.append(html_table(item.table))
            elif item.text:
                out.append(f'<div class="answer">{_h(item.text)}</div>')
            elif item.unknown:
                out.append(f'<div class="unknown">{_h(UNKNOWN)}</div>')
            else:
                out.append(f'<div class="none">{_h(NOT_ANSWERED)}</div>')
            if item.follow_up:
                who = f" ({item.follow_up_owner})" if item.follow_up_owner else ""
                note = f": {item.follow_up_note}" if item.follow_up_note else ""
                out.append(f'<div class="follow">Follow-up{_h(who)}{_h(note)}</div>')
            out.append("</div>")
        out.append("</section>")
    out.append('<section class="open"><h2>Still to find out</h2><ul>')
    for worry in s.uncovered_worries:
        out.append(f"<li><b>Not covered by any use case yet</b> · {_h(worry)}</li>")
    for title, item in s.unknowns:
        out.append(f"<li><b>Unknown</b> · {_h(title)} · {_h(item.prompt)}</li>")
    for title, item in s.follow_ups:
        who = item.follow_up_owner or "someone to name"
        note = f": {item.follow_up_note}" if item.follow_up_note else ""
        out.append(f"<li><b>Follow-up</b> ({_h(who)}) · {_h(title)} · {_h(item.prompt)}{_h(note)}</li>")
    if not s.unknowns and not s.follow_ups and not s.uncovered_worries:
        out.append("<li>Nothing open.</li>")
    out.append("</ul></section>")
    sign = Table(
        ["Name", "Role", "Signature", "Date"], [[n, "", "", ""] for n in s.signatories] + [["", "", "", ""]]
    )
    out.append("<section><h2>Sign-off</h2>" + html_table(sign, "signoff") + "</section>")
    out.append("</body></html>")
    return "\n".join(out)
