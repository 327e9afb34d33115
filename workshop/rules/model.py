"""Sigma rule sets as data: the documents of one use case, what they count, and their YAML.

A :class:`RuleSet` holds the Sigma documents that implement one use case (a
detection rule per event selection, and a correlation rule where the logic counts,
sums or orders events), plus what Sigma cannot say and the conversions and local
tests must carry themselves: time windows, first-seen logic, placeholders for lists
kept in the SIEM, and plain notes. Rules are dictionaries serialised with a safe
dumper, never string templates, so any answer text comes out as valid YAML that
means the same.

Identifiers are UUID version 5 of the application slug, the template id and the
rule part, so regenerating the rules keeps their ids (and SIEM content keyed on
them) stable.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from workshop import __version__
from workshop.interview.facts import Facts
from workshop.interview.model import Application
from workshop.usecases.events import LogVocabulary
from workshop.usecases.readiness import Readiness
from workshop.vocab import PRIORITIES, KnownPeak, TimeWindow

#: Namespace of every rule id the toolkit generates (uuid5 of slug/template/part).
RULE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://use-case-workshop.invalid/sigma-rule")
#: Sigma levels by use-case priority (the same words).
LEVELS = {str(p): str(p) for p in PRIORITIES}
TOOLKIT = f"Use-Case Workshop {__version__}"

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
            value = CONTROL_CHARS.sub("", line.replace("\t", " ")).strip()
            if value and value not in out:
                out.append(value)
    return out


def identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def logsource_value(text: str) -> str:
    """Log source values are lower case, spaces as '_', only '.', '-' besides (spec)."""
    value = re.sub(r"[^a-z0-9._-]+", "_", str(text).lower()).strip("_")
    return value or "audit"


def one_line(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", CONTROL_CHARS.sub("", str(text))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bounded(text: str, limit: int = 65535) -> str:
    text = CONTROL_CHARS.sub("", str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rule_filename(slug: str, template_id: str, correlation: bool) -> str:
    """A file name following the specification: 10-70 characters, lower case, digits and '_'
    only, ``.yml``; ``correlation_`` for files whose outer rule is a correlation (as SigmaHQ
    names them)."""
    stem = ("correlation_" if correlation else "") + identifier(f"{slug}_{template_id}")
    if len(stem) + 4 > 70:
        digest = uuid.uuid5(RULE_NAMESPACE, stem).hex[:8]
        stem = stem[: 70 - 4 - 9].rstrip("_") + "_" + digest
    if len(stem) + 4 < 10:
        stem = (stem + "_rule_draft")[:10]
    return stem + ".yml"


# --------------------------------------------------------------------------- rule set model


@dataclass(frozen=True)
class Placeholder:
    """A Sigma placeholder (``field|expand: '%id%'``): a list the SIEM keeps (a lookup, a
    watchlist) or one still to be written down. ``values`` are the ones known now."""

    id: str
    field: str
    values: tuple[str, ...] = ()
    description: str = ""
    #: A date column of the lookup: an event counts only after that date (the day after it).
    after: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "field": self.field,
            "values": list(self.values),
            "description": self.description,
        }
        return out | ({"after": self.after} if self.after else {})


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
    after_silence: bool = False  # new_value: the value was seen before, longer ago than the look-back
    within: tuple[TimeWindow, ...] = ()  # silence: only a silence inside these windows is an alert
    #: silence per job: (value of the group-by field, e.g. a job's account, its own longest gap)
    expected: tuple[tuple[str, str], ...] = ()
    #: the owners' known peaks: on their days the threshold is raised (never suppressed)
    peaks: tuple[KnownPeak, ...] = ()

    def raised(self) -> list[tuple[KnownPeak, int | float]]:
        """Each peak with the threshold on its days, largest first (the first peak that falls
        on a day decides: where peaks overlap, the busier one). Counts stay whole numbers."""
        whole = self.type != "value_sum"
        return [(p, p.threshold(self.count or 0, whole)) for p in sorted(self.peaks, key=lambda p: -p.factor)]

    def peak_thresholds(self) -> list[dict[str, Any]]:
        """The peaks with their raised thresholds, as the rule files (``x_workshop.known_peaks``)
        and the detection package's runner read them."""
        return [p.to_dict() | {"threshold": t} for p, t in self.raised()]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.peaks:
            out["peaks"] = self.peak_thresholds()
        if self.after_silence:
            out["after_silence"] = True
        if self.within:
            out["within"] = [{"label": w.label} | w.to_dict() for w in self.within]
        if self.expected:
            out["expected"] = {value: gap for value, gap in self.expected}
        for key in ("timespan", "op", "count", "field", "lookback", "first_step_count"):
            value = getattr(self, key)
            if value not in ("", None):
                out[key] = value
        if self.group_by:
            out["group_by"] = list(self.group_by)
        if self.steps:
            out["steps"] = list(self.steps)
        return out

    @property
    def per(self) -> str:
        """`` per GROUP, ...`` for the text of a grouped aggregation (each logic handler
        words its own aggregation: :meth:`~workshop.rules.logic.LogicHandler.aggregation_text`)."""
        return f" per {', '.join(self.group_by)}" if self.group_by else ""

    @property
    def sign(self) -> str:
        return {"gte": "at least", "lt": "fewer than"}.get(self.op, self.op)


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
    #: Whether the rule can fire on the application's real log (blocked: why); the rule
    #: files and the manifest flag a blocked rule, documents and coverage leave it out.
    readiness: Readiness = field(default_factory=Readiness)
    #: Fields the SIEM adds from a lookup before the rule's test (lookup name -> (the field it
    #: is keyed on, the field it writes)): a record's owner, when the log does not name it.
    enrich: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.readiness.ready

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
            "windows": [{"label": w.label} | w.to_dict() for w in self.windows],
            "placeholders": {k: p.to_dict() for k, p in self.placeholders.items()},
            "notes": list(self.notes),
            "problems": list(self.problems),
            "attack": list(self.attack),
            "readiness": self.readiness.to_dict(),
            "enrich": {k: list(v) for k, v in self.enrich.items()},
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
    if "\n" in data and not CONTROL_CHARS.search(data) and data == data.strip(" ") and "\r" not in data:
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

    @property
    def facts(self) -> Facts:
        return Facts.of(self.values)
