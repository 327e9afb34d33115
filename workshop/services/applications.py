"""Applications in the workspace: what the pages call to list, create and edit them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workshop.core.errors import InputError
from workshop.interview.model import Application, slugify
from workshop.store import Store


def list_applications(store: Store) -> list[Application]:
    return store.list_applications()


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


def update_application(store: Store, slug: str, fields: Mapping[str, Any]) -> Application:
    return store.update_application(slug, **fields)
