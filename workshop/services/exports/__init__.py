"""``workshop export``: every file the toolkit hands to others, written atomically.

Each format is a function registered in :data:`EXPORTERS` that returns the files to
write (name -> text); :func:`export` checks everything first and writes only when
every file was produced, so a failure leaves no half-written export behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workshop.core.errors import InputError, WorkshopError
from workshop.core.fileio import atomic_write_bytes
from workshop.interview.model import AnswerSet
from workshop.questionnaire import Catalogue
from workshop.services.attack_data import attack_index, bundle_setting
from workshop.store import Store
from workshop.usecases.documents import DocumentContext, analyst_brief, application_document, to_html


@dataclass
class ExportRequest:
    store: Store
    questionnaires: Catalogue
    slug: str | None  # None: the whole portfolio
    attack_bundle: str | None = None


Files = dict[str, str | bytes]
EXPORTERS: dict[str, Callable[[ExportRequest], Files]] = {}


def exporter(name: str) -> Callable[[Callable[[ExportRequest], Files]], Callable[[ExportRequest], Files]]:
    def deco(fn: Callable[[ExportRequest], Files]) -> Callable[[ExportRequest], Files]:
        EXPORTERS[name] = fn
        return fn

    return deco


def document_context(
    store: Store, slug: str, questionnaires: Catalogue, bundle: str | None = None
) -> DocumentContext:
    app = store.get_application(slug)
    interview = store.latest_interview(slug)
    values = AnswerSet(store.answers(interview.id)).values if interview else {}
    q = questionnaires.questionnaires.get(interview.questionnaire_id) if interview else None
    lookup, version = technique_lookup(bundle or bundle_setting(store))
    from workshop.services.rules import latest_rule_tests

    return DocumentContext(app, interview, q, values, attack_version=version, lookup=lookup,
                           rule_tests=latest_rule_tests(store, slug))  # fmt: skip


def technique_lookup(bundle: str | None = None):
    """Technique names and tactics for documents: from the bundle the user gave, or the
    newest downloaded one, else the built-in catalogue (never fails for want of data)."""
    index = attack_index(bundle)

    def lookup(tid: str) -> tuple[str, list[str]] | None:
        t = index.technique(tid)
        return (t.name, list(t.tactics)) if t is not None else None

    label = f"{index.meta.domain} {index.meta.version}" if index.meta.version else "built-in catalogue"
    return lookup, label


def request_slugs(req: ExportRequest) -> list[str]:
    """The applications an export covers: the one asked for (checked to exist), else all."""
    if req.slug is not None:
        req.store.get_application(req.slug)
        return [req.slug]
    return [a.slug for a in req.store.list_applications()]


@exporter("markdown")
def markdown_files(req: ExportRequest) -> Files:
    files: Files = {}
    for slug in request_slugs(req):
        ctx = document_context(req.store, slug, req.questionnaires, req.attack_bundle)
        ucs = req.store.list_use_cases(slug)
        files[f"{slug}-use-cases.md"] = application_document(ucs, ctx)
        files[f"{slug}-analyst-brief.md"] = analyst_brief(ucs, ctx)
    return files


@exporter("html")
def html_files(req: ExportRequest) -> Files:
    out: Files = {}
    for name, text in markdown_files(req).items():
        title = name.removesuffix(".md").replace("-", " ")
        one_page = name.endswith("analyst-brief.md")  # one page: no table of contents
        out[name.removesuffix(".md") + ".html"] = to_html(str(text), title, toc=not one_page)
    return out


@exporter("navigator")
def navigator_files(req: ExportRequest) -> Files:
    import json

    from workshop.usecases.coverage import navigator_layer

    index = attack_index(req.attack_bundle or bundle_setting(req.store))
    if req.slug is not None:
        app = req.store.get_application(req.slug)
        layer = navigator_layer(index, req.store.list_use_cases(req.slug), f"{app.name} use cases",
                                f"Use cases of {app.name} mapped to ATT&CK (a guide, not a score).",
                                platforms=app.platforms)  # fmt: skip
        name = f"{req.slug}-navigator.json"
    else:
        layer = navigator_layer(index, req.store.list_use_cases(), "Portfolio use cases",
                                "Use cases of every in-house application mapped to ATT&CK.", with_app=True)  # fmt: skip
        name = "portfolio-navigator.json"
    return {name: json.dumps(layer, indent=2, ensure_ascii=False) + "\n"}


def export(req: ExportRequest, formats: list[str], out_dir: Path) -> list[Path]:
    unknown = [f for f in formats if f not in EXPORTERS]
    if unknown:
        raise InputError(f"unknown export format(s) {', '.join(unknown)} (known: {', '.join(EXPORTERS)})")
    files: Files = {}
    for fmt in formats:
        files.update(EXPORTERS[fmt](req))
    written = []
    for name, content in files.items():
        path = out_dir / name
        atomic_write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content)
        written.append(path)
    return written


@exporter("csv")
def backlog_csv(req: ExportRequest) -> Files:
    """The use-case backlog for a ticket tracker, safe against spreadsheet formula injection."""
    from workshop.core.csvsafe import to_csv

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


@exporter("all")
def everything(req: ExportRequest) -> Files:
    """One zip with every export and a manifest naming the tool and ATT&CK versions."""
    import io
    import json
    import zipfile

    from workshop import __version__
    from workshop.interview.model import utcnow

    files: Files = {}
    problems: dict[str, str] = {}
    for fmt, fn in EXPORTERS.items():
        if fmt == "all":
            continue
        try:
            files.update(fn(req))
        except WorkshopError as exc:  # one format failing must not hide the others; the manifest says why
            problems[fmt] = str(exc)
    index = attack_index(req.attack_bundle or bundle_setting(req.store))
    manifest = {
        "tool": "use-case-workshop",
        "tool_version": __version__,
        "created": utcnow().isoformat(),
        "scope": req.slug or "portfolio",
        "attack": {"domain": index.meta.domain, "version": index.meta.version, "source": index.meta.source},
        "files": sorted(files),
        "problems": problems,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in sorted(files.items()):
            zf.writestr(name, content)
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    return {f"{req.slug or 'portfolio'}-workshop-export.zip": buf.getvalue()}


from workshop.services.exports import rules as _rule_exports  # noqa: E402,F401  (registers sigma, splunk, kql, esql, lucene, stix)
