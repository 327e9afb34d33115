"""One exception hierarchy for the whole toolkit.

Every error a person can cause carries a :class:`Location` so that the message can
point at the file and line to fix (``questionnaires/x.yaml:12: unknown type 'txt'``).
Loaders do not stop at the first problem: they collect them in a :class:`Problems`
and raise one :class:`ValidationErrors` that lists every one, so an author fixes a
file in one pass instead of one error per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn


@dataclass(frozen=True, order=True)
class Location:
    """Where something came from: a file and a 1-based line (and column) in it."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
        return ":".join(parts)


class WorkshopError(Exception):
    """Base of every error the toolkit raises on purpose."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class LoadError(WorkshopError):
    """A file a person wrote (questionnaire, use-case template, interview) is wrong."""


class YamlSyntaxError(LoadError):
    """The YAML itself does not parse (or is too large, or an alias bomb)."""


class ConditionError(WorkshopError):
    """A ``when`` condition does not parse, or names something it may not."""


class AnswerError(WorkshopError):
    """A value does not fit the question it answers."""


class InputError(WorkshopError):
    """Bad input given directly (a command-line argument, a form field)."""


class StoreError(WorkshopError):
    """The workspace store could not do what was asked."""


class NotFoundError(StoreError):
    """The application, interview or record asked for does not exist."""


class StaleEditError(StoreError):
    """Someone else changed this record since the editor last read it."""

    def __init__(self, message: str, current: object = None) -> None:
        super().__init__(message)
        self.current = current


class WorkspaceError(StoreError):
    """The workspace cannot be written (disk full, read-only, locked)."""


class ValidationErrors(WorkshopError):
    """Several problems found at once; ``errors`` holds each with its location."""

    def __init__(self, errors: list[WorkshopError]) -> None:
        self.errors = sorted(errors, key=_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __iter__(self) -> Iterator[WorkshopError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)


def _sort_key(err: WorkshopError) -> tuple[str, int]:
    loc = err.location or Location()
    return (loc.file or "", loc.line or 0)


class Problems:
    """Collects problems while a loader keeps going; raise them all at the end."""

    def __init__(self, file: str | None = None) -> None:
        self.file = file
        self.errors: list[WorkshopError] = []

    def add(self, message: str, line: int | None = None, cls: type[WorkshopError] = LoadError) -> None:
        self.errors.append(cls(message, Location(self.file, line)))

    def extend(self, errors: list[WorkshopError] | ValidationErrors) -> None:
        self.errors.extend(errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)

    def fail(self, message: str, line: int | None = None, cls: type[WorkshopError] = LoadError) -> NoReturn:
        """Add a problem that stops the loader here, and raise it with those collected so far."""
        self.add(message, line, cls)
        raise ValidationErrors(self.errors)
