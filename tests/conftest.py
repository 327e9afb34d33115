"""Shared fixtures.

Data from elsewhere (ATT&CK bundles, Sigma schemas, real log samples) lives in
``../shared`` beside the project and is never copied in; tests that need it use the
``shared_dir`` fixture, which skips with the reason when it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
