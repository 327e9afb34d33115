"""Use-case templates (the catalogue) and the use cases generated from them.

A template is a detection idea written once for every in-house application: when it
applies (a condition over interview answers), which events it needs, its detection
logic as structured data, the parameters of that logic and how each is derived from
answers, and the Alerting and Detection Strategy text around it. A :class:`UseCase`
is a template applied to one application's answers, with every text filled in and
every parameter given a value and a source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from workshop.core.conditions import Condition
from workshop.interview.facts import Q
from workshop.usecases.events import LogVocabulary
from workshop.vocab import Priority, Status

CATEGORIES = (
    "authentication", "access", "privilege", "data", "integrity", "fraud",
    "defense-evasion", "api", "availability", "application-attack",
)  # fmt: skip
#: Values of a template's ``principals`` key.
PRINCIPALS = ("humans", "machines", "any")
PARAM_TYPES = ("integer", "number", "duration", "time_window", "list", "text", "boolean")
#: Allowlists the interview provides, usable in ``logic.exclude``.
ALLOWLISTS = {
    "service_accounts": f"Known service accounts ({Q.SERVICE_ACCOUNTS})",
    "batch_hosts": f"Known batch and integration hosts ({Q.BATCH_HOSTS}, {Q.BATCH_JOBS})",
    "trusted_networks": f"Expected networks ({Q.NETWORKS})",
    "change_windows": f"Change and maintenance windows ({Q.CHANGE_WINDOWS})",
    "breakglass_accounts": f"Break-glass accounts ({Q.BREAKGLASS_ACCOUNTS})",
    # not a filter: on the peak days a volume rule's threshold is raised by the owners' factor
    "known_peaks": f"Known peak days, on which the threshold is raised ({Q.PEAK_DAYS})",
}
#: Logic types whose threshold known peaks may raise (counted volumes).
PEAK_LOGIC = ("threshold", "distinct", "sum")

#: Template parameters that narrow a rule to a list, by parameter name: the role of the
#: field they apply to and how. The templates name these lists in their logic only in
#: prose ("the rule selects logins by these accounts only"); a template can also say it
#: explicitly with ``logic.match: {user: "{params.NAME}"}`` or ``logic.only``.
#:
#: * ``select``: the events must have one of the listed values (a placeholder when empty);
#: * ``lookup``: the parameter's value names a SIEM lookup that holds the values;
#: * ``placeholder``: the owners' words are not log values yet, so the rule uses a
#:   placeholder the pipeline fills in (and the notes quote the owners);
#: * ``exclude`` / ``exclude_cidr``: the listed sources are allowed (a filter);
#: * ``exclude_user``: the listed accounts are allowed (a filter: deploy pipelines).
#:
#: Kept here, beside :data:`ALLOWLISTS`, because both the rules (which build the
#: selections) and a use case's readiness (a list nobody supplied blocks the rule) read it.
PARAMETER_LISTS: dict[str, tuple[str, str]] = {
    "breakglass_accounts": ("user", "select"),
    "service_accounts": ("user", "select"),
    "leavers_lookup": ("user", "lookup"),
    "sensitive_objects": ("object", "placeholder"),
    "expected_sources": ("host_or_source", "exclude"),
    "expected_networks": ("source_ip", "exclude_cidr"),
    "deploy_accounts": ("user", "exclude_user"),
}

#: SIEM lookups that supply a role the log lacks, keyed on a role it has (parameter -> (key
#: role, supplied role)): the owner of a record, looked up by the record's id, when the log
#: does not name whose record was changed. Used only while the log has no field for the
#: supplied role; until a person confirms the lookup exists, the rule is blocked.
ENRICH_LOOKUPS: dict[str, tuple[str, str]] = {"record_owners_lookup": ("object", "target_user")}


@dataclass(frozen=True)
class Text:
    """A piece of template text, shown only when its condition holds."""

    text: str
    when: Condition | None = None

    def to_dict(self) -> dict[str, Any] | str:
        return self.text if self.when is None else {"text": self.text, "when": self.when.source}


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    description: str
    type: str
    default: Any = None
    derive: Condition | None = None  # expression over answers ("from:" in YAML)
    baseline: str = ""  # which baseline figure can inform it (see workshop.baseline)
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"description": self.description, "type": self.type, "default": self.default}
        if self.derive is not None:
            d["from"] = self.derive.source
        if self.baseline:
            d["baseline"] = self.baseline
        if self.unit:
            d["unit"] = self.unit
        return d


@dataclass(frozen=True)
class Logic:
    type: str
    event: str = ""
    events: tuple[str, ...] = ()  # for sequence
    group_by: tuple[str, ...] = ()  # roles
    field: str = ""  # role counted (distinct), summed (sum) or watched (new_value)
    window: str = ""  # parameter name (duration)
    threshold: str = ""  # parameter name
    lookback: str = ""  # parameter name (new_value)
    outside: str = ""  # parameter name of a time_window (outside_window)
    within: str = ""  # parameter name of a time_window (silence: only silence inside it is an alert)
    match: tuple[tuple[str, str], ...] = ()  # extra role=value conditions on the selection
    only: tuple[tuple[str, str], ...] = ()  # role -> list parameter: keep only events whose field is listed
    exclude: tuple[str, ...] = ()  # allowlist ids
    #: an allowlist applied only to some events (a sequence's login step): allowlist -> event ids
    exclude_on: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: a numeric band on one field: (role, parameter of the lower bound, parameter of the upper
    #: bound); events with lower <= value < upper are selected (either bound may be "")
    band: tuple[str, ...] = ()
    #: first seen: the value must have been seen before, longer ago than the look-back (a dormant
    #: account); a value never seen at all is not an alert
    after_silence: bool = False
    #: two roles whose values must be equal in the same event (Sigma ``|fieldref``): the account
    #: granted a role is the granting account itself
    same_as: tuple[tuple[str, str], ...] = ()
    #: role -> list parameter of patterns: keep events where any of these roles contains any
    #: pattern of its list (Sigma ``|contains``, the roles OR-ed: an attack URL or a tool's agent)
    contains_any: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        for key in ("event", "field", "window", "threshold", "lookback", "outside", "within"):
            if getattr(self, key):
                d[key] = getattr(self, key)
        if self.events:
            d["events"] = list(self.events)
        if self.group_by:
            d["group_by"] = list(self.group_by)
        if self.match:
            d["match"] = dict(self.match)
        if self.only:
            d["only"] = dict(self.only)
        if self.exclude:
            d["exclude"] = list(self.exclude)
        if self.exclude_on:
            d["exclude_on"] = {k: list(v) for k, v in self.exclude_on}
        if self.band:
            d["band"] = {"role": self.band[0], "min": self.band[1], "max": self.band[2]}
        if self.after_silence:
            d["after_silence"] = True
        if self.same_as:
            d["same_as"] = dict(self.same_as)
        if self.contains_any:
            d["contains_any"] = dict(self.contains_any)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Logic:
        """The inverse of :meth:`to_dict` (stored use cases); lenient, the template was checked."""

        def pairs(v: Any) -> tuple[tuple[str, str], ...]:
            return tuple((str(k), str(x)) for k, x in v.items()) if isinstance(v, Mapping) else ()

        return cls(
            type=str(d.get("type") or "single"),
            event=str(d.get("event") or ""),
            events=tuple(str(e) for e in d.get("events") or ()),
            group_by=tuple(str(g) for g in d.get("group_by") or ()),
            field=str(d.get("field") or ""),
            window=str(d.get("window") or ""),
            threshold=str(d.get("threshold") or ""),
            lookback=str(d.get("lookback") or ""),
            outside=str(d.get("outside") or ""),
            within=str(d.get("within") or ""),
            match=pairs(d.get("match")),
            only=pairs(d.get("only")),
            exclude=tuple(str(e) for e in d.get("exclude") or ()),
            exclude_on=exclude_on(d.get("exclude_on")),
            band=band(d.get("band")),
            after_silence=bool(d.get("after_silence")),
            same_as=pairs(d.get("same_as")),
            contains_any=pairs(d.get("contains_any")),
        )

    @property
    def selections(self) -> tuple[str, ...]:
        return self.events if self.events else ((self.event,) if self.event else ())


def exclude_on(raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``logic.exclude_on`` as stored (allowlist -> event ids)."""
    if not isinstance(raw, Mapping):
        return ()
    return tuple((str(k), tuple(str(e) for e in (v if isinstance(v, list) else [v]))) for k, v in raw.items())


def band(raw: Any) -> tuple[str, ...]:
    """``logic.band`` as stored ({role, min, max}) as (role, min, max), or ()."""
    if not isinstance(raw, Mapping) or not raw.get("role"):
        return ()
    return (str(raw.get("role")), str(raw.get("min") or ""), str(raw.get("max") or ""))


@dataclass(frozen=True)
class PriorityRule:
    when: Condition
    level: str
    reason: str


@dataclass(frozen=True)
class AttackRef:
    technique: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"technique": self.technique, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | str) -> AttackRef:
        if isinstance(d, str):  # an edit may name a technique only
            return cls(d, "")
        return cls(str(d.get("technique") or ""), str(d.get("reason") or ""))


@dataclass(frozen=True)
class Evasion:
    """A way round the rule that the local tests try (and report as caught or missed)."""

    id: str
    description: str
    kind: str  # split_below_threshold | slow_spread | known_network | other

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "description": self.description, "kind": self.kind}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evasion:
        return cls(str(d.get("id") or ""), str(d.get("description") or ""), str(d.get("kind") or "other"))


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    category: str
    objective: str
    when: Condition | None
    needs: tuple[str, ...]
    logic: Logic
    parameters: tuple[ParameterSpec, ...]
    priority_default: str
    priority_rules: tuple[PriorityRule, ...]
    false_positives: tuple[Text, ...]
    blind_spots: tuple[Text, ...]
    response: tuple[Text, ...]
    validation: tuple[Text, ...]
    attack: tuple[AttackRef, ...] = ()
    references: tuple[str, ...] = ()
    evasions: tuple[Evasion, ...] = ()
    service: str = "audit"
    version: str = "1"
    #: Who the detection is about: ``humans`` (people at a login page or a screen),
    #: ``machines`` (API keys, service accounts, jobs) or ``any``.
    principals: str = "any"
    source: str | None = field(default=None, compare=False)

    def parameter(self, name: str) -> ParameterSpec:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)


TEXT_FIELDS = (
    "title", "objective", "strategy_abstract", "technical_context", "false_positives", "blind_spots",
    "response", "validation",
)  # fmt: skip
_PARAM_RE = re.compile(r"\{params\.([a-z][a-z0-9_]*)\}")


def format_param(spec_type: str, value: Any) -> str:
    """A parameter value as people read it (a time window in words, a list joined)."""
    if value is None:
        return "(not set)"
    if spec_type == "time_window" and isinstance(value, dict):
        from workshop.questionnaire.values import format_time_window

        return format_time_window(value)
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- the generated use case


@dataclass
class Parameter:
    """One parameter of a use case's logic with where its value came from.

    ``source`` is ``default``, ``answer``, ``baseline`` or ``manual``; ``detail`` says
    which answer or figure, so a reviewer can check the number. ``at`` and ``who`` are
    set on a person's edit only; ``method``, ``baseline_version`` and ``alerts_per_day``
    when the value was taken from a baseline proposal.
    """

    value: Any = None
    source: str = "default"
    detail: str = ""
    description: str = ""
    type: str = ""
    unit: str = ""
    baseline: str = ""
    at: str = ""
    who: str = ""
    method: str = ""
    baseline_version: int | None = None
    alerts_per_day: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "value": self.value, "source": self.source, "detail": self.detail,
            "description": self.description, "type": self.type, "unit": self.unit, "baseline": self.baseline,
        }  # fmt: skip
        if self.at:
            d["at"] = self.at
        if self.who:
            d["who"] = self.who
        if self.method:
            d["method"] = self.method
        if self.baseline_version is not None:
            d["baseline_version"] = self.baseline_version
        if self.alerts_per_day is not None:
            d["alerts_per_day"] = self.alerts_per_day
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Parameter:
        return cls().overlay(d)

    def overlay(self, edit: Mapping[str, Any]) -> Parameter:
        """This parameter with the keys of a stored edit (``parameters.NAME``) applied."""
        known = {f.name for f in fields(Parameter)}
        nullable = {"value", "baseline_version", "alerts_per_day"}
        changes: dict[str, Any] = {
            k: ("" if v is None and k not in nullable else v) for k, v in edit.items() if k in known
        }
        return replace(self, **changes)

    def shown(self) -> str:
        return format_param(self.type, self.value)


@dataclass(frozen=True)
class EventRef:
    """An event the use case selects, as this application logs it."""

    event: str
    label: str = ""
    action: str = ""
    outcome: str = ""
    assumed: bool = False
    logged: bool | None = None  # None: the interview did not say

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "label": self.label, "action": self.action, "outcome": self.outcome,
                "assumed": self.assumed, "logged": self.logged}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EventRef:
        logged = d.get("logged")
        return cls(str(d.get("event") or ""), str(d.get("label") or ""), str(d.get("action") or ""),
                   str(d.get("outcome") or ""), bool(d.get("assumed")),
                   logged if isinstance(logged, bool) else None)  # fmt: skip


@dataclass(frozen=True)
class TriggeredBy:
    """An answer the template's condition read, as shown when the use case was proposed."""

    question_id: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"question_id": self.question_id, "value": self.value}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TriggeredBy:
        return cls(str(d.get("question_id") or ""), str(d.get("value") or ""))


def _strs(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else []


@dataclass
class GeneratedUseCase:
    """What generation makes of one template for one application: the use case's content.

    Texts may hold ``{params.NAME}``, filled when read through :meth:`UseCase.effective`
    so that an edited parameter shows everywhere. ``notes`` and ``owner`` are never
    generated; only a person's edit sets them.
    """

    title: str = ""
    objective: str = ""
    category: str = ""
    service: str = "audit"
    template_version: str = "1"
    priority: str = Priority.MEDIUM
    priority_reasons: list[str] = field(default_factory=list)
    priority_criteria: list[str] = field(default_factory=list)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    logic: Logic = field(default_factory=lambda: Logic("single"))
    vocabulary: LogVocabulary = field(default_factory=LogVocabulary)
    events: list[EventRef] = field(default_factory=list)
    strategy_abstract: str = ""
    technical_context: str = ""
    false_positives: list[str] = field(default_factory=list)
    blind_spots: list[str] = field(default_factory=list)
    response: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    validation: list[str] = field(default_factory=list)
    attack: list[AttackRef] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    evasions: list[Evasion] = field(default_factory=list)
    triggered_by: list[TriggeredBy] = field(default_factory=list)
    conditional: bool = False
    missing_answers: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    #: The owners' worries this use case answers (worry ids such as ``concerns.worries#2``):
    #: proposed by generation, confirmed or edited by a person.
    covers: list[str] = field(default_factory=list)
    notes: str = ""
    owner: str = ""

    def parameter_values(self) -> dict[str, Any]:
        return {k: p.value for k, p in self.parameters.items()}

    def to_dict(self) -> dict[str, Any]:
        """The stored form (the ``generated`` JSON column); its shape is what workspaces hold."""
        d: dict[str, Any] = {
            "title": self.title,
            "objective": self.objective,
            "category": self.category,
            "service": self.service,
            "template_version": self.template_version,
            "priority": str(self.priority),
            "priority_reasons": list(self.priority_reasons),
            "priority_criteria": list(self.priority_criteria),
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "logic": self.logic.to_dict(),
            "vocabulary": self.vocabulary.to_dict(),
            "events": [e.to_dict() for e in self.events],
            "strategy_abstract": self.strategy_abstract,
            "technical_context": self.technical_context,
            "false_positives": list(self.false_positives),
            "blind_spots": list(self.blind_spots),
            "response": list(self.response),
            "contacts": list(self.contacts),
            "validation": list(self.validation),
            "attack": [a.to_dict() for a in self.attack],
            "references": list(self.references),
            "evasions": [e.to_dict() for e in self.evasions],
            "triggered_by": [t.to_dict() for t in self.triggered_by],
            "conditional": self.conditional,
            "missing_answers": list(self.missing_answers),
            "inputs": list(self.inputs),
            "covers": list(self.covers),
        }
        if self.notes:
            d["notes"] = self.notes
        if self.owner:
            d["owner"] = self.owner
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> GeneratedUseCase:
        """Read the stored form; missing keys take their defaults (older workspaces)."""
        d = d or {}
        params = d.get("parameters")
        return cls(
            title=str(d.get("title") or ""),
            objective=str(d.get("objective") or ""),
            category=str(d.get("category") or ""),
            service=str(d.get("service") or "audit"),
            template_version=str(d.get("template_version") or "1"),
            priority=str(d.get("priority") or Priority.MEDIUM),
            priority_reasons=_strs(d.get("priority_reasons")),
            priority_criteria=_strs(d.get("priority_criteria")),
            parameters={str(k): Parameter.from_dict(v) for k, v in params.items() if isinstance(v, Mapping)}
            if isinstance(params, Mapping)
            else {},
            logic=Logic.from_dict(d.get("logic") or {}),
            vocabulary=LogVocabulary.from_dict(d.get("vocabulary") or {}),
            events=[EventRef.from_dict(e) for e in d.get("events") or [] if isinstance(e, Mapping)],
            strategy_abstract=str(d.get("strategy_abstract") or ""),
            technical_context=str(d.get("technical_context") or ""),
            false_positives=_strs(d.get("false_positives")),
            blind_spots=_strs(d.get("blind_spots")),
            response=_strs(d.get("response")),
            contacts=_strs(d.get("contacts")),
            validation=_strs(d.get("validation")),
            attack=[AttackRef.from_dict(a) for a in d.get("attack") or []],
            references=_strs(d.get("references")),
            evasions=[Evasion.from_dict(e) for e in d.get("evasions") or [] if isinstance(e, Mapping)],
            triggered_by=[TriggeredBy.from_dict(t) for t in d.get("triggered_by") or [] if isinstance(t, Mapping)],
            conditional=bool(d.get("conditional")),
            missing_answers=_strs(d.get("missing_answers")),
            inputs=_strs(d.get("inputs")),
            covers=_strs(d.get("covers")),
            notes=str(d.get("notes") or ""),
            owner=str(d.get("owner") or ""),
        )


def fill_params(text: str, params: Mapping[str, Parameter]) -> str:
    def sub(m: re.Match[str]) -> str:
        p = params.get(m.group(1))
        return p.shown() if p else m.group(0)

    return _PARAM_RE.sub(sub, text)


#: A reference from one use case's text to others: ``{usecase:log-silence}``,
#: ``{usecases:payee-change-then-payment,payee-changes-by-one-user}``.
USECASE_REF = re.compile(r"\{usecases?:([a-z0-9-]+(?:,\s*[a-z0-9-]+)*)\}")


def referenced_ids(text: str) -> list[str]:
    return [i.strip() for m in USECASE_REF.finditer(text) for i in m.group(1).split(",")]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def resolve_refs(text: str, present: Mapping[str, str] | None = None) -> str:
    """References to other use cases in words: by id without ``present``; else by the titles of
    the ones present, or, when none is, saying that no use case of the document covers it."""

    def sub(m: re.Match[str]) -> str:
        ids = [i.strip() for i in m.group(1).split(",")]
        if present is None:
            return f"the {_and(ids)} use case{'s' if len(ids) > 1 else ''}"
        found = [f"\u201c{present[i]}\u201d" for i in ids if i in present]
        if found:
            return f"the use case{'s' if len(found) > 1 else ''} {_and(found)} (in this document)"
        return f"a use case not in this document ({_and(ids)})"

    return USECASE_REF.sub(sub, text)


#: Fields a person may edit (parameters are edited one by one as "parameters.NAME").
EDITABLE = (
    "title", "objective", "priority", "strategy_abstract", "technical_context",
    "false_positives", "blind_spots", "response", "validation", "attack", "notes", "owner", "covers",
)  # fmt: skip
_LIST_FIELDS = frozenset({"false_positives", "blind_spots", "response", "validation", "covers"})


def edit_value(name: str, value: Any) -> Any:
    """A stored edit of a field as the typed field holds it."""
    if name == "attack":
        return [AttackRef.from_dict(a) for a in value or [] if isinstance(a, (Mapping, str))]
    if name in _LIST_FIELDS:
        return _strs(value) if isinstance(value, (list, tuple)) else ([str(value)] if value else [])
    return "" if value is None else str(value)


def is_editable(name: str) -> bool:
    return name in EDITABLE or (name.startswith("parameters.") and len(name) > len("parameters."))


@dataclass
class UseCase:
    """A template applied to one application; what the SOC reads and the rules are built from.

    ``generated`` holds what the last generation produced; ``edits`` what a person
    changed (which wins over generation, kept as stored); ``conflicts`` fields where
    both changed.
    """

    application: str
    template_id: str
    status: str = Status.PROPOSED
    generated: GeneratedUseCase = field(default_factory=GeneratedUseCase)
    edits: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, Any] = field(default_factory=dict)
    applies: bool = True
    revision: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    EDITABLE = EDITABLE

    @property
    def id(self) -> str:
        return self.template_id

    def _field(self, name: str) -> Any:
        if name in self.edits:
            return edit_value(name, self.edits[name])
        return getattr(self.generated, name)

    @property
    def title(self) -> str:
        return fill_params(self._field("title") or self.template_id, self.parameters)

    @property
    def priority(self) -> str:
        return str(self._field("priority") or Priority.MEDIUM)

    @property
    def owner(self) -> str:
        return str(self._field("owner") or "")

    @property
    def parameters(self) -> dict[str, Parameter]:
        """Effective parameters: generated ones overlaid by edits (``parameters.NAME``)."""
        params = dict(self.generated.parameters)
        for key, value in self.edits.items():
            if key.startswith("parameters.") and isinstance(value, Mapping):
                name = key.split(".", 1)[1]
                params[name] = params.get(name, Parameter()).overlay(value)
        return params

    @property
    def covers(self) -> list[str]:
        """The worries this use case answers, as confirmed or edited (else as generated)."""
        return list(self._field("covers") or [])

    @property
    def attack(self) -> list[AttackRef]:
        return list(self._field("attack") or [])

    def effective(self, present: Mapping[str, str] | None = None) -> GeneratedUseCase:
        """Generated fields overlaid by edits, with ``{params.NAME}`` filled from the
        effective parameters (so an edited threshold shows in every text).

        References to other use cases (``{usecase:ID}``) name them by id; a document passes
        ``present`` (template id -> title of each use case it contains) so that a reference
        names a use case of the document, or says that none in it covers the point.
        """
        changes = {k: edit_value(k, v) for k, v in self.edits.items() if k in EDITABLE}
        params = self.parameters
        out = replace(self.generated, parameters=params, **changes)
        for key in TEXT_FIELDS:
            value = getattr(out, key)
            if isinstance(value, str):
                setattr(out, key, resolve_refs(fill_params(value, params), present))
            else:
                setattr(out, key, [resolve_refs(fill_params(x, params), present) for x in value])
        return out

    def to_dict(self) -> dict[str, Any]:
        params = self.parameters
        return {
            "id": self.template_id,
            "application": self.application,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "attack": [a.technique for a in self.attack],
            "parameters": {k: v.value for k, v in params.items()},
            "parameter_sources": {k: v.source for k, v in params.items()},
            "applies": self.applies,
            "missing_answers": list(self.generated.missing_answers),
            "edited_fields": sorted(self.edits),
            "conflicts": sorted(self.conflicts),
            "revision": self.revision,
        }
