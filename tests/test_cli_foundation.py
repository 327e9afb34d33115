"""The command line: apps, questionnaire, interview and demo commands, end to end."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.core import yamlsource
from workshop.core.workspace import DB_FILENAME
from workshop.services import catalogues
from workshop.services import demo as demo_module

PROJECT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "data" / "mini-questionnaire.yaml"
DEFAULT_Q = PROJECT / "questionnaires" / "in-house-application.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def ok_json(capsys: pytest.CaptureFixture[str], *argv: str):
    return json.loads(ok(capsys, *argv))


@pytest.fixture
def ws_all(workspace: Path) -> Path:
    """A workspace with the test questionnaire in its own questionnaires/ folder (and the shipped ones)."""
    (workspace / "questionnaires").mkdir(parents=True)
    shutil.copy(MINI, workspace / "questionnaires" / "test-mini.yaml")
    return workspace


@pytest.fixture
def ws(ws_all: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As ws_all, but only the workspace's questionnaires are loaded: parsing the shipped ones on every
    command would make this file several times slower, and these tests do not depend on them."""

    def workspace_only(workspace: Path | None = None) -> list[Path]:
        return [workspace / "questionnaires"] if workspace is not None else []

    monkeypatch.setattr(catalogues, "questionnaire_dirs", workspace_only)
    return ws_all


@pytest.fixture
def app_with_interview(ws: Path, capsys: pytest.CaptureFixture[str]) -> str:
    ok(capsys, "apps", "create", "--name", "Payroll Portal", "--owner", "Ann", "--criticality", "high",
       "--platform", "SaaS", "--platform", "Identity Provider", "--description", "Pays people")  # fmt: skip
    ok(capsys, "interview", "start", "payroll-portal", "--questionnaire", "test-mini", "--facilitator", "Fay",
       "--participant", "Ann", "--participant", "Bob", "--date", "2025-06-01")  # fmt: skip
    return "payroll-portal"


# --- the program ------------------------------------------------------------------------------------


def test_python_m_workshop_help_in_a_subprocess(tmp_path: Path) -> None:
    env = os.environ | {"PYTHONPATH": str(PROJECT), "WORKSHOP_HOME": str(tmp_path / "ws")}
    result = subprocess.run([sys.executable, "-m", "workshop", "--help"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: workshop")
    for command in ("apps", "questionnaire", "interview", "demo", "--workspace"):
        assert command in result.stdout
    assert not (tmp_path / "ws").exists()  # --help touches no workspace


def test_version_and_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("workshop ")
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["--workspace", "{ws}", "apps", "list", "--json"],
        ["apps", "--workspace", "{ws}", "list", "--json"],
        ["apps", "list", "--json", "--workspace", "{ws}"],
        ["apps", "list", "--workspace", "{ws}", "--json"],
    ],
)
def test_workspace_option_before_and_after_the_command(
    argv: list[str], workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = tmp_path / "chosen"
    assert ok_json(capsys, *[a.replace("{ws}", str(chosen)) for a in argv]) == []
    assert (chosen / DB_FILENAME).is_file()
    assert not workspace.exists()  # $WORKSHOP_HOME was not used


def test_workspace_option_is_used_by_writes(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = tmp_path / "chosen"
    ok(capsys, "apps", "create", "--name", "Elsewhere", "--workspace", str(chosen))
    assert [a["slug"] for a in ok_json(capsys, "--workspace", str(chosen), "apps", "list", "--json")] == [
        "elsewhere"
    ]
    assert ok_json(capsys, "apps", "list", "--json") == []  # the default workspace is untouched


# --- apps ------------------------------------------------------------------------------------------


def test_apps_lifecycle(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ok_json(capsys, "apps", "list", "--json") == []
    assert "No applications yet" in ok(capsys, "apps", "list")

    created = ok_json(capsys, "apps", "create", "--name", "Payroll Portal", "--owner", "Ann",
                      "--criticality", "high", "--platform", "SaaS", "--platform", "Linux",
                      "--description", "Pays people", "--json")  # fmt: skip
    assert created["slug"] == "payroll-portal"
    assert created["platforms"] == ["SaaS", "Linux"]
    assert "created hr" in ok(capsys, "apps", "create", "--name", "Human Resources", "--slug", "hr")

    listed = ok_json(capsys, "apps", "list", "--json")
    assert [(a["slug"], a["name"]) for a in listed] == [
        ("hr", "Human Resources"),
        ("payroll-portal", "Payroll Portal"),
    ]
    assert all(a["last_interview"] is None for a in listed)
    text = ok(capsys, "apps", "list")
    assert "payroll-portal" in text and "high" in text and "no interview" in text

    shown = ok_json(capsys, "apps", "show", "payroll-portal", "--json")
    assert (shown["owner"], shown["criticality"], shown["description"]) == ("Ann", "high", "Pays people")
    assert shown["interviews"] == []
    assert "Payroll Portal (payroll-portal)" in ok(capsys, "apps", "show", "payroll-portal")

    updated = ok_json(capsys, "apps", "update", "payroll-portal", "--owner", "Bob", "--criticality", "critical",
                      "--json")  # fmt: skip
    assert (updated["owner"], updated["criticality"], updated["name"]) == (
        "Bob",
        "critical",
        "Payroll Portal",
    )
    assert "updated payroll-portal" in ok(capsys, "apps", "update", "payroll-portal", "--name", "Payroll")
    assert ok_json(capsys, "apps", "show", "payroll-portal", "--json")["name"] == "Payroll"

    code, _, err = run(capsys, "apps", "delete", "payroll-portal")
    assert code == 1 and "--yes" in err
    assert len(ok_json(capsys, "apps", "list", "--json")) == 2
    assert "deleted payroll-portal" in ok(capsys, "apps", "delete", "payroll-portal", "--yes")
    assert [a["slug"] for a in ok_json(capsys, "apps", "list", "--json")] == ["hr"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["apps", "create", "--name", "X", "--slug", "../x"], "invalid application slug '../x'"),
        (["apps", "create", "--name", "X", "--slug", "a\nb"], "invalid application slug"),
        (["apps", "create", "--name", "bell\x07"], "name contains control characters"),
        (["apps", "create", "--name", "  "], "name is required"),
        (["apps", "show", "nope"], "no application 'nope'"),
        (["apps", "update", "nope", "--owner", "x"], "no application 'nope'"),
        (["apps", "delete", "nope", "--yes"], "no application 'nope'"),
    ],
)
def test_apps_errors(ws: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("workshop: error: ")
    assert fragment in err
    assert ok_json(capsys, "apps", "list", "--json") == []


def test_apps_duplicate(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "apps", "create", "--name", "A")
    code, _, err = run(capsys, "apps", "create", "--name", "Another", "--slug", "a")
    assert code == 1 and "already exists" in err


def test_bad_criticality_is_an_argparse_error(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["apps", "create", "--name", "A", "--criticality", "extreme"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --- questionnaire -----------------------------------------------------------------------------------


def test_questionnaire_list(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "questionnaires" / "broken.yaml").write_text("id: [\n")
    data = ok_json(capsys, "questionnaire", "list", "--json")
    by_id = {r["id"]: r for r in data["questionnaires"]}
    assert by_id["test-mini"] == {"id": "test-mini", "title": "Mini workshop (tests)", "version": "1",
                                  "questions": 13, "file": str(ws / "questionnaires" / "test-mini.yaml")}  # fmt: skip
    broken = str(ws / "questionnaires" / "broken.yaml")
    assert list(data["errors"]) == [broken]
    assert data["errors"][broken][0].startswith(f"{broken}:")
    code, out, err = run(capsys, "questionnaire", "list")
    assert code == 0
    assert any(line.startswith("test-mini ") and "13 questions" in line for line in out.splitlines())
    assert f"{broken}: 1 problem(s); run 'workshop questionnaire validate {broken}'" in err


def test_shipped_questionnaires_are_listed(ws_all: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = sorted(p.stem for p in (PROJECT / "questionnaires").glob("*.yaml"))
    if not shipped:
        pytest.skip("no questionnaires shipped yet")
    data = ok_json(capsys, "questionnaire", "list", "--json")
    ids = {r["id"] for r in data["questionnaires"]}
    assert set(shipped) <= ids
    assert not any(f.startswith(str(PROJECT)) for f in data["errors"]), data["errors"]


@pytest.mark.parametrize("fmt", ["md", "html", "yaml"])
def test_questionnaire_export_formats(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    printed = ok(capsys, "questionnaire", "export", "test-mini", "--format", fmt)
    out = tmp_path / f"form.{fmt}"
    code, stdout, err = run(
        capsys, "questionnaire", "export", "test-mini", "--format", fmt, "--out", str(out)
    )
    assert code == 0 and stdout == "" and f"wrote {out}" in err
    written = out.read_text(encoding="utf-8")
    assert printed.rstrip("\n") == written.rstrip("\n")
    assert "FACILITATOR-ONLY" not in written
    if fmt == "md":
        assert written.startswith("# Mini workshop")
    elif fmt == "html":
        assert written.startswith("<!DOCTYPE html>")
    else:
        assert next(iter(yamlsource.load(written)["answers"])) == "auth.methods"


def test_questionnaire_export_unknown_id(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "questionnaire", "export", "nope")
    assert code == 1 and "no questionnaire with id 'nope'" in err and "test-mini" in err


def test_export_the_default_questionnaire(ws_all: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not DEFAULT_Q.is_file():
        pytest.skip("the default questionnaire is not there yet")
    doc = yamlsource.load(ok(capsys, "questionnaire", "export", "in-house-application", "--format", "yaml"))
    assert doc["interview"]["questionnaire"] == "in-house-application"
    assert len(doc["answers"]) > 20


def test_filled_yaml_form_imports_with_app(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "form.yaml"
    ok(capsys, "questionnaire", "export", "test-mini", "--format", "yaml", "--out", str(form))
    text = form.read_text(encoding="utf-8")
    filled = (
        text.replace("  auth.mfa:\n    value: null", "  auth.mfa:\n    value: Admins")
        .replace("  misc.internet:\n    value: null", "  misc.internet:\n    value: yes")
        .replace("  access.countries:\n    value: null", "  access.countries:\n    value: [gb, ie]")
        .replace("  misc.users:\n    value: null",
                 "  misc.users:\n    value: null\n    unknown: true\n    follow_up: {owner: HR, note: ask HR}")
    )  # fmt: skip
    assert filled != text
    form.write_text(filled, encoding="utf-8")
    ok(capsys, "apps", "create", "--name", "Owners App", "--slug", "owners")
    result = ok_json(capsys, "interview", "import", str(form), "--app", "owners", "--json")
    assert result["application"] == "owners" and result["answers"] == 4
    shown = ok_json(capsys, "interview", "show", "owners", "--json")
    answers = shown["answers"]
    assert answers["auth.mfa"]["value"] == "admins"
    assert answers["misc.internet"]["value"] is True
    assert answers["access.countries"]["value"] == ["GB", "IE"]
    assert answers["misc.users"]["unknown"] is True and answers["misc.users"]["follow_up_owner"] == "HR"


# --- interview: start, answer, show ----------------------------------------------------------------------


def test_interview_start(app_with_interview: str, capsys: pytest.CaptureFixture[str]) -> None:
    shown = ok_json(capsys, "apps", "show", "payroll-portal", "--json")
    (i,) = shown["interviews"]
    assert (i["questionnaire_id"], i["questionnaire_version"], i["held_on"]) == (
        "test-mini",
        "1",
        "2025-06-01",
    )
    assert i["facilitator"] == "Fay" and i["participants"] == ["Ann", "Bob"]
    second = ok_json(capsys, "interview", "start", "payroll-portal", "--questionnaire", "test-mini", "--json")
    assert second["id"] > i["id"]
    code, _, err = run(capsys, "interview", "start", "nope", "--questionnaire", "test-mini")
    assert code == 1 and "no application 'nope'" in err
    code, _, err = run(capsys, "interview", "start", "payroll-portal", "--questionnaire", "nope")
    assert code == 1 and "no questionnaire with id 'nope'" in err


def test_interview_start_with_the_default_questionnaire(
    ws_all: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not DEFAULT_Q.is_file():
        pytest.skip("the default questionnaire is not there yet")
    ok(capsys, "apps", "create", "--name", "A")
    started = ok_json(capsys, "interview", "start", "a", "--json")
    assert started["questionnaire_id"] == "in-house-application"


def test_interview_commands_need_an_interview(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "apps", "create", "--name", "A")
    for argv in (["interview", "show", "a"], ["interview", "answer", "a", "misc.users", "1"],
                 ["interview", "export", "a"], ["interview", "followups", "a"]):  # fmt: skip
        code, _, err = run(capsys, *argv)
        assert code == 1 and "has no interview yet; start one with 'workshop interview start a'" in err


def test_interview_answer_values_and_flags(
    app_with_interview: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    assert "saved auth.methods (revision 1)" in ok(
        capsys, "interview", "answer", app, "auth.methods", "[sso, local]"
    )
    saved = ok_json(capsys, "interview", "answer", app, "access.hours",
                    "{days: [mon, fri], start: 8:00, end: '17:30', timezone: Europe/London}", "--json")  # fmt: skip
    assert saved["value"] == {
        "days": ["mon", "fri"],
        "start": "08:00",
        "end": "17:30",
        "timezone": "Europe/London",
    }
    # YAML: "yes" is a boolean; --text keeps it literally
    assert ok_json(capsys, "interview", "answer", app, "misc.internet", "yes", "--json")["value"] is True
    text = ok_json(
        capsys, "interview", "answer", app, "misc.notes", "yes: {a: 1} # not YAML", "--text", "--json"
    )
    assert text["value"] == "yes: {a: 1} # not YAML"
    users = ok_json(capsys, "interview", "answer", app, "misc.users", "--unknown", "--owner", "HR",
                    "--note", "ask payroll", "--who", "fay", "--json")  # fmt: skip
    assert (users["unknown"], users["follow_up"], users["follow_up_owner"], users["follow_up_note"]) == (
        True, True, "HR", "ask payroll",
    )  # fmt: skip
    assert users["updated_by"] == "fay"
    closed = ok_json(
        capsys, "interview", "answer", app, "misc.users", "--no-follow-up", "--no-unknown", "--json"
    )
    assert (closed["follow_up"], closed["unknown"], closed["follow_up_owner"]) == (False, False, "HR")
    ok(capsys, "interview", "answer", app, "misc.users", "1,200")
    cleared = ok_json(capsys, "interview", "answer", app, "misc.users", "--clear", "--json")
    assert cleared["value"] is None and cleared["revision"] == 4


def test_interview_answer_text_before_or_after_the_flag(
    app_with_interview: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    after = ok_json(capsys, "interview", "answer", app, "misc.notes", "--text", "no: [1, 2]", "--json")
    assert after["value"] == "no: [1, 2]"
    before = ok_json(capsys, "interview", "answer", app, "misc.notes", "yes # x", "--text", "--json")
    assert before["value"] == "yes # x"
    code, _, err = run(capsys, "interview", "answer", app, "misc.notes", "one", "--text", "two")
    assert code == 1 and "give the value once" in err
    assert ok_json(capsys, "interview", "show", app, "--json")["answers"]["misc.notes"]["value"] == "yes # x"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["auth.lockout", "-5"], "auth.lockout: -5 is below the minimum of 0"),
        (["auth.mfa", "kerberos"], "'kerberos' is not one of the options"),
        (["access.countries", "[GBR]"], "'GBR' is not a two-letter country code"),
        (["no.such", "1"], "'no.such' is not a question of test-mini 1"),
        (["misc.users", "[unclosed"], "<value>:1: YAML syntax error"),
    ],
)
def test_interview_answer_errors(app_with_interview: str, capsys: pytest.CaptureFixture[str], argv: list[str],
                                 fragment: str) -> None:  # fmt: skip
    code, _, err = run(capsys, "interview", "answer", app_with_interview, *argv)
    assert code == 1
    assert fragment in err
    assert ok_json(capsys, "interview", "show", app_with_interview, "--json")["answers"] == {}


def test_interview_show(app_with_interview: str, capsys: pytest.CaptureFixture[str]) -> None:
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[local]")
    ok(capsys, "interview", "answer", app, "auth.mfa", "--unknown", "--owner", "IT")
    ok(capsys, "interview", "answer", app, "access.roles", "[{name: admin, privileged: yes}, {name: clerk}]")
    data = ok_json(capsys, "interview", "show", app, "--json")
    assert data["interview"]["application"] == app
    assert data["progress"]["answered"] == 3
    # lockout and admin_review are now shown as well: 13 questions
    assert data["progress"]["shown"] == 13
    assert [s["section_id"] for s in data["progress"]["sections"]] == ["auth", "access", "misc"]
    assert data["open_required"] == ["misc.internet"]
    assert set(data["answers"]) == {"auth.methods", "auth.mfa", "access.roles"}
    text = ok(capsys, "interview", "show", app)
    assert "interview 1 (test-mini 1), 3/13 answered" in text
    assert "auth.mfa: unknown  [follow up]" in text
    assert "access.roles: Role: admin; Privileged: yes\n      Role: clerk" in text  # one row a line
    assert "Required and still open: misc.internet" in text


def test_interview_selection_by_id(app_with_interview: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "apps", "create", "--name", "Other")
    other = ok_json(capsys, "interview", "start", "other", "--questionnaire", "test-mini", "--json")["id"]
    code, _, err = run(capsys, "interview", "show", app_with_interview, "--interview", str(other))
    assert code == 1 and f"interview {other} belongs to 'other', not 'payroll-portal'" in err
    ok(capsys, "interview", "answer", app_with_interview, "misc.users", "5", "--interview", "1")
    assert ok_json(capsys, "interview", "show", app_with_interview, "--interview", "1", "--json")["answers"]


# --- follow-ups and changes -----------------------------------------------------------------------------


def test_interview_followups_formats(
    app_with_interview: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    assert "No open follow-ups." in ok(capsys, "interview", "followups", app)
    ok(
        capsys,
        "interview",
        "answer",
        app,
        "misc.users",
        "--unknown",
        "--owner",
        "=HR",
        "--note",
        "<b>ask</b> | now",
    )
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso]", "--follow-up")
    md = ok(capsys, "interview", "followups", app)
    assert md.startswith("# Follow-ups from the Payroll Portal workshop (2025-06-01)")
    assert "&lt;b&gt;ask&lt;/b&gt; \\| now" in md and "(unassigned)" in md
    assert "| &#61;HR |" in md
    rows = list(csv.reader(io.StringIO(ok(capsys, "interview", "followups", app, "--format", "csv"))))
    assert rows[0][0] == "question_id"
    assert [r[0] for r in rows[1:]] == ["auth.methods", "misc.users"]
    assert rows[2][3] == "'=HR"
    data = ok_json(capsys, "interview", "followups", app, "--format", "json")
    assert [d["question_id"] for d in data] == ["auth.methods", "misc.users"]
    assert data[1] == {"question_id": "misc.users", "section": "Everything else", "question": "How many users?",
                       "owner": "=HR", "note": "<b>ask</b> | now", "current_answer": "unknown"}  # fmt: skip
    out = tmp_path / "fu.csv"
    ok(capsys, "interview", "followups", app, "--format", "csv", "--out", str(out))
    assert out.read_text(encoding="utf-8").startswith("question_id,section")


def test_interview_changes(app_with_interview: str, capsys: pytest.CaptureFixture[str]) -> None:
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso]")
    ok(capsys, "interview", "answer", app, "misc.users", "100")
    first = ok_json(capsys, "interview", "changes", app, "--json")
    assert first["previous_interview"] is None
    assert [(c["question_id"], c["kind"]) for c in first["changes"]] == [
        ("auth.methods", "added"),
        ("misc.users", "added"),
    ]
    assert "first interview" in ok(capsys, "interview", "changes", app)

    ok(capsys, "interview", "start", app, "--questionnaire", "test-mini", "--blank")
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso, local]")
    ok(capsys, "interview", "answer", app, "misc.internet", "no")
    data = ok_json(capsys, "interview", "changes", app, "--json")
    assert data["previous_interview"] == 1
    assert [(c["question_id"], c["kind"], c["before"], c["after"]) for c in data["changes"]] == [
        ("auth.methods", "changed", "Single sign-on", "Single sign-on, Local accounts"),
        ("misc.internet", "added", "", "No"),
        ("misc.users", "removed", "100", ""),
    ]
    text = ok(capsys, "interview", "changes", app)
    assert "Changes since interview 1 (2025-06-01): 3" in text
    assert "[removed] misc.users: 100 -> -" in text


def test_rereview_is_prefilled_and_shows_only_what_changed(
    app_with_interview: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso]")
    ok(
        capsys,
        "interview",
        "answer",
        app,
        "misc.users",
        "100",
        "--unknown",
        "--owner",
        "Ann",
        "--note",
        "ask HR",
    )
    assert "pre-filled from interview 1" in ok(
        capsys, "interview", "start", app, "--questionnaire", "test-mini"
    )
    shown = ok_json(capsys, "interview", "show", app, "--json")
    assert shown["interview"]["previous_id"] == 1
    users = shown["answers"]["misc.users"]
    assert (users["value"], users["unknown"], users["follow_up_owner"]) == (100, True, "Ann")
    assert ok_json(capsys, "interview", "changes", app, "--json")["changes"] == []
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso, local]")
    changes = ok_json(capsys, "interview", "changes", app, "--json")["changes"]
    assert [(c["question_id"], c["kind"]) for c in changes] == [("auth.methods", "changed")]


# --- interview export / import --------------------------------------------------------------------------


ADVERSARIAL_NOTES = '  She said: "don\'t" # really\n- item\n{a: 1}\n!!python/object:os.system\n日本語 🎉  '


def test_interview_export_import_round_trip_into_an_empty_workspace(
    app_with_interview: str, ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso, local]")
    ok(capsys, "interview", "answer", app, "misc.notes", ADVERSARIAL_NOTES, "--text")
    ok(
        capsys,
        "interview",
        "answer",
        app,
        "misc.users",
        "--unknown",
        "--owner",
        "Zoë: HR",
        "--note",
        "ask #2\n- soon",
    )
    ok(
        capsys,
        "interview",
        "answer",
        app,
        "access.roles",
        "[{name: 'admin: all', count: 2, privileged: true}]",
    )
    ok(capsys, "interview", "answer", app, "access.admin_review", "quarterly", "--follow-up")
    before = ok_json(capsys, "interview", "show", app, "--json")["answers"]
    assert before["misc.notes"]["value"] == ADVERSARIAL_NOTES
    profile = ok_json(capsys, "apps", "show", app, "--json")

    exported = tmp_path / "payroll.yaml"
    code, stdout, err = run(capsys, "interview", "export", app, "--out", str(exported))
    assert code == 0 and stdout == "" and f"wrote {exported}" in err
    assert ok(capsys, "interview", "export", app) == exported.read_text(encoding="utf-8")

    empty = tmp_path / "empty"
    assert ok_json(capsys, "--workspace", str(empty), "apps", "list", "--json") == []
    shutil.copytree(ws / "questionnaires", empty / "questionnaires")
    result = ok_json(capsys, "interview", "import", str(exported), "--workspace", str(empty), "--json")
    assert result["application"] == app and result["answers"] == len(before)

    copy_profile = ok_json(capsys, "--workspace", str(empty), "apps", "show", app, "--json")
    for key in ("slug", "name", "owner", "criticality", "description", "platforms"):
        assert copy_profile[key] == profile[key], key
    (i,) = copy_profile["interviews"]
    assert (i["held_on"], i["facilitator"], i["participants"]) == ("2025-06-01", "Fay", ["Ann", "Bob"])
    after = ok_json(capsys, "--workspace", str(empty), "interview", "show", app, "--json")["answers"]
    strip = ("revision", "updated_at", "updated_by")
    assert {k: {f: v for f, v in a.items() if f not in strip} for k, a in after.items()} == {
        k: {f: v for f, v in a.items() if f not in strip} for k, a in before.items()
    }
    assert ok(capsys, "--workspace", str(empty), "interview", "export", app) == exported.read_text(
        encoding="utf-8"
    )


def test_interview_import_errors_write_nothing(
    app_with_interview: str, ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso]")
    ok(capsys, "interview", "answer", app, "misc.users", "12")
    text = ok(capsys, "interview", "export", app)
    bad = text.replace("questionnaire_version: '1'", "questionnaire_version: '0.5'").replace(
        "  misc.users:", "  misc.user_count:"
    )
    f = tmp_path / "bad.yaml"
    f.write_text(bad, encoding="utf-8")
    empty = tmp_path / "empty"
    shutil.copytree(ws / "questionnaires", empty / "questionnaires")

    code, _out, err = run(capsys, "interview", "import", str(f), "--workspace", str(empty))
    assert code == 1
    lines = err.splitlines()
    version_line = next(n for n, line in enumerate(bad.splitlines(), 1) if "questionnaire_version" in line)
    id_line = next(n for n, line in enumerate(bad.splitlines(), 1) if "misc.user_count" in line)
    assert lines[0].startswith(f"{f}:{version_line}: file was written for test-mini version 0.5")
    assert lines[1] == f"{f}:{id_line}: 'misc.user_count' is not a question of test-mini 1"
    assert lines[2] == "2 problem(s) found"
    assert ok_json(capsys, "--workspace", str(empty), "apps", "list", "--json") == []

    # --force-version accepts the version but still refuses the unknown id
    code, _, err = run(capsys, "interview", "import", str(f), "--force-version", "--workspace", str(empty))
    assert code == 1 and "misc.user_count" in err and "version 0.5" not in err
    assert ok_json(capsys, "--workspace", str(empty), "apps", "list", "--json") == []

    g = tmp_path / "old.yaml"
    g.write_text(text.replace("questionnaire_version: '1'", "questionnaire_version: '0.5'"), encoding="utf-8")
    code, _, err = run(capsys, "interview", "import", str(g), "--workspace", str(empty))
    assert code == 1 and "--force-version" in err
    assert ok_json(capsys, "--workspace", str(empty), "apps", "list", "--json") == []
    result = ok_json(
        capsys, "interview", "import", str(g), "--force-version", "--workspace", str(empty), "--json"
    )
    assert result["application"] == app and result["questionnaire_version"] == "1" and result["answers"] == 2


def test_interview_import_into_another_app(
    app_with_interview: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(capsys, "interview", "answer", app_with_interview, "misc.users", "12")
    f = tmp_path / "x.yaml"
    ok(capsys, "interview", "export", app_with_interview, "--out", str(f))
    code, _, err = run(capsys, "interview", "import", str(f))
    assert code == 0 and "imported 1 answers into payroll-portal (interview 2)" in err
    # a second application of the same name is refused for imports too (issue 14)
    code, _, err = run(capsys, "interview", "import", str(f), "--app", "copy")
    assert code == 1 and "exists already (payroll-portal)" in err
    ok(capsys, "apps", "update", app_with_interview, "--name", "Payroll Portal (old)")
    assert ok_json(capsys, "interview", "import", str(f), "--app", "copy", "--json")["application"] == "copy"
    assert ok_json(capsys, "apps", "show", "copy", "--json")["owner"] == "Ann"
    code, _, err = run(capsys, "interview", "import", str(f), "--app", "../escape")
    assert code == 1 and "invalid application slug" in err
    code, _, err = run(capsys, "interview", "import", str(tmp_path / "missing.yaml"))
    assert code == 1 and "cannot read file" in err


# --- demo ---------------------------------------------------------------------------------------------


@pytest.fixture
def mini_demo(app_with_interview: str, ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> Path:  # fmt: skip
    """A demo file built from the test questionnaire, so the demo command is tested whatever the shipped one says."""
    app = app_with_interview
    ok(capsys, "interview", "answer", app, "auth.methods", "[sso]")
    ok(capsys, "interview", "answer", app, "misc.users", "1800")
    demo_file = tmp_path / "demo.yaml"
    ok(capsys, "interview", "export", app, "--out", str(demo_file))
    ok(capsys, "apps", "delete", app, "--yes")
    monkeypatch.setattr(demo_module, "DEMO_FILE", demo_file)
    monkeypatch.setattr(demo_module, "DEMO_SLUG", app)
    return demo_file


def test_demo_is_idempotent_and_resets(mini_demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = ok_json(capsys, "demo", "--json")
    assert first == {"slug": "payroll-portal", "name": "Payroll Portal", "created": True, "answers": 2}
    again = ok(capsys, "demo")
    assert "already there (use --reset to recreate): 2 answers" in again
    assert len(ok_json(capsys, "apps", "show", "payroll-portal", "--json")["interviews"]) == 1
    ok(capsys, "interview", "answer", "payroll-portal", "misc.users", "5")
    reset = ok_json(capsys, "demo", "--reset", "--json")
    assert reset["created"] is True
    shown = ok_json(capsys, "apps", "show", "payroll-portal", "--json")
    assert len(shown["interviews"]) == 1
    assert (
        ok_json(capsys, "interview", "show", "payroll-portal", "--json")["answers"]["misc.users"]["value"]
        == 1800
    )


def test_real_demo(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not (demo_module.DEMO_FILE.is_file() and DEFAULT_Q.is_file()):
        pytest.skip("the demo interview or the default questionnaire is not there yet")
    first = ok_json(capsys, "demo", "--json")
    assert first["slug"] == "payroll-portal" and first["created"] is True
    assert first["answers"] > 20
    shown = ok_json(capsys, "interview", "show", "payroll-portal", "--json")
    assert shown["open_required"] == []  # a completed interview
    second = ok_json(capsys, "demo", "--json")
    assert second["created"] is False and second["answers"] == first["answers"]
    assert [a["slug"] for a in ok_json(capsys, "apps", "list", "--json")] == ["payroll-portal"]
    assert ok_json(capsys, "demo", "--reset", "--json")["created"] is True
    assert len(ok_json(capsys, "apps", "show", "payroll-portal", "--json")["interviews"]) == 1


def test_demo_in_a_read_only_workspace(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    ok_json(capsys, "apps", "list", "--json")  # creates the database
    db = workspace / DB_FILENAME
    monkeypatch.setenv("WORKSHOP_DB_URL", f"sqlite:///file:{db}?mode=ro&uri=true")
    code, _, err = run(capsys, "apps", "create", "--name", "Nope")
    assert code == 1
    assert (
        err.strip()
        == "workshop: error: the workspace is read-only; check its permissions (nothing was saved)"
    )
    monkeypatch.delenv("WORKSHOP_DB_URL")
    assert ok_json(capsys, "apps", "list", "--json") == []
