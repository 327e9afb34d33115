"""The built-in ATT&CK catalogue (``attack_data/builtin/techniques.yaml``).

MITRE's bundles are not part of the repository (licence, and 37 MB), yet the
workshop must work on a laptop with no download: suggestions, use-case tagging and
Navigator layers need technique IDs, names and tactics. The catalogue holds the
techniques that matter for in-house business applications, each with our own note
on what the application's logs would show. It becomes an :class:`AttackIndex` of
the same shape as a bundle's, with no detection strategies, mitigations or groups.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from workshop.attack.index import PAYLOAD_FORMAT, AttackIndex, row_of, row_position
from workshop.attack.model import Tactic, Technique
from workshop.core.errors import Problems, WorkshopError
from workshop.core.workspace import PROJECT_ROOT

BUILTIN_DIR = PROJECT_ROOT / "attack_data" / "builtin"
TECHNIQUES_FILE = BUILTIN_DIR / "techniques.yaml"

_ID = row_position(Technique, "id")
_T_PARENT = row_position(Technique, "parent")
_T_SUBTECHNIQUES = row_position(Technique, "subtechniques")
_TA_SHORTNAME = row_position(Tactic, "shortname")

_TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")
#: MITRE's STIX id of an attack-pattern (kept in the catalogue so that exports name MITRE's objects).
_STIX_ID = re.compile(r"^attack-pattern--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TACTIC_ID = re.compile(r"^TA\d{4}$")


def technique_url(technique_id: str) -> str:
    """attack.mitre.org page of a technique (``T1110.003`` -> ``.../T1110/003/``)."""
    return f"https://attack.mitre.org/techniques/{technique_id.replace('.', '/')}"


def load_builtin(path: Path | None = None) -> AttackIndex:
    """The built-in catalogue as an index (``meta.source == "builtin"``)."""
    return AttackIndex.from_payload(builtin_payload(path or TECHNIQUES_FILE), None)


def builtin_payload(path: Path = TECHNIQUES_FILE) -> dict[str, Any]:
    """Parse and check the catalogue; all problems are reported at once with their lines."""
    from workshop.core.yamlsource import load_file  # PyYAML only when a catalogue is read

    doc = load_file(Path(path))
    problems = Problems(str(path))
    if not isinstance(doc, dict):
        problems.add("the built-in catalogue must be a mapping with 'tactics' and 'techniques'")
        problems.raise_if_any()
    tactics_rows = _tactics(doc.get("tactics"), problems)
    known = {row[_TA_SHORTNAME] for row in tactics_rows}
    technique_rows = _techniques(doc.get("techniques"), known, problems, doc.line_of("techniques"))
    problems.raise_if_any()
    subs: dict[str, list[str]] = {}
    for row in technique_rows:
        if row[_T_PARENT]:
            subs.setdefault(row[_T_PARENT], []).append(row[_ID])
    for row in technique_rows:
        row[_T_SUBTECHNIQUES] = sorted(subs.get(row[_ID], []))
    payload: dict[str, Any] = {
        "format": PAYLOAD_FORMAT,
        "meta": {
            "source": "builtin",
            "sha256": None,
            "spec_version": "n/a",
            "data_version": str(doc.get("attack_version") or "unknown"),
            "data_domain": str(doc.get("domain") or "enterprise-attack"),
            "name": "Built-in catalogue for in-house applications",
        },
        "tactics": tactics_rows,
        "techniques": technique_rows,
        "detection_strategies": [],
        "analytics": [],
        "data_components": [],
        "mitigations": [],
        "groups": [],
        "campaigns": [],
    }
    return payload


def _tactics(items: Any, problems: Problems) -> list[list[Any]]:
    from workshop.core.yamlsource import line_of  # PyYAML only when a catalogue is read

    rows: list[list[Any]] = []
    if not isinstance(items, list) or not items:
        problems.add("'tactics' must be a non-empty list")
        return rows
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("id", "shortname", "name")
        ):
            problems.add("each tactic needs 'id', 'shortname' and 'name'", line)
            continue
        if not _TACTIC_ID.match(item["id"]):
            problems.add(f"tactic ID '{item['id']}' is not like TA0006", line)
        url = f"https://attack.mitre.org/tactics/{item['id']}"
        tactic = Tactic(
            f"builtin:{item['id']}", item["id"], item["name"], "", url, False, False, item["shortname"]
        )
        rows.append(row_of(tactic))
    return rows


def _techniques(items: Any, tactics: set[str], problems: Problems, line: int | None) -> list[list[Any]]:
    from workshop.core.yamlsource import line_of  # PyYAML only when a catalogue is read

    rows: list[list[Any]] = []
    if not isinstance(items, list) or not items:
        problems.add("'techniques' must be a non-empty list", line)
        return rows
    seen: set[str] = set()
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict):
            problems.add("each technique must be a mapping", line)
            continue
        tid = item.get("id")
        if not isinstance(tid, str) or not _TECHNIQUE_ID.match(tid):
            problems.add(f"technique ID {tid!r} is not like T1110 or T1110.003", line)
            continue
        if tid in seen:
            problems.add(f"technique {tid} is listed twice", line)
        seen.add(tid)
        name, tacs, plats, note = (
            item.get("name"),
            item.get("tactics"),
            item.get("platforms"),
            item.get("app_logs"),
        )
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{tid}: 'name' is missing", line)
        if not _str_list(tacs) or not tacs:
            problems.add(f"{tid}: 'tactics' must be a non-empty list of tactic shortnames", line)
            tacs = []
        for t in tacs:
            if t not in tactics:
                problems.add(f"{tid}: unknown tactic '{t}' (use shortnames such as credential-access)", line)
        if not _str_list(plats) or not plats:
            problems.add(f"{tid}: 'platforms' must be a non-empty list of ATT&CK platform names", line)
            plats = []
        if not isinstance(note, str) or not note.strip():
            problems.add(f"{tid}: 'app_logs' must say what the application's logs would show", line)
            note = ""
        stix_id = item.get("stix_id")
        if not isinstance(stix_id, str) or not _STIX_ID.match(stix_id):
            problems.add(f"{tid}: 'stix_id' must be MITRE's attack-pattern id (attack-pattern--<uuid>)", line)
            stix_id = f"builtin:{tid}"
        parent = tid.split(".", 1)[0] if "." in tid else None
        technique = Technique(
            stix_id=stix_id,
            id=tid,
            name=str(name or ""),
            description="",
            url=technique_url(tid),
            revoked=False,
            deprecated=False,
            tactics=list(tacs),
            platforms=list(plats),
            is_subtechnique=parent is not None,
            parent=parent,
            app_logs=note.strip(),
        )
        rows.append(row_of(technique))
    return rows


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def app_logs_note(technique_id: str) -> str | None:
    """Our note on what application logs show for this technique, if the catalogue has one.

    Used to enrich output built from a full MITRE bundle, which has no such note.
    """
    try:
        index = _builtin_index()
    except WorkshopError:  # a broken catalogue must not break output from a good bundle
        return None
    t = index.technique(technique_id)
    return t.app_logs if t else None


@lru_cache(maxsize=1)
def _builtin_index() -> AttackIndex:
    return load_builtin()
