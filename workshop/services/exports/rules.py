"""Export formats for rule drafts, registered with :func:`workshop.services.exports.exporter`.

* ``sigma``: one ``.yml`` per use case in ``sigma/<app>/`` (the outer rule first, then
  the rules it uses), named as the Sigma specification asks, and ``sigma/<app>-readiness.json``:
  each file's readiness, so a blocked rule (one that cannot fire on the log yet) is never
  deployed as if it watched anything;
* ``splunk``, ``kql``, ``esql``, ``lucene``: one file per SIEM and application with every
  query and, above each, the plain notes on what the query does not do itself;
* ``stix``: a STIX 2.1 bundle of Indicators (``pattern_type: sigma``).

Only use cases in the statuses :data:`workshop.services.rules.DEFAULT_STATUSES` (accepted,
implemented, tested) are exported: proposed and rejected ones are not rule drafts yet.
"""

from __future__ import annotations

import json

from workshop.rules.convert import EXTENSIONS, export_text
from workshop.services.exports.registry import ExportRequest, Files, exporter, request_slugs
from workshop.services.rules import (
    build_rule_sets,
    convert_application,
    pipeline_for,
    rule_context,
    stix_bundle,
)


@exporter("sigma")
def sigma_files(req: ExportRequest) -> Files:
    files: Files = {}
    for slug in request_slugs(req):
        sets = build_rule_sets(req.store, slug, bundle=req.attack_bundle)
        for rs in sets:
            files[f"sigma/{slug}/{rs.filename}"] = rs.yaml()
        manifest = [{"file": rs.filename, "use_case": rs.use_case, "rule_id": rs.rule_id} | rs.readiness.to_dict()
                    for rs in sets]  # fmt: skip
        files[f"sigma/{slug}-readiness.json"] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return files


def _siem_files(req: ExportRequest, siem: str) -> Files:
    files: Files = {}
    for slug in request_slugs(req):
        ctx = rule_context(req.store, slug, req.attack_bundle)
        sets = build_rule_sets(req.store, slug, ctx=ctx)
        converted = convert_application(req.store, slug, siem, rule_sets=sets, ctx=ctx)
        pipeline = pipeline_for(req.store, slug, siem, ctx)
        files[f"{siem}/{slug}.{EXTENSIONS[siem]}"] = export_text(ctx.app.name, siem, converted, pipeline)
    return files


@exporter("splunk")
def splunk_files(req: ExportRequest) -> Files:
    return _siem_files(req, "splunk")


@exporter("kql")
def kql_files(req: ExportRequest) -> Files:
    return _siem_files(req, "kql")


@exporter("esql")
def esql_files(req: ExportRequest) -> Files:
    return _siem_files(req, "esql")


@exporter("lucene")
def lucene_files(req: ExportRequest) -> Files:
    return _siem_files(req, "lucene")


@exporter("stix")
def stix_files(req: ExportRequest) -> Files:
    slugs = request_slugs(req)
    name = f"{req.slug}-rules.stix.json" if req.slug is not None else "portfolio-rules.stix.json"
    data = stix_bundle(req.store, slugs, bundle=req.attack_bundle)
    return {name: json.dumps(data, indent=2, ensure_ascii=False) + "\n"}
