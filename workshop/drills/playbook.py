"""The checklist a detection engineer and an analyst walk through when a rule is tested.

A playbook is tested, not read: can the people it names be reached at the numbers it
gives, does the containment step work (and may the SOC do it), do the pivot queries
find the alert's events and the activity around them. Each step gets an outcome; a
failed step flags the use case until a later test passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workshop.drills.generate import containment_step
from workshop.drills.model import AlertRow, Outcome, PlaybookStep, PlaybookTest, StepKind
from workshop.interview.facts import Facts
from workshop.usecases.model import UseCase
from workshop.vocab import LogRole

OUTCOMES = (Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED)
#: Roles an analyst pivots on, in the order they are tried.
PIVOT_ROLES = (LogRole.USER, LogRole.SOURCE_IP, LogRole.OBJECT, LogRole.SESSION)


def checklist(
    uc: UseCase, facts: Facts, alert: Sequence[AlertRow] = (), rule_fires: bool | None = None
) -> list[PlaybookStep]:
    """The steps for one use case; ``alert`` (the drill's rows) fills the pivot values in."""
    eff = uc.effective()
    steps: list[PlaybookStep] = []
    for contact in eff.contacts[:3]:
        steps.append(PlaybookStep(f"contact-{len(steps) + 1}", StepKind.CONTACT, f"Reach {contact}",
                                  "They answer at the number recorded, within the hours recorded, and know the application."))  # fmt: skip
    if facts.out_of_hours_contact:
        steps.append(PlaybookStep("contact-ooh", StepKind.CONTACT, f"Out of hours: {facts.out_of_hours_contact}",
                                  "The out-of-hours route answers and can reach the application's people."))  # fmt: skip
    contain = containment_step(uc)
    may = {
        True: " The SOC may do this itself.",
        False: " The SOC may NOT do this itself: the owners do it.",
        None: "",
    }
    steps.append(PlaybookStep(
        "containment", StepKind.CONTAINMENT,
        f"On a test account: {contain}" if contain else "No containment step is written: agree one with the owners.",
        "It works, it is quick, and the person doing it has the rights." + may[facts.can_disable_accounts],
    ))  # fmt: skip
    matched = [r for r in alert if r.matched]
    vocab = uc.generated.vocabulary
    for role in PIVOT_ROLES:
        name = vocab.field_for(role)
        value = next((r.get(name) for r in matched if r.get(name)), "")
        if not value and role not in eff.logic.group_by:
            continue
        steps.append(PlaybookStep(
            f"pivot-{role}", StepKind.PIVOT,
            f"Pivot: every event with {name}=\"{value or '<value from the alert>'}\" in the 24 hours before the alert",
            "It returns the alert's events and the activity around them, in the SIEM the SOC uses.",
        ))  # fmt: skip
    fires = {True: "the local test fired on the true positive", False: "the local test did NOT fire",
             None: "no local test recorded"}[rule_fires]  # fmt: skip
    steps.append(PlaybookStep("detection", StepKind.DETECTION,
                              f"The rule raises this alert in the SIEM on the test events ({fires}).",
                              "The alert appears, with the fields the analyst needs."))  # fmt: skip
    return steps


def record(uc: UseCase, steps: Sequence[PlaybookStep], outcomes: Mapping[str, str], notes: Mapping[str, str],
           tester: str, tested_on: str, fingerprint: str) -> PlaybookTest:  # fmt: skip
    """A test from the checklist and the outcome of each step (step id -> passed/failed/skipped)."""
    from workshop.core.errors import InputError

    known = {s.id for s in steps}
    unknown = sorted(set(outcomes) - known)
    if unknown:
        raise InputError(f"no step {', '.join(unknown)} in the checklist of {uc.template_id} "
                         f"(steps: {', '.join(sorted(known))})")  # fmt: skip
    bad = sorted({v for v in outcomes.values() if v not in OUTCOMES})
    if bad:
        raise InputError(f"unknown outcome {', '.join(bad)} (use {', '.join(OUTCOMES)})")
    done = [PlaybookStep(s.id, s.kind, s.text, s.expect, outcomes.get(s.id, Outcome.SKIPPED), notes.get(s.id, ""))
            for s in steps]  # fmt: skip
    return PlaybookTest(uc.application, uc.template_id, done, tester, tested_on, fingerprint)
