"""The owners' worries traced to the use cases that answer them.

Owners tell their worries, fraud scenarios and past incidents in their own words
(:attr:`workshop.interview.facts.Facts.worries` splits them into items). Generation
proposes, for each use case, the worries it covers by matching the words of each worry
against themes; a person confirms or edits the list (the use case's ``covers`` field), and
whatever no use case covers is listed as a gap in the document, the Review page and the
interview summary, so a worry is never silently dropped.

Why themes and not the templates' own words: a worry says "salary goes to another account",
a template says "payee changed". The table below is the translation, kept in one place so a
new template is added to the themes it answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from workshop.interview.facts import Q, Worry
from workshop.vocab import DROPPED

_PAYEE = ("payee-changes-by-one-user", "payee-change-then-payment", "payee-change-reverted-after-payment",
          "bank-account-fan-in", "contact-change-then-payee-change")  # fmt: skip
_EXPORT = ("export-volume-above-baseline", "first-export-by-user", "sensitive-report-export", "api-volume-above-normal")
_TAKEOVER = ("login-new-network", "login-new-country", "success-after-failures", "mfa-change-then-external-login",
             "password-reset-then-external-login", "session-reuse", "contact-change-then-payee-change")  # fmt: skip
_KEYS = ("api-key-outside-schedule", "api-scope-denials", "api-invalid-key-attempts", "api-volume-above-normal",
         "api-token-created", "token-reuse", "service-account-new-source")  # fmt: skip

#: (pattern over the worry's words, the templates that answer it).
THEMES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), ids)
    for pattern, ids in (
        (r"bank|payee|divert|diversion|redirect|mule|account they control|same account|salary goes", _PAYEE),
        (r"\bleaver|have left|had left|who left|former (staff|employee)|dormant", (
            "leaver-account-used", "dormant-account-login", "disabled-account-reenabled")),
        (r"export|download|extract|spreadsheet|leak|emailed|taking it|personal address", _EXPORT),
        (r"approv|segregation|four.eyes", ("self-approval",)),
        (r"\bown (bank|record|details|account)|their own|themselves|to himself|to herself", (
            "own-record-changed", "privilege-self-grant")),
        (r"ghost|fictitious|by hand|fake (employee|supplier|payee)", ("record-created-by-hand",)),
        (r"\bvip\b|executive|celebrit|colleague|snoop|curio|famous|neighbour|relative|extra protection", (
            "vip-record-viewed", "bulk-record-viewing")),
        (r"\badmin|privilege|\brole|permission|rights", (
            "privilege-granted", "user-created-then-privileged", "idp-group-grants-app-role", "privilege-self-grant")),
        (r"phish|password|credential|stolen account|takeover|take over|pretending", _TAKEOVER),
        (r"\bkeys?\b|token|secret|api", _KEYS),
        (r"\bfile\b|bacs|between generation", ("file-changed-before-sending",)),
        (r"did not run|didn't run|missed (run|file)|not sent|never arrived|job (failed|stopped)", (
            "scheduled-job-missing",)),
        (r"just under|below the limit|off-cycle payment|limit", ("payments-near-limit",)),
        (r"log(s|ging)? (off|deleted|disabled|stopped|switched)|audit (log|trail)|cover (their|his|her) tracks", (
            "audit-logging-changed", "log-silence")),
        (r"mass|bulk (change|update|delete)|wipe|destroy", ("mass-update", "mass-delete")),
        (r"impersonat|log in as|act as", ("impersonation-started",)),
        (r"hack|inject|scan|exploit|attack", (
            "application-attack-detected", "input-validation-failures", "error-spike-per-source",
            "web-attack-patterns", "web-error-burst")),
    )
)


def proposed_templates(worry: Worry) -> list[str]:
    """Templates whose theme the worry's words match (the VIP answer maps to the VIP use case)."""
    if worry.question == Q.VIP_RECORDS:
        return ["vip-record-viewed"]
    found: list[str] = []
    for pattern, ids in THEMES:
        if pattern.search(worry.text):
            found += [i for i in ids if i not in found]
    return found


def proposed_covers(template_id: str, worries: Iterable[Worry]) -> list[str]:
    """The worry ids a use case of this template covers, as generation proposes them."""
    return [w.id for w in worries if template_id in proposed_templates(w)]


@dataclass
class WorryCoverage:
    """One worry and the use cases that cover it (ids, in catalogue order)."""

    worry: Worry
    use_cases: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.use_cases)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.worry.id, "question": self.worry.question, "text": self.worry.text,
                "use_cases": list(self.use_cases), "covered": self.covered}  # fmt: skip


def coverage(worries: Sequence[Worry], covers: Mapping[str, Sequence[str]],
             statuses: Mapping[str, str] | None = None, among: Iterable[str] | None = None) -> list[WorryCoverage]:  # fmt: skip
    """Each worry with the use cases whose (confirmed or edited) ``covers`` name it.

    ``covers`` maps a use case's template id to the worry ids it covers; use cases rejected
    or retired never count, and ``among`` restricts to the use cases of one export.
    """
    allowed = set(among) if among is not None else None
    out = []
    for w in worries:
        ids = [tid for tid, ws in covers.items() if w.id in ws
               and (statuses is None or statuses.get(tid) not in DROPPED)
               and (allowed is None or tid in allowed)]  # fmt: skip
        out.append(WorryCoverage(w, ids))
    return out


def uncovered(items: Iterable[WorryCoverage]) -> list[Worry]:
    return [c.worry for c in items if not c.covered]
