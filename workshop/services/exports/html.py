"""The Markdown documents as standalone HTML pages."""

from __future__ import annotations

from workshop.services.exports.markdown import markdown_files
from workshop.services.exports.registry import ExportRequest, Files, exporter
from workshop.usecases.documents import to_html


@exporter("html")
def html_files(req: ExportRequest) -> Files:
    out: Files = {}
    for name, text in markdown_files(req).items():
        title = name.removesuffix(".md").replace("-", " ")
        one_page = name.endswith("analyst-brief.md")  # one page: no table of contents
        out[name.removesuffix(".md") + ".html"] = to_html(str(text), title, toc=not one_page)
    return out
