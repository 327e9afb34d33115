"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def workspace_arg(args: argparse.Namespace) -> str | None:
    return getattr(args, "workspace", None)


def open_store(args: argparse.Namespace):
    """Open the workspace store named by ``--workspace`` / ``$WORKSHOP_HOME``."""
    from ..store import Store

    return Store.open(workspace_arg(args))


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
    from ..fileio import atomic_write_text

    atomic_write_text(Path(out), text)
    print(f"wrote {out}", file=sys.stderr)
