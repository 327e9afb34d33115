"""ATT&CK v18 analytics from the application's own detections, and coverage per technique.

ATT&CK v18 describes detection as strategies (``x-mitre-detection-strategy``, linked to
techniques by ``detects`` relationships) made of analytics (``x-mitre-analytic``): one
platform each, the log sources they read (``x_mitre_log_source_references``: data
component, log name, channel) and the parts a defender tunes (``x_mitre_mutable_elements``).
Each adopted use case mapped to a technique becomes an analytic of that shape, its mutable
elements filled with the values the rule uses (the window, the group-by fields, the
threshold, the look-back, the lists) and where each came from (a baseline, an answer, the
template's default). Per technique, one detection strategy of ours holds our analytics,
``detects`` the technique, and names MITRE's own strategies for it as external references.

Coverage is stated per technique in CTID Mappings Explorer's terms: category ``detect`` and a
value (minimal, partial, significant) with a written reason from what the use cases can
see, never a count of rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workshop.interview.model import Application
from workshop.rules.model import RuleSet
from workshop.rules.stix import _sid as stix_id  # the rules' bundle's stable ids (same identity)
from workshop.rules.stix import _ts
from workshop.usecases.events import EVENTS, LogVocabulary
from workshop.usecases.model import Parameter, UseCase
from workshop.vocab import LIVE

ATTACK_SPEC_VERSION = "3.3.0"
#: TLP:AMBER, one of STIX 2.1's predefined markings: our detections are for our organisation.
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#: ATT&CK 18.1 data components an application's audit log feeds, by name: (STIX id, DC ID).
#: Used when the ATT&CK data loaded has none (the built-in catalogue).
DATA_COMPONENTS: dict[str, tuple[str, str]] = {
    "User Account Authentication": ("x-mitre-data-component--a953ca55-921a-44f7-9b8d-3d40141aa17e", "DC0002"),
    "Logon Session Creation": ("x-mitre-data-component--9ce98c86-8d30-4043-ba54-0784d478d0b5", "DC0067"),
    "User Account Creation": ("x-mitre-data-component--deb22295-7e37-4a3b-ac6f-c86666fbe63d", "DC0014"),
    "User Account Modification": ("x-mitre-data-component--d27b0089-2c39-4b6c-84ff-303e48657e77", "DC0010"),
    "User Account Deletion": ("x-mitre-data-component--d6257b8e-869c-41c0-8731-fdca40858a91", "DC0009"),
    "Application Log Content": ("x-mitre-data-component--9c2fa0ae-7abc-485a-97f6-699e3b6cf9fa", "DC0038"),
}
_EVENT_COMPONENT: dict[str, str] = {
    **{e: "User Account Authentication" for e in ("authn_success", "authn_failure", "authn_lockout",
                                                   "password_change", "password_reset", "mfa_change",
                                                   "token_created", "token_used")},
    "session_start": "Logon Session Creation",
    "user_created": "User Account Creation",
    "user_updated": "User Account Modification",
    "privilege_grant": "User Account Modification",
    "privilege_revoke": "User Account Modification",
    "user_disabled": "User Account Deletion",
}  # fmt: skip
COVERAGE_VALUES = ("minimal", "partial", "significant")


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^A-Za-z0-9]+", name) if p)


def data_component(event_id: str, index: Any) -> tuple[str, str, str]:
    """(STIX id, DC ID, name) of the data component an event of this kind belongs to."""
    name = _EVENT_COMPONENT.get(event_id, "Application Log Content")
    for dc in getattr(index, "data_components", None) or []:
        if dc.name == name and str(dc.stix_id).startswith("x-mitre-data-component--"):
            return dc.stix_id, dc.id, name
    sid, dcid = DATA_COMPONENTS[name]
    return sid, dcid, name


def _source(p: Parameter) -> str:
    if p.source == "baseline":
        return f"from the baseline ({p.detail})" if p.detail else "from the baseline"
    if p.source == "answer":
        return f"from the owners' answer ({p.detail})" if p.detail else "from the owners' answers"
    if p.source == "manual":
        return f"set by {p.who or 'a reviewer'}" + (f" ({p.detail})" if p.detail else "")
    return "the template's default, not yet tuned to this application"


def mutable_elements(uc: UseCase, rs: RuleSet) -> list[dict[str, str]]:
    """The tunable parts of the rule with the values it uses and where each came from."""
    logic = uc.generated.logic
    params = uc.parameters
    out: list[dict[str, str]] = []

    def param(field: str, name: str, what: str) -> None:
        p = params.get(name)
        if p is not None:
            out.append({"field": field, "description": f"{what}: {p.shown()}{f' {p.unit}' if p.unit else ''}, "
                                                      f"{_source(p)}. {p.description}".strip()})  # fmt: skip

    if logic.window:
        param("TimeWindow", logic.window, "Time window the events are counted over")
    if logic.group_by:
        names = ", ".join(rs.fields.get(r, r) for r in logic.group_by)
        out.append({"field": "GroupBy", "description": f"Fields the events are grouped by: {names}."})
    if logic.field:
        out.append({"field": "CountedField", "description":
                    f"Field counted, summed or watched: {rs.fields.get(logic.field, logic.field)}."})  # fmt: skip
    if logic.threshold:
        param("Threshold", logic.threshold, "Alert threshold")
    if logic.lookback:
        param("LookbackWindow", logic.lookback, "Look-back for first-seen values")
    if logic.outside:
        param(_camel(logic.outside), logic.outside, "Time window outside which events alert")
    used = {logic.window, logic.threshold, logic.lookback, logic.outside}
    for name, p in params.items():
        if name not in used and p.type != "boolean":
            param(_camel(name), name, "Value the rule uses")
    seen = {e["field"] for e in out}
    for doc in rs.docs:
        for key, block in (doc.data.get("detection") or {}).items():
            field = _camel(key.removeprefix("filter_"))
            if not key.startswith("filter_") or field in seen or not isinstance(block, dict):
                continue
            seen.add(field)
            values = "; ".join(f"{k.split('|')[0]}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                               for k, v in block.items())  # fmt: skip
            out.append({"field": field, "description": f"Excluded, from the owners' answers: {values}."})
    return out


def log_source_references(
    uc: UseCase, vocab: LogVocabulary, app: Application, index: Any
) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for ref in uc.generated.events:
        if ref.event not in EVENTS:
            continue
        if ref.event == "any_event":  # a rule on every event (session reuse): the whole audit log
            channel = "every audit event"
        else:
            name = vocab.event(ref.event)
            channel = name.action + (f" (outcome={name.outcome})" if name.outcome else "")
        sid, _dcid, _dcname = data_component(ref.event, index)
        entry = {
            "x_mitre_data_component_ref": sid,
            "name": f"{app.slug}:{uc.generated.service}",
            "channel": channel,
        }
        if entry not in out:
            out.append(entry)
    return out


def platform_of(app: Application, index: Any) -> str:
    """ATT&CK gives each analytic one platform: the application's first one ATT&CK knows, else SaaS."""
    known = set(index.platforms()) if hasattr(index, "platforms") else set()
    return next((p for p in app.platforms if not known or p in known), "SaaS")


@dataclass(frozen=True)
class Coverage:
    technique: str
    name: str
    value: str  # one of COVERAGE_VALUES
    reason: str
    use_cases: tuple[str, ...]
    mitre_strategies: tuple[str, ...]  # MITRE's DET ids for the technique

    def to_dict(self) -> dict[str, Any]:
        return {"technique": self.technique, "name": self.name, "category": "detect", "value": self.value,
                "reason": self.reason, "use_cases": list(self.use_cases),
                "mitre_detection_strategies": list(self.mitre_strategies)}  # fmt: skip


def coverage(
    technique: str, name: str, ucs: list[UseCase], app: Application, mitre: Iterable[str] = ()
) -> Coverage:
    """How much of the technique this application's use cases can see, and why (never a rule count)."""
    seeing = [u for u in ucs if all(e.logged is not False and not e.assumed for e in u.generated.events)]
    blind = [u for u in ucs if u not in seeing]
    live = [u for u in seeing if u.status in LIVE]
    behaviours = {
        (u.generated.logic.type, tuple(sorted(e.event for e in u.generated.events))) for u in seeing
    }
    scope = (f"Only what {app.name}'s own audit log shows is watched; the technique's procedures elsewhere "
             "(the directory, endpoints, other applications) are out of this scope.")  # fmt: skip
    parts = []
    if not seeing:
        value = "minimal"
        parts.append("The use cases mapped to it cannot see it yet: the events they need are not logged, or are "
                     "logged under names nobody confirmed (" + ", ".join(u.template_id for u in blind) + ").")  # fmt: skip
    elif len(behaviours) >= 2 and live:
        value = "significant"
        parts.append(f"Several behaviours of it are watched on confirmed events ({', '.join(u.title for u in seeing)}), "
                     f"and {', '.join(u.template_id for u in live)} already run in the SIEM.")  # fmt: skip
    else:
        value = "partial"
        what = "; ".join(f"{u.title} ({u.generated.logic.type.replace('_', ' ')})" for u in seeing)
        ways = "Several ways of it are" if len(behaviours) >= 2 else "One way of it is"
        parts.append(f"{ways} watched on confirmed events: {what}.")
        if not live:
            parts.append("None of these rules runs in the SIEM yet (accepted, not implemented).")
        if len(behaviours) < 2:
            parts.append(
                "Other ways of doing it (below the threshold, through other features) are not watched."
            )
    if blind and seeing:
        parts.append("Not yet seeing it: " + ", ".join(u.template_id for u in blind) + " (events missing).")
    parts.append(scope)
    return Coverage(technique, name, value, " ".join(parts), tuple(u.template_id for u in ucs), tuple(mitre))


def analytics_bundle(
    items: list[tuple[UseCase, RuleSet, LogVocabulary]],
    app: Application,
    organisation: str,
    index: Any,
) -> tuple[dict[str, Any], list[Coverage]]:
    """The STIX 2.1 bundle (a dict) of our analytics and detection strategies, and the coverage per technique."""
    import json

    import stix2

    identity = stix2.v21.Identity(id=stix_id("identity", "organisation", organisation), name=organisation,
                                  identity_class="organization", created=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                                  modified=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))  # fmt: skip
    platform = platform_of(app, index)
    objects: list[dict[str, Any]] = []
    by_technique: dict[str, list[tuple[UseCase, str]]] = {}
    for uc, rs, vocab in items:
        if not uc.attack:
            continue
        created, modified = _ts(uc.created_at), max(_ts(uc.created_at), _ts(uc.updated_at))
        aid = stix_id("x-mitre-analytic", app.slug, uc.template_id)
        eff = uc.effective()
        objects.append({
            "type": "x-mitre-analytic", "spec_version": "2.1", "id": aid, "created": _iso(created),
            "created_by_ref": identity.id,
            "external_references": [{"source_name": "use-case-workshop", "external_id": f"{app.slug}/{uc.template_id}",
                                     "description": f"Sigma rule {rs.rule_id} ({rs.filename})"}],
            "object_marking_refs": [TLP_AMBER], "modified": _iso(modified), "name": uc.title,
            "description": " ".join(x for x in (eff.objective, eff.strategy_abstract) if x).strip() or uc.title,
            "x_mitre_modified_by_ref": identity.id, "x_mitre_version": "1.0",
            "x_mitre_attack_spec_version": ATTACK_SPEC_VERSION, "x_mitre_domains": ["enterprise-attack"],
            "x_mitre_platforms": [platform],
            "x_mitre_log_source_references": log_source_references(uc, vocab, app, index),
            "x_mitre_deprecated": False,
        })  # fmt: skip
        tunable = mutable_elements(uc, rs)
        if tunable:  # as in ATT&CK, an analytic with nothing to tune has no mutable elements
            objects[-1]["x_mitre_mutable_elements"] = tunable
        for ref in uc.attack:
            by_technique.setdefault(ref.technique.upper(), []).append((uc, aid))
    coverages: list[Coverage] = []
    relationships: list[dict[str, Any]] = []
    for tid in sorted(by_technique):
        t = index.technique(tid)
        name = t.name if t is not None else tid
        mitre = [s for s in (t.detection_strategies if t is not None else [])]
        cov = coverage(tid, name, [u for u, _ in by_technique[tid]], app, mitre)
        coverages.append(cov)
        sid = stix_id("x-mitre-detection-strategy", app.slug, tid)
        stamp = _iso(max(_ts(u.updated_at or u.created_at) for u, _ in by_technique[tid]))
        refs = [{"source_name": "use-case-workshop", "external_id": f"{app.slug}/{tid}"}]
        for det in mitre:
            s = index.get(det)
            refs.append({"source_name": "mitre-attack", "external_id": det,
                         "url": getattr(s, "url", "") or f"https://attack.mitre.org/detectionstrategies/{det}",
                         "description": f"MITRE's detection strategy for {tid}: {getattr(s, 'name', det)}"})  # fmt: skip
        objects.append({
            "type": "x-mitre-detection-strategy", "spec_version": "2.1", "id": sid, "created": stamp,
            "created_by_ref": identity.id, "external_references": refs, "object_marking_refs": [TLP_AMBER],
            "modified": stamp, "name": f"{name} in {app.name}", "x_mitre_modified_by_ref": identity.id,
            "x_mitre_version": "1.0", "x_mitre_attack_spec_version": ATTACK_SPEC_VERSION,
            "x_mitre_domains": ["enterprise-attack"], "x_mitre_analytic_refs": [a for _, a in by_technique[tid]],
            "x_mitre_deprecated": False,
            "x_workshop_coverage": {"category": "detect", "value": cov.value, "reason": cov.reason},
        })  # fmt: skip
        target = t.stix_id if t is not None and str(t.stix_id).startswith("attack-pattern--") else None
        if target:
            relationships.append({
                "type": "relationship", "spec_version": "2.1", "id": stix_id("relationship", sid, target),
                "created": stamp, "modified": stamp, "created_by_ref": identity.id, "relationship_type": "detects",
                "source_ref": sid, "target_ref": target, "object_marking_refs": [TLP_AMBER],
                "description": f"{cov.value} coverage: {cov.reason}",
            })  # fmt: skip
    bundle = {
        "type": "bundle",
        "id": stix_id("bundle", "analytics", app.slug),
        "objects": [json.loads(identity.serialize()), *objects, *relationships],
    }
    return bundle, coverages


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def coverage_markdown(app: Application, coverages: list[Coverage]) -> str:
    from workshop.core.render import md_escape, md_table

    rows = [[c.technique, c.name, c.value, c.reason, ", ".join(c.mitre_strategies) or "-"] for c in coverages]
    return "\n".join([
        f"# ATT&CK coverage of {md_escape(app.name, multiline=False)}",
        "",
        "Per technique, in CTID Mappings Explorer's terms (category: detect; value: minimal, partial or "
        "significant), with the reason. It says what this application's detections can see, not how many "
        "rules there are.",
        "",
        md_table(["technique", "name", "coverage", "why", "MITRE detection strategies"], rows),
        "",
    ])  # fmt: skip
