"""The workspace store (SQLite by default, any SQLAlchemy database via WORKSHOP_DB_URL)."""

from .store import UNSET, Store

__all__ = ["UNSET", "Store"]
