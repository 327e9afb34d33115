"""The on-disk cache of compact indexes, keyed by the bundle's content hash.

Why JSON: the cache folder sits in the project tree and may be writable by others
(a shared checkout, a synced folder), and unpickling a file someone else wrote runs
their code. ``json`` reads the ~5 MB compact payload of the enterprise bundle in a
few tens of milliseconds, which meets the warm-start budget without that risk.

Why the content hash (sha256) and not the path or mtime: a bundle replaced by a
newer download under the same name must not reuse the old index, and the same
file copied elsewhere may reuse it. The file name carries the payload format too,
so a toolkit upgrade that changes the layout simply misses and rebuilds.

Hashing 37 MB takes ~25 ms, a third of a warm start, so ``file-hashes.json``
remembers each bundle's hash next to its stat signature (device, inode, size,
mtime and ctime in ns). ctime changes on every write and cannot be set back by
``touch``, so a file whose signature matches has not been rewritten; any
difference means hashing again.

Anything wrong with a cache file (truncated, edited, from another format, for
another hash) makes it a miss: the index is rebuilt and the file rewritten
atomically. A cache that cannot be written is not an error either: loading works,
only the next start is slower.

After a cold load the cache is written by a background thread
(:func:`write_cache_in_background`): the atomic write flushes the file to disk,
and waiting for the disk (0.1 to 0.2 s on a busy machine) would otherwise double
the time before the caller can use the index. The thread is not a daemon, so a
command-line run still finishes the write before the process exits, and every
load waits for pending writes first (:func:`wait_for_writes`), so a process never
misses a cache file it is writing itself.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workshop.attack.index import PAYLOAD_FORMAT
from workshop.core.errors import WorkshopError
from workshop.core.fileio import atomic_write_bytes
from workshop.core.workspace import PROJECT_ROOT

log = logging.getLogger(__name__)

#: Default cache folder; ``cache_dir`` arguments override it (tests use tmp dirs).
DEFAULT_CACHE_DIR = PROJECT_ROOT / "attack_data" / "cache"


HASHES_FILE = "file-hashes.json"
_MAX_REMEMBERED = 64


def _signature(st: os.stat_result) -> list[int]:
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _read_hashes(cache_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((Path(cache_dir) / HASHES_FILE).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def known_sha256(cache_dir: Path, path: Path, st: os.stat_result) -> str | None:
    """The remembered content hash of ``path`` if the file is unchanged since, else None."""
    entry = _read_hashes(cache_dir).get(str(Path(path).resolve()))
    if (
        isinstance(entry, list)
        and len(entry) == 6
        and entry[:5] == _signature(st)
        and isinstance(entry[5], str)
    ):
        return entry[5]
    return None


def remember_sha256(cache_dir: Path, path: Path, st: os.stat_result, sha256: str) -> None:
    """Remember a hash for :func:`known_sha256` (best effort: failures only cost a rehash)."""
    hashes = _read_hashes(cache_dir)
    key = str(Path(path).resolve())
    if hashes.get(key) == [*_signature(st), sha256]:
        return
    hashes.pop(key, None)
    hashes[key] = [*_signature(st), sha256]
    while len(hashes) > _MAX_REMEMBERED:
        hashes.pop(next(iter(hashes)))
    try:
        atomic_write_bytes(Path(cache_dir) / HASHES_FILE, json.dumps(hashes, indent=0).encode("utf-8"))
    except WorkshopError as exc:
        log.debug("cannot remember the bundle hash: %s", exc)


def cache_path(cache_dir: Path, sha256: str) -> Path:
    return Path(cache_dir) / f"attack-index-v{PAYLOAD_FORMAT}-{sha256}.json"


def read_cache(cache_dir: Path, sha256: str) -> dict[str, Any] | None:
    """The cached payload for this content hash, or None (missing or unusable)."""
    path = cache_path(cache_dir, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read ATT&CK index cache %s: %s", path, exc)
        return None
    try:
        payload = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        log.warning("ignoring corrupt ATT&CK index cache %s; rebuilding it", path)
        return None
    if (
        not isinstance(payload, dict)
        or payload.get("format") != PAYLOAD_FORMAT
        or not isinstance(payload.get("meta"), dict)
        or payload["meta"].get("sha256") != sha256
    ):
        log.warning("ignoring ATT&CK index cache %s written for other data; rebuilding it", path)
        return None
    return payload


def search_cache_path(cache_dir: Path, sha256: str) -> Path:
    return Path(cache_dir) / f"attack-search-v{PAYLOAD_FORMAT}-{sha256}.json"


class SearchCache:
    """The search postings of one bundle, in their own file next to its index.

    They are built on the first search rather than at load time: ``info``,
    ``show`` and the app's pages never pay for them, and a warm start does not
    parse them. The first search after a new bundle builds them once (~0.1 s).
    """

    def __init__(self, cache_dir: Path, sha256: str) -> None:
        self.path = search_cache_path(cache_dir, sha256)
        self.sha256 = sha256
        #: "hit", "built" or "" (not used yet): for tests and the benchmark.
        self.status = ""

    def load(self) -> dict[str, list[int]] | None:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, UnicodeDecodeError):
            log.warning("ignoring corrupt ATT&CK search cache %s; rebuilding it", self.path)
            return None
        if (
            not isinstance(data, dict)
            or data.get("sha256") != self.sha256
            or not isinstance(data.get("postings"), dict)
        ):
            return None
        self.status = "hit"
        postings: dict[str, list[int]] = data["postings"]
        return postings

    def save(self, postings: dict[str, list[int]]) -> None:
        """Write the postings in the background (see :func:`write_cache_in_background`)."""
        self.status = "built"
        doc = {"format": PAYLOAD_FORMAT, "sha256": self.sha256, "postings": postings}

        def write() -> None:
            data = json.dumps(doc, separators=(",", ":"), check_circular=False).encode("ascii")
            try:
                atomic_write_bytes(self.path, data)
            except WorkshopError as exc:
                log.warning("cannot write ATT&CK search cache: %s", exc)

        _start(write)


def write_cache(cache_dir: Path, payload: dict[str, Any]) -> Path | None:
    """Write the payload atomically; return the path, or None when it cannot be written."""
    path = cache_path(cache_dir, payload["meta"]["sha256"])
    # ASCII output is both written and read faster by the json C code than UTF-8.
    data = json.dumps(payload, separators=(",", ":"), check_circular=False).encode("ascii")
    try:
        atomic_write_bytes(path, data)
    except WorkshopError as exc:
        log.warning("cannot write ATT&CK index cache: %s", exc)
        return None
    return path


_pending: list[threading.Thread] = []
_pending_lock = threading.Lock()


def write_cache_in_background(
    cache_dir: Path, payload: dict[str, Any], then: Callable[[Path], None] | None = None
) -> threading.Thread:
    """Write the payload in a (non-daemon) thread; ``then(path)`` runs after a successful write.

    The payload must not change afterwards (the loader hands over a fresh one).
    """

    def run() -> None:
        path = write_cache(cache_dir, payload)
        if path is not None and then is not None:
            then(path)

    return _start(run)


def _start(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, name="attack-cache-writer")
    with _pending_lock:
        _pending[:] = [t for t in _pending if t.is_alive()]
        _pending.append(thread)
    thread.start()
    return thread


def wait_for_writes(timeout: float | None = None) -> None:
    """Wait until cache files being written by this process are on disk."""
    with _pending_lock:
        threads = list(_pending)
    for thread in threads:
        thread.join(timeout)
