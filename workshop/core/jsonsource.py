"""JSON a person supplies (ATT&CK bundles, uploaded files), parsed with bounded nesting.

``json.loads`` recurses once per level of nesting and stops at the interpreter's
recursion limit, so ``[[[[...]]]]`` 200,000 deep ends in a ``RecursionError``
traceback. :func:`loads` turns that into a :class:`LoadError` naming the file. (The
bound is the interpreter's, about a thousand levels; an ATT&CK bundle needs six.)
"""

from __future__ import annotations

import json
from typing import Any

from workshop.core.errors import LoadError, Location


def loads(data: str | bytes, filename: str | None = None) -> Any:
    """Parse JSON; raise LoadError for a document nested too deeply. Syntax errors stay
    ``json.JSONDecodeError`` (callers word them for their format)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise LoadError("the JSON is nested too deeply; refusing to load it", Location(filename)) from None
