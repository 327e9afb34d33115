"""A tiny ATT&CK-like STIX 2.1 bundle written with the stix2 library, for the ATT&CK tests."""

from __future__ import annotations

import uuid

import stix2

IDENTITY = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"


def _ext(attack_id: str, path: str) -> list[dict[str, str]]:
    return [
        {"source_name": "mitre-attack", "external_id": attack_id, "url": f"https://attack.mitre.org/{path}"}
    ]


def _custom(type_: str, attack_id: str | None, path: str = "x", **props) -> dict:
    obj = {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--{_uuid(attack_id or type_)}",
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "x_mitre_domains": ["enterprise-attack"],
    }
    if attack_id:
        obj["external_references"] = _ext(attack_id, path)
    obj.update(props)
    return obj


def _uuid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def handmade_bundle(collection: bool = True, matrix: bool = True) -> str:
    """A tiny ATT&CK-like STIX 2.1 bundle: live, revoked, deprecated and custom objects."""
    phase = [{"kill_chain_name": "mitre-attack", "phase_name": "credential-access"}]
    common = {"allow_custom": True, "created_by_ref": IDENTITY}
    tactic = _custom(
        "x-mitre-tactic",
        "TA0006",
        "tactics/TA0006",
        name="Credential Access",
        x_mitre_shortname="credential-access",
        description="Steal credentials.",
    )
    live = stix2.v21.AttackPattern(
        name="Login Hammering",
        description="Adversaries may hammer a login page with passwords.",
        kill_chain_phases=phase,
        external_references=_ext("T9001", "techniques/T9001"),
        x_mitre_platforms=["SaaS", "Linux"],
        x_mitre_domains=["enterprise-attack"],
        x_acme_risk_score=7,  # a custom property: tolerated
        **common,
    )
    sub = stix2.v21.AttackPattern(
        name="Slow Hammering",
        description="Spread out over days.",
        kill_chain_phases=phase,
        external_references=_ext("T9001.001", "techniques/T9001/001"),
        x_mitre_platforms=["SaaS"],
        x_mitre_is_subtechnique=True,
        x_mitre_domains=["enterprise-attack"],
        **common,
    )
    revoked = stix2.v21.AttackPattern(
        name="Old Hammering",
        description="Replaced by login hammering.",
        kill_chain_phases=phase,
        external_references=_ext("T9002", "techniques/T9002"),
        revoked=True,
        x_mitre_domains=["enterprise-attack"],
        **common,
    )
    deprecated = stix2.v21.AttackPattern(
        name="Fax Hammering",
        description="Nobody faxes any more.",
        kill_chain_phases=phase,
        external_references=_ext("T9003", "techniques/T9003"),
        x_mitre_deprecated=True,
        x_mitre_domains=["enterprise-attack"],
        **common,
    )
    component = _custom("x-mitre-data-component", "DC9001", name="Login Attempts", description="Logins.")
    analytic = _custom(
        "x-mitre-analytic",
        "AN9001",
        name="Analytic 9001",
        description="Count failures per account.",
        x_mitre_platforms=["SaaS"],
        x_mitre_log_source_references=[
            {"x_mitre_data_component_ref": component["id"], "name": "app:auth", "channel": "login_failed"}
        ],
        x_mitre_mutable_elements=[{"field": "TimeWindow", "description": "How long to count failures"}],
    )
    strategy = _custom(
        "x-mitre-detection-strategy",
        "DET9001",
        name="Many Failed Logins",
        x_mitre_analytic_refs=[analytic["id"]],
    )
    mitigation = stix2.v21.CourseOfAction(
        name="Lock Accounts",
        description="Lock after failures.",
        external_references=_ext("M9001", "mitigations/M9001"),
        **common,
    )
    old_mitigation = stix2.v21.CourseOfAction(
        name="Pray",
        description="Hope.",
        external_references=_ext("M9002", "mitigations/M9002"),
        x_mitre_deprecated=True,
        **common,
    )
    group = stix2.v21.IntrusionSet(
        name="Hammer Crew",
        aliases=["Hammer Crew", "HAMMERHEAD"],
        external_references=_ext("G9001", "groups/G9001"),
        **common,
    )
    campaign = stix2.v21.Campaign(
        name="Operation Anvil", external_references=_ext("C9001", "campaigns/C9001"), **common
    )
    gadget = _custom("x-acme-gadget", None, name="Not ATT&CK at all")  # a custom object type: skipped
    rels = [
        stix2.v21.Relationship(source_ref=sub.id, target_ref=live.id, relationship_type="subtechnique-of"),
        stix2.v21.Relationship(source_ref=revoked.id, target_ref=live.id, relationship_type="revoked-by"),
        stix2.v21.Relationship(
            source_ref=strategy["id"], target_ref=live.id, relationship_type="detects", allow_custom=True
        ),
        stix2.v21.Relationship(source_ref=mitigation.id, target_ref=live.id, relationship_type="mitigates"),
        stix2.v21.Relationship(
            source_ref=old_mitigation.id, target_ref=live.id, relationship_type="mitigates"
        ),
        stix2.v21.Relationship(source_ref=group.id, target_ref=live.id, relationship_type="uses"),
        stix2.v21.Relationship(source_ref=campaign.id, target_ref=live.id, relationship_type="uses"),
    ]
    objects: list = [
        tactic,
        live,
        sub,
        revoked,
        deprecated,
        component,
        analytic,
        strategy,
        mitigation,
        old_mitigation,
        group,
        campaign,
        gadget,
        *rels,
    ]
    if matrix:
        objects.append(
            _custom(
                "x-mitre-matrix",
                "enterprise-attack",
                "matrices/enterprise",
                name="Test Matrix",
                tactic_refs=[tactic["id"]],
            )
        )
    if collection:
        objects.insert(0, _custom("x-mitre-collection", None, name="Test ATT&CK", x_mitre_version="99.1"))
    return stix2.v21.Bundle(objects=objects, allow_custom=True).serialize(pretty=True)
