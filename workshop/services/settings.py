"""Workspace settings a person chooses in the app or on the command line.

Kept as a small YAML file in the workspace folder (``settings.yaml``), written
atomically; unknown keys are kept so that newer versions can add settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workshop.core import yamlsource
from workshop.core.errors import WorkshopError
from workshop.core.fileio import atomic_write_text
from workshop.vocab import Criticality

FILENAME = "settings.yaml"
#: Days between workshops by criticality, unless the workspace's settings say otherwise
#: (plain str keys: the settings file is YAML, whose safe dumper writes no enums).
REVIEW_INTERVAL_DAYS: dict[str, int] = {
    Criticality.CRITICAL.value: 180,
    Criticality.HIGH.value: 365,
    Criticality.MEDIUM.value: 365,
    Criticality.LOW.value: 730,
}
DEFAULTS: dict[str, Any] = {
    "attack_bundle": "",  # path of an ATT&CK STIX bundle ("" = newest download, else built-in)
    "review_interval_days": REVIEW_INTERVAL_DAYS,
}


def check(key: str, value: Any) -> Any:
    """A setting's value in its proper shape, or InputError saying what it must be."""
    from workshop.core.errors import InputError

    if key == "review_interval_days":
        if not isinstance(value, dict) or not value:
            raise InputError("review_interval_days is a mapping of criticality to days, e.g. {high: 365}")
        out = {}
        for crit, days in value.items():
            if crit not in DEFAULTS["review_interval_days"]:
                raise InputError(f"unknown criticality '{crit}' (use {', '.join(DEFAULTS['review_interval_days'])})")
            if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
                raise InputError(f"review interval for {crit} must be a positive whole number of days, not {days!r}")
            out[str(crit)] = days
        return out
    if key == "attack_bundle":
        if value in (None, ""):
            return ""
        from workshop.attack import load_index

        path = Path(str(value)).expanduser()
        if not path.is_file():
            raise InputError(f"no ATT&CK bundle at {path}")
        load_index(path)  # raises LoadError with the reason when it is not an ATT&CK bundle
        return str(path.resolve())
    return value


def load(workspace: Path | None) -> dict[str, Any]:
    """The settings with defaults filled in (only the defaults without a workspace folder)."""
    data: dict[str, Any] = {}
    path = None if workspace is None else workspace / FILENAME
    if path is not None and path.is_file():
        try:
            loaded = yamlsource.load_file(path)
        except WorkshopError:
            loaded = None  # a broken settings file must not stop the app; defaults apply
        if isinstance(loaded, dict):
            data = dict(loaded)
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for k, v in data.items():
        if isinstance(out.get(k), dict):
            if isinstance(v, dict):  # a hand-edited file with the wrong shape keeps the defaults
                out[k].update({kk: vv for kk, vv in v.items() if isinstance(vv, int) and not isinstance(vv, bool)})
        else:
            out[k] = v
    return out


def save(workspace: Path, changes: dict[str, Any]) -> dict[str, Any]:
    current = load(workspace)
    for key, value in changes.items():
        value = check(key, value)
        if isinstance(current.get(key), dict) and isinstance(value, dict):
            current[key].update(value)
        else:
            current[key] = value
    workspace.mkdir(parents=True, exist_ok=True)
    atomic_write_text(workspace / FILENAME, yamlsource.dump(dict(sorted(current.items()))))
    return current
