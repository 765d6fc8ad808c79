"""Personal values on SQL: kept apart from the record, and erased on demand.

`PersonalRows` keeps the values chain entries hold commitments to
(`personal_value`), reads them back to show a record, and erases a case's
personal data: its values, its key and its personal fields in the case row,
and every trace in its notifications. `forget` then makes the bytes go: the
rows an UPDATE or DELETE leaves behind stay in the file (SQLite's free pages
and write-ahead log, PostgreSQL's dead tuples) until the database rewrites
them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from engine.audit.personal import ERASED, scrub, scrub_json
from engine.records import Case, Document
from storage.sql.base import STREAM_BATCH, Rows
from storage.sql.mapping import case_columns, case_of, document_of
from storage.sql.search import INDEX
from storage.tables import CASES, DOCUMENTS, OUTBOX, PERSONAL

# Tables an erasure writes personal data out of: PostgreSQL rewrites these
# (`case_search`: the search index, its GIN index rebuilt with it).
ERASED_TABLES = ("wf_case", "personal_value", "outbox", INDEX)


class PersonalRows(Rows):
    """`engine.ports.PersonalRecords`, and the streams verification reads."""

    def add_personal_values(self, case_id: int, values: dict[str, object]) -> None:
        self._writing()
        self.conn.execute(
            self._insert(PERSONAL).on_conflict_do_nothing(),
            [
                {"case_id": case_id, "commitment": c, "value": v}
                for c, v in values.items()
            ],
        )

    def personal_values(
        self, case_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        found: dict[int, dict[str, object]] = {i: {} for i in case_ids}
        ids = list(found)
        for start in range(0, len(ids), 500):
            rows = self.conn.execute(
                select(
                    PERSONAL.c.case_id, PERSONAL.c.commitment, PERSONAL.c.value
                ).where(PERSONAL.c.case_id.in_(ids[start : start + 500]))
            )
            for case_id, commitment, value in rows:
                found[case_id][commitment] = value
        return found

    def erase_personal(self, case: Case, values: Sequence[str]) -> int:
        """Write `case` (its erased row) and wipe the case's other personal values.

        Every notification of the case has each string in `values` replaced by
        ERASED (subject, body, recipient, payload). Returns how many
        notifications were changed.
        """
        self._writing()
        assert case.id is not None
        self.conn.execute(
            update(CASES).where(CASES.c.id == case.id).values(**case_columns(case))
        )
        self.conn.execute(delete(PERSONAL).where(PERSONAL.c.case_id == case.id))
        changed = 0
        wanted = [v for v in values if v]
        rows = self.conn.execute(
            select(
                OUTBOX.c.id,
                OUTBOX.c.subject,
                OUTBOX.c.body,
                OUTBOX.c.recipient,
                OUTBOX.c.payload,
            ).where(OUTBOX.c.case_id == case.id)
        ).all()
        for row_id, subject, body, recipient, payload in rows:
            new = {
                "subject": scrub(subject, wanted),
                "body": scrub(body, wanted),
                "recipient": ERASED if recipient in wanted else recipient,
                "payload": scrub_json(payload, wanted),
            }
            if new != {
                "subject": subject,
                "body": body,
                "recipient": recipient,
                "payload": payload,
            }:
                self.conn.execute(
                    update(OUTBOX).where(OUTBOX.c.id == row_id).values(**new)
                )
                changed += 1
        return changed

    def verify_cases(self) -> Iterator[Case]:
        """Every case row by id, streamed (verification compares it with its chain)."""
        stmt = select(CASES).order_by(CASES.c.id)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield case_of(row)

    def verify_documents(self) -> Iterator[Document]:
        """Every document row by case and seq, streamed."""
        stmt = select(DOCUMENTS).order_by(DOCUMENTS.c.case_id, DOCUMENTS.c.seq)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield document_of(row)

    def verify_personal(self) -> Iterator[tuple[int, str, object]]:
        """(case id, commitment, value) of every kept personal value, by case."""
        stmt = select(PERSONAL.c.case_id, PERSONAL.c.commitment, PERSONAL.c.value)
        stmt = stmt.order_by(PERSONAL.c.case_id, PERSONAL.c.commitment)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for case_id, commitment, value in result:
            yield int(case_id), str(commitment), value


def forget(engine: Engine) -> str:
    """Rewrite what erased rows left behind; say what was done (or must be).

    SQLite: the search index is merged into one segment first (FTS5 keeps a
    deleted row's words in its older segments, marked deleted, until they
    merge), VACUUM rebuilds the file from its live rows (no free page keeps an
    old one), then a TRUNCATE checkpoint empties the write-ahead log.
    PostgreSQL: VACUUM FULL rewrites the tables an erasure touches into new
    files (a plain VACUUM only marks dead tuples free); it needs the tables'
    owner, so under the application role the answer says what to run.
    """
    if engine.dialect.name == "sqlite":
        return _forget_sqlite(engine)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            tables = ", ".join(ERASED_TABLES)
            # VACUUM skips, with only a warning, a table the role does not own.
            owner = conn.execute(
                text(
                    "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) "
                    "FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename = ANY(:tables)"
                ),
                {"tables": list(ERASED_TABLES)},
            ).scalar_one()
            if not owner:
                return (
                    "the erased values stay in the tables' free space until their "
                    f"owner runs: VACUUM FULL {tables}"
                )
            if not _older_transactions_ended(conn):
                return (
                    "a transaction older than the erasure is still open, so "
                    "PostgreSQL would keep the erased rows: run VACUUM FULL "
                    f"{tables} once it has ended"
                )
            conn.execute(text(f"VACUUM FULL {tables}"))
            return f"the tables {tables} were rewritten (VACUUM FULL)"
    except SQLAlchemyError as exc:
        reason: Any = getattr(exc, "orig", exc)
        return f"the database could not be rewritten: {str(reason).splitlines()[0]}"


def _forget_sqlite(engine: Engine) -> str:
    # On the driver's connection: the engine's own BEGIN (storage/database.py)
    # would put VACUUM inside a transaction, where SQLite refuses it.
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute(f"INSERT INTO {INDEX} ({INDEX}) VALUES ('optimize')")
        driver.execute("VACUUM")
        busy = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        return f"the database could not be rewritten: {str(exc).splitlines()[0]}"
    finally:
        raw.close()
    if busy is not None and busy[0]:
        return (
            "the database was rewritten; another process is reading it, so its "
            "write-ahead log empties at that process's next checkpoint"
        )
    return "the database file was rewritten and its write-ahead log emptied"


# A transaction that began before the erasure and is still running, anywhere
# on the server, holds back the snapshot VACUUM FULL itself runs under, and
# VACUUM FULL then copies the erased rows as "recently dead". So are old
# snapshots in this database. Waited for, up to WAIT_POLLS * POLL_SECONDS.
_OLDER = text(
    "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
    "(backend_xid IS NOT NULL AND age(backend_xid) > age(CAST(:xid AS xid))) OR "
    "(datname = current_database() AND backend_xmin IS NOT NULL "
    "AND age(backend_xmin) > age(CAST(:xid AS xid))))"
)
WAIT_POLLS = 600
POLL_SECONDS = 0.05


def _older_transactions_ended(conn: Connection) -> bool:
    xid = conn.execute(
        text("SELECT (pg_current_xact_id()::text::bigint % 4294967296)::text")
    ).scalar_one()
    for _ in range(WAIT_POLLS):
        if not conn.execute(_OLDER, {"xid": xid}).scalar_one():
            return True
        conn.execute(text("SELECT pg_sleep(:s)"), {"s": POLL_SECONDS})
    return False
