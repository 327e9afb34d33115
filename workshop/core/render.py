"""Markdown and HTML output that never turns what a person typed into live markup.

Documents mix our own structure (headings, tables) with text people typed in a
workshop. Everything a person typed goes through :func:`md_escape` (or
:func:`md_cell` inside tables) before it enters the Markdown source: HTML special
characters become entities and Markdown punctuation is backslash-escaped, so
``<script>`` stays text and ``[x](javascript:...)`` never becomes a link. The
Markdown is then rendered with the ``markdown`` package into one self-contained,
printable HTML page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import markdown

# Characters Python-Markdown accepts a backslash escape for; '~' and '=' are not among
# them ("\~" would print the backslash), so those become HTML entities instead.
# Only what starts Markdown syntax anywhere in a line; "(" "!" and friends only matter next to "["
# (escaped), and "#", "+", "-", "=", "1." only at the start of a line (handled below).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|])")


def md_escape(text: object, multiline: bool = True) -> str:
    """Escape text a person typed for use inside Markdown."""
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = html.escape(s, quote=False)
    if s.count("~") > 1:  # strikethrough needs a pair ("~400" alone stays readable in the .md file)
        s = s.replace("~", "&#126;")
    # a line starting with "1." or "-" would become a list, "===" a heading; escape the marker
    s = re.sub(r"(?m)^(\s*)(\d+)\.", r"\1\2\\.", s)
    s = re.sub(
        r"(?m)^(\s*)([-=+#]+)",
        lambda m: (
            m.group(1) + "".join({"-": "\\-", "+": "\\+", "#": "\\#"}.get(c, "&#61;") for c in m.group(2))
        ),
        s,
    )
    if multiline:
        return s.replace("\n", "  \n")
    return " ".join(s.split("\n"))


def md_cell(text: object) -> str:
    """Escape text for a Markdown table cell (no line breaks, no bare pipes)."""
    s = md_escape(text, multiline=False)
    return s.strip() or " "


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; headers are ours, cells are escaped."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


STYLE = """
:root { --ink: #1d2433; --muted: #5b6577; --line: #d7dce5; --accent: #1f5fbf; }
* { box-sizing: border-box; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 58rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.8rem; border-bottom: 3px solid var(--accent); padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid var(--line); padding: .35rem .55rem; text-align: left; vertical-align: top; }
th { background: #f1f4f9; }
code { background: #f1f4f9; padding: .05rem .3rem; border-radius: 3px; }
pre { background: #f1f4f9; padding: .8rem; overflow-x: auto; }
.toc { background: #f7f9fc; border: 1px solid var(--line); padding: .6rem 1.2rem; margin: 1rem 0 2rem; }
.toc ul { margin: .2rem 0; padding-left: 1.2rem; }
.meta { color: var(--muted); font-size: .9rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { page-break-after: avoid; }
  table, tr { page-break-inside: avoid; }
  .toc { page-break-after: always; }
  a { color: inherit; text-decoration: none; }
}
"""


def markdown_fragment(source: str) -> str:
    """Markdown an author wrote (a questionnaire's notes) as an HTML fragment, its raw HTML as text.

    For a page that shows many short notes as HTML rather than through the browser's Markdown
    renderer; the formatting the author meant is kept, markup in the text is not."""
    return markdown.markdown(html.escape(source, quote=False), extensions=["sane_lists"], output_format="html")


def markdown_to_html(source: str, title: str, toc: bool = True) -> str:
    """Render our Markdown into one self-contained printable HTML page."""
    md = markdown.Markdown(
        extensions=["tables", "toc", "sane_lists", "attr_list"],
        extension_configs={"toc": {"toc_depth": "2-2", "title": "Contents"}},
        output_format="html",
    )
    body = md.convert(source)
    toc_html = f"<nav>{getattr(md, 'toc', '')}</nav>" if toc and getattr(md, "toc_tokens", None) else ""
    if toc_html and "</h1>" in body:  # the contents go under the document's title
        head, rest = body.split("</h1>", 1)
        body = f"{head}</h1>\n{toc_html}{rest}"
        toc_html = ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{toc_html}\n{body}\n</body>\n</html>\n"
    )
