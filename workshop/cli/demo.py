"""``workshop demo``: a realistic application with a completed interview."""

from __future__ import annotations

import argparse

from workshop.cli._common import open_store, print_json, workspace_arg

COMMANDS = {"demo": "create the demo application (payroll portal)"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help=COMMANDS["demo"])
    p.add_argument("--reset", action="store_true", help="delete and recreate the demo application")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workshop.services.demo import create_demo
    from workshop.services.interview import answers, latest_interview
    from workshop.services.workspace import questionnaires

    with open_store(args) as store:
        app, created = create_demo(store, questionnaires(store), reset=args.reset)
        interview = latest_interview(store, app.slug)
        answered = len(answers(store, interview.id)) if interview else 0
    if args.json:
        print_json({"slug": app.slug, "name": app.name, "created": created, "answers": answered})
    else:
        state = "created" if created else "already there (use --reset to recreate)"
        print(f"Demo application '{app.name}' ({app.slug}) {state}: {answered} answers.")
        ws = workspace_arg(args)
        print("Open it with: workshop ui" + (f" --workspace {ws}" if ws else ""))
    return 0
