"""Workspace settings a person chooses in the app or on the command line.

Kept as a small YAML file in the workspace folder (``settings.yaml``), written
atomically; unknown keys are kept so that newer versions can add settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from . import yamlsource
from .errors import WorkshopError
from .fileio import atomic_write_text

FILENAME = "settings.yaml"
DEFAULTS: dict[str, Any] = {
    "attack_bundle": "",  # path of an ATT&CK STIX bundle ("" = newest download, else built-in)
    "review_interval_days": {"critical": 180, "high": 365, "medium": 365, "low": 730},
}


def load(workspace: Path) -> dict[str, Any]:
    path = workspace / FILENAME
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = yamlsource.load_file(path)
        except WorkshopError:
            loaded = None  # a broken settings file must not stop the app; defaults apply
        if isinstance(loaded, dict):
            data = dict(loaded)
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for k, v in data.items():
        if isinstance(out.get(k), dict) and isinstance(v, dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


def save(workspace: Path, changes: dict[str, Any]) -> dict[str, Any]:
    current = load(workspace)
    current.update(changes)
    workspace.mkdir(parents=True, exist_ok=True)
    atomic_write_text(workspace / FILENAME, yaml.safe_dump(current, sort_keys=True, allow_unicode=True))
    return current
