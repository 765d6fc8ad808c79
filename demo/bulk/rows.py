"""The rows `demo.bulk.store` writes: a batch of them, and how they are written.

`RowBatch` holds one database transaction's rows with their ids; `write_rows`
inserts them parents first through `Rows`, which runs each table's rows as one
executemany with SQLAlchemy's own bind processors, so what is stored is what
`storage.sql.store`'s statements store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, text
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.records import (
    Absence,
    AccessEntry,
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    JsonDict,
    Notification,
    User,
    UserChange,
)
from storage.sql.mapping import columns_of
from storage.tables import (
    ABSENCES,
    ACCESS,
    AUDIT,
    CALENDARS,
    CASES,
    CHASES,
    DOCUMENTS,
    OUTBOX,
    PERSONAL,
    SEQUENCES,
    SETTINGS,
    USER_CHANGES,
    USERS,
    WORKFLOWS,
)

ID_TABLES = (CASES, AUDIT, DOCUMENTS, OUTBOX, ACCESS, ABSENCES)


@dataclass(slots=True)
class RowBatch:
    """Rows for one database transaction, with their ids (see `write_rows`)."""

    users: list[User] = field(default_factory=list)
    user_changes: list[UserChange] = field(default_factory=list)  # sealed
    absences: list[Absence] = field(default_factory=list)  # ids set
    workflows: list[tuple[str, int, str, str]] = field(default_factory=list)
    calendars: list[tuple[str, JsonDict]] = field(default_factory=list)
    sequences: dict[int, int] = field(default_factory=dict)  # year -> last
    settings: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)  # new, ids set
    audit: list[tuple[int, AuditEntry]] = field(default_factory=list)
    documents: list[tuple[int, Document]] = field(default_factory=list)
    # (case id, commitment, value): kept personal values, each written once
    personal: list[tuple[int, str, object]] = field(default_factory=list)
    chases: list[ChaseRecord] = field(default_factory=list)
    access: list[AccessEntry] = field(default_factory=list)  # ids set
    outbox: list[tuple[int, Notification]] = field(default_factory=list)
    case_updates: list[Case] = field(default_factory=list)
    outbox_updates: list[tuple[int, Notification]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.cases)
            + len(self.audit)
            + len(self.documents)
            + len(self.personal)
            + len(self.chases)
            + len(self.access)
            + len(self.absences)
            + len(self.outbox)
            + len(self.case_updates)
            + len(self.outbox_updates)
        )


def write_rows(rows: Rows, batch: RowBatch) -> None:
    """Insert (and update) `batch`'s rows, parents before children."""
    rows.insert(USERS, [_user_row(u) for u in batch.users])
    rows.insert(USER_CHANGES, [columns_of(c, USER_CHANGES) for c in batch.user_changes])
    rows.insert(ABSENCES, [_row(a, ABSENCES) | {"id": a.id} for a in batch.absences])
    rows.insert(
        WORKFLOWS,
        [
            {"name": n, "version": v, "digest": digest, "text": body}
            for n, v, digest, body in batch.workflows
        ],
    )
    rows.insert(CALENDARS, [{"id": c, "spec": spec} for c, spec in batch.calendars])
    rows.upsert(
        SEQUENCES, "year", [{"year": y, "last": n} for y, n in batch.sequences.items()]
    )
    rows.upsert(
        SETTINGS,
        "key",
        [
            {"key": k, "value": value, "set_at": at}
            for k, (value, at) in batch.settings.items()
        ],
    )
    rows.insert(CASES, [_case_row(c) | {"id": c.id} for c in batch.cases])
    rows.insert(AUDIT, [_audit_row(e) | {"id": i} for i, e in batch.audit])
    rows.insert(DOCUMENTS, [_row(d, DOCUMENTS) | {"id": i} for i, d in batch.documents])
    rows.insert(
        PERSONAL,
        [
            {"case_id": case_id, "commitment": commitment, "value": value}
            for case_id, commitment, value in batch.personal
        ],
    )
    rows.insert(CHASES, [_row(c, CHASES) for c in batch.chases])
    rows.insert(ACCESS, [_row(a, ACCESS) | {"id": a.id} for a in batch.access])
    rows.insert(OUTBOX, [_row(n, OUTBOX) | {"id": i} for i, n in batch.outbox])
    rows.update(CASES, [_case_row(c) | {"id": c.id} for c in batch.case_updates])
    rows.update(OUTBOX, [_row(n, OUTBOX) | {"id": i} for i, n in batch.outbox_updates])


def advance_id_sequences(rows: Rows, next_ids: dict[str, int]) -> None:
    """PostgreSQL: explicit ids leave the id sequences behind; bring them up."""
    for table in ID_TABLES:
        last = next_ids[table.name] - 1
        if last:
            rows.conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                {"t": table.name, "v": last},
            )


class Rows:
    """Many rows at once through the driver's executemany.

    Values go through the bind processors SQLAlchemy uses for these columns
    (JSON text, the UTC datetime type, dates), so what is stored is what the
    `SqlCaseStore`'s own statements store; only the per-row overhead goes.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._many(insert(table), table, rows, list(rows[0]))

    def update(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows by their "id" column."""
        if rows:
            stmt = sql_update(table).where(table.c.id == bindparam("row_id"))
            keys = [k for k in rows[0] if k != "id"]
            named = [{**r, "row_id": r["id"]} for r in rows]
            self._many(stmt, table, named, keys, where={"row_id": table.c.id})

    def upsert(self, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
        postgres = self.dialect.name == "postgresql"
        dialect_insert = pg_insert if postgres else sqlite_insert
        for row in rows:  # a handful: one statement each
            stmt = dialect_insert(table).values(**row)
            self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[key],
                    set_={k: v for k, v in row.items() if k != key},
                )
            )

    def _many(
        self,
        stmt: Any,
        table: Table,
        rows: list[dict[str, Any]],
        keys: list[str],
        where: dict[str, Any] | None = None,
    ) -> None:
        compiled = stmt.compile(dialect=self.dialect, column_keys=keys)
        columns = {k: table.c[k] for k in keys} | (where or {})
        process = {
            name: column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            for name, column in columns.items()
        }
        names = (
            list(compiled.positiontup or ()) if compiled.positional else list(columns)
        )
        params = [
            [process[n](row[n]) if process[n] is not None else row[n] for n in names]
            for row in rows
        ]
        if compiled.positional:
            self.conn.exec_driver_sql(compiled.string, [tuple(p) for p in params])
        else:
            named = [dict(zip(names, p, strict=True)) for p in params]
            self.conn.exec_driver_sql(compiled.string, named)


def _user_row(user: User) -> dict[str, Any]:
    return columns_of(user, USERS) | {"id": user.id, "roles": list(user.roles)}


# -- rows ----------------------------------------------------------------------
# The mapping of storage.sql.store (`_columns`, `_case_columns`, `_audit_columns`),
# with each table's column names looked up once instead of once a row.
_NAMES: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.columns if c.name != "id")
    for t in (CASES, AUDIT, DOCUMENTS, CHASES, ACCESS, OUTBOX, ABSENCES)
}


def _row(record: object, table: Table) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _NAMES[table.name]}


def _case_row(case: Case) -> dict[str, Any]:
    return _row(case, CASES) | {
        "parties": [
            {"role": p.role, "name": p.name, "email": p.email} for p in case.parties
        ],
        "data": dict(case.data),
    }


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return _row(entry, AUDIT) | {"data": dict(entry.data)}
