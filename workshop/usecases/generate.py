"""Apply the catalogue to one application's answers.

Generation is a pure function of the template, the application profile and the
answers, so it can be rerun whenever answers change; merging the result with what
people edited since is the store's job (:meth:`Store.save_generated`).

An answer marked "unknown" never yields a confident use case: a template whose
condition fails only because of unknown answers is still proposed, flagged with the
answers that would decide it, and every use case lists the answers it needed and
did not get.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from workshop.core.conditions import Condition, Context, truthy
from workshop.interview.facts import APP_FIELDS, HUMANS, MACHINES, Facts, Q
from workshop.interview.model import Answer, AnswerSet, Application
from workshop.questionnaire import Questionnaire, format_value, is_empty
from workshop.usecases.abstracts import Phrases, abstract
from workshop.usecases.events import EVENTS, LogVocabulary, assumed_from, vocabulary
from workshop.usecases.loader import PLACEHOLDER_RE, TemplateCatalogue
from workshop.usecases.model import (
    ALLOWLISTS,
    EventRef,
    GeneratedUseCase,
    Logic,
    Parameter,
    ParameterSpec,
    Template,
    Text,
    TriggeredBy,
)
from workshop.usecases.playbook import contact_text, route_contacts
from workshop.usecases.worries import proposed_covers
from workshop.vocab import LogRole, is_duration, priority_rank

#: Application profile fields that conditions and texts may name like answers.
APP_NAMES = frozenset(APP_FIELDS)


@dataclass
class Inputs:
    """Everything generation reads about one application."""

    app: Application
    answers: dict[str, Answer]
    questionnaire: Questionnaire | None = None

    def __post_init__(self) -> None:
        aset = AnswerSet(self.answers)
        self.values: dict[str, Any] = dict(aset.values)
        self.unknown: set[str] = aset.unknown
        app = self.app
        self.facts = Facts.of(self.values, self.unknown)
        profile = (app.name, app.slug, app.owner, app.criticality, app.description, list(app.platforms),
                   self.facts.principals)  # fmt: skip
        app_values = dict(zip(APP_FIELDS, profile, strict=True))
        self.context = Context({**self.values, **app_values}, self.unknown)
        self.vocab: LogVocabulary = vocabulary(self.facts)

    def answered(self, qid: str) -> bool:
        return qid in APP_NAMES or (qid not in self.unknown and not is_empty(self.values.get(qid)))

    def show(self, qid: str) -> str:
        """An answer as text for documents."""
        if qid.startswith("app."):
            v = self.context.value(qid)
            return ", ".join(v) if isinstance(v, list) else str(v or "")
        value = self.values.get(qid)
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            return ", ".join(_row_label(r) for r in value)  # a table read inside a sentence
        if self.questionnaire is not None and self.questionnaire.has_question(qid):
            return format_value(self.questionnaire.question(qid), value)
        return "" if value is None else str(value)


def _row_label(row: Mapping[str, Any]) -> str:
    """One row of a list answer in prose: its name (and role), else its first value."""
    name = row.get("name")
    role = row.get("role")
    if name and role:
        return f"{name} ({role})"
    if name:
        return str(name)
    first = next((v for v in row.values() if v not in (None, "")), "")
    return str(first)


def _coerce_param(spec: ParameterSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.type == "integer" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(round(value), 0)
    if spec.type == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if spec.type == "duration" and is_duration(value):
        return value
    if spec.type == "time_window" and isinstance(value, dict):
        return value
    if spec.type == "list":
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if not is_empty(v)]
    if spec.type in ("text", "boolean"):
        return value
    return None  # derived value of the wrong shape: fall back to the default


def is_prose(value: Any) -> bool:
    """Whether an answer is a description in words rather than names or ids to match on.

    A choice list or a short name ("payroll-export") can be matched against a log field;
    "Medical file tab of health claims" cannot.
    """
    items = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and len(v.split()) >= 4 for v in items)


def derive_parameters(template: Template, inputs: Inputs) -> tuple[dict[str, Parameter], set[str]]:
    params: dict[str, Parameter] = {}
    missing: set[str] = set()
    matched_lists = {param for _, param in template.logic.only}
    for spec in template.parameters:
        entry = Parameter(
            value=spec.default,
            source="default",
            detail="template default",
            description=spec.description,
            type=spec.type,
            unit=spec.unit,
            baseline=spec.baseline,
        )
        if spec.derive is not None:
            names = sorted(spec.derive.names - APP_NAMES)
            raw = spec.derive.value(inputs.context)
            value = _coerce_param(spec, raw)
            absent = [n for n in names if not inputs.answered(n)]
            if spec.name in matched_lists and is_prose(raw):
                # The rule keeps only events whose field equals one of these values: a sentence
                # would match nothing, and quoting it as ids would misstate the answer.
                entry.detail = (f"template default: the answer to {', '.join(names)} describes them in words "
                                f"({str(raw)[:80]}); list the names or ids the log carries by hand")  # fmt: skip
            elif value is not None and not (absent and len(absent) == len(names)):
                used = ", ".join(f"{n} = {inputs.show(n) or 'unanswered'}" for n in names)
                entry.value, entry.source, entry.detail = value, "answer", f"{spec.derive.source} with {used}"
            else:
                missing.update(absent)
                entry.detail = f"template default; would come from {', '.join(names)} (not answered)"
        params[spec.name] = entry
    return params, missing


def render_text(text: str, inputs: Inputs, params: Mapping[str, Parameter], missing: set[str],
                category: str = "") -> str:  # fmt: skip
    """A template text with its answers filled in; ``{response.contacts}`` names the contacts who
    can act on this category of alert (:func:`workshop.usecases.playbook.route_contacts`)."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.startswith("params."):
            return m.group(0)  # resolved when read, so edited parameters show (UseCase.effective)
        if name == Q.CONTACTS and category and inputs.facts.contacts:
            return contact_text(route_contacts(inputs.facts.contacts, category))
        if not inputs.answered(name):
            missing.add(name)
            return f"[unknown: {name}]" if name in inputs.unknown else f"[not answered: {name}]"
        return inputs.show(name).replace("\n", "; ")

    return PLACEHOLDER_RE.sub(sub, text)


def _texts(items: Iterable[Text], inputs: Inputs, params: Mapping[str, Parameter], missing: set[str],
           category: str = "") -> list[str]:  # fmt: skip
    return [
        render_text(t.text, inputs, params, missing, category)
        for t in items
        if t.when is None or t.when.evaluate(inputs.context)
    ]


def _priority(template: Template, inputs: Inputs) -> tuple[str, list[str], list[str]]:
    level, reasons = template.priority_default, [f"default for this use case: {template.priority_default}"]
    criteria = [f"{template.priority_default.capitalize()} by default."]
    for rule in template.priority_rules:
        criteria.append(f"{rule.level.capitalize()} when {rule.reason}.")
        if rule.when.evaluate(inputs.context) and priority_rank(rule.level) > priority_rank(level):
            level = rule.level
            reasons.append(f"raised to {rule.level}: {rule.reason}")
    return level, reasons, criteria


def _role(vocab: LogVocabulary, role: str) -> str:
    name = vocab.field_for(role)
    return f"{role} (field {name}{', assumed' if role in vocab.assumed_fields else ''})"


def _event_text(vocab: LogVocabulary, event_id: str) -> str:
    et = EVENTS[event_id]
    name = vocab.event(event_id)
    cond = f"{vocab.field_for('action')}={name.action}"
    if name.outcome:
        cond += f", {vocab.field_for('outcome')}={name.outcome}"
    note = (
        f"; name assumed from {assumed_from(name.action)}, confirm with the application team"
        if name.assumed
        else ""
    )
    return f"{et.label} ({cond}{note})"


def strategy_abstract(logic: Logic, vocab: LogVocabulary, params: Mapping[str, Parameter]) -> str:
    """The detection logic in one paragraph an analyst can check against the rule."""

    def p(name: str) -> str:
        return "{params." + name + "}"  # resolved when read (UseCase.effective)

    per = f" per {', '.join(_role(vocab, g) for g in logic.group_by)}" if logic.group_by else ""
    ev = _event_text(vocab, logic.event) if logic.event else ""
    phrases = Phrases(ev, per, p, lambda role: _role(vocab, role), lambda e: _event_text(vocab, e))
    text = abstract(logic, phrases)
    if logic.match:
        text += " Only events where " + ", ".join(f"{_role(vocab, k)} is {v}" for k, v in logic.match) + "."
    if logic.only:
        text += (
            " Only events whose "
            + ", ".join(f"{_role(vocab, k)} is one of: {p(v)}" for k, v in logic.only)
            + "."
        )
    if logic.same_as:  # Sigma |fieldref: two fields of one event compared
        text += " Only events where " + " and ".join(
            f"{_role(vocab, a)} is the same as {_role(vocab, b)}" for a, b in logic.same_as) + "."  # fmt: skip
    if logic.contains_any:  # any of the roles holds any of its patterns
        text += " Only events where " + " or ".join(
            f"{_role(vocab, r)} contains one of {p(v)}" for r, v in logic.contains_any) + "."  # fmt: skip
    excluded = [e for e in logic.exclude if e != "known_peaks"]
    if excluded:
        text += " Excluded: " + "; ".join(ALLOWLISTS[e] for e in excluded) + "."
    if "known_peaks" in logic.exclude:
        text += f" {ALLOWLISTS['known_peaks']}."
    return text


def technical_context(logic: Logic, inputs: Inputs) -> str:
    facts = inputs.facts
    parts = []
    source = facts.log_source_name
    dest = inputs.show(Q.LOG_DESTINATION) if facts.log_destination else "not stated"
    parts.append(f"Log: {inputs.show(Q.LOG_FORMAT) or 'format not stated'}, kept in {dest}"
                 + (f" ({source})" if source else "") + ".")  # fmt: skip
    if facts.log_timezone:
        parts.append(f"Timestamps are written in {facts.log_timezone}.")
    roles: list[str] = [LogRole.TIMESTAMP, LogRole.USER, LogRole.ACTION, LogRole.OUTCOME, *logic.group_by]
    roles += [r for pair in logic.same_as for r in pair] + [r for r, _ in logic.contains_any]
    if logic.field:
        roles.append(logic.field)
    roles = list(dict.fromkeys(roles))
    parts.append("Fields used: " + ", ".join(_role(inputs.vocab, r) for r in roles) + ".")
    parts.append("Events: " + "; ".join(_event_text(inputs.vocab, e) for e in logic.selections) + ".")
    if facts.retention_days:
        parts.append(f"Retention: {facts.retention_days} days.")
    if LogRole.SOURCE_IP in roles or LogRole.COUNTRY in roles:
        if facts.source_ip_is_client is False:
            parts.append("The source address is a proxy's or load balancer's, not the client's.")
        elif facts.source_ip_is_client is True:
            parts.append("The source address is the client's own.")
    principals = {"humans": "people", "machines": "machine clients (keys, service accounts, jobs)"}
    parts.append("Who acts in the application: " + " and ".join(principals[p] for p in facts.principals) + ".")
    accounts = [a.name for a in facts.service_accounts]
    if accounts:
        parts.append(f"Service accounts: {', '.join(accounts)}.")
    if facts.log_known_gaps:
        parts.append(f"Known logging gaps, as the owners described them: {facts.log_known_gaps}")
    return " ".join(parts)


def _peak_suppressions(logic: Logic, inputs: Inputs, params: Mapping[str, Parameter]) -> list[str]:
    """The owners' known peaks as the suppression the rule applies (its threshold raised on
    their days), in place of their prose about busy periods."""
    if "known_peaks" not in logic.exclude:
        return []
    peaks, _problems = inputs.facts.known_peaks()
    entry = params.get(logic.threshold)
    base = entry.value if entry is not None else None
    out = []
    for p in peaks:
        text = f"{p.what}, on {p.days_text()}: the threshold is raised x{p.factor:g}"
        if isinstance(base, (int, float)) and not isinstance(base, bool) and base > 1:
            text += f" ({p.threshold(base, whole=logic.type != 'sum'):g} instead of {base:g})"
        out.append(f"Known peak ({Q.PEAK_DAYS}), suppressed by a raised threshold, not switched off: {text}.")
    return out


def _logging_gaps(logic: Logic, inputs: Inputs, params: Mapping[str, Parameter]) -> list[str]:
    gaps = []
    for ev in logic.selections:
        logged = inputs.vocab.is_logged(ev)
        if logged is False:
            gaps.append(f"The application does not log '{EVENTS[ev].label}' events (interview: {Q.LOG_EVENTS}); "
                        "this use case cannot work until it does: a logging requirement for the developers.")  # fmt: skip
        elif logged is None:
            gaps.append(
                f"Whether '{EVENTS[ev].label}' events are logged was not established in the interview."
            )
    roles = {*logic.group_by, logic.field} - {""}
    assumed = sorted(r for r in roles if r in inputs.vocab.assumed_fields)
    if assumed:
        gaps.append("The log fields for " + ", ".join(assumed) + " were not named in the interview; "
                    "the rule uses assumed names.")  # fmt: skip
    for role, pname in logic.only:
        entry = params.get(pname)
        if entry is None or not entry.value:
            gaps.append(f"No values are named for '{pname}', so the rule keeps no {role} and cannot fire: "
                        "fill in the parameter (or the interview answer it comes from).")  # fmt: skip
    if LogRole.SOURCE_IP in roles and inputs.facts.source_ip_is_client is False:
        gaps.append("The source address in the log is not the client's (a proxy or load balancer): "
                    "per-source grouping and location checks see one address for everyone.")  # fmt: skip
    return gaps


def _contacts(inputs: Inputs) -> list[str]:
    return [c.line() for c in inputs.facts.contacts]


def principals_fit(template: Template, inputs: Inputs) -> bool:
    """Whether the application has the principals the template is about (``principals:``).

    A template about people (a login page, a leaver, "ask the user") is not proposed for a
    service only machines use, and one about machine clients needs some.
    """
    if template.principals == HUMANS:
        return inputs.facts.has_humans is not False
    if template.principals == MACHINES:
        # an application of people only (no key, account, job or client named) has none to watch
        return inputs.facts.has_machines or inputs.facts.has_humans is not True
    return True


def watched_principals(logic: Logic, inputs: Inputs) -> tuple[Logic, list[str]]:
    """The logic with machine allowlists dropped where machines are the only principals.

    Excluding "known service accounts and batch hosts" from a service only machines use
    excludes everyone: there the keys and jobs are what the rule must watch.
    """
    machine_lists = {"service_accounts", "batch_hosts"}
    if inputs.facts.has_humans is not False or not machine_lists & set(logic.exclude):
        return logic, []
    kept = tuple(e for e in logic.exclude if e not in machine_lists)
    note = ("The service has no human users: its clients, service accounts and batch hosts are its only "
            "principals, so this rule watches them instead of excluding them.")  # fmt: skip
    return replace(logic, exclude=kept), [note]


def applies(template: Template, inputs: Inputs) -> tuple[bool, list[str]]:
    """Whether the template applies, and the unknown answers that would decide it otherwise."""
    if not principals_fit(template, inputs):
        return False, []
    if template.when is None:
        return True, []
    if template.when.evaluate(inputs.context):
        return True, []
    deciding = sorted(n for n in template.when.names if n in inputs.unknown)
    return False, deciding


def template_inputs(template: Template) -> set[str]:
    """Every answer id a template reads: condition, needs, parameters, priority rules, texts."""
    names: set[str] = set(template.needs)
    conds = [
        template.when,
        *(p.derive for p in template.parameters),
        *(r.when for r in template.priority_rules),
    ]
    texts = [template.title, template.objective]
    for group in (template.false_positives, template.blind_spots, template.response, template.validation):
        conds += [t.when for t in group]
        texts += [t.text for t in group]
    for c in conds:
        if c is not None:
            names |= set(c.names)
    for text in texts:
        names |= {n for n in PLACEHOLDER_RE.findall(text) if not n.startswith("params.")}
    return {n for n in names if n not in APP_NAMES}


def generate(template: Template, inputs: Inputs) -> GeneratedUseCase | None:
    """The generated fields of one use case, or None when the template does not apply."""
    ok, deciding = applies(template, inputs)
    if not ok and not deciding:
        return None
    missing: set[str] = set(deciding)
    logic, watched = watched_principals(template.logic, inputs)
    params, absent = derive_parameters(template, inputs)
    missing |= absent
    for need in template.needs:
        if not inputs.answered(need):
            missing.add(need)
    level, reasons, criteria = _priority(template, inputs)
    blind = _texts(template.blind_spots, inputs, params, missing) + watched + _logging_gaps(logic, inputs, params)
    if deciding:
        blind.insert(0, "Proposed because these answers are unknown and would decide whether it applies: "
                     + ", ".join(deciding) + ". Confirm with the owners.")  # fmt: skip
    triggered = []
    if template.when is not None:
        for name in sorted(template.when.names):
            shown = "unknown" if name in inputs.unknown else inputs.show(name) or "not answered"
            triggered.append(TriggeredBy(name, shown))
    doc = GeneratedUseCase(
        title=render_text(template.title, inputs, params, missing),
        objective=render_text(template.objective, inputs, params, missing),
        category=template.category,
        service=template.service,
        template_version=template.version,
        priority=level,
        priority_reasons=reasons,
        priority_criteria=criteria,
        parameters=params,
        logic=logic,
        vocabulary=inputs.vocab,
        events=[
            EventRef(
                event=e,
                label=EVENTS[e].label,
                action=inputs.vocab.event(e).action,
                outcome=inputs.vocab.event(e).outcome,
                assumed=inputs.vocab.event(e).assumed,
                logged=inputs.vocab.is_logged(e),
            )
            for e in template.logic.selections
        ],
        strategy_abstract=strategy_abstract(logic, inputs.vocab, params),
        technical_context=technical_context(logic, inputs),
        false_positives=_texts(template.false_positives, inputs, params, missing)
        + _peak_suppressions(logic, inputs, params),
        blind_spots=blind,
        response=_texts(template.response, inputs, params, missing, template.category),
        contacts=_contacts(inputs),
        validation=_texts(template.validation, inputs, params, missing),
        attack=list(template.attack),
        references=list(template.references),
        evasions=list(template.evasions),
        triggered_by=triggered,
        conditional=bool(deciding),
    )
    doc.missing_answers = sorted(m for m in missing if m not in APP_NAMES)
    doc.inputs = sorted(template_inputs(template))
    doc.covers = proposed_covers(template.id, inputs.facts.worries)
    return doc


def generate_all(catalogue: TemplateCatalogue, inputs: Inputs) -> dict[str, GeneratedUseCase | None]:
    """Every template's result for this application (None where it does not apply)."""
    return {tid: generate(t, inputs) for tid, t in catalogue.templates.items()}


def when_holds(
    condition: Condition | None, values: Mapping[str, Any], unknown: Iterable[str] = ()
) -> bool:
    """Convenience for tests: does a template condition hold for plain answer values?"""
    return condition is None or truthy(condition.value(Context(values, unknown)))
