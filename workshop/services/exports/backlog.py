"""The use-case backlog as CSV for a ticket tracker."""

from __future__ import annotations

from workshop.core.csvsafe import to_csv
from workshop.services.exports.registry import ExportRequest, Files, exporter, request_slugs


@exporter("csv")
def backlog_csv(req: ExportRequest) -> Files:
    """The use-case backlog for a ticket tracker, safe against spreadsheet formula injection."""
    rows = []
    for slug in request_slugs(req):
        app = req.store.get_application(slug)
        for uc in req.store.list_use_cases(slug):
            rows.append([uc.template_id, uc.title, app.name, slug, uc.priority, uc.status, uc.owner or app.owner,
                         " ".join(a.technique for a in uc.attack),
                         uc.updated_at.date().isoformat() if uc.updated_at else ""])  # fmt: skip
    header = [
        "id",
        "title",
        "application",
        "application_slug",
        "priority",
        "status",
        "owner",
        "attack",
        "updated",
    ]
    name = f"{req.slug}-backlog.csv" if req.slug else "portfolio-backlog.csv"
    return {name: to_csv(header, rows)}
