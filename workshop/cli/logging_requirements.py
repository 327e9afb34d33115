"""``workshop logging requirements APP``: what the application's developers must log, and tickets."""

from __future__ import annotations

import argparse

from workshop.cli._common import open_store, write_output

COMMANDS = {"logging": "the logging the use cases need: a document for developers, or tickets"}
FORMATS = ("md", "html", "csv", "json")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("logging", parents=[common], help=COMMANDS["logging"])
    ls = p.add_subparsers(dest="logging_command", metavar="ACTION", required=True)
    req = ls.add_parser(
        "requirements", parents=[common],
        help="every event the use cases need, what is logged today and what is missing (md, html; "
             "csv or json: one ticket per missing or incomplete event)",
    )  # fmt: skip
    req.add_argument("app", help="application slug")
    req.add_argument("--format", choices=FORMATS, default="md",
                     help="md or html: the developers' document; csv: tickets to import into an issue "
                          "tracker; json: requirements and tickets")  # fmt: skip
    req.add_argument("-o", "--out", metavar="FILE", help="write to FILE (atomically) instead of printing")
    req.add_argument("--bundle", help="ATT&CK STIX bundle (default: workspace setting, else built-in)")
    req.set_defaults(func=run_requirements)


def run_requirements(args: argparse.Namespace) -> int:
    from workshop.services.logging_requirements import render_requirements

    with open_store(args) as store:
        text = render_requirements(store, args.app, args.format, args.bundle)
    write_output(text, args.out)
    return 0
