"""A STIX 2.1 bundle of an application's rules, built with ``stix2``.

One Indicator per use case: ``pattern_type: sigma`` with the use case's Sigma file as
the pattern (the correlation and the rules it uses, so the pattern stands on its
own), an ``indicates`` Relationship to each ATT&CK technique it is mapped to, and the
organisation as an Identity that created them. ATT&CK techniques keep MITRE's own
STIX ids when an ATT&CK bundle is loaded (a STIX 2.0 bundle's objects are upgraded to
2.1); with only the built-in catalogue an attack-pattern is created with MITRE's own
STIX id (which the catalogue carries) and the ``mitre-attack`` external reference, so
a threat-intelligence platform merges it with MITRE's object instead of duplicating it.

Ids are derived from the Sigma rule ids (uuid5), so a re-export describes the same
objects; timestamps come from the use cases, so an unchanged use case gives an
unchanged Indicator.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workshop.interview.model import utcnow
from workshop.rules.model import RULE_NAMESPACE, RuleSet
from workshop.usecases.model import UseCase

STIX_NAMESPACE = uuid.uuid5(RULE_NAMESPACE, "stix")


def _sid(kind: str, *parts: str) -> str:
    """A stable id in UUIDv4 form (STIX 2.1 asks for v4 for domain and relationship
    objects): the bits of a uuid5 of the parts, with the version set to 4."""
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(STIX_NAMESPACE, '/'.join(parts)).bytes, version=4)}"


def _ts(value: dt.datetime | None) -> dt.datetime:
    """UTC, to the millisecond (STIX timestamps)."""
    t = (value or utcnow()).astimezone(dt.UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def attack_patterns(technique_ids: Iterable[str], bundle: Path | None, index: Any) -> dict[str, Any]:
    """``stix2`` attack-pattern objects by technique id: from the ATT&CK bundle when given
    (MITRE's own ids and content), else made from the index (built-in catalogue)."""
    import stix2

    wanted = {t.upper() for t in technique_ids}
    out: dict[str, Any] = {}
    if bundle is not None and wanted:
        from workshop.attack.bundle import attack_id, is_hidden, load_bundle

        data = load_bundle(bundle)
        for obj in data.objects:
            if obj.get("type") != "attack-pattern" or is_hidden(obj):
                continue
            ref = attack_id(obj)
            if ref is None or ref[0].upper() not in wanted:
                continue
            upgraded = dict(obj)
            upgraded["spec_version"] = "2.1"  # MITRE's cti bundles are STIX 2.0
            out[ref[0].upper()] = stix2.parse(upgraded, allow_custom=True, version="2.1")
    for tid in sorted(wanted - set(out)):
        t = index.technique(tid) if index is not None else None
        name = t.name if t is not None else tid
        url = f"https://attack.mitre.org/techniques/{tid.replace('.', '/')}/"
        stix_id = t.stix_id if t is not None and str(t.stix_id).startswith("attack-pattern--") else None
        phases = [
            {"kill_chain_name": "mitre-attack", "phase_name": p} for p in (t.tactics if t is not None else [])
        ]
        kwargs: dict[str, Any] = {
            "id": stix_id or _sid("attack-pattern", "mitre-attack", tid),
            "name": name,
            "external_references": [{"source_name": "mitre-attack", "external_id": tid, "url": url}],
            "created": dt.datetime(2017, 5, 31, tzinfo=dt.UTC),
            "modified": dt.datetime(2017, 5, 31, tzinfo=dt.UTC),
        }
        if phases:
            kwargs["kill_chain_phases"] = phases
        out[tid] = stix2.v21.AttackPattern(**kwargs)
    return out


def stix_bundle(
    rules: Iterable[tuple[RuleSet, UseCase]],
    organisation: str,
    index: Any,
    attack_bundle: Path | None = None,
) -> dict[str, Any]:
    """The bundle (as a dict) of these rule sets, each with the use case it implements.
    ``index`` is the ATT&CK index; ``attack_bundle`` the STIX file it was read from (None:
    the built-in catalogue), whose attack-pattern objects are used as they are."""
    import stix2

    org = organisation
    identity = stix2.v21.Identity(
        id=_sid("identity", "organisation", org),
        name=org,
        identity_class="organization",
        created=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        modified=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    sets = list(rules)
    patterns = attack_patterns({t for rs, _ in sets for t in rs.attack}, attack_bundle, index)
    objects: list[Any] = [identity]
    relationships: list[Any] = []
    for rs, uc in sets:
        created = _ts(uc.created_at)
        modified = max(created, _ts(uc.updated_at))
        phases = [
            {"kill_chain_name": "mitre-attack", "phase_name": tag.split(".", 1)[1]}
            for tag in (rs.alert.data.get("tags") or [])
            if tag.startswith("attack.") and not tag[7:8].startswith("t")
        ]
        kwargs: dict[str, Any] = {
            "id": _sid("indicator", rs.rule_id),
            "name": rs.title,
            "description": str(rs.alert.data.get("description") or rs.title),
            "pattern": rs.yaml(),
            "pattern_type": "sigma",
            "pattern_version": "2.1",
            "valid_from": created,
            "created": created,
            "modified": modified,
            "created_by_ref": identity.id,
            "indicator_types": ["anomalous-activity"],
            "labels": [f"use-case:{rs.use_case}", f"application:{rs.application}", f"priority:{rs.priority}"],
            "external_references": [
                {"source_name": "sigma", "external_id": rs.rule_id, "description": rs.filename}
            ],
        }
        if phases:
            kwargs["kill_chain_phases"] = phases
        indicator = stix2.v21.Indicator(**kwargs)
        objects.append(indicator)
        for tid in rs.attack:
            ap = patterns.get(tid.upper())
            if ap is None:
                continue
            relationships.append(
                stix2.v21.Relationship(
                    id=_sid("relationship", indicator.id, ap.id),
                    relationship_type="indicates",
                    source_ref=indicator.id,
                    target_ref=ap.id,
                    created_by_ref=identity.id,
                    created=created,
                    modified=modified,
                )
            )
    objects.extend(patterns[t] for t in sorted(patterns))
    objects.extend(relationships)
    bundle_obj = stix2.v21.Bundle(objects=objects, allow_custom=True)
    bundle: dict[str, Any] = json.loads(bundle_obj.serialize())
    return bundle


def validate_bundle(data: dict[str, Any]) -> list[str]:
    """Problems the OASIS ``stix2-validator`` finds (errors, then warnings as 'warning: ...').
    Raises ImportError when the validator is not installed."""
    from stix2validator import ValidationOptions, validate_instance

    results = validate_instance(data, ValidationOptions(version="2.1"))
    out: list[str] = []
    for obj in [results, *getattr(results, "object_results", [])]:
        out.extend(str(e) for e in getattr(obj, "errors", []) or [])
        out.extend(f"warning: {w}" for w in getattr(obj, "warnings", []) or [])
    return list(dict.fromkeys(out))
