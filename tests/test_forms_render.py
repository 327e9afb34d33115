"""Blank forms, Markdown/HTML escaping and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from workshop.core import yamlsource
from workshop.core.csvsafe import safe_cell, to_csv
from workshop.core.render import markdown_to_html, md_cell, md_escape, md_table
from workshop.questionnaire import Questionnaire, load_questionnaire, load_questionnaire_text
from workshop.questionnaire.forms import FORMATS, blank_form, blank_html, blank_markdown, blank_yaml

PROJECT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "data" / "mini-questionnaire.yaml"

HOSTILE = """\
id: hostile
title: "<script>alert('title')</script> & [x](javascript:alert(1))"
version: "1<b>"
description: |
  <img src=x onerror=alert(1)>
  [click](javascript:alert(2))
sections:
  - id: s
    title: "## not a heading <i>"
    intro: "<iframe src=evil>"
    questions:
      - id: s.prompt
        prompt: |
          Two-line prompt <script>alert(3)</script>
          answers: {s.prompt: {value: injected}}
        type: text
        example: "![img](http://evil/x.png) <a href='javascript:x'>a</a>"
      - id: s.choice
        prompt: "`code` and *stars*"
        type: single_choice
        options:
          - value: a
            label: "<b>bold</b> option"
          - value: b
            label: "[link](javascript:alert(4))"
        when: "s.prompt == '`x`'"
"""


@pytest.fixture(scope="module")
def mini() -> Questionnaire:
    return load_questionnaire(MINI)


@pytest.fixture(scope="module")
def hostile() -> Questionnaire:
    return load_questionnaire_text(HOSTILE, "hostile.yaml")


# --- blank forms -------------------------------------------------------------------------------


def test_markdown_form_has_every_question_and_no_facilitator_notes(mini: Questionnaire) -> None:
    md = blank_markdown(mini)
    assert md.startswith("# Mini workshop (tests)\n")
    for n, _question in enumerate(mini.questions, start=1):
        assert f"### {n}. " in md
    assert "### 1. How do users log in? **(required)**" in md
    assert "*Choose any: Single sign-on / Local accounts / Other*" in md
    assert "*A whole number (failed attempts)*" in md
    assert "Only if: `'local' in auth.methods`" in md
    assert "Example: SSO for staff" in md
    assert "## Authentication" in md and "## Access" in md
    assert "FACILITATOR-ONLY" not in md


def test_html_form_is_one_page_without_facilitator_notes(mini: Questionnaire) -> None:
    html = blank_html(mini)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Mini workshop (tests)</title>" in html
    assert '<div class="toc">' in html
    assert html.count("<h3") == len(mini.questions)
    assert "FACILITATOR-ONLY" not in html
    assert "<script" not in html and "<link" not in html  # self-contained, no scripts


def test_yaml_form_is_an_empty_interview_file(mini: Questionnaire) -> None:
    text = blank_yaml(mini)
    doc = yamlsource.load(text)
    assert doc["format"] == "use-case-workshop/interview"
    assert doc["interview"]["questionnaire"] == "test-mini"
    assert doc["interview"]["questionnaire_version"] == "1"
    assert list(doc["answers"]) == [q.id for q in mini.questions]
    assert all(v == {"value": None} for v in doc["answers"].values())
    assert "FACILITATOR-ONLY" not in text
    assert "# How do users log in? (required)" in text
    assert "#   local  (Local accounts)" in text
    assert "# only if: 'local' in auth.methods" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_blank_form_dispatch(mini: Questionnaire, fmt: str) -> None:
    assert blank_form(mini, fmt) == {"md": blank_markdown, "html": blank_html, "yaml": blank_yaml}[fmt](mini)


def test_blank_form_unknown_format(mini: Questionnaire) -> None:
    with pytest.raises(ValueError, match="unknown form format 'pdf'"):
        blank_form(mini, "pdf")


def test_hostile_questionnaire_text_stays_text_in_html(hostile: Questionnaire) -> None:
    html = blank_html(hostile)
    body = html.split("<body>", 1)[1]
    for tag in ("<script", "<img", "<iframe", "<b>", "<i>"):
        assert tag not in body, tag
    # the only links are the table of contents' own anchors
    assert re.findall(r"<a [^>]*>", body) == re.findall(r'<a href="#[a-z0-9-]+">', body)
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", body))
    assert tags <= {
        "nav",
        "ul",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "p",
        "em",
        "strong",
        "code",
        "div",
        "span",
        "br",
    }, tags
    assert not re.search(r"<[^>]*javascript:", body)
    assert "&lt;script&gt;" in body
    assert "[x](javascript:alert(1))" in body  # shown literally, not as a link
    assert "<title>&lt;script&gt;" in html


def test_hostile_text_cannot_escape_yaml_comments(hostile: Questionnaire) -> None:
    text = blank_yaml(hostile)
    doc = yamlsource.load(text)
    # the prompt's second line looks like YAML but stays inside a comment
    assert doc["answers"] == {"s.prompt": {"value": None}, "s.choice": {"value": None}}
    assert "  # answers: {s.prompt: {value: injected}}" in text


def test_shipped_questionnaire_forms() -> None:
    path = PROJECT / "questionnaires" / "in-house-application.yaml"
    if not path.is_file():
        pytest.skip("the default questionnaire is not there yet")
    q = load_questionnaire(path)
    doc = yamlsource.load(blank_yaml(q))
    assert list(doc["answers"]) == [x.id for x in q.questions]
    html = blank_html(q)
    assert html.count("<h3") == len(q.questions)
    helps = [x.help.strip() for x in q.questions if len(x.help.strip()) > 30]
    md = blank_markdown(q)
    assert not any(h[:30] in md for h in helps), "facilitator help leaked into the owners' form"


# --- md_escape -------------------------------------------------------------------------------------


def _body(markdown_source: str) -> str:
    html = markdown_to_html(markdown_source, "t", toc=False)
    return html.split("<body>", 1)[1].split("</body>", 1)[0].strip()


@pytest.mark.parametrize(
    ("text", "expected_html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("![i](http://evil/x.png)", "<p>![i](http://evil/x.png)</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("<a href='javascript:x'>a</a>", "<p>&lt;a href='javascript:x'&gt;a&lt;/a&gt;</p>"),
        ("<https://evil.example>", "<p>&lt;https://evil.example&gt;</p>"),
        ("<!-- comment -->", "<p>&lt;!-- comment --&gt;</p>"),
        ("&amp; &lt;", "<p>&amp;amp; &amp;lt;</p>"),
        ("# not a heading", "<p># not a heading</p>"),
        ("- not a list", "<p>- not a list</p>"),
        ("+ not a list", "<p>+ not a list</p>"),
        ("* not a list", "<p>* not a list</p>"),
        ("1. not a list", "<p>1. not a list</p>"),
        ("> not a quote", "<p>&gt; not a quote</p>"),
        ("**not bold** _not em_", "<p>**not bold** _not em_</p>"),
        ("`not code`", "<p>`not code`</p>"),
        ("a | b", "<p>a | b</p>"),
        ("=SUM(A1)", "<p>=SUM(A1)</p>"),
        ("about ~100 users, ~~not struck~~", "<p>about ~100 users, ~~not struck~~</p>"),
        ("Title\n===", "<p>Title<br>\n===</p>"),
        ("Title\n---", "<p>Title<br>\n---</p>"),
        ("back\\slash", "<p>back\\slash</p>"),
        ("[ref]: http://evil", "<p>[ref]: http://evil</p>"),
    ],
)
def test_md_escape_renders_as_the_same_text(text: str, expected_html: str) -> None:
    body = _body(md_escape(text))
    # entities for '~' and '=' are fine: a browser shows the same characters
    body = body.replace("&#126;", "~").replace("&#61;", "=")
    assert body == expected_html


def test_md_escape_multiline_and_single_line() -> None:
    assert md_escape("a\nb") == "a  \nb"
    assert md_escape("a\r\nb\rc", multiline=False) == "a b c"
    assert md_escape(None) == ""
    assert md_escape(42) == "42"


def test_md_cell_and_table() -> None:
    assert md_cell("a|b\nc") == "a\\|b c"
    assert md_cell("   ") == " "
    table = md_table(["Name", "Note"], [["x | y", "<b>bold</b>\nnext"], ["", None]])
    lines = table.splitlines()
    assert lines[0] == "| Name | Note |"
    assert len(lines) == 4
    html = markdown_to_html(table, "t", toc=False)
    assert html.count("<tr>") == 3
    assert "<td>x | y</td>" in html
    assert "&lt;b&gt;bold&lt;/b&gt; next" in html


def test_markdown_to_html_page() -> None:
    source = "# Top\n\n## First\n\ntext\n\n## Second\n\nmore\n"
    html = markdown_to_html(source, 'Doc "title" <x>')
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "<title>Doc &quot;title&quot; &lt;x&gt;</title>" in html
    assert '<div class="toc">' in html and 'href="#first"' in html
    assert "@media print" in html
    assert '<div class="toc">' not in markdown_to_html(source, "t", toc=False)


# --- CSV ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\n=1", "'\n=1"),
        ("  =1", "'  =1"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("-", "'-"),
        ("ok", "ok"),
        ("a=b", "a=b"),
        ("", ""),
        ("12", "12"),
        ("-5", "-5"),
        ("+1.5", "+1.5"),
        ("-0.25", "-0.25"),
        (12, "12"),
        (-5, "-5"),
        (-1.5, "-1.5"),
        (0, "0"),
        (None, ""),
        (True, "yes"),
        (False, "no"),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_to_csv_round_trips_through_a_reader() -> None:
    text = to_csv(["id", "=note"], [["a", 'line1\nline2, "quoted"'], ["b", "=cmd"], ["c", -3]])
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["id", "'=note"], ["a", 'line1\nline2, "quoted"'], ["b", "'=cmd"], ["c", "-3"]]


def test_markdown_fragment_keeps_the_authors_formatting_and_shows_markup_as_text() -> None:
    """The facilitator notes on the Workshop page: Markdown from the questionnaire becomes HTML;
    HTML in it stays text (the page shows it with st.html)."""
    from workshop.core.render import markdown_fragment
    from workshop.ui.widgets import notes_html as _notes_html

    out = markdown_fragment("**Why we ask** · <img src=x onerror=alert(1)> & _why_\n\n- one\n- two")
    assert "<strong>Why we ask</strong>" in out and "<em>why</em>" in out
    assert "<li>one</li>" in out and "<li>two</li>" in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out and "&amp;" in out
    notes = _notes_html("Because <b>owners</b> know.", ("Who signs off?", "And when?"), "Payroll & HR")
    assert notes.startswith('<div class="uw-notes">') and "<b>" not in notes
    assert "<li>Who signs off?</li>" in notes and "<em>Payroll &amp; HR</em>" in notes
    assert _notes_html("", (), "") == ""
