"""The one way text a person (or a file) supplied enters a Streamlit element that renders Markdown.

Streamlit renders titles, captions, messages, expander and widget labels as GitHub
Markdown: ``![x](http://host/p.png)`` would load a remote image when the page is
viewed, ``[x](http://...)`` or a bare ``http://...`` would become a link, ``$...$``
LaTeX and ``:red[...]`` colour directives. :func:`md` makes such text inert: the
document escaper (:func:`workshop.core.render.md_escape`) plus what is special to
Streamlit's renderer (``$``, ``:``, and an invisible word joiner inside what would
start an autolink: ``http://``, ``www.``, ``@``). Every f-string that puts application names, answers, file content or
bundle names into a Markdown-rendering element wraps them in ``md(...)``.
"""

from __future__ import annotations

import re

from workshop.core.render import md_escape

# GitHub-flavoured Markdown turns "www.", "http://" and "a@b.c" in text into links by
# themselves, matching the decoded text (so an entity does not stop it); an invisible
# WORD JOINER (U+2060) inside the trigger does, and shows nothing.
_WJ = "\u2060"
_AUTOLINK_WWW = re.compile(r"(?i)(www)\.")


def md(text: object) -> str:
    """``text`` as inert Markdown on one line: shown exactly, never a link, image, formula or colour."""
    s = md_escape(text, multiline=False)
    s = s.replace("$", "\\$").replace(":", "&#58;").replace("@", _WJ + "&#64;")
    s = s.replace("&#58;//", "&#58;" + _WJ + "//")
    return _AUTOLINK_WWW.sub(r"\1" + _WJ + ".", s)


def md_block(text: object) -> str:
    """Like :func:`md` for text of several lines (kept as line breaks)."""
    return "  \n".join(md(line) for line in str("" if text is None else text).splitlines()) or ""
