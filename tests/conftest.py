"""Shared fixtures.

- ``workspace``: an empty workspace folder that the store and the CLI use by default.
- ``demo_workspace``: that folder holding a copy of the demo (built once per test process by
  ``create_demo``, then copied per test, since building it takes seconds).
- ``store`` / ``demo_store``: the store of either workspace, open for the test.
- ``own_tempdir``: a temporary folder (``tempfile.gettempdir()``) that no other test writes to.
- ``open_page``: runs the app in Streamlit's AppTest on one page (see ``tests/support/apptest.py``).

Code shared by several test modules lives in ``tests/support/``; no test module imports another.

Data from elsewhere (ATT&CK bundles, Sigma schemas, real log samples) lives in
``../shared`` beside the project and is never copied in; tests that need it use the
``shared_dir`` fixture, which skips with the reason when it is missing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WORKSHOP_SHARED", PROJECT_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(
            f"no shared data folder at {SHARED} (set WORKSHOP_SHARED); this test reads data kept outside the repository"
        )
    return SHARED


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace folder, used by default by the store and the CLI."""
    ws = tmp_path / "ws"
    monkeypatch.setenv("WORKSHOP_HOME", str(ws))
    monkeypatch.delenv("WORKSHOP_DB_URL", raising=False)
    return ws


@pytest.fixture
def own_tempdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of this test's own as the temporary folder (``tempfile.gettempdir()``, ``TMPDIR``).

    The system's temporary folder is shared by both xdist workers and by the browser tests' app
    servers, which put their upload copies there too: a test that checks that no upload copy is
    left behind must look where only its own code writes, or another test's copy, made or removed
    meanwhile, fails it at random.
    """
    folder = tmp_path_factory.mktemp("tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def store(workspace: Path) -> Iterator:
    """The store of the (empty) test workspace."""
    from workshop.store import Store

    with Store.open(workspace) as s:
        yield s


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once per test process (each xdist worker builds its own); never modified."""
    from workshop.core.workspace import DB_FILENAME
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.demo import create_demo
    from workshop.store import Store

    ws = tmp_path_factory.mktemp("demo-template") / "ws"
    with Store.open(ws, f"sqlite:///{ws / DB_FILENAME}") as s:
        create_demo(s, load_questionnaires(ws))
    return ws


@pytest.fixture
def demo_workspace(workspace: Path, demo_template: Path) -> Path:
    """The test workspace holding its own copy of the demo (SQLite, the default store)."""
    from workshop.core.workspace import DB_FILENAME

    shutil.copytree(demo_template, workspace, ignore=shutil.ignore_patterns("*.lock"))
    # The kept log sample is recorded by absolute path: point the copy at its own sample, so a
    # test that changes it cannot change another test's demo.
    with sqlite3.connect(workspace / DB_FILENAME) as db:
        db.execute(
            "UPDATE baselines SET sample_path = ? || substr(sample_path, ?) WHERE sample_path LIKE ? || '%'",
            (str(workspace), len(str(demo_template)) + 1, str(demo_template)),
        )
    db.close()
    return workspace


@pytest.fixture
def demo_store(demo_workspace: Path) -> Iterator:
    """The store of the test's copy of the demo."""
    from workshop.store import Store

    with Store.open(demo_workspace) as s:
        yield s


@pytest.fixture
def open_page(workspace: Path) -> Callable[..., object]:
    """``open_page(page, slug="payroll-portal")``: the app in AppTest on that page of the workspace."""
    from tests.support.apptest import open_page as opener  # imports Streamlit: only where used

    return opener


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (skips without WORKSHOP_TEST_PG_URL).

    WORKSHOP_TEST_PG_URL names a server and a role that may create databases, e.g.
    ``postgresql+psycopg://workshop:workshop@127.0.0.1/postgres`` (what .ci/run sets up).
    """
    admin = os.environ.get("WORKSHOP_TEST_PG_URL")
    if not admin:
        pytest.skip("WORKSHOP_TEST_PG_URL is not set: no PostgreSQL server to test the team set-up against")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ws_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_test_database(engine, name)
        engine.dispose()


def _drop_test_database(engine: Engine, name: str) -> None:
    """Drop a test's database without ``WITH (FORCE)``.

    FORCE makes PostgreSQL check, before it terminates anything, that the caller may signal every
    process on the database. An autovacuum worker that happens to be there (freshly written tables
    invite one) belongs to no role, so for a role that is not a superuser FORCE fails with "must be a
    member of the role whose process is being terminated" (a CI run failed so in teardown). Instead the
    test's own left-over sessions are ended (the role may signal its own), and a plain DROP lets the
    server stop an autovacuum worker itself; it is retried while a session is still closing.
    """
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid() AND usename = current_user"
                ),
                {"name": name},
            )
            try:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except OperationalError as exc:  # 55006: "is being accessed by other users"
                if getattr(exc.orig, "sqlstate", None) != "55006" or time.monotonic() > deadline:
                    raise
        time.sleep(0.2)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a store test on SQLite and, where a server is configured, on PostgreSQL."""
    if request.param == "postgres":
        monkeypatch.setenv("WORKSHOP_DB_URL", request.getfixturevalue("pg_url"))
    return request.param


# Property tests explore at random on developers' machines; in CI (.ci/run sets CI) they replay
# a fixed sequence, so a run is reproducible and a new random find cannot block a landing.
# No example has a deadline and the "too slow" health check is off: both time the machine (a
# loaded 2-core CI runner with Chromium beside it), and a test asserts behaviour, never speed
# (benchmarks/ measure that).
try:
    from hypothesis import HealthCheck as _HealthCheck
    from hypothesis import settings as _hypothesis_settings

    _untimed = {"deadline": None, "suppress_health_check": [_HealthCheck.too_slow]}
    _hypothesis_settings.register_profile("workshop", **_untimed)
    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, **_untimed)
    _hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "workshop")
except ImportError:  # pragma: no cover - hypothesis is in requirements-dev.txt
    pass
