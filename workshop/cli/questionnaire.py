"""``workshop questionnaire``: list, validate and export questionnaires."""

from __future__ import annotations

import argparse
import sys

from workshop.cli._common import print_json, validate_files, workspace_arg, write_output

COMMANDS = {"questionnaire": "questionnaire templates"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("questionnaire", parents=[common], help=COMMANDS["questionnaire"])
    s = p.add_subparsers(dest="questionnaire_command", metavar="ACTION", required=True)

    ls = s.add_parser("list", parents=[common], help="questionnaires available to the workspace")
    ls.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    ls.set_defaults(func=list_questionnaires)

    v = s.add_parser("validate", parents=[common], help="check questionnaire files; print every problem")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.set_defaults(func=validate)

    e = s.add_parser("export", parents=[common], help="a blank form to send to owners before the workshop")
    e.add_argument("id", help="questionnaire id, e.g. in-house-application")
    e.add_argument("--format", choices=["md", "html", "yaml"], default="md")
    e.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    e.set_defaults(func=export)


def _catalogue(args):
    from workshop.core.workspace import resolve_workspace
    from workshop.services.catalogues import load_questionnaires

    return load_questionnaires(resolve_workspace(workspace_arg(args)))


def list_questionnaires(args: argparse.Namespace) -> int:
    cat = _catalogue(args)
    rows = [
        {"id": q.id, "title": q.title, "version": q.version, "questions": len(q.questions), "file": q.source}
        for q in cat.questionnaires.values()
    ]
    if args.json:
        print_json(
            {"questionnaires": rows, "errors": {f: [str(e) for e in errs] for f, errs in cat.errors.items()}}
        )
    else:
        for r in rows:
            print(f"{r['id']:<28} v{r['version']:<6} {r['questions']:>3} questions  {r['title']}")
        for f, errs in cat.errors.items():
            print(f"{f}: {len(errs)} problem(s); run 'workshop questionnaire validate {f}'", file=sys.stderr)
    return 0


def validate(args: argparse.Namespace) -> int:
    from workshop.questionnaire import load_questionnaire

    return validate_files(
        args.files,
        load_questionnaire,
        lambda q: f"{q.id} {q.version}, {len(q.sections)} sections, {len(q.questions)} questions",
    )


def export(args: argparse.Namespace) -> int:
    from workshop.questionnaire.forms import blank_form

    q = _catalogue(args).get(args.id)
    write_output(blank_form(q, args.format), args.out)
    return 0
