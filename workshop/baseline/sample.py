"""A log sample as the baseline sees it: its mapped roles, and what a file looks like before loading.

These are the results of reading, apart from the readers themselves: the profile,
the claims, the store and the rule tests take a :class:`LoadedSample` without
caring how it was read (a pyarrow reader today, a streaming engine later), and the
page and ``baseline inspect`` show a :class:`SampleInspection` before anything is
loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workshop.baseline.mapping import ROLES, MappingProposal

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SampleRead:
    """What reading a sample found, whether its rows were kept (:class:`LoadedSample`) or
    only counted (:class:`StreamedSample`)."""

    mapping: dict[str, str]
    format: str
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    rows_read: int = 0
    rows_skipped: int = 0
    columns: list[str] = field(default_factory=list)
    default_tz: str = "UTC"


@dataclass
class StreamedSample(SampleRead):
    """A sample profiled by the streaming engine: the facts of reading, without the rows."""

    events: int = 0

    @property
    def roles(self) -> list[str]:
        return list(self.mapping)


@dataclass(kw_only=True)
class LoadedSample(SampleRead):
    """A log sample reduced to its mapped roles.

    ``df`` has one column per mapped role: ``timestamp`` as ``datetime64[ns, UTC]``,
    label roles as ``category``, ``records``/``bytes`` as ``float64``. Nothing else
    from the file is kept.
    """

    df: pd.DataFrame

    @property
    def roles(self) -> list[str]:
        return [r for r in ROLES if r in self.df.columns]

    def summary(self) -> dict[str, Any]:
        """What was read, for logs and the UI (no rows)."""
        return {
            "source": self.source,
            "format": self.format,
            "mapping": dict(self.mapping),
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "events": len(self.df),
            "default_tz": self.default_tz,
            "warnings": list(self.warnings),
        }


@dataclass
class SampleInspection:
    """What a file looks like before it is loaded: format, columns, proposal.

    ``examples`` holds up to three values per column from the first rows so a
    person can check the proposed mapping; they are shown, never stored.
    """

    format: str
    columns: list[str]
    proposal: MappingProposal
    examples: dict[str, list[str]] = field(default_factory=dict)
    delimiter: str | None = None
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "columns": list(self.columns),
            "proposal": self.proposal.to_dict(),
            "examples": {k: list(v) for k, v in self.examples.items()},
            "delimiter": self.delimiter,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleInspection:
        return cls(
            format=data["format"],
            columns=list(data.get("columns", [])),
            proposal=MappingProposal.from_dict(data.get("proposal", {})),
            examples={k: list(v) for k, v in data.get("examples", {}).items()},
            delimiter=data.get("delimiter"),
            size=int(data.get("size", 0)),
        )
