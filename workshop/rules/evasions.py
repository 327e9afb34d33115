"""Ways round a rule that a real attacker would try, listed with how to test them by hand.

The template's evasions that the local tests generate (below the threshold, spread
over the window) miss by construction: they show the rule's arithmetic, not its
weak points. The ones here are what an attacker or an insider actually does against
an application's audit log: forge the forwarded address the log trusts, use an
identity written differently from the list the rule compares with, or make the same
change where the application does not log it (the identity provider, the database).
None can be generated from the rule itself: each is listed for the rule it applies to,
with the manual test that would show whether the rule survives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workshop.rules.model import RuleSet
from workshop.vocab import LogRole

#: Events that record a change someone could also make outside the application.
CHANGE_EVENTS = frozenset({
    "privilege_grant", "privilege_revoke", "user_created", "user_disabled", "user_updated", "payee_change",
    "mfa_change", "password_reset", "password_change", "config_change", "audit_config_change",
    "token_created", "bulk_update", "bulk_delete", "payment_created", "payment_approved",
})  # fmt: skip
#: Filters and selections that compare the source address with a list.
_NETWORK_BLOCKS = ("filter_trusted_networks", "filter_expected_networks", "filter_batch_hosts",
                   "filter_expected_sources")  # fmt: skip


@dataclass(frozen=True)
class AttackerEvasion:
    """An evasion to try by hand: what the attacker does and how to test the rule against it."""

    id: str
    description: str
    how_to_test: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "description": self.description, "how_to_test": self.how_to_test}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AttackerEvasion:
        return cls(str(d.get("id") or ""), str(d.get("description") or ""), str(d.get("how_to_test") or ""))


def _blocks(rs: RuleSet) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in rs.selections:
        for key, block in (d.data.get("detection") or {}).items():
            if key != "condition":
                out[key] = block
    return out


def _fields_in(block: Any) -> set[str]:
    items = block if isinstance(block, list) else [block]
    return {str(k).split("|")[0] for item in items if isinstance(item, Mapping) for k in item}


def attacker_evasions(rs: RuleSet) -> list[AttackerEvasion]:
    """The real-world evasions that apply to this rule set, each with its manual test."""
    out: list[AttackerEvasion] = []
    blocks = _blocks(rs)
    source = rs.fields.get(LogRole.SOURCE_IP, "")
    user = rs.fields.get(LogRole.USER, "")
    agg = rs.aggregation
    uses_source = bool(source) and (
        any(k in blocks for k in _NETWORK_BLOCKS) or source in agg.group_by or agg.field == source
    )
    if uses_source:
        out.append(AttackerEvasion(
            "spoofed-forwarded-address",
            f"The attacker sends an X-Forwarded-For header holding an address the rule trusts or has seen "
            f"before (an office range, a batch host); if the proxy appends to the header instead of "
            f"replacing it, {source} is the attacker's choice and the rule sees a known source.",
            f"From outside the trusted networks, send a login request with 'X-Forwarded-For: <an office "
            f"address>' and read {source} of the logged event: it must hold the real client address. If it "
            f"does not, fix the proxy (overwrite the header) before relying on this rule.",
        ))  # fmt: skip
    user_lists = [k for k, b in blocks.items() if k != "selection" and user and user in _fields_in(b)]
    if user_lists:
        out.append(AttackerEvasion(
            "identity-format",
            f"The account is logged in another form than the list the rule compares {user} with (a UPN "
            f"against a short name, DOMAIN\\name, other letter case, a trailing space, an alias), so the "
            f"list never matches: an excluded account is not excluded, or a watched one is not watched.",
            f"For each list the rule uses ({', '.join(sorted(user_lists))}), log in with a listed account in "
            f"every form the identity provider accepts and check that {user} holds exactly the listed value "
            f"each time; write the list in the form the log uses.",
        ))  # fmt: skip
    changes = sorted({d.event for d in rs.selections if d.event in CHANGE_EVENTS})
    if changes:
        out.append(AttackerEvasion(
            "change-outside-the-application",
            f"The same change ({', '.join(changes)}) made where the application does not log it: in the "
            f"identity provider (a group membership, an MFA reset by the help desk) or directly in the "
            f"database with a DBA or service account.",
            "On a test system, make the change in the identity provider and with SQL in the database, then "
            "search every log the SOC collects for it. Where nothing records it, the rule is blind to that "
            "path: add the IdP audit log or database auditing, or note it as a blind spot.",
        ))  # fmt: skip
    return out
