"""Applications in the workspace: what the pages call to list, create and edit them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workshop.core.errors import InputError
from workshop.interview.model import Application, Interview, slugify
from workshop.store import Store


def list_applications(store: Store) -> list[Application]:
    return store.list_applications()


def get_application(store: Store, slug: str) -> Application:
    """The application; NotFoundError names the slug when there is none."""
    return store.get_application(slug)


def find_application(store: Store, slug: str) -> Application | None:
    """The application, or None when it is gone (a stale selection, another session deleted it)."""
    return store.get_application(slug) if store.has_application(slug) else None


def create_application(store: Store, fields: Mapping[str, Any]) -> Application:
    """Create an application under a free slug made from its name; two with one name are refused,
    since people pick applications by name."""
    name = str(fields.get("name") or "").strip()
    same = [a for a in store.list_applications() if a.name.casefold() == name.casefold()]
    if same:
        raise InputError(f"An application named '{name}' exists already ({same[0].slug}); choose another name.")
    slug = slugify(str(fields.get("name") or ""))
    base, n = slug, 2
    while store.has_application(slug):
        slug, n = f"{base}-{n}", n + 1
    return store.create_application(Application.from_dict({"slug": slug, **fields}))


def add_application(store: Store, app: Application) -> Application:
    """Create an application under the slug it carries (the command line names it)."""
    return store.create_application(app)


def update_application(store: Store, slug: str, fields: Mapping[str, Any]) -> Application:
    return store.update_application(slug, **fields)


def delete_application(store: Store, slug: str) -> None:
    """Delete the application with its interviews, answers and every record made from them."""
    store.delete_application(slug)


def list_interviews(store: Store, slug: str) -> list[Interview]:
    return store.list_interviews(slug)
