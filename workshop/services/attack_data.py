"""The ATT&CK data a workspace uses: its configured bundle, loaded once per file version.

Rules, documents and the Navigator export all ask for the same index; it lives here,
in the services layer, because choosing it reads the workspace settings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from workshop.attack import AttackIndex
    from workshop.store import Store


def bundle_setting(store: Store) -> str | None:
    """The ATT&CK bundle the workspace settings name (None: newest download or built-in)."""
    if store.workspace is None:
        return None
    from workshop.services import settings

    return settings.load(store.workspace).get("attack_bundle") or None


def organisation_setting(store: Store) -> str:
    """The organisation named in the workspace settings (the creator of exported STIX objects)."""
    if store.workspace is not None:
        from workshop.services import settings

        name = settings.load(store.workspace).get("organisation")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return "Detection engineering (Use-Case Workshop)"


def attack_index(bundle: str | None = None) -> AttackIndex:
    """The ATT&CK index: the bundle asked for, else the newest download, else the built-in
    catalogue. Kept in memory per file and modification time, since documents look
    technique names up on every preview."""
    return _index_and_warning(bundle)[0]


def attack_warning(bundle: str | None = None, store: Store | None = None) -> str | None:
    """Why the configured ATT&CK bundle is not used (the built-in catalogue stands in), or None."""
    if bundle is None and store is not None:
        bundle = bundle_setting(store)
    return _index_and_warning(bundle)[1]


def _index_and_warning(bundle: str | None) -> tuple[AttackIndex, str | None]:
    from workshop.attack import resolve_bundle

    path = resolve_bundle(bundle)
    stamp = path.stat().st_mtime_ns if path is not None and path.exists() else None
    return _index_for(str(path) if path is not None else None, stamp)


@functools.lru_cache(maxsize=4)
def _index_for(path: str | None, _stamp: int | None) -> tuple[AttackIndex, str | None]:
    from workshop.attack import load_index_or_builtin

    return load_index_or_builtin(path)


def tactics_lookup(bundle: str | None) -> Callable[[str], list[str] | None]:
    """Tactics of a technique id (None for a technique the data lacks), for Sigma tags."""
    index = attack_index(bundle)

    def tactics(tid: str) -> list[str] | None:
        t = index.technique(tid)
        return list(t.tactics) if t is not None else None

    return tactics
