"""``workshop attack``: ATT&CK data: info, search, show, fetch.

Every action takes ``--bundle PATH`` (or ``builtin``); without it the bundle comes
from ``$WORKSHOP_ATTACK_BUNDLE``, else the newest download in ``attack_data/``, else
the built-in catalogue. Every output, text or JSON, names the ATT&CK release and
domain it came from.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Any

from workshop.cli._common import print_json

_KINDS = (
    "technique",
    "tactic",
    "detection-strategy",
    "analytic",
    "data-component",
    "mitigation",
    "group",
    "campaign",
)


COMMANDS = {"attack": "ATT&CK data: info, search, show, fetch"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("attack", parents=[common], help=COMMANDS["attack"])
    s = p.add_subparsers(dest="attack_command", metavar="ACTION", required=True)

    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--bundle",
        metavar="PATH",
        help="ATT&CK STIX bundle, or 'builtin' (default: $WORKSHOP_ATTACK_BUNDLE, else the newest "
        "bundle in attack_data/, else the built-in catalogue)",
    )
    data.add_argument("--cache-dir", metavar="DIR", help="index cache folder (default: attack_data/cache)")
    data.add_argument(
        "--include-revoked", action="store_true", help="also count and show revoked and deprecated objects"
    )
    data.add_argument("--json", action="store_true", help="print JSON")

    info = s.add_parser("info", parents=[common, data], help="release, domain and object counts")
    info.set_defaults(func=info_cmd)

    search = s.add_parser(
        "search", parents=[common, data], help="find techniques and more by ID, name or words"
    )
    search.add_argument("query", nargs="+", help="an ID (T1110, t1110.003) or words (brute force)")
    search.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="at most N results (default 20)"
    )
    search.add_argument(
        "--type",
        action="append",
        dest="kinds",
        choices=_KINDS,
        metavar="KIND",
        help=f"only this kind of object (repeatable): {', '.join(_KINDS)}",
    )
    search.set_defaults(func=search_cmd)

    show = s.add_parser("show", parents=[common, data], help="one technique with its detections")
    show.add_argument("id", help="technique or sub-technique ID, e.g. T1110.003")
    show.add_argument(
        "--platform",
        action="append",
        dest="platforms",
        metavar="NAME",
        help="only analytics for this platform (repeatable)",
    )
    show.set_defaults(func=show_cmd)

    fetch = s.add_parser("fetch", parents=[common], help="download MITRE's latest bundle into attack_data/")
    fetch.add_argument(
        "--domain", default="enterprise-attack", choices=["enterprise-attack", "ics-attack", "mobile-attack"]
    )
    fetch.add_argument("--url", help="download from this URL instead (a mirror, or file:// for a local copy)")
    fetch.add_argument("--output-dir", metavar="DIR", help="where to write it (default: attack_data/)")
    fetch.add_argument("--cache-dir", metavar="DIR", help="index cache folder (default: attack_data/cache)")
    fetch.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="network timeout (default 60)"
    )
    fetch.add_argument("--json", action="store_true", help="print JSON")
    fetch.set_defaults(func=fetch_cmd)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _load(args: argparse.Namespace):
    from workshop.attack import load_index, resolve_bundle

    return load_index(resolve_bundle(args.bundle), args.cache_dir)


def _source_line(index) -> str:
    m = index.meta
    where = m.file if m.file else "built-in catalogue (no bundle; 'workshop attack fetch' downloads one)"
    return f"ATT&CK {m.version} ({m.domain}) from {where}"


def info_cmd(args: argparse.Namespace) -> int:
    from workshop.attack.index import COUNT_KEYS

    index = _load(args)
    data = index.info(include_hidden=args.include_revoked)
    data["cache"] = index.cache_status
    data["load_seconds"] = round(index.load_seconds, 3)
    if args.json:
        print_json(data)
        return 0
    print(_source_line(index))
    if index.meta.name:
        print(f"  {index.meta.name}")
    what = "objects" if args.include_revoked else "objects (not revoked or deprecated)"
    print(f"  {what}:")
    for key in COUNT_KEYS:
        print(f"    {key.replace('_', ' '):<22} {data[key]:>6,}")
    print(f"  loaded in {index.load_seconds:.2f} s (cache: {index.cache_status})")
    return 0


def search_cmd(args: argparse.Namespace) -> int:
    index = _load(args)
    query = " ".join(args.query)
    hits = index.search(query, limit=args.limit, kinds=args.kinds, include_hidden=args.include_revoked)
    if args.json:
        # A list, best first, as the command promises; each item names the release it came from.
        release = {
            "attack_version": index.meta.version,
            "domain": index.meta.domain,
            "source": index.meta.source,
        }
        print_json([h.to_dict() | release for h in hits])
        return 0
    print(_source_line(index))
    if not hits:
        print(f"no match for '{query}'")
        return 0
    width = max(len(h.id) for h in hits)
    for h in hits:
        extra = f"  [{', '.join(h.tactics)}]" if h.tactics else f"  ({h.kind})"
        flag = " (revoked)" if h.revoked else " (deprecated)" if h.deprecated else ""
        print(f"{h.id:<{width}}  {h.name}{flag}{extra}")
    return 0


def show_cmd(args: argparse.Namespace) -> int:
    from workshop.attack import app_logs_note
    from workshop.core.errors import InputError

    index = _load(args)
    detail = index.detail(args.id, platforms=args.platforms, include_hidden=args.include_revoked)
    if detail is None:
        raise InputError(_unknown_message(index, args.id))
    if detail.get("app_logs") is None:
        detail["app_logs"] = app_logs_note(detail["id"])
    if args.json:
        print_json(detail)
        return 0
    _print_detail(index, detail)
    return 0


def _unknown_message(index, technique_id: str) -> str:
    where = f"ATT&CK {index.meta.version} ({index.meta.domain}{', built-in catalogue' if index.is_builtin else ''})"
    hidden = index.technique(technique_id, include_hidden=True)
    if hidden is not None:
        state = "revoked" if hidden.revoked else "deprecated"
        by = f", replaced by {hidden.revoked_by}" if hidden.revoked_by else ""
        return f"technique {hidden.id} is {state} in {where}{by}; use --include-revoked to show it anyway"
    message = f"unknown technique ID '{technique_id}' in {where}"
    other = index.get(technique_id)
    if other is not None:
        return f"{technique_id} is a {other.kind} ({other.name}), not a technique; 'workshop attack search {other.id}' finds it"
    hits = index.search(technique_id, limit=3, kinds=["technique"])
    if hits:
        message += "; did you mean " + ", ".join(f"{h.id} ({h.name})" for h in hits) + "?"
    return message


def _print_detail(index, d: dict[str, Any]) -> None:
    from workshop.attack import plain_text

    wrap = textwrap.TextWrapper(width=100, initial_indent="  ", subsequent_indent="  ")
    print(_source_line(index))
    flag = " (REVOKED)" if d["revoked"] else " (DEPRECATED)" if d["deprecated"] else ""
    print(f"\n{d['id']}  {d['name']}{flag}")
    print(f"  {d['url']}")
    print(f"  tactics:   {', '.join(d['tactics'])}")
    print(f"  platforms: {', '.join(d['platforms'])}")
    if d["parent"]:
        print(f"  sub-technique of {d['parent']['id']} {d['parent']['name']}")
    if d["description"]:
        print()
        _print_prose(plain_text(d["description"]), wrap)
    if d.get("app_logs"):
        print("\nWhat application logs would show:")
        print(wrap.fill(d["app_logs"]))
    _section("Sub-techniques", [f"{s['id']}  {s['name']}" for s in d["subtechniques"]])
    if d["detection_strategies"]:
        print(f"\nDetection strategies ({len(d['detection_strategies'])}):")
        for s in d["detection_strategies"]:
            print(f"  {s['id']}  {s['name']}")
            for a in s["analytics"]:
                print(f"    {a['id']} [{a['platform']}]")
                for ls in a["log_sources"]:
                    comp = (
                        f"{ls['data_component']} {ls['data_component_name']}: "
                        if ls["data_component"]
                        else ""
                    )
                    print(f"      log source: {comp}{ls['name']} / {ls['channel']}")
                for m in a["mutable_elements"]:
                    print(f"      tunable: {m['field']} - {m['description']}")
    elif index.is_builtin:
        print("\nDetection strategies: not in the built-in catalogue (load a MITRE bundle with --bundle)")
    _section("Mitigations", [f"{m['id']}  {m['name']}" for m in d["mitigations"]])
    _section("Groups", [f"{g['id']}  {g['name']}" for g in d["groups"]], inline=True)
    _section("Campaigns", [f"{c['id']}  {c['name']}" for c in d["campaigns"]], inline=True)


def _print_prose(text: str, wrap: textwrap.TextWrapper) -> None:
    """ATT&CK prose: paragraphs wrapped, Markdown bullet lists kept as lists."""
    bullet = textwrap.TextWrapper(width=wrap.width, initial_indent="  - ", subsequent_indent="    ")
    for n, para in enumerate(p for p in text.split("\n\n") if p.strip()):
        if n:
            print()
        prose: list[str] = []
        for line in para.splitlines():
            item = line.strip()
            if item.startswith(("* ", "- ")):
                if prose:
                    print(wrap.fill(" ".join(prose)))
                    prose = []
                print(bullet.fill(item[2:].strip()))
            elif item:
                prose.append(item)
        if prose:
            print(wrap.fill(" ".join(prose)))


def _section(title: str, lines: list[str], inline: bool = False) -> None:
    if not lines:
        return
    print(f"\n{title} ({len(lines)}):")
    if inline:
        print(textwrap.fill(", ".join(lines), width=100, initial_indent="  ", subsequent_indent="  "))
    else:
        for line in lines:
            print(f"  {line}")


def fetch_cmd(args: argparse.Namespace) -> int:
    from pathlib import Path

    from workshop.attack import load_index
    from workshop.attack.fetch import fetch_bundle
    from workshop.attack.load import DEFAULT_DATA_DIR

    folder = Path(args.output_dir) if args.output_dir else DEFAULT_DATA_DIR
    if not args.json:
        print(f"downloading ATT&CK {args.domain} ...", file=sys.stderr)
    result = fetch_bundle(folder, domain=args.domain, url=args.url, timeout=args.timeout)
    index = load_index(result.path, args.cache_dir)  # builds the cache now, not at the next start
    data = result.to_dict() | {"counts": index.counts()}
    if args.json:
        print_json(data)
        return 0
    c = data["counts"]
    print(f"wrote {result.path} (ATT&CK {result.version}, {result.domain}, {result.size / 1e6:.1f} MB)")
    print(
        f"  {c['techniques']} techniques, {c['subtechniques']} sub-techniques, {c['detection_strategies']} detection strategies"
    )
    return 0
