"""Typed facts read from an interview's answers: the only module that names question ids.

The questionnaires decide what is asked; the rest of the code needs a handful of
those answers as facts (business hours, networks, service accounts, the log's field
names). Reading them here, once, means a question renamed in a questionnaire is
changed in one place, and every consumer gets a typed value instead of digging in a
dict of raw answers. Question ids appear in templates' conditions too; those are data
checked against the questionnaires by the template loader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workshop.core.errors import InputError
from workshop.vocab import KnownPeak, TimeWindow


class Q(StrEnum):
    """Question ids the code reads (the questionnaires hold many more)."""

    PURPOSE_CRITICALITY = "purpose.criticality"
    PURPOSE_SUMMARY = "purpose.summary"
    INTERNET_FACING = "purpose.internet_facing"
    USERS_TOTAL = "users.total_count"
    USER_POPULATIONS = "users.populations"
    USER_ROLES = "users.roles"
    HUMAN_ACCESS = "users.human_access"
    SERVICE_TYPE = "purpose.service_type"
    API_CLIENTS = "api.clients"
    API_CALLS_PER_DAY = "api.calls_per_day"
    API_KEYS = "service.api_keys"
    TRANSFER_PARTNERS = "transfer.partners"
    TRANSFER_SCHEDULE = "transfer.schedule"
    SERVICE_ACCOUNTS = "service.accounts"
    BATCH_JOBS = "service.batch_jobs"
    BATCH_HOSTS = "service.batch_hosts"
    BATCH_HOST_ADDRESSES = "service.batch_host_addresses"
    BREAKGLASS_ACCOUNTS = "auth.breakglass_accounts"
    MFA = "auth.mfa"
    AUTH_METHODS = "auth.methods"
    BUSINESS_HOURS = "access.business_hours"
    WEEKEND_USE = "access.weekend_use"
    COUNTRIES = "access.countries"
    NETWORKS = "access.networks"
    DAILY_LOGINS = "volume.daily_logins"
    RECORDS_PER_USER_DAY = "volume.records_per_user_day"
    EXPORTS_PER_DAY = "volume.exports_per_day"
    PEAK_PERIODS = "volume.peak_periods"
    PEAK_DAYS = "volume.peak_days"
    DATA_TYPES = "data.types"
    DATA_CLASSIFICATION = "data.classification"
    LOG_EVENTS = "logging.events"
    LOG_FIELDS = "logging.fields"
    LOG_EVENT_NAMES = "logging.event_names"
    LOG_FORMAT = "logging.format"
    LOG_DESTINATION = "logging.destination"
    LOG_SOURCE_NAME = "logging.source_name"
    LOG_TIMEZONE = "logging.timezone"
    LOG_KNOWN_GAPS = "logging.known_gaps"
    LOG_RETENTION_DAYS = "logging.retention_days"
    SOURCE_IP_IS_CLIENT = "logging.source_ip_is_client"
    CHANGE_WINDOWS = "change.windows"
    DEPLOY_ACCOUNTS = "change.deploy_accounts"
    CONTACTS = "response.contacts"
    CAN_DISABLE_ACCOUNTS = "response.can_disable_accounts"
    OUT_OF_HOURS_CONTACT = "response.out_of_hours_contact"
    WORRIES = "concerns.worries"
    FRAUD_SCENARIOS = "concerns.fraud_scenarios"
    PAST_INCIDENTS = "concerns.past_incidents"
    VIP_RECORDS = "data.vip_records"
    VIP_LIST = "data.vip_list"
    BUSINESS_IMPACT = "response.business_impact"
    CAN_REVOKE_CREDENTIALS = "response.can_revoke_credentials"
    IDP = "auth.idp"
    SENSITIVE_FUNCTIONS = "functions.sensitive"
    PAYMENT_LIMIT = "functions.payment_limit"
    API_SENSITIVE_OPERATIONS = "api.sensitive_operations"


#: Application profile fields that conditions and texts may name like answers. ``app.principals``
#: is derived from the answers (:attr:`Facts.principals`), not typed in the profile.
APP_FIELDS = (
    "app.name", "app.slug", "app.owner", "app.criticality", "app.description", "app.platforms",
    "app.principals",
)  # fmt: skip
#: Who acts in an application: people, machine clients (keys, service accounts, jobs), or both.
HUMANS = "humans"
MACHINES = "machines"
#: Authentication methods only machines use.
_MACHINE_METHODS = frozenset({"api_key", "client_cert"})


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [r for r in value or [] if isinstance(r, Mapping)] if isinstance(value, list) else []


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class ServiceAccount:
    name: str
    purpose: str = ""
    source_hosts: tuple[str, ...] = ()
    interactive_allowed: bool = False


@dataclass(frozen=True)
class ApiClient:
    """A machine client of a service: its name, and the id its key or certificate logs as."""

    name: str
    client_id: str = ""
    owner: str = ""
    source: str = ""
    calls_per_day: float | int | None = None


@dataclass(frozen=True)
class Worry:
    """One worry, fraud scenario or past incident the owners told, or their protected records.

    ``id`` is the question id and the item's number within the answer (``concerns.worries#2``),
    what use cases store to say they cover it.
    """

    id: str
    question: str
    text: str


#: Questions whose answers are the owners' worries, in the order documents list them.
WORRY_QUESTIONS = (Q.WORRIES, Q.FRAUD_SCENARIOS, Q.PAST_INCIDENTS)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_worry(text: str) -> list[str]:
    """A free-text answer as separate items: its paragraphs or list lines, then its sentences.

    Owners tell several worries in one answer ("Payroll diversion: ... Leavers: ..."); each
    gets its own coverage. Items shorter than four words are joined to the one before, so
    "It happened twice." stays with the story it belongs to.
    """
    items: list[str] = []
    for block in re.split(r"\n\s*(?:\n|[-*\u2022]\s+|\d+[.)]\s+)", "\n" + text.strip()):
        first = len(items)  # a short sentence joins the one before in its own paragraph only
        for sentence in _SENTENCE_END.split(" ".join(block.split())):
            sentence = sentence.strip(" -*\u2022")
            if not sentence:
                continue
            if len(items) > first and len(sentence.split()) < 4:
                items[-1] = f"{items[-1]} {sentence}"
            else:
                items.append(sentence)
    return items


@dataclass(frozen=True)
class BatchJob:
    name: str
    schedule: str = ""
    account: str = ""
    host: str = ""


@dataclass(frozen=True)
class Contact:
    role: str
    name: str = ""
    email: str = ""
    phone: str = ""
    hours: str = ""

    def line(self) -> str:
        who = " - ".join(b for b in (self.role, self.name) if b)
        reach = ", ".join(b for b in (self.email, self.phone) if b)
        hours = f" ({self.hours})" if self.hours else ""
        return f"{who}: {reach}{hours}" if reach else f"{who}{hours}"


@dataclass(frozen=True)
class Facts:
    """An interview's answers as the facts detection content is built from.

    ``values`` are answer values by question id (unanswered ones absent or None);
    ``unknown`` the ids the owners could not answer. Accessors return empty values,
    never raise, for missing or malformed answers: the questionnaire validated them
    when they were typed, and a fact nobody gave is simply not there.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()

    @classmethod
    def of(cls, values: Mapping[str, Any], unknown: Iterable[str] = ()) -> Facts:
        return cls(dict(values), frozenset(unknown))

    def get(self, qid: Q) -> Any:
        return self.values.get(qid)

    def answered(self, qid: Q) -> bool:
        v = self.values.get(qid)
        return qid not in self.unknown and v not in (None, "", [], {})

    # ----------------------------------------------------------------- the application

    @property
    def purpose(self) -> str:
        return str(self.values.get(Q.PURPOSE_SUMMARY) or "")

    @property
    def users_total(self) -> float | int | None:
        return _number(self.values.get(Q.USERS_TOTAL))

    # ----------------------------------------------------------------- principals

    @property
    def has_humans(self) -> bool | None:
        """Whether people act in the application; None when the interview does not establish it.

        The in-house questionnaire counts named users; the machine-service questionnaire asks
        whether people use the service directly and otherwise describes a service used by
        machines, so an answered service type with no people is taken as "no humans".
        """
        said = self.values.get(Q.HUMAN_ACCESS)
        if isinstance(said, bool):
            return said
        total = self.users_total
        if (total or 0) > 0 or _texts(self.values.get(Q.USER_POPULATIONS)) or _rows(self.values.get(Q.USER_ROLES)):
            return True
        if total == 0:
            return False
        if self.answered(Q.SERVICE_TYPE):
            return False
        return None

    @property
    def has_machines(self) -> bool:
        """Whether machine clients act: API clients or keys, service accounts, jobs, transfer partners."""
        methods = set(_texts(self.values.get(Q.AUTH_METHODS)))
        return bool(
            _rows(self.values.get(Q.API_CLIENTS))
            or _rows(self.values.get(Q.TRANSFER_PARTNERS))
            or _rows(self.values.get(Q.TRANSFER_SCHEDULE))
            or self.service_accounts
            or self.batch_jobs
            or self.values.get(Q.API_KEYS) is True
            or methods & _MACHINE_METHODS
            or self.answered(Q.SERVICE_TYPE)
            or self.answered(Q.API_CALLS_PER_DAY)
        )

    @property
    def principals(self) -> list[str]:
        """``humans`` and/or ``machines``; humans also when the interview does not rule them out."""
        out = [HUMANS] if self.has_humans is not False else []
        if self.has_machines:
            out.append(MACHINES)
        return out

    @property
    def api_clients(self) -> list[ApiClient]:
        out = []
        for r in _rows(self.values.get(Q.API_CLIENTS)):
            name = str(r.get("name") or "").strip()
            if name:
                out.append(ApiClient(name, str(r.get("client_id") or "").strip(), str(r.get("owner") or ""),
                                     str(r.get("source") or ""), _number(r.get("calls_per_day"))))  # fmt: skip
        return out

    @property
    def service_accounts(self) -> list[ServiceAccount]:
        out = []
        for r in _rows(self.values.get(Q.SERVICE_ACCOUNTS)):
            name = str(r.get("name") or "").strip()
            if name:
                hosts = tuple(h.strip() for h in str(r.get("source_hosts") or "").replace(";", ",").split(",")
                              if h.strip())  # fmt: skip
                out.append(ServiceAccount(name, str(r.get("purpose") or ""), hosts,
                                          bool(r.get("interactive_allowed"))))  # fmt: skip
        return out

    @property
    def batch_jobs(self) -> list[BatchJob]:
        return [
            BatchJob(str(r.get("name")), str(r.get("schedule") or ""), str(r.get("account") or ""),
                     str(r.get("host") or ""))
            for r in _rows(self.values.get(Q.BATCH_JOBS))
            if r.get("name")
        ]

    @property
    def batch_hosts(self) -> list[str]:
        """Hosts named as batch hosts, and the hosts the batch jobs run on."""
        hosts = _texts(self.values.get(Q.BATCH_HOSTS)) + [j.host for j in self.batch_jobs if j.host]
        return list(dict.fromkeys(hosts))

    @property
    def breakglass_accounts(self) -> list[str]:
        return _texts(self.values.get(Q.BREAKGLASS_ACCOUNTS))

    # ----------------------------------------------------------------- normal use

    def business_hours(self, default_zone: str | None = None) -> TimeWindow | None:
        value = self.values.get(Q.BUSINESS_HOURS)
        if not isinstance(value, Mapping):
            return None
        try:
            window = TimeWindow.from_answer(value, label="business hours")
        except InputError:
            return None
        if window.timezone is None and default_zone:
            window = TimeWindow(window.days, window.start, window.end, default_zone, window.label)
        return window

    @property
    def change_windows(self) -> list[TimeWindow]:
        value = self.values.get(Q.CHANGE_WINDOWS)
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            w = TimeWindow.from_value("change window", item)
            if w is not None:
                out.append(w)
        return out

    def known_peaks(self) -> tuple[list[KnownPeak], list[str]]:
        """The owners' peaks as days and factors, and what could not be read (row by row)."""
        peaks, problems = [], []
        for i, row in enumerate(_rows(self.values.get(Q.PEAK_DAYS)), 1):
            try:
                peaks.append(KnownPeak.from_row(row))
            except InputError as exc:
                problems.append(f"{Q.PEAK_DAYS}, row {i}: {exc}")
        return peaks, problems

    @property
    def deploy_accounts(self) -> list[str]:
        """Accounts that deploy releases in the change window (expected there, not people)."""
        return _texts(self.values.get(Q.DEPLOY_ACCOUNTS))

    @property
    def weekend_use(self) -> str:
        return str(self.values.get(Q.WEEKEND_USE) or "")

    @property
    def countries(self) -> list[str]:
        return _texts(self.values.get(Q.COUNTRIES))

    @property
    def networks(self) -> list[str]:
        return _texts(self.values.get(Q.NETWORKS))

    @property
    def daily_logins(self) -> float | int | None:
        return _number(self.values.get(Q.DAILY_LOGINS))

    @property
    def records_per_user_day(self) -> float | int | None:
        return _number(self.values.get(Q.RECORDS_PER_USER_DAY))

    @property
    def exports_per_day(self) -> float | int | None:
        return _number(self.values.get(Q.EXPORTS_PER_DAY))

    # ----------------------------------------------------------------- logging

    @property
    def log_timezone(self) -> str | None:
        tz = self.values.get(Q.LOG_TIMEZONE)
        return str(tz) if tz else None

    @property
    def log_fields(self) -> list[tuple[str, str]]:
        """(role, field name) pairs as the owners gave them, first naming of a role first."""
        out = []
        for r in _rows(self.values.get(Q.LOG_FIELDS)):
            role, name = r.get("role"), r.get("field")
            if role and name:
                out.append((str(role), str(name)))
        return out

    @property
    def log_event_names(self) -> list[tuple[str, str, str]]:
        """(event id, action as logged, outcome as logged) as the owners gave them."""
        return [
            (str(r.get("event")), str(r.get("action")), str(r.get("outcome") or ""))
            for r in _rows(self.values.get(Q.LOG_EVENT_NAMES))
            if r.get("event") and r.get("action")
        ]

    @property
    def logged_events(self) -> set[str] | None:
        """Kinds of events the owners said are logged; None when nobody said."""
        v = self.values.get(Q.LOG_EVENTS)
        return None if v is None else {str(x) for x in v}

    @property
    def log_known_gaps(self) -> str:
        """What the owners already know is not logged, in their words."""
        return str(self.values.get(Q.LOG_KNOWN_GAPS) or "").strip()

    @property
    def concerns(self) -> list[tuple[Q, str]]:
        """The owners' worries, past incidents and fraud scenarios, by question, as typed."""
        out = []
        for qid in (Q.WORRIES, Q.PAST_INCIDENTS, Q.FRAUD_SCENARIOS):
            text = self.values.get(qid)
            if isinstance(text, str) and text.strip():
                out.append((qid, text.strip()))
        return out

    @property
    def log_destination(self) -> str:
        """Where the log is kept, as answered (an option id; the questionnaire has its label)."""
        return str(self.values.get(Q.LOG_DESTINATION) or "")

    @property
    def log_format(self) -> str:
        return str(self.values.get(Q.LOG_FORMAT) or "")

    @property
    def log_source_name(self) -> str:
        return str(self.values.get(Q.LOG_SOURCE_NAME) or "")

    @property
    def retention_days(self) -> float | int | None:
        return _number(self.values.get(Q.LOG_RETENTION_DAYS))

    @property
    def source_ip_is_client(self) -> bool | None:
        v = self.values.get(Q.SOURCE_IP_IS_CLIENT)
        return v if isinstance(v, bool) else None

    @property
    def business_impact(self) -> str:
        return str(self.values.get(Q.BUSINESS_IMPACT) or "").strip()

    @property
    def can_revoke_credentials(self) -> bool | None:
        v = self.values.get(Q.CAN_REVOKE_CREDENTIALS)
        return v if isinstance(v, bool) else None

    @property
    def idp(self) -> str:
        return str(self.values.get(Q.IDP) or "").strip()

    @property
    def privileged_roles(self) -> list[str]:
        return [str(r.get("name")) for r in _rows(self.values.get(Q.USER_ROLES)) if r.get("privileged") and r.get("name")]

    @property
    def vip_list(self) -> list[str]:
        return _texts(self.values.get(Q.VIP_LIST))

    @property
    def payment_limit(self) -> float | int | None:
        return _number(self.values.get(Q.PAYMENT_LIMIT))

    @property
    def pays(self) -> bool:
        """Whether the application or service pays out (payments, refunds, payment instructions)."""
        functions = set(_texts(self.values.get(Q.SENSITIVE_FUNCTIONS)))
        ops = set(_texts(self.values.get(Q.API_SENSITIVE_OPERATIONS)))
        return bool(functions & {"payments", "refunds"} or "payments" in ops)

    # ----------------------------------------------------------------- the owners' worries

    @property
    def worries(self) -> list[Worry]:
        """Every worry, fraud scenario and past incident told, one item each, and the
        protected (VIP) records when the owners have some."""
        out = []
        for qid in WORRY_QUESTIONS:
            value = self.values.get(qid)
            if qid in self.unknown or not isinstance(value, str):
                continue
            out += [Worry(f"{qid}#{n}", qid, item) for n, item in enumerate(split_worry(value), start=1)]
        if self.values.get(Q.VIP_RECORDS) is True:
            out.append(Worry(str(Q.VIP_RECORDS), str(Q.VIP_RECORDS),
                             "Records that deserve extra protection (executives, staff's own, colleagues')"))  # fmt: skip
        return out

    # ----------------------------------------------------------------- response

    @property
    def contacts(self) -> list[Contact]:
        return [
            Contact(str(r.get("role") or ""), str(r.get("name") or ""), str(r.get("email") or ""),
                    str(r.get("phone") or ""), str(r.get("hours") or ""))
            for r in _rows(self.values.get(Q.CONTACTS))
        ]

    @property
    def can_disable_accounts(self) -> bool | None:
        v = self.values.get(Q.CAN_DISABLE_ACCOUNTS)
        return v if isinstance(v, bool) else None

    @property
    def out_of_hours_contact(self) -> str:
        return str(self.values.get(Q.OUT_OF_HOURS_CONTACT) or "")
