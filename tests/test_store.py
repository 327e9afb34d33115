"""The workspace store: applications, interviews, answers, history, failures and migrations."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from workshop.core.errors import InputError, NotFoundError, StaleEditError, WorkspaceError
from workshop.core.workspace import DB_FILENAME
from workshop.interview.model import Application, slugify
from workshop.store import UNSET, Store, migrate


@pytest.fixture
def store(workspace: Path, backend: str) -> Iterator[Store]:
    """The store on SQLite, and on PostgreSQL when WORKSHOP_TEST_PG_URL names a server."""
    s = Store.open()
    yield s
    s.close()


@pytest.fixture
def interview_id(store: Store) -> int:
    store.create_application(Application("pay", "Payroll"))
    return store.create_interview("pay", "test-mini", "1").id


def _raw(workspace: Path, sql: str) -> list[tuple]:
    if os.environ.get("WORKSHOP_DB_URL"):
        from sqlalchemy import create_engine, text

        engine = create_engine(os.environ["WORKSHOP_DB_URL"])
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()
    con = sqlite3.connect(workspace / DB_FILENAME)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- opening ------------------------------------------------------------------------------


def test_open_creates_the_workspace_and_database(workspace: Path) -> None:
    assert not workspace.exists()
    with Store.open() as s:
        assert s.workspace == workspace.resolve()
        assert s.list_applications() == []
        assert s.integrity_check() == []
        assert s.url.endswith(DB_FILENAME)
    assert (workspace / DB_FILENAME).is_file()
    assert _raw(workspace, "PRAGMA journal_mode") == [("wal",)]


def test_open_an_explicit_folder(tmp_path: Path, workspace: Path) -> None:
    other = tmp_path / "elsewhere"
    with Store.open(other) as s:
        s.create_application(Application("a", "A"))
    assert (other / DB_FILENAME).is_file()
    assert not workspace.exists()


def test_open_where_a_folder_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkspaceError, match="cannot create workspace folder"):
        Store.open(blocker / "ws")


# --- applications ----------------------------------------------------------------------------


def test_create_get_list_applications(store: Store) -> None:
    created = store.create_application(
        Application("payroll-portal", "Payroll Portal", owner="Ann", criticality="high",
                    description="Pays people.\nMonthly.", platforms=("SaaS", "Linux"))
    )  # fmt: skip
    assert created.slug == "payroll-portal"
    assert created.platforms == ("SaaS", "Linux")
    assert created.created_at.tzinfo is not None
    assert created.created_at.utcoffset() == dt.timedelta(0)
    assert abs(created.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    store.create_application(Application("zeta", "alpha tool"))
    store.create_application(Application("beta", "Zed"))
    # listed by name, case-insensitively
    assert [a.slug for a in store.list_applications()] == ["zeta", "payroll-portal", "beta"]
    got = store.get_application("payroll-portal")
    assert got == created
    assert got.description == "Pays people.\nMonthly."
    assert store.has_application("beta") and not store.has_application("gamma")


def test_duplicate_slug_is_refused(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    with pytest.raises(InputError, match="an application with slug 'pay' already exists"):
        store.create_application(Application("pay", "Another"))
    assert len(store.list_applications()) == 1


@pytest.mark.parametrize(
    "slug",
    ["../x", "..", "a/b", "a\\b", "/etc", "a\nb", "a\x00b", "a\tb", "a\x1bb", "A", "Pay", "a b", " a", "",
     "-a", "a-", "a_b", "café", "x" * 65],
)  # fmt: skip
def test_bad_slugs_are_refused(store: Store, slug: str) -> None:
    with pytest.raises(InputError, match="invalid application slug"):
        store.create_application(Application(slug, "Name"))
    assert store.list_applications() == []


@pytest.mark.parametrize("slug", ["a", "a1", "payroll-portal", "x" * 64, "0day"])
def test_good_slugs(store: Store, slug: str) -> None:
    assert store.create_application(Application(slug, "N")).slug == slug


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"name": ""}, "name is required"),
        ({"name": "bell\x07"}, "name contains control characters"),
        ({"name": "x" * 201}, "name is longer than 200 characters"),
        ({"owner": "a\nb"}, "owner contains control characters"),
        ({"criticality": "extreme"}, "criticality must be one of low, medium, high, critical"),
        ({"description": "d" * 10_001}, "description is longer than 10,000"),
        ({"platforms": ("Linux\x00",)}, "platform contains control characters"),
    ],
)
def test_profile_fields_are_checked(store: Store, fields: dict, fragment: str) -> None:
    base = {"slug": "app", "name": "App"} | fields
    with pytest.raises(InputError, match=fragment):
        store.create_application(Application(**base))
    assert store.list_applications() == []


def test_slugify() -> None:
    assert slugify("Payroll Portal") == "payroll-portal"
    assert slugify("  Café / Zürich!! ") == "cafe-zurich"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("日本") == "app"
    assert len(slugify("x" * 100)) == 64


def test_update_application(store: Store) -> None:
    before = store.create_application(Application("pay", "Payroll", owner="Ann"))
    after = store.update_application("pay", owner="Bob", criticality="critical", platforms=["SaaS"])
    assert (after.name, after.owner, after.criticality, after.platforms) == (
        "Payroll",
        "Bob",
        "critical",
        ("SaaS",),
    )
    assert after.created_at == before.created_at
    assert after.updated_at >= before.updated_at
    assert store.get_application("pay") == after


def test_update_application_refuses_bad_input(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    with pytest.raises(InputError, match="cannot change created_at, id"):
        store.update_application("pay", created_at=None, id=5)
    with pytest.raises(InputError, match="criticality"):
        store.update_application("pay", criticality="urgent")
    with pytest.raises(NotFoundError, match="no application 'nope'"):
        store.update_application("nope", owner="x")
    assert store.get_application("pay").criticality == "medium"


def test_delete_application_removes_everything(store: Store, interview_id: int, workspace: Path) -> None:
    store.save_answer(interview_id, "q.a", 1)
    second = store.create_interview("pay", "test-mini", "1", previous_id=interview_id).id
    store.save_answer(second, "q.a", 2)
    store.create_application(Application("keep", "Keep"))
    keep = store.create_interview("keep", "test-mini", "1").id
    store.save_answer(keep, "q.a", 3)
    store.delete_application("pay")
    assert [a.slug for a in store.list_applications()] == ["keep"]
    assert [i.id for i in store.list_interviews()] == [keep]
    assert store.answers(interview_id) == {} and store.history(second) == []
    assert _raw(workspace, "SELECT count(*) FROM answers") == [(1,)]
    assert _raw(workspace, "SELECT count(*) FROM answer_history") == [(1,)]
    assert store.integrity_check() == []
    with pytest.raises(NotFoundError):
        store.delete_application("pay")


def test_lookups_with_hostile_slugs_find_nothing(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    for slug in ("../pay", "pay' OR '1'='1", "%", "pay%"):
        with pytest.raises(NotFoundError):
            store.get_application(slug)
        assert store.has_application(slug) is False


# --- interviews --------------------------------------------------------------------------------


def test_create_and_list_interviews(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    store.create_application(Application("hr", "HR"))
    first = store.create_interview("pay", "test-mini", "1", held_on="2025-01-10", facilitator="Fay",
                                   participants=["Ann", " ", "Bob"])  # fmt: skip
    assert first.application == "pay"
    assert first.held_on == "2025-01-10"
    assert first.participants == ("Ann", "Bob")
    assert first.status == "open"
    before = dt.datetime.now(dt.UTC).date().isoformat()
    second = store.create_interview("pay", "test-mini", 2, previous_id=first.id)
    after = dt.datetime.now(dt.UTC).date().isoformat()
    assert second.questionnaire_version == "2"
    assert second.held_on in {before, after}  # defaults to today (UTC; either side of a midnight)
    other = store.create_interview("hr", "test-mini", "1")
    assert [i.id for i in store.list_interviews("pay")] == [second.id, first.id]
    assert {i.id for i in store.list_interviews()} == {first.id, second.id, other.id}
    assert store.latest_interview("pay") == second
    assert store.get_interview(second.id).previous_id == first.id
    with pytest.raises(NotFoundError):
        store.get_interview(999)
    with pytest.raises(NotFoundError):
        store.create_interview("nope", "test-mini", "1")
    with pytest.raises(InputError):
        store.create_interview("../pay", "test-mini", "1")
    with pytest.raises(InputError, match="facilitator contains control characters"):
        store.create_interview("pay", "test-mini", "1", facilitator="a\rb")
    assert len(store.list_interviews("pay")) == 2


def test_latest_interview_of_an_app_without_one(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    assert store.latest_interview("pay") is None


def test_update_interview(store: Store, interview_id: int) -> None:
    i = store.update_interview(interview_id, status="closed", facilitator="Fay", participants=["A", "B"])
    assert (i.status, i.facilitator, i.participants) == ("closed", "Fay", ("A", "B"))
    with pytest.raises(InputError, match="status must be 'open' or 'closed'"):
        store.update_interview(interview_id, status="done")
    with pytest.raises(InputError, match="cannot change questionnaire_id"):
        store.update_interview(interview_id, questionnaire_id="x")
    with pytest.raises(NotFoundError):
        store.update_interview(999, status="open")
    store.set_current_section(interview_id, "access")
    assert store.get_interview(interview_id).current_section == "access"


# --- answers ---------------------------------------------------------------------------------


def test_save_answer_revisions_and_history(store: Store, interview_id: int) -> None:
    a1 = store.save_answer(interview_id, "q.a", {"days": ["mon"], "n": [1, 2]}, who="ann")
    assert (a1.revision, a1.value, a1.updated_by) == (1, {"days": ["mon"], "n": [1, 2]}, "ann")
    a2 = store.save_answer(interview_id, "q.a", "two", who="bob")
    assert a2.revision == 2
    assert store.get_answer(interview_id, "q.a") == a2
    hist = store.history(interview_id)
    assert [(h.revision, h.who) for h in hist] == [(1, "ann"), (2, "bob")]
    assert hist[0].old is None
    assert hist[0].new["value"] == {"days": ["mon"], "n": [1, 2]}
    assert hist[1].old["value"] == {"days": ["mon"], "n": [1, 2]}
    assert hist[1].new == {"value": "two", "unknown": False, "follow_up": False,
                           "follow_up_owner": "", "follow_up_note": ""}  # fmt: skip
    assert hist[1].at == a2.updated_at
    assert store.get_interview(interview_id).updated_at == a2.updated_at


def test_saving_the_same_value_writes_no_history(store: Store, interview_id: int) -> None:
    first = store.save_answer(interview_id, "q.a", [1, 2], who="ann")
    again = store.save_answer(interview_id, "q.a", [1, 2], who="bob")
    assert again == first
    assert again.revision == 1 and again.updated_by == "ann"
    flags_same = store.save_answer(interview_id, "q.a", unknown=False, follow_up=False)
    assert flags_same.revision == 1
    assert len(store.history(interview_id, "q.a")) == 1


def test_saving_nothing_to_an_unanswered_question_writes_nothing(store: Store, interview_id: int) -> None:
    empty = store.save_answer(interview_id, "q.never", None, unknown=False, follow_up=False, who="ann")
    assert empty.revision == 0 and empty.value is None
    assert store.get_answer(interview_id, "q.never") is None
    assert store.history(interview_id) == []
    assert store.save_answers(interview_id, {"q.never": {"value": None}}) == 0
    assert store.answers(interview_id) == {}
    # the next real save starts from revision 0
    assert store.save_answer(interview_id, "q.never", "now", expected_revision=0).revision == 1


def test_flags_without_touching_the_value(store: Store, interview_id: int) -> None:
    store.save_answer(interview_id, "q.a", "value")
    a = store.save_answer(
        interview_id, "q.a", follow_up=True, follow_up_owner="Ann", follow_up_note="ask IT\nby Friday"
    )
    assert (a.value, a.follow_up, a.follow_up_owner, a.follow_up_note, a.revision) == (
        "value", True, "Ann", "ask IT\nby Friday", 2,
    )  # fmt: skip
    b = store.save_answer(interview_id, "q.a", UNSET, unknown=True)
    assert (b.value, b.unknown, b.follow_up_owner) == ("value", True, "Ann")
    assert b.answered is True
    c = store.save_answer(interview_id, "q.a", None, unknown=False)
    assert c.value is None and c.answered is False and c.follow_up is True
    unknown_only = store.save_answer(interview_id, "q.b", unknown=True)
    assert unknown_only.revision == 1 and unknown_only.value is None and unknown_only.answered
    assert store.get_answer(interview_id, "q.b").unknown is True
    assert len(store.history(interview_id, "q.a")) == 4


def test_stale_edit_is_refused_with_the_current_answer(store: Store, interview_id: int) -> None:
    store.save_answer(interview_id, "q.a", "mine", who="ann", expected_revision=0)
    store.save_answer(interview_id, "q.a", "theirs", who="bob", expected_revision=1)
    with pytest.raises(StaleEditError) as err:
        store.save_answer(interview_id, "q.a", "late", who="ann", expected_revision=1)
    assert "changed by bob" in err.value.message
    assert err.value.current.value == "theirs"
    assert err.value.current.revision == 2
    assert store.get_answer(interview_id, "q.a").value == "theirs"
    assert len(store.history(interview_id)) == 2


def test_stale_edit_on_a_new_answer(store: Store, interview_id: int) -> None:
    store.save_answer(interview_id, "q.a", "first", who="bob")
    with pytest.raises(StaleEditError) as err:
        store.save_answer(interview_id, "q.a", "second", expected_revision=0)
    assert err.value.current.value == "first"
    with pytest.raises(StaleEditError) as err:
        store.save_answer(interview_id, "q.new", "x", expected_revision=3)
    assert err.value.current.revision == 0
    assert store.get_answer(interview_id, "q.new") is None


def test_save_answer_input_checks(store: Store, interview_id: int) -> None:
    with pytest.raises(NotFoundError, match="no interview 999"):
        store.save_answer(999, "q.a", 1)
    with pytest.raises(InputError, match="follow-up note is longer than 5,000"):
        store.save_answer(interview_id, "q.a", 1, follow_up_note="n" * 5001)
    with pytest.raises(InputError, match="follow-up owner contains control characters"):
        store.save_answer(interview_id, "q.a", 1, follow_up_owner="a\x00")
    with pytest.raises(InputError, match="who contains control characters"):
        store.save_answer(interview_id, "q.a", 1, who="x\ny")
    assert store.answers(interview_id) == {}
    assert store.history(interview_id) == []


def test_values_round_trip_through_json(store: Store, interview_id: int) -> None:
    values = {
        "q.text": "日本語 🎉 'quotes' \"double\" \\ back",
        "q.int": 0,
        "q.bool": False,
        "q.float": 1.25,
        "q.list": [{"name": "admin", "count": None, "privileged": True}],
        "q.tags": ["GB", "IE"],
    }
    for qid, v in values.items():
        store.save_answer(interview_id, qid, v)
    got = store.answers(interview_id)
    assert {k: a.value for k, a in got.items()} == values
    assert got["q.bool"].answered and got["q.int"].answered


def test_save_answers_is_all_or_nothing(store: Store, interview_id: int) -> None:
    store.save_answer(interview_id, "q.a", 1)
    changed = store.save_answers(
        interview_id, {"q.a": {"value": 1}, "q.b": {"value": 2}, "q.c": {"unknown": True}}
    )
    assert changed == 2
    assert store.get_answer(interview_id, "q.c").unknown
    before = store.answers(interview_id)
    with pytest.raises(WorkspaceError):
        # a value the database cannot store fails the whole batch
        store.save_answers(interview_id, {"q.d": {"value": 4}, "q.e": {"value": object()}})
    assert store.answers(interview_id) == before


# --- import_interview: one transaction ---------------------------------------------------------


def _states(n: int) -> dict[str, dict]:
    return {f"q.{i}": {"value": i, "unknown": False, "follow_up": False,
                       "follow_up_owner": "", "follow_up_note": ""} for i in range(n)}  # fmt: skip


def test_import_interview_creates_app_interview_and_answers(store: Store) -> None:
    i = store.import_interview("pay", "test-mini", "1", _states(5), create_application=Application("pay", "Payroll"),
                               held_on="2025-05-05", facilitator="Fay", participants=["A"], who="import:x")  # fmt: skip
    assert store.get_application("pay").name == "Payroll"
    assert (i.held_on, i.facilitator, i.participants) == ("2025-05-05", "Fay", ("A",))
    answers = store.answers(i.id)
    assert {k: a.value for k, a in answers.items()} == {f"q.{n}": n for n in range(5)}
    assert all(a.revision == 1 and a.updated_by == "import:x" for a in answers.values())
    assert len(store.history(i.id)) == 5


def test_import_interview_failing_midway_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real_apply = Store._apply

    def flaky_apply(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("simulated crash while writing answer 4")
        return real_apply(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_apply", flaky_apply)
    with pytest.raises(OSError, match="simulated crash"):
        store.import_interview(
            "pay", "test-mini", "1", _states(10), create_application=Application("pay", "Payroll")
        )
    assert calls["n"] == 4  # three answers had been written inside the transaction
    assert store.list_applications() == []
    assert store.list_interviews() == []
    # and into an existing application: no interview is left behind either
    store.create_application(Application("hr", "HR"))
    calls["n"] = 0
    with pytest.raises(OSError):
        store.import_interview("hr", "test-mini", "1", _states(10))
    assert store.list_interviews("hr") == []
    assert store.integrity_check() == []


def test_import_interview_database_error_midway_writes_nothing(store: Store) -> None:
    states = _states(3) | {"q.bad": {"value": object()}}  # not JSON: fails at the 4th answer
    with pytest.raises(WorkspaceError):
        store.import_interview(
            "pay", "test-mini", "1", states, create_application=Application("pay", "Payroll")
        )
    assert store.list_applications() == []


def test_import_interview_into_an_existing_slug_with_a_profile_is_refused(store: Store) -> None:
    store.create_application(Application("pay", "Payroll"))
    with pytest.raises(InputError, match="already exists"):
        store.import_interview("pay", "t", "1", _states(1), create_application=Application("pay", "Other"))
    assert store.get_application("pay").name == "Payroll"
    assert store.list_interviews() == []


# --- read-only and broken workspaces ---------------------------------------------------------------


def _filled_workspace(workspace: Path) -> int:
    with Store.open() as s:
        s.create_application(Application("pay", "Payroll"))
        iid = s.create_interview("pay", "test-mini", "1").id
        s.save_answer(iid, "q.a", "kept")
    return iid


def test_read_only_database_gives_workspace_error(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    iid = _filled_workspace(workspace)
    db = workspace / DB_FILENAME
    before = db.read_bytes()
    monkeypatch.setenv("WORKSHOP_DB_URL", f"sqlite:///file:{db}?mode=ro&uri=true")
    with Store.open() as ro:
        assert [a.slug for a in ro.list_applications()] == ["pay"]  # reading still works
        with pytest.raises(WorkspaceError) as err:
            ro.save_answer(iid, "q.a", "lost?")
        assert err.value.message == "the workspace is read-only; check its permissions (nothing was saved)"
        with pytest.raises(WorkspaceError, match="read-only"):
            ro.create_application(Application("new", "New"))
        with pytest.raises(WorkspaceError, match="read-only"):
            ro.import_interview("x", "t", "1", _states(2), create_application=Application("x", "X"))
        assert ro.get_answer(iid, "q.a").value == "kept"
    monkeypatch.delenv("WORKSHOP_DB_URL")
    assert db.read_bytes() == before
    with Store.open() as s:
        assert s.integrity_check() == []
        assert s.get_answer(iid, "q.a").revision == 1
        assert [a.slug for a in s.list_applications()] == ["pay"]


def test_read_only_new_database_cannot_be_created(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace.mkdir()
    monkeypatch.setenv("WORKSHOP_DB_URL", f"sqlite:///file:{workspace / 'none.db'}?mode=ro&uri=true")
    with pytest.raises(WorkspaceError, match="cannot open the workspace database"):
        Store.open()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_permissions(workspace: Path) -> None:  # pragma: no cover - not run as root
    iid = _filled_workspace(workspace)
    db = workspace / DB_FILENAME
    db.chmod(0o444)
    workspace.chmod(0o555)
    try:
        with pytest.raises(WorkspaceError), Store.open() as s:
            s.save_answer(iid, "q.a", "x")
    finally:
        workspace.chmod(0o755)
        db.chmod(0o644)
    with Store.open() as s:
        assert s.get_answer(iid, "q.a").value == "kept"


def test_not_a_database_gives_workspace_error(workspace: Path) -> None:
    workspace.mkdir()
    (workspace / DB_FILENAME).write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(WorkspaceError, match="the workspace database reported an error"):
        Store.open()


# --- schema migrations ------------------------------------------------------------------------------


def test_fresh_database_is_stamped_at_head(workspace: Path) -> None:
    with Store.open() as s:
        tables = set(inspect(s.engine).get_table_names())
    assert {"applications", "interviews", "answers", "answer_history", "alembic_version"} <= tables
    head = migrate.head_revision()
    assert head is not None
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [(head,)]


def test_reopening_runs_no_migration(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _filled_workspace(workspace)

    def no_upgrade(*args, **kwargs):
        raise AssertionError("a migration ran on an up-to-date workspace")

    monkeypatch.setattr(migrate.command, "upgrade", no_upgrade)
    with Store.open() as s:
        assert s.get_application("pay").name == "Payroll"
        with s.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            assert migrate.upgrade(conn) is False


def test_database_at_base_revision_is_upgraded(workspace: Path) -> None:
    # An old workspace: the version table exists but no revision has been applied yet.
    workspace.mkdir()
    con = sqlite3.connect(workspace / DB_FILENAME)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.commit()
    con.close()
    with Store.open() as s:
        s.create_application(Application("pay", "Payroll"))
        assert s.integrity_check() == []
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]


def test_downgraded_workspace_upgrades_again(workspace: Path) -> None:
    from alembic import command

    with Store.open() as s, s.engine.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert _raw(workspace, "SELECT count(*) FROM sqlite_master WHERE name = 'applications'") == [(0,)]
    with Store.open() as s:
        s.create_application(Application("pay", "Payroll"))
        assert s.integrity_check() == []
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]


def test_workspace_at_the_first_revision_upgrades_and_keeps_its_data(workspace: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    if migrate.head_revision() == "0001":
        pytest.skip("only one schema revision exists so far")
    workspace.mkdir()
    engine = create_engine(f"sqlite:///{workspace / DB_FILENAME}")
    with engine.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql(
            "INSERT INTO applications (slug, name, owner, criticality, description, platforms, created_at, "
            "updated_at) VALUES ('old', 'Old app', '', 'low', '', '[]', '2024-01-01 00:00:00', "
            "'2024-01-01 00:00:00')"
        )
    engine.dispose()
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [("0001",)]
    with Store.open() as s:
        assert s.get_application("old").name == "Old app"
        assert s.integrity_check() == []
        iid = s.create_interview("old", "test-mini", "1").id
        assert s.save_answer(iid, "q.a", 1).revision == 1
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]


def test_tables_without_a_version_are_refused_untouched(workspace: Path) -> None:
    workspace.mkdir()
    con = sqlite3.connect(workspace / DB_FILENAME)
    con.execute("CREATE TABLE applications (id INTEGER PRIMARY KEY, note TEXT)")
    con.execute("INSERT INTO applications (note) VALUES ('precious')")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match="applications already exists"):
        Store.open()
    assert _raw(workspace, "SELECT note FROM applications") == [("precious",)]
    # the failed upgrade was rolled back whole: nothing was added next to the old table
    assert _raw(workspace, "SELECT name FROM sqlite_master") == [("applications",)]


def test_workspace_from_a_newer_version_is_refused(workspace: Path) -> None:
    _filled_workspace(workspace)
    con = sqlite3.connect(workspace / DB_FILENAME)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceError, match="newer version of the toolkit"):
        Store.open()
    assert _raw(workspace, "SELECT version_num FROM alembic_version") == [("9999_future",)]
    assert _raw(workspace, "SELECT count(*) FROM answers") == [(1,)]


def test_integrity_check_reports_a_broken_index(workspace: Path) -> None:
    _filled_workspace(workspace)
    with Store.open() as s:
        assert s.integrity_check() == []
    # Corrupt the database on purpose: an index entry that does not match its table.
    con = sqlite3.connect(workspace / DB_FILENAME)
    con.execute("CREATE TABLE t (x TEXT, y TEXT)")
    con.execute("CREATE INDEX t_x ON t (x)")
    con.execute("INSERT INTO t VALUES ('a', 'z')")
    con.commit()
    con.execute("PRAGMA writable_schema=ON")
    con.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX t_x ON t (y)' WHERE name = 't_x'")
    con.commit()
    con.close()
    with Store.open() as s:
        problems = s.integrity_check()
    assert problems == ["row 1 missing from index t_x"]
