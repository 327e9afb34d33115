"""The events use cases are built from, and how an application names them.

Templates speak of abstract events (``authn_failure``, ``payee_change``) close to the
OWASP Logging Vocabulary. An application logs them under its own names: the interview
records, per event, the value of the action field and the outcome
(``Q.LOG_EVENT_NAMES``), and the role of every log field (``Q.LOG_FIELDS``). This
module turns those answers into a :class:`LogVocabulary` that rules and documents use,
and says which events the application does not log at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.interview.facts import Facts
from workshop.vocab import LOG_ROLES, LogRole


@dataclass(frozen=True)
class EventType:
    id: str
    label: str
    logged_as: str  # the option of Q.LOG_EVENTS that covers it
    owasp: str  # default action value: the OWASP Logging Vocabulary name where there is one
    outcome: str = ""  # default outcome value ("" = any)


EVENTS: dict[str, EventType] = {
    e.id: e
    for e in [
        EventType("authn_success", "Login succeeded", "authn_success", "authn_login_success", "success"),
        EventType("authn_failure", "Login failed", "authn_failure", "authn_login_fail", "failure"),
        EventType("authn_lockout", "Account locked", "authn_lockout", "authn_login_lock"),
        EventType("password_change", "Password changed", "password_change", "authn_password_change"),
        EventType("password_reset", "Password reset", "password_change", "authn_password_reset"),
        EventType("mfa_change", "MFA enrolled, changed or reset", "mfa_change", "authn_mfa_change"),
        EventType("session_start", "Session started", "session_events", "session_created"),
        EventType("authz_failure", "Access denied", "authz_failure", "authz_fail", "failure"),
        EventType(
            "privilege_grant",
            "Role or permission granted",
            "privilege_change",
            "privilege_permissions_changed",
        ),
        EventType(
            "privilege_revoke",
            "Role or permission removed",
            "privilege_change",
            "privilege_permissions_revoked",
        ),
        EventType("user_created", "User created", "user_lifecycle", "user_created"),
        EventType("user_disabled", "User disabled or deleted", "user_lifecycle", "user_archived"),
        EventType("user_updated", "User details changed", "user_lifecycle", "user_updated"),
        EventType("record_view", "Sensitive record viewed", "data_read", "data_sensitive_read"),
        EventType("search", "Search or list of records", "data_read", "data_search"),
        EventType("data_export", "Export, download or report", "data_export", "data_export"),
        EventType("bulk_update", "Bulk update", "bulk_change", "data_bulk_update"),
        EventType("bulk_delete", "Bulk or single delete", "bulk_change", "data_sensitive_delete"),
        EventType("admin_action", "Other admin action", "admin_action", "authz_admin"),
        EventType("config_change", "Configuration changed", "config_change", "sys_config_change"),
        EventType(
            "audit_config_change",
            "Audit or logging settings changed",
            "config_change",
            "sys_monitor_disabled",
        ),
        EventType("token_created", "API key or token created", "api_token", "authn_token_created"),
        EventType("token_used", "API key or token used", "api_token", "authn_token_used"),
        EventType("payee_change", "Bank details or payee changed", "payments", "payee_changed"),
        EventType("payment_created", "Payment or refund created", "payments", "payment_created"),
        EventType("payment_approved", "Payment or request approved", "approvals", "approval_granted"),
        EventType("app_error", "Application error", "errors", "sys_crash", "failure"),
        EventType("input_rejected", "Input validation failure", "input_validation", "input_validation_fail"),
        # Issue 16: events the newer use cases need. Names not in the OWASP Logging Vocabulary
        # (authz_impersonate, user_enabled, contact_details_changed, group_member_added,
        # job_completed, file_*) are the toolkit's defaults, always marked assumed until named.
        EventType(
            "session_reuse_after_expiry", "Session used after expiry", "session_events", "session_use_after_expire"
        ),
        EventType("token_reuse", "Revoked or spent token presented again", "api_token", "authn_token_reuse"),
        EventType("impersonation", "Acting as another user started", "admin_action", "authz_impersonate"),
        EventType("user_enabled", "Disabled user enabled again", "user_lifecycle", "user_enabled"),
        EventType("group_added", "Identity-provider group membership added", "privilege_change", "group_member_added"),
        EventType("record_created", "Record created", "record_changes", "sensitive_create"),
        EventType("record_updated", "Record changed", "record_changes", "sensitive_update"),
        EventType("contact_change", "Contact details changed", "record_changes", "contact_details_changed"),
        EventType("malicious_request", "Attack detected by the application", "attack_signals", "malicious_*"),
        EventType("rate_limit_exceeded", "Rate limit exceeded", "attack_signals", "excess_rate_limit_exceeded"),
        EventType("job_run", "Scheduled job or transfer ran", "job_runs", "job_completed"),
        EventType("file_created", "File generated", "file_events", "file_created"),
        EventType("file_modified", "File changed", "file_events", "file_modified"),
        EventType("file_sent", "File sent or submitted", "file_events", "file_transferred"),
        EventType("any_event", "Any audit event", "", "*"),
    ]
}

#: The event names of the OWASP Logging Vocabulary (cheat sheet series), without their
#: ``:parameters``. A default name outside it is the toolkit's own and is not labelled OWASP.
#: The sensitive-data events appear as ``sensitive_*`` in the cheat sheet and as
#: ``data_sensitive_*`` in the product brief's list of it; both spellings are accepted.
OWASP_VOCABULARY = frozenset({
    "data_sensitive_create", "data_sensitive_read", "data_sensitive_update", "data_sensitive_delete",
    "authn_login_success", "authn_login_successafterfail", "authn_login_fail", "authn_login_fail_max",
    "authn_login_lock", "authn_password_change", "authn_password_change_fail", "authn_impossible_travel",
    "authn_token_created", "authn_token_revoked", "authn_token_reuse", "authn_token_delete",
    "authz_fail", "authz_change", "authz_admin", "crypt_decrypt_fail", "crypt_encrypt_fail",
    "excess_rate_limit_exceeded", "upload_complete", "upload_stored", "upload_validation", "upload_delete",
    "input_validation_fail", "input_validation_discrete_fail", "malicious_excess_404", "malicious_extraneous",
    "malicious_attack_tool", "malicious_cors", "malicious_direct_reference", "privilege_permissions_changed",
    "sensitive_create", "sensitive_read", "sensitive_update", "sensitive_delete", "sequence_fail",
    "session_created", "session_renewed", "session_expired", "session_use_after_expire",
    "sys_startup", "sys_shutdown", "sys_restart", "sys_crash", "sys_monitor_disabled", "sys_monitor_enabled",
    "user_created", "user_updated", "user_archived", "user_deleted",
})  # fmt: skip


def assumed_from(action: str) -> str:
    """Where an assumed default event name comes from, said truthfully."""
    if action.split(":", 1)[0] in OWASP_VOCABULARY:
        return "the OWASP Logging Vocabulary"
    return "the toolkit's default names (the OWASP Logging Vocabulary has no name for this event)"


#: Roles a log field can play (the ``role`` column of ``Q.LOG_FIELDS``).
ROLES = LOG_ROLES
#: Field names assumed for a role when the interview names none (OWASP / ECS-like).
DEFAULT_FIELDS: dict[str, str] = {
    LogRole.TIMESTAMP: "timestamp",
    LogRole.USER: "user",
    LogRole.ACTION: "action",
    LogRole.OUTCOME: "outcome",
    LogRole.SOURCE_IP: "src_ip",
    LogRole.OBJECT: "object",
    LogRole.RECORDS: "record_count",
    LogRole.BYTES: "bytes",
    LogRole.SESSION: "session_id",
    LogRole.COUNTRY: "src_country",
    LogRole.HOST: "host",
    LogRole.AMOUNT: "amount",
    LogRole.REPORT: "report_name",
    LogRole.TARGET_USER: "target_user",
    LogRole.BANK_ACCOUNT: "bank_account",
    LogRole.ITEM: "item_id",
    LogRole.URL: "url",
    LogRole.USER_AGENT: "user_agent",
    LogRole.HTTP_STATUS: "status",
}


@dataclass(frozen=True)
class EventName:
    """How one event appears in this application's log."""

    action: str
    outcome: str = ""
    assumed: bool = False  # True when the interview did not name it (OWASP default used)


@dataclass
class LogVocabulary:
    """Field names by role and event names, from the interview, with what was assumed."""

    fields: dict[str, str] = field(default_factory=dict)
    assumed_fields: set[str] = field(default_factory=set)
    events: dict[str, EventName] = field(default_factory=dict)
    logged: set[str] = field(default_factory=set)  # options of Q.LOG_EVENTS answered
    logging_known: bool = False

    def field_for(self, role: str) -> str:
        return self.fields.get(role) or DEFAULT_FIELDS.get(role, str(role))

    def event(self, event_id: str) -> EventName:
        if event_id in self.events:
            return self.events[event_id]
        et = EVENTS.get(event_id)
        return EventName(et.owasp if et else event_id, et.outcome if et else "", assumed=True)

    def is_logged(self, event_id: str) -> bool | None:
        """True/False when the interview says; None when it does not (unanswered)."""
        et = EVENTS.get(event_id)
        if et is None or not et.logged_as:
            return True
        if not self.logging_known:
            return None
        return et.logged_as in self.logged or event_id in self.events

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "assumed_fields": sorted(self.assumed_fields),
            "events": {
                k: {"action": v.action, "outcome": v.outcome, "assumed": v.assumed}
                for k, v in self.events.items()
            },
            "logged": sorted(self.logged),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LogVocabulary:
        """The stored form back (a use case's vocabulary as generated).

        ``logging_known`` is not stored: a use case's events carry whether each is logged.
        """
        events = raw.get("events") or {}
        return cls(
            fields={str(k): str(v) for k, v in (raw.get("fields") or {}).items() if v},
            assumed_fields={str(r) for r in raw.get("assumed_fields") or []},
            events={
                str(k): EventName(
                    str(v.get("action") or ""), str(v.get("outcome") or ""), bool(v.get("assumed"))
                )
                for k, v in (events.items() if isinstance(events, Mapping) else ())
                if isinstance(v, Mapping)
            },
            logged={str(x) for x in raw.get("logged") or []},
        )


def vocabulary(answers: Facts | Mapping[str, Any]) -> LogVocabulary:
    """Read the application's log vocabulary from its answers (facts, or values by question id)."""
    facts = answers if isinstance(answers, Facts) else Facts.of(answers)
    vocab = LogVocabulary()
    for role, name in facts.log_fields:
        if role != "other" and role not in vocab.fields:
            vocab.fields[role] = name
    for role in ROLES:
        if role not in vocab.fields:
            vocab.assumed_fields.add(role)
    for ev, action, outcome in facts.log_event_names:
        if ev not in vocab.events:
            vocab.events[ev] = EventName(action, outcome)
    logged = facts.logged_events
    if logged is not None:
        vocab.logging_known = True
        vocab.logged = logged
    return vocab
