"""Opening a workspace, and what a face needs of it besides the store's records.

The command line and the app get their store here and hand it back to the other
services; they never import :mod:`workshop.store` themselves (an import-linter
contract in ``pyproject.toml`` checks this).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workshop.questionnaire import Catalogue
from workshop.store import Store
from workshop.usecases.loader import TemplateCatalogue

__all__ = ["Store", "open_store", "questionnaires", "settings", "templates"]


def open_store(workspace: str | Path | None = None, url: str | None = None) -> Store:
    """Open (creating and upgrading as needed) the store of a workspace folder
    (``$WORKSHOP_HOME`` or the default when None); ``url`` names another database."""
    return Store.open(workspace, url)


def questionnaires(store: Store) -> Catalogue:
    """The questionnaires this workspace can use (the project's and its own)."""
    from workshop.services.catalogues import load_questionnaires

    return load_questionnaires(store.workspace)


def templates(store: Store, catalogue: Catalogue) -> TemplateCatalogue:
    """The use-case templates this workspace can use, checked against the questionnaires' ids."""
    from workshop.services.usecases import load_templates

    return load_templates(catalogue, store.workspace)


def settings(store: Store) -> dict[str, Any]:
    """The workspace's settings, defaults filled in (defaults only for a store without a folder)."""
    from workshop.services import settings as workspace_settings

    return workspace_settings.load(store.workspace)
