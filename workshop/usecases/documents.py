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
from dataclasses import dataclass, replace
from typing import Any, Protocol

from workshop import __version__
from workshop.core.render import markdown_to_html, md_escape, md_table
from workshop.interview.facts import Facts, Q, Worry
from workshop.interview.model import Application, Interview
from workshop.questionnaire import Questionnaire, format_value
from workshop.usecases.model import UseCase
from workshop.usecases.playbook import playbook
from workshop.usecases.readiness import readiness
from workshop.usecases.worries import coverage
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
    untestable: str  # "untestable: event name assumed": a blocked rule, never a pass

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
    noisy: Mapping[str, str] | None = None  # template id -> why its rule is noisy and what would fix it
    #: template id -> title of the use cases the document contains, so references to other use
    #: cases resolve within it (None: a use case shown on its own; references name ids)
    present: Mapping[str, str] | None = None
    #: template id -> (role, SIEM, query) pivot queries of the alert (from the rules layer)
    pivots: Mapping[str, Sequence[tuple[str, str, str]]] | None = None

    def worries(self) -> list[Worry]:
        """The owners' worries, fraud scenarios and past incidents, one item each."""
        return Facts.of(self.values).worries

    def answer(self, qid: str) -> str:
        v = self.values.get(qid)
        if v is None:
            return ""
        if self.questionnaire is not None and self.questionnaire.has_question(qid):
            return format_value(self.questionnaire.question(qid), v)
        return str(v)


def use_case_markdown(uc: UseCase, ctx: DocumentContext, level: int = 2) -> str:
    eff = uc.effective(ctx.present)
    h = "#" * level
    hh = "#" * (level + 1)
    out = [f"{h} {_e(uc.title)}", ""]
    out.append(f"*Use case `{_e(uc.template_id)}` · status {uc.status} · priority {uc.priority}*")
    ready = readiness(uc, ctx.values)
    if not ready.ready:
        out.append("")
        out.append("> **Blocked:** the rule cannot fire on this application's log yet. "
                   + _e(" ".join(r.text for r in ready.reasons)))  # fmt: skip
    if eff.conditional:
        out.append("")
        out.append("> **Conditional:** proposed because answers that decide whether it applies are unknown.")
    if eff.missing_answers:
        out.append("")
        out.append("> **Missing answers:** " + _e(", ".join(eff.missing_answers))
                   + ". Values that depend on them are template defaults.")  # fmt: skip
    out += ["", f"{hh} Goal", "", _e(eff.objective), ""]
    answered = [w for w in ctx.worries() if w.id in uc.covers]
    if answered:
        out += ["It answers these worries of the owners:", "", _bullets(_worry_line(w) for w in answered), ""]

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
        if tested.untestable:
            line = f"Local rule test: {tested.untestable} (a blocked rule is not tested on synthetic events)"
        if tested.alerts_on_sample is not None:
            line += (f"; {tested.alerts_on_sample} alert(s) on the log sample "
                     f"({float(tested.alerts_per_day or 0):.2f} per day)")  # fmt: skip
        out += [_e(line + "."), ""]
    noisy = (ctx.noisy or {}).get(uc.template_id)
    if noisy:
        out += ["> **Noisy:** " + _e(noisy), ""]
    out += [
        f"{hh} Priority",
        "",
        f"**{uc.priority.capitalize()}**: " + _e("; ".join(eff.priority_reasons)),
        "",
    ]
    out += [_bullets(eff.priority_criteria), ""]
    out += [f"{hh} Response", "", _numbered(eff.response, "No response steps yet."), ""]
    out += playbook_markdown(uc, ctx, "#" * (level + 2))

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


def playbook_markdown(uc: UseCase, ctx: DocumentContext, h: str) -> list[str]:
    """Who acts, what they may do, the pivots, the owners' constraints and when it is closed."""
    facts = Facts.of(ctx.values)
    logic = uc.generated.logic
    roles = [*logic.group_by, logic.field, *(r for r, _ in logic.only)]
    pb = playbook(uc.generated.category, facts, roles, machine_only=facts.has_humans is False)
    out: list[str] = []
    for title, items in (("Who can act", pb.act_now), ("Containment the owners allow", pb.containment),
                         ("This alert's priority", pb.alert_priority)):  # fmt: skip
        if items:
            out += [f"{h} {title}", "", _bullets(items), ""]
    pivots = (ctx.pivots or {}).get(uc.template_id) or []
    if pivots:
        out += [f"{h} Pivot queries", "",
                "The other events around the alert: put in the alert's value for ALERT_..., and search "
                "from an hour before to an hour after it.", ""]  # fmt: skip
        for role, siem, query in pivots:
            code = "\n".join("    " + line for line in query.splitlines())
            out += [f"Same {_e(role.replace('_', ' '))}, {_e(siem)}:", "", code, ""]
    if pb.constraints:
        out += [f"{h} The owners' constraints", "", _bullets(pb.constraints), ""]
    out += [f"{h} Closure criteria", "", _bullets(pb.closure), ""]
    return out


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
    out += worries_section(chosen, ctx)
    ctx = replace(ctx, present={u.template_id: u.title for u in chosen})
    for u in chosen:
        out.append(use_case_markdown(u, ctx))
    return "\n".join(out)


_WORRY_SOURCES: dict[str, str] = {Q.WORRIES: "Worry", Q.FRAUD_SCENARIOS: "Fraud scenario", Q.PAST_INCIDENTS: "Past incident",
                  Q.VIP_RECORDS: "Protected records"}  # fmt: skip


def worry_source(w: Worry) -> str:
    """What kind of worry it is, in words: worry, fraud scenario, past incident..."""
    return _WORRY_SOURCES.get(w.question, w.question)


def _worry_line(w: Worry) -> str:
    return f"{worry_source(w)}: {w.text}"


def worries_section(chosen: Sequence[UseCase], ctx: DocumentContext) -> list[str]:
    """The owners' worries against the use cases of this document; a worry nothing in it covers
    is said to be uncovered (never pointed at a use case the document does not contain)."""
    worries = ctx.worries()
    if not worries:
        return []
    titles = {u.template_id: u.title for u in chosen}
    items = coverage(worries, {u.template_id: u.covers for u in chosen})
    rows = [[_worry_line(c.worry), "; ".join(titles[t] for t in c.use_cases) if c.covered else "NOT COVERED"]
            for c in items]  # fmt: skip
    gaps = [c for c in items if not c.covered]
    out = ["## The owners' worries", ""]
    out.append(f"{len(items) - len(gaps)} of {len(items)} are covered by the use cases of this document.")
    out += ["", md_table(["What the owners said", "Covered by"], rows), ""]
    if gaps:
        out += ["Not covered by any use case here; each needs a use case, a logging change or an accepted risk:",
                "", _bullets(_worry_line(c.worry) for c in gaps), ""]  # fmt: skip
    return out


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
        ("Peak days (volume thresholds raised)", "; ".join(p.text() for p in Facts.of(ctx.values).known_peaks()[0])),
        ("Maintenance windows", a(Q.CHANGE_WINDOWS)),
    ]
    out += [md_table(["Aspect", "What the owners said"], [[k, v] for k, v in normal if v]), ""]
    roles = [r for r in ctx.values.get(Q.USER_ROLES) or [] if isinstance(r, Mapping)]
    if roles:
        out += ["## Roles", "", "What each role may do; use cases refer to this table.", ""]
        rows = [[r.get("name", ""), r.get("count", ""), "yes" if r.get("privileged") else "no", r.get("description", "")]
                for r in roles]  # fmt: skip
        out += [md_table(["Role", "People", "Privileged", "What the role can do"], rows), ""]
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
    adopted = [u for u in use_cases if u.status in DOCUMENT_STATUSES]
    ready = {u.template_id: readiness(u, ctx.values) for u in adopted}
    watching = [u for u in adopted if ready[u.template_id].ready]
    blocked = [u for u in adopted if not ready[u.template_id].ready]
    out += ["", "## Use cases watching it", ""]
    out.append(_bullets([f"{u.title} ({u.priority})" for u in watching], "None live yet."))
    if blocked:
        out += ["", "## Not watching yet (blocked)", ""]
        out.append("These rules cannot fire on the application's log until the application team "
                   "supplies what is missing; do not rely on them.")  # fmt: skip
        out.append("")
        out.append(_bullets(f"{u.title}: {ready[u.template_id].summary()}" for u in blocked))
    return "\n".join(out) + "\n"


def to_html(markdown_text: str, title: str, toc: bool = True) -> str:
    return markdown_to_html(markdown_text, title, toc=toc)
