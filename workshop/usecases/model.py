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
from dataclasses import dataclass, field
from typing import Any

from workshop.core.conditions import Condition

STATUSES = ("proposed", "accepted", "rejected", "implemented", "tested", "retired")
PRIORITIES = ("low", "medium", "high", "critical")
CATEGORIES = (
    "authentication", "access", "privilege", "data", "integrity", "fraud",
    "defense-evasion", "api", "availability", "application-attack",
)  # fmt: skip
LOGIC_TYPES = (
    "single",  # every matching event is an alert
    "threshold",  # count of events per group within a window
    "distinct",  # count of distinct values of a field per group within a window
    "sum",  # sum of a numeric field per group within a window
    "sequence",  # events in order within a window (temporal_ordered)
    "new_value",  # a value not seen for this group in the lookback period
    "outside_window",  # events outside a time window (business hours, change windows)
    "silence",  # fewer events than expected: logging stopped
)
PARAM_TYPES = ("integer", "number", "duration", "time_window", "list", "text", "boolean")
#: Allowlists the interview provides, usable in ``logic.exclude``.
ALLOWLISTS = {
    "service_accounts": "Known service accounts (service.accounts)",
    "batch_hosts": "Known batch and integration hosts (service.batch_hosts, service.batch_jobs)",
    "trusted_networks": "Expected networks (access.networks)",
    "change_windows": "Change and maintenance windows (change.windows)",
    "breakglass_accounts": "Break-glass accounts (auth.breakglass_accounts)",
}


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
    match: tuple[tuple[str, str], ...] = ()  # extra role=value conditions on the selection
    only: tuple[tuple[str, str], ...] = ()  # role -> list parameter: keep only events whose field is listed
    exclude: tuple[str, ...] = ()  # allowlist ids

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type}
        for key in ("event", "field", "window", "threshold", "lookback", "outside"):
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
        return d

    @property
    def selections(self) -> tuple[str, ...]:
        return self.events if self.events else ((self.event,) if self.event else ())


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


@dataclass(frozen=True)
class Evasion:
    """A way round the rule that the local tests try (and report as caught or missed)."""

    id: str
    description: str
    kind: str  # split_below_threshold | slow_spread | known_network | other

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "description": self.description, "kind": self.kind}


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


def fill_params(text: str, params: dict[str, dict[str, Any]]) -> str:
    def sub(m: re.Match[str]) -> str:
        p = params.get(m.group(1))
        return format_param(p.get("type", ""), p.get("value")) if p else m.group(0)

    return _PARAM_RE.sub(sub, text)


@dataclass
class UseCase:
    """A template applied to one application; what the SOC reads and the rules are built from.

    ``generated`` holds what the last generation produced; ``edits`` what a person
    changed (which wins over generation); ``conflicts`` fields where both changed.
    """

    application: str
    template_id: str
    status: str = "proposed"
    generated: dict[str, Any] = field(default_factory=dict)
    edits: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, Any] = field(default_factory=dict)
    applies: bool = True
    revision: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    #: Fields a person may edit (parameters are edited one by one as "parameters.NAME").
    EDITABLE = (
        "title", "objective", "priority", "strategy_abstract", "technical_context",
        "false_positives", "blind_spots", "response", "validation", "attack", "notes", "owner",
    )  # fmt: skip

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.edits:
            return self.edits[name]
        return self.generated.get(name, default)

    @property
    def id(self) -> str:
        return self.template_id

    @property
    def title(self) -> str:
        return fill_params(self.get("title", self.template_id), self.parameters)

    @property
    def priority(self) -> str:
        return self.get("priority", "medium")

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Effective parameters: generated ones overlaid by edits (``parameters.NAME``)."""
        params = {k: dict(v) for k, v in (self.generated.get("parameters") or {}).items()}
        for key, value in self.edits.items():
            if key.startswith("parameters."):
                name = key.split(".", 1)[1]
                params.setdefault(name, {}).update(value)
        return params

    @property
    def attack(self) -> list[dict[str, str]]:
        return list(self.get("attack") or [])

    def effective(self) -> dict[str, Any]:
        """Generated fields overlaid by edits, with ``{params.NAME}`` filled from the
        effective parameters (so an edited threshold shows in every text)."""
        out = dict(self.generated)
        for k, v in self.edits.items():
            if not k.startswith("parameters."):
                out[k] = v
        params = self.parameters
        out["parameters"] = params
        for key in TEXT_FIELDS:
            if isinstance(out.get(key), str):
                out[key] = fill_params(out[key], params)
            elif isinstance(out.get(key), list):
                out[key] = [fill_params(x, params) if isinstance(x, str) else x for x in out[key]]
        return out

    def to_dict(self) -> dict[str, Any]:
        eff = self.effective()
        return {
            "id": self.template_id,
            "application": self.application,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "attack": [a["technique"] for a in self.attack],
            "parameters": {k: v.get("value") for k, v in self.parameters.items()},
            "parameter_sources": {k: v.get("source") for k, v in self.parameters.items()},
            "applies": self.applies,
            "missing_answers": eff.get("missing_answers", []),
            "edited_fields": sorted(self.edits),
            "conflicts": sorted(self.conflicts),
            "revision": self.revision,
        }
