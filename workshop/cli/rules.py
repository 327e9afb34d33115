"""``workshop rules``: Sigma rule drafts, SIEM conversions, local tests, pipelines."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from workshop.cli._common import open_store, print_json, write_output

SIEM_CHOICES = ("splunk", "kql", "esql", "lucene")


def _who(args: argparse.Namespace) -> str:
    if getattr(args, "who", ""):
        return args.who
    try:
        return getpass.getuser()
    except Exception:
        return "cli"


def _statuses(args: argparse.Namespace):
    from workshop.services.rules import DEFAULT_STATUSES

    if getattr(args, "all_statuses", False):
        return None
    return args.status or DEFAULT_STATUSES


COMMANDS = {"rules": "Sigma rule drafts: build, convert, test, pipelines"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("rules", parents=[common], help=COMMANDS["rules"])
    s = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    status = argparse.ArgumentParser(add_help=False)
    status.add_argument("--status", action="append",
                        help="use cases in this status (repeatable; default: accepted, implemented, tested)")  # fmt: skip
    status.add_argument("--all-statuses", action="store_true", help="every use case that applies")

    b = s.add_parser(
        "build", parents=[common, status], help="build and validate the Sigma rules of an application"
    )
    b.add_argument("app")
    b.add_argument("--out", metavar="DIR", help="write one .yml per use case into this folder")
    b.add_argument(
        "--bundle", help="ATT&CK STIX bundle for tactic tags (default: workspace setting or built-in)"
    )
    b.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    b.set_defaults(func=build)

    c = s.add_parser("convert", parents=[common, status], help="the rules in a SIEM's query language")
    c.add_argument("app")
    c.add_argument("--siem", required=True, choices=SIEM_CHOICES)
    c.add_argument("--out", metavar="FILE", help="write the queries and notes to this file")
    c.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    c.set_defaults(func=convert)

    t = s.add_parser("test", parents=[common, status],
                     help="run each rule on synthetic attacks (and a log sample) in SQLite")  # fmt: skip
    t.add_argument("app")
    t.add_argument(
        "--log", metavar="FILE", help="the application's log sample (CSV or JSONL, its own field names)"
    )
    t.add_argument(
        "--rules", metavar="DIR", help="test edited Sigma files from this folder (from 'rules build --out')"
    )
    t.add_argument("--no-save", action="store_true", help="do not record the results in the workspace")
    t.add_argument("--who", default="", help="who ran the tests (recorded; default: login name)")
    t.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    t.set_defaults(func=test)

    pl = s.add_parser("pipeline", parents=[common], help="show, edit or reset a SIEM field-mapping pipeline")
    pl.add_argument("app")
    pl.add_argument("--siem", required=True, choices=SIEM_CHOICES)
    action = pl.add_mutually_exclusive_group()
    action.add_argument("--show", action="store_true", help="print the pipeline in use (default)")
    action.add_argument(
        "--edit", metavar="FILE", help="check this pipeline YAML and save it for the application"
    )
    action.add_argument("--reset", action="store_true", help="forget the saved pipeline; the default applies")
    pl.add_argument("--who", default="", help="who is editing (recorded; default: login name)")
    pl.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    pl.set_defaults(func=pipeline)


def build(args: argparse.Namespace) -> int:
    from workshop.core.fileio import atomic_write_text
    from workshop.rules.sigma import validate_rule_sets
    from workshop.services.rules import build_rule_sets, rule_context

    with open_store(args) as store:
        ctx = rule_context(store, args.app, args.bundle)
        sets = build_rule_sets(store, args.app, _statuses(args), ctx=ctx)
    report = validate_rule_sets(sets, known_technique=lambda tid: ctx.tactics(tid) is not None)
    if args.out:
        out = Path(args.out)
        for rs in sets:
            atomic_write_text(out / rs.filename, rs.yaml())
    if args.json:
        print_json(
            {"application": args.app, "rules": [rs.to_dict() for rs in sets], "validation": report.to_dict()}
        )
    else:
        for rs in sets:
            print(f"{rs.use_case:<36} {rs.logic:<15} {len(rs.docs)} rule(s)  {rs.filename}")
            for note in rs.notes:
                print(f"    note: {note}")
        if not sets:
            print(
                f"{args.app}: no use case in these statuses; accept some first ('workshop usecases status')"
            )
        for msg in report.skipped + report.notes:
            print(f"warning: {msg}", file=sys.stderr)
        for problem in report.problems():
            print(f"problem: {problem}", file=sys.stderr)
        checked = f"{report.rules_checked} Sigma document(s) checked against the JSON schemas and pySigma"
        print(
            f"{checked}: {'valid' if report.ok else f'{len(report.problems())} problem(s)'}", file=sys.stderr
        )
        if args.out:
            print(f"{len(sets)} file(s) written to {args.out}", file=sys.stderr)
    return 0 if report.ok else 1


def convert(args: argparse.Namespace) -> int:
    from workshop.rules.convert import export_text
    from workshop.services.rules import build_rule_sets, convert_application, pipeline_for, rule_context

    with open_store(args) as store:
        ctx = rule_context(store, args.app)
        sets = build_rule_sets(store, args.app, _statuses(args), ctx=ctx)
        converted = convert_application(store, args.app, args.siem, rule_sets=sets, ctx=ctx)
        pipe = pipeline_for(store, args.app, args.siem, ctx)
    if args.json:
        print_json({"application": args.app, "siem": args.siem, "pipeline": pipe.source,
                    "rules": [c.to_dict() for c in converted]})  # fmt: skip
    else:
        write_output(export_text(ctx.app.name, args.siem, converted, pipe), args.out)
    missing = [c for c in converted if not c.query]
    for c in missing:
        print(f"no {args.siem} query for {c.use_case}: see its notes", file=sys.stderr)
    return 0


def test(args: argparse.Namespace) -> int:
    from workshop.services.rules import run_tests

    with open_store(args) as store:
        report = run_tests(store, args.app, log=args.log, rules_dir=args.rules, statuses=_statuses(args),
                           who=_who(args), save=not args.no_save)  # fmt: skip
    if args.json:
        print_json(report.to_dict())
    else:
        if report.sample:
            s = report.sample
            print(f"sample: {s.get('file')} ({s.get('events')} events over {s.get('days')} days)")
        for r in report.results:
            fires = "fires" if r.fires_on_true_positive else "DOES NOT FIRE"
            sample = (
                f", {r.alerts_on_sample} on the sample ({r.alerts_per_day}/day)"
                if r.alerts_on_sample is not None
                else ""
            )
            print(f"{r.use_case:<36} {fires} on its true positive{sample}")
            for e in r.evasion_results:
                print(f"    evasion {e.name} ({e.kind}): {'caught' if e.caught else 'missed'}")
            for skipped in r.evasions_not_tested:
                print(f"    evasion {skipped.id} ({skipped.kind}): not tested, {skipped.reason}")
            if r.error:
                print(f"    error: {r.error}")
        if not report.results:
            print(f"{args.app}: no use case in these statuses to test")
    failing = [r.use_case for r in report.results if not r.fires_on_true_positive]
    if failing:
        print(
            f"{len(failing)} rule(s) do not fire on their own true positive: {', '.join(failing)}",
            file=sys.stderr,
        )
    return 1 if failing else 0


def pipeline(args: argparse.Namespace) -> int:
    from workshop.core.errors import InputError
    from workshop.services.rules import pipeline_for, reset_pipeline, save_pipeline

    with open_store(args) as store:
        if args.edit:
            path = Path(args.edit)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {path}: {exc}") from None
            p = save_pipeline(store, args.app, args.siem, text, who=_who(args), where=str(path))
            message = f"saved the {args.siem} pipeline of {args.app}"
        elif args.reset:
            existed = reset_pipeline(store, args.app, args.siem)
            p = pipeline_for(store, args.app, args.siem)
            message = f"{args.app}: the default {args.siem} pipeline applies" + (
                "" if existed else " (none was saved)"
            )
        else:
            p = pipeline_for(store, args.app, args.siem)
            message = ""
    if args.json:
        print_json(p.to_dict())
    elif message:
        print(message)
    else:
        sys.stdout.write(p.text)
    return 0
