"""The demo workspace: a realistic application with a completed interview.

A newcomer (or a facilitator rehearsing) should see real content at once, so the
demo is a full interview of a fictional payroll portal, kept as an interview file
and imported through the same path as any other.
"""

from __future__ import annotations

from pathlib import Path

from workshop.interview.model import Application
from workshop.questionnaire import Catalogue
from workshop.services.interview_io import import_interview
from workshop.store import Store
from workshop.vocab import Priority, Status

DEMO_DIR = Path(__file__).resolve().parent
DEMO_SLUG = "payroll-portal"
DEMO_FILE = DEMO_DIR / f"{DEMO_SLUG}.yaml"


def create_demo(store: Store, catalogue: Catalogue, *, reset: bool = False) -> tuple[Application, bool]:
    """Create the demo application; return it and whether anything was created."""
    if store.has_application(DEMO_SLUG):
        if not reset:
            return store.get_application(DEMO_SLUG), False
        store.delete_application(DEMO_SLUG)
    import_interview(store, catalogue, DEMO_FILE, who="demo")
    review_use_cases(store, catalogue)
    attach_demo_baseline(store)
    return store.get_application(DEMO_SLUG), True


def attach_demo_baseline(store: Store) -> None:
    """Write the demo's synthetic log sample into the workspace and attach its baseline.

    The sample is kept (it is synthetic), so rule tests can run against it. A store
    without a workspace folder (an in-memory one) has nowhere to keep it: nothing is done.
    """
    from workshop.services.baselines import attach_file
    from workshop.services.demo.sample import LOG_SOURCE, write_demo_sample

    if store.workspace is None:
        return
    path = store.workspace / "samples" / DEMO_SLUG / f"{LOG_SOURCE}.csv"
    write_demo_sample(path)
    attach_file(
        store, DEMO_SLUG, path, log_source=LOG_SOURCE, who="demo", keep_sample=True, sample_in_place=True
    )


def review_use_cases(store: Store, catalogue: Catalogue) -> None:
    """Generate the demo's use cases and review them as a team would: accept most, reject one
    idea with a reason, and leave the noisy, low-priority and conditional ones proposed."""
    from workshop.services.usecases import generate_for_application, load_templates

    templates = load_templates(catalogue, store.workspace)
    generate_for_application(store, DEMO_SLUG, templates, catalogue, who="demo")
    ucs = store.list_use_cases(DEMO_SLUG)
    # As the payroll team decided in the workshop: one idea rejected, one left to decide later.
    rejected = {
        "first-export-by-user": "Every clerk exports at month-end; a first export is not unusual here."
    }
    later = {"log-silence"}  # nights and weekends are silent: it needs a business-hours window first
    # Left proposed until the log they read reaches the SIEM: the portal does not write these
    # events (the scheduler and Entra ID keep their own logs) and no worry of the owners waits
    # on them. The ghost-employee and BACS-file rules are accepted though blocked: the owners
    # named those frauds, so their missing events become requests to the application team.
    later |= {
        "scheduled-job-missing",  # job runs are in the scheduler's log
        "contact-change-then-payee-change",  # the portal does not log contact-detail changes
        "idp-group-grants-app-role",  # group membership changes are in Entra ID's audit log
    }
    for tid, reason in rejected.items():
        if any(u.template_id == tid for u in ucs):
            store.set_status(DEMO_SLUG, [tid], Status.REJECTED, who="demo", reason=reason)
    accept = [
        u.template_id
        for u in ucs
        if u.template_id not in rejected and u.template_id not in later and u.priority != Priority.LOW
        and not u.generated.conditional
    ]  # fmt: skip
    store.set_status(
        DEMO_SLUG, accept, Status.ACCEPTED, who="demo", reason="Agreed with the owners in the workshop."
    )
