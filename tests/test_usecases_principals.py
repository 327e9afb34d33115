"""Principals, not only people (issue 16): a service only machines use gets use cases that
watch its keys and jobs, with the field and event names from its own answers, and none of the
templates or texts written for people; people-facing applications keep theirs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.api_service import API_VALUES
from tests.support.sigma_cases import catalogues, tactics_of
from workshop.core.errors import WorkshopError
from workshop.interview.facts import Facts
from workshop.interview.model import Answer, Application
from workshop.rules.model import RuleContext
from workshop.rules.sigma import build_rule_set
from workshop.rules.testing import test_rule_set
from workshop.services.usecases import answer_ids
from workshop.usecases.events import EVENTS
from workshop.usecases.generate import Inputs, generate_all
from workshop.usecases.loader import load_template
from workshop.usecases.model import UseCase

API_FAMILY = {
    "api-key-outside-schedule", "api-invalid-key-attempts", "api-scope-denials", "api-volume-above-normal",
    "scheduled-job-missing", "file-changed-before-sending", "token-reuse", "rate-limit-exceeded",
}  # fmt: skip
#: Phrases that only make sense where people log in (what issue 16 found in the API's documents).
HUMAN_PHRASES = re.compile(
    r"a person at the login page|ask the user|the user denies|login page|on a known number|departing employee",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def questionnaires():
    return catalogues()[0]


@pytest.fixture(scope="module")
def catalogue():
    return catalogues()[1]


@pytest.fixture(scope="module")
def api_inputs(questionnaires) -> Inputs:
    answers = {k: Answer(k, v) for k, v in API_VALUES.items()}
    return Inputs(Application("ledger-api", "Ledger API", criticality="high"), answers,
                  questionnaires.get("internal-api-batch"))  # fmt: skip


@pytest.fixture(scope="module")
def api_docs(catalogue, api_inputs):
    return {tid: d for tid, d in generate_all(catalogue, api_inputs).items() if d is not None}


def test_principals_come_from_the_answers():
    assert Facts.of(API_VALUES).principals == ["machines"]
    assert Facts.of({"users.total_count": 40}).principals == ["humans"]
    both = Facts.of({"users.populations": ["employees"], "service.accounts": [{"name": "svc-a"}]})
    assert both.principals == ["humans", "machines"]
    # an API whose owners say people use its console as well
    assert Facts.of({**API_VALUES, "users.human_access": True}).principals == ["humans", "machines"]
    # nothing said: people are not ruled out (a use case about them stays proposed)
    assert Facts.of({}).has_humans is None and Facts.of({}).principals == ["humans"]


def test_the_api_service_gets_use_cases_that_watch_its_keys_and_jobs(api_docs):
    assert set(api_docs) >= API_FAMILY
    people_only = {"brute-force-login", "password-spraying", "login-outside-business-hours", "leaver-account-used",
                   "dormant-account-login", "self-approval", "service-account-interactive-login",
                   "bulk-record-viewing", "session-reuse", "vip-record-viewed"}  # fmt: skip
    assert not people_only & set(api_docs)


def test_no_text_of_the_api_service_is_written_for_people(api_docs):
    for tid, doc in api_docs.items():
        eff = UseCase("ledger-api", tid, generated=doc).effective()
        for text in [
            eff.title,
            eff.objective,
            *eff.false_positives,
            *eff.blind_spots,
            *eff.response,
            *eff.validation,
        ]:
            assert not HUMAN_PHRASES.search(text), f"{tid}: {text}"


def test_the_keys_are_watched_not_excluded(api_docs):
    for tid, doc in api_docs.items():
        assert "Known service accounts" not in doc.strategy_abstract, tid
        assert "service_accounts" not in doc.logic.exclude, tid
    schedule = api_docs["api-key-outside-schedule"].parameters
    assert schedule["api_clients"].value == ["gl-post", "gl-extract", "ap-post", "ar-post", "fx-feed",
                                             "bank-recon", "audit-read"]  # fmt: skip
    assert schedule["schedule"].value["start"] == "01:00" and schedule["schedule"].source == "answer"
    assert api_docs["api-volume-above-normal"].parameters["max_calls"].value == 5250


def test_the_api_rules_use_the_field_and_event_names_of_its_answers(api_docs):
    ctx = RuleContext(Application("ledger-api", "Ledger API", criticality="high"), dict(API_VALUES), tactics_of,
                      "2026-11-27")  # fmt: skip
    for tid in sorted(API_FAMILY):
        uc = UseCase("ledger-api", tid, "accepted", generated=api_docs[tid])
        rs = build_rule_set(uc, ctx)
        text = " ".join(str(d.data) for d in rs.docs)
        assert "'op'" in text, tid  # the action field the owners named, not "action"
        if tid.startswith("api-"):
            assert "'client_id'" in text or "client_id" in str(rs.fields), tid
        result = test_rule_set(uc, rs, ctx)
        assert result.error == "" and result.fires_on_true_positive, (tid, result.notes)
    scope = build_rule_set(UseCase("ledger-api", "api-scope-denials", "accepted",
                                   generated=api_docs["api-scope-denials"]), ctx)  # fmt: skip
    selection = next(d.data["detection"]["selection"] for d in scope.docs if "detection" in d.data)
    assert selection == {"op": "api.call", "status": "403"}


def test_the_api_questionnaire_asks_field_roles_and_event_names_like_the_default(questionnaires):
    default, api = questionnaires.get("in-house-application"), questionnaires.get("internal-api-batch")

    def options(q, qid, column):
        col = next(c for c in q.question(qid).columns if c.id == column)
        return {o.value for o in col.options}

    assert options(default, "logging.fields", "role") <= options(api, "logging.fields", "role")
    assert options(api, "logging.event_names", "event") == options(default, "logging.event_names", "event")
    assert options(api, "logging.event_names", "event") == set(EVENTS) - {"any_event"}
    logged = {o.value for o in default.question("logging.events").options}
    assert {e.logged_as for e in EVENTS.values() if e.logged_as} <= logged
    assert api.has_question("users.human_access")


def test_a_people_facing_application_keeps_its_people_use_cases(catalogue, questionnaires):
    values = {
        "users.total_count": 40,
        "auth.methods": ["local"],
        "service.accounts": [{"name": "svc-import"}],
    }
    inputs = Inputs(Application("hr", "HR"), {k: Answer(k, v) for k, v in values.items()})
    docs = {tid for tid, d in generate_all(catalogue, inputs).items() if d is not None}
    assert {"brute-force-login", "password-spraying"} <= docs
    brute = generate_all(catalogue, inputs)["brute-force-login"]
    assert (
        brute is not None and "service_accounts" in brute.logic.exclude
    )  # people there: the jobs are excluded


def test_the_loader_rejects_unknown_principals(tmp_path: Path, questionnaires):
    src = (Path(__file__).resolve().parent.parent / "usecases" / "token-reuse.yaml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "token-reuse.yaml"
    bad.write_text(src.replace("category: api\n", "category: api\nprincipals: robots\n"), encoding="utf-8")
    with pytest.raises(WorkshopError, match=r"token-reuse.yaml:5: unknown principals 'robots'"):
        load_template(bad, answer_ids(questionnaires))


def test_the_api_service_from_its_questionnaire_file_gets_its_key_use_cases(
    workspace: Path, tmp_path: Path, capsys
):
    """As the user works: the interview file written for the API questionnaire, imported and
    generated from the command line (the answers pass the questionnaire's own checks)."""
    import json

    import yaml

    from workshop.cli import main

    doc = {
        "format": "use-case-workshop/interview",
        "format_version": 1,
        "application": {
            "slug": "ledger-api",
            "name": "Ledger API",
            "owner": "Finance IT",
            "criticality": "high",
        },
        "interview": {
            "questionnaire": "internal-api-batch",
            "questionnaire_version": "1.0",
            "held_on": "2026-11-20",
        },
        "answers": {qid: {"value": value} for qid, value in API_VALUES.items()},
    }
    path = tmp_path / "ledger-api.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    ws = ["--workspace", str(workspace)]
    assert main(["interview", "import", str(path), *ws]) == 0
    assert main(["usecases", "generate", "ledger-api", *ws]) == 0
    capsys.readouterr()
    assert main(["usecases", "list", "ledger-api", "--json", *ws]) == 0
    ids = {u["id"] for u in json.loads(capsys.readouterr().out)}
    assert ids >= API_FAMILY
    assert not {"brute-force-login", "leaver-account-used", "session-reuse", "vip-record-viewed"} & ids
    assert main(["usecases", "show", "ledger-api", "api-scope-denials", "--json", *ws]) == 0
    shown = json.loads(capsys.readouterr().out)["effective"]
    assert "client_id" in shown["strategy_abstract"] and "op=api.call" in shown["strategy_abstract"]
    assert "watches them instead of excluding them" not in shown["strategy_abstract"]
