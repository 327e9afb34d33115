"""The ``workshop`` command line: a thin layer of argument parsing over the library.

Each command group lives in its own module with a ``register(subparsers, common)``
function; the module imports its heavy dependencies inside the handlers so that
``workshop --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from workshop.core.errors import ValidationErrors, WorkshopError

#: Modules under ``workshop.cli`` that add command groups, in help order.
COMMAND_MODULES = [
    "ui",
    "demo",
    "apps",
    "questionnaire",
    "interview",
    "usecases",
    "baseline",
    "rules",
    "attack",
    "export",
    "portfolio",
]


def build_parser() -> argparse.ArgumentParser:
    # --workspace is accepted before and after the sub-command; SUPPRESS keeps the
    # sub-parser's copy from overwriting a value given before the sub-command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--workspace",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="workspace folder (default: $WORKSHOP_HOME or ./workspace)",
    )
    parser = argparse.ArgumentParser(
        prog="workshop",
        description="Use-Case Workshop: interview application owners, generate detection use cases.",
        parents=[common],
    )
    from workshop import __version__

    parser.add_argument("--version", action="version", version=f"workshop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except ValidationErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        print(f"{len(exc.errors)} problem(s) found", file=sys.stderr)
        return 1
    except WorkshopError as exc:
        print(f"workshop: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head or less, which stopped reading
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return int(result or 0)
