"""Sigma rules (specification 2.1) for an application's use cases, built as data.

Each use case becomes a :class:`RuleSet`: the Sigma documents that implement it (a
detection rule per event selection, and a correlation rule where the logic counts,
sums or orders events), plus what Sigma cannot say and the conversions and local
tests must carry themselves: time windows (business hours, change windows),
first-seen logic, placeholders for lists kept in the SIEM, and plain notes.

Rules are Python dictionaries serialised with ``yaml.safe_dump``, never string
templates, so any answer text (quotes, colons, ``#``, new lines, any script) comes
out as valid YAML that means the same. Values taken from answers are escaped for
Sigma (``*``, ``?`` and ``\\`` are literal characters in an account name, not
wildcards). Nothing in an allowlist or a threshold is ever dropped silently: what
cannot be expressed is written into the rule set's ``notes`` and the rule's
``x_workshop`` attribute (the specification allows arbitrary custom attributes, and
neither JSON schema forbids them).

Identifiers are UUID version 5 of the application slug, the template id and the
rule part, so regenerating the rules keeps their ids (and SIEM content keyed on
them) stable.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import os
import re
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from workshop import __version__
from workshop.core.errors import LoadError, Location
from workshop.core.workspace import PROJECT_ROOT
from workshop.interview.model import AnswerSet, Application
from workshop.questionnaire.values import network_of
from workshop.usecases.events import EVENTS, EventName, LogVocabulary, vocabulary
from workshop.usecases.model import UseCase

#: Namespace of every rule id the toolkit generates (uuid5 of slug/template/part).
RULE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://use-case-workshop.invalid/sigma-rule")
#: Use-case statuses whose rules are built and exported by default.
DEFAULT_STATUSES = ("accepted", "implemented", "tested")
LEVELS = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOOLKIT = f"Use-Case Workshop {__version__}"

#: Template parameters that narrow the rule to a list, by parameter name: the role of
#: the field they apply to and how. The templates name these lists in their logic
#: only in prose ("the rule selects logins by these accounts only"); a template can
#: also say it explicitly with ``logic.match: {user: "{params.NAME}"}``.
#:
#: * ``select``: the events must have one of the listed values (a placeholder when empty);
#: * ``lookup``: the parameter's value names a SIEM lookup that holds the values;
#: * ``placeholder``: the owners' words are not log values yet, so the rule uses a
#:   placeholder the pipeline fills in (and the notes quote the owners);
#: * ``exclude`` / ``exclude_cidr``: the listed sources are allowed (a filter).
PARAMETER_LISTS: dict[str, tuple[str, str]] = {
    "breakglass_accounts": ("user", "select"),
    "service_accounts": ("user", "select"),
    "leavers_lookup": ("user", "lookup"),
    "sensitive_objects": ("object", "placeholder"),
    "expected_sources": ("host_or_source", "exclude"),
    "expected_networks": ("source_ip", "exclude_cidr"),
}
_PARAM_REF = re.compile(r"^\{params\.([a-z][a-z0-9_]*)\}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DURATION = re.compile(r"^(\d+)([smhd])$")


# --------------------------------------------------------------------------- small values


def rule_uuid(slug: str, template_id: str, part: str) -> str:
    """Stable rule id: the same application, use case and part always get the same id."""
    return str(uuid.uuid5(RULE_NAMESPACE, f"{slug}/{template_id}/{part}"))


def sigma_literal(text: str) -> str:
    """Answer text as a Sigma string that matches exactly that text (no wildcards)."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def sigma_unescape(text: str) -> str:
    """The inverse of :func:`sigma_literal` (for synthetic events and tests)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "\\*?":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def clean_value(text: str) -> str:
    """One value from an answer (an action name, an outcome): line breaks and control
    characters become spaces, ends trimmed. A log value never holds a line break."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text)).strip()


def clean_values(raw: Any) -> list[str]:
    """List entries from answers: one value per line, control characters removed, no
    blanks or duplicates. A cell holding two names on two lines is two names."""
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    out: list[str] = []
    for item in items:
        if item is None or isinstance(item, (dict, list)):
            continue
        for line in re.split(r"[\r\n\u2028\u2029]+", str(item)):
            value = _CONTROL.sub("", line.replace("\t", " ")).strip()
            if value and value not in out:
                out.append(value)
    return out


def duration_seconds(value: str) -> int:
    m = _DURATION.match(str(value or ""))
    if not m:
        raise ValueError(f"not a duration like 10m, 4h or 90d: {value!r}")
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _logsource_value(text: str) -> str:
    """Log source values are lower case, spaces as '_', only '.', '-' besides (spec)."""
    value = re.sub(r"[^a-z0-9._-]+", "_", str(text).lower()).strip("_")
    return value or "audit"


def _one_line(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", _CONTROL.sub("", str(text))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _bounded(text: str, limit: int = 65535) -> str:
    text = _CONTROL.sub("", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_filename(slug: str, template_id: str, correlation: bool) -> str:
    """A file name following the specification: 10-70 characters, lower case, digits and '_'
    only, ``.yml``; ``mr_`` for files whose outer rule is a correlation (meta rule)."""
    stem = ("mr_" if correlation else "") + _identifier(f"{slug}_{template_id}")
    if len(stem) + 4 > 70:
        digest = uuid.uuid5(RULE_NAMESPACE, stem).hex[:8]
        stem = stem[: 70 - 4 - 9].rstrip("_") + "_" + digest
    if len(stem) + 4 < 10:
        stem = (stem + "_rule_draft")[:10]
    return stem + ".yml"


# --------------------------------------------------------------------------- time windows


@dataclass(frozen=True)
class TimeWindow:
    """A weekly window (days, start, end, zone). Events inside it are not alerts: the
    business hours of an outside-hours rule, or a change window in which admin work is
    expected. Sigma's detection cannot express it (its time modifiers know neither the
    weekday nor a time zone), so the conversions and local tests apply it."""

    label: str
    days: tuple[str, ...]
    start: str
    end: str
    timezone: str = "UTC"

    @classmethod
    def from_value(cls, label: str, value: Any) -> TimeWindow | None:
        if not isinstance(value, Mapping):
            return None
        days = tuple(d for d in (str(x).lower()[:3] for x in value.get("days") or []) if d in WEEKDAYS)
        start, end = str(value.get("start") or "00:00"), str(value.get("end") or "24:00")
        if not days or not re.match(r"^\d\d:\d\d$", start) or not re.match(r"^\d\d:\d\d$", end):
            return None
        try:
            ZoneInfo(str(value.get("timezone") or "UTC"))
        except Exception:
            return None
        return cls(label, days, start, end, str(value.get("timezone") or "UTC"))

    @staticmethod
    def _minutes(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 60 + int(m)

    @property
    def start_minute(self) -> int:
        return self._minutes(self.start)

    @property
    def end_minute(self) -> int:
        return self._minutes(self.end)

    @property
    def overnight(self) -> bool:
        return self.end_minute <= self.start_minute

    def contains(self, when: dt.datetime) -> bool:
        """Whether an (aware) instant falls inside the window, in the window's zone."""
        local = when.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        day = WEEKDAYS[local.weekday()]
        prev = WEEKDAYS[(local.weekday() - 1) % 7]
        if not self.overnight:
            return day in self.days and self.start_minute <= minute < self.end_minute
        return (day in self.days and minute >= self.start_minute) or (
            prev in self.days and minute < self.end_minute
        )

    def text(self) -> str:
        return f"{', '.join(d.capitalize() for d in self.days)} {self.start}-{self.end} ({self.timezone})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "days": list(self.days),
            "start": self.start,
            "end": self.end,
            "timezone": self.timezone,
        }


# --------------------------------------------------------------------------- rule set model


@dataclass(frozen=True)
class Placeholder:
    """A Sigma placeholder (``field|expand: '%id%'``): a list the SIEM keeps (a lookup, a
    watchlist) or one still to be written down. ``values`` are the ones known now."""

    id: str
    field: str
    values: tuple[str, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "field": self.field,
            "values": list(self.values),
            "description": self.description,
        }


@dataclass(frozen=True)
class Aggregation:
    """What the alerting rule counts, in plain terms. The Sigma correlation says the same;
    conversions read this to write the aggregation natively where a backend cannot."""

    type: str  # single | event_count | value_count | value_sum | temporal_ordered | new_value | silence
    group_by: tuple[str, ...] = ()  # the application's field names
    timespan: str = ""
    op: str = ""  # gte | lt
    count: int | float | None = None
    field: str = ""  # counted (value_count), summed (value_sum) or watched (new_value)
    steps: tuple[str, ...] = ()  # ids of the selection rules, in order (temporal_ordered)
    first_step_count: int | None = None  # at least this many of the first step (chained event_count)
    lookback: str = ""  # new_value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key in ("timespan", "op", "count", "field", "lookback", "first_step_count"):
            value = getattr(self, key)
            if value not in ("", None):
                out[key] = value
        if self.group_by:
            out["group_by"] = list(self.group_by)
        if self.steps:
            out["steps"] = list(self.steps)
        return out

    def text(self) -> str:
        per = f" per {', '.join(self.group_by)}" if self.group_by else ""
        sign = {"gte": "at least", "lt": "fewer than"}.get(self.op, self.op)
        if self.type == "event_count":
            return f"{sign} {self.count} events{per} within {self.timespan}"
        if self.type == "value_count":
            return f"{sign} {self.count} distinct {self.field} values{per} within {self.timespan}"
        if self.type == "value_sum":
            return f"a total {self.field} of {sign} {self.count}{per} within {self.timespan}"
        if self.type == "silence":
            return f"fewer than {self.count} events{per} within {self.timespan}"
        if self.type == "temporal_ordered":
            first = f" (at least {self.first_step_count} of the first)" if self.first_step_count else ""
            return f"the {len(self.steps)} steps in order{first}{per} within {self.timespan}"
        if self.type == "new_value":
            return f"a {self.field} value not seen{per} in the previous {self.lookback}"
        return "every matching event"


@dataclass
class SigmaDoc:
    """One Sigma document (a detection or a correlation rule) as data."""

    id: str
    title: str
    kind: str  # "detection" | "correlation"
    role: str  # "alert": the rule that alerts; "selection": a base rule a correlation uses; "step"
    data: dict[str, Any]
    event: str = ""  # the abstract event a selection rule matches

    @property
    def name(self) -> str:
        return str(self.data.get("name") or "")

    def yaml(self) -> str:
        return dump_yaml(self.data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "role": self.role,
            "name": self.name,
            "event": self.event,
            "rule": self.data,
        }


@dataclass
class RuleSet:
    """The Sigma rules of one use case, and what they cannot say themselves."""

    application: str
    use_case: str
    title: str
    status: str
    priority: str
    logic: str
    docs: list[SigmaDoc]
    aggregation: Aggregation
    fields: dict[str, str] = field(default_factory=dict)  # role -> the application's field name
    windows: list[TimeWindow] = field(default_factory=list)
    placeholders: dict[str, Placeholder] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    attack: list[str] = field(default_factory=list)
    filename: str = ""

    @property
    def alert(self) -> SigmaDoc:
        """The rule that raises the alert (the outermost correlation, else the only rule)."""
        return self.docs[0]

    @property
    def rule_id(self) -> str:
        return self.alert.id

    @property
    def selections(self) -> list[SigmaDoc]:
        return [d for d in self.docs if d.kind == "detection"]

    def doc(self, rule_id: str) -> SigmaDoc:
        for d in self.docs:
            if d.id == rule_id or (d.name and d.name == rule_id):
                return d
        raise KeyError(rule_id)

    def yaml(self) -> str:
        """The rule file: the outer rule first, then the rules it uses (multi-document)."""
        return dump_yaml_all([d.data for d in self.docs])

    def to_dict(self, with_yaml: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "application": self.application,
            "use_case": self.use_case,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "logic": self.logic,
            "rule_id": self.rule_id,
            "filename": self.filename,
            "aggregation": self.aggregation.to_dict(),
            "fields": dict(self.fields),
            "windows": [w.to_dict() for w in self.windows],
            "placeholders": {k: p.to_dict() for k, p in self.placeholders.items()},
            "notes": list(self.notes),
            "problems": list(self.problems),
            "attack": list(self.attack),
            "rules": [d.to_dict() for d in self.docs],
        }
        if with_yaml:
            out["yaml"] = self.yaml()
        return out


# --------------------------------------------------------------------------- YAML


class _Dumper(yaml.SafeDumper):
    """Safe dumper; multi-line text as literal blocks so descriptions stay readable."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    from workshop.core.yamlsource import fragile

    if fragile(data):  # NEL, line separators, CR, BOM: only double quotes keep them
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    if "\n" in data and not _CONTROL.search(data) and data == data.strip(" ") and "\r" not in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    """One document, spec style (4-space indentation, Unicode as is, key order kept)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=4,
        width=4096,
    )


def dump_yaml_all(docs: list[Any]) -> str:
    return yaml.dump_all(
        docs,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        indent=4,
        width=4096,
        explicit_start=False,
    )


# --------------------------------------------------------------------------- context


@dataclass
class RuleContext:
    """What rules read about an application besides its use cases: the profile, the
    current answers (allowlists, where the log is kept) and the ATT&CK tactics."""

    app: Application
    values: dict[str, Any] = field(default_factory=dict)
    tactics: Callable[[str], list[str] | None] = field(default=lambda _tid: None)
    held_on: str = ""
    vocab: LogVocabulary | None = None  # overrides the use case's own vocabulary (tests)

    @property
    def slug(self) -> str:
        return self.app.slug


def rule_context(store: Any, slug: str, bundle: str | None = None) -> RuleContext:
    """The context for one application from the store (answers of the latest interview)."""
    from workshop.services.exports import _bundle_setting, attack_index

    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    index = attack_index(bundle or _bundle_setting(store))

    def tactics(tid: str) -> list[str] | None:
        t = index.technique(tid)
        return list(t.tactics) if t is not None else None

    return RuleContext(app, values, tactics, interview.held_on if interview else "")


def vocabulary_of(uc: UseCase, ctx: RuleContext) -> LogVocabulary:
    """The use case's vocabulary as generated (what its document shows), else the answers'."""
    if ctx.vocab is not None:
        return ctx.vocab
    raw = uc.get("vocabulary")
    if not isinstance(raw, Mapping):
        return vocabulary(ctx.values)
    vocab = LogVocabulary(
        fields={str(k): str(v) for k, v in (raw.get("fields") or {}).items() if v},
        assumed_fields=set(raw.get("assumed_fields") or []),
        events={
            str(k): EventName(str(v.get("action") or ""), str(v.get("outcome") or ""), bool(v.get("assumed")))
            for k, v in (raw.get("events") or {}).items()
            if isinstance(v, Mapping)
        },
        logged=set(raw.get("logged") or []),
    )
    return vocab


# --------------------------------------------------------------------------- the builder


class _Builder:
    def __init__(self, uc: UseCase, ctx: RuleContext) -> None:
        self.uc = uc
        self.ctx = ctx
        self.eff = uc.effective()
        self.params = uc.parameters
        self.vocab = vocabulary_of(uc, ctx)
        self.logic: dict[str, Any] = dict(self.eff.get("logic") or {"type": "single"})
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.placeholders: dict[str, Placeholder] = {}
        self.windows: list[TimeWindow] = []
        self.fields: dict[str, str] = {}
        self.x_notes: list[str] = []

    # -- fields and values -------------------------------------------------------
    def field(self, role: str) -> str:
        name = self.vocab.field_for(role)
        if "|" in name or _CONTROL.search(name) or "\n" in name or not name.strip():
            self.problems.append(
                f"the log field for {role} is named {name!r}: Sigma reads '|' as a modifier and a field "
                "name cannot hold line breaks; rename it in the interview (logging.fields)"
            )
            name = re.sub(r"[|\s]+", "_", name).strip("_") or role
        self.fields.setdefault(role, name)
        return name

    def host_field(self) -> tuple[str, bool]:
        """The field batch hosts are matched on: the host field if the log has one, else the source."""
        if "host" in self.vocab.fields:
            return self.field("host"), True
        return self.field("source_ip"), False

    def param_value(self, name: str) -> Any:
        p = self.params.get(name)
        return None if p is None else p.get("value")

    def number_param(self, name: str, what: str) -> int | float | None:
        value = self.param_value(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.append(f"the {what} (parameter {name}) is not a number: {value!r}")
            return None
        return int(value) if float(value).is_integer() else value

    def duration_param(self, name: str, what: str) -> str:
        value = str(self.param_value(name) or "")
        if not _DURATION.match(value):
            self.problems.append(f"the {what} (parameter {name}) is not a duration like 10m or 1h: {value!r}")
            return "1h"
        return value

    # -- selections ---------------------------------------------------------------
    def placeholder(self, pid: str, field: str, values: Iterable[str], description: str) -> str:
        pid = re.sub(r"[^A-Za-z0-9_-]+", "_", pid).strip("_") or "list"
        self.placeholders[pid] = Placeholder(pid, field, tuple(values), description)
        return f"%{pid}%"

    def selection(self, event_id: str) -> dict[str, Any]:
        name = self.vocab.event(event_id)
        sel: dict[str, Any] = {}
        action_field = self.field("action")
        action = clean_value(name.action)
        if action in ("", "*"):
            sel[f"{action_field}|exists"] = True
        else:
            sel[action_field] = sigma_literal(action)
        if name.outcome:
            sel[self.field("outcome")] = sigma_literal(clean_value(name.outcome))
        if name.assumed and action not in ("", "*"):
            self.x_notes.append(
                f"The action value for '{EVENTS[event_id].label if event_id in EVENTS else event_id}' "
                f"({action}) is assumed from the OWASP vocabulary; confirm it with the application team."
            )
        return sel

    def narrowing(self) -> dict[str, dict[str, Any]]:
        """Extra selections that narrow every event of the rule: logic.match, and the
        parameter lists of :data:`PARAMETER_LISTS` that select."""
        blocks: dict[str, dict[str, Any]] = {}
        for role, raw in (self.logic.get("match") or {}).items():
            field = self.field(str(role))
            m = _PARAM_REF.match(str(raw))
            if m:
                values = clean_values(self.param_value(m.group(1)))
                value: Any = (
                    [sigma_literal(v) for v in values]
                    if values
                    else self.placeholder(m.group(1), field, (), f"values of parameter {m.group(1)}")
                )
                key = f"{field}|expand" if not values else field
            else:
                value, key = sigma_literal(clean_value(str(raw))), field
            blocks.setdefault("selection_match", {})[key] = value
        matched_roles = {str(r) for r in (self.logic.get("match") or {})}
        # logic.only (role -> list parameter) selects; the table adds what older templates say in prose
        lists = dict(PARAMETER_LISTS)
        for role, pname in (self.logic.get("only") or {}).items():
            lists.setdefault(str(pname), (str(role), "select"))
        for pname, (role, mode) in lists.items():
            if pname not in self.params or role in matched_roles:
                continue
            if mode == "select":
                field = self.field(role)
                values = clean_values(self.param_value(pname))
                if values:
                    blocks[f"selection_{_identifier(pname)}"] = {field: [sigma_literal(v) for v in values]}
                else:
                    pid = self.placeholder(
                        pname, field, (), f"{pname.replace('_', ' ')} (none listed in the use case)"
                    )
                    blocks[f"selection_{_identifier(pname)}"] = {f"{field}|expand": pid}
                    self.notes.append(
                        f"No {pname.replace('_', ' ')} are listed (parameter {pname}); the rule selects "
                        f"{field} from the placeholder {pid}, which each SIEM pipeline must fill in."
                    )
            elif mode == "lookup":
                field = self.field(role)
                lookup = str(self.param_value(pname) or pname)
                pid = self.placeholder(lookup, field, (), f"SIEM lookup named by parameter {pname}")
                blocks[f"selection_{_identifier(pname)}"] = {f"{field}|expand": pid}
                self.notes.append(
                    f"The rule selects {field} values held in the SIEM lookup '{lookup}' (Sigma placeholder "
                    f"{pid}); the Splunk and Sentinel pipelines turn it into a lookup or watchlist query. "
                    f"What the lookup itself must hold is in the parameter's description: "
                    f"{(self.params.get(pname) or {}).get('description', '')}"
                )
            elif mode == "placeholder":
                field = self.field(role)
                said = clean_values(self.param_value(pname))
                pid = self.placeholder(pname, field, (), f"{pname.replace('_', ' ')}: to be confirmed")
                blocks[f"selection_{_identifier(pname)}"] = {f"{field}|expand": pid}
                quoted = "; ".join(said) if said else "nothing yet"
                self.notes.append(
                    f"The rule keeps only {field} values in the placeholder {pid}: the owners described them "
                    f"as: {quoted}. Write the real values (report names, object ids) into the pipeline "
                    "(value_placeholders) or a SIEM lookup of that name."
                )
        return blocks

    # -- filters ------------------------------------------------------------------
    def filters(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        v = self.ctx.values
        for allow in self.logic.get("exclude") or []:
            if allow == "service_accounts":
                names = clean_values(
                    [r.get("name") for r in v.get("service.accounts") or [] if isinstance(r, Mapping)]
                )
                self._filter(out, "filter_service_accounts", self.field("user"), names, "service accounts",
                             "service.accounts")  # fmt: skip
            elif allow == "breakglass_accounts":
                names = clean_values(v.get("auth.breakglass_accounts"))
                self._filter(out, "filter_breakglass_accounts", self.field("user"), names, "break-glass accounts",
                             "auth.breakglass_accounts")  # fmt: skip
            elif allow == "batch_hosts":
                hosts = clean_values(
                    list(v.get("service.batch_hosts") or [])
                    + [r.get("host") for r in v.get("service.batch_jobs") or [] if isinstance(r, Mapping)]
                )
                field, is_host = self.host_field()
                self._filter(out, "filter_batch_hosts", field, hosts, "batch hosts",
                             "service.batch_hosts, service.batch_jobs")  # fmt: skip
                if hosts and not is_host:
                    self.notes.append(
                        f"The log has no host field, so the batch hosts ({', '.join(hosts)}) are compared with "
                        f"the source field {field}; if that field holds addresses, list the hosts' addresses."
                    )
            elif allow == "trusted_networks":
                self._cidr_filter(out, "filter_trusted_networks", v.get("access.networks"), "access.networks")
            elif allow == "change_windows":
                window = TimeWindow.from_value("change window", v.get("change.windows"))
                if window is None:
                    self.notes.append(
                        "Change windows are excluded by design, but the interview names none "
                        "(change.windows): nothing is suppressed."
                    )
                else:
                    self.windows.append(window)
        for pname, (_role, mode) in PARAMETER_LISTS.items():
            if pname not in self.params or mode not in ("exclude", "exclude_cidr"):
                continue
            if mode == "exclude_cidr":
                self._cidr_filter(
                    out, f"filter_{_identifier(pname)}", self.param_value(pname), f"parameter {pname}"
                )
            else:
                field, _ = self.host_field()
                self._filter(out, f"filter_{_identifier(pname)}", field, clean_values(self.param_value(pname)),
                             pname.replace("_", " "), f"parameter {pname}")  # fmt: skip
        return out

    def _filter(self, out: dict, name: str, field: str, values: list[str], what: str, source: str) -> None:
        if not values:
            self.notes.append(
                f"The {what} are excluded by design, but none are named ({source}): nothing is excluded."
            )
            return
        literal = [sigma_literal(x) for x in values]
        if any(b == {field: literal} for b in out.values()):
            return
        out[name] = {field: literal}

    def _cidr_filter(self, out: dict, name: str, raw: Any, source: str) -> None:
        field = self.field("source_ip")
        nets, bad = [], []
        for entry in clean_values(raw):
            try:
                nets.append(str(ipaddress.ip_network(network_of(entry), strict=False)))
            except ValueError:
                bad.append(entry)
        if bad:
            self.notes.append(
                f"Not networks, so left out of the network filter ({source}): {', '.join(bad)}. "
                "Write them as CIDR ranges (10.20.0.0/16) to exclude them."
            )
        if not nets:
            if not bad:
                self.notes.append(f"Trusted networks are excluded by design, but none are named ({source}).")
            return
        if any(b == {f"{field}|cidr": nets} for b in out.values()):
            return
        out[name] = {f"{field}|cidr": nets}

    # -- metadata -----------------------------------------------------------------
    def tags(self) -> list[str]:
        tactics: list[str] = []
        techniques: list[str] = []
        for a in self.uc.attack:
            tid = str(a.get("technique") or "").strip().upper()
            if not re.match(r"^T\d{4}(\.\d{3})?$", tid):
                continue
            techniques.append(f"attack.{tid.lower()}")
            for tactic in self.ctx.tactics(tid) or []:
                tactics.append(f"attack.{_logsource_value(tactic).replace('_', '-')}")
        return list(dict.fromkeys(tactics + techniques))

    def definition(self) -> str:
        v = self.ctx.values
        app = self.ctx.app.name
        parts = [f"The audit log of {app}"]
        if v.get("logging.format"):
            parts[0] += f" ({v['logging.format']})"
        if v.get("logging.source_name"):
            parts.append(f"collected from {v['logging.source_name']}")
        if v.get("logging.destination"):
            parts.append(f"kept in: {v['logging.destination']}")
        text = ", ".join(parts) + "."
        if not v.get("logging.source_name") and not v.get("logging.destination"):
            text += " The interview did not establish where the log is kept (logging.destination)."
        roles = ", ".join(f"{role}: {name}" for role, name in self.fields.items())
        text += f" Collect every audit event with these fields ({roles})"
        if v.get("logging.timezone"):
            text += f"; timestamps are written in {v['logging.timezone']}"
        return _bounded(text + ".", 4000)

    def base_meta(self) -> dict[str, Any]:
        created = self.uc.created_at.date().isoformat() if self.uc.created_at else dt.date.today().isoformat()
        modified = self.uc.updated_at.date().isoformat() if self.uc.updated_at else created
        author = f"{TOOLKIT}, from the {self.ctx.app.name} workshop"
        if self.ctx.held_on:
            author += f" of {self.ctx.held_on}"
        meta: dict[str, Any] = {"status": "experimental"}
        meta["description"] = ""
        refs = [str(r) for r in self.eff.get("references") or [] if str(r).strip()]
        if refs:
            meta["references"] = list(dict.fromkeys(refs))
        meta["author"] = author
        meta["date"] = created
        meta["modified"] = max(created, modified)
        tags = self.tags()
        if tags:
            meta["tags"] = tags
        return meta

    def logsource(self) -> dict[str, Any]:
        return {
            "category": "application",
            "product": _logsource_value(self.ctx.slug),
            "service": _logsource_value(self.eff.get("service") or "audit"),
            "definition": "",  # filled at the end, when every field used is known
        }

    def description(self, extra: Iterable[str] = ()) -> str:
        parts = [str(self.eff.get("objective") or self.uc.title).strip()]
        strategy = str(self.eff.get("strategy_abstract") or "").strip()
        if strategy:
            parts.append("Strategy: " + strategy)
        parts.extend(extra)
        return _bounded("\n\n".join(p for p in parts if p))

    # -- building -----------------------------------------------------------------
    def build(self) -> RuleSet:
        uc, ctx = self.uc, self.ctx
        slug, tid = ctx.slug, uc.template_id
        ltype = str(self.logic.get("type") or "single")
        events = list(self.logic.get("events") or ([self.logic["event"]] if self.logic.get("event") else []))
        if not events:
            self.problems.append("the use case's logic names no event")
            events = ["any_event"]
        group_by = [self.field(str(r)) for r in self.logic.get("group_by") or []]
        narrowing = self.narrowing()
        filters = self.filters()
        title = _one_line(uc.title, 256)
        level = LEVELS.get(uc.priority, "medium")
        fps = list(
            dict.fromkeys(
                _one_line(x, 2000) for x in self.eff.get("false_positives") or [] if len(str(x).strip()) >= 2
            )
        )
        meta = self.base_meta()
        logsource = self.logsource()
        x_workshop: dict[str, Any] = {"use_case": tid, "application": slug, "logic": ltype}

        def detection(event_id: str) -> dict[str, Any]:
            det: dict[str, Any] = {"selection": self.selection(event_id)}
            det.update(narrowing)
            det.update(filters)
            cond = " and ".join(["selection", *narrowing])
            cond += "".join(f" and not {f}" for f in filters)
            det["condition"] = cond
            return det

        extra_desc: list[str] = []
        docs: list[SigmaDoc] = []
        agg: Aggregation
        counted_role = str(self.logic.get("field") or "")
        counted = self.field(counted_role) if counted_role else ""

        if ltype == "outside_window":
            window = TimeWindow.from_value(
                str(self.logic.get("outside") or "window").replace("_", " "),
                self.param_value(str(self.logic.get("outside"))),
            )
            if window is None:
                self.problems.append(
                    f"the time window (parameter {self.logic.get('outside')}) is not days, start, end and a time zone: "
                    f"{self.param_value(str(self.logic.get('outside')))!r}"
                )
            else:
                self.windows.insert(0, window)
        for w in self.windows:
            extra_desc.append(
                f"Events inside the {w.label} ({w.text()}) are not alerts. Sigma's detection cannot express a "
                "weekly window in a time zone: each SIEM conversion applies it where it can (see x_workshop)."
            )
        if self.windows:
            x_workshop["time_windows"] = [w.to_dict() | {"events_inside": "not alerts"} for w in self.windows]

        standalone = ltype in ("single", "outside_window", "new_value")
        if standalone:
            event_id = events[0]
            rid = rule_uuid(slug, tid, "rule")
            if ltype == "new_value":
                lookback = self.duration_param(str(self.logic.get("lookback")), "lookback")
                agg = Aggregation("new_value", tuple(group_by), field=counted, lookback=lookback)
                extra_desc.append(
                    f"First seen: alert only when {counted} has not been seen"
                    + (f" for the same {', '.join(group_by)}" if group_by else "")
                    + f" in the previous {lookback}. Sigma has no first-seen correlation: this rule selects the "
                    "candidate events, and each SIEM conversion adds its own first-seen logic (a stats earliest "
                    "search, a leftanti join, an Elastic new_terms rule)."
                )
                x_workshop["first_seen"] = {"field": counted, "group_by": group_by, "lookback": lookback}
            else:
                agg = Aggregation("single")
            data: dict[str, Any] = {"title": title, "id": rid}
            data.update(meta)
            data["description"] = self.description(extra_desc)
            data["logsource"] = logsource
            data["detection"] = detection(event_id)
            data["fields"] = []
            if fps:
                data["falsepositives"] = fps
            data["level"] = level
            data["x_workshop"] = x_workshop
            docs.append(SigmaDoc(rid, title, "detection", "alert", data, event_id))
        else:
            selections: list[SigmaDoc] = []
            for i, event_id in enumerate(events):
                part = f"event:{event_id}" if events.count(event_id) == 1 else f"event:{i}:{event_id}"
                rid = rule_uuid(slug, tid, part)
                label = EVENTS[event_id].label if event_id in EVENTS else event_id
                name = _identifier(
                    f"{slug}_{tid}_{event_id}" + (f"_{i}" if events.count(event_id) > 1 else "")
                )
                step = f" (step {i + 1})" if events.count(event_id) > 1 else ""
                stitle = _one_line(f"{title}: {label}{step}", 256)
                data = {
                    "title": stitle,
                    "id": rid,
                    "name": name,
                    "description": _bounded(
                        f"The '{label}' events of the use case '{title}'. Used by the correlation rule "
                        f"{rule_uuid(slug, tid, 'correlation')}; not an alert on its own."
                    ),
                    "author": meta["author"],
                    "logsource": dict(logsource),
                    "detection": detection(event_id),
                    "fields": [],
                }
                selections.append(SigmaDoc(rid, stitle, "detection", "selection", data, event_id))
            window = self.duration_param(str(self.logic.get("window")), "time window")
            corr: dict[str, Any] = {}
            steps_docs: list[SigmaDoc] = []
            if ltype in ("threshold", "distinct", "sum", "silence"):
                threshold = self.number_param(str(self.logic.get("threshold")), "threshold")
                op = "lt" if ltype == "silence" else "gte"
                ctype = {"threshold": "event_count", "distinct": "value_count", "sum": "value_sum",
                         "silence": "event_count"}[ltype]  # fmt: skip
                cond: dict[str, Any] = {op: threshold if threshold is not None else 1}
                if ltype in ("distinct", "sum"):
                    cond = {"field": counted, **cond}
                corr = {"type": ctype, "rules": [selections[0].name], "group-by": group_by, "timespan": window,
                        "condition": cond}  # fmt: skip
                agg = Aggregation(
                    "silence" if ltype == "silence" else ctype,
                    tuple(group_by),
                    window,
                    op,
                    threshold,
                    counted if ltype in ("distinct", "sum") else "",
                )
                if ltype == "silence":
                    extra_desc.append(
                        "Absence: a query that counts events in windows it finds can never see a window with no "
                        "events, so each SIEM conversion counts over the last window as a whole instead."
                    )
            elif ltype == "sequence":
                refs = [s.name for s in selections]
                first_count = None
                if self.logic.get("threshold"):
                    first_count = self.number_param(
                        str(self.logic["threshold"]), "minimum count of the first step"
                    )
                    if first_count is not None and first_count > 1:
                        sid = rule_uuid(slug, tid, "correlation:first-step")
                        sname = _identifier(f"{slug}_{tid}_{events[0]}_repeated")
                        label = EVENTS[events[0]].label if events[0] in EVENTS else events[0]
                        stitle = _one_line(f"{title}: at least {first_count} x {label}", 256)
                        sdata = {
                            "title": stitle,
                            "id": sid,
                            "name": sname,
                            "description": _bounded(
                                f"At least {first_count} '{label}' events per {', '.join(group_by) or 'log'} within "
                                f"{window}: the first step of the use case '{title}'; not an alert on its own."
                            ),
                            "author": meta["author"],
                            "correlation": {
                                "type": "event_count",
                                "rules": [selections[0].name],
                                "group-by": group_by,
                                "timespan": window,
                                "condition": {"gte": first_count},
                            },
                        }
                        steps_docs.append(SigmaDoc(sid, stitle, "correlation", "step", sdata, events[0]))
                        refs[0] = sname
                corr = {"type": "temporal_ordered", "rules": refs, "group-by": group_by, "timespan": window}
                agg = Aggregation(
                    "temporal_ordered",
                    tuple(group_by),
                    window,
                    steps=tuple(s.id for s in selections),
                    first_step_count=first_count if first_count and first_count > 1 else None,
                )
            else:
                self.problems.append(f"unknown logic type {ltype!r}")
                corr = {"type": "event_count", "rules": [selections[0].name], "group-by": group_by,
                        "timespan": window, "condition": {"gte": 1}}  # fmt: skip
                agg = Aggregation("event_count", tuple(group_by), window, "gte", 1)
            rid = rule_uuid(slug, tid, "correlation")
            data = {"title": title, "id": rid}
            data.update(meta)
            data["description"] = self.description(extra_desc)
            data["correlation"] = corr
            if fps:
                data["falsepositives"] = fps
            data["level"] = level
            # The referenced rules are not queries of their own (the default; said explicitly,
            # at the top level where the specification and its JSON schema put it).
            data["generate"] = False
            data["x_workshop"] = x_workshop
            docs = [SigmaDoc(rid, title, "correlation", "alert", data, ""), *steps_docs, *selections]

        # Fields shown to the analyst, definition of the log source, notes: now that all fields are known.
        shown = ["timestamp", "user", "source_ip", "action", "outcome", *(self.logic.get("group_by") or [])]
        if counted_role:
            shown.append(counted_role)
        field_names = list(dict.fromkeys(self.field(r) for r in shown))
        definition = self.definition()
        for d in docs:
            if d.kind == "detection":
                d.data["fields"] = field_names
                d.data["logsource"]["definition"] = definition
        notes = list(dict.fromkeys(self.notes + self.x_notes))
        if notes:
            x_workshop["notes"] = notes
        if self.placeholders:
            x_workshop["placeholders"] = {k: p.to_dict() for k, p in self.placeholders.items()}
        return RuleSet(
            application=slug,
            use_case=tid,
            title=title,
            status=uc.status,
            priority=uc.priority,
            logic=ltype,
            docs=docs,
            aggregation=agg,
            fields=dict(self.fields),
            windows=list(self.windows),
            placeholders=dict(self.placeholders),
            notes=notes,
            problems=list(dict.fromkeys(self.problems)),
            attack=[str(a.get("technique")) for a in uc.attack],
            filename=rule_filename(slug, tid, docs[0].kind == "correlation"),
        )


def build_rule_set(uc: UseCase, ctx: RuleContext) -> RuleSet:
    """The Sigma rules of one use case (pure: same use case and context, same rules)."""
    return _Builder(uc, ctx).build()


def build_rule_sets(
    store: Any,
    slug: str,
    statuses: Iterable[str] | None = DEFAULT_STATUSES,
    bundle: str | None = None,
    ctx: RuleContext | None = None,
) -> list[RuleSet]:
    """Rules for the application's use cases in these statuses (None: every status)."""
    ctx = ctx or rule_context(store, slug, bundle)
    return [build_rule_set(uc, ctx) for uc in store.list_use_cases(slug, statuses) if uc.applies]


# --------------------------------------------------------------------------- validation

#: Core validators left out, and why. The SigmaHQ-repository validators (the separate
#: ``pysigma-validators-sigmahq`` package) are not used at all: they enforce that
#: repository's conventions (known log sources, file names, reference formats) and
#: reject custom log sources such as ``category: application, product: <app>`` by design.
EXCLUDED_VALIDATORS = {
    "attacktag": "downloads MITRE's ATT&CK data from GitHub on first use (this toolkit runs offline); "
    "ATT&CK tags are checked against the toolkit's own ATT&CK index instead",
    "d3_fendtag": "downloads MITRE's D3FEND data on first use; the rules carry no D3FEND tags",
    "escaped_wildcard": "values from answers are escaped on purpose, so that a '*' or '?' in an account "
    "name is that character and not a wildcard",
    "number_as_string": "the application's log holds its values as text (an employee number or an event id "
    "written as a string is meant as a string)",
}


def shared_dir() -> Path:
    """Where data from outside the repository lives (``$WORKSHOP_SHARED``, else ``../shared``)."""
    return Path(os.environ.get("WORKSHOP_SHARED") or PROJECT_ROOT.parent / "shared")


@functools.lru_cache(maxsize=4)
def _schemas(folder: str) -> tuple[Any, Any] | None:
    from jsonschema import Draft202012Validator, FormatChecker

    base = Path(folder)
    det, cor = base / "sigma-detection-rule-schema.json", base / "sigma-correlation-rules-schema.json"
    if not det.is_file() or not cor.is_file():
        return None
    checker = FormatChecker()
    return (
        Draft202012Validator(json.loads(det.read_text(encoding="utf-8")), format_checker=checker),
        Draft202012Validator(json.loads(cor.read_text(encoding="utf-8")), format_checker=checker),
    )


def schema_folder() -> Path:
    return shared_dir() / "specs" / "sigma"


@dataclass
class ValidationReport:
    """Problems found in rules: by the official JSON schemas, by pySigma's parser and its
    core validators, and by the toolkit (ATT&CK tags, values it had to leave out)."""

    schema: list[str] = field(default_factory=list)
    pysigma: list[str] = field(default_factory=list)
    toolkit: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(
        default_factory=list
    )  # worth knowing, not wrong (e.g. a technique the data lacks)
    rules_checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.schema or self.pysigma or self.toolkit)

    def problems(self) -> list[str]:
        return self.schema + self.pysigma + self.toolkit

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rules_checked": self.rules_checked,
            "schema": self.schema,
            "pysigma": self.pysigma,
            "toolkit": self.toolkit,
            "skipped": self.skipped,
            "notes": self.notes,
            "excluded_validators": dict(EXCLUDED_VALIDATORS),
        }


def _pysigma_validator():
    from sigma.validation import SigmaValidator
    from sigma.validators.core import validators

    return SigmaValidator([cls for name, cls in validators.items() if name not in EXCLUDED_VALIDATORS])


def validate_documents(
    docs: list[dict[str, Any]], label: str = "rules", schemas: Path | None = None
) -> ValidationReport:
    """Check Sigma documents (as parsed YAML) against the JSON schemas and pySigma."""
    from sigma.collection import SigmaCollection

    report = ValidationReport(rules_checked=len(docs))
    folder = schemas or schema_folder()
    validators = _schemas(str(folder))
    if validators is None:
        msg = f"Sigma JSON schemas not found in {folder} (set WORKSHOP_SHARED); schema validation skipped"
        warnings.warn(msg, stacklevel=2)
        report.skipped.append(msg)
    else:
        det, cor = validators
        for doc in docs:
            v = cor if "correlation" in doc else det
            for err in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
                where = "/".join(map(str, err.path)) or "(rule)"
                report.schema.append(f"{label}: {doc.get('title', '?')}: {where}: {err.message}")
    try:
        collection = SigmaCollection.from_dicts(
            [json.loads(json.dumps(d)) for d in docs], collect_errors=True
        )
    except Exception as exc:  # pySigma raises its own errors for unresolvable references
        report.pysigma.append(f"{label}: pySigma cannot read the rules: {exc}")
        return report
    for err in collection.errors:
        report.pysigma.append(f"{label}: pySigma: {err}")
    validator = _pysigma_validator()
    for issue in validator.validate_rules(iter(collection.rules)):
        titles = ", ".join(str(getattr(r, "title", "?")) for r in issue.rules)
        report.pysigma.append(f"{label}: {titles}: {issue.description} ({issue.severity.name.lower()})")
    return report


def validate_rule_sets(
    rule_sets: list[RuleSet],
    schemas: Path | None = None,
    known_technique: Callable[[str], bool] | None = None,
) -> ValidationReport:
    """Validate every rule of these rule sets, together (so titles and ids must be unique
    across the application), each rule set parsed back from its own YAML text."""
    docs: list[dict[str, Any]] = []
    report = ValidationReport()
    for rs in rule_sets:
        text = rs.yaml()
        try:
            parsed = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as exc:  # pragma: no cover - safe_dump output always parses
            report.toolkit.append(f"{rs.filename}: the YAML does not parse back: {exc}")
            continue
        if parsed != json.loads(json.dumps([d.data for d in rs.docs])):
            report.toolkit.append(f"{rs.filename}: the YAML does not read back as the same rules")
        docs.extend(parsed)
        report.toolkit.extend(f"{rs.filename}: {p}" for p in rs.problems)
        if known_technique is not None:
            for tid in rs.attack:
                if not known_technique(tid):
                    report.notes.append(
                        f"{rs.filename}: ATT&CK technique {tid} is not in the ATT&CK data loaded, so its tactic "
                        "tags are missing (load an ATT&CK bundle: workshop attack ...)"
                    )
    checked = validate_documents(docs, "rules", schemas)
    report.schema, report.pysigma, report.skipped = checked.schema, checked.pysigma, checked.skipped
    report.rules_checked = len(docs)
    return report


def load_rule_files(folder: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Sigma files from a folder (as written by ``rules build --out``), by use-case id
    (``x_workshop.use_case`` of the outer rule), so edited rules can be tested."""
    base = Path(folder)
    if not base.is_dir():
        raise LoadError(f"no such folder: {base}")
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(base.rglob("*.yml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise LoadError(
                f"not valid YAML: {exc}", Location(str(path), mark.line + 1 if mark else None)
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError(f"cannot read: {exc}", Location(str(path))) from None
        if not docs or not all(isinstance(d, dict) for d in docs):
            raise LoadError("a Sigma file must hold one or more rule mappings", Location(str(path)))
        xw = docs[0].get("x_workshop")
        tid = xw.get("use_case") if isinstance(xw, dict) else None
        if not tid:
            raise LoadError(
                "the first rule has no x_workshop.use_case: which use case is it?", Location(str(path))
            )
        out[str(tid)] = docs
    return out


def with_documents(rs: RuleSet, docs: list[dict[str, Any]]) -> RuleSet:
    """The rule set with its Sigma documents replaced (edited rules from files)."""
    new_docs = []
    for i, d in enumerate(docs):
        kind = "correlation" if "correlation" in d else "detection"
        role = "alert" if i == 0 else ("step" if kind == "correlation" else "selection")
        event = next((x.event for x in rs.docs if x.id == str(d.get("id"))), "")
        new_docs.append(SigmaDoc(str(d.get("id") or ""), str(d.get("title") or ""), kind, role, d, event))
    return RuleSet(**{**rs.__dict__, "docs": new_docs})
