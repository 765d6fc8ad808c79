"""Throwaway PostgreSQL databases for the tests, one per test.

`SAGSFLOW_TEST_POSTGRES_URL` names a server and a database to connect to for
administration (CI sets it to the machine's PostgreSQL). Without it the
PostgreSQL tests skip with a reason; with it they run for real and fail when the
server cannot be reached. Each test gets its own database, copied from a
template migrated once per test session, so runs and tests never interfere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import OperationalError

from storage import create_db_engine, upgrade_schema

ENV = "SAGSFLOW_TEST_POSTGRES_URL"
SKIP_REASON = (
    f"{ENV} is not set: no PostgreSQL to test against "
    "(CI sets it; e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


# Read once, at import: some test modules clear SAGSFLOW_* from the environment.
_CONFIGURED = os.environ.get(ENV, "").strip()


def admin_url() -> URL | None:
    """The server named by the environment, or None when there is none."""
    return make_url(_CONFIGURED) if _CONFIGURED else None


# For tests that need PostgreSQL and costly set-up besides: skip before it.
needs_postgres = pytest.mark.skipif(not _CONFIGURED, reason=SKIP_REASON)


def require_admin_url() -> URL:
    """The server to test against; skips the test when none is configured."""
    url = admin_url()
    if url is None:
        pytest.skip(SKIP_REASON)
    return url


@contextmanager
def _autocommit(url: URL) -> Iterator[Connection]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    except OperationalError as exc:
        pytest.fail(
            f"{ENV} is set but PostgreSQL at {url.host}:{url.port} "
            f"cannot be reached: {exc.orig}"
        )
    finally:
        engine.dispose()


def create_database(admin: URL, *, template: str | None = None) -> URL:
    """A new empty (or template-copied) database; returns its URL."""
    name = f"sagsflow_test_{uuid.uuid4().hex[:12]}"
    clause = f" TEMPLATE {template}" if template else ""
    with _autocommit(admin) as conn:
        conn.execute(text(f"CREATE DATABASE {name}{clause}"))
    return admin.set(database=name)


def drop_database(admin: URL, name: str) -> None:
    with _autocommit(admin) as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def migrated_template(admin: URL) -> URL:
    """A database migrated to the newest schema, to copy per test."""
    url = create_database(admin)
    engine = create_db_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    return url
