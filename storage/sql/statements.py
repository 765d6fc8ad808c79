"""The hot path's statements, built once with bound parameters.

A statement built per call (`insert(t).values(**columns)`) costs SQLAlchemy a
coercion of every value and a fresh cache key, which measured as the largest
single cost of a transition (bench W1). These are built at import; executing
one with a dict of parameters reuses its memoised cache key and compiled form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.tables import (
    AUDIT,
    CASES,
    CHASES,
    DOCUMENTS,
    OUTBOX,
    SEQUENCES,
    USER_CHANGES,
    USERS,
)

# Takes the year's row lock, so numbers stay gap-free across processes.
NEXT_CASE_NUMBER = (
    update(SEQUENCES)
    .where(SEQUENCES.c.year == bindparam("which_year"))
    .values(last=SEQUENCES.c.last + 1)
    .returning(SEQUENCES.c.last)
)

# The columns a whole-row write names (all but the key the database assigns).
CASE_KEYS = tuple(c.name for c in CASES.columns if c.name != "id")
AUDIT_KEYS = tuple(c.name for c in AUDIT.columns if c.name != "id")
DOCUMENT_KEYS = tuple(c.name for c in DOCUMENTS.columns if c.name != "id")
CHASE_KEYS = tuple(c.name for c in CHASES.columns if c.name != "id")
OUTBOX_KEYS = tuple(c.name for c in OUTBOX.columns if c.name != "id")
UPDATE_CASE_KEYS = (*CASE_KEYS, "where_id", "where_version")

INSERT_CASE = insert(CASES).returning(CASES.c.id)
CASE_BY_NUMBER = select(CASES).where(CASES.c.number == bindparam("number"))
CASE_BY_NUMBER_FOR_UPDATE = CASE_BY_NUMBER.with_for_update()
# The SET list comes from the parameters' keys; the WHERE has names of its own
# (a bound parameter may not share its name with a column being set).
UPDATE_CASE = (
    update(CASES)
    .where(CASES.c.id == bindparam("where_id"))
    .where(CASES.c.version == bindparam("where_version"))
)
CASE_VERSION = select(CASES.c.version).where(CASES.c.id == bindparam("id"))
INSERT_AUDIT = insert(AUDIT)
INSERT_DOCUMENT = insert(DOCUMENTS)
HISTORY = (
    select(AUDIT).where(AUDIT.c.case_id == bindparam("case_id")).order_by(AUDIT.c.seq)
)
DOCUMENTS_OF_CASE = (
    select(DOCUMENTS)
    .where(DOCUMENTS.c.case_id == bindparam("case_id"))
    .order_by(DOCUMENTS.c.seq)
)
# Records of many cases at once (a listing's page, a report's batch), in order
# of case and seq; `ids` expands to one IN list.
HISTORIES = (
    select(AUDIT)
    .where(AUDIT.c.case_id.in_(bindparam("ids", expanding=True)))
    .order_by(AUDIT.c.case_id, AUDIT.c.seq)
)
DOCUMENTS_OF_CASES = (
    select(DOCUMENTS)
    .where(DOCUMENTS.c.case_id.in_(bindparam("ids", expanding=True)))
    .order_by(DOCUMENTS.c.case_id, DOCUMENTS.c.seq)
)
USER_BY_ID = select(USERS).where(USERS.c.id == bindparam("id"))
ALL_USERS = select(USERS).order_by(USERS.c.id)
# The users' version: the length of their chain (storage/sql/people.py).
USERS_VERSION = select(func.coalesce(func.max(USER_CHANGES.c.seq), 0).label("version"))

_OVERDUE_WHERE = CASES.c.chase_due < bindparam("before")
# OverdueCase's fields, in this order: the store unpacks each row's tuple.
OVERDUE = (
    select(
        CASES.c.id,
        CASES.c.number,
        CASES.c.workflow,
        CASES.c.workflow_version,
        CASES.c.state,
        CASES.c.title,
        CASES.c.due,
        CASES.c.chase_due,
        CASES.c.chase_position,
    )
    .where(_OVERDUE_WHERE)
    .order_by(CASES.c.chase_due, CASES.c.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
COUNT_OVERDUE = select(func.count()).select_from(CASES).where(_OVERDUE_WHERE)

# Insert-if-absent, one per dialect; RETURNING because psycopg reports no
# rowcount after ON CONFLICT DO NOTHING. Keyed by "postgresql" / "sqlite".
INSERT_CHASE = {
    "postgresql": pg_insert(CHASES)
    .on_conflict_do_nothing()
    .returning(CHASES.c.case_id),
    "sqlite": sqlite_insert(CHASES)
    .on_conflict_do_nothing()
    .returning(CHASES.c.case_id),
}
# A key queued before inserts nothing: the rows changed count what was queued.
INSERT_NOTIFICATION = {
    "postgresql": pg_insert(OUTBOX).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    ),
    "sqlite": sqlite_insert(OUTBOX).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    ),
}


def without_id(columns: dict[str, Any]) -> dict[str, Any]:
    """The columns to SET on an update (the key is in the WHERE)."""
    return {k: v for k, v in columns.items() if k != "id"}
