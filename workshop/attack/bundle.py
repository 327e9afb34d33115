"""Reading an ATT&CK STIX bundle from disk and telling what it is.

We parse bundles with the standard ``json`` module rather than ``stix2``: building a
``stix2`` object for each of the ~25,000 objects of the enterprise bundle costs
seconds, while ``json.loads`` takes a quarter of one. ``stix2`` is still used where it
adds value: :func:`read_stix_objects` returns proper ``stix2`` objects for the few
an export needs.

Release and domain come from the data where it says so (STIX 2.1 bundles from
``attack-stix-data`` carry an ``x-mitre-collection`` with ``x_mitre_version``; the
matrix names the domain), otherwise from the file name
(``enterprise-attack-18.1.json``), otherwise ``"unknown"``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.attack.model import DOMAINS
from workshop.core import jsonsource
from workshop.core.errors import LoadError, Location

#: ``source_name`` values under which MITRE puts ATT&CK IDs.
MITRE_SOURCES = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})
#: ``kill_chain_name`` values of ATT&CK tactics (enterprise, ICS, mobile).
MITRE_KILL_CHAINS = frozenset({"mitre-attack", "mitre-ics-attack", "mitre-mobile-attack"})

_FILE_NAME = re.compile(
    r"^(?P<domain>enterprise|ics|mobile)-attack(?:[-_]v?(?P<version>\d+(?:\.\d+)*))?\.json$", re.I
)


@dataclass(slots=True)
class BundleData:
    """A parsed bundle: its objects plus what the data itself says about it."""

    objects: list[dict[str, Any]]
    sha256: str
    spec_version: str
    #: Release named by an ``x-mitre-collection`` object; None when the data does not say.
    data_version: str | None
    #: Domain named by the matrix or the objects' ``x_mitre_domains``; None when unknown.
    data_domain: str | None
    name: str


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read ATT&CK bundle: {exc.strerror or exc}", Location(str(path))) from exc


def parse_bundle(data: bytes, filename: str | None = None) -> BundleData:
    """Parse and check a bundle's bytes; raise :class:`LoadError` saying what is wrong."""
    loc = Location(filename)
    if not data.strip():
        raise LoadError("not an ATT&CK STIX bundle: the file is empty", loc)
    try:
        doc = jsonsource.loads(data, filename)  # bounded nesting: a clear error, never a RecursionError
    except UnicodeDecodeError as exc:
        raise LoadError(f"not an ATT&CK STIX bundle: not UTF-8 JSON ({exc.reason})", loc) from exc
    except json.JSONDecodeError as exc:
        raise _json_error(exc, filename) from exc
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise LoadError(
            'not an ATT&CK STIX bundle: the top-level JSON object is not {"type": "bundle", ...}', loc
        )
    objects = doc.get("objects")
    if not isinstance(objects, list):
        raise LoadError('not an ATT&CK STIX bundle: it has no "objects" list', loc)
    objects = [o for o in objects if isinstance(o, dict)]
    if not any(o.get("type") == "attack-pattern" and attack_id(o) for o in objects):
        raise LoadError("not an ATT&CK STIX bundle: it holds no attack-pattern with an ATT&CK ID", loc)
    version, name = _collection(objects)
    return BundleData(
        objects=objects,
        sha256=hashlib.sha256(data).hexdigest(),
        spec_version=_spec_version(doc, objects),
        data_version=version,
        data_domain=_domain(objects),
        name=name or _matrix_name(objects),
    )


def load_bundle(path: Path) -> BundleData:
    return parse_bundle(read_bytes(path), str(path))


def _json_error(exc: json.JSONDecodeError, filename: str | None) -> LoadError:
    truncated = exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string")
    where = f"line {exc.lineno}, column {exc.colno}"
    if truncated:
        message = f"truncated JSON at {where}: the file ends before the bundle does (download it again)"
    else:
        message = f"not an ATT&CK STIX bundle: invalid JSON at {where}: {exc.msg}"
    return LoadError(message, Location(filename, exc.lineno))


def attack_id(obj: dict[str, Any]) -> tuple[str, str] | None:
    """The object's ATT&CK ID and page URL, from its MITRE external reference."""
    for ref in obj.get("external_references") or ():
        if isinstance(ref, dict) and ref.get("source_name") in MITRE_SOURCES and ref.get("external_id"):
            return str(ref["external_id"]), str(ref.get("url") or "")
    return None


def is_hidden(obj: dict[str, Any]) -> bool:
    """Revoked or deprecated: hidden unless someone asks for them."""
    return bool(obj.get("revoked")) or bool(obj.get("x_mitre_deprecated"))


def _spec_version(doc: dict[str, Any], objects: list[dict[str, Any]]) -> str:
    if doc.get("spec_version"):
        return str(doc["spec_version"])
    for obj in objects[:50]:
        if obj.get("spec_version"):
            return str(obj["spec_version"])
    return "unknown"


def _collection(objects: list[dict[str, Any]]) -> tuple[str | None, str]:
    for obj in objects:
        if obj.get("type") == "x-mitre-collection":
            version = obj.get("x_mitre_version")
            return (str(version) if version else None), str(obj.get("name") or "")
    return None, ""


def _matrix_name(objects: list[dict[str, Any]]) -> str:
    for obj in objects:
        if obj.get("type") == "x-mitre-matrix":
            return str(obj.get("name") or "")
    return ""


def _domain(objects: list[dict[str, Any]]) -> str | None:
    for obj in objects:
        if obj.get("type") == "x-mitre-matrix":
            found = attack_id(obj)
            if found and found[0] in DOMAINS:
                return found[0]
    counts: Counter[str] = Counter()
    for obj in objects:
        if obj.get("type") == "attack-pattern":
            counts.update(d for d in obj.get("x_mitre_domains") or () if d in DOMAINS)
    return counts.most_common(1)[0][0] if counts else None


def version_from_filename(filename: str | None) -> str | None:
    """``enterprise-attack-18.1.json`` -> ``"18.1"``."""
    if not filename:
        return None
    m = _FILE_NAME.match(Path(filename).name)
    return m.group("version") if m and m.group("version") else None


def domain_from_filename(filename: str | None) -> str | None:
    """``ics-attack-18.1.json`` -> ``"ics-attack"``."""
    if not filename:
        return None
    m = _FILE_NAME.match(Path(filename).name)
    return f"{m.group('domain').lower()}-attack" if m else None


def read_stix_objects(path: Path, ids: list[str] | set[str]) -> list[Any]:
    """The bundle's objects with these ATT&CK or STIX IDs, as ``stix2`` objects.

    For exports that embed ATT&CK objects in a STIX bundle of their own: ``stix2``
    checks each object and serialises it correctly for its spec version. Slow on the
    whole bundle, so only the objects asked for are converted.
    """
    import stix2

    wanted = set(ids)
    bundle = load_bundle(path)
    version = "2.1" if bundle.spec_version == "2.1" else "2.0"
    found = []
    for obj in bundle.objects:
        ref = attack_id(obj)
        # An ATT&CK ID may also sit on an old deprecated object (mitigations once
        # reused technique IDs); by ATT&CK ID only live objects match.
        by_attack_id = ref is not None and ref[0] in wanted and not is_hidden(obj)
        if obj.get("id") in wanted or by_attack_id:
            found.append(stix2.parse(obj, allow_custom=True, version=version))
    return found
