"""``workshop usecases``: generate, list, show, edit and move use cases through their lifecycle."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from workshop.cli._common import open_store, print_json, validate_files

if TYPE_CHECKING:
    from workshop.questionnaire import Catalogue
    from workshop.services.workspace import Store
    from workshop.usecases.loader import TemplateCatalogue


def _who(args) -> str:
    if args.who:
        return args.who
    try:
        return getpass.getuser()
    except Exception:
        return "cli"


COMMANDS = {"usecases": "detection use cases from the interview"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("usecases", parents=[common], help=COMMANDS["usecases"])
    s = p.add_subparsers(dest="usecases_command", metavar="ACTION", required=True)
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--who", default="", help="who is acting (recorded in the history; default: login name)")

    g = s.add_parser(
        "generate", parents=[common, who], help="(re)generate an application's use cases from its answers"
    )
    g.add_argument("app")
    g.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    g.set_defaults(func=generate)

    ls = s.add_parser("list", parents=[common], help="use cases of one application, or of all")
    ls.add_argument("app", nargs="?")
    ls.add_argument("--status", action="append", help="only these statuses (repeatable)")
    ls.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    ls.set_defaults(func=list_)

    sh = s.add_parser("show", parents=[common], help="one use case (its document, or JSON)")
    sh.add_argument("app")
    sh.add_argument("id")
    sh.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    sh.set_defaults(func=show)

    st = s.add_parser("status", parents=[common, who], help="change the status of use cases")
    st.add_argument("app")
    st.add_argument("ids", nargs="*", metavar="ID")
    st.add_argument("status", help="proposed, accepted, rejected, implemented, tested or retired")
    st.add_argument("--all", action="store_true", help="every use case of the application")
    st.add_argument("--reason", default="", help="why (recorded in the history)")
    st.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    st.set_defaults(func=status)

    ed = s.add_parser("edit", parents=[common, who], help="edit a field (or parameters.NAME) of a use case")
    ed.add_argument("app")
    ed.add_argument("id")
    ed.add_argument("field", help="title, objective, priority, ..., or parameters.NAME")
    ed.add_argument("value", nargs="?", help="the new value, as YAML (text, number, list)")
    ed.add_argument("--revert", action="store_true", help="drop the edit so the generated value applies")
    ed.add_argument("--keep", choices=["mine", "generated"], help="resolve a conflict on this field")
    ed.add_argument("--reason", default="")
    ed.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    ed.set_defaults(func=edit)

    hi = s.add_parser("history", parents=[common], help="who changed a use case, when and why")
    hi.add_argument("app")
    hi.add_argument("id")
    hi.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    hi.set_defaults(func=history)

    tp = s.add_parser("templates", parents=[common], help="the template catalogue")
    tp.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    tp.set_defaults(func=templates)

    va = s.add_parser("validate", parents=[common], help="check template files; print every problem")
    va.add_argument("files", nargs="+", metavar="FILE")
    va.set_defaults(func=validate)


def _catalogues(store: Store) -> tuple[Catalogue, TemplateCatalogue]:
    from workshop.services.workspace import questionnaires, templates

    qs = questionnaires(store)
    return qs, templates(store, qs)


def generate(args) -> int:
    from workshop.services.usecases import generate_for_application, list_use_cases

    with open_store(args) as store:
        qs, cat = _catalogues(store)
        for path, errs in cat.errors.items():
            print(
                f"skipped {path}: {len(errs)} problem(s); run 'workshop usecases validate {path}'",
                file=sys.stderr,
            )
        result = generate_for_application(store, args.app, cat, qs, who=_who(args))
        ucs = list_use_cases(store, args.app)
    if args.json:
        print_json([u.to_dict() for u in ucs])
        return 0
    r = result
    print(f"{args.app}: {len(r.created)} new, {len(r.updated)} updated, {len(r.unchanged)} unchanged, "
          f"{len(r.no_longer_applies)} no longer apply")  # fmt: skip
    for tid, fields in r.conflicts.items():
        print(f"  conflict in {tid}: {', '.join(fields)} (your edits kept; see 'workshop usecases show')")
    return 0


def list_(args) -> int:
    from workshop.services.applications import get_application
    from workshop.services.usecases import list_use_cases

    with open_store(args) as store:
        if args.app:
            get_application(store, args.app)  # an unknown application is an error, not an empty list
        ucs = list_use_cases(store, args.app, args.status)
    if args.json:
        print_json([u.to_dict() for u in ucs])
        return 0
    for u in ucs:
        attack = ",".join(a.technique for a in u.attack) or "-"
        flag = " [no longer applies]" if not u.applies else ""
        print(
            f"{u.application:<18} {u.template_id:<34} {u.status:<11} {u.priority:<8} {attack:<18} {u.title}{flag}"
        )
    return 0


def show(args) -> int:
    from workshop.services.exports import document_context
    from workshop.services.usecases import get_use_case
    from workshop.usecases.documents import use_case_markdown

    with open_store(args) as store:
        qs, _ = _catalogues(store)
        uc = get_use_case(store, args.app, args.id)
        ctx = document_context(store, args.app, qs)
    if args.json:
        print_json(uc.to_dict() | {"effective": uc.effective().to_dict(), "edits": uc.edits, "conflicts": uc.conflicts})
    else:
        print(use_case_markdown(uc, ctx, level=1))
    return 0


def status(args) -> int:
    from workshop.core.errors import InputError
    from workshop.services.usecases import list_use_cases, set_status

    with open_store(args) as store:
        if args.all:
            if args.ids:
                raise InputError("give IDs or --all, not both")
            ids = [u.template_id for u in list_use_cases(store, args.app)]
        else:
            if not args.ids:
                raise InputError("name the use cases to change, or pass --all")
            ids = args.ids
        changed, skipped = set_status(store, args.app, ids, args.status, who=_who(args), reason=args.reason)
    if args.json:
        print_json({"changed": changed, "skipped": skipped})
    else:
        print(f"{len(changed)} use case(s) now {args.status}")
        for tid, why in skipped.items():
            print(f"  skipped {tid}: {why}", file=sys.stderr)
    return 1 if skipped and not args.all else 0


def edit(args) -> int:
    from workshop.core import yamlsource
    from workshop.core.errors import InputError
    from workshop.services.usecases import edit_use_case, resolve_conflict, revert_edit

    with open_store(args) as store:
        if args.keep:
            uc = resolve_conflict(store, args.app, args.id, args.field, args.keep, who=_who(args))
        elif args.revert:
            uc = revert_edit(store, args.app, args.id, args.field, who=_who(args))
        else:
            if args.value is None:
                raise InputError("give the new value (or --revert / --keep)")
            value = yamlsource.load(args.value, "<value>")
            if args.field.startswith("parameters."):
                value = {"value": value, "source": "manual", "detail": args.reason or "set by hand"}
            uc = edit_use_case(store, args.app, args.id, args.field, value, who=_who(args), reason=args.reason)
    if args.json:
        print_json(uc.to_dict())
    else:
        print(f"saved {args.field} of {args.id} (revision {uc.revision})")
    return 0


def history(args) -> int:
    from workshop.services.usecases import history as use_case_history

    with open_store(args) as store:
        events = use_case_history(store, args.app, args.id)
    if args.json:
        print_json([e.to_dict() for e in events])
        return 0
    for e in events:
        change = f"{e.old} -> {e.new}" if e.kind in ("status", "edit") else ""
        print(f"{e.at:%Y-%m-%d %H:%M} {e.who or '-':<12} {e.kind:<17} {e.field:<20} {change} {e.reason}")
    return 0


def templates(args) -> int:
    with open_store(args) as store:
        _, cat = _catalogues(store)
    rows = [
        {"id": t.id, "title": t.title, "category": t.category, "logic": t.logic.type,
         "attack": [a.technique for a in t.attack], "when": t.when.source if t.when else None}
        for t in cat.templates.values()
    ]  # fmt: skip
    if args.json:
        print_json(
            {"templates": rows, "errors": {f: [str(e) for e in errs] for f, errs in cat.errors.items()}}
        )
    else:
        for r in rows:
            print(f"{r['id']:<36} {r['category']:<16} {r['logic']:<15} {r['title']}")
    return 0


def validate(args) -> int:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.usecases import answer_ids
    from workshop.usecases.loader import load_template

    ids = answer_ids(load_questionnaires())
    return validate_files(args.files, lambda f: load_template(f, ids), lambda t: f"{t.id}, {t.logic.type}")
