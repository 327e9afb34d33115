"""Portfolio: due dates, completeness, re-reviews and the use cases they flag, the page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.interview.model import Application
from workshop.services import settings
from workshop.services.catalogues import load_questionnaires
from workshop.services.interview import answer_question
from workshop.services.portfolio import next_review, portfolio, reviews_by_month, start_rereview
from workshop.services.usecases import generate_for_application, load_templates
from workshop.store import Store

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize(
    ("last", "criticality", "intervals", "due"),
    [
        ("2026-01-31", "high", None, dt.date(2027, 1, 31)),  # 365 days
        ("2026-01-31", "critical", None, dt.date(2026, 7, 30)),  # 180 days
        ("2024-02-29", "low", None, dt.date(2026, 2, 28)),  # 730 days across a leap day
        ("2026-03-01", "medium", {"medium": 30}, dt.date(2026, 3, 31)),
        (None, "high", None, TODAY),  # never interviewed: due now
        ("not a date", "high", None, TODAY),
        ("2026-03-01", "unheard-of", {"high": 10}, dt.date(2027, 3, 1)),  # unknown criticality: a year
    ],
)
def test_next_review_arithmetic(last, criticality, intervals, due) -> None:
    assert next_review(last, criticality, intervals, TODAY) == due


@pytest.fixture
def demo(demo_workspace: Path, demo_store):
    demo_store.create_application(Application("claims", "Claims Portal", criticality="critical"))
    return demo_store, load_questionnaires(demo_workspace)


def test_portfolio_rows(demo) -> None:
    s, qs = demo
    rows = {r.slug: r for r in portfolio(s, qs, today=TODAY)}
    payroll, claims = rows["payroll-portal"], rows["claims"]
    assert payroll.last_workshop == "2026-10-14"
    assert payroll.next_review == "2027-10-14"  # high: 365 days
    assert payroll.overdue is False
    assert payroll.completeness == pytest.approx(1.0)
    assert payroll.open_follow_ups >= 3
    assert payroll.use_cases["accepted"] >= 1
    assert claims.last_workshop is None and claims.overdue is True and claims.next_review == TODAY.isoformat()
    assert claims.completeness is None and sum(claims.use_cases.values()) == 0
    assert reviews_by_month(rows.values()) == {"2026-11": 1, "2027-10": 1}


def test_prefilled_rereview_flags_use_cases_whose_answers_changed(demo) -> None:
    s, qs = demo
    q = qs.get("in-house-application")
    first = s.latest_interview("payroll-portal")
    second = start_rereview(s, "payroll-portal", q, held_on="2027-10-01")
    assert second.previous_id == first.id
    before, after = s.answers(first.id), s.answers(second.id)
    assert {k: a.state() for k, a in before.items()} == {k: a.state() for k, a in after.items()}
    assert s.history(second.id)[0].who == f"prefilled from interview {first.id}"
    rows = {r.slug: r for r in portfolio(s, qs, today=TODAY)}
    assert rows["payroll-portal"].flagged_use_cases == []  # nothing changed yet
    answer_question(s, q, second.id, "auth.lockout_threshold", 3)
    rows = {r.slug: r for r in portfolio(s, qs, today=TODAY)}
    assert "brute-force-login" in rows["payroll-portal"].flagged_use_cases
    assert rows["payroll-portal"].last_workshop == "2027-10-01"
    # Regenerating brings the new threshold into the use case.
    generate_for_application(s, "payroll-portal", load_templates(qs), qs)
    uc = s.get_use_case("payroll-portal", "brute-force-login")
    assert uc.generated.parameters["max_failures"].value == 10  # max(3 * 2, 10)


@pytest.mark.slow
def test_portfolio_cli_json_and_settings(demo, workspace: Path, capsys) -> None:
    ws = str(workspace)
    assert main(["settings", "set", "review_interval_days.high", "30", "--workspace", ws]) == 0
    assert settings.load(workspace)["review_interval_days"]["high"] == 30
    capsys.readouterr()
    assert main(["portfolio", "--json", "--ideas", "--workspace", ws]) == 0
    data = json.loads(capsys.readouterr().out)
    apps = {a["slug"]: a for a in data["applications"]}
    assert apps["payroll-portal"]["next_review"] == "2026-11-13"  # 2026-10-14 + 30 days
    assert apps["payroll-portal"]["review_overdue"] is (dt.date.today() > dt.date(2026, 11, 13))
    assert set(apps["payroll-portal"]["use_cases"]) == {"proposed", "accepted", "rejected", "implemented", "tested",
                                                         "retired"}  # fmt: skip
    assert set(apps["payroll-portal"]["baseline"]) == {"date", "age_days", "fresh"}
    assert data["ideas"] and all(i["applications"] for i in data["ideas"])
    with Store.open(workspace) as st:
        covered = {
            (u.application, a.technique)
            for u in st.list_use_cases()
            if u.status not in ("rejected", "retired")
            for a in u.attack
        }
    for idea in data["ideas"]:  # an idea for an application is a technique none of its use cases covers
        assert not any((app, idea["technique_id"]) in covered for app in idea["applications"])
    counts = [len(i["applications"]) for i in data["ideas"]]
    assert counts == sorted(counts, reverse=True)
    assert main(["settings", "set", "review_interval_days.high", "-3", "--workspace", ws]) == 1
    assert main(["settings", "set", "nonsense", "1", "--workspace", ws]) == 1


def test_accepted_but_not_implemented_across_applications(demo, workspace: Path, capsys) -> None:
    s, _ = demo
    accepted = [u.template_id for u in s.list_use_cases("payroll-portal") if u.status == "accepted"]
    s.set_status("payroll-portal", accepted[:1], "implemented", who="eng", reason="deployed")
    capsys.readouterr()
    assert main(["usecases", "list", "--status", "accepted", "--json", "--workspace", str(workspace)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {u["id"] for u in listed} == set(accepted[1:])
    assert all(u["status"] == "accepted" for u in listed)


@pytest.mark.slow
def test_portfolio_page(demo, open_page) -> None:
    at = open_page("workshop/ui/pages/portfolio.py", slug=None)
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Applications"] == "2"
    # The claims portal was never interviewed; the page counts against today's date, so the demo's
    # payroll workshop (2026-10-14, high: 365 days) is overdue too once CI runs after 2027-10-14.
    assert metrics["Reviews overdue"] == str(1 + (dt.date.today() > dt.date(2027, 10, 14)))
    table = at.dataframe[0].value
    assert set(table["Application"]) == {"Payroll Portal", "Claims Portal"}
    assert list(table.loc[table["Application"] == "Claims Portal", "Last workshop"]) == ["never"]
    at.number_input(key="interval:critical").set_value(90)
    at.button(key="FormSubmitter:intervals-Save intervals").click().run()
    assert settings.load(demo[0].workspace)["review_interval_days"]["critical"] == 90


@pytest.mark.slow
def test_settings_are_checked_and_never_left_broken(workspace: Path, capsys) -> None:
    ws = str(workspace)
    assert main(["settings", "set", "review_interval_days", "{high: 10, low: 900}", "--workspace", ws]) == 0
    assert settings.load(workspace)["review_interval_days"] | {} == {"critical": 180, "high": 10, "medium": 365,
                                                                    "low": 900}  # fmt: skip
    for bad in (["review_interval_days", "5"], ["review_interval_days", "{urgent: 3}"],
                ["review_interval_days.high", "-1"], ["attack_bundle", "/nonexistent.json"]):  # fmt: skip
        assert main(["settings", "set", *bad, "--workspace", ws]) == 1
        assert "workshop: error:" in capsys.readouterr().err
    assert settings.load(workspace)["review_interval_days"]["high"] == 10  # unchanged by the refusals
    (workspace / "settings.yaml").write_text("review_interval_days: 5\n")  # a hand-edited, broken file
    assert settings.load(workspace)["review_interval_days"]["high"] == 365  # defaults, no crash
    assert main(["portfolio", "--json", "--workspace", ws]) == 0


def test_a_bundle_that_is_not_attack_is_refused(workspace: Path, tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "bundle.json"
    bogus.write_text('{"type": "not-a-bundle"}')
    assert main(["settings", "set", "attack_bundle", str(bogus), "--workspace", str(workspace)]) == 1
    assert "workshop: error:" in capsys.readouterr().err
    assert settings.load(workspace)["attack_bundle"] == ""
