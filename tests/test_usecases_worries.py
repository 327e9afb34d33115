"""The owners' worries traced to use cases, and documents whose cross-references resolve (issue 16).

Worries, fraud scenarios and past incidents are split into items; generation proposes the use
cases covering each, a person confirms or corrects that from the command line, and the exported
document lists what nothing covers. Every reference from one use case to another, or to the
analyst brief, names something the export contains.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.interview.facts import Facts, split_worry
from workshop.usecases.model import UseCase, resolve_refs

SLUG = "payroll-portal"


def test_a_told_worry_becomes_items_and_short_sentences_stay_with_their_story():
    text = "Payroll diversion: bank details changed before the run. It happened twice.\n\n- Leavers still working."
    assert split_worry(text) == [
        "Payroll diversion: bank details changed before the run. It happened twice.",
        "Leavers still working.",
    ]
    facts = Facts.of({"concerns.worries": text, "data.vip_records": True}, ())
    assert [w.id for w in facts.worries] == ["concerns.worries#1", "concerns.worries#2", "data.vip_records"]
    unknown = Facts.of({"concerns.worries": text}, {"concerns.worries"})
    assert unknown.worries == []


def _worries(ws: Path, capsys) -> dict[str, dict]:
    assert main(["usecases", "worries", SLUG, "--json", "--workspace", str(ws)]) == 0
    return {w["id"]: w for w in json.loads(capsys.readouterr().out)}


def test_generation_proposes_the_use_cases_that_cover_each_worry(demo_workspace: Path, capsys):
    ws = ["--workspace", str(demo_workspace)]
    assert main(["usecases", "generate", SLUG, *ws]) == 0
    capsys.readouterr()
    worries = _worries(demo_workspace, capsys)
    assert "bank-account-fan-in" in worries["concerns.fraud_scenarios#3"]["use_cases"]  # same account
    assert "record-created-by-hand" in worries["concerns.fraud_scenarios#5"]["use_cases"]  # ghost employee
    assert "file-changed-before-sending" in worries["concerns.fraud_scenarios#6"]["use_cases"]  # BACS file
    assert worries["data.vip_records"]["use_cases"] == ["vip-record-viewed"]
    assert "leaver-account-used" in worries["concerns.past_incidents#2"]["use_cases"]


def test_a_person_corrects_coverage_and_the_document_lists_what_nothing_covers(
    demo_workspace: Path, tmp_path: Path, capsys
):
    ws = ["--workspace", str(demo_workspace)]
    assert main(["usecases", "generate", SLUG, *ws]) == 0
    capsys.readouterr()
    # the BACS-file scenario: the person says the file-change use case does not answer it after all
    assert main(["usecases", "worries", SLUG, "--set", "file-changed-before-sending", "", *ws]) == 0
    out = capsys.readouterr().out
    assert re.search(r"concerns\.fraud_scenarios#6\s+NOT COVERED", out)
    assert "12 of 13 worries covered; 1 not covered" in out
    # a typo does not leave a worry silently covered
    assert main(["usecases", "worries", SLUG, "--set", "vip-record-viewed", "data.vip_record", *ws]) == 1
    assert "no such worry in the interview: data.vip_record" in capsys.readouterr().err
    assert main(["export", SLUG, "--format", "markdown", "--out", str(tmp_path), *ws]) == 0
    doc = (tmp_path / f"{SLUG}-use-cases.md").read_text(encoding="utf-8")
    assert "## The owners' worries" in doc and "12 of 13 are covered" in doc
    gaps = doc.split("Not covered by any use case here", 1)[1].split("\n## ", 1)[0]
    assert "The BACS file edited in /data/bacs/out between generation and submission." in gaps
    # the use case shows the worries it answers
    assert "It answers these worries of the owners:" in doc


REF_TITLE = re.compile(r"\u201c([^\u201d]+)\u201d \(in this document\)")
#: A use case named by a hyphenated id outside a resolved reference (what issue 16 found).
LOOSE_REF = re.compile(r"\b(?:the|see|a|an) [a-z0-9]+(?:-[a-z0-9]+)+ use cases?\b")


def _check_references(doc: str, brief: str) -> list[str]:
    headings = set(re.findall(r"^## (.+)$", doc, re.MULTILINE))
    problems = [f"no section '{t}'" for t in REF_TITLE.findall(doc) if t not in headings]
    problems += [f"loose reference: {m}" for m in LOOSE_REF.findall(doc)]
    problems += ["unresolved {usecase:...}"] if "{usecase" in doc else []
    if "the roles table in the analyst brief" in doc and "## Roles" not in brief:
        problems.append("the analyst brief has no roles table")
    return problems


def test_every_cross_reference_of_the_demo_export_resolves_within_it(
    demo_workspace: Path, tmp_path: Path, capsys
):
    ws = ["--workspace", str(demo_workspace)]
    assert main(["usecases", "generate", SLUG, *ws]) == 0
    assert (
        main(["usecases", "status", SLUG, "log-silence", "accepted", *ws]) == 0
    )  # the demo leaves it proposed
    out = tmp_path / "all"
    assert main(["export", SLUG, "--format", "markdown", "--out", str(out), *ws]) == 0
    doc = (out / f"{SLUG}-use-cases.md").read_text(encoding="utf-8")
    brief = (out / f"{SLUG}-analyst-brief.md").read_text(encoding="utf-8")
    assert _check_references(doc, brief) == []
    assert REF_TITLE.search(doc), "the demo's use cases do refer to each other"
    assert "\u201cPayroll Portal has stopped logging\u201d (in this document) covers that" in doc
    # without the log-silence use case, the document says nothing in it covers that point
    assert main(["usecases", "status", SLUG, "log-silence", "rejected", *ws]) == 0
    out2 = tmp_path / "without"
    assert main(["export", SLUG, "--format", "markdown", "--out", str(out2), *ws]) == 0
    doc2 = (out2 / f"{SLUG}-use-cases.md").read_text(encoding="utf-8")
    assert _check_references(doc2, brief) == []
    assert "a use case not in this document (log-silence) covers that" in doc2


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (None, "see the a-b and c-d use cases."),
        ({"a-b": "A and B"}, "see the use case \u201cA and B\u201d (in this document)."),
        ({}, "see a use case not in this document (a-b and c-d)."),
    ],
)
def test_references_resolve_against_what_the_document_holds(present, expected):
    assert resolve_refs("see {usecases:a-b,c-d}.", present) == expected


def test_every_reference_in_the_catalogue_names_a_template():
    from tests.support.sigma_cases import catalogues
    from workshop.usecases.model import referenced_ids

    _, cat = catalogues()
    for tid, t in cat.templates.items():
        texts = [
            x.text for group in (t.false_positives, t.blind_spots, t.response, t.validation) for x in group
        ]
        for ref in (r for text in texts for r in referenced_ids(text)):
            assert ref in cat.templates, f"{tid} refers to unknown use case {ref}"
    assert (
        UseCase
    )  # the stored use case renders them (see test_references_resolve_against_what_the_document_holds)
