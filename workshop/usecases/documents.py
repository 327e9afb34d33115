"""Use-case documents (Palantir's ADS structure) and the one-page analyst brief.

Sections come in the ADS order (Goal, Categorization, Strategy Abstract, Technical
Context, Blind Spots and Assumptions, False Positives, Validation, Priority, Response,
Additional Resources), plus Baseline and Contacts. Everything that came from a person,
whether an answer folded into generated text or an edit, goes through
:func:`workshop.core.render.md_escape`, so the HTML has no live markup from it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from workshop import __version__
from workshop.core.render import markdown_to_html, md_escape, md_table
from workshop.interview.facts import Q
from workshop.interview.model import Application, Interview
from workshop.questionnaire import Questionnaire, format_value
from workshop.usecases.model import UseCase
from workshop.vocab import ADOPTED

#: Statuses whose use cases go into the SOC's document.
DOCUMENT_STATUSES = ADOPTED

#: technique id -> (name, [tactics]); supplied by the ATT&CK layer when available.
TechniqueLookup = Callable[[str], tuple[str, list[str]] | None]


def _e(text: Any) -> str:
    return md_escape(text, multiline=False)


_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~%!$&'*+,;=:@/?#-]*)?")


def _reference(ref: Any) -> str:
    """A web address as an autolink (``<https://...>``, taken as it is: escaping its ``_`` would put
    a backslash, ``%5C``, into the link); anything else as escaped text."""
    text = str(ref).strip()
    if _URL.fullmatch(text):
        return f"<{text}>"
    return _e(text)


def _bullets(items: Iterable[Any], empty: str = "None recorded.") -> str:
    lines = [f"- {_e(i)}" for i in items if str(i).strip()]
    return "\n".join(lines) if lines else f"_{empty}_"


def _numbered(items: Iterable[Any], empty: str) -> str:
    lines = [f"{n}. {_e(i)}" for n, i in enumerate([i for i in items if str(i).strip()], start=1)]
    return "\n".join(lines) if lines else f"_{empty}_"


class TriedEvasion(Protocol):
    description: str

    @property
    def caught(self) -> bool: ...


class TestedRule(Protocol):
    """What documents read of a local rule test (``workshop.rules.testing.RuleTestResult``,
    a higher layer, fits it)."""

    fires_on_true_positive: bool
    alerts_on_sample: int | None
    alerts_per_day: float | None

    @property
    def evasion_results(self) -> Sequence[TriedEvasion]: ...


@dataclass
class DocumentContext:
    app: Application
    interview: Interview | None
    questionnaire: Questionnaire | None
    values: Mapping[str, Any]
    attack_version: str = ""
    lookup: TechniqueLookup | None = None
    baselines: Mapping[str, Any] | None = None  # template id -> baseline notes (from the baseline layer)
    rule_tests: Mapping[str, TestedRule] | None = None  # template id -> latest local rule test result

    def answer(self, qid: str) -> str:
        v = self.values.get(qid)
        if v is None:
            return ""
        if self.questionnaire is not None and self.questionnaire.has_question(qid):
            return format_value(self.questionnaire.question(qid), v)
        return str(v)


def use_case_markdown(uc: UseCase, ctx: DocumentContext, level: int = 2) -> str:
    eff = uc.effective()
    h = "#" * level
    hh = "#" * (level + 1)
    out = [f"{h} {_e(uc.title)}", ""]
    out.append(f"*Use case `{_e(uc.template_id)}` · status {uc.status} · priority {uc.priority}*")
    if eff.conditional:
        out.append("")
        out.append("> **Conditional:** proposed because answers that decide whether it applies are unknown.")
    if eff.missing_answers:
        out.append("")
        out.append("> **Missing answers:** " + _e(", ".join(eff.missing_answers))
                   + ". Values that depend on them are template defaults.")  # fmt: skip
    out += ["", f"{hh} Goal", "", _e(eff.objective), ""]

    out += [f"{hh} Categorization", ""]
    attack = eff.attack
    if attack:
        rows = []
        for a in attack:
            found = ctx.lookup(a.technique) if ctx.lookup else None
            name, tactics = found if found else ("", [])
            rows.append([a.technique, name, ", ".join(tactics), a.reason])
        out.append(md_table(["Technique", "Name", "Tactics", "Why"], rows))
        if ctx.attack_version:
            out += [
                "",
                f"ATT&CK {_e(ctx.attack_version)}. The mapping is a guide for analysts, not a coverage score.",
            ]
    else:
        out.append(
            "Application-specific: no ATT&CK technique describes this behaviour well, and none is forced."
        )
    out += ["", f"Category: {_e(eff.category)}.", ""]

    out += [f"{hh} Strategy Abstract", "", _e(eff.strategy_abstract), ""]
    out += [f"{hh} Technical Context", "", _e(eff.technical_context), ""]
    blind = list(eff.blind_spots)
    tested = (ctx.rule_tests or {}).get(uc.template_id)
    for ev in tested.evasion_results if tested is not None else []:
        blind.append(f"Tested way round: {ev.description} - {'caught' if ev.caught else 'missed'}.")
    out += [f"{hh} Blind Spots and Assumptions", "", _bullets(blind), ""]
    out += [f"{hh} False Positives", "", _bullets(eff.false_positives), ""]
    out += [f"{hh} Validation", "", _numbered(eff.validation, "No validation steps yet."), ""]
    if tested is not None:
        fires = "fires" if tested.fires_on_true_positive else "does NOT fire"
        line = f"Local rule test: the rule {fires} on synthetic true-positive events"
        if tested.alerts_on_sample is not None:
            line += (f"; {tested.alerts_on_sample} alert(s) on the log sample "
                     f"({float(tested.alerts_per_day or 0):.2f} per day)")  # fmt: skip
        out += [_e(line + "."), ""]
    out += [
        f"{hh} Priority",
        "",
        f"**{uc.priority.capitalize()}**: " + _e("; ".join(eff.priority_reasons)),
        "",
    ]
    out += [_bullets(eff.priority_criteria), ""]
    out += [f"{hh} Response", "", _numbered(eff.response, "No response steps yet."), ""]

    out += [f"{hh} Baseline", ""]
    params = uc.parameters
    if params:
        rows = [
            [name, p.shown(), p.unit, p.source, p.detail]
            for name, p in params.items()
        ]  # fmt: skip
        out.append(md_table(["Parameter", "Value", "Unit", "Source", "How it was set"], rows))
    else:
        out.append("_No tunable parameters: every matching event is an alert._")
    notes = (ctx.baselines or {}).get(uc.template_id)
    if notes:
        out += ["", _bullets(notes)]
    out.append("")

    out += [
        f"{hh} Contacts",
        "",
        _bullets(eff.contacts, "No contacts recorded in the interview."),
        "",
    ]
    refs = [r for r in eff.references if str(r).strip()]
    out += [f"{hh} Additional Resources", "", "\n".join(f"- {_reference(r)}" for r in refs) or "None.", ""]
    if eff.notes:
        out += [f"{hh} Notes", "", md_escape(eff.notes), ""]
    return "\n".join(out)


def application_document(use_cases: list[UseCase], ctx: DocumentContext,
                         statuses: Iterable[str] = DOCUMENT_STATUSES) -> str:  # fmt: skip
    """The application's use-case document in Markdown."""
    chosen = [u for u in use_cases if u.status in set(statuses)]
    app = ctx.app
    out = [f"# {_e(app.name)}: detection use cases", ""]
    # raw HTML: escaped for HTML only (Markdown escapes would show as backslashes here)
    meta = [f"Owner: {app.owner or 'not recorded'}", f"criticality: {app.criticality}"]
    if ctx.interview:
        meta.append(f"workshop held {ctx.interview.held_on}")
    meta.append(f"generated by Use-Case Workshop {__version__}")
    out += ['<p class="meta">' + html.escape(" · ".join(meta)) + "</p>", ""]
    if app.description:
        out += [md_escape(app.description), ""]
    out += ["## Summary", ""]
    if chosen:
        rows = [
            [u.title, u.priority, u.status, ", ".join(a.technique for a in u.attack) or "-"]
            for u in chosen
        ]
        out.append(md_table(["Use case", "Priority", "Status", "ATT&CK"], rows))
    else:
        out.append("_No use case is accepted yet. Review the proposed ones on the Use cases page._")
    out.append("")
    for u in chosen:
        out.append(use_case_markdown(u, ctx))
    return "\n".join(out)


def analyst_brief(use_cases: list[UseCase], ctx: DocumentContext) -> str:
    """One page for the SOC analyst: what the app is, what normal looks like, who to call."""
    a = ctx.answer
    app = ctx.app
    out = [f"# Analyst brief: {_e(app.name)}", ""]
    out += ["## What it is", ""]
    out.append(_e(a(Q.PURPOSE_SUMMARY) or app.description or "No description recorded."))
    facts = [
        ("Criticality", app.criticality),
        ("Internet-facing", a(Q.INTERNET_FACING)),
        ("Data", a(Q.DATA_TYPES)),
        ("Classification", a(Q.DATA_CLASSIFICATION)),
        ("Users", a(Q.USERS_TOTAL)),
        ("Login", a(Q.AUTH_METHODS)),
        ("MFA", a(Q.MFA)),
    ]
    out += ["", md_table(["Fact", "From the workshop"], [[k, v] for k, v in facts if v]), ""]
    out += ["## What normal looks like", ""]
    normal = [
        ("Business hours", a(Q.BUSINESS_HOURS)),
        ("Weekend use", a(Q.WEEKEND_USE)),
        ("Countries", a(Q.COUNTRIES)),
        ("Networks", a(Q.NETWORKS)),
        ("Logins per day", a(Q.DAILY_LOGINS)),
        ("Records a user views per day", a(Q.RECORDS_PER_USER_DAY)),
        ("Exports per day", a(Q.EXPORTS_PER_DAY)),
        ("Busy periods", a(Q.PEAK_PERIODS)),
        ("Maintenance windows", a(Q.CHANGE_WINDOWS)),
    ]
    out += [md_table(["Aspect", "What the owners said"], [[k, v] for k, v in normal if v]), ""]
    accounts = ctx.values.get(Q.SERVICE_ACCOUNTS) or []
    if accounts:
        out += ["Service accounts (expected, not people):", ""]
        out.append(_bullets(f"{r.get('name')}: {r.get('purpose') or ''}" for r in accounts))
        out.append("")
    jobs = ctx.values.get(Q.BATCH_JOBS) or []
    if jobs:
        out += ["Batch jobs:", ""]
        out.append(
            _bullets(f"{r.get('name')} ({r.get('schedule') or 'schedule not recorded'})" for r in jobs)
        )
        out.append("")
    out += ["## Who to call", ""]
    contacts = ctx.values.get(Q.CONTACTS) or []
    if contacts:
        rows = [[r.get("role", ""), r.get("name", ""), r.get("email", ""), r.get("phone", ""), r.get("hours", "")]
                for r in contacts]  # fmt: skip
        out.append(md_table(["Role", "Name", "Email", "Phone", "Hours"], rows))
    else:
        out.append("_No contacts recorded in the interview._")
    if a(Q.OUT_OF_HOURS_CONTACT):
        out += ["", "Out of hours: " + _e(a(Q.OUT_OF_HOURS_CONTACT))]
    if a(Q.CAN_DISABLE_ACCOUNTS):
        out += ["", "SOC may disable accounts directly: " + _e(a(Q.CAN_DISABLE_ACCOUNTS))]
    live = [u for u in use_cases if u.status in DOCUMENT_STATUSES]
    out += ["", "## Use cases watching it", ""]
    out.append(_bullets([f"{u.title} ({u.priority})" for u in live], "None live yet."))
    return "\n".join(out) + "\n"


def to_html(markdown_text: str, title: str, toc: bool = True) -> str:
    return markdown_to_html(markdown_text, title, toc=toc)
