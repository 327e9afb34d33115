"""Schema versions: upgrade an old workspace in place when it is opened.

Alembic does the work, driven from code (no ``alembic.ini``) with the store's own
connection, so the upgrade runs inside the same locked transaction as any other
write and two processes opening a new workspace at once do not race.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from workshop.core.errors import WorkspaceError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> bool:
    """Bring the schema to the newest revision; return True if anything ran."""
    current = current_revision(conn)
    if current == head_revision():
        return False
    cfg = _config()
    cfg.attributes["connection"] = conn
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:
        # e.g. a workspace written by a newer version of the toolkit (unknown revision)
        raise WorkspaceError(
            f"cannot upgrade the workspace database from schema revision {current!r} "
            f"({exc}); was it written by a newer version of the toolkit? (nothing was changed)"
        ) from exc
    return True
