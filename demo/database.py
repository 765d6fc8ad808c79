"""What a database is before `sagsflow demo` touches it, and replacing a demo.

`sagsflow demo` makes a database only where there is none (a missing SQLite
file, an empty file, a PostgreSQL database without tables), reuses or
replaces one that holds a demo office (`db_setting` kind=demo), and refuses
everything else without writing to it. Looking is read-only: the schema's
table names and, when there is one, the `db_setting` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from demo.office import DEMO, KIND
from engine.exceptions import StorageError
from storage import create_db_engine
from storage.database import error_reason, sqlite_path

SETTING_TABLE = "db_setting"
_APPEND_ONLY_FUNCTIONS = (
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema() AND p.proname LIKE '%\\_append\\_only'"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """What is at a database URL."""

    kind: str  # "new" (nothing, or empty), "demo", or "other"
    facts: dict[str, str] = field(default_factory=dict)  # db_setting, for a demo
    reason: str = ""  # why it is "other"


def look(url: str) -> Found:
    """What the database at `url` holds, read without writing.

    Raises:
        StorageError: the database cannot be reached.
    """
    path = sqlite_path(url)
    if path is not None and (not path.exists() or _empty_file(path)):
        return Found(kind="new")
    if path is not None and path.is_dir():
        return Found(kind="other", reason="it is a folder")
    db = create_db_engine(url, create=False)
    try:
        with db.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return Found(kind="new")
            if SETTING_TABLE not in tables:
                return Found(kind="other", reason="it holds tables but no demo mark")
            rows = conn.execute(text("SELECT key, value FROM db_setting")).all()
    except DatabaseError as exc:
        if path is not None and "not a database" in str(exc.orig):
            return Found(kind="other", reason="it is not a SQLite database")
        raise StorageError(f"cannot open the database: {error_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the database: {error_reason(exc)}") from exc
    finally:
        db.dispose()
    facts = {str(k): str(v) for k, v in rows}
    if facts.get(KIND) != DEMO:
        return Found(kind="other", reason="it is not marked as a demo office")
    return Found(kind="demo", facts=facts)


def wipe(url: str) -> None:
    """Remove a demo office (the caller has checked that it is one).

    A SQLite file is deleted (with its -wal and -shm); on PostgreSQL every
    table is dropped, the append-only audit tables too (DROP is not an UPDATE
    or DELETE their triggers refuse).

    Raises:
        StorageError: the database cannot be reached or changed.
    """
    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot remove {path}{suffix}: {exc}") from exc
        return
    db = create_db_engine(url, create=False)
    try:
        with db.begin() as conn:
            existing = MetaData()
            existing.reflect(conn)
            existing.drop_all(conn)
            # The triggers' functions (storage/migrations 0001) outlive their
            # tables; the migrations never drop them (they refuse to downgrade).
            functions = conn.execute(text(_APPEND_ONLY_FUNCTIONS)).scalars().all()
            for name in functions:
                conn.execute(text(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE'))
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot replace the demo office: {error_reason(exc)}"
        ) from exc
    finally:
        db.dispose()


def _empty_file(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == 0
