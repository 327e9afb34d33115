"""``workshop export``: every file the toolkit hands to others, written atomically.

Each format is a function registered in :data:`EXPORTERS` that returns the files to
write (name -> text); :func:`export` checks everything first and writes only when
every file was produced, and then writes the set through
:func:`workshop.core.fileio.atomic_write_set` (names checked to stay inside the
folder), so neither a failure nor a kill leaves a half-written export behind. Each
format lives in its own module of this package and registers itself with
:func:`exporter` when the package is imported; adding a format is adding a module
and importing it at the end of this file.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from workshop.core.errors import InputError, WorkshopError
from workshop.core.fileio import atomic_write_set
from workshop.services.attack_data import (  # re-exported: pages and commands import them from here
    attack_index,
    attack_warning,
    bundle_setting,
)
from workshop.services.exports.context import document_context, technique_lookup
from workshop.services.exports.registry import EXPORTERS, ExportRequest, Files, exporter, request_slugs


def export(req: ExportRequest, formats: list[str], out_dir: Path) -> list[Path]:
    unknown = [f for f in formats if f not in EXPORTERS]
    if unknown:
        raise InputError(f"unknown export format(s) {', '.join(unknown)} (known: {', '.join(EXPORTERS)})")
    files: Files = {}
    for fmt in formats:
        files.update(EXPORTERS[fmt](req))
    data = {name: content.encode("utf-8") if isinstance(content, str) else content for name, content in files.items()}
    return atomic_write_set(out_dir, data)  # every file of the set, or none: never part of it


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


# The formats, in the order they are offered; importing a module registers its format.
for _module in ("markdown", "html", "navigator", "backlog"):
    importlib.import_module(f"{__name__}.{_module}")
exporter("all")(everything)
importlib.import_module(f"{__name__}.rules")  # sigma, splunk, kql, esql, lucene, stix

__all__ = [
    "EXPORTERS",
    "ExportRequest",
    "Files",
    "attack_index",
    "attack_warning",
    "document_context",
    "everything",
    "export",
    "exporter",
    "request_slugs",
    "technique_lookup",
]
