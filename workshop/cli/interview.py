"""``workshop interview``: start, answer, show, export and import interviews."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workshop.cli._common import open_store, print_json, write_output

COMMANDS = {"interview": "interviews and their answers"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("interview", parents=[common], help=COMMANDS["interview"])
    s = p.add_subparsers(dest="interview_command", metavar="ACTION", required=True)

    st = s.add_parser("start", parents=[common], help="start a new interview of an application")
    st.add_argument("app")
    st.add_argument("--questionnaire", default=None, help="questionnaire id (default: in-house-application)")
    st.add_argument("--facilitator", default="")
    st.add_argument("--participant", action="append", default=[], dest="participants")
    st.add_argument("--date", default="", help="date held (YYYY-MM-DD, default today)")
    st.add_argument(
        "--blank",
        action="store_true",
        help="start empty instead of pre-filling from the previous interview (a re-review)",
    )
    st.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    st.set_defaults(func=start)

    an = s.add_parser(
        "answer", parents=[common], help="answer (or flag) one question of the latest interview"
    )
    an.add_argument("app")
    an.add_argument("question", help="question id, e.g. access.business_hours")
    an.add_argument("value", nargs="?", help="the answer, as YAML (e.g. 42, yes, [GB, IE], '{days: [mon]}')")
    # nargs="?" so that "--text 'some words'" works too: argparse cannot give a value that follows
    # an option flag to an optional positional, so the text then arrives as --text's own value.
    an.add_argument(
        "--text",
        nargs="?",
        const=True,
        default=False,
        metavar="VALUE",
        help="take VALUE literally as text, not as YAML",
    )
    an.add_argument("--clear", action="store_true", help="remove the value")
    an.add_argument(
        "--unknown",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mark that the owners do not know",
    )
    an.add_argument("--follow-up", action=argparse.BooleanOptionalAction, default=None)
    an.add_argument("--owner", help="who follows up")
    an.add_argument("--note", help="what to follow up")
    an.add_argument("--who", default="", help="who is answering (recorded in the history)")
    an.add_argument("--interview", type=int, help="interview id (default: the latest)")
    an.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    an.set_defaults(func=answer)

    sh = s.add_parser("show", parents=[common], help="answers, progress and open questions")
    sh.add_argument("app")
    sh.add_argument("--interview", type=int)
    sh.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    sh.set_defaults(func=show)

    fu = s.add_parser(
        "followups", parents=[common], help="the follow-up list, for the email after the meeting"
    )
    fu.add_argument("app")
    fu.add_argument("--interview", type=int)
    fu.add_argument("--format", choices=["md", "csv", "json"], default="md")
    fu.add_argument("--out", metavar="FILE")
    fu.set_defaults(func=followups)

    sm = s.add_parser(
        "summary", parents=[common], help='"What we heard": the summary the owners read and sign off'
    )
    sm.add_argument("app")
    sm.add_argument("--interview", type=int)
    sm.add_argument("--format", choices=["md", "html", "pdf"], default="md")
    sm.add_argument("--out", metavar="FILE")
    sm.set_defaults(func=summary)

    ch = s.add_parser("changes", parents=[common], help="what changed since the previous interview")
    ch.add_argument("app")
    ch.add_argument("--interview", type=int)
    ch.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    ch.set_defaults(func=changes)

    ex = s.add_parser(
        "export", parents=[common], help="the interview as YAML (answers, flags, notes, profile)"
    )
    ex.add_argument("app")
    ex.add_argument("--interview", type=int)
    ex.add_argument("--out", metavar="FILE")
    ex.set_defaults(func=export)

    im = s.add_parser("import", parents=[common], help="import an interview YAML file as a new interview")
    im.add_argument("file")
    im.add_argument("--app", help="application slug (default: the one in the file)")
    im.add_argument(
        "--force-version",
        action="store_true",
        help="accept a file written for another version of the questionnaire",
    )
    im.add_argument("--json", action="store_true", help="print the result as JSON (for scripts) instead of text")
    im.set_defaults(func=import_)


def _context(args, store):
    """The questionnaire catalogue and the interview a command works on."""
    from workshop.core.errors import InputError
    from workshop.services.applications import get_application
    from workshop.services.interview import get_interview, latest_interview
    from workshop.services.workspace import questionnaires

    catalogue = questionnaires(store)
    get_application(store, args.app)  # an unknown application is named as such
    if getattr(args, "interview", None):
        interview = get_interview(store, args.interview)
        if interview.application != args.app:
            raise InputError(
                f"interview {interview.id} belongs to '{interview.application}', not '{args.app}'"
            )
    else:
        latest = latest_interview(store, args.app)
        if latest is None:
            raise InputError(
                f"'{args.app}' has no interview yet; start one with 'workshop interview start {args.app}'"
            )
        interview = latest
    return catalogue, interview, catalogue.get(interview.questionnaire_id)


def start(args: argparse.Namespace) -> int:
    from workshop.services.applications import get_application
    from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE
    from workshop.services.interview import latest_interview, start_interview
    from workshop.services.workspace import questionnaires

    with open_store(args) as store:
        q = questionnaires(store).get(args.questionnaire or DEFAULT_QUESTIONNAIRE)
        get_application(store, args.app)
        if args.blank or latest_interview(store, args.app) is None:
            i = start_interview(
                store, args.app, q, held_on=args.date, facilitator=args.facilitator,
                participants=args.participants,
            )  # fmt: skip
        else:
            from workshop.services.portfolio import start_rereview

            i = start_rereview(store, args.app, q, facilitator=args.facilitator, participants=args.participants,
                               held_on=args.date)  # fmt: skip
    if args.json:
        print_json(i.to_dict())
    else:
        how = f", pre-filled from interview {i.previous_id}" if i.previous_id else ""
        print(f"started interview {i.id} of {args.app} with {q.id} {q.version}{how}")
    return 0


def answer(args: argparse.Namespace) -> int:
    from workshop.core import yamlsource
    from workshop.services.interview import UNSET, answer_question

    if isinstance(args.text, str):  # answer APP QUESTION --text VALUE
        if args.value is not None:
            from workshop.core.errors import InputError

            raise InputError("give the value once: either before --text or after it")
        args.value, args.text = args.text, True
    if args.clear:
        value = None
    elif args.value is None:
        value = UNSET
    elif args.text:
        value = args.value
    else:
        value = yamlsource.load(args.value, "<value>")
    with open_store(args) as store:
        _, interview, q = _context(args, store)
        saved = answer_question(
            store, q, interview.id, args.question, value,
            unknown=args.unknown, follow_up=args.follow_up if args.follow_up is not None else (
                True if (args.owner or args.note) else None),
            follow_up_owner=args.owner, follow_up_note=args.note, who=args.who,
        )  # fmt: skip
    if args.json:
        print_json(saved.to_dict())
    else:
        print(f"saved {args.question} (revision {saved.revision})")
    return 0


def show(args: argparse.Namespace) -> int:
    from workshop.interview.progress import open_required, progress
    from workshop.questionnaire import format_value
    from workshop.services.interview import answers as interview_answers

    with open_store(args) as store:
        _, interview, q = _context(args, store)
        answers = interview_answers(store, interview.id)
    prog = progress(q, answers)
    missing = open_required(q, answers)
    if args.json:
        print_json({
            "interview": interview.to_dict(),
            "progress": {"answered": prog.answered, "shown": prog.shown,
                         "sections": [s.__dict__ for s in prog.sections]},
            "open_required": [m.id for m in missing],
            "answers": {k: a.to_dict() for k, a in answers.items()},
        })  # fmt: skip
        return 0
    print(
        f"{interview.application}: interview {interview.id} ({q.id} {q.version}), {prog.answered}/{prog.shown} answered"
    )
    for sp in prog.sections:
        print(f"\n== {sp.title} ({sp.answered}/{sp.shown})")
        for question in q.section(sp.section_id).questions:
            a = answers.get(question.id)
            if a is None:
                continue
            shown = "unknown" if a.unknown else format_value(question, a.value)
            flag = "  [follow up]" if a.follow_up else ""
            # Lines stay lines, indented under the question: "; " would join them inside sentences.
            first, *rest = shown.splitlines() or [""]
            print(f"  {question.id}: {first}{flag}")
            for line in rest:
                print(f"      {line}")
    if missing:
        print("\nRequired and still open: " + ", ".join(m.id for m in missing))
    return 0


def followups(args: argparse.Namespace) -> int:
    from workshop.interview.progress import follow_ups, follow_ups_csv, follow_ups_markdown
    from workshop.services.applications import get_application
    from workshop.services.interview import answers

    with open_store(args) as store:
        _, interview, q = _context(args, store)
        app = get_application(store, args.app)
        items = follow_ups(q, answers(store, interview.id))
    if args.format == "json":
        import json

        text = json.dumps([f.to_dict() for f in items], indent=2, ensure_ascii=False)
    elif args.format == "csv":
        text = follow_ups_csv(items)
    else:
        text = follow_ups_markdown(app.name, items, interview.held_on)
    write_output(text, args.out)
    return 0


def summary(args: argparse.Namespace) -> int:
    from workshop.services.summary import interview_summary, render_summary, render_summary_pdf

    with open_store(args) as store:
        _, interview, q = _context(args, store)
        summary_ = interview_summary(store, q, interview)
    if args.format == "pdf":
        data = render_summary_pdf(summary_)
        if args.out is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        from workshop.core.fileio import atomic_write_bytes

        atomic_write_bytes(Path(args.out), data)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    write_output(render_summary(summary_, args.format), args.out)
    return 0


def changes(args: argparse.Namespace) -> int:
    from workshop.interview.progress import diff_answers
    from workshop.services.interview import answers, previous_interview

    with open_store(args) as store:
        _, interview, q = _context(args, store)
        prev = previous_interview(store, interview)
        before = answers(store, prev.id) if prev else {}
        after = answers(store, interview.id)
    found = diff_answers(q, before, after)
    if args.json:
        print_json({"previous_interview": prev.id if prev else None, "changes": [c.to_dict() for c in found]})
        return 0
    if prev is None:
        print("This is the first interview of the application: nothing to compare with.")
        return 0
    print(f"Changes since interview {prev.id} ({prev.held_on}): {len(found)}")
    for c in found:
        print(f"  [{c.kind}] {c.question_id}: {c.before or '-'} -> {c.after or '-'}")
    return 0


def export(args: argparse.Namespace) -> int:
    from workshop.services.interview_io import export_interview

    with open_store(args) as store:
        catalogue, interview, _ = _context(args, store)
        text = export_interview(store, args.app, interview.id, catalogue)
    write_output(text, args.out)
    return 0


def import_(args: argparse.Namespace) -> int:
    from workshop.services.interview import answers
    from workshop.services.interview_io import import_interview
    from workshop.services.workspace import questionnaires

    with open_store(args) as store:
        interview = import_interview(
            store, questionnaires(store), args.file, app=args.app, force_version=args.force_version
        )
        count = len(answers(store, interview.id))
    if args.json:
        print_json(interview.to_dict() | {"answers": count})
    else:
        print(
            f"imported {count} answers into {interview.application} (interview {interview.id})",
            file=sys.stderr,
        )
    return 0
