"""A machine service described with the ``internal-api-batch`` questionnaire: an internal ledger
API with seven API keys, a nightly extract and no human users (issue 16). Shared by the tests of
principals, the API-key templates and documents."""

from __future__ import annotations

from typing import Any

API_VALUES: dict[str, Any] = {
    "purpose.summary": "Internal ledger API: finance systems post journals and read the nightly extract.",
    "purpose.service_type": ["rest_api", "batch_job"],
    "purpose.internet_facing": False,
    "purpose.criticality": "high",
    "api.clients": [
        {
            "name": f"Client {i}",
            "client_id": cid,
            "owner": "Finance IT",
            "source": "10.30.0.0/24",
            "calls_per_day": 500,
        }
        for i, cid in enumerate(
            ["gl-post", "gl-extract", "ap-post", "ar-post", "fx-feed", "bank-recon", "audit-read"]
        )
    ],
    "service.accounts": [
        {"name": "svc-ledger-batch", "purpose": "nightly extract", "source_hosts": "batch-01"}
    ],
    "access.networks": ["10.30.0.0/24"],
    "auth.methods": ["api_key"],
    "auth.key_rotation": "never",
    "access.business_hours": {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "01:00",
        "end": "05:00",
        "timezone": "Europe/London",
    },
    "transfer.schedule": [{"name": "Nightly extract", "schedule": "daily 02:00", "direction": "outbound"}],
    "transfer.file_integrity": False,
    "api.calls_per_day": 3500,
    "api.rate_limit": "600 calls per minute per client id; HTTP 429 logged by the gateway",
    "api.sensitive_operations": ["bulk_read", "write", "payments"],
    "data.types": ["financial"],
    "data.classification": "confidential",
    "logging.events": [
        "authn_success",
        "authn_failure",
        "authz_failure",
        "api_token",
        "bulk_change",
        "data_export",
        "errors",
        "attack_signals",
        "job_runs",
        "file_events",
        "config_change",
    ],
    "logging.format": "json",
    "logging.fields": [
        {"field": "ts", "role": "timestamp"},
        {"field": "client_id", "role": "user"},
        {"field": "op", "role": "action"},
        {"field": "status", "role": "outcome"},
        {"field": "remote_addr", "role": "source_ip"},
        {"field": "resource", "role": "object"},
        {"field": "rows", "role": "records"},
    ],
    "logging.event_names": [
        {"event": "authn_success", "action": "api.call", "outcome": "200"},
        {"event": "authn_failure", "action": "api.call", "outcome": "401"},
        {"event": "authz_failure", "action": "api.call", "outcome": "403"},
        {"event": "job_run", "action": "job.finished"},
        {"event": "file_created", "action": "file.write"},
        {"event": "file_modified", "action": "file.modify"},
        {"event": "file_sent", "action": "sftp.put"},
        {"event": "rate_limit_exceeded", "action": "api.call", "outcome": "429"},
        {"event": "token_reuse", "action": "auth.token.reused", "outcome": "401"},
    ],
    "logging.destination": "siem",
    "logging.retention_days": 90,
    "change.windows": {"days": ["thu"], "start": "19:00", "end": "22:00", "timezone": "Europe/London"},
    "concerns.worries": "A posting key used to read the extract.",
    "response.contacts": [{"role": "Ledger service owner", "name": "Sam Lee", "phone": "+44 20 7946 0200"}],
    "response.can_revoke_credentials": True,
}
