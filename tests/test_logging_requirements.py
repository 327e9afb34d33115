"""Logging requirements for developers (issue 19): every event a blocked or assumed rule needs,
nothing the application already logs with the right fields; documents escaped, tickets guarded.

The checks read the demo's answers and its kept sample directly (the CSV header, the interview's
event names and field roles), not through the module under test."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.interview.facts import Facts, Q
from workshop.interview.model import AnswerSet
from workshop.usecases.events import EVENTS
from workshop.usecases.logging_requirements import (
    FIELD_STANDARDS,
    OWASP_VOCABULARY,
    TICKET_COLUMNS,
    render,
)
from workshop.vocab import LOG_ROLES, Status

SLUG = "payroll-portal"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reqs(demo_store):
    from workshop.services.logging_requirements import requirements_for

    return requirements_for(demo_store, SLUG)


def _answers(store) -> dict:
    interview = store.latest_interview(SLUG)
    return AnswerSet(store.answers(interview.id)).values


def _sample_header(store) -> set[str]:
    path = next(b.sample_path for b in store.list_baselines(SLUG) if b.sample_path)
    with open(path, encoding="utf-8", newline="") as fh:
        return set(next(csv.reader(fh)))


def test_every_event_a_blocked_or_assumed_rule_needs_is_required(demo_store, reqs) -> None:
    """An event the interview says is not logged, or whose name the rules assume, is a requirement."""
    answers = _answers(demo_store)
    named_events = {r["event"] for r in answers[Q.LOG_EVENT_NAMES]}
    logged_kinds = set(answers[Q.LOG_EVENTS])
    expected = set()
    for uc in demo_store.list_use_cases(SLUG):
        if uc.status in (Status.REJECTED, Status.RETIRED):
            continue
        for ref in uc.generated.events:
            if ref.event == "any_event":
                continue
            if ref.event not in named_events or EVENTS[ref.event].logged_as not in logged_kinds:
                expected.add(ref.event)
    assert {"mfa_change", "password_reset", "payment_created"} <= expected  # the demo's gaps
    required = {e.event for e in reqs.requirements}
    assert expected <= required
    for e in reqs.requirements:  # each names the use cases it blocks
        assert e.needs and all(n.use_case for n in e.needs)


def test_nothing_already_logged_with_the_right_fields_is_required(demo_store, reqs) -> None:
    """A requirement has a gap a reader can check against the answers and the sample's columns;
    an event logged under a confirmed name with every field in the sample is not a requirement."""
    answers = _answers(demo_store)
    named_events = {r["event"] for r in answers[Q.LOG_EVENT_NAMES]}
    logged_kinds = set(answers[Q.LOG_EVENTS])
    fields_by_role = {r["role"]: r["field"] for r in answers[Q.LOG_FIELDS]}
    header = _sample_header(demo_store)

    def complete(event_id: str, roles: set[str]) -> bool:
        return (
            EVENTS[event_id].logged_as in logged_kinds
            and event_id in named_events
            and all(role in fields_by_role and fields_by_role[role] in header for role in roles)
        )

    assert reqs.satisfied, "the demo logs most events correctly"
    for e in reqs.events:
        roles = {f.role for f in e.fields}
        assert e.needs_work == (not complete(e.event, roles)), (e.event, e.gaps)
    # the demo's logins are logged as the rules need them: no ticket for them
    assert {"authn_success", "authn_failure"} <= {e.event for e in reqs.satisfied}
    # the interview names target_employee_id for the object, but the kept sample has no such column
    assert "target_employee_id" not in header
    viewed = next(e for e in reqs.events if e.event == "record_view")
    assert [g.kind for g in viewed.gaps] == ["field_not_in_sample"]


def test_names_fields_and_standards(reqs) -> None:
    for e in reqs.events:
        assert not e.owasp or e.owasp in OWASP_VOCABULARY  # only OWASP's own names
        assert e.asvs and all(a.startswith("16.") for a in e.asvs)
        assert {"timestamp", "action"} <= {f.role for f in e.fields}
    assert set(FIELD_STANDARDS) == set(
        LOG_ROLES
    )  # every role, incl. amount, report, target_user, bank_account
    mfa = next(e for e in reqs.events if e.event == "mfa_change")
    assert mfa.owasp == ""  # "authn_mfa_change" is not in the OWASP vocabulary
    login = next(e for e in reqs.events if e.event == "authn_failure")
    assert login.owasp == "authn_login_fail" and login.action == "auth.login"
    assert {a for a, _ in reqs.general} >= {"16.1.1", "16.2.2", "16.4.2"}


def test_acceptance_event_is_the_rules_own_true_positive(reqs) -> None:
    """The example line is JSON (the demo's format) and its action is what the rule selects."""
    for e in reqs.requirements:
        line = json.loads(e.example_line)
        assert line["action"] == e.action
        assert set(line) >= {f.name for f in e.fields if f.role in ("timestamp", "action", "user")}


def test_worries_explain_the_payee_change(reqs) -> None:
    payee = next(e for e in reqs.events if e.event == "payee_change")
    assert any("bank details" in w for w in payee.worries)


def test_documents_escape_and_tickets_are_guarded(demo_store) -> None:
    from workshop.services.logging_requirements import requirements_for

    interview = demo_store.latest_interview(SLUG)
    demo_store.save_answer(interview.id, Q.WORRIES, "<script>alert(1)</script> =HYPERLINK(x) bank details")
    reqs = requirements_for(demo_store, SLUG)
    page = render(reqs, "html")
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    rows = list(csv.DictReader(io.StringIO(render(reqs, "csv"))))
    assert rows and list(rows[0]) == list(TICKET_COLUMNS)
    assert len(rows) == len(reqs.requirements)
    assert all(not r["Description"].startswith("=") for r in rows)
    data = json.loads(render(reqs, "json"))
    assert len(data["tickets"]) == len(data["requirements"]) == len(rows)
    assert {t["Summary"] for t in data["tickets"]} == {r["Summary"] for r in rows}


def test_facts_read_the_concerns() -> None:
    facts = Facts.of({Q.WORRIES: "money", Q.FRAUD_SCENARIOS: " ", Q.PAST_INCIDENTS: "a theft"})
    assert [q for q, _ in facts.concerns] == [Q.WORRIES, Q.PAST_INCIDENTS]


def test_cli_writes_document_and_tickets(demo_workspace: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKSHOP_HOME": str(demo_workspace)}
    out = tmp_path / "tickets.csv"
    run = subprocess.run(
        [sys.executable, "-m", "workshop", "logging", "requirements", SLUG, "--format", "csv", "-o", str(out)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    summaries = [r["Summary"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert any("MFA" in s for s in summaries)
    md = subprocess.run([sys.executable, "-m", "workshop", "logging", "requirements", SLUG],
                        capture_output=True, text=True, env=env, cwd=tmp_path, check=False)  # fmt: skip
    assert md.returncode == 0 and md.stdout.startswith("# Logging requirements: Payroll Portal")
    bad = subprocess.run([sys.executable, "-m", "workshop", "logging", "requirements", "no-such-app"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, check=False)  # fmt: skip
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_handoffs_page_shows_the_requirements_and_offers_the_downloads(
    demo_workspace: Path, open_page
) -> None:
    at = open_page("workshop/ui/pages/handoffs.py")
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Events to add or complete"]) >= 3 and int(metrics["Already logged as needed"]) >= 1
    table = at.table[0].value  # a table of whole cells, not a grid that cuts them (issue 18)
    assert "MFA enrolled, changed or reset" in set(table["Event"])
    assert "-" not in set(table["OWASP"])  # table cells are Markdown: a lone dash is drawn as a bullet
    assert "authn_login_success" not in set(table["OWASP"])  # logins are logged as needed: no ticket
    frames = at.get("iframe")  # the document, in a frame (st.iframe; components.html is deprecated)
    assert frames and "MFA enrolled, changed or reset" in frames[0].proto.srcdoc
