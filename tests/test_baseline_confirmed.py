"""Issue 17: a mapping the tool proposed is never stored as confirmed; each role says who chose its column.

Through the command line (``attach --map``, ``--confirmed``, ``show``), the Baselines page
(changed roles, the "checked every role" box, the mapping shown with a baseline) and the
schema migration (baselines attached before it are confirmed by nobody).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.core.workspace import DB_FILENAME
from workshop.interview.model import Application
from workshop.services.baselines import confirmed_on_form
from workshop.store import Store, migrate

CSV = (
    b"when,actor,action,records,src\n"
    b"2024-03-04T09:00:00Z,ann,login,3,10.0.0.1\n2024-03-04T10:00:00Z,bob,view,5,10.0.0.2\n"
    b"2024-03-05T11:00:00Z,ann,export,9,10.0.0.1\n"
)


@pytest.fixture
def sample(workspace: Path, tmp_path: Path) -> Path:
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
    path = tmp_path / "claims.csv"
    path.write_bytes(CSV)
    return path


def cli(capsys: pytest.CaptureFixture[str], workspace: Path, *argv: str) -> str:
    code = main(["--workspace", str(workspace), "baseline", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_attach_confirms_only_the_roles_a_person_mapped(
    sample: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = cli(
        capsys, workspace, "attach", "claims", str(sample), "--map", "user=actor", "--log-source", "cli"
    )
    assert "proposed by the tool, not confirmed: timestamp, action" in out
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "cli")
        saved = s.get_log_mapping("claims", "cli")
    assert b.mapping["user"] == "actor" and {"timestamp", "action", "records", "source_ip"} <= set(b.mapping)
    assert b.confirmed == ("user",)
    assert saved is not None and saved.confirmed == ("user",)

    text = cli(capsys, workspace, "show", "claims", "--log-source", "cli")
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    assert "confirmed by a person" in lines["user"]
    assert "proposed by the tool, not confirmed" in lines["action"] and "action" in lines["action"]
    shown = json.loads(cli(capsys, workspace, "show", "claims", "--log-source", "cli", "--json"))
    flags = {m["role"]: m["confirmed"] for m in shown["mapping"]}
    assert flags["user"] is True and flags["action"] is False and flags["timestamp"] is False


def test_exact_map_and_confirmed_flag_confirm_every_role(
    sample: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(capsys, workspace, "attach", "claims", str(sample), "--exact-map", "--map", "timestamp=when",
        "--map", "user=actor", "--log-source", "exact")  # fmt: skip
    out = cli(capsys, workspace, "attach", "claims", str(sample), "--confirmed", "--log-source", "all")
    assert "not confirmed" not in out
    with Store.open(workspace) as s:
        exact = s.get_baseline("claims", "exact")
        checked = s.get_baseline("claims", "all")
    assert set(exact.confirmed) == {"timestamp", "user"} == set(exact.mapping)
    assert set(checked.confirmed) == set(checked.mapping) and "action" in checked.mapping


def test_form_confirms_changed_roles_and_those_confirmed_before() -> None:
    shown = {"timestamp": "when", "user": "actor", "action": "action"}
    assert confirmed_on_form(shown, shown) == []
    assert confirmed_on_form({**shown, "user": "src"}, shown) == ["user"]
    assert confirmed_on_form(shown, shown, confirmed_before=["action"]) == ["action"]
    assert confirmed_on_form(shown, shown, checked_all=True) == ["timestamp", "user", "action"]
    # a role taken off the form is not in the mapping, so it cannot be confirmed as a column
    assert confirmed_on_form({"timestamp": "when"}, shown, confirmed_before=["user"]) == []


def test_page_stores_a_left_proposal_as_proposed_and_shows_it(
    workspace: Path, sample: Path, open_page
) -> None:
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("claims.csv", CSV, "text/csv").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="bl_map:user").value == "actor"  # proposed, left as it is
    at.selectbox(key="bl_map:source_ip").set_value("(not in this log)").run()
    at.selectbox(key="bl_map:records").set_value("src").run()  # a person's (odd) choice
    assert any("Proposed by the tool, not confirmed:" in c.value and "user" in c.value for c in at.caption)
    at.button(key="bl_attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "audit")
    assert b.confirmed == ("records",) and "source_ip" not in b.mapping and b.mapping["user"] == "actor"
    # The baseline shown after the attach lists every role with who chose it.
    table = at.table[0].value
    rows = dict(zip(table["Role"], table["Confirmed"], strict=True))
    assert rows["records"] == "by a person" and rows["user"].startswith("no: proposed by the tool")

    # Next time the form starts from this mapping: the confirmed role stays confirmed, and
    # ticking "checked every role" confirms the others.
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("claims.csv", CSV, "text/csv").run()
    assert at.selectbox(key="bl_map:records").value == "src"
    assert any("from last time" in c.value for c in at.caption)
    at.checkbox(key="bl_confirmed").check().run()
    at.button(key="bl_attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "audit")
    assert b.version == 2 and set(b.confirmed) == set(b.mapping)


def test_baselines_attached_before_the_migration_are_confirmed_by_nobody(
    sample: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command

    cli(capsys, workspace, "attach", "claims", str(sample), "--confirmed", "--log-source", "old")
    with Store.open(workspace) as s, s.engine.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_drills")
    with sqlite3.connect(workspace / DB_FILENAME) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(baselines)")]
    db.close()
    assert "confirmed" not in columns
    with Store.open(workspace) as s:  # upgraded again on opening
        b = s.get_baseline("claims", "old")
        saved = s.get_log_mapping("claims", "old")
        assert s.integrity_check() == []
    assert b.events == 3 and b.confirmed == () and saved is not None and saved.confirmed == ()
