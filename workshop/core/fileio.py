"""Files: names that come from people, and writing so that a reader never sees half of one.

Every name a person typed that becomes part of a path (a log source, an uploaded
file's extension, an export's file name) goes through :func:`safe_name` and the
path is built with :func:`path_inside`, which refuses anything that would land
outside its base folder (``..``, absolute paths, symbolic links).

Every export goes through the writers here: the content is written to a temporary
file in the same folder, flushed to disk, then renamed over the target in one step.
A crash or a full disk leaves the old file (or none), never a truncated one. A set
of files (:func:`atomic_write_set`) is written into a temporary folder first and
appears with one rename.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from workshop.core.errors import InputError, Location, WorkspaceError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Longest file name produced from a person's text (file systems allow 255 bytes).
MAX_NAME = 100
#: Prefix of the temporary copies of uploaded files (see :func:`sweep_stale_uploads`).
UPLOAD_PREFIX = "workshop-sample-"
#: Bytes copied at a time from an upload to its temporary file.
UPLOAD_CHUNK = 8 * 1024 * 1024


def safe_name(text: str, what: str = "name") -> str:
    """One path component made from a person's text: letters, digits, ``.``, ``_`` and ``-`` only.

    Other characters become ``-`` (so ``Payroll audit`` gives ``Payroll-audit``); a result
    that is empty, only dots, or starts with a dot is refused, so the name can never mean
    "this folder", "the parent folder" or a hidden file.
    """
    if not isinstance(text, str):
        raise InputError(f"{what} must be text")
    cleaned = _UNSAFE.sub("-", unicodedata.normalize("NFKC", text)).strip("-")[:MAX_NAME].strip("-")
    if not cleaned or cleaned.startswith(".") or set(cleaned) <= {".", "-", "_"}:
        raise InputError(
            f"{what} {text!r} cannot be used as a file name: use letters, digits, '-', '_' or '.'"
        )
    return cleaned


def path_inside(base: Path, *parts: str) -> Path:
    """``base/parts...``, refused (InputError) unless it stays inside ``base`` once resolved.

    Resolving follows symbolic links, so a link inside ``base`` that points elsewhere is
    refused as well as ``..`` and absolute parts.
    """
    root = Path(base).resolve()
    target = root.joinpath(*parts).resolve()
    if target == root or not target.is_relative_to(root):
        raise InputError(f"{'/'.join(parts)!r} is not a file inside {root}")
    return target


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WorkspaceError(f"cannot write here: {exc.strerror or exc}", Location(str(path))) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:  # also KeyboardInterrupt: never leave the .tmp behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WorkspaceError(f"cannot write file: {exc.strerror or exc}", Location(str(path))) from exc
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` so that ``dest`` is either absent (or its old self) or complete."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        for stale in dest.parent.glob(f".{dest.name}.*.tmp"):  # left by a copy that was killed
            with contextlib.suppress(OSError):
                stale.unlink()
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    except OSError as exc:
        raise WorkspaceError(f"cannot write here: {exc.strerror or exc}", Location(str(dest))) from exc
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise WorkspaceError(f"cannot copy file: {exc.strerror or exc}", Location(str(dest))) from exc
        raise


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_set(out_dir: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write several files into ``out_dir`` so that a reader sees the old set or the whole new one.

    The files are written into a hidden staging folder next to ``out_dir`` (same file
    system), then each top-level entry is moved into place with one rename. A new
    ``out_dir`` appears with a single rename of the staging folder. A kill before the
    renames leaves only the hidden staging folder, which the next export removes.
    """
    out_dir = Path(out_dir)
    for name in files:
        path_inside(out_dir, name)  # refuse a name that would land outside before writing anything
    parent = out_dir.resolve().parent
    if out_dir.is_dir() and os.path.ismount(out_dir):
        parent = out_dir.resolve()  # another file system: stage inside it, so that the renames stay on it
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{out_dir.name}.export-*"):
            shutil.rmtree(stale, ignore_errors=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.export-", dir=parent))
    except OSError as exc:
        raise WorkspaceError(f"cannot write here: {exc.strerror or exc}", Location(str(out_dir))) from exc
    try:
        for name, data in files.items():
            target = path_inside(stage, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(stage)
        if not out_dir.exists():
            os.rename(stage, out_dir)  # the whole set appears at once
        else:
            for entry in sorted(stage.iterdir()):
                _move_into(entry, out_dir / entry.name)
            _fsync_dir(out_dir)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(exc, OSError):
            raise WorkspaceError(
                f"cannot write the export: {exc.strerror or exc}", Location(str(out_dir))
            ) from exc
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return [out_dir / name for name in files]


def _move_into(src: Path, dest: Path) -> None:
    """Move a staged file (rename over the old one) or folder (merge, file by file) into place."""
    if src.is_dir() and dest.is_dir() and not dest.is_symlink():
        for child in sorted(src.iterdir()):
            _move_into(child, dest / child.name)
        return
    os.replace(src, dest)


@contextlib.contextmanager
def upload_file(data: bytes | memoryview | BinaryIO, original_name: str = "") -> Iterator[Path]:
    """A temporary copy of an uploaded file that is deleted when the block ends, whatever happens.

    ``data`` may be a readable file object (an upload): it is copied in pieces, so the copy
    never needs a second whole-file buffer. The extension of the original name is kept
    (readers sniff by it) after :func:`safe_name`.
    """
    suffix = ""
    for part in Path(original_name or "").suffixes[-2:]:
        with contextlib.suppress(InputError):
            suffix += "." + safe_name(part.lstrip("."), "extension")[:16]
    fd, tmp = tempfile.mkstemp(prefix=UPLOAD_PREFIX, suffix=suffix or ".log")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, memoryview)):
                fh.write(data)
            else:
                with contextlib.suppress(AttributeError, OSError):
                    data.seek(0)
                while piece := data.read(UPLOAD_CHUNK):
                    fh.write(piece)
        yield Path(tmp)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def sweep_stale_uploads(max_age_seconds: float = 3600, folder: Path | None = None) -> int:
    """Delete temporary upload copies older than ``max_age_seconds`` (left by a killed server)."""
    import time

    folder = Path(folder or tempfile.gettempdir())
    cutoff = time.time() - max_age_seconds
    removed = 0
    for path in folder.glob(f"{UPLOAD_PREFIX}*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed
