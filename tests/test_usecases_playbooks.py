"""Real playbooks (issue 16): response steps go to the contact who can act on that kind of alert,
containment comes from what the owners allow, each alert gets pivot queries for every SIEM, the
owners' constraints are quoted, the priority reads the event, and every use case says when it is
closed. Checked on the demo's exported document, as the SOC receives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.api_service import API_VALUES
from workshop.cli import main
from workshop.interview.facts import Contact, Facts
from workshop.usecases.playbook import playbook, route_contacts

SLUG = "payroll-portal"
CONTACTS = [
    Contact("Payroll service owner", "Priya Shah", phone="+44 1", hours="Mon-Fri 08:00-17:30"),
    Contact("Application admin lead", "Jamal Okafor", phone="+44 2"),
    Contact("Tech lead", "Daniel Reyes"),
    Contact("IT service desk", "Northwind IT Service Desk", hours="24x7"),
]


@pytest.mark.parametrize(
    ("category", "who"),
    [
        ("fraud", ["Priya Shah"]),
        ("privilege", ["Jamal Okafor"]),
        ("api", ["Daniel Reyes"]),
        ("availability", ["Daniel Reyes"]),
        ("authentication", ["Jamal Okafor", "Northwind IT Service Desk"]),
    ],
)
def test_each_scenario_goes_to_the_contacts_who_can_act(category, who):
    assert [c.name for c in route_contacts(CONTACTS, category)] == who


def test_a_machine_service_revokes_keys_instead_of_disabling_people():
    pb = playbook("api", Facts.of(API_VALUES), machine_only=True)
    assert pb.containment == [
        "The SOC may revoke the client's key or credential itself, then tell the owning team."
    ]
    fraud = playbook("fraud", Facts.of(API_VALUES), machine_only=True)
    assert any("hold the payment, or the payment file" in c for c in fraud.containment)


def _section(doc: str, title: str) -> str:
    start = doc.index(f"\n## {title}\n")
    end = doc.find("\n## ", start + 1)
    return doc[start : end if end > 0 else len(doc)]


@pytest.fixture
def demo_doc(demo_workspace: Path, tmp_path: Path, capsys) -> str:
    ws = ["--workspace", str(demo_workspace)]
    assert main(["usecases", "generate", SLUG, *ws]) == 0
    assert main(["export", SLUG, "--format", "markdown", "--out", str(tmp_path), *ws]) == 0
    capsys.readouterr()
    return (tmp_path / f"{SLUG}-use-cases.md").read_text(encoding="utf-8")


def test_the_demo_playbooks_route_contain_pivot_quote_and_close(demo_doc: str):
    fraud = _section(demo_doc, "Bank details changed shortly before a payment in Payroll Portal")
    response = fraud.split("### Response", 1)[1].split("####", 1)[0]
    assert "Priya Shah" in response
    assert [w for w in ("Jamal Okafor", "Daniel Reyes", "servicedesk@") if w in response] == []
    assert "#### Who can act" in fraud and "Out of hours: IT service desk, 24x7" in fraud
    assert "hold the payment, or the payment file, before it reaches the bank" in fraud
    assert "disable the account in the identity provider (Microsoft Entra ID" in fraud
    assert "From the 22nd to the 28th the portal must not be taken offline without Priya's agreement" in fraud
    assert "#### Closure criteria" in fraud
    # pivots through each SIEM's pipeline, with the application's own field names
    assert 'index="payroll" sourcetype="payroll:audit:json" target_employee_id="ALERT_OBJECT"' in fraud
    assert '| where target_employee_id_s =~ "ALERT_OBJECT"' in fraud
    assert 'payroll_portal.target_employee_id=="ALERT_OBJECT"' in fraud
    assert "not converted" not in demo_doc
    # the priority reads the event: a protected record, the approval limit
    assert "Critical when the record is a protected one: E100001" in fraud
    assert "Critical when the amount involved reaches the approval limit (10000)" in fraud
    granted = _section(demo_doc, "Role or permission granted in Payroll Portal")
    assert "Critical when the account holds, or is given, a privileged role: " in granted
    steps = granted.split("### Response", 1)[1].split("####", 1)[0]
    assert (
        "Jamal Okafor (Application admin lead" in steps and "Priya Shah (Payroll service owner" not in steps
    )


def test_every_adopted_use_case_has_a_playbook(demo_doc: str):
    sections = demo_doc.split("\n## ")[1:]
    use_cases = [s for s in sections if "### Response" in s]
    assert len(use_cases) >= 30
    for s in use_cases:
        title = s.splitlines()[0]
        assert "#### Who can act" in s and "#### Closure criteria" in s, title
        assert "#### Pivot queries" in s, title
