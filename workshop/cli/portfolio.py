"""``workshop portfolio`` and ``workshop settings``: every application at a glance, and the knobs."""

from __future__ import annotations

import argparse

from workshop.cli._common import open_store, print_json
from workshop.vocab import ADOPTED

COMMANDS = {
    "portfolio": "every application: workshops, use cases, reviews due",
    "settings": "show or change workspace settings",
}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("portfolio", parents=[common], help=COMMANDS["portfolio"])
    p.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    p.add_argument("--ideas", action="store_true", help="also list ATT&CK techniques no use case covers yet")
    p.add_argument("--bundle", help="ATT&CK bundle for the ideas (default: workspace setting, else built-in)")
    p.set_defaults(func=run)

    st = sub.add_parser("settings", parents=[common], help=COMMANDS["settings"])
    ss = st.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    show = ss.add_parser("show", parents=[common], help="print the settings")
    show.set_defaults(func=settings_show)
    put = ss.add_parser(
        "set", parents=[common], help="change one setting, e.g. review_interval_days.critical 90"
    )
    put.add_argument("key")
    put.add_argument("value", help="a YAML value")
    put.set_defaults(func=settings_set)


def run(args: argparse.Namespace) -> int:
    from workshop.services.portfolio import portfolio, reviews_by_month, uncovered_ideas
    from workshop.services.workspace import questionnaires, settings

    with open_store(args) as store:
        conf = settings(store)
        rows = portfolio(store, questionnaires(store), conf["review_interval_days"])
        ideas = []
        if args.ideas:
            from workshop.services.attack_data import attack_index

            ideas = uncovered_ideas(store, attack_index(args.bundle or conf.get("attack_bundle") or None))
    if args.json:
        out = {"applications": [r.to_dict() for r in rows], "reviews_by_month": reviews_by_month(rows),
               "review_interval_days": conf["review_interval_days"]}  # fmt: skip
        if args.ideas:
            out["ideas"] = [i.to_dict() for i in ideas]
        print_json(out)
        return 0
    if not rows:
        print("No applications yet.")
    for r in rows:
        done = "-" if r.completeness is None else f"{r.completeness:.0%}"
        live = sum(r.use_cases.get(s, 0) for s in ADOPTED)
        due = f"{r.next_review}{' OVERDUE' if r.overdue else ''}"
        print(f"{r.slug:<22} {r.criticality:<8} last {r.last_workshop or 'never':<10} {done:>5} answered  "
              f"{r.open_follow_ups:>2} follow-ups  {live:>2} live use cases  review {due}")  # fmt: skip
        if r.flagged_use_cases:
            print(f"  to review (answers changed): {', '.join(r.flagged_use_cases)}")
    for i in ideas:
        print(f"idea {i.technique_id} {i.name}: {', '.join(i.applications)}")
    return 0


def settings_show(args: argparse.Namespace) -> int:
    from workshop.core.workspace import resolve_workspace
    from workshop.services import settings

    print_json(settings.load(resolve_workspace(getattr(args, "workspace", None))))
    return 0


def settings_set(args: argparse.Namespace) -> int:
    from workshop.core import yamlsource
    from workshop.core.errors import InputError
    from workshop.core.workspace import resolve_workspace
    from workshop.services import settings

    ws = resolve_workspace(getattr(args, "workspace", None))
    value = yamlsource.load(args.value, "<value>")
    head, _, rest = args.key.partition(".")
    if head not in settings.DEFAULTS:
        raise InputError(f"unknown setting '{head}' (known: {', '.join(settings.DEFAULTS)})")
    if rest:
        if not isinstance(settings.DEFAULTS[head], dict) or rest not in settings.DEFAULTS[head]:
            raise InputError(f"unknown setting '{args.key}'")
        value = {rest: value}
    settings.save(ws, {head: value})
    print(f"{args.key} = {args.value}")
    return 0
