"""Database engines, SQLite pragmas, and the schema (managed by Alembic).

SQLite hazards handled here (docs/libraries.md §3.4): pysqlite's legacy transaction
control runs SELECTs outside a transaction and silently loses updates between
processes, and a deferred BEGIN cannot wait for the write lock. So every
connection gets `isolation_level=None` and every write transaction starts with
`BEGIN IMMEDIATE`; reads use a plain deferred `BEGIN`. WAL, a busy timeout,
foreign keys, and `synchronous=FULL` (a legal record must survive power loss;
NORMAL is opt-in) are set on every connection.
"""

from __future__ import annotations

import logging
import sqlite3
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.pool import StaticPool

from engine.exceptions import SchemaError, StorageError
from storage import revisions
from storage.revisions import VERSION_TABLE, database_revisions, known_revisions
from storage.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

WRITE_OPTION = "sagsflow_write"
LINKED = "sagsflow_linked"
"""The mark, in a pooled connection's `info`, of a transaction the store began
on it (storage/sql/link.py): Core's BEGIN joins it rather than issuing one."""

# Alembic says "Context impl SQLiteImpl." at INFO on every schema check.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
# Writers queue for SQLite's single write lock; a long catch-up sweep commits
# batch after batch, so others may wait a while for their turn.
DEFAULT_BUSY_TIMEOUT_MS = 30000


def create_db_engine(
    url: str,
    *,
    synchronous: str = "FULL",
    pool_size: int | None = None,
    create: bool = True,
) -> Engine:
    """An engine for `url`, with sagsflow's SQLite settings where it applies.

    Args:
        create: may a SQLite file be created? Only `init` should: otherwise
            the file is opened read-write only (`mode=rw`), so a connection
            made while the file is away fails instead of quietly creating an
            empty database in its place.

    Raises:
        StorageError: the URL is malformed or names a driver that is missing.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"{url!r} is not a database URL") from None
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database in (None, "", ":memory:"):
        kwargs.update(connect_args={"check_same_thread": False}, poolclass=StaticPool)
    elif (
        is_sqlite
        and not create
        and parsed.database
        and not parsed.database.startswith("file:")
    ):
        path = Path(parsed.database).absolute().as_posix()
        parsed = parsed.set(
            database=f"file:{quote(path)}?mode=rw", query={"uri": "true"}
        )
    elif not is_sqlite:
        # Named in pg_stat_activity, so an operator can tell sagsflow's sessions.
        if parsed.get_backend_name() == "postgresql":
            kwargs.update(connect_args={"application_name": "sagsflow"})
        if pool_size is not None:
            kwargs.update(pool_size=pool_size, pool_pre_ping=True)
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError:
        raise StorageError(
            f"unknown kind of database {parsed.drivername!r}: sagsflow runs on "
            "sqlite:///FILE (the default) and postgresql+psycopg://..."
        ) from None
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use database {url!r}: {exc}") from exc
    if is_sqlite:
        _configure_sqlite(engine, synchronous=synchronous)
    return engine


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(
            f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}"
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        # journal_mode=WAL is stored in the file: `upgrade_schema` sets it once,
        # so a refused command never changes a file that is not ours.
        for pragma in (
            f"busy_timeout={DEFAULT_BUSY_TIMEOUT_MS}",
            f"synchronous={synchronous.upper()}",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.connection.info.get(LINKED):
            return  # Core joins the store's transaction (storage/sql/link.py)
        driver = conn.connection.driver_connection
        write = conn.get_execution_options().get(WRITE_OPTION, True)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        # On the driver's connection: through `exec_driver_sql` the BEGIN cost
        # a fifth of a whole transition (bench W1); its error is wrapped alike.
        try:
            driver.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(
                statement, None, exc, sqlite3.Error, dialect=conn.dialect
            ) from exc


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for other databases and :memory:)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (
        None,
        "",
        ":memory:",
    ):
        return None
    return Path(parsed.database)


def _alembic_config(connection: Connection) -> Config:
    """Alembic's configuration on `connection`: loaded only where a command
    migrates (`storage.revisions` answers every other schema question)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this code knows (`storage.revisions`)."""
    return revisions.head()


def upgrade_schema(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the schema to the newest revision; returns (before, after).

    Raises:
        SchemaError: the database is another application's (`refuse_foreign`);
            nothing is written, not even the journal mode.
        StorageError: the database cannot be reached or the migration fails.
    """
    refuse_foreign(engine)  # before anything is written, the journal mode included
    try:
        if engine.dialect.name == "sqlite":
            _use_wal(engine)
        with engine.connect() as conn:
            before = next(iter(database_revisions(conn)), None)
        if before != head_revision():
            from alembic import command

            with engine.begin() as conn:
                command.upgrade(_alembic_config(conn), "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot create the schema: {error_reason(exc)}") from exc
    return before, head_revision()


def refuse_foreign(engine: Engine) -> None:
    """Refuse a database that is neither empty nor sagsflow's; reads only.

    Sagsflow's is one whose `alembic_version` names a revision of ours. Without
    one, the database (on PostgreSQL the connection's schema, less what its
    extensions put there) must hold no table or view at all: tables of another
    application are never written into, and tables by our names that no
    `init` made are not guessed at.

    Raises:
        SchemaError: another application's database, or one sagsflow cannot
            tell is its own.
        StorageError: the database cannot be read.
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        with engine.connect().execution_options(**{WRITE_OPTION: False}) as conn:
            found = inspect(conn)
            names = {*found.get_table_names(), *found.get_view_names()}
            if conn.dialect.name == "postgresql":
                names -= set(conn.execute(_EXTENSION_RELATIONS).scalars())
            revisions = database_revisions(conn) if VERSION_TABLE in names else ()
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot use the database: {error_reason(exc)}") from exc
    except dbapi_error as exc:  # connect-time PRAGMAs reach the driver unwrapped
        raise StorageError(f"cannot use the database: {exc}") from exc
    if revisions:
        refused = _refused_revision(revisions)
        if refused is not None:
            raise refused
        return
    names.discard(VERSION_TABLE)
    ours = set(metadata.tables)
    foreign = sorted(names - ours)
    if foreign:
        raise SchemaError(
            f"the database holds tables that are not sagsflow's ({_some(foreign)}): "
            "refusing to write into another application's database"
        )
    if names:
        raise SchemaError(
            f"the database holds tables ({_some(sorted(names))}) but no sagsflow "
            "schema revision: 'sagsflow init' did not make them, so it will not "
            "change them"
        )


def _refused_revision(revisions: tuple[str, ...]) -> SchemaError | None:
    """Why a database at `revisions` is refused; None for one revision of ours.

    Sagsflow's revisions are numbered in order ("0001", "0002", ...), so one
    number above this code's head is a newer sagsflow's schema, which this one
    cannot read and must not "upgrade"; anything else unknown is another
    application's.
    """
    if len(revisions) == 1 and revisions[0] in known_revisions():
        return None
    head = head_revision()
    (only, *more) = revisions
    if not more and only.isdigit() and len(only) == len(head) and only > head:
        return SchemaError(
            f"the database's schema ({only}) is newer than this sagsflow "
            f"({head}): upgrade sagsflow; the database was not changed"
        )
    named = ", ".join(repr(r[:32]) for r in revisions)
    return SchemaError(
        f"the database is at schema revision {named}, which is not one "
        "of sagsflow's (another application's, or a newer sagsflow's): "
        "refusing to change it"
    )


def schema_state(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision or None, this code's head); reads only.

    Raises:
        SchemaError: another application's database or a newer sagsflow's
            (`refuse_foreign`).
        StorageError: the database cannot be read.
    """
    refuse_foreign(engine)
    return current_revision(engine), head_revision()


# What an extension put into the schema (pg_buffercache's view, PostGIS's table)
# belongs to the server's set-up, not to another application.
_EXTENSION_RELATIONS = text(
    "SELECT c.relname FROM pg_class c JOIN pg_depend d "
    "ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e' "
    "WHERE c.relnamespace = "
    "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
)


def _some(names: list[str], shown: int = 5) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f", … {more} more" if more > 0 else "")


def _use_wal(engine: Engine) -> None:
    """Switch the file to WAL; the mode is stored in the file and kept."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except dbapi_error as exc:  # connect-time PRAGMAs reach the driver unwrapped
        raise StorageError(f"cannot use the database: {exc}") from exc
    try:  # outside any transaction: SQLite ignores the change inside one
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        mode = cursor.fetchone()
        cursor.close()
    except dbapi_error as exc:
        raise StorageError(f"cannot use the database: {exc}") from exc
    finally:
        raw.close()
    if mode is None or str(mode[0]).lower() not in ("wal", "memory"):
        raise StorageError(f"cannot switch the database to WAL mode (it is {mode})")


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None when it has none).

    Raises:
        StorageError: the database cannot be reached.
    """
    try:
        with engine.connect() as conn:
            found = database_revisions(conn)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the database: {error_reason(exc)}") from exc
    if len(found) > 1:
        refused = _refused_revision(found)
        assert refused is not None  # two revisions are never one of ours
        raise refused
    return found[0] if found else None


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database without the current schema.

    Raises:
        SchemaError: not initialised, or initialised by another version.
        StorageError: the database cannot be reached.
    """
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        raise SchemaError(
            "the database has no sagsflow schema: run 'sagsflow init' first"
        )
    refused = _refused_revision((current,))
    if refused is not None:
        raise refused
    if current != head:
        raise SchemaError(
            f"the database schema is at revision {current}, this sagsflow needs "
            f"{head}: run 'sagsflow init' to upgrade it"
        )


def error_reason(exc: SQLAlchemyError) -> str:
    """The first line of the driver's own message (what the user is shown)."""
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
