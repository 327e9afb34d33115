"""The ATT&CK objects the toolkit works with, as small typed records.

We keep only what a detection engineer uses in a workshop (IDs, names, tactics,
platforms, descriptions, detection strategies, analytics and their tunable parts,
mitigations, who uses a technique) instead of whole STIX objects: that is what
makes the compact index small enough to load from cache in a few milliseconds.

Relations are held as ATT&CK IDs (``T1110``, ``DET0123``, ``M1032``) so records
can be printed or serialised without the index; :class:`~workshop.attack.index.AttackIndex`
resolves them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

#: ATT&CK domains a bundle can hold (also the Navigator's valid ``domain`` values).
DOMAINS = ("enterprise-attack", "mobile-attack", "ics-attack")


@dataclass(slots=True)
class AttackMeta:
    """Which ATT&CK data an index was built from; written into every output."""

    version: str = "unknown"
    domain: str = "unknown"
    source: str = "bundle"  # "bundle" or "builtin"
    name: str = ""
    file: str | None = None
    sha256: str | None = None
    spec_version: str = "unknown"
    #: Objects of types we do not index (custom ``x-...`` types, software) or without an ATT&CK ID.
    skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class AttackObject:
    """What every ATT&CK object shares: its STIX id, ATT&CK ID, name, text, link and state.

    Subclasses add their own fields after these, so rows from the cache (plain lists in
    this order) construct any of them positionally.
    """

    stix_id: str
    id: str
    name: str
    description: str
    url: str
    revoked: bool
    deprecated: bool

    kind = "object"

    def to_dict(self) -> dict[str, Any]:
        return _public(self)


@dataclass(slots=True)
class Tactic(AttackObject):
    shortname: str

    kind = "tactic"


@dataclass(slots=True)
class Technique(AttackObject):
    """A technique or sub-technique (``is_subtechnique``; ``parent`` is the parent's ID)."""

    tactics: list[str]
    platforms: list[str]
    is_subtechnique: bool
    parent: str | None = None
    aliases: list[str] = field(default_factory=list)
    revoked_by: str | None = None
    detection_strategies: list[str] = field(default_factory=list)
    mitigations: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    subtechniques: list[str] = field(default_factory=list)
    #: Our own note on what an application's logs would show (built-in catalogue only).
    app_logs: str | None = None

    kind = "technique"


@dataclass(slots=True)
class DetectionStrategy(AttackObject):
    analytics: list[str] = field(default_factory=list)
    techniques: list[str] = field(default_factory=list)

    kind = "detection-strategy"


@dataclass(slots=True)
class LogSourceRef:
    """One log source an analytic reads: a data component, a log name and a channel."""

    data_component: str  # DC ID, "" when the reference does not resolve
    data_component_name: str
    name: str
    channel: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class MutableElement:
    """A tunable part of an analytic (a threshold, a time window, an allowlist)."""

    field: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Analytic(AttackObject):
    platforms: list[str] = field(default_factory=list)
    log_sources: list[LogSourceRef] = field(default_factory=list)
    mutable_elements: list[MutableElement] = field(default_factory=list)

    kind = "analytic"

    @property
    def platform(self) -> str:
        """ATT&CK gives each analytic exactly one platform."""
        return self.platforms[0] if self.platforms else ""

    def to_dict(self) -> dict[str, Any]:
        data = _public(self)
        data["platform"] = self.platform
        return data


@dataclass(slots=True)
class LogSource:
    name: str
    channel: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class DataComponent(AttackObject):
    log_sources: list[LogSource] = field(default_factory=list)

    kind = "data-component"


@dataclass(slots=True)
class Mitigation(AttackObject):
    kind = "mitigation"


@dataclass(slots=True)
class Group(AttackObject):
    aliases: list[str] = field(default_factory=list)

    kind = "group"


@dataclass(slots=True)
class Campaign(Group):
    kind = "campaign"


@dataclass(slots=True)
class SearchHit:
    """One search result; ``matched`` says why it matched (id, name, alias, words)."""

    id: str
    name: str
    kind: str
    score: float
    tactics: list[str] = field(default_factory=list)
    is_subtechnique: bool = False
    matched: list[str] = field(default_factory=list)
    revoked: bool = False
    deprecated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Record = Tactic | Technique | DetectionStrategy | Analytic | DataComponent | Mitigation | Group


def _public(obj: Any) -> dict[str, Any]:
    data = asdict(obj)
    data["type"] = obj.kind
    return data


_CITATION = re.compile(r"\s*\(Citation:[^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://[^)]*)\)")
_HTML_CODE = re.compile(r"</?code>")


def plain_text(text: str) -> str:
    """ATT&CK prose without citation markers, Markdown links or ``<code>`` tags.

    The raw descriptions are written for attack.mitre.org; in a terminal or a
    use-case document the ``(Citation: ...)`` markers are noise.
    """
    text = _CITATION.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    return _HTML_CODE.sub("`", text).strip()
