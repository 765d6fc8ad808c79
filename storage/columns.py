"""What every table shares: the metadata with its naming convention, the id
column's type and the JSON type (JSONB on PostgreSQL).

Imported by `storage.tables` and `storage.tables_web` before they define a
table, so the naming convention holds for all of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Named constraints, so Alembic batch mode on SQLite can alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

ID = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY = rowid


def json_type() -> Any:
    return JSON().with_variant(JSONB(), "postgresql")
