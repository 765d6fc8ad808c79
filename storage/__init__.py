"""Storage: the SQL and in-memory implementations of `engine.ports.CaseStore`."""

from __future__ import annotations

from storage.database import check_schema, create_db_engine, upgrade_schema
from storage.memory.store import InMemoryCaseStore
from storage.sql.store import SqlCaseStore

__all__ = [
    "InMemoryCaseStore",
    "SqlCaseStore",
    "check_schema",
    "create_db_engine",
    "upgrade_schema",
]
