"""Choosing and loading ATT&CK data: a bundle through the cache, or the built-in catalogue.

Which bundle: ``--bundle PATH`` (or ``builtin``), else ``$WORKSHOP_ATTACK_BUNDLE``,
else the newest bundle downloaded into ``attack_data/`` by ``workshop attack fetch``,
else the built-in catalogue.

The cold path (no cache) parses the bundle with ``json`` and extracts the compact
index (the cache file is written in the background); the warm path reads the
cached index (hashing the file only when its stat signature changed). Both run
with the cyclic garbage collector paused (see :func:`~workshop.attack.index.gc_paused`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from workshop.attack import cache
from workshop.attack.builtin import load_builtin
from workshop.attack.bundle import parse_bundle, read_bytes, version_from_filename
from workshop.attack.index import AttackIndex, extract, gc_paused
from workshop.core.errors import LoadError, Location, WorkshopError
from workshop.core.workspace import PROJECT_ROOT

log = logging.getLogger(__name__)

ENV_BUNDLE = "WORKSHOP_ATTACK_BUNDLE"
#: Where ``workshop attack fetch`` writes bundles and where we look for them.
DEFAULT_DATA_DIR = PROJECT_ROOT / "attack_data"
#: ``--bundle builtin`` asks for the built-in catalogue even when a bundle is around.
BUILTIN = "builtin"


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        raise LoadError(f"cannot read ATT&CK bundle: {exc.strerror or exc}", Location(str(path))) from exc


def downloaded_bundles(data_dir: Path | None = None) -> list[Path]:
    """Bundles in ``attack_data/`` (``*-attack*.json``), newest release first."""
    folder = Path(data_dir or DEFAULT_DATA_DIR)
    try:
        found = [p for p in folder.glob("*-attack*.json") if p.is_file()]
    except OSError:
        return []

    def key(p: Path) -> tuple[int, tuple[int, ...], float]:
        version = version_from_filename(p.name)
        parts = tuple(int(x) for x in version.split(".")) if version else ()
        enterprise = int(p.name.startswith("enterprise-"))
        return (enterprise, parts, p.stat().st_mtime)

    return sorted(found, key=key, reverse=True)


def resolve_bundle(bundle: str | os.PathLike[str] | None = None, data_dir: Path | None = None) -> Path | None:
    """The bundle to use, or None for the built-in catalogue (see the module docstring)."""
    for choice in (bundle, os.environ.get(ENV_BUNDLE)):
        if choice is None or str(choice).strip() == "":
            continue
        if str(choice).strip().lower() == BUILTIN:
            return None
        return Path(choice).expanduser()
    found = downloaded_bundles(data_dir)
    return found[0] if found else None


def load_index(
    bundle: str | os.PathLike[str] | None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> AttackIndex:
    """Load a bundle (through the cache), or the built-in catalogue when ``bundle`` is None.

    Raises :class:`~workshop.core.errors.LoadError` for a missing, corrupt, truncated or
    non-ATT&CK file. ``index.cache_status`` tells what happened: ``hit``, ``miss``,
    ``rebuilt`` (a cache file was there but unusable), ``off`` or ``builtin``;
    ``index.load_seconds`` how long it took.
    """
    start = time.perf_counter()
    if bundle is None or str(bundle).strip().lower() == BUILTIN:
        index = load_builtin()
        index.cache_status = "builtin"
        index.load_seconds = time.perf_counter() - start
        return index
    path = Path(bundle).expanduser()
    folder = Path(cache_dir) if cache_dir is not None else cache.DEFAULT_CACHE_DIR
    cache.wait_for_writes()  # a cache file this process is still writing counts as there
    status = "off"
    data: bytes | None = None
    with gc_paused():
        if use_cache:
            st = _stat(path)
            sha = cache.known_sha256(folder, path, st)
            if sha is None:
                # read once: the same bytes give the hash and, on a miss, the parse
                data = read_bytes(path)
                sha = hashlib.sha256(data).hexdigest()
            payload = cache.read_cache(folder, sha)
            if payload is not None:
                try:
                    index = AttackIndex.from_payload(payload, str(path))
                except (KeyError, TypeError, ValueError, IndexError) as exc:
                    log.warning("ignoring unusable ATT&CK index cache (%s); rebuilding it", exc)
                    status = "rebuilt"
                else:
                    cache.remember_sha256(folder, path, st, sha)
                    index.postings_cache = cache.SearchCache(folder, sha)
                    index.cache_status = "hit"
                    index.load_seconds = time.perf_counter() - start
                    return index
            else:
                status = "rebuilt" if cache.cache_path(folder, sha).exists() else "miss"
        if data is None:
            data = read_bytes(path)
        payload = extract(parse_bundle(data, str(path)))
        index = AttackIndex.from_payload(payload, str(path))
    if use_cache:
        sha = payload["meta"]["sha256"]
        # the hash of the bytes parsed, under the signature taken before reading them
        cache.write_cache_in_background(
            folder, payload, lambda _: cache.remember_sha256(folder, path, st, sha)
        )
        index.postings_cache = cache.SearchCache(folder, sha)
    index.cache_status = status
    index.load_seconds = time.perf_counter() - start
    return index


def load_index_or_builtin(
    bundle: str | os.PathLike[str] | None, cache_dir: str | os.PathLike[str] | None = None
) -> tuple[AttackIndex, str | None]:
    """Like :func:`load_index`, but a bundle that cannot be loaded gives the built-in
    catalogue and a warning to show (the app must open even with a broken download).
    """
    if bundle is None or str(bundle).strip().lower() == BUILTIN:
        return load_index(None), None
    try:
        return load_index(bundle, cache_dir), None
    except WorkshopError as exc:
        index = load_index(None)
        warning = (
            f"Could not load the ATT&CK bundle ({exc}). Using the built-in catalogue of "
            f"{index.counts()['techniques'] + index.counts()['subtechniques']} techniques instead: "
            "no detection strategies, analytics or mitigations."
        )
        return index, warning
