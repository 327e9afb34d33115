"""``workshop import package DIR``: read edits made in a detection package back into the toolkit."""

from __future__ import annotations

import argparse

from workshop.cli._common import open_store, print_json

COMMANDS = {"import": "read edits made in a detection package (thresholds, filters, status) back"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("import", parents=[common], help=COMMANDS["import"])
    ps = p.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    pkg = ps.add_parser(
        "package", parents=[common],
        help="compare the package's rule files with the toolkit's rules and show what would change; "
             "--apply applies it",
    )  # fmt: skip
    pkg.add_argument("folder", metavar="DIR", help="the package folder (written by export --format package)")
    pkg.add_argument("--apply", action="store_true", help="apply the changes shown (default: only show them)")
    pkg.add_argument("--who", default="", help="who is applying them (recorded in each use case's history)")
    pkg.add_argument("--json", action="store_true", help="print the changes as JSON")
    pkg.add_argument("--bundle", help="ATT&CK STIX bundle (default: workspace setting, else built-in)")
    pkg.set_defaults(func=run_package)


def run_package(args: argparse.Namespace) -> int:
    from workshop.services.package_import import apply_changes, package_changes

    with open_store(args) as store:
        slug, changes = package_changes(store, args.folder, args.bundle)
        done = apply_changes(store, slug, changes, who=args.who) if args.apply else []
    if args.json:
        print_json({"application": slug, "changes": [c.to_dict() for c in changes], "applied": done})
        return 0
    if not changes:
        print(f"{slug}: the package's rules match the toolkit's; nothing to change.")
        return 0
    print(f"{slug}: {len(changes)} change(s) in the package ('~' applies, '!' must be made elsewhere):")
    for c in changes:
        print("  " + c.line())
    if args.apply:
        for line in done:
            print(f"applied: {line}")
    elif any(c.applies for c in changes):
        print("Nothing changed yet: run again with --apply to apply the '~' changes.")
    return 0
