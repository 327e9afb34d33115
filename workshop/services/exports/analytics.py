"""``analytics``: each mapped use case as an ATT&CK v18 analytic, and coverage per technique.

A STIX 2.1 bundle of ``x-mitre-analytic`` objects (with log source references and mutable
elements filled from the rules and their baselines) and one ``x-mitre-detection-strategy``
per technique that ``detects`` it, and the coverage per technique as Markdown and JSON.
Only use cases someone decided to build (accepted, implemented, tested) are exported.
"""

from __future__ import annotations

import json

from workshop.services.exports.registry import ExportRequest, Files, exporter, request_slugs


@exporter("analytics")
def analytics_files(req: ExportRequest) -> Files:
    from workshop.rules.analytics import analytics_bundle, coverage_markdown
    from workshop.rules.build import vocabulary_of
    from workshop.services.attack_data import attack_index, bundle_setting, organisation_setting
    from workshop.services.rules import DEFAULT_STATUSES, build_rule_sets, rule_context

    index = attack_index(req.attack_bundle or bundle_setting(req.store))
    files: Files = {}
    for slug in request_slugs(req):
        app = req.store.get_application(slug)
        ctx = rule_context(req.store, slug, req.attack_bundle)
        ucs = {u.template_id: u for u in req.store.list_use_cases(slug, DEFAULT_STATUSES) if u.applies}
        sets = build_rule_sets(req.store, slug, ctx=ctx)
        items = [
            (ucs[rs.use_case], rs, vocabulary_of(ucs[rs.use_case], ctx)) for rs in sets if rs.use_case in ucs
        ]
        bundle, coverages = analytics_bundle(items, app, organisation_setting(req.store), index)
        files[f"{slug}-analytics.stix.json"] = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        files[f"{slug}-attack-coverage.md"] = coverage_markdown(app, coverages)
        files[f"{slug}-attack-coverage.json"] = json.dumps(
            {"application": slug, "attack": f"{index.meta.domain} {index.meta.version}".strip(),
             "coverage": [c.to_dict() for c in coverages]}, indent=2, ensure_ascii=False) + "\n"  # fmt: skip
    return files
