"""``workshop baseline``: profile log samples, and generate the SIEM queries that do it at scale."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from workshop.cli._common import print_json, write_output
from workshop.core.errors import InputError

_PROFILE_EPILOG = """\
roles: timestamp, user, action, outcome, source_ip, records, bytes, session, country.
Formats, detected from the content: CSV/TSV, JSON lines, JSON documents (CloudTrail
Records, pretty-printed), Parquet, Apache/NGINX access logs, syslog (RFC 3164/5424,
auth.log), W3C extended (IIS), Zeek TSV and JSON, key=value; anything else with --regex.
The mapping is proposed from the file (see 'workshop baseline inspect'); --map ROLE=COLUMN
changes one role, --map ROLE= drops it; --map timestamp='DATE + TIME' joins two columns.
The file is streamed (DuckDB): its size is bounded by the disk, not by memory.

Inside the SIEM: 'workshop baseline queries --siem splunk|kql|esql --map ROLE=FIELD ...'
prints queries whose CSV exports 'workshop baseline profile --from-siem-table FILE ...'
turns into the same profile (with hour precision).

examples:
  workshop baseline profile access.log --json
  workshop baseline profile audit.csv --map user=actor --tz Europe/London --default-tz Europe/London
  workshop baseline profile --from-siem-table activity.csv --from-siem-table action.csv --entity user
"""


COMMANDS = {"baseline": "profile log samples: what normal looks like"}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "baseline",
        parents=[common],
        help=COMMANDS["baseline"],
        description="Baselines from log samples: profile a file, or generate SIEM queries that compute the profile.",
    )
    sub = parser.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="detect a sample's format and propose a column mapping",
        description="Detect a sample's format, list its columns with examples and propose a role for each.",
    )
    p.add_argument("file", metavar="FILE")
    _format_args(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_inspect)

    p = sub.add_parser(
        "profile",
        parents=[common],
        help="profile a log sample (aggregates only)",
        description="Profile a log sample: events per entity per day, hours, weekdays, actions, failures, "
        "volumes, first-seen values. No raw row is kept.",
        epilog=_PROFILE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file", metavar="FILE", nargs="?", help="the sample (CSV, JSON lines, Parquet, access log)"
    )
    _format_args(p)
    _read_args(p)
    p.add_argument(
        "--tz", metavar="ZONE", default="UTC", help="zone days and hours are counted in (default UTC)"
    )
    p.add_argument(
        "--business-hours",
        metavar="WINDOW",
        default="mon-fri 08:00-18:00",
        help="normal working window in --tz, e.g. 'mon-fri 08:00-18:00' (the default)",
    )
    p.add_argument(
        "--service-account", metavar="NAME", action="append", default=[], help="report this account's hours"
    )
    p.add_argument(
        "--top", type=int, default=20, metavar="N", help="actions/outcomes/sources shown (default 20)"
    )
    p.add_argument("--value-cap", type=int, default=1000, metavar="N", help="first-seen values kept per role")
    p.add_argument(
        "--failure-values", metavar="LIST", help="comma-separated outcome values that mean failure"
    )
    p.add_argument("--login-pattern", metavar="REGEX", help="actions that are logins (case-insensitive)")
    p.add_argument("--export-pattern", metavar="REGEX", help="actions that are exports (case-insensitive)")
    p.add_argument(
        "--from-siem-table",
        metavar="CSV",
        action="append",
        default=[],
        help="build the profile from SIEM query results instead of FILE (repeat for each table)",
    )
    p.add_argument("--histograms", action="store_true", help="include the count histograms in the JSON")
    p.add_argument("--json", action="store_true", help="print the profile as JSON")
    p.add_argument("--out", metavar="FILE", help="write the JSON profile to FILE")
    p.set_defaults(func=_profile)

    p = sub.add_parser(
        "queries",
        parents=[common],
        help="print SIEM queries that compute the profile's tables",
        description="Print Splunk SPL, Sentinel KQL or Elastic ES|QL queries that count events per entity "
        "per hour (and per action, outcome, source); export their results as CSV and read them with "
        "'workshop baseline profile --from-siem-table'.",
    )
    p.add_argument("--siem", required=True, choices=["splunk", "kql", "esql"])
    p.add_argument("--map", metavar="ROLE=FIELD", action="append", default=[], help="SIEM field of a role")
    p.add_argument("--index", metavar="NAME", help="index (Splunk), table (KQL) or index pattern (ES|QL)")
    p.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    p.add_argument(
        "--entity", metavar="ROLE", help="role the entity column holds (default user, else source_ip)"
    )
    p.add_argument(
        "--failure-values", metavar="LIST", help="comma-separated outcome values that mean failure"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_queries)

    p = sub.add_parser(
        "synthetic",
        parents=[common],
        help="write the demo payroll audit log (with planted anomalies)",
        description="Write a synthetic payroll audit log as CSV and list the anomalies planted in it.",
    )
    p.add_argument("out", metavar="OUT.csv")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true", help="print the planted anomalies as JSON")
    p.set_defaults(func=_synthetic)
    _register_application_commands(sub, common)


def _register_application_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Baselines kept with an application: attach, list, claims, thresholds, apply."""
    p = sub.add_parser(
        "attach", parents=[common], help="profile a sample and store it as the application's baseline"
    )
    p.add_argument("app")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--log-source", default="audit", help="which log this is (default: audit)")
    _format_args(p)
    _read_args(p, default_tz=None)
    p.add_argument(
        "--tz", metavar="ZONE", help="zone days and hours are counted in (default: the declared hours' zone)"
    )
    p.add_argument(
        "--keep-sample",
        action="store_true",
        help="also keep a copy of the raw rows in the workspace (by default only aggregates are stored)",
    )
    p.add_argument(
        "--confirmed", action="store_true",
        help="you checked the column of every role (by default only the --map roles count as confirmed; "
        "the others are stored as the tool's proposal)",
    )  # fmt: skip
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_attach)

    p = sub.add_parser("list", parents=[common], help="an application's baselines, newest first")
    p.add_argument("app")
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_list)

    p = sub.add_parser(
        "show", parents=[common], help="one baseline: its file, figures and mapping (confirmed or proposed)"
    )
    p.add_argument("app")
    p.add_argument("--log-source", help="which log (default: the newest baseline of any)")
    p.add_argument("--version", type=int, help="which version (default: the newest)")
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_show)

    p = sub.add_parser("claims", parents=[common], help="the owners' claims against the newest baseline")
    p.add_argument("app")
    p.add_argument("--log-source")
    p.add_argument(
        "--all", action="store_true", help="also list the claims the sample confirms or cannot check"
    )
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_claims)

    p = sub.add_parser(
        "thresholds", parents=[common], help="threshold proposals for use-case parameters, backtested"
    )
    p.add_argument("app")
    p.add_argument("--log-source")
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_thresholds)

    p = sub.add_parser("apply", parents=[common], help="set a use-case parameter to a proposed threshold")
    p.add_argument("app")
    p.add_argument("use_case", metavar="USE_CASE")
    p.add_argument("parameter")
    p.add_argument("--method", default="p99+20%", help="p99+20%%, mad3 or stdev3 (default p99+20%%)")
    p.add_argument("--log-source")
    p.add_argument("--who", default="")
    p.add_argument(
        "--json", action="store_true", help="print the result as JSON (for scripts) instead of text"
    )
    p.set_defaults(func=_apply)


def _attach(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import attach_file
    from workshop.vocab import BASELINE_ROLES

    read = _read_options(args)
    with open_store(args) as store:
        done = attach_file(store, args.app, args.file, log_source=args.log_source, keep_sample=args.keep_sample,
                           read=read, progress=_progress(args),
                           confirmed=[str(r) for r in BASELINE_ROLES] if args.confirmed else None)  # fmt: skip
    contradicted = [c for c in done.claims if c.verdict == "contradicted"]
    if args.json:
        print_json(
            done.baseline.to_dict()
            | {"claims": [c.to_dict() for c in done.claims], "warnings": done.warnings}
        )
        return 0
    b = done.baseline
    print(
        f"attached {b.log_source} v{b.version} to {b.application}: {b.events:,} events, {b.first} to {b.last}"
    )
    for c in contradicted:
        print(f"  [{c.severity}] {c.claim}: {c.evidence}")
    proposed = [role for role in b.mapping if role not in b.confirmed]
    if proposed:
        print(f"  proposed by the tool, not confirmed: {', '.join(proposed)} "
              f"(check with 'workshop baseline show {b.application}'; --map ROLE=COLUMN or --confirmed)")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import get_baseline

    with open_store(args) as store:
        b = get_baseline(store, args.app, args.log_source, args.version)
    if args.json:
        print_json(b.to_dict())
        return 0
    kept = " (sample kept)" if b.sample_path else ""
    print(f"{b.log_source} v{b.version} of {b.application}: {b.file_name}{kept}, attached {b.created_at:%Y-%m-%d %H:%M}"
          + (f" by {b.who}" if b.who else ""))  # fmt: skip
    print(f"{b.events:,} events, {b.first} to {b.last}; entity: {b.profile.get('entity_role', '')}")
    print("mapping:")
    for role, column in b.mapping.items():
        how = "confirmed by a person" if role in b.confirmed else "proposed by the tool, not confirmed"
        print(f"  {role:<12} <- {column:<24} {how}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import list_baselines

    with open_store(args) as store:
        found = list_baselines(store, args.app)
    if args.json:
        print_json([b.to_dict() for b in found])
        return 0
    for b in found:
        kept = " (sample kept)" if b.sample_path else ""
        print(f"{b.log_source:<16} v{b.version:<3} {b.created_at:%Y-%m-%d}  {b.events:>10,} events  "
              f"{b.first[:10]} to {b.last[:10]}{kept}")  # fmt: skip
    if not found:
        print(f"no baseline yet: 'workshop baseline attach {args.app} FILE'")
    return 0


def _claims(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import claims_for, get_baseline

    with open_store(args) as store:
        baseline = get_baseline(store, args.app, args.log_source)
        claims = claims_for(store, args.app, baseline)
    shown = claims if args.all else [c for c in claims if c.verdict == "contradicted"]
    if args.json:
        print_json({"baseline": baseline.to_dict(), "claims": [c.to_dict() for c in shown]})
        return 0
    for c in shown:
        print(
            f"[{c.verdict}{', ' + c.severity if c.verdict == 'contradicted' else ''}] {c.claim}\n    {c.evidence}"
        )
    if not shown:
        print("the sample contradicts none of the owners' claims")
    return 0


def _thresholds(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import get_baseline
    from workshop.services.thresholds import proposals_for

    with open_store(args) as store:
        baseline = get_baseline(store, args.app, args.log_source)
        items = proposals_for(store, args.app, baseline)
    if args.json:
        print_json({"baseline": baseline.to_dict(), "parameters": [i.to_dict() for i in items]})
        return 0
    for i in items:
        print(f"{i.use_case} {i.parameter} = {i.current} ({i.current_source}); from {i.figure}")
        if i.current_alerts_per_day is not None:
            print(f"    {'current':<9} {i.current!s:>9}  {i.current_alerts_per_day:6.2f} alerts/day")
        for p in i.proposals:
            value = "n/a" if p.value is None else (f"{p.value:.0f}" if float(p.value).is_integer() else f"{p.value:.1f}")
            print(f"    {p.method:<9} {value:>9}  {p.alerts_per_day:6.2f} alerts/day   {p.why}")
            if p.method in i.warnings:
                print(f"    {'':<9} warning: {i.warnings[p.method]}")
        if i.note:
            print(f"    note: {i.note}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from workshop.cli._common import open_store
    from workshop.services.baselines import get_baseline
    from workshop.services.thresholds import apply_proposal

    with open_store(args) as store:
        baseline = get_baseline(store, args.app, args.log_source)
        uc = apply_proposal(
            store, args.app, args.use_case, args.parameter, args.method, baseline, who=args.who
        )
    p = uc.parameters[args.parameter]
    if args.json:
        print_json({"use_case": uc.template_id, "parameter": args.parameter} | p.to_dict())
    else:
        print(f"{uc.template_id} {args.parameter} = {p.value} ({p.detail})")
    return 0


def _read_args(p: argparse.ArgumentParser, default_tz: str | None = "UTC") -> None:
    """How a sample is read: the same options for ``profile`` and ``attach``."""
    p.add_argument(
        "--map", metavar="ROLE=COLUMN", action="append", default=[],
        help="map a column to a role; ROLE= removes the role",
    )  # fmt: skip
    p.add_argument("--exact-map", action="store_true", help="use only the --map roles, no proposal")
    p.add_argument(
        "--entity", metavar="ROLE", help="role the per-entity figures count (default user, else source_ip)"
    )
    p.add_argument(
        "--default-tz", metavar="ZONE", default=default_tz,
        help="zone of time stamps without an offset (default "
        + (default_tz or "the log's declared zone, else the business hours' zone") + ")",
    )  # fmt: skip
    p.add_argument(
        "--timestamp-format", metavar="FMT",
        help="strptime layout of the time stamps, e.g. %%d/%%m/%%Y %%H:%%M:%%S.%%f",
    )  # fmt: skip
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="leave out rows with bad time stamps (with a warning)"
    )
    p.add_argument(
        "--users-case-insensitive", action="store_true",
        help="count Administrator and administrator as one user (names shown in lower case)",
    )  # fmt: skip
    p.add_argument(
        "--year",
        type=int,
        metavar="YYYY",
        help="year of dates written without one (syslog; default: the file's)",
    )
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="show how much of the file is read, on stderr (default: when stderr is a terminal)",
    )  # fmt: skip


def _progress(args: argparse.Namespace) -> Any:
    """A progress printer for stderr, or None."""
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if not show:
        return None
    last = [-1]

    def report(done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct != last[0]:
            last[0] = pct
            end = "\n" if done >= total else ""
            print(f"\rreading {done / 2**20:,.0f} of {total / 2**20:,.0f} MB ({pct}%)", end=end, file=sys.stderr,
                  flush=True)  # fmt: skip

    return report


def _read_options(args: argparse.Namespace) -> Any:
    from workshop.baseline.mapping import check_role, parse_map_args
    from workshop.baseline.options import ReadOptions
    from workshop.vocab import check_timezone

    if args.entity:
        check_role(args.entity)
    for zone in (getattr(args, "tz", None), args.default_tz):
        if zone:
            check_timezone(zone)
    mapping = parse_map_args(args.map)
    return ReadOptions(
        fmt=args.format, mapping=mapping or None, exact_mapping=args.exact_map, entity=args.entity,
        tz=getattr(args, "tz", None), default_tz=args.default_tz, timestamp_format=args.timestamp_format,
        skip_bad_rows=args.skip_bad_rows, size_limit=_size_limit(args), year=args.year, regex=args.regex,
        users_case_insensitive=args.users_case_insensitive,
    )  # fmt: skip


def _format_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        default="auto",
        choices=[
            "auto",
            "csv",
            "jsonl",
            "json",
            "parquet",
            "combined",
            "common",
            "syslog",
            "w3c",
            "zeek",
            "keyvalue",
            "regex",
        ],
        help="sample format (default: detect from the content)",
    )
    p.add_argument(
        "--regex", metavar="PATTERN",
        help="read each line with this regular expression; its named groups are the columns, "
        "e.g. '(?P<time>\\S+ \\S+) (?P<user>\\S+) (?P<action>.*)'",
    )  # fmt: skip
    p.add_argument(
        "--size-limit", type=float, default=None, metavar="MB",
        help="refuse larger files (default: no limit but the disk and the sample limits)",
    )  # fmt: skip


def _size_limit(args: argparse.Namespace) -> int | None:
    if args.size_limit is None:
        return None
    if args.size_limit <= 0:
        raise InputError("--size-limit must be positive")
    return int(args.size_limit * 1024 * 1024)


def _options(args: argparse.Namespace) -> Any:
    from workshop.baseline.options import ProfileOptions

    kwargs: dict[str, Any] = {}
    if getattr(args, "top", None) is not None:
        kwargs["top_n"] = args.top
    if getattr(args, "value_cap", None) is not None:
        kwargs["value_cap"] = args.value_cap
    if args.failure_values:
        kwargs["failure_values"] = tuple(v.strip() for v in args.failure_values.split(",") if v.strip())
    if getattr(args, "login_pattern", None):
        kwargs["login_pattern"] = args.login_pattern
    if getattr(args, "export_pattern", None):
        kwargs["export_pattern"] = args.export_pattern
    return ProfileOptions(**kwargs)


def _inspect(args: argparse.Namespace) -> int:
    from workshop.baseline.loading import inspect_sample

    ins = inspect_sample(args.file, args.format, _size_limit(args), regex=args.regex)
    if args.json:
        print_json(ins.to_dict())
        return 0
    print(f"format: {ins.format}" + (f" (delimiter {ins.delimiter!r})" if ins.delimiter else ""))
    print("proposed mapping:")
    for role, column in ins.proposal.mapping.items():
        print(f"  {role:<10} <- {column:<20} {ins.proposal.reasons.get(role, '')}")
    print("columns:")
    for column in ins.columns:
        print(f"  {column}: {', '.join(ins.examples.get(column, []))}")
    print("change a role with --map ROLE=COLUMN when profiling")
    return 0


def _profile(args: argparse.Namespace) -> int:
    from workshop.baseline.mapping import check_role, parse_map_args
    from workshop.vocab import TimeWindow, check_timezone

    check_timezone(args.tz)
    check_timezone(args.default_tz)
    if args.entity:
        check_role(args.entity)
    business_hours = TimeWindow.parse(args.business_hours)
    options = _options(args)
    mapping = parse_map_args(args.map)
    if args.from_siem_table:
        if args.file:
            raise InputError("give either FILE or --from-siem-table, not both")
        from workshop.baseline.siem import profile_from_siem_tables

        profile = profile_from_siem_tables(
            args.from_siem_table,
            entity_role=args.entity or "user",
            tz=args.tz,
            default_tz=args.default_tz,
            business_hours=business_hours,
            service_accounts=args.service_account,
            options=options,
            mapping={k: v for k, v in mapping.items() if v},
            size_limit=_size_limit(args),
        )
    else:
        if not args.file:
            raise InputError("give the sample FILE (or --from-siem-table CSV)")
        from workshop.baseline.engine import profile_file_streaming

        _sample, profile = profile_file_streaming(
            args.file, _read_options(args), business_hours=business_hours, service_accounts=args.service_account,
            options=options, progress=_progress(args),
        )  # fmt: skip
    for warning in profile.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    data = profile.to_dict(histograms=args.histograms or bool(args.out))
    if args.out:
        write_output(json.dumps(data, indent=2, ensure_ascii=False), args.out)
    if args.json:
        print_json(data)
    elif not args.out:
        _print_summary(profile)
    return 0


def _print_summary(profile: Any) -> None:
    d = profile.per_entity_day
    print(
        f"{profile.events:,} events, {profile.entities:,} {profile.entity_role} value(s), {profile.first} to {profile.last}"
    )
    print(f"days covered: {profile.days_covered} of {profile.span_days}; zone {profile.timezone}")
    print(
        f"events per {profile.entity_role} per active day: p50 {d.p50:g}, p90 {d.p90:g}, p95 {d.p95:g}, "
        f"p99 {d.p99:g}, max {d.max:g}"
    )
    print(
        f"weekend share {profile.weekend_share:.1%}; outside {profile.business_hours.describe()}: "
        f"{profile.out_of_hours_share:.1%}"
    )
    busiest = max(range(24), key=lambda h: profile.hour_of_day[h])
    print(f"busiest hour {busiest:02d}:00 ({profile.hour_of_day[busiest]:,} events)")
    if profile.failures:
        print(f"failures: {profile.failures.events:,} ({profile.failures.ratio:.1%})")
    if profile.actions:
        top = list(profile.actions.values.items())[:5]
        print("top actions: " + ", ".join(f"{name} ({vf.events:,})" for name, vf in top))
    print("(--json for every figure)")


def _queries(args: argparse.Namespace) -> int:
    from workshop.baseline.mapping import parse_map_args
    from workshop.baseline.siem import generate_queries, render_queries

    mapping = {k: v for k, v in parse_map_args(args.map).items() if v}
    queries = generate_queries(
        args.siem,
        mapping,
        index=args.index,
        days=args.days,
        entity_role=args.entity,
        options=_options(args),
    )
    if args.json:
        print_json([q.to_dict() for q in queries])
    else:
        sys.stdout.write(render_queries(queries))
    return 0


def _synthetic(args: argparse.Namespace) -> int:
    from workshop.baseline.synthetic import generate_sample

    sample = generate_sample(seed=args.seed)
    path = sample.to_csv(args.out)
    if args.json:
        print_json(
            {
                "file": str(path),
                "events": len(sample.df),
                "anomalies": [a.to_dict() for a in sample.anomalies],
            }
        )
    else:
        print(f"wrote {path}: {len(sample.df):,} events")
        for a in sample.anomalies:
            print(f"  {a.kind}: {a.who} {a.start} ({a.events} events) - {a.description}")
    return 0
