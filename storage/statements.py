"""The hot path's statements, built once with bound parameters.

A statement built per call (`insert(t).values(**columns)`) costs SQLAlchemy a
coercion of every value and a fresh cache key, which measured as the largest
single cost of a transition (bench W1). These are built at import; executing
one with a dict of parameters reuses its memoised cache key and compiled form.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from storage.tables import AuditRow, CaseRow, CaseSequenceRow, DocumentRow, UserRow


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CASES = _table(CaseRow)
AUDIT = _table(AuditRow)
DOCUMENTS = _table(DocumentRow)
USERS = _table(UserRow)
SEQUENCES = _table(CaseSequenceRow)

# Takes the year's row lock, so numbers stay gap-free across processes.
NEXT_CASE_NUMBER = (
    update(SEQUENCES)
    .where(SEQUENCES.c.year == bindparam("which_year"))
    .values(last=SEQUENCES.c.last + 1)
    .returning(SEQUENCES.c.last)
)

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
USER_BY_ID = select(USERS).where(USERS.c.id == bindparam("id"))


def without_id(columns: dict[str, Any]) -> dict[str, Any]:
    """The columns to SET on an update (the key is in the WHERE)."""
    return {k: v for k, v in columns.items() if k != "id"}
