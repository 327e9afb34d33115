"""Pivot queries for an alert: the other events of the same user, address or object around it.

An analyst's first move after an alert is to look at everything else the account, the
address or the record did. Writing that query by hand in the middle of the night, with the
application's own field names mapped to the SIEM's, is where mistakes happen, so each
document carries it, converted by the same pipelines as the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workshop.rules.model import RuleSet
from workshop.rules.pipelines import Pipeline

#: Roles worth pivoting on, in the order an analyst reaches for them.
PIVOT_ROLES = ("user", "source_ip", "object", "target_user", "session", "bank_account", "host")


@dataclass(frozen=True)
class PivotQuery:
    role: str
    field: str
    siem: str
    query: str  # "" when the backend refused; ``error`` says why
    error: str = ""


def token(role: str) -> str:
    """The value to put in from the alert, written so it cannot be mistaken for data."""
    return f"ALERT_{role.upper()}"


def pivot_roles(rs: RuleSet, logic: Mapping[str, Any]) -> list[str]:
    """The roles of the alert to pivot on: what the rule groups by or watches, and the user."""
    named = {"user", *(logic.get("group_by") or []), str(logic.get("field") or ""), *(logic.get("only") or {})}
    return [r for r in PIVOT_ROLES if r in named and r in rs.fields]


def pivot_queries(rs: RuleSet, logic: Mapping[str, Any], pipelines: Iterable[Pipeline]) -> list[PivotQuery]:
    """Every event of the application's log with the alert's value of each pivot role."""
    from workshop.rules.backends import convert_docs

    out = []
    detections = [d for d in rs.docs if d.kind == "detection"]
    logsource = dict((detections[0] if detections else rs.alert).data.get("logsource") or {})
    for role in pivot_roles(rs, logic):
        name = rs.fields[role]
        doc = {"title": f"Pivot on {role}", "logsource": logsource,
               "detection": {"selection": {name: token(role)}, "condition": "selection"}}  # fmt: skip
        for p in pipelines:
            try:
                query = convert_docs(p.siem, p.pysigma(), [doc])[0]
            except Exception as exc:  # a backend refusing is reported, never a crash of the document
                out.append(PivotQuery(role, name, p.siem, "", str(exc)))
                continue
            if p.siem == "kql":  # the Kusto backend writes the condition only
                query = f"{p.vars.get('table') or 'AppAudit_CL'}\n| where {query}"
            out.append(PivotQuery(role, name, p.siem, query))
    return out
