"""``workshop export``: documents, layers, rules and bundles for one application or all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workshop.cli._common import LazyHelp, open_store


def _formats_help() -> str:
    from workshop.services.exports import EXPORTERS

    return f"repeatable; one of: {', '.join(EXPORTERS)}"


COMMANDS = {"export": "write documents and other exports to a folder"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help=COMMANDS["export"])
    p.add_argument("app", nargs="?", help="application slug (or --portfolio)")
    p.add_argument("--portfolio", action="store_true", help="every application")
    p.add_argument("--format", action="append", dest="formats", required=True,
                   help=LazyHelp(_formats_help))  # fmt: skip
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--bundle", help="ATT&CK STIX bundle to read technique names and versions from")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workshop.core.errors import InputError
    from workshop.services.exports import ExportRequest, export
    from workshop.services.workspace import questionnaires

    if bool(args.app) == bool(args.portfolio):
        raise InputError("name one application, or pass --portfolio")
    formats = [f for chunk in args.formats for f in chunk.split(",") if f]
    with open_store(args) as store:
        req = ExportRequest(store, questionnaires(store), None if args.portfolio else args.app,
                            attack_bundle=args.bundle)  # fmt: skip
        written = export(req, formats, Path(args.out))
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written to {args.out}", file=sys.stderr)
    return 0
