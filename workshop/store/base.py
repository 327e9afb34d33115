"""What every part of the store stands on: the engine, one transaction per read or write
with messages a person can act on, and the application lookup the parts share.

:class:`~workshop.store.store.Store` combines the parts (applications and interviews, use
cases, baselines, rules); each part is a mixin over :class:`StoreBase`, so it reaches the
connections through typed methods rather than through attributes it hopes are there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from workshop.core.errors import NotFoundError, WorkspaceError
from workshop.interview.model import Application
from workshop.store.schema import applications


def _read_message(exc: BaseException) -> str:
    """For a failed read: what happened, without claiming that a write failed."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "full" in text or "disk i/o" in text:
        return (
            "cannot read the workspace database: the disk holding it is full or failing "
            f"({getattr(exc, 'orig', exc)}); free some space and try again"
        )
    if "locked" in text:
        return "the workspace database is busy (locked by another program); try again"
    if "unable to open" in text:
        return "cannot open the workspace database; check that the folder exists and is readable"
    return f"the workspace database reported an error: {getattr(exc, 'orig', exc)}"


def _workspace_message(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if "full" in text:
        return "the disk holding the workspace is full; free some space and try again (nothing was saved)"
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the workspace is read-only; check its permissions (nothing was saved)"
    if "locked" in text:
        return "the workspace database is busy (locked by another program); try again (nothing was saved)"
    if "unable to open" in text:
        return "cannot open the workspace database; check that the folder exists and is writable"
    return f"the workspace database reported an error: {getattr(exc, 'orig', exc)} (nothing was saved)"


def new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table has an integer key
        raise WorkspaceError("the workspace database did not report the new row's id (nothing was saved)")
    return int(key[0])


class StoreBase:
    """The engine and its transactions."""

    def __init__(self, engine: Engine, workspace: Path | None = None) -> None:
        self.engine = engine
        self.workspace = workspace
        self._thread_lock = threading.Lock()
        db = engine.url.database if engine.dialect.name == "sqlite" else None
        self._lock_path = f"{db}.lock" if db and db != ":memory:" and not db.startswith("file:") else None

    # -- transactions -------------------------------------------------------
    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._writer_turn(), self.engine.connect() as conn:
                conn = conn.execution_options(write=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise WorkspaceError(_workspace_message(exc)) from exc
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise WorkspaceError(_workspace_message(exc)) from exc
        except TypeError as exc:  # some drivers raise the JSON encoder's error unwrapped
            if "JSON serializable" not in str(exc):
                raise
            raise WorkspaceError(f"a value could not be stored: {exc} (nothing was saved)") from exc

    @contextlib.contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Queue SQLite writers in the kernel instead of in SQLite's busy handler.

        SQLite's busy handler retries with growing sleeps, so under contention one
        writer can lose again and again (seconds for one save with 20 sessions). A
        blocking ``flock`` on a file next to the database wakes the next waiter as
        soon as the lock is released; a thread lock does the same inside a process.
        Other programs that open the database without the lock are still safe:
        ``BEGIN IMMEDIATE`` and the busy timeout remain underneath.
        """
        if self._lock_path is None:
            yield
            return
        with self._thread_lock:
            try:
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                yield  # a read-only folder: SQLite itself will say why the write fails
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the lock

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise WorkspaceError(_read_message(exc)) from exc

    # -- the application lookup every part needs ------------------------------
    @staticmethod
    def _app(row: Any) -> Application:
        return Application(
            slug=row.slug,
            name=row.name,
            owner=row.owner,
            criticality=row.criticality,
            description=row.description,
            platforms=tuple(row.platforms or ()),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def get_application(self, slug: str) -> Application:
        with self._read() as conn:
            row = conn.execute(select(applications).where(applications.c.slug == slug)).first()
        if row is None:
            raise NotFoundError(f"no application '{slug}' in this workspace")
        return self._app(row)

    @staticmethod
    def _app_id(conn: Connection, slug: str) -> int:
        row = conn.execute(select(applications.c.id).where(applications.c.slug == slug)).first()
        if row is None:
            raise NotFoundError(f"no application '{slug}' in this workspace")
        return row.id
