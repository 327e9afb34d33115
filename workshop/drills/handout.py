"""The drills on paper: a printable handout (Markdown, HTML) with the answer key at the end.

The alert rows, names and answers come from interviews and logs, so every one of them
goes through :func:`workshop.core.render.md_escape` / ``md_table``: the HTML has no live
markup from them.
"""

from __future__ import annotations

import json

from workshop.core.render import markdown_to_html, md_escape, md_table
from workshop.drills.model import AnswerKind, Drill, DrillSet


def _e(text: object) -> str:
    return md_escape(text, multiline=False)


def _alert(drill: Drill) -> list[str]:
    """The rows as the SIEM shows them: nothing marks which are benign (that is the exercise)."""
    rows = [[r.get(c) for c in drill.columns] for r in drill.rows]
    out = [md_table([_e(c) for c in drill.columns], rows)]
    if drill.hidden_rows:
        out.append(f"\n_{drill.hidden_rows} more matching events not shown._")
    return out


def handout_markdown(drills: DrillSet, title: str = "Analyst drills") -> str:
    out = [f"# {_e(title)}", ""]
    apps = {d.application: d.application_name for d in drills.drills}
    out.append(f"{len(drills.drills)} drills for {_e(', '.join(apps.values()))}. Read the alert, answer each "
               "question, then compare with the key at the end. Some alerts are benign look-alikes.")  # fmt: skip
    out.append("")
    for n, d in enumerate(drills.drills, start=1):
        out += [f"## Drill {n}: {_e(d.application_name)}", "", _e(d.situation), ""]
        out += _alert(d)
        out.append("")
        for i, q in enumerate(d.questions, start=1):
            line = f"{i}. {_e(q.prompt)}"
            if q.kind == AnswerKind.CHOICE:
                line += " (" + " / ".join(_e(c) for c in q.choices) + ")"
            out.append(line)
        out.append("")
    out += ["## Answer key", ""]
    for n, d in enumerate(drills.drills, start=1):
        kind = "benign look-alike" if d.benign else "true positive"
        out += [f"### Drill {n}: {_e(d.title)} ({kind})", "", f"Use case: {_e(d.use_case_title)}", ""]
        benign = [r for r in d.rows if not r.matched]
        if benign:
            times = ", ".join(r.get(d.columns[0]) for r in benign)
            out += [
                f"Ordinary activity from the baseline, not part of the alert: the rows at {_e(times)}.",
                "",
            ]
        for i, q in enumerate(d.questions, start=1):
            out.append(f"{i}. **{_e(q.prompt)}** {_e(q.answer)}")
            if q.explanation:
                out.append(f"   _{_e(q.explanation)}_")
        out.append("")
    return "\n".join(out)


def handout_html(drills: DrillSet, title: str = "Analyst drills") -> str:
    return markdown_to_html(handout_markdown(drills, title), title, toc=False)


def handout_json(drills: DrillSet) -> str:
    return json.dumps(drills.to_dict(), indent=2, ensure_ascii=False) + "\n"


FORMATS = {"md": handout_markdown, "html": handout_html}
