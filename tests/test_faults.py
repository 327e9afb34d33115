"""Faults: a full disk gives a clear message, loses nothing saved, corrupts nothing.

A full disk is simulated with SQLite's ``max_page_count``: once the database may not
grow, SQLite fails writes with SQLITE_FULL ("database or disk is full"), exactly the
error a full filesystem gives.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from workshop.core.errors import WorkspaceError
from workshop.interview.model import Application
from workshop.store import Store


def fill_disk(store: Store) -> None:
    """From now on the database cannot grow by a single page."""

    def cap(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.close()

    store.engine.dispose()  # new connections get the cap
    event.listen(store.engine, "connect", cap)


def test_full_disk_gives_a_clear_error_and_keeps_earlier_answers(workspace: Path) -> None:
    with Store.open() as s:
        s.create_application(Application("pay", "Payroll"))
        iid = s.create_interview("pay", "q", "1").id
        s.save_answer(iid, "q.saved", "before the disk filled")
        fill_disk(s)
        with pytest.raises(WorkspaceError, match="disk holding the workspace is full"):
            s.save_answer(iid, "q.big", "x" * 200_000)
        with pytest.raises(WorkspaceError, match="full"):
            s.import_interview("pay", "q", "1", {f"q.{i}": {"value": "y" * 5000} for i in range(100)})
    with Store.open() as s:  # a fresh connection, no cap
        assert s.integrity_check() == []
        assert s.get_answer(iid, "q.saved").value == "before the disk filled"
        assert s.get_answer(iid, "q.big") is None
        assert len(s.list_interviews("pay")) == 1  # the failed import left nothing behind
        assert [h.question_id for h in s.history(iid)] == ["q.saved"]


@pytest.mark.slow
def test_full_disk_in_the_app_shows_a_message_not_a_traceback(workspace: Path, open_page) -> None:
    (workspace / "questionnaires").mkdir(parents=True)
    (workspace / "questionnaires" / "t.yaml").write_text(
        (Path(__file__).parent / "data" / "all-types.yaml").read_text()
    )
    with Store.open() as s:
        s.create_application(Application("claims", "Claims"))
        s.create_interview("claims", "all-types", "1")
    at = open_page("workshop/ui/pages/workshop.py", "claims")
    at.text_input(key="v:1:basics.name").input("Saved fine").run()
    from workshop.ui import state

    fill_disk(state.store())  # the app's own cached store
    at.text_area(key="v:1:basics.summary").input("z" * 40_000).run()
    assert not at.exception
    assert any("disk holding the workspace is full" in e.value for e in at.error)
    with Store.open() as s:
        assert s.integrity_check() == []
        assert s.get_answer(1, "basics.name").value == "Saved fine"
        assert s.get_answer(1, "basics.summary") is None
    state.store().engine.dispose()
