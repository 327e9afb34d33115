"""Logging requirements for an application's developers: the events its detections need.

A use case that needs an event the application does not log (or logs under a name
nobody confirmed, or without a field the rule groups or counts on) cannot work. In the
use-case document that is a blind-spot sentence for the SOC; the people who can fix
it are the application's developers, who need the same facts as work: which event,
under which name, with which fields, in which format, for how long, why, and how they
will know it is done (the synthetic true-positive event that must then appear).

The boundary is :class:`Need`, one event one use case needs with the log roles it
reads. :func:`needs_of` computes needs from what a use case says today (its events,
its logic, the fields its rule uses); anything else that can say "this rule needs that
event" (a readiness check's reasons) can hand :func:`logging_requirements` its own
needs instead. The result lists, per event, what is missing or incomplete and what is
already logged correctly, so the tickets cover the first and nothing of the second.

Standards referred to: the OWASP Logging Vocabulary (event names, used as OWASP's only
where the name is in :data:`OWASP_VOCABULARY`), OWASP ASVS 5.0 chapter 16 (requirement
ids), Elastic Common Schema, OCSF 1.x and OpenTelemetry semantic conventions (field
names, :data:`FIELD_STANDARDS`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workshop.core.errors import InputError
from workshop.interview.facts import Facts
from workshop.usecases.events import EVENTS, OWASP_VOCABULARY, LogVocabulary
from workshop.usecases.model import UseCase
from workshop.vocab import LOG_ROLES, LogRole, Status, duration_seconds, is_duration

#: The nearest OWASP name for events the vocabulary has no name of their own for.
OWASP_CLOSEST: dict[str, str] = {
    "password_reset": "authn_password_change",
    "privilege_revoke": "privilege_permissions_changed",
    "bulk_update": "data_sensitive_update",
    "data_export": "data_sensitive_read",
    "search": "data_sensitive_read",
    "payee_change": "data_sensitive_update",
    "config_change": "authz_admin",
}


def owasp_name(event_id: str) -> str:
    """The event's OWASP Logging Vocabulary name, or "" when OWASP has none for it."""
    et = EVENTS.get(event_id)
    return et.owasp if et is not None and et.owasp in OWASP_VOCABULARY else ""


@dataclass(frozen=True)
class FieldStandard:
    """A log role's name in the common schemas; ``custom`` when none of them defines one."""

    role: str
    meaning: str
    ecs: str
    ocsf: str
    otel: str
    custom: bool = False


_NONE = "(none defined)"
#: Field names per log role in Elastic Common Schema, OCSF and OpenTelemetry. Where a
#: schema has no field for the role the entry says so rather than inventing one; the
#: document then suggests keeping the application's name as a custom attribute.
FIELD_STANDARDS: dict[str, FieldStandard] = {
    s.role: s
    for s in (
        FieldStandard(LogRole.TIMESTAMP, "when it happened (ISO 8601 with offset, UTC preferred)",
                      "@timestamp", "time", "Timestamp"),
        FieldStandard(LogRole.USER, "who acted (the authenticated account)", "user.name", "actor.user.name",
                      "user.name"),
        FieldStandard(LogRole.ACTION, "what was done (the event name)", "event.action", "activity_name",
                      "EventName"),
        FieldStandard(LogRole.OUTCOME, "the result (success or failure)", "event.outcome", "status_id",
                      _NONE),
        FieldStandard(LogRole.SOURCE_IP, "where from (the client's address)", "source.ip", "src_endpoint.ip",
                      "client.address"),
        FieldStandard(LogRole.OBJECT, "what it was done to (the record's id)", _NONE, "resources[].uid", _NONE,
                      custom=True),
        FieldStandard(LogRole.RECORDS, "how many records it touched", _NONE, _NONE, _NONE, custom=True),
        FieldStandard(LogRole.BYTES, "how much data left", "http.response.body.bytes", "traffic.bytes_out",
                      "http.response.body.size"),
        FieldStandard(LogRole.SESSION, "the session it belongs to", _NONE, "session.uid", "session.id"),
        FieldStandard(LogRole.COUNTRY, "the client's country", "source.geo.country_iso_code",
                      "src_endpoint.location.country", "geo.country.iso_code"),
        FieldStandard(LogRole.HOST, "which server wrote it", "host.name", "device.hostname", "host.name"),
        FieldStandard(LogRole.AMOUNT, "the money value of a payment or refund", _NONE, _NONE, _NONE,
                      custom=True),
        FieldStandard(LogRole.REPORT, "which report or export", _NONE, _NONE, _NONE, custom=True),
        FieldStandard(LogRole.TARGET_USER, "the account acted upon", "user.target.name", "user.name", _NONE),
        FieldStandard(LogRole.BANK_ACCOUNT, "the new bank account written (masked)", _NONE, _NONE, _NONE,
                      custom=True),
        FieldStandard(LogRole.ITEM, "the id of the item created and approved (payment, run, request), the same "
                      "in both events", _NONE, _NONE, _NONE, custom=True),
        FieldStandard(LogRole.URL, "the URL requested (path and query string)", "url.original", "http_request.url.url_string",
                      "url.full"),
        FieldStandard(LogRole.USER_AGENT, "the client's user agent", "user_agent.original",
                      "http_request.user_agent", "user_agent.original"),
        FieldStandard(LogRole.HTTP_STATUS, "the HTTP status code of the response",
                      "http.response.status_code", "http_response.code", "http.response.status_code"),
    )
}  # fmt: skip

#: Roles every security event should carry (ASVS 16.2.1: when, where, who, what, result),
#: recommended whatever the rules read.
RECOMMENDED_ROLES: tuple[str, ...] = (
    LogRole.TIMESTAMP, LogRole.USER, LogRole.SOURCE_IP, LogRole.ACTION, LogRole.OUTCOME, LogRole.OBJECT,
)  # fmt: skip

# --------------------------------------------------------------------------- ASVS 5.0 chapter 16

#: OWASP ASVS 5.0 requirements this document answers (id -> what it asks, in short).
ASVS: dict[str, str] = {
    "16.1.1": "an inventory of what is logged, in what format, where, how it is used, who may read it, how long",
    "16.2.1": "each entry has the metadata for a timeline: when, where, who, what",
    "16.2.2": "time sources synchronised; timestamps in UTC or with an explicit offset",
    "16.2.3": "logs go only to the destinations the inventory documents",
    "16.2.4": "logs readable and correlatable by the log processor in use (a common format)",
    "16.2.5": "sensitive data logged according to its protection level (masked or left out)",
    "16.3.1": "all authentication operations logged, successful and unsuccessful",
    "16.3.2": "failed authorisation attempts logged (L3: every decision, sensitive data access)",
    "16.3.3": "the documented security events logged, and attempts to bypass controls and business logic",
    "16.3.4": "unexpected errors and security control failures logged",
    "16.4.1": "log data encoded against log injection",
    "16.4.2": "logs protected from unauthorised access and modification",
    "16.4.3": "logs sent securely to a separate system for analysis and alerting",
}
_AUTHN = {"authn_success", "authn_failure", "authn_lockout", "password_change", "password_reset", "mfa_change",
          "session_start", "token_created", "token_used"}  # fmt: skip
_AUTHZ = {"authz_failure", "record_view", "search", "data_export"}
_ERRORS = {"app_error", "audit_config_change"}


def asvs_of(event_id: str) -> tuple[str, ...]:
    """The ASVS 5.0 requirements logging this event answers."""
    if event_id in _AUTHN:
        specific = "16.3.1"
    elif event_id in _AUTHZ:
        specific = "16.3.2"
    elif event_id in _ERRORS:
        specific = "16.3.4"
    else:
        specific = "16.3.3"
    return ("16.2.1", "16.2.2", specific)


# --------------------------------------------------------------------------- what the rules need


@dataclass(frozen=True)
class Need:
    """One event that one use case needs, and the log roles its rule reads on that event.

    ``reasons`` carries why a rule is blocked when whoever made the need knows (a
    readiness check); ``acceptance`` one synthetic event, field name -> value, that the
    rule's true-positive test writes for this event (the event that must appear in the log).
    """

    event: str
    use_case: str
    title: str
    status: str
    roles: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    acceptance: Mapping[str, Any] | None = None
    triggered_by: tuple[str, ...] = ()  # question ids that proposed the use case


#: Roles an allowlist of ``logic.exclude`` compares with.
_EXCLUDE_ROLES: dict[str, tuple[str, ...]] = {
    "service_accounts": (LogRole.USER,),
    "breakglass_accounts": (LogRole.USER,),
    "trusted_networks": (LogRole.SOURCE_IP,),
    "batch_hosts": (LogRole.SOURCE_IP,),
    "change_windows": (LogRole.TIMESTAMP,),
}
#: Use cases that no longer need anything.
_DROPPED = frozenset({Status.REJECTED, Status.RETIRED})


def needs_of(
    uc: UseCase,
    vocab: LogVocabulary,
    rule_roles: Iterable[str] = (),
    acceptance: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Need]:
    """What one use case needs logged, read from its logic (and the roles its built rule
    uses, ``rule_roles``, when the caller built it). Rejected and retired use cases need
    nothing; "any event" (log silence) names no event to add."""
    if uc.status in _DROPPED or not uc.applies:
        return []
    logic = uc.generated.logic
    common: set[str] = {LogRole.TIMESTAMP, LogRole.ACTION, *logic.group_by, *(r for r, _ in logic.match),
                        *(r for r, _ in logic.only), *rule_roles}  # fmt: skip
    if logic.field:
        common.add(logic.field)
    for allow in logic.exclude:
        common.update(_EXCLUDE_ROLES.get(allow, ()))
    triggered = tuple(t.question_id for t in uc.generated.triggered_by)
    out: list[Need] = []
    events = [e.event for e in uc.generated.events] or list(logic.selections)
    for event_id in dict.fromkeys(events):
        if event_id == "any_event" or event_id not in EVENTS:
            continue
        roles = set(common)
        if vocab.event(event_id).outcome:
            roles.add(LogRole.OUTCOME)
        ordered = tuple(r for r in LOG_ROLES if r in roles)
        out.append(Need(event_id, uc.template_id, uc.title, uc.status, ordered,
                        acceptance=(acceptance or {}).get(event_id), triggered_by=triggered))  # fmt: skip
    return out


def retention_needed_days(ucs: Iterable[UseCase]) -> int:
    """Days of log the use cases look back over (their longest duration parameter)."""
    longest = 0
    for uc in ucs:
        if uc.status in _DROPPED:
            continue
        for p in uc.parameters.values():
            if p.type == "duration" and is_duration(p.value):
                longest = max(longest, duration_seconds(str(p.value)))
    return -(-longest // 86400)


# --------------------------------------------------------------------------- the requirements

#: Why an event needs work, most serious first.
GAP_KINDS = ("not_logged", "logging_unknown", "name_assumed", "field_not_named", "field_not_in_sample")


@dataclass(frozen=True)
class Gap:
    kind: str  # one of GAP_KINDS
    text: str
    role: str = ""


@dataclass(frozen=True)
class FieldRequirement:
    role: str
    name: str  # the application's field name (assumed when not named)
    named: bool  # the interview named it
    seen: bool | None  # in the kept sample's columns; None: no sample
    standard: FieldStandard

    @property
    def ok(self) -> bool:
        return self.named and self.seen is not False


@dataclass
class EventRequirement:
    """One event: what the rules need of it, what is logged today, and what is missing."""

    event: str
    label: str
    action: str  # the application's event name (assumed from the template when not named)
    outcome: str
    name_assumed: bool
    owasp: str
    owasp_closest: str
    logged: bool | None
    fields: list[FieldRequirement]
    needs: list[Need]
    gaps: list[Gap] = field(default_factory=list)
    worries: list[str] = field(default_factory=list)
    seen_in_sample: int | None = None  # events with this action in the kept sample; None: not known
    example: dict[str, Any] = field(default_factory=dict)
    example_line: str = ""
    asvs: tuple[str, ...] = ()

    @property
    def needs_work(self) -> bool:
        return bool(self.gaps)

    @property
    def status(self) -> str:
        """The most serious gap, or ``ok``."""
        kinds = {g.kind for g in self.gaps}
        return next((k for k in GAP_KINDS if k in kinds), "ok")

    @property
    def blocked_use_cases(self) -> list[str]:
        return list(dict.fromkeys(n.use_case for n in self.needs))

    def summary(self) -> str:
        verb = {
            "not_logged": "Log",
            "logging_unknown": "Confirm or log",
            "name_assumed": "Confirm the name of",
        }
        lead = verb.get(self.status, "Complete the fields of")
        return f"{lead} the event '{self.label}' ({self.action})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "label": self.label,
            "status": self.status,
            "application_name": {
                "action": self.action,
                "outcome": self.outcome,
                "assumed": self.name_assumed,
            },
            "owasp": self.owasp,
            "owasp_closest": self.owasp_closest,
            "logged": self.logged,
            "seen_in_sample": self.seen_in_sample,
            "fields": [
                {
                    "role": f.role,
                    "name": f.name,
                    "named": f.named,
                    "seen_in_sample": f.seen,
                    "ecs": f.standard.ecs,
                    "ocsf": f.standard.ocsf,
                    "otel": f.standard.otel,
                    "meaning": f.standard.meaning,
                }
                for f in self.fields
            ],
            "gaps": [{"kind": g.kind, "role": g.role, "text": g.text} for g in self.gaps],
            "use_cases": [{"id": n.use_case, "title": n.title, "status": n.status} for n in self.needs],
            "worries": list(self.worries),
            "asvs": list(self.asvs),
            "example_line": self.example_line,
            "acceptance_event": {k: _plain(v) for k, v in self.example.items()},
        }


@dataclass
class LoggingRequirements:
    """The logging requirements of one application."""

    application: str
    slug: str
    log_format: str
    destination: str
    source_name: str
    timezone: str
    retention_days: float | int | None
    retention_needed_days: int
    known_gaps: str
    sample: str | None  # the kept sample the "seen" columns come from
    events: list[EventRequirement]
    general: list[tuple[str, str]] = field(default_factory=list)  # (ASVS id, requirement text)

    @property
    def requirements(self) -> list[EventRequirement]:
        """Events that need work: the tickets."""
        return [e for e in self.events if e.needs_work]

    @property
    def satisfied(self) -> list[EventRequirement]:
        """Events already logged with every field the rules read."""
        return [e for e in self.events if not e.needs_work]

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "slug": self.slug,
            "log_format": self.log_format,
            "destination": self.destination,
            "source_name": self.source_name,
            "timezone": self.timezone,
            "retention_days": self.retention_days,
            "retention_needed_days": self.retention_needed_days,
            "sample": self.sample,
            "general": [{"asvs": a, "text": t} for a, t in self.general],
            "requirements": [e.to_dict() for e in self.requirements],
            "satisfied": [e.to_dict() for e in self.satisfied],
        }


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
#: Words in the owners' worries that point at an event.
WORRY_WORDS: dict[str, tuple[str, ...]] = {
    "payee_change": ("bank detail", "payee", "bank account"),
    "payment_created": ("payment", "refund", "off-cycle", "paid"),
    "payment_approved": ("approv", "collude"),
    "data_export": ("export", "download", "report"),
    "record_view": ("salar", "record", "look up", "research"),
    "search": ("search", "research"),
    "authn_success": ("leaver", "left", "login", "log in"),
    "authn_failure": ("password", "guess", "brute"),
    "mfa_change": ("mfa", "multi-factor", "second factor", "phish"),
    "password_reset": ("password", "reset", "phish"),
    "user_created": ("ghost", "joiner", "account created", "new account"),
    "privilege_grant": ("role", "privilege", "permission"),
    "bulk_update": ("bulk", "mass"),
    "admin_action": ("admin",),
    "audit_config_change": ("audit", "logging"),
}


def worries_about(event_id: str, concerns: Sequence[tuple[str, str]]) -> list[str]:
    """The sentences of the owners' worries that speak of this event."""
    words = WORRY_WORDS.get(event_id, ())
    out: list[str] = []
    for _qid, text in concerns:
        for sentence in _SENTENCE.split(text):
            low = sentence.lower()
            if any(w in low for w in words) and sentence not in out:
                out.append(sentence.strip())
    return out[:3]


def example_line(event: Mapping[str, Any], log_format: str) -> str:
    """One event written as the application's log would hold it."""
    plain = {k: _plain(v) for k, v in event.items()}
    if log_format == "json":
        return json.dumps(plain, ensure_ascii=False)
    if log_format == "csv":
        header = ",".join(plain)
        return header + "\n" + ",".join("" if v is None else str(v) for v in plain.values())
    pairs = " ".join(
        f"{k}={json.dumps(v) if isinstance(v, str) and ' ' in v else v}" for k, v in plain.items()
    )
    if log_format == "syslog":
        ts = next(iter(plain.values()), "")
        return f"<110>1 {ts} app-host application - - - {pairs}"
    return pairs  # key_value, text, database_table, access logs: fields as key=value


def _synthetic_event(req: EventRequirement) -> dict[str, Any]:
    values: dict[str, Any] = {
        LogRole.TIMESTAMP: "2024-03-10T03:00:00+00:00", LogRole.USER: "synthetic.attacker",
        LogRole.ACTION: req.action, LogRole.OUTCOME: req.outcome or "success", LogRole.SOURCE_IP: "203.0.113.7",
        LogRole.OBJECT: "E-000123", LogRole.RECORDS: 5000, LogRole.BYTES: 1048576, LogRole.SESSION: "s-synthetic",
        LogRole.COUNTRY: "NL", LogRole.HOST: "app-host", LogRole.AMOUNT: 9990.0, LogRole.REPORT: "salary-register",
        LogRole.TARGET_USER: "new.user", LogRole.BANK_ACCOUNT: "GB00XXXX****1234", LogRole.ITEM: "PAY-000123",
        LogRole.URL: "/search?q=%27%20union%20select", LogRole.USER_AGENT: "sqlmap/1.8", LogRole.HTTP_STATUS: "403",
    }  # fmt: skip
    return {f.name: values.get(f.role, "...") for f in req.fields}


def logging_requirements(
    *,
    application: str,
    slug: str,
    facts: Facts,
    vocab: LogVocabulary,
    needs: Iterable[Need],
    sample: str | None = None,
    sample_fields: Iterable[str] | None = None,
    sample_actions: Mapping[str, int] | None = None,
    sample_actions_complete: bool = True,
    retention_needed: int = 0,
) -> LoggingRequirements:
    """Group the needs by event and say, for each, what is logged today and what is missing.

    ``sample_fields`` are the columns of the kept sample (None: no sample), so a field the
    interview named but the log does not carry is found; ``sample_actions`` the event
    names counted in it (shown; a rare event's absence from a sample proves nothing).
    """
    by_event: dict[str, list[Need]] = {}
    for n in needs:
        by_event.setdefault(n.event, []).append(n)
    seen_cols = None if sample_fields is None else set(sample_fields)
    concerns = [(str(q), t) for q, t in facts.concerns]
    events: list[EventRequirement] = []
    for event_id, ns in by_event.items():
        et = EVENTS[event_id]
        name = vocab.event(event_id)
        roles = {r for n in ns for r in n.roles}
        fields_ = [
            FieldRequirement(
                role,
                vocab.field_for(role),
                role not in vocab.assumed_fields and role in vocab.fields,
                None if seen_cols is None else vocab.field_for(role) in seen_cols,
                FIELD_STANDARDS.get(role, FieldStandard(role, role, _NONE, _NONE, _NONE, custom=True)),
            )
            for role in LOG_ROLES
            if role in roles
        ]
        req = EventRequirement(
            event=event_id, label=et.label, action=name.action, outcome=name.outcome, name_assumed=name.assumed,
            owasp=owasp_name(event_id), owasp_closest="" if owasp_name(event_id) else OWASP_CLOSEST.get(event_id, ""),
            logged=vocab.is_logged(event_id), fields=fields_, needs=ns, asvs=asvs_of(event_id),
            worries=worries_about(event_id, concerns),
        )  # fmt: skip
        if sample_actions is not None and not name.assumed:
            count = sample_actions.get(name.action)
            req.seen_in_sample = count if count is not None else (0 if sample_actions_complete else None)
        _find_gaps(req, sample)
        acceptance = next((n.acceptance for n in ns if n.acceptance), None)
        req.example = dict(acceptance) if acceptance else _synthetic_event(req)
        req.example_line = example_line(req.example, facts.log_format)
        events.append(req)
    order = {k: i for i, k in enumerate((*GAP_KINDS, "ok"))}
    events.sort(key=lambda e: (order[e.status], e.label))
    return LoggingRequirements(
        application=application,
        slug=slug,
        log_format=facts.log_format,
        destination=facts.log_destination,
        source_name=facts.log_source_name,
        timezone=facts.log_timezone or "",
        retention_days=facts.retention_days,
        retention_needed_days=retention_needed,
        known_gaps=facts.log_known_gaps,
        sample=sample,
        events=events,
        general=general_requirements(facts, retention_needed),
    )


def _find_gaps(req: EventRequirement, sample: str | None) -> None:
    if req.logged is False:
        req.gaps.append(Gap("not_logged", "The interview says this event is not logged."))
    elif req.logged is None:
        req.gaps.append(Gap("logging_unknown", "The interview does not say whether this event is logged."))
    if req.name_assumed:
        owasp = req.owasp or req.owasp_closest
        req.gaps.append(Gap(
            "name_assumed",
            f"Nobody named the value the action field holds for this event; the rules assume "
            f"'{req.action}'{f' (OWASP: {owasp})' if owasp else ''}. Log it under that name or tell us the real one.",
        ))  # fmt: skip
    for f in req.fields:
        if not f.named:
            req.gaps.append(Gap(
                "field_not_named", f"No log field is named for {f.role} ({f.standard.meaning}); the rules "
                f"assume '{f.name}'.", f.role,
            ))  # fmt: skip
        elif f.seen is False:
            req.gaps.append(Gap(
                "field_not_in_sample", f"The interview names the field '{f.name}' for {f.role}, but the kept "
                f"sample ({sample or 'sample'}) has no such column.", f.role,
            ))  # fmt: skip


def general_requirements(facts: Facts, retention_needed: int) -> list[tuple[str, str]]:
    """What every event of the application's security log needs, with the ASVS id it answers."""
    out: list[tuple[str, str]] = []
    kept = facts.retention_days
    need = max(retention_needed, 90)
    if kept is None:
        out.append(("16.1.1", f"Keep the security log for at least {need} days (the rules look back "
                              f"{retention_needed} days; the interview does not say how long it is kept)."))  # fmt: skip
    elif kept < need:
        out.append(("16.1.1", f"Keep the security log for at least {need} days: it is kept {kept} days today, "
                              f"and the rules look back {retention_needed} days."))  # fmt: skip
    else:
        out.append(
            ("16.1.1", f"Keep the security log for {kept} days as today (the rules need at least {need}).")
        )
    tz = facts.log_timezone
    utc = (tz or "").upper() in ("UTC", "Z", "ETC/UTC", "GMT", "+00:00")
    if utc:
        out.append(("16.2.2", "Keep writing timestamps in UTC (ISO 8601, e.g. 2024-03-10T03:00:00Z) from a "
                              "synchronised clock (NTP)."))  # fmt: skip
    else:
        said = (
            f"the log is in {tz} today" if tz else "the interview does not say which time zone the log is in"
        )
        out.append(("16.2.2", f"Write timestamps in UTC, or with an explicit offset (ISO 8601, "
                              f"2024-03-10T04:00:00+01:00), from a synchronised clock: {said}."))  # fmt: skip
    fmt = facts.log_format or "not said"
    out.append(("16.2.4", f"Write one event per line in one structured format (today: {fmt}); JSON with the "
                          "field names below is easiest for the SIEM to read."))  # fmt: skip
    out.append(("16.2.1", "Every security event carries when, where, who, what, the object and the result: "
                          + ", ".join(FIELD_STANDARDS[r].meaning for r in RECOMMENDED_ROLES) + "."))  # fmt: skip
    out.append(
        ("16.2.5", "Never log passwords, tokens or full bank account numbers; mask them (last four digits).")
    )
    out.append(
        ("16.4.1", "Encode what users typed before logging it (no line breaks or control characters).")
    )
    out.append(
        ("16.4.2", "Only the SOC and the platform team may read the log; the application may only append.")
    )
    dest = facts.log_destination or "not said"
    out.append(
        ("16.4.3", f"Send the log to the SIEM as it is written, over TLS (destination today: {dest}).")
    )
    return out


# --------------------------------------------------------------------------- documents and tickets

_STATUS_TEXT = {
    "not_logged": "not logged",
    "logging_unknown": "not known to be logged",
    "name_assumed": "event name not confirmed",
    "field_not_named": "fields missing",
    "field_not_in_sample": "fields not seen in the log",
    "ok": "logged as needed",
}
_PRIORITY = {"not_logged": "High", "logging_unknown": "High", "name_assumed": "Medium",
             "field_not_named": "Medium", "field_not_in_sample": "Medium"}  # fmt: skip


def status_text(status: str) -> str:
    return _STATUS_TEXT.get(status, status)


def _field_rows(e: EventRequirement) -> list[list[str]]:
    rows = []
    for f in e.fields:
        today = "named" if f.named else "not named (assumed)"
        if f.seen is True:
            today += ", in the sample"
        elif f.seen is False:
            today += ", not in the sample"
        rows.append([f.role, f.name, today, f.standard.ecs, f.standard.ocsf, f.standard.otel])
    return rows


def markdown(req: LoggingRequirements) -> str:
    """The developers' document: every text a person typed is escaped."""
    from workshop.core.render import md_escape, md_table

    todo, done = req.requirements, req.satisfied
    lines = [
        f"# Logging requirements: {md_escape(req.application, multiline=False)}",
        "",
        f"Detections for {md_escape(req.application, multiline=False)} need the events below in its security "
        f"log. {len(todo)} event(s) need work; {len(done)} are logged as the rules need them. Each event "
        "lists the name the application uses (and the OWASP Logging Vocabulary name where OWASP has one), the "
        "fields with their names in Elastic Common Schema, OCSF and OpenTelemetry, why it is needed, and the "
        "acceptance test: the event that must appear in the log once the work is done.",
        "",
        "## What the whole log needs",
        "",
        md_table(["ASVS 5.0", "requirement"], [[a, t] for a, t in req.general]),
        "",
        md_table(
            ["", "today"],
            [
                ["format", req.log_format or "not said"],
                ["destination", req.destination or "not said"],
                ["where the SOC reads it", req.source_name or "not said"],
                ["time zone", req.timezone or "not said"],
                ["kept for", f"{req.retention_days} days" if req.retention_days is not None else "not said"],
                ["kept sample checked", req.sample or "none kept"],
            ],
        ),
    ]
    if req.known_gaps:
        lines += ["", "What the owners already know is not logged:", "", "> " + md_escape(req.known_gaps)]
    lines += ["", "## Events to add or complete", ""]
    if not todo:
        lines.append("Nothing: every event the detections need is logged with the fields they read.")
    for e in todo:
        lines += _event_md(e, md_escape, md_table)
    lines += ["", "## Already logged as needed (inventory, ASVS 16.1.1)", ""]
    if done:
        lines.append(md_table(
            ["event", "logged as", "OWASP", "fields", "use cases"],
            [[e.label, e.action + (f" / {e.outcome}" if e.outcome else ""), e.owasp or "-",
              ", ".join(f.name for f in e.fields), ", ".join(e.blocked_use_cases)] for e in done],
        ))  # fmt: skip
    else:
        lines.append("None yet.")
    return "\n".join(lines) + "\n"


def _event_md(e: EventRequirement, esc: Any, table: Any) -> list[str]:
    owasp = e.owasp or (f"none (closest: {e.owasp_closest})" if e.owasp_closest else "none")
    name = f"{e.action}" + (f", outcome {e.outcome}" if e.outcome else "")
    out = [
        f"### {esc(e.label, multiline=False)} ({status_text(e.status)})",
        "",
        f"- **Application's name**: {esc(name, multiline=False)}"
        + (" (assumed: confirm or use it)" if e.name_assumed else ""),
        f"- **OWASP Logging Vocabulary**: {esc(owasp, multiline=False)}",
        f"- **ASVS 5.0**: {', '.join(e.asvs)}",
    ]
    if e.seen_in_sample is not None:
        out.append(f"- **In the kept sample**: {e.seen_in_sample} event(s) with this name")
    out += ["", "What is missing:", ""] + [f"- {esc(g.text, multiline=False)}" for g in e.gaps]
    out += ["", table(["role", "field", "today", "ECS", "OCSF", "OpenTelemetry"], _field_rows(e)), ""]
    out += ["Why: the use cases that need it:", ""]
    out += [
        f"- {esc(n.title, multiline=False)} ({esc(n.use_case, multiline=False)}, {n.status})" for n in e.needs
    ]
    if e.worries:
        out += ["", "What the owners worry about:", ""] + [f"> {esc(w, multiline=False)}" for w in e.worries]
    # an indented code block: Markdown shows it verbatim and HTML-escapes it
    out += [
        "",
        "Acceptance test: after the change, this event (values synthetic) must appear in the log:",
        "",
    ]
    out += ["    " + line for line in e.example_line.splitlines()] + [""]
    return out


def html(req: LoggingRequirements) -> str:
    from workshop.core.render import markdown_to_html

    return markdown_to_html(markdown(req), f"Logging requirements: {req.application}")


TICKET_COLUMNS = (
    "Summary",
    "Description",
    "Issue Type",
    "Priority",
    "Labels",
    "Components",
    "Acceptance Criteria",
)


def tickets(req: LoggingRequirements) -> list[dict[str, str]]:
    """One ticket per event that needs work, with the columns Jira's and most trackers' CSV import read."""
    out = []
    for e in req.requirements:
        fields_ = "; ".join(
            f"{f.name} ({f.role}; ECS {f.standard.ecs}; OCSF {f.standard.ocsf}; OTel {f.standard.otel})"
            for f in e.fields
        )
        description = "\n".join([
            f"{e.label}: {status_text(e.status)}.",
            *(g.text for g in e.gaps),
            f"Event name: {e.action}" + (f" (outcome {e.outcome})" if e.outcome else "")
            + (f"; OWASP {e.owasp}" if e.owasp else ""),
            f"Fields: {fields_}",
            "Needed by: " + "; ".join(f"{n.title} ({n.use_case})" for n in e.needs),
            *(f"Owners' worry: {w}" for w in e.worries),
            f"ASVS 5.0: {', '.join(e.asvs)}",
        ])  # fmt: skip
        out.append({
            "Summary": f"[{req.application}] {e.summary()}",
            "Description": description,
            "Issue Type": "Task",
            "Priority": _PRIORITY.get(e.status, "Medium"),
            "Labels": " ".join(["logging", "security-detection", f"asvs-{e.asvs[-1]}", e.status]),
            "Components": req.slug,
            "Acceptance Criteria": f"This event appears in the security log: {e.example_line}",
        })  # fmt: skip
    return out


def tickets_csv(req: LoggingRequirements) -> str:
    from workshop.core.csvsafe import to_csv

    return to_csv(TICKET_COLUMNS, [[t[c] for c in TICKET_COLUMNS] for t in tickets(req)])


def render(req: LoggingRequirements, fmt: str) -> str:
    """The requirements as ``md``, ``html``, ``csv`` (tickets) or ``json`` (requirements and tickets)."""
    if fmt == "md":
        return markdown(req)
    if fmt == "html":
        return html(req)
    if fmt == "csv":
        return tickets_csv(req)
    if fmt == "json":
        return json.dumps(req.to_dict() | {"tickets": tickets(req)}, indent=2, ensure_ascii=False) + "\n"
    raise InputError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


FORMATS = ("md", "html", "csv", "json")
