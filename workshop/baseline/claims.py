"""What the owners said against what the logs show.

In the workshop the owners describe normal use ("nobody works weekends", "about
a hundred logins a day", "the batch account only runs from the job server").
Detection built on a wrong belief either floods the SOC or misses the attack, so
each checkable answer is compared with the profile of a log sample, like with
like: same time zone, same kind of event (logins are the actions matching a login
pattern, counted when they succeed), same entity (records per *user* per day
need the user as entity). A claim the sample cannot check says why instead of
passing silently.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

from workshop.baseline.profile import Profile
from workshop.core.errors import InputError
from workshop.interview.facts import Facts, Q
from workshop.interview.facts import ServiceAccount as DeclaredAccount
from workshop.questionnaire.values import network_of
from workshop.vocab import WEEKDAYS, TimeWindow

CONTRADICTED = "contradicted"
CONSISTENT = "consistent"
UNVERIFIABLE = "unverifiable"
SEVERITIES = ("high", "medium", "low", "info")

#: Names that look like service accounts when the owners did not list them.
SERVICE_LIKE = re.compile(
    r"^(svc|srv|service|batch|api|bot|system|sys|app|job|integration)[-_.]|[-_.](svc|service|bot|batch|api)$",
    re.IGNORECASE,
)


@dataclass
class Discrepancy:
    """One claim checked against the sample.

    ``verdict`` is ``contradicted`` (the logs disagree), ``consistent`` or
    ``unverifiable`` (the sample cannot tell; ``evidence`` says what is missing).
    ``severity`` ranks contradictions (``high``, ``medium``, ``low``); others are ``info``.
    """

    claim: str
    evidence: str
    severity: str
    question_id: str
    verdict: str = CONTRADICTED

    def __post_init__(self) -> None:
        self.question_id = str(self.question_id)  # a plain string, also when given a Q member

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "claim": self.claim,
            "evidence": self.evidence,
            "severity": self.severity,
            "verdict": self.verdict,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Discrepancy:
        return cls(
            claim=data["claim"],
            evidence=data["evidence"],
            severity=data["severity"],
            question_id=data["question_id"],
            verdict=data.get("verdict", CONTRADICTED),
        )


def _unwrap(value: Any) -> Any:
    """Accept raw answer values or answer records holding them in ``value``."""
    if hasattr(value, "value") and not isinstance(value, Mapping):
        return value.value
    if isinstance(value, Mapping) and "value" in value and "start" not in value:
        return value["value"]
    return value


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


class ProfileContext(TypedDict):
    """The keyword arguments of ``build_profile`` that the interview decides."""

    tz: str
    business_hours: TimeWindow | None
    service_accounts: list[str]


def _facts(answers: Mapping[str, Any]) -> Facts:
    return Facts.of({k: _unwrap(v) for k, v in answers.items()})


def profile_options_from_answers(answers: Mapping[str, Any]) -> ProfileContext:
    """Arguments for ``build_profile`` that make its figures comparable with the answers.

    Returns ``{"tz", "business_hours", "service_accounts"}``: the zone of the
    declared business hours (UTC if none), the window itself, and the listed
    service account names. A window that cannot be read raises :class:`InputError`.
    """
    facts = _facts(answers)
    out: ProfileContext = {"tz": "UTC", "business_hours": None, "service_accounts": []}
    window = facts.get(Q.BUSINESS_HOURS)
    if isinstance(window, Mapping):
        bh = TimeWindow.from_answer(window)
        out["business_hours"] = bh
        if bh.timezone:
            out["tz"] = bh.timezone
    out["service_accounts"] = [account.name for account in facts.service_accounts]
    return out


def check_claims(
    profile: Profile,
    answers: Mapping[str, Any],
    *,
    tolerance: float = 2.0,
) -> list[Discrepancy]:
    """Every checkable answer, with a verdict. See :func:`compare_claims` for the
    contradictions only.

    ``answers`` are answer values (or answer records holding them) by question id.
    ``tolerance`` is the factor by which a volume may differ from the claim before
    it counts as contradicted (2 = between half and double is fine).
    """
    if tolerance <= 1:
        raise InputError("tolerance must be above 1")
    checks: list[Discrepancy] = []
    facts = _facts(answers)
    window = facts.get(Q.BUSINESS_HOURS)
    if isinstance(window, Mapping):
        checks.append(_business_hours(profile, window))
    if facts.weekend_use:
        checks.append(_weekend(profile, facts.weekend_use))
    if facts.daily_logins is not None:
        checks.append(_daily_logins(profile, float(facts.daily_logins), tolerance))
    if facts.records_per_user_day is not None:
        checks.append(_records(profile, float(facts.records_per_user_day), tolerance))
    if facts.exports_per_day is not None:
        checks.append(_exports(profile, float(facts.exports_per_day), tolerance))
    if facts.users_total is not None:
        checks.append(_users(profile, int(facts.users_total), facts.service_accounts))
    if facts.countries:
        checks.append(_countries(profile, facts.countries))
    if facts.networks:
        checks.append(_networks(profile, facts.networks))
    if Q.SERVICE_ACCOUNTS in facts.values:
        checks.extend(_service_accounts(profile, facts.service_accounts))
    return checks


def compare_claims(
    profile: Profile, answers: Mapping[str, Any], *, tolerance: float = 2.0
) -> list[Discrepancy]:
    """The claims the sample contradicts, most severe first."""
    found = [c for c in check_claims(profile, answers, tolerance=tolerance) if c.verdict == CONTRADICTED]
    return sorted(found, key=lambda c: SEVERITIES.index(c.severity))


# --------------------------------------------------------------------------- checks


def _business_hours(profile: Profile, window: Mapping[str, Any]) -> Discrepancy:
    try:
        bh = TimeWindow.from_answer(window)
    except InputError as exc:
        return Discrepancy(
            f"Business hours: {window}",
            f"cannot read the answer: {exc}",
            "info",
            Q.BUSINESS_HOURS,
            UNVERIFIABLE,
        )
    zone = bh.timezone or profile.timezone
    claim = (
        f"Use happens within business hours, {bh.describe() if bh.timezone else bh.describe() + ' ' + zone}"
    )
    if profile.events == 0:
        return Discrepancy(claim, "the sample has no events", "info", Q.BUSINESS_HOURS, UNVERIFIABLE)
    counts = np.array(profile.hourly_by_weekday.counts, dtype=float)
    pb = profile.business_hours
    same_window = (
        pb.days == bh.days
        and pb.start == bh.start
        and pb.end == bh.end
        and (pb.timezone or profile.timezone) == zone
    )
    if same_window:
        share = profile.out_of_hours_share
        note = ""
    elif zone == profile.timezone:
        share = 1.0 - float((counts * bh.hour_weights()).sum() / max(counts.sum(), 1))
        note = "" if bh.start.endswith(":00") and bh.end.endswith(":00") else " (counted by whole hours)"
    else:
        return Discrepancy(
            claim,
            f"the profile counts hours in {profile.timezone}, the answer in {zone}; "
            f"profile the sample again in the {zone} time zone to compare",
            "info",
            Q.BUSINESS_HOURS,
            UNVERIFIABLE,
        )
    outside = counts * (1.0 - bh.hour_weights())
    w, h = np.unravel_index(int(np.argmax(outside)), outside.shape)
    busiest = (
        f"; busiest out-of-hours slot: {WEEKDAYS[w].capitalize()} {h:02d}:00 ({int(outside[w, h])} events)"
    )
    events_out = round(share * profile.events)
    evidence = (
        f"{_pct(share)} of events ({_n(events_out)} of {_n(profile.events)}) fall outside these hours{note}"
    )
    if share > 0.10:
        sev = "high"
    elif share > 0.02:
        sev = "medium"
    elif share > 0.005:
        sev = "low"
    else:
        return Discrepancy(claim, evidence, "info", Q.BUSINESS_HOURS, CONSISTENT)
    return Discrepancy(claim, evidence + busiest, sev, Q.BUSINESS_HOURS)


def _weekend(profile: Profile, answer: str) -> Discrepancy:
    answer = answer.strip().lower()
    claims = {
        "none": "No weekend use",
        "rare": "Weekend use is rare",
        "regular": "The application is used at weekends",
    }
    claim = claims.get(answer, f"Weekend use: {answer}")
    weeks = profile.hourly_by_weekday.weeks
    weekend_days = weeks[5] + weeks[6]
    weekday_days = sum(weeks[:5])
    if weekend_days == 0:
        return Discrepancy(
            claim, "the sample spans no Saturday or Sunday", "info", Q.WEEKEND_USE, UNVERIFIABLE
        )
    weekend_events = profile.weekday[5] + profile.weekday[6]
    share = profile.weekend_share
    per_weekend_day = weekend_events / weekend_days
    per_weekday = sum(profile.weekday[:5]) / weekday_days if weekday_days else 0.0
    ratio = per_weekend_day / per_weekday if per_weekday else float("inf") if per_weekend_day else 0.0
    evidence = (
        f"{_pct(share)} of events ({_n(weekend_events)}) fall on Saturday or Sunday "
        f"({weekend_days} weekend day(s) in the sample, {_n(per_weekend_day)} events per weekend day "
        f"against {_n(per_weekday)} per weekday)"
    )
    if answer == "none":
        if weekend_events == 0:
            return Discrepancy(claim, evidence, "info", Q.WEEKEND_USE, CONSISTENT)
        return Discrepancy(claim, evidence, "high" if share >= 0.01 else "medium", Q.WEEKEND_USE)
    if answer == "rare":
        if ratio > 0.2:
            return Discrepancy(claim, evidence, "medium", Q.WEEKEND_USE)
        return Discrepancy(claim, evidence, "info", Q.WEEKEND_USE, CONSISTENT)
    if answer == "regular":
        if weekend_events == 0 and weekend_days >= 2:
            return Discrepancy(claim, evidence, "low", Q.WEEKEND_USE)
        return Discrepancy(claim, evidence, "info", Q.WEEKEND_USE, CONSISTENT)
    return Discrepancy(
        claim, f"answer '{answer}' is not none, rare or regular", "info", Q.WEEKEND_USE, UNVERIFIABLE
    )


def _factor_severity(observed: float, claimed: float, tolerance: float) -> str | None:
    """None when within tolerance; else medium, or high beyond 5x."""
    if claimed <= 0:
        return None if observed == 0 else "medium"
    factor = max(observed / claimed, claimed / observed) if observed > 0 else float("inf")
    if factor <= tolerance:
        return None
    return "high" if factor >= 5 else "medium"


def _daily_logins(profile: Profile, claimed: float, tolerance: float) -> Discrepancy:
    claim = f"About {_n(claimed)} logins a day"
    logins = profile.logins
    if logins is None:
        return Discrepancy(
            claim,
            "no action column is mapped, so logins cannot be told apart",
            "info",
            Q.DAILY_LOGINS,
            UNVERIFIABLE,
        )
    if not logins.actions:
        return Discrepancy(
            claim,
            f"no action matches the login pattern /{logins.pattern}/; rebuild with --login-pattern",
            "info",
            Q.DAILY_LOGINS,
            UNVERIFIABLE,
        )
    per_day = logins.per_day.samples() if logins.per_day.histogram is not None else np.array([])
    active = per_day[per_day > 0]
    if active.size == 0:
        typical, busiest, days = 0.0, 0.0, 0
    else:
        typical, busiest, days = float(np.median(active)), float(active.max()), int(active.size)
    kind = "successful logins" if logins.failed is not None else "login events"
    evidence = (
        f"median {_n(typical)} {kind} a day on the {days} day(s) with logins (busiest day {_n(busiest)}); "
        f"actions counted: {', '.join(logins.actions[:5])}{'...' if len(logins.actions) > 5 else ''}"
    )
    if logins.failed:
        evidence += f"; {_n(logins.failed)} failed attempts not counted"
    sev = _factor_severity(typical, claimed, tolerance)
    if sev is None:
        return Discrepancy(claim, evidence, "info", Q.DAILY_LOGINS, CONSISTENT)
    return Discrepancy(claim, evidence, sev, Q.DAILY_LOGINS)


def _records(profile: Profile, claimed: float, tolerance: float) -> Discrepancy:
    claim = f"A typical user views about {_n(claimed)} records a day"
    vol = profile.volumes.get("records")
    if vol is None:
        return Discrepancy(
            claim,
            "no records column is mapped (map a column to the records role)",
            "info",
            Q.RECORDS_PER_USER_DAY,
            UNVERIFIABLE,
        )
    if profile.entity_role != "user":
        return Discrepancy(
            claim,
            f"per-entity figures count {profile.entity_role}, not users; profile the sample again with user as the entity",
            "info",
            Q.RECORDS_PER_USER_DAY,
            UNVERIFIABLE,
        )
    d = vol.per_entity_day
    evidence = (
        f"median {_n(d.p50)} records per user per active day, 99th percentile {_n(d.p99)}, "
        f"highest {_n(d.max)} (over {d.n} user-days)"
    )
    sev = _factor_severity(d.p50, claimed, tolerance)
    if sev is None:
        if claimed > 0 and d.max >= 10 * claimed:
            return Discrepancy(
                claim, evidence + "; the busiest user-day is 10x the claim", "low", Q.RECORDS_PER_USER_DAY
            )
        return Discrepancy(claim, evidence, "info", Q.RECORDS_PER_USER_DAY, CONSISTENT)
    return Discrepancy(claim, evidence, sev, Q.RECORDS_PER_USER_DAY)


def _exports(profile: Profile, claimed: float, tolerance: float) -> Discrepancy:
    claim = f"About {_n(claimed)} exports a day"
    ex = profile.exports
    if ex is None:
        return Discrepancy(
            claim,
            "no action column is mapped, so exports cannot be told apart",
            "info",
            Q.EXPORTS_PER_DAY,
            UNVERIFIABLE,
        )
    if not ex.actions:
        evidence = f"no action matches the export pattern /{ex.pattern}/"
        if claimed > 0:
            return Discrepancy(
                claim,
                evidence + "; profile the sample again with another export action pattern if exports are named otherwise",
                "info",
                Q.EXPORTS_PER_DAY,
                UNVERIFIABLE,
            )
        return Discrepancy(claim, evidence, "info", Q.EXPORTS_PER_DAY, CONSISTENT)
    d = ex.per_day
    per_day = d.samples() if d.histogram is not None else np.array([d.mean])
    active = per_day[per_day > 0]
    typical = float(np.median(active)) if active.size else 0.0
    evidence = (
        f"{_n(ex.events)} export events over {d.n} day(s): median {_n(typical)} on the {active.size} day(s) with exports, "
        f"busiest day {_n(d.max)}"
    )
    sev = _factor_severity(typical, claimed, tolerance)
    if sev is None and claimed > 0 and d.max >= 5 * claimed:
        return Discrepancy(
            claim,
            evidence + f"; the busiest day is {d.max / claimed:.0f}x the claim",
            "high",
            Q.EXPORTS_PER_DAY,
        )
    if sev is None:
        return Discrepancy(claim, evidence, "info", Q.EXPORTS_PER_DAY, CONSISTENT)
    return Discrepancy(claim, evidence, sev, Q.EXPORTS_PER_DAY)


def _users(profile: Profile, claimed: int, accounts: Sequence[DeclaredAccount]) -> Discrepancy:
    claim = f"{claimed} named users"
    known = profile.first_seen.get("user")
    if known is None:
        return Discrepancy(claim, "no user column is mapped", "info", Q.USERS_TOTAL, UNVERIFIABLE)
    listed = {account.name for account in accounts}
    seen_service = [v.value for v in known.values if v.value in listed or SERVICE_LIKE.search(v.value)]
    people = known.count - len(seen_service)
    evidence = f"{people} distinct user account(s) act in the sample"
    if seen_service:
        evidence += (
            f" (not counting {len(seen_service)} service account(s): {', '.join(sorted(seen_service)[:5])})"
        )
    if people > claimed * 1.1 and people - claimed >= 2:
        sev = "high" if people > claimed * 1.5 else "medium"
        return Discrepancy(
            claim, evidence + f": {people - claimed} more than the owners counted", sev, Q.USERS_TOTAL
        )
    return Discrepancy(claim, evidence, "info", Q.USERS_TOTAL, CONSISTENT)


def _countries(profile: Profile, claimed: list[str]) -> Discrepancy:
    allowed = {str(c).strip().upper() for c in claimed}
    claim = f"Access only from {', '.join(sorted(allowed))}"
    known = profile.first_seen.get("country")
    if known is None:
        return Discrepancy(
            claim,
            "the sample has no country column (map a column to the country role)",
            "info",
            Q.COUNTRIES,
            UNVERIFIABLE,
        )
    outside = [v for v in known.values if v.value.strip().upper() not in allowed]
    if not outside:
        return Discrepancy(
            claim, f"all {known.count} countries seen are listed", "info", Q.COUNTRIES, CONSISTENT
        )
    events = sum(v.events for v in outside)
    share = events / profile.events if profile.events else 0.0
    examples = ", ".join(f"{v.value} ({v.events})" for v in outside[:5])
    evidence = f"{_n(events)} events ({_pct(share)}) come from countries not listed: {examples}"
    return Discrepancy(claim, evidence, "high" if share >= 0.01 else "medium", Q.COUNTRIES)


def _networks(profile: Profile, claimed: list[str]) -> Discrepancy:
    nets = []
    bad = []
    for text in claimed:
        try:
            nets.append(ipaddress.ip_network(network_of(text), strict=False))
        except ValueError:
            bad.append(str(text))
    claim = f"Access only from {', '.join(str(n) for n in nets) or 'the listed networks'}"
    known = profile.first_seen.get("source_ip")
    if known is None:
        return Discrepancy(claim, "no source IP column is mapped", "info", Q.NETWORKS, UNVERIFIABLE)
    if not nets:
        return Discrepancy(
            claim, f"no valid network in the answer ({', '.join(bad)})", "info", Q.NETWORKS, UNVERIFIABLE
        )
    outside = []
    not_ip = 0
    for v in known.values:
        try:
            addr = ipaddress.ip_address(v.value.strip())
        except ValueError:
            not_ip += 1
            continue
        if not any(addr.version == n.version and addr in n for n in nets):
            outside.append(v)
    scope = (
        f"checked the {len(known.values)} busiest of {known.count} addresses"
        if known.truncated
        else f"checked all {known.count} addresses"
    )
    if not_ip:
        scope += f"; {not_ip} value(s) are not IP addresses"
    if bad:
        scope += f"; ignored unreadable network(s) {', '.join(bad)}"
    if not outside:
        return Discrepancy(
            claim,
            f"every source address falls inside the listed networks ({scope})",
            "info",
            Q.NETWORKS,
            CONSISTENT,
        )
    events = sum(v.events for v in outside)
    share = events / profile.events if profile.events else 0.0
    examples = ", ".join(f"{v.value} ({v.events})" for v in outside[:5])
    evidence = f"{len(outside)} address(es) outside the listed networks made {_n(events)} events ({_pct(share)}): {examples} ({scope})"
    return Discrepancy(claim, evidence, "high" if share >= 0.01 else "medium", Q.NETWORKS)


def _hours_text(hours: Sequence[int]) -> str:
    active = [h for h, n in enumerate(hours) if n]
    if not active:
        return "no hours"
    return ", ".join(f"{h:02d}:00" for h in active[:8]) + ("..." if len(active) > 8 else "")


def _host_tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[,;\s]+", text or "") if t]


def _service_accounts(profile: Profile, accounts: Sequence[DeclaredAccount]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    known_users = profile.first_seen.get("user")
    if known_users is None and profile.entity_role != "user":
        return [
            Discrepancy(
                "Service accounts as listed",
                "no user column is mapped, so accounts cannot be found",
                "info",
                Q.SERVICE_ACCOUNTS,
                UNVERIFIABLE,
            )
        ]
    listed = {account.name for account in accounts}
    for account in accounts:
        name = account.name
        purpose = account.purpose.strip()
        claim = f"Service account {name}" + (f" ({purpose})" if purpose else "")
        sa = profile.service_accounts.get(name)
        if sa is None:
            seen = known_users is not None and name in known_users.names()
            evidence = (
                "appears in the sample" if seen else "not among the sample's known users"
            ) + "; rebuild the profile with this service account to see its hours and sources"
            out.append(Discrepancy(claim, evidence, "info", Q.SERVICE_ACCOUNTS, UNVERIFIABLE))
            continue
        if sa.events == 0:
            out.append(
                Discrepancy(
                    claim,
                    f"no events from {name} in the sample ({profile.first} to {profile.last}): "
                    "renamed, disabled, or logged elsewhere?",
                    "low",
                    Q.SERVICE_ACCOUNTS,
                )
            )
            continue
        hours = f"{sa.events} events on {sa.days} day(s), at {_hours_text(sa.hour_of_day)}"
        out.append(Discrepancy(claim, hours, "info", Q.SERVICE_ACCOUNTS, CONSISTENT))
        tokens = [token for hosts in account.source_hosts for token in _host_tokens(hosts)]
        nets = []
        for tok in tokens:
            with contextlib.suppress(ValueError):
                nets.append(ipaddress.ip_network(tok, strict=False))
        if tokens and not nets:
            out.append(
                Discrepancy(
                    f"{name} runs from {', '.join(tokens)}",
                    f"the hosts are names, the sample has addresses ({', '.join(sa.sources[:5])}); resolve the names to compare",
                    "info",
                    Q.SERVICE_ACCOUNTS,
                    UNVERIFIABLE,
                )
            )
        elif nets and sa.sources:
            stray = []
            for src in sa.sources:
                try:
                    addr = ipaddress.ip_address(src)
                except ValueError:
                    stray.append(src)
                    continue
                if not any(addr.version == n.version and addr in n for n in nets):
                    stray.append(src)
            hosts_claim = f"{name} runs only from {', '.join(tokens)}"
            if stray:
                out.append(
                    Discrepancy(
                        hosts_claim,
                        f"{name} also acted from {', '.join(stray[:5])}",
                        "high",
                        Q.SERVICE_ACCOUNTS,
                    )
                )
            else:
                out.append(
                    Discrepancy(
                        hosts_claim,
                        f"all sources listed: {', '.join(sa.sources[:5])}",
                        "info",
                        Q.SERVICE_ACCOUNTS,
                        CONSISTENT,
                    )
                )
    if known_users is not None:
        unlisted = [v for v in known_users.values if v.value not in listed and SERVICE_LIKE.search(v.value)]
        for v in unlisted[:10]:
            out.append(
                Discrepancy(
                    "The service accounts listed are all there are",
                    f"'{v.value}' looks like a service account ({v.events} events, {v.first} to {v.last}) "
                    "but is not in the owners' list",
                    "low",
                    Q.SERVICE_ACCOUNTS,
                )
            )
    return out
