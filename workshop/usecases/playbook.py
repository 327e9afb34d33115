"""The response playbook of a use case, from what the owners said: who acts, what they may do.

The response steps of a template name ``{response.contacts}``; sending every alert to all
four contacts means nobody acts. :func:`route_contacts` picks, for the scenario of a use case
(its category), the contacts whose role can act on it (the payroll owner for fraud, the
application admin for accounts and privileges, the tech lead for an API or a job), with the
hours they can be reached. :func:`playbook` adds what the templates cannot know: the
containment the owners allow (disable in the identity provider, revoke the key, hold the
payment file), the owners' constraints quoted, per-alert priority, and when the alert is closed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from workshop.interview.facts import Contact, Facts

#: Scenario (template category) -> patterns over a contact's role, best first.
ROUTES: dict[str, tuple[str, ...]] = {
    "fraud": (r"payroll|finance|payment|service owner|business owner|owner", r"admin"),
    "integrity": (r"service owner|business owner|owner|finance", r"admin|tech"),
    "data": (r"data protection|dpo|privacy|service owner|owner", r"security|admin"),
    "privilege": (r"admin|identity|access|iam", r"service desk|security|owner"),
    "access": (r"admin|identity|access|service desk", r"security|owner"),
    "authentication": (r"admin|identity|service desk|security", r"owner"),
    "api": (r"tech|developer|integration|platform", r"admin", r"owner"),
    "availability": (r"tech|infrastructure|operations|platform", r"admin|service desk", r"owner"),
    "application-attack": (r"tech|developer|security", r"admin|service desk"),
    "defense-evasion": (r"security", r"admin|tech|infrastructure", r"owner"),
}


def route_contacts(contacts: Sequence[Contact], category: str) -> list[Contact]:
    """The contacts who can act on this kind of alert (at most two), else the first one."""
    for pattern in ROUTES.get(category, ()):
        found = [c for c in contacts if re.search(pattern, c.role, re.IGNORECASE)]
        if found:
            return found[:2]
    return list(contacts[:1])


def contact_text(contacts: Sequence[Contact]) -> str:
    """Contacts in a sentence: name (role, when to call)."""
    parts = []
    for c in contacts:
        who = c.name or c.role
        detail = ", ".join(b for b in (c.role if c.name else "", c.phone, c.hours) if b)
        parts.append(f"{who} ({detail})" if detail else who)
    return "; ".join(parts)


@dataclass
class Playbook:
    """What the document's Playbook section says; every list may be empty."""

    act_now: list[str] = field(default_factory=list)
    containment: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    alert_priority: list[str] = field(default_factory=list)
    closure: list[str] = field(default_factory=list)


_CLOSURE: dict[str, tuple[str, ...]] = {
    "fraud": ("Every payment affected is held, recalled or confirmed by the payee on a number from your records.",
              "The changed details are confirmed by the person they belong to, or put back."),
    "integrity": ("The changed data or file is compared with its source and put right, or the change is confirmed.",),
    "data": ("The owner of the data says whether the access had a business reason (a case, a request, a ticket).",
             "If not: the data protection contact has decided whether it is a breach to report."),
    "api": ("The client's owning team confirms the calls, or the key is revoked and reissued and its use reviewed.",),
}  # fmt: skip
_CLOSURE_DEFAULT = (
    "The account holder or the owner confirms the activity on a channel you trust, or the account is "
    "contained (disabled, password and MFA reset, sessions ended) and what it did is reviewed.",
)


def playbook(category: str, facts: Facts, roles: Sequence[str] = (), machine_only: bool = False) -> Playbook:
    """The playbook of a use case of this category for this application.

    ``roles`` are the log roles the rule groups by or watches: a use case about records gets the
    VIP rule, one about payments the money rule.
    """
    pb = Playbook()
    routed = route_contacts(facts.contacts, category)
    if routed:
        pb.act_now.append(f"In working hours: {contact_text(routed)}.")
    if facts.out_of_hours_contact:
        pb.act_now.append(f"Out of hours: {facts.out_of_hours_contact}")
    _containment(pb, category, facts, machine_only)
    if facts.business_impact:
        pb.constraints.append(f"The owners said: \u201c{facts.business_impact}\u201d")
    _alert_priority(pb, category, facts, roles)
    pb.closure += list(_CLOSURE.get(category, _CLOSURE_DEFAULT))
    return pb


def _containment(pb: Playbook, category: str, facts: Facts, machine_only: bool) -> None:
    if machine_only or category == "api":
        if facts.can_revoke_credentials is True:
            pb.containment.append("The SOC may revoke the client's key or credential itself, then tell the owning team.")
        else:
            pb.containment.append("Ask the service's owners to revoke the client's key or credential; the SOC may not.")
    elif facts.can_disable_accounts is True:
        where = f" in the identity provider ({facts.idp})" if facts.idp else ""
        pb.containment.append(f"The SOC may disable the account{where} and end its sessions itself, then inform.")
    elif facts.can_disable_accounts is False:
        pb.containment.append("The SOC may not disable accounts: ask the contacts above to do it.")
    if category in ("fraud", "integrity") and facts.pays:
        pb.containment.append("Ask the payroll or finance contact to hold the payment, or the payment file, "
                              "before it reaches the bank.")  # fmt: skip
    if category == "data":
        pb.containment.append("Ask the owners to stop further exports by the account while the access is checked.")


def _alert_priority(pb: Playbook, category: str, facts: Facts, roles: Sequence[str]) -> None:
    """Rules that raise one alert's priority from what the event says, not the application."""
    privileged = facts.privileged_roles
    if privileged and category in ("privilege", "access", "authentication"):
        pb.alert_priority.append("Critical when the account holds, or is given, a privileged role: "
                                 + ", ".join(privileged) + ".")  # fmt: skip
    if facts.vip_list and ("object" in roles or category == "data"):
        pb.alert_priority.append("Critical when the record is a protected one: " + ", ".join(facts.vip_list) + ".")
    limit = facts.payment_limit
    if limit and category == "fraud":
        pb.alert_priority.append(f"Critical when the amount involved reaches the approval limit ({limit:g}).")
    if category == "fraud":
        pb.alert_priority.append("Critical in the days before a payment run, when a change is paid out at once.")
