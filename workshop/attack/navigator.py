"""ATT&CK Navigator layers (format 4.5) showing which techniques our use cases cover.

The SOC manager reads coverage across applications in the Navigator; a layer here
scores each technique by the number of use cases tagged with it, lists their titles
in the comment and their statuses in the metadata, and colours the cell by the most
advanced status (live beats tested beats draft), so that "covered on paper" and
"covered in production" look different. The legend explains the colours.

:func:`validate_layer` checks a layer against every rule of the 4.5 format
definition (``../shared/specs/navigator/layerformat-v4.5.md``); exports run it
before writing, and tests run it on what :func:`build_layer` makes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from workshop.attack.model import DOMAINS
from workshop.core.errors import InputError
from workshop.vocab import Status

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"

#: Use-case statuses from least to most advanced, with the colour of each. A
#: technique takes the colour of its most advanced use case. Unknown statuses
#: rank lowest and use the "other" colour.
STATUS_COLORS: dict[str, str] = {
    Status.REJECTED: "#d9d9d9",
    Status.RETIRED: "#d9d9d9",
    "idea": "#ffe9a8",  # the words that are not Status members come from other trackers' layers
    Status.PROPOSED: "#ffe9a8",
    "draft": "#ffd666",
    "in_review": "#ffd666",
    Status.ACCEPTED: "#b7e4a7",
    "approved": "#b7e4a7",
    "tuning": "#7cc47a",
    Status.TESTED: "#7cc47a",
    "live": "#2e9e44",
    "deployed": "#2e9e44",
    "production": "#2e9e44",
}
_STATUS_RANK = {name: i for i, name in enumerate(STATUS_COLORS)}
OTHER_COLOR = "#c6dbef"
#: Score gradient (white to blue) used when colouring by score instead of status.
GRADIENT_COLORS = ["#ffffff", "#66b1ff", "#1f5fa8"]

_TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_TACTIC = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


@dataclass(slots=True)
class LayerEntry:
    """One technique in a layer with the use cases that cover it (titles and statuses pair up)."""

    technique_id: str
    tactic: str | None = None
    use_cases: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    @classmethod
    def coerce(cls, value: LayerEntry | Mapping[str, Any] | Sequence[Any]) -> LayerEntry:
        """Accept an entry, a mapping with the same keys, or a (technique_id, tactic, titles, statuses) tuple."""
        if isinstance(value, LayerEntry):
            return value
        if isinstance(value, Mapping):
            return cls(
                str(value["technique_id"]),
                value.get("tactic"),
                list(value.get("use_cases") or []),
                list(value.get("statuses") or []),
            )
        items = [*list(value), None, None, None]
        return cls(str(items[0]), items[1], list(items[2] or []), list(items[3] or []))


def _status_key(status: str) -> str:
    return status.strip().lower().replace(" ", "_").replace("-", "_")


def status_color(statuses: Iterable[str]) -> str | None:
    """Colour of the most advanced status; None when there is none."""
    keys = [_status_key(s) for s in statuses if s]
    if not keys:
        return None
    best = max(keys, key=lambda k: _STATUS_RANK.get(k, -1))
    return STATUS_COLORS.get(best, OTHER_COLOR)


def build_layer(
    name: str,
    entries: Iterable[LayerEntry | Mapping[str, Any] | Sequence[Any]],
    version: str = "unknown",
    domain: str = "enterprise-attack",
    description: str = "",
    color_by: str = "status",
    platforms: Sequence[str] | None = None,
    metadata: Mapping[str, str] | None = None,
    score_statuses: Collection[str] | None = None,
) -> dict[str, Any]:
    """A Navigator layer (format 4.5) scoring techniques by their number of use cases.

    ``score_statuses`` limits the score to use cases in those statuses (the others are
    still listed, with their status, and coloured): coverage counts only live use cases.

    Entries for the same technique and tactic are merged. ``color_by="status"``
    gives each technique the colour of its most advanced use case; ``"score"``
    leaves colours to the gradient. Raises :class:`~workshop.core.errors.InputError`
    for technique IDs that are not ATT&CK technique IDs.
    """
    if domain not in DOMAINS:
        raise InputError(f"unknown ATT&CK domain '{domain}' (use one of {', '.join(DOMAINS)})")
    if color_by not in ("status", "score"):
        raise InputError("color_by must be 'status' or 'score'")
    merged: dict[tuple[str, str | None], LayerEntry] = {}
    bad = []
    for raw in entries:
        entry = LayerEntry.coerce(raw)
        tid = entry.technique_id.strip().upper()
        if not _TECHNIQUE_ID.match(tid):
            bad.append(entry.technique_id)
            continue
        tactic = entry.tactic.strip().lower() if entry.tactic else None
        into = merged.setdefault((tid, tactic), LayerEntry(tid, tactic))
        statuses = list(entry.statuses) + [""] * (len(entry.use_cases) - len(entry.statuses))
        for title, status in zip(entry.use_cases, statuses, strict=False):
            if title not in into.use_cases:
                into.use_cases.append(title)
                into.statuses.append(status)
    if bad:
        raise InputError(f"not ATT&CK technique IDs: {', '.join(map(repr, bad))}")

    techniques = []
    used_statuses: set[str] = set()
    max_score = 1
    for (tid, tactic), entry in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        score = len(entry.use_cases) if score_statuses is None else sum(
            1 for st in entry.statuses if st in score_statuses
        )
        max_score = max(max_score, score)
        tech: dict[str, Any] = {"techniqueID": tid}
        if tactic:
            tech["tactic"] = tactic
        tech["score"] = score
        tech["comment"] = "; ".join(entry.use_cases)
        tech["enabled"] = True
        tech["metadata"] = [
            {"name": title, "value": status or "unknown"}
            for title, status in zip(entry.use_cases, entry.statuses, strict=True)
        ]
        tech["showSubtechniques"] = False
        if color_by == "status":
            color = status_color(entry.statuses)
            if color:
                tech["color"] = color
                used_statuses.update(_status_key(s) for s in entry.statuses if s)
        techniques.append(tech)

    versions = {"layer": LAYER_VERSION, "navigator": NAVIGATOR_VERSION}
    if re.search(r"\d", version or ""):
        # The Navigator reads the first run of digits ("18.1" -> 18); a version
        # without digits would break its parser, so it is left out (= current).
        versions["attack"] = str(version)
    layer: dict[str, Any] = {
        "name": name,
        "versions": versions,
        "domain": domain,
        "description": description,
        "sorting": 3,
        "layout": {
            "layout": "side",
            "showID": True,
            "showName": True,
            "showAggregateScores": False,
            "countUnscored": False,
            "aggregateFunction": "sum",
            "expandedSubtechniques": "annotated",
        },
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": list(GRADIENT_COLORS), "minValue": 0, "maxValue": max_score},
        "legendItems": _legend(used_statuses) if color_by == "status" else [],
        "showTacticRowBackground": False,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "selectVisibleTechniques": False,
        "metadata": [{"name": "generated by", "value": "Use-Case Workshop"}]
        + [{"name": k, "value": str(v)} for k, v in (metadata or {}).items()],
    }
    if platforms:
        layer["filters"] = {"platforms": list(platforms)}
    return layer


def _legend(statuses: set[str]) -> list[dict[str, str]]:
    """One legend item per colour in use, named after the statuses that share it."""
    by_color: dict[str, list[str]] = {}
    for status in sorted(statuses, key=lambda s: -_STATUS_RANK.get(s, -1)):
        by_color.setdefault(STATUS_COLORS.get(status, OTHER_COLOR), []).append(status.replace("_", " "))
    return [{"label": ", ".join(names), "color": color} for color, names in by_color.items()]


# ---------------------------------------------------------------------------
# Validation against the 4.5 format definition
# ---------------------------------------------------------------------------


def validate_layer(layer: Any) -> list[str]:
    """Every way ``layer`` breaks the layer format 4.5; an empty list means valid."""
    errors: list[str] = []
    if not isinstance(layer, dict):
        return ["a layer must be a JSON object"]
    _require(layer, "name", str, "layer", errors)
    _require(layer, "domain", str, "layer", errors)
    if isinstance(layer.get("domain"), str) and layer["domain"] not in DOMAINS:
        errors.append(f"layer: domain '{layer['domain']}' is not one of {', '.join(DOMAINS)}")
    versions = layer.get("versions")
    if versions is None:
        errors.append("layer: 'versions' is missing (the Navigator warns on layers without it)")
    elif not isinstance(versions, dict):
        errors.append("layer: 'versions' must be an object")
    else:
        if versions.get("layer") != LAYER_VERSION:
            errors.append(f'versions.layer must be "{LAYER_VERSION}", not {versions.get("layer")!r}')
        nav = versions.get("navigator")
        if not isinstance(nav, str) or _version_tuple(nav) < (4, 9, 0):
            errors.append(f'versions.navigator must be a string of at least "4.9.0", not {nav!r}')
        if "attack" in versions and (
            not isinstance(versions["attack"], str) or not re.search(r"\d", versions["attack"])
        ):
            errors.append(
                f'versions.attack must be a version string such as "18.1", not {versions["attack"]!r}'
            )
    _optional(layer, "description", str, "layer", errors)
    _optional(layer, "customDataURL", str, "layer", errors)
    _optional(layer, "hideDisabled", bool, "layer", errors)
    _optional(layer, "showTacticRowBackground", bool, "layer", errors)
    _optional(layer, "selectTechniquesAcrossTactics", bool, "layer", errors)
    _optional(layer, "selectSubtechniquesWithParent", bool, "layer", errors)
    _optional(layer, "selectVisibleTechniques", bool, "layer", errors)
    _optional(layer, "tacticRowBackground", str, "layer", errors)
    if "sorting" in layer and layer["sorting"] not in (0, 1, 2, 3):
        errors.append("layer: sorting must be 0, 1, 2 or 3")
    if "filters" in layer:
        filters = layer["filters"]
        if not isinstance(filters, dict):
            errors.append("layer: 'filters' must be an object")
        elif "platforms" in filters and not _str_list(filters["platforms"]):
            errors.append("filters.platforms must be a list of strings")
    if "layout" in layer:
        _check_layout(layer["layout"], errors)
    if "gradient" in layer:
        _check_gradient(layer["gradient"], errors)
    for i, item in enumerate(_list(layer, "legendItems", errors)):
        where = f"legendItems[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be an object")
            continue
        _require(item, "label", str, where, errors)
        _require(item, "color", str, where, errors)
    _check_metadata(layer, "layer", errors)
    _check_links(layer, "layer", errors)
    for i, tech in enumerate(_list(layer, "techniques", errors)):
        _check_technique(tech, f"techniques[{i}]", errors)
    return errors


def _check_technique(tech: Any, where: str, errors: list[str]) -> None:
    if not isinstance(tech, dict):
        errors.append(f"{where}: must be an object")
        return
    tid = tech.get("techniqueID")
    if not isinstance(tid, str):
        errors.append(f"{where}: 'techniqueID' is required")
    elif not _TECHNIQUE_ID.match(tid):
        errors.append(f"{where}: techniqueID '{tid}' is not like T1110 or T1110.003")
    if "tactic" in tech and (not isinstance(tech["tactic"], str) or not _TACTIC.match(tech["tactic"])):
        errors.append(f"{where}: tactic must be a tactic shortname such as 'credential-access'")
    if "score" in tech and (isinstance(tech["score"], bool) or not isinstance(tech["score"], int | float)):
        errors.append(f"{where}: score must be a number")
    _optional(tech, "comment", str, where, errors)
    _optional(tech, "enabled", bool, where, errors)
    _optional(tech, "showSubtechniques", bool, where, errors)
    if (
        "color" in tech
        and tech["color"] != ""
        and not (isinstance(tech["color"], str) and _COLOR.match(tech["color"]))
    ):
        errors.append(f"{where}: color must be a hex colour such as '#2e9e44'")
    _check_metadata(tech, where, errors)
    _check_links(tech, where, errors)


def _check_layout(layout: Any, errors: list[str]) -> None:
    if not isinstance(layout, dict):
        errors.append("layer: 'layout' must be an object")
        return
    choices = {
        "layout": ("side", "flat", "mini"),
        "aggregateFunction": ("average", "min", "max", "sum"),
        "expandedSubtechniques": ("none", "all", "annotated"),
    }
    for key, allowed in choices.items():
        if key in layout and layout[key] not in allowed:
            errors.append(f"layout.{key} must be one of {', '.join(allowed)}")
    for key in ("showID", "showName", "showAggregateScores", "countUnscored"):
        _optional(layout, key, bool, "layout", errors)


def _check_gradient(gradient: Any, errors: list[str]) -> None:
    if not isinstance(gradient, dict):
        errors.append("layer: 'gradient' must be an object")
        return
    colors = gradient.get("colors")
    if not _str_list(colors) or len(colors) < 2:
        errors.append("gradient.colors must list at least two colours")
    low, high = gradient.get("minValue"), gradient.get("maxValue")
    if not _number(low) or not _number(high):
        errors.append("gradient.minValue and gradient.maxValue are required numbers")
    elif high <= low:
        errors.append("gradient.maxValue must be greater than gradient.minValue")


def _check_metadata(obj: dict[str, Any], where: str, errors: list[str]) -> None:
    for i, item in enumerate(_list(obj, "metadata", errors, where)):
        here = f"{where}.metadata[{i}]"
        if isinstance(item, dict) and item.get("divider") is True:
            continue
        if not isinstance(item, dict):
            errors.append(f"{here}: must be an object")
            continue
        _require(item, "name", str, here, errors)
        _require(item, "value", str, here, errors)


def _check_links(obj: dict[str, Any], where: str, errors: list[str]) -> None:
    for i, item in enumerate(_list(obj, "links", errors, where)):
        here = f"{where}.links[{i}]"
        if isinstance(item, dict) and item.get("divider") is True:
            continue
        if not isinstance(item, dict):
            errors.append(f"{here}: must be an object")
            continue
        _require(item, "label", str, here, errors)
        _require(item, "url", str, here, errors)
        if isinstance(item.get("url"), str) and "://" not in item["url"]:
            errors.append(f"{here}: url must start with a protocol such as https://")


def _require(obj: dict[str, Any], key: str, typ: type, where: str, errors: list[str]) -> None:
    if key not in obj:
        errors.append(f"{where}: '{key}' is required")
    elif not isinstance(obj[key], typ):
        errors.append(f"{where}: '{key}' must be a {typ.__name__}")


def _optional(obj: dict[str, Any], key: str, typ: type, where: str, errors: list[str]) -> None:
    if key in obj and not isinstance(obj[key], typ):
        errors.append(f"{where}: '{key}' must be a {typ.__name__}")


def _list(obj: dict[str, Any], key: str, errors: list[str], where: str = "layer") -> list[Any]:
    if key not in obj:
        return []
    if not isinstance(obj[key], list):
        errors.append(f"{where}: '{key}' must be a list")
        return []
    items: list[Any] = obj[key]
    return items


def _str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text)
    return tuple(int(p) for p in parts[:3]) + (0,) * (3 - min(3, len(parts)))
