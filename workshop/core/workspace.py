"""Where a workspace lives and which database it uses.

The workspace is a folder (default ``./workspace``; ``--workspace DIR`` or
``$WORKSHOP_HOME`` choose another) holding the SQLite database and anything the
toolkit keeps per workspace. ``$WORKSHOP_DB_URL`` points the store at another
database, such as a team's PostgreSQL server, while files stay in the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WORKSPACE = "workspace"
DB_FILENAME = "workshop.db"

#: The project's top-level folder (holds questionnaires/, usecases/, attack_data/).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def resolve_workspace(path: str | os.PathLike[str] | None = None) -> Path:
    if path:
        return Path(path).expanduser().resolve()
    env = os.environ.get("WORKSHOP_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_WORKSPACE).resolve()


def database_url(workspace: Path) -> str:
    env = os.environ.get("WORKSHOP_DB_URL")
    if env:
        return env
    return f"sqlite:///{workspace / DB_FILENAME}"


def questionnaire_dirs(workspace: Path | None = None) -> list[Path]:
    """Folders searched for questionnaires: the project's own, then the workspace's."""
    dirs = [PROJECT_ROOT / "questionnaires"]
    if workspace is not None:
        dirs.append(workspace / "questionnaires")
    return dirs
