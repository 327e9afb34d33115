"""The knobs of a profile: which outcomes are failures, which actions are logins and exports.

They change the figures, so they are stored with every profile and offered on the
command line; and the failure test is needed both when count tables are built
(the failures column) and when figures are derived (which values failed). Keeping
them apart lets the tables, the derivation and a future streaming engine share
them without importing each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import numpy as np

from workshop.baseline.files import DEFAULT_SIZE_LIMIT
from workshop.core.errors import InputError

#: Outcome values counted as failures (compared lower-cased). HTTP-like status
#: codes at or above ``http_failure_min`` count too.
DEFAULT_FAILURE_VALUES: tuple[str, ...] = (
    "fail",
    "failed",
    "failure",
    "denied",
    "deny",
    "error",
    "unauthorized",
    "unauthorised",
    "forbidden",
    "rejected",
    "blocked",
    "invalid",
    "false",
    "401",
    "403",
)
#: Actions that are logins, for "logins per day" (case-insensitive search).
DEFAULT_LOGIN_PATTERN = r"login|logon|log-in|log_in|signin|sign-in|sign_in|authn"
#: Actions that take data out, for "exports per day".
DEFAULT_EXPORT_PATTERN = (
    r"^(?!.*\.(?:png|jpe?g|gif|svg|ico|css|js|woff2?|ttf|map|webp)\b).*(?:export|download|extract)"
)


@dataclass(frozen=True)
class ProfileOptions:
    """Knobs that change how a profile is computed; stored with the profile."""

    top_n: int = 20
    value_cap: int = 1000
    failure_values: tuple[str, ...] = DEFAULT_FAILURE_VALUES
    http_failure_min: int | None = 400
    login_pattern: str = DEFAULT_LOGIN_PATTERN
    export_pattern: str = DEFAULT_EXPORT_PATTERN

    def __post_init__(self) -> None:
        for name in ("login_pattern", "export_pattern"):
            try:
                re.compile(getattr(self, name))
            except re.error as exc:
                raise InputError(
                    f"{name.replace('_', ' ')} is not a valid regular expression: {exc}"
                ) from exc
        if self.top_n < 1 or self.value_cap < 1:
            raise InputError("top_n and value_cap must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "top_n": self.top_n,
            "value_cap": self.value_cap,
            "failure_values": list(self.failure_values),
            "http_failure_min": self.http_failure_min,
            "login_pattern": self.login_pattern,
            "export_pattern": self.export_pattern,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileOptions:
        base = cls()
        return cls(
            top_n=int(data.get("top_n", base.top_n)),
            value_cap=int(data.get("value_cap", base.value_cap)),
            failure_values=tuple(data.get("failure_values", base.failure_values)),
            http_failure_min=data.get("http_failure_min", base.http_failure_min),
            login_pattern=data.get("login_pattern", base.login_pattern),
            export_pattern=data.get("export_pattern", base.export_pattern),
        )


@dataclass(frozen=True)
class ReadOptions:
    """How to read a sample: every option of ``workshop baseline profile``, shared by
    :func:`~workshop.baseline.loading.load_sample`, the streaming engine, ``attach`` and the
    page, so that a new option is added here once.

    ``mapping`` changes the proposal role by role (a ``None`` or empty column removes
    the role); with ``exact_mapping`` it is the whole mapping. ``default_tz`` is the zone
    of time stamps without an offset (None: UTC, or for an application the zone its
    interview declares). ``entity`` and ``tz`` concern the profile, not the rows: loading
    a sample ignores them.
    """

    fmt: str = "auto"
    mapping: Mapping[str, str | None] | None = None
    exact_mapping: bool = False
    entity: str | None = None
    tz: str | None = None
    default_tz: str | None = None
    timestamp_format: str | None = None
    skip_bad_rows: bool = False
    size_limit: int | None = DEFAULT_SIZE_LIMIT  # None: bounded by the disk and the sample limits only
    year: int | None = None
    regex: str | None = None
    users_case_insensitive: bool = False

    @property
    def on_bad_rows(self) -> Literal["error", "skip"]:
        return "skip" if self.skip_bad_rows else "error"

    @classmethod
    def of(cls, read: ReadOptions | None, changes: Mapping[str, Any]) -> ReadOptions:
        """``read`` (default: the defaults) with some fields changed by name; an unknown name is refused."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"not a reading option: {', '.join(unknown)}")
        return replace(read or cls(), **changes)


def classify_failures(
    values: Iterable[Any],
    failure_values: Iterable[str] = DEFAULT_FAILURE_VALUES,
    http_failure_min: int | None = 400,
) -> np.ndarray:
    """Which outcome values are failures: listed words, or HTTP statuses >= min.

    Runs over the distinct values (categories), never over rows.
    """
    words = {str(v).strip().lower() for v in failure_values}
    result = []
    for v in values:
        text = str(v).strip().lower()
        fail = text in words
        if not fail and http_failure_min is not None:
            if re.fullmatch(r"[1-5]\d\d", text):
                fail = int(text) >= http_failure_min
            elif re.fullmatch(r"[1-5]xx", text):
                fail = int(text[0]) * 100 + 99 >= http_failure_min
        result.append(fail)
    return np.array(result, dtype=bool)
