"""The ``workshop`` command line: a thin layer of argument parsing over the services.

Each command group lives in its own module under ``workshop.cli`` with ``COMMANDS``
(command name -> one-line help) and ``register(subparsers, common)``. Start-up must
stay fast (``benchmarks/bench_cli.py``), so:

- a command module imports only the standard library and ``workshop.cli._common`` at
  module level and while registering; its handlers import what they use;
- :func:`build_parser` registers in full only the modules whose commands appear on the
  command line; every other command gets an outline (name and help), which is all that
  ``workshop --help`` shows. Building the ~60 parsers of every action costs more than
  the rest of ``--help`` together.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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
    "logging_requirements",
    "package",
    "portfolio",
    "drills",
]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``; without ``argv``, the full parser of every command."""
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
    # argparse picks a sub-command by its exact name, so a command absent from argv's
    # words is never parsed and its outline is never used for more than the help list.
    words = None if argv is None else set(argv)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        commands: dict[str, str] = module.COMMANDS
        if words is None or not words.isdisjoint(commands):
            module.register(sub, common)
        else:
            for command, help_text in commands.items():
                sub.add_parser(command, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    # Here, not at the top: `workshop --help` ends in parse_args and needs none of it.
    from workshop.core.errors import ValidationErrors, WorkshopError

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
