"""Markdown documents: each application's use-case document and its analyst brief."""

from __future__ import annotations

from workshop.services.exports.context import document_context
from workshop.services.exports.registry import ExportRequest, Files, exporter, request_slugs
from workshop.usecases.documents import analyst_brief, application_document


@exporter("markdown")
def markdown_files(req: ExportRequest) -> Files:
    files: Files = {}
    for slug in request_slugs(req):
        ctx = document_context(req.store, slug, req.questionnaires, req.attack_bundle, pivots=True)
        ucs = req.store.list_use_cases(slug)
        files[f"{slug}-use-cases.md"] = application_document(ucs, ctx)
        files[f"{slug}-analyst-brief.md"] = analyst_brief(ucs, ctx)
    return files
