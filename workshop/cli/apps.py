"""``workshop apps``: list, create, show, update and delete applications."""

from __future__ import annotations

import argparse

from workshop.cli._common import open_store, print_json

COMMANDS = {"apps": "applications in the workspace"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("apps", parents=[common], help=COMMANDS["apps"])
    s = p.add_subparsers(dest="apps_command", metavar="ACTION", required=True)

    ls = s.add_parser("list", parents=[common], help="list applications")
    ls.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    ls.set_defaults(func=list_apps)

    show = s.add_parser("show", parents=[common], help="one application's profile and interviews")
    show.add_argument("slug")
    show.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    show.set_defaults(func=show_app)

    for name, func, helptext in (
        ("create", create_app, "create an application"),
        ("update", update_app, "change an application's profile"),
    ):
        c = s.add_parser(name, parents=[common], help=helptext)
        if name == "create":
            c.add_argument("--name", required=True, help="display name")
            c.add_argument("--slug", help="identifier (default: made from the name)")
        else:
            c.add_argument("slug")
            c.add_argument("--name")
        c.add_argument("--owner", help="business owner")
        c.add_argument("--criticality", choices=["low", "medium", "high", "critical"])
        c.add_argument("--description")
        c.add_argument(
            "--platform",
            action="append",
            dest="platforms",
            metavar="NAME",
            help="ATT&CK platform (repeatable), e.g. SaaS, Linux, Identity Provider",
        )
        c.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
        c.set_defaults(func=func)

    d = s.add_parser("delete", parents=[common], help="delete an application and all its records")
    d.add_argument("slug")
    d.add_argument("--yes", action="store_true", help="confirm the deletion")
    d.set_defaults(func=delete_app)


def list_apps(args: argparse.Namespace) -> int:
    from workshop.services.applications import list_applications
    from workshop.services.interview import latest_interview

    with open_store(args) as store:
        apps = list_applications(store)
        held_on = {a.slug: (i.held_on if (i := latest_interview(store, a.slug)) else None) for a in apps}
    if args.json:
        print_json([a.to_dict() | {"last_interview": held_on[a.slug]} for a in apps])
        return 0
    if not apps:
        print(
            "No applications yet. Create one with 'workshop apps create --name NAME' or try 'workshop demo'."
        )
        return 0
    width = max(len(a.slug) for a in apps)
    for a in apps:
        last = held_on[a.slug] or "no interview"
        print(f"{a.slug:<{width}}  {a.criticality:<8}  {last:<12}  {a.name}")
    return 0


def show_app(args: argparse.Namespace) -> int:
    from workshop.services.applications import get_application, list_interviews

    with open_store(args) as store:
        app = get_application(store, args.slug)
        interviews = list_interviews(store, args.slug)
    if args.json:
        print_json(app.to_dict() | {"interviews": [i.to_dict() for i in interviews]})
        return 0
    print(f"{app.name} ({app.slug})\n  owner: {app.owner or '-'}\n  criticality: {app.criticality}")
    print(f"  platforms: {', '.join(app.platforms) or '-'}")
    if app.description:
        print(f"  {app.description}")
    for i in interviews:
        print(
            f"  interview {i.id}: {i.questionnaire_id} {i.questionnaire_version} on {i.held_on} ({i.status})"
        )
    return 0


def _fields(args: argparse.Namespace) -> dict:
    out = {}
    for key in ("name", "owner", "criticality", "description", "platforms"):
        val = getattr(args, key, None)
        if val is not None:
            out[key] = val
    return out


def create_app(args: argparse.Namespace) -> int:
    from workshop.interview.model import Application, slugify
    from workshop.services.applications import add_application

    fields = _fields(args)
    app = Application.from_dict({"slug": args.slug or slugify(args.name), **fields})
    with open_store(args) as store:
        created = add_application(store, app)
    if args.json:
        print_json(created.to_dict())
    else:
        print(f"created {created.slug}")
    return 0


def update_app(args: argparse.Namespace) -> int:
    from workshop.services.applications import update_application

    with open_store(args) as store:
        app = update_application(store, args.slug, _fields(args))
    if args.json:
        print_json(app.to_dict())
    else:
        print(f"updated {app.slug}")
    return 0


def delete_app(args: argparse.Namespace) -> int:
    from workshop.core.errors import InputError
    from workshop.services.applications import delete_application

    if not args.yes:
        raise InputError(f"deleting '{args.slug}' removes its interviews and answers; add --yes to confirm")
    with open_store(args) as store:
        delete_application(store, args.slug)
    print(f"deleted {args.slug}")
    return 0
