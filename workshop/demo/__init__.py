"""The demo workspace: a realistic application with a completed interview.

A newcomer (or a facilitator rehearsing) should see real content at once, so the
demo is a full interview of a fictional payroll portal, kept as an interview file
and imported through the same path as any other.
"""

from __future__ import annotations

from pathlib import Path

from ..interview_io import import_interview
from ..models import Application
from ..questionnaire import Catalogue
from ..store import Store

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
    return store.get_application(DEMO_SLUG), True
