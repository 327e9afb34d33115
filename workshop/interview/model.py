"""Domain records kept in a workspace: applications, interviews, answers and their history.

These are plain dataclasses, detached from the database, so that the UI can cache
and compare them and the command line can print them as JSON (``to_dict``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from workshop.core.errors import InputError
from workshop.core.text import bad_character

if TYPE_CHECKING:
    from workshop.core.conditions import Context

CRITICALITIES = ("low", "medium", "high", "critical")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
#: ATT&CK platform names offered for an application profile.
PLATFORMS = (
    "SaaS",
    "IaaS",
    "PaaS",
    "Identity Provider",
    "Office Suite",
    "Linux",
    "Windows",
    "macOS",
    "Containers",
    "Network Devices",
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def slugify(name: str) -> str:
    """A URL- and file-safe slug from a display name (``Payroll Portal`` -> ``payroll-portal``)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:64].strip("-") or "app"


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise InputError(
            f"invalid application slug {slug!r}: use 1-64 lower-case letters, digits and '-' "
            "(no '/', '..', spaces or control characters)"
        )
    return slug


def clean_line(value: Any, what: str, limit: int = 200, required: bool = False, name: bool = False) -> str:
    """A one-line field a person typed: no control, invisible or direction-changing characters,
    bounded length; a ``name`` is also NFKC-normalised (so look-alike forms are stored alike)."""
    text = "" if value is None else str(value).strip()
    if name:
        text = unicodedata.normalize("NFKC", text)
    if required and not text:
        raise InputError(f"{what} is required")
    bad = bad_character(text, name=name)
    if bad:
        raise InputError(f"{what} contains control characters ({bad})")
    if len(text) > limit:
        raise InputError(f"{what} is longer than {limit} characters")
    return text


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_dt(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Application:
    slug: str
    name: str
    owner: str = ""
    criticality: str = "medium"
    description: str = ""
    platforms: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def validated(self) -> Application:
        """Return a copy with every field checked, or raise InputError naming the field."""
        check_slug(self.slug)
        if self.criticality not in CRITICALITIES:
            raise InputError(
                f"criticality must be one of {', '.join(CRITICALITIES)}, not {self.criticality!r}"
            )
        description = "" if self.description is None else str(self.description)
        if len(description) > 10_000:
            raise InputError("description is longer than 10,000 characters")
        bad = bad_character(description, multiline=True)
        if bad:
            raise InputError(f"description contains control characters ({bad})")
        platforms = tuple(clean_line(p, "platform", 64) for p in self.platforms if str(p).strip())
        return Application(
            slug=self.slug,
            name=clean_line(self.name, "name", required=True, name=True),
            owner=clean_line(self.owner, "owner"),
            criticality=self.criticality,
            description=description,
            platforms=platforms,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["platforms"] = list(self.platforms)
        d["created_at"] = _iso(self.created_at)
        d["updated_at"] = _iso(self.updated_at)
        return d

    def profile_dict(self) -> dict[str, Any]:
        """The parts of the profile a person owns (what export/import carries)."""
        return {
            "slug": self.slug,
            "name": self.name,
            "owner": self.owner,
            "criticality": self.criticality,
            "description": self.description,
            "platforms": list(self.platforms),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Application:
        platforms = data.get("platforms") or ()
        if isinstance(platforms, str):
            platforms = [p.strip() for p in platforms.split(",")]
        elif not isinstance(platforms, (list, tuple)):
            raise InputError("platforms must be a list of platform names")
        return cls(
            slug=str(data.get("slug") or slugify(str(data.get("name") or ""))),
            name=str(data.get("name") or ""),
            owner=str(data.get("owner") or ""),
            criticality=str(data.get("criticality") or "medium"),
            description=str(data.get("description") or ""),
            platforms=tuple(str(p) for p in platforms),
            created_at=_parse_dt(data.get("created_at")),
            updated_at=_parse_dt(data.get("updated_at")),
        )


@dataclass(frozen=True)
class Interview:
    id: int
    application: str
    questionnaire_id: str
    questionnaire_version: str
    held_on: str = ""
    facilitator: str = ""
    participants: tuple[str, ...] = ()
    status: str = "open"
    current_section: str = ""
    previous_id: int | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["participants"] = list(self.participants)
        d["created_at"] = _iso(self.created_at)
        d["updated_at"] = _iso(self.updated_at)
        return d


@dataclass(frozen=True)
class Answer:
    question_id: str
    value: Any = None
    unknown: bool = False
    follow_up: bool = False
    follow_up_owner: str = ""
    follow_up_note: str = ""
    revision: int = 0
    updated_at: dt.datetime | None = None
    updated_by: str = ""

    @property
    def answered(self) -> bool:
        from workshop.questionnaire.values import is_empty

        return self.unknown or not is_empty(self.value)

    def state(self) -> dict[str, Any]:
        """What a person decided (value and flags): compared and kept in history."""
        return {
            "value": self.value,
            "unknown": self.unknown,
            "follow_up": self.follow_up,
            "follow_up_owner": self.follow_up_owner,
            "follow_up_note": self.follow_up_note,
        }

    def to_dict(self) -> dict[str, Any]:
        d = {"question_id": self.question_id, **self.state(), "revision": self.revision}
        d["updated_at"] = _iso(self.updated_at)
        d["updated_by"] = self.updated_by
        return d


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    interview_id: int
    question_id: str
    at: dt.datetime
    who: str
    old: dict[str, Any] | None
    new: dict[str, Any]
    revision: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = _iso(self.at)
        return d


@dataclass
class AnswerSet:
    """The answers of one interview in the shape conditions and generators read."""

    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        return {k: a.value for k, a in self.answers.items() if a.value is not None and not a.unknown}

    @property
    def unknown(self) -> set[str]:
        return {k for k, a in self.answers.items() if a.unknown}

    def context(self) -> Context:
        from workshop.core.conditions import Context

        return Context(self.values, self.unknown)
