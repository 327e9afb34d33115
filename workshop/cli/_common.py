"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workshop.services.workspace import Store


class LazyHelp(str):
    """Help text computed only when argparse shows it.

    Building the parser must import nothing heavy (``workshop --help`` loads every
    command's parser), yet some help lists names from a registry that does, e.g. the
    export formats. argparse expands help with ``help % params`` only when it prints
    it, so this ``str`` defers the real text to that moment.
    """

    _make: Callable[[], str]

    def __new__(cls, make: Callable[[], str]) -> LazyHelp:
        self = super().__new__(cls, "(see the command's --help)")
        self._make = make
        return self

    def __mod__(self, params: Any) -> str:
        return self._make() % params


def workspace_arg(args: argparse.Namespace) -> str | None:
    return getattr(args, "workspace", None)


def open_store(args: argparse.Namespace) -> Store:
    """Open the workspace store named by ``--workspace`` / ``$WORKSHOP_HOME``."""
    from workshop.services.workspace import open_store

    return open_store(workspace_arg(args))


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def write_output(text: str, out: str | None) -> None:
    """Print ``text`` or write it atomically to ``out``."""
    if out is None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        return
    from workshop.core.fileio import atomic_write_text

    atomic_write_text(Path(out), text)
    print(f"wrote {out}", file=sys.stderr)


def validate_files(files: list[str], load: Callable[[str], Any], describe: Callable[[Any], str]) -> int:
    """Load each file, print every problem as ``FILE:LINE: message``; exit 1 if there was any."""
    from workshop.core.errors import ValidationErrors, WorkshopError

    problems = 0
    for f in files:
        try:
            loaded = load(f)
        except ValidationErrors as exc:
            for err in exc.errors:
                print(str(err))
            problems += len(exc.errors)
        except WorkshopError as exc:
            print(str(exc) if exc.location else f"{f}: {exc}")
            problems += 1
        else:
            print(f"{f}: ok ({describe(loaded)})", file=sys.stderr)
    return 1 if problems else 0
