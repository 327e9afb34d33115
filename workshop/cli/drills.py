"""``workshop drills``: analyst drills, training results, playbook tests and readiness.

``workshop drills APP... [--format md|html|json] [-o FILE]`` prints the drills as a handout;
the first word may instead name an action::

    workshop drills results APP                     # who trained, when, on what, the score
    workshop drills take APP --who NAME --answers FILE.json   # score typed answers, record them
    workshop drills attend APP --who A --who B      # a presenter session: record attendance
    workshop drills checklist APP USECASE           # the playbook test's steps
    workshop drills playbook-test APP USECASE --tester NAME --step contact-1=passed ...
    workshop drills readiness APP                   # trained / tested / due again
"""

from __future__ import annotations

import argparse
import sys

from workshop.cli._common import open_store, print_json, write_output

COMMANDS = {"drills": "analyst drills: handouts, training results, playbook tests, readiness"}
ACTIONS = ("results", "take", "attend", "checklist", "playbook-test", "readiness")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "drills",
        parents=[common],
        help=COMMANDS["drills"],
        description="Drills for APP (one or more), or an action: " + ", ".join(ACTIONS) + ".",
        usage="workshop drills [ACTION] APP [USECASE] [options]",
    )
    p.add_argument("words", nargs="+", metavar="WORD", help="APP..., or ACTION APP [USECASE]")
    p.add_argument(
        "--format", choices=("md", "html", "json"), default="md", help="handout format (default md)"
    )
    p.add_argument(
        "-o", "--out", metavar="FILE", help="write the handout to FILE (atomically) instead of printing"
    )
    p.add_argument(
        "--use-case", action="append", metavar="ID", help="only drills on this use case (repeatable)"
    )
    p.add_argument("--json", action="store_true", help="print results, checklists and readiness as JSON")
    p.add_argument("--who", action="append", metavar="NAME", help="the analyst (take) or attendees (attend)")
    p.add_argument("--answers", metavar="FILE", help="take: JSON object of question id -> typed answer")
    p.add_argument("--drill", action="append", metavar="ID", help="attend: drills shown (default: all)")
    p.add_argument("--tester", help="playbook-test: who tested")
    p.add_argument("--date", help="playbook-test: when (YYYY-MM-DD, default today)")
    p.add_argument(
        "--step", action="append", metavar="ID=OUTCOME", help="playbook-test: passed, failed or skipped"
    )
    p.add_argument("--note", action="append", metavar="ID=TEXT", help="playbook-test: a note on a step")
    p.set_defaults(func=run)


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    from workshop.core.errors import InputError

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{what} must be ID=VALUE, not '{item}'")
        out[key.strip()] = value.strip()
    return out


def _need(words: list[str], n: int, usage: str) -> list[str]:
    from workshop.core.errors import InputError

    if len(words) != n:
        raise InputError(f"usage: workshop drills {usage}")
    return words


def run(args: argparse.Namespace) -> int:
    words = list(args.words)
    action = words.pop(0) if words[0] in ACTIONS else "show"
    handler = {
        "show": _show, "results": _results, "take": _take, "attend": _attend, "checklist": _checklist,
        "playbook-test": _playbook_test, "readiness": _readiness,
    }[action]  # fmt: skip
    return handler(args, words)


def _show(args: argparse.Namespace, apps: list[str]) -> int:
    from workshop.services import drills
    from workshop.services.workspace import questionnaires

    with open_store(args) as store:
        ds = drills.drill_set(store, apps, questionnaires(store), args.use_case)
    write_output(drills.handout(ds, args.format), args.out)
    return 0


def _results(args: argparse.Namespace, words: list[str]) -> int:
    from workshop.services import drills

    (slug,) = _need(words, 1, "results APP")
    with open_store(args) as store:
        found = drills.results(store, slug)
    if args.json:
        print_json([r.to_dict() for r in found])
        return 0
    if not found:
        print(f"No training recorded for {slug}.")
    for r in found:
        score = "attended" if r.percent is None else f"{r.score:g}/{r.max_score:g} ({r.percent:.0f}%)"
        when = r.at.isoformat(timespec="minutes") if r.at else ""
        print(f"{when}  {r.who:<20} {r.mode:<9} {score:<18} {', '.join(sorted(r.use_cases))}")
    return 0


def _take(args: argparse.Namespace, words: list[str]) -> int:
    import json
    from pathlib import Path

    from workshop.core.errors import InputError
    from workshop.services import drills
    from workshop.services.workspace import questionnaires

    (slug,) = _need(words, 1, "take APP --who NAME --answers FILE.json")
    if not args.who or len(args.who) != 1 or not args.answers:
        raise InputError("take needs one --who and --answers FILE.json")
    try:
        answers = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{args.answers}: cannot read the answers ({exc})") from exc
    if not isinstance(answers, dict):
        raise InputError(f"{args.answers}: expected a JSON object of question id -> answer")
    with open_store(args) as store:
        ds = drills.drill_set(store, [slug], questionnaires(store), args.use_case)
        unknown = sorted(set(answers) - {q.id for d in ds.drills for q in d.questions})
        if unknown:
            raise InputError(f"{args.answers}: no question {', '.join(unknown[:5])} in these drills")
        found = drills.record_session(store, ds, {str(k): str(v) for k, v in answers.items()}, args.who[0])
    if args.json:
        print_json([r.to_dict() for r in found])
        return 0
    for r in found:
        print(f"{r.who} on {r.application}: {r.score:g}/{r.max_score:g} ({r.percent or 0:.0f}%)")
        for a in r.answers:
            print(f"  {a.question}: {a.points:.2f} {a.feedback}")
    return 0


def _attend(args: argparse.Namespace, words: list[str]) -> int:
    from workshop.services import drills
    from workshop.services.workspace import questionnaires

    (slug,) = _need(words, 1, "attend APP --who NAME [--who NAME ...]")
    with open_store(args) as store:
        ds = drills.drill_set(store, [slug], questionnaires(store), args.use_case)
        shown = args.drill or [d.id for d in ds.drills]
        found = drills.record_attendance(store, ds, shown, args.who or [])
    print(f"recorded {len(found)} attendance record(s) for {slug}", file=sys.stderr)
    return 0


def _checklist(args: argparse.Namespace, words: list[str]) -> int:
    from workshop.services import drills
    from workshop.services.workspace import questionnaires

    slug, uc = _need(words, 2, "checklist APP USECASE")
    with open_store(args) as store:
        steps = drills.playbook_checklist(store, slug, uc, questionnaires(store))
    if args.json:
        print_json([s.to_dict() for s in steps])
        return 0
    for s in steps:
        print(f"{s.id:<16} {s.text}\n{'':<16} expect: {s.expect}")
    return 0


def _playbook_test(args: argparse.Namespace, words: list[str]) -> int:
    from workshop.core.errors import InputError
    from workshop.services import drills
    from workshop.services.workspace import questionnaires

    slug, uc = _need(words, 2, "playbook-test APP USECASE --tester NAME --step ID=OUTCOME ...")
    if not args.tester:
        raise InputError("playbook-test needs --tester NAME")
    outcomes = _pairs(args.step, "--step")
    with open_store(args) as store:
        test = drills.record_playbook_test(store, slug, uc, outcomes, tester=args.tester, tested_on=args.date or "",
                                           notes=_pairs(args.note, "--note"), questionnaires=questionnaires(store))  # fmt: skip
    if args.json:
        print_json(test.to_dict())
        return 0
    print(f"{slug}/{uc} tested {test.tested_on} by {test.tester}: {test.outcome}")
    for s in test.failed_steps:
        print(f"  FAILED {s.id}: {s.text}{(' - ' + s.note) if s.note else ''}")
    return 0


def _readiness(args: argparse.Namespace, words: list[str]) -> int:
    from workshop.services import drills

    (slug,) = _need(words, 1, "readiness APP")
    with open_store(args) as store:
        r = drills.readiness(store, slug)
    if args.json:
        print_json(r.to_dict())
        return 0
    trained = ", ".join(f"{who} ({day})" for who, day in sorted(r.analysts.items())) or "nobody yet"
    print(f"{slug}: analysts trained: {trained}")
    print(f"  playbooks tested and current: {r.tested}/{len(r.use_cases)} (last {r.last_tested or 'never'})")
    print(f"  drills due: {len(r.drills_due)}; playbook tests due: {len(r.tests_due)}")
    for u in r.use_cases:
        if u.failed:
            print(f"  FAILED playbook test {u.use_case}: {'; '.join(u.failed_steps)}")
    return 0
