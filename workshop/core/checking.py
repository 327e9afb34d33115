"""Checks shared by the loaders of files people write (questionnaires, use-case templates).

Each loader keeps going after a problem and reports all of them, each at its line;
these are the checks every such loader needs on a YAML mapping.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from workshop.core.errors import LoadError, Problems, ValidationErrors, WorkshopError
from workshop.core.yamlsource import YMap

T = TypeVar("T")


def closest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for a near miss, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{match[0]}'?)" if match else ""


class MappingChecker:
    def __init__(self, filename: str) -> None:
        self.p = Problems(filename)

    def unknown_keys(self, obj: YMap, allowed: set[str], what: str) -> None:
        """Report keys the format does not know (typos), except the author's own ``x-`` keys."""
        for key in obj:
            if isinstance(key, str) and key.startswith("x-"):
                continue
            if key not in allowed:
                self.p.add(f"{what}: unknown key '{key}'{closest(str(key), allowed)}", obj.line_of(key))

    def text(self, obj: YMap, key: str, what: str, required: bool = False) -> str:
        """A text value ('' when absent); reports a missing required key or a non-text value."""
        value = obj.get(key)
        if value is None:
            if required:
                self.p.add(f"{what}: '{key}' is required", obj.line)
            return ""
        if isinstance(value, (dict, list)):
            self.p.add(f"{what}: '{key}' must be text", obj.line_of(key))
            return ""
        return str(value)


def load_all(
    dirs: Iterable[Path], load: Callable[[Path], T], what: str
) -> tuple[dict[str, T], dict[str, list[WorkshopError]]]:
    """Load every ``*.yaml`` under ``dirs`` by id; a broken file (or a reused id) is reported
    under its path and does not hide the others."""
    found: dict[str, T] = {}
    errors: dict[str, list[WorkshopError]] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            try:
                item = load(path)
            except ValidationErrors as exc:
                errors[str(path)] = list(exc.errors)
                continue
            except WorkshopError as exc:
                errors[str(path)] = [exc]
                continue
            first = found.get(item.id)  # type: ignore[attr-defined]
            if first is not None:
                errors[str(path)] = [LoadError(f"{what} id '{item.id}' is already used by {first.source}")]  # type: ignore[attr-defined]
                continue
            found[item.id] = item  # type: ignore[attr-defined]
    return found, errors
