"""Alembic environment: run on the connection sagsflow hands over."""

from __future__ import annotations

from alembic import context

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.sql.search import include_name
from storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'sagsflow init'")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
    include_name=include_name,  # not the search index, which no model names
)
with context.begin_transaction():
    context.run_migrations()
