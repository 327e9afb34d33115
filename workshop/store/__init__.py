"""The workspace store (SQLite by default, any SQLAlchemy database via WORKSHOP_DB_URL)."""

from workshop.store.store import UNSET, Store

__all__ = ["UNSET", "Store"]
