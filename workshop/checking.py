"""Checks shared by the loaders of files people write (questionnaires, use-case templates).

Each loader keeps going after a problem and reports all of them, each at its line;
these are the checks every such loader needs on a YAML mapping.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .errors import Problems
from .yamlsource import YMap


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
