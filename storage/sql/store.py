"""`SqlCaseStore`: the engine's store protocol over SQLModel/SQLAlchemy.

Rows are mapped to and from `engine.records` here, so no SQLModel object leaves
`storage/`. Driver errors are translated into the engine's errors (apscheduler's
`IntegrityError -> ConflictingIdError` idea): a second audit entry for one
(case, seq) or a stale version becomes `ConcurrentUpdateError`, everything else a
`StorageError` carrying the driver error as `__cause__`.

A transaction plays every role of the port, one class of rows each:

    CaseRows     storage/sql/cases.py    a case, its journal and entries; listings
    AuditRows    storage/sql/record.py   the record across cases
    RuleRows     storage/sql/record.py   declarations and calendars on record
    UserRows     storage/sql/people.py   users
    AccessRows   storage/sql/people.py   reads of personal data
    ChaseRows    storage/sql/chasing.py  overdue cases, fired rungs
    SettingRows  storage/sql/chasing.py  facts about the database
    OutboxRows   storage/sql/outbox.py   notifications
    ApiRows      storage/sql/api.py      the HTTP API's tokens and idempotency keys
    SessionRows  storage/sql/sessions.py the review pages' sessions and sign-ins
    PersonalRows storage/sql/personal.py personal values, erasure, verification reads
    SearchRows   storage/sql/search.py   cases found by number, title words, names
    ContentRows  storage/sql/contents.py documents' content (the table or a folder)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from engine.exceptions import EngineError, StorageError
from engine.records import User
from storage.database import WRITE_OPTION, error_reason
from storage.sql.api import ApiRows
from storage.sql.cases import CaseRows
from storage.sql.chasing import ChaseRows, SettingRows
from storage.sql.contents import ContentRows
from storage.sql.link import Link
from storage.sql.outbox import OutboxRows
from storage.sql.people import AccessRows, UserCache, UserRows
from storage.sql.personal import PersonalRows, forget
from storage.sql.record import AuditRows, RuleRows
from storage.sql.search import SearchRows
from storage.sql.sessions import SessionRows


class SqlCaseStore:
    """The store on SQLite (default) or PostgreSQL; documents' content in the
    database, or in `content_dir` (`SAGSFLOW_DOCUMENT_DIR`) when given."""

    def __init__(self, engine: Engine, *, content_dir: Path | None = None) -> None:
        self.engine = engine
        self.content_dir = content_dir
        # Users as committed, while the users' chain does not grow (every
        # transition reads its actor): storage/sql/people.py.
        self.known_users = UserCache()

    def forget(self) -> str:
        """See `storage.sql.personal.forget`."""
        return forget(self.engine)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[SqlTransaction]:
        """A transaction; a read one reads one snapshot of the database throughout.

        SQLite's read transaction has one by nature, and its transactions run
        on the pooled DBAPI connection (storage/sql/link.py); on PostgreSQL a
        read runs REPEATABLE READ (it cannot fail as a writer can), so a case
        read with its record, or a report's pages, never mix states before and
        after a commit.
        """
        try:
            if self.engine.dialect.name == "sqlite":
                link = Link.begin(self.engine, write=write)
                try:
                    yield self._open(link, write)
                    link.commit()
                finally:
                    link.close()
                return
            with self.engine.connect() as conn:
                options: dict[str, object] = {WRITE_OPTION: write}
                if not write:
                    options["isolation_level"] = "REPEATABLE READ"
                conn.execution_options(**options)
                with conn.begin():
                    yield self._open(Link.over(conn), write)
        except EngineError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {error_reason(exc)}") from exc

    def _open(self, link: Link, write: bool) -> SqlTransaction:
        return SqlTransaction(
            link,
            writable=write,
            known_users=self.known_users,
            content_dir=self.content_dir,
        )


class SqlTransaction(
    CaseRows,
    AuditRows,
    RuleRows,
    UserRows,
    AccessRows,
    ChaseRows,
    SettingRows,
    OutboxRows,
    ApiRows,
    PersonalRows,
    SearchRows,
    SessionRows,
    ContentRows,
):
    """One unit of work on one connection; every role of the store's port."""

    def __init__(
        self,
        link: Link,
        *,
        writable: bool,
        known_users: UserCache | None = None,
        content_dir: Path | None = None,
    ) -> None:
        self.link = link
        self.content_dir = content_dir
        self.writable = writable
        self._known_users = UserCache() if known_users is None else known_users
        self._users_checked = False  # the cache's version not yet compared
        self._added_users = False  # a user this transaction added may roll back
        self.postgres = link.engine.dialect.name == "postgresql"
        self.dialect = "postgresql" if self.postgres else "sqlite"
        self._users: Sequence[User] | None = None  # read once per transaction
        self.driver = link.driver  # the hot path's statements (storage/sql/driver.py)
