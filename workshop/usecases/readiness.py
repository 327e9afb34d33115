"""Can this use case's rule fire on the application's real log? Readiness, and what to ask for.

A rule built on an event the application does not log, on an action name nobody
confirmed, on a field the log does not have or on a list nobody supplied is valid
Sigma that never fires (or fires on everything). Such a rule is *blocked*: it is not
"watching" in the analyst brief, it covers no ATT&CK technique, its local test is
"untestable", and each reason becomes a request to the application team (log this
event with these fields; confirm this name; supply this list).

Readiness is computed, never stored: from the use case as generated (its events, their
names as the interview gave them, its log vocabulary, its logic and parameters) and,
where given, the interview's facts (the batch hosts' addresses). This module is pure and
sits in the use-case layer, so documents, coverage, the rules and the logging
requirements all read the same answer::

    r = readiness(use_case, facts)        # Readiness: ready, or blocked with typed reasons
    r.ready, [x.text for x in r.reasons]
    requests([uc1, uc2], facts)           # [Request]: merged, one per event, field or list

:func:`requests` is the interface the application's logging and data requests (the
logging-requirements document) consume: one item per thing to ask for, with the use
cases that wait on it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workshop.interview.facts import Facts, Q
from workshop.questionnaire.values import network_of
from workshop.usecases.events import EVENTS, LogVocabulary, vocabulary
from workshop.usecases.model import ENRICH_LOOKUPS, PARAMETER_LISTS, EventRef, UseCase
from workshop.vocab import LogRole


class ReadinessState(StrEnum):
    READY = "ready"
    BLOCKED = "blocked"


class ReasonKind(StrEnum):
    """Why a rule cannot fire on the real log yet."""

    EVENT_NOT_LOGGED = "event_not_logged"  # the interview says the application does not log it
    EVENT_ASSUMED = "event_assumed"  # the action value is the OWASP default, not confirmed
    FIELD_NOT_NAMED = "field_not_named"  # the interview names no log fields at all: the name is assumed
    FIELD_ROLE_MISSING = "field_role_missing"  # the log's fields were listed, none plays this role
    LIST_NOT_SUPPLIED = "list_not_supplied"  # a list the rule selects on (or a SIEM lookup) is empty


class RequestKind(StrEnum):
    """What to ask the application team for."""

    LOG_EVENT = "log_event"  # start logging this event, with these fields
    CONFIRM_EVENT_NAME = "confirm_event_name"  # say how the event is written in the log
    NAME_FIELD = "name_field"  # name (or add) the log field that plays this role
    SUPPLY_LIST = "supply_list"  # supply these values (or the SIEM lookup holding them)


#: The request each reason becomes.
REQUEST_OF: dict[ReasonKind, RequestKind] = {
    ReasonKind.EVENT_NOT_LOGGED: RequestKind.LOG_EVENT,
    ReasonKind.EVENT_ASSUMED: RequestKind.CONFIRM_EVENT_NAME,
    ReasonKind.FIELD_NOT_NAMED: RequestKind.NAME_FIELD,
    ReasonKind.FIELD_ROLE_MISSING: RequestKind.NAME_FIELD,
    ReasonKind.LIST_NOT_SUPPLIED: RequestKind.SUPPLY_LIST,
}

#: Short words for a reason (test reports say "untestable: event name assumed").
REASON_WORDS: dict[ReasonKind, str] = {
    ReasonKind.EVENT_NOT_LOGGED: "event not logged",
    ReasonKind.EVENT_ASSUMED: "event name assumed",
    ReasonKind.FIELD_NOT_NAMED: "field not named",
    ReasonKind.FIELD_ROLE_MISSING: "field role missing",
    ReasonKind.LIST_NOT_SUPPLIED: "list not supplied",
}

#: The roles an allowlist of ``logic.exclude`` compares with.
_ALLOWLIST_ROLES: dict[str, str] = {
    "service_accounts": LogRole.USER,
    "breakglass_accounts": LogRole.USER,
    "trusted_networks": LogRole.SOURCE_IP,
    "batch_hosts": "host_or_source",
    "change_windows": LogRole.TIMESTAMP,
}
#: List modes of :data:`PARAMETER_LISTS` whose empty list leaves the rule without its subject.
_SELECTING = ("select", "lookup", "placeholder")


@dataclass(frozen=True)
class Reason:
    """One reason a rule is blocked; ``subject`` is the event id, role or parameter name."""

    kind: ReasonKind
    subject: str
    text: str
    fields: tuple[str, ...] = ()  # LOG_EVENT: the field names the event must carry

    @property
    def words(self) -> str:
        return REASON_WORDS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": str(self.kind), "subject": self.subject, "text": self.text}
        if self.fields:
            out["fields"] = list(self.fields)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Reason:
        return cls(ReasonKind(str(d.get("kind"))), str(d.get("subject") or ""), str(d.get("text") or ""),
                   tuple(str(f) for f in d.get("fields") or ()))  # fmt: skip


@dataclass(frozen=True)
class Readiness:
    """Ready, or blocked with the reasons (in the order: events, fields, lists)."""

    reasons: tuple[Reason, ...] = ()

    @property
    def state(self) -> ReadinessState:
        return ReadinessState.BLOCKED if self.reasons else ReadinessState.READY

    @property
    def ready(self) -> bool:
        return not self.reasons

    def summary(self) -> str:
        """``ready`` or ``blocked: event not logged (mfa_change); list not supplied (...)``."""
        if self.ready:
            return str(ReadinessState.READY)
        return "blocked: " + "; ".join(f"{r.words} ({r.subject})" for r in self.reasons)

    def untestable(self) -> str:
        """What a test report says instead of a pass: ``untestable: event name assumed, ...``."""
        words = list(dict.fromkeys(r.words for r in self.reasons))
        return "untestable: " + ", ".join(words) if words else ""

    def to_dict(self) -> dict[str, Any]:
        return {"state": str(self.state), "reasons": [r.to_dict() for r in self.reasons]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Readiness:
        raw = (d or {}).get("reasons") or []
        return cls(tuple(Reason.from_dict(r) for r in raw if isinstance(r, Mapping)))


@dataclass(frozen=True)
class Request:
    """One item of the application's logging and data requests."""

    kind: RequestKind
    subject: str  # event id, role or parameter name
    what: str  # the request in words
    fields: tuple[str, ...] = ()  # LOG_EVENT: the fields the event must carry
    use_cases: tuple[str, ...] = ()  # the use cases waiting on it

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "subject": self.subject, "what": self.what,
                "fields": list(self.fields), "use_cases": list(self.use_cases)}  # fmt: skip


# --------------------------------------------------------------------------- computing it


#: How a missing field is asked for where the role's name alone would not say what it holds.
_ROLE_WORDS: dict[str, str] = {
    LogRole.ITEM: "id of the item created and approved (the payment, payroll run or request), logged in the "
    "same field by the event that creates it and by the event that approves it",
}


def _vocab(uc: UseCase, facts: Facts | None) -> LogVocabulary:
    vocab = uc.generated.vocabulary
    if not (vocab.fields or vocab.assumed_fields) and facts is not None:  # stored without one
        return vocabulary(facts)
    return vocab


def _events(uc: UseCase, vocab: LogVocabulary) -> list[EventRef]:
    """The events the rule selects, as generated (or, stored without them, from the vocabulary)."""
    if uc.generated.events:
        return list(uc.generated.events)
    out = []
    for ev in uc.generated.logic.selections:
        name = vocab.event(ev)
        out.append(EventRef(ev, EVENTS[ev].label if ev in EVENTS else ev, name.action, name.outcome,
                            name.assumed, vocab.is_logged(ev)))  # fmt: skip
    return out


def roles_needed(uc: UseCase, vocab: LogVocabulary | None = None) -> list[str]:
    """The field roles the use case's rule reads: the action (and outcome where the event
    has one), what it groups by, counts, matches, selects on and excludes by."""
    logic = uc.generated.logic
    vocab = vocab or uc.generated.vocabulary
    roles: list[str] = [LogRole.TIMESTAMP, LogRole.ACTION]
    if any(e.outcome for e in _events(uc, vocab)):
        roles.append(LogRole.OUTCOME)
    roles += list(logic.group_by)
    if logic.field:
        roles.append(logic.field)
    roles += [r for r, _ in logic.match] + [r for r, _ in logic.only]
    roles += [r for pair in logic.same_as for r in pair] + [r for r, _ in logic.contains_any]
    if logic.band:
        roles.append(logic.band[0])
    for allow in logic.exclude:
        if allow in _ALLOWLIST_ROLES:
            roles.append(_ALLOWLIST_ROLES[allow])
    for pname, (role, _mode) in PARAMETER_LISTS.items():
        if pname in uc.parameters:
            roles.append(role)
    out = []
    for role in roles:
        if role == "host_or_source":  # batch hosts: the host field if the log has one, else the source
            role = LogRole.HOST if LogRole.HOST in vocab.fields else LogRole.SOURCE_IP
        out.append(str(role))
    return list(dict.fromkeys(out))


def _list_parameters(uc: UseCase) -> list[tuple[str, str, str]]:
    """(parameter, role, mode) of the lists the rule selects on: ``logic.only``, a
    ``{params.NAME}`` in ``logic.match``, and the selecting entries of PARAMETER_LISTS."""
    logic = uc.generated.logic
    out: dict[str, tuple[str, str, str]] = {}
    for role, pname in logic.only:
        out[pname] = (pname, role, "select")
    for role, raw in logic.match:
        if raw.startswith("{params.") and raw.endswith("}"):
            pname = raw[len("{params.") : -1]
            out[pname] = (pname, role, "select")
    for role, pname in logic.contains_any:
        out[pname] = (pname, role, "select")
    for pname, (role, mode) in PARAMETER_LISTS.items():
        if pname in uc.parameters and mode in _SELECTING:
            out.setdefault(pname, (pname, role, mode))
    return [v for k, v in out.items() if k in uc.parameters]


def _values(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
    return [str(x).strip() for x in items if x is not None and str(x).strip()]


def is_address(text: str) -> bool:
    """An IP address or CIDR range (``10.20.0.15``, ``10.20.40.0/28``), not a host name."""
    try:
        ipaddress.ip_network(network_of(text), strict=False)
    except ValueError:
        return False
    return True


def batch_host_addresses(facts: Facts) -> list[str]:
    """The addresses (or CIDR ranges) the batch hosts log with, as answered: entries of
    the batch-host answers that are addresses, and the addresses question."""
    named = facts.batch_hosts + _values(facts.get(Q.BATCH_HOST_ADDRESSES))
    return list(dict.fromkeys(h for h in named if is_address(h)))


def readiness(uc: UseCase, facts: Facts | Mapping[str, Any] | None = None) -> Readiness:
    """Whether the use case's rule can fire on this application's log, and if not, why."""
    if facts is not None and not isinstance(facts, Facts):
        facts = Facts.of(facts)
    vocab = _vocab(uc, facts)
    reasons: list[Reason] = []
    needed = roles_needed(uc, vocab)
    carry = tuple(vocab.field_for(r) for r in needed if r != LogRole.TIMESTAMP)
    for ev in _events(uc, vocab):
        if ev.event == "any_event" or not ev.event:
            continue
        label = ev.label or (EVENTS[ev.event].label if ev.event in EVENTS else ev.event)
        if ev.logged is False:
            reasons.append(Reason(
                ReasonKind.EVENT_NOT_LOGGED, ev.event,
                f"The application does not log '{label}' (the interview's answer to {Q.LOG_EVENTS}); "
                f"log it with the fields {', '.join(carry)}.",
                carry,
            ))  # fmt: skip
        elif ev.assumed:
            reasons.append(Reason(
                ReasonKind.EVENT_ASSUMED, ev.event,
                f"Nobody confirmed how '{label}' is written in the log: the rule assumes the action "
                f"'{ev.action}' (OWASP default); confirm the real action and outcome ({Q.LOG_EVENT_NAMES}).",
            ))  # fmt: skip
    # a role the log lacks that a lookup supplies (a record's owner): the lookup, once confirmed
    enriched = {role: pname for pname, (_key, role) in ENRICH_LOOKUPS.items() if pname in uc.parameters}
    for role in needed:
        if role not in vocab.assumed_fields:
            continue
        if role in enriched:
            p = uc.parameters[enriched[role]]
            if p.source != "manual":
                reasons.append(Reason(
                    ReasonKind.LIST_NOT_SUPPLIED, enriched[role],
                    f"The log does not say whose record it is (no field holds the {role}): name that field "
                    f"({Q.LOG_FIELDS}), or supply the SIEM lookup '{p.value or enriched[role]}' and confirm it "
                    f"here: {(p.description or '').strip()}",
                ))  # fmt: skip
            continue
        if vocab.fields:
            reasons.append(Reason(
                ReasonKind.FIELD_ROLE_MISSING, role,
                f"The log's fields were listed, but none holds the {_ROLE_WORDS.get(role, role)} the rule reads "
                f"(it assumes '{vocab.field_for(role)}'); name the field or add it ({Q.LOG_FIELDS}).",
            ))  # fmt: skip
        else:
            reasons.append(Reason(
                ReasonKind.FIELD_NOT_NAMED, role,
                f"The interview names no log fields: the rule assumes '{vocab.field_for(role)}' holds "
                f"the {_ROLE_WORDS.get(role, role)}; name the log's fields ({Q.LOG_FIELDS}).",
            ))  # fmt: skip
    params = uc.parameters
    for pname, role, mode in _list_parameters(uc):
        p = params[pname]
        what = (p.description or pname.replace("_", " ")).strip()
        if mode == "lookup" and p.source != "manual":  # a person confirmed the lookup exists
            lookup = str(p.value or pname)
            reasons.append(Reason(
                ReasonKind.LIST_NOT_SUPPLIED, pname,
                f"The rule joins {vocab.field_for(role)} with the SIEM lookup '{lookup}', which nobody has "
                f"supplied yet: {what}",
            ))  # fmt: skip
        elif not _values(p.value) or (mode == "placeholder" and p.source != "manual"):
            said = "; ".join(_values(p.value))
            reasons.append(Reason(
                ReasonKind.LIST_NOT_SUPPLIED, pname,
                f"The rule keeps only {vocab.field_for(role)} values of the list '{pname}', and "
                + (f"what the owners said is not values of that field yet ({said})" if said else "it is empty")
                + f": supply the values as they appear in the log ({what}).",
            ))  # fmt: skip
    excludes_hosts = "batch_hosts" in uc.generated.logic.exclude and LogRole.HOST not in vocab.fields
    if facts is not None and excludes_hosts and facts.batch_hosts and not batch_host_addresses(facts):
        reasons.append(Reason(
            ReasonKind.LIST_NOT_SUPPLIED, "batch_host_addresses",
            f"The log has no host field, so batch hosts are recognised by "
            f"{vocab.field_for(LogRole.SOURCE_IP)}, which holds addresses; the interview names them "
            f"only ({', '.join(facts.batch_hosts)}): give their addresses ({Q.BATCH_HOST_ADDRESSES}).",
        ))  # fmt: skip
    return Readiness(tuple(reasons))


def requests(use_cases: Iterable[UseCase], facts: Facts | Mapping[str, Any] | None = None) -> list[Request]:
    """The logging and data requests that would unblock these use cases, merged: one item
    per event to log or confirm, field to name and list to supply, with every use case
    waiting on it and, for an event to log, every field those use cases read."""
    merged: dict[tuple[RequestKind, str], tuple[Reason, list[str], list[str]]] = {}
    for uc in use_cases:
        for reason in readiness(uc, facts).reasons:
            key = (REQUEST_OF[reason.kind], reason.subject)
            _first, fields, ucs = merged.setdefault(key, (reason, [], []))
            fields.extend(f for f in reason.fields if f not in fields)
            if uc.template_id not in ucs:
                ucs.append(uc.template_id)
    out = []
    for (kind, subject), (reason, fields, ucs) in merged.items():
        what = reason.text
        if kind is RequestKind.LOG_EVENT:
            label = EVENTS[subject].label if subject in EVENTS else subject
            what = f"Log '{label}' with the fields {', '.join(fields)}."
        out.append(Request(kind, subject, what, tuple(fields), tuple(ucs)))
    order = list(RequestKind)
    return sorted(out, key=lambda r: (order.index(r.kind), r.subject))


def readiness_by_use_case(
    use_cases: Iterable[UseCase], facts: Facts | Mapping[str, Any] | None = None
) -> dict[str, Readiness]:
    """Template id -> readiness, for pages and documents that show many."""
    return {uc.template_id: readiness(uc, facts) for uc in use_cases}
