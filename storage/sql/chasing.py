"""What the chaser reads and claims on SQL: overdue cases, fired rungs.

Overdue cases are read through the index on `chase_due`, so the cost follows
the overdue cases, not all cases. On PostgreSQL a sweep's candidates are
locked `FOR UPDATE SKIP LOCKED`, so workers sweep apart; on SQLite writers are
serialised by `BEGIN IMMEDIATE` instead. A rung is claimed by inserting its
`chase` row: a second claim of one (case, stay, rung) inserts nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import func, select

from engine.records import Case, ChaseRecord, OverdueCase
from storage.sql import statements as stm
from storage.sql.base import Rows
from storage.sql.mapping import case_of, columns_of
from storage.tables import CASES, CHASES, SETTINGS


class ChaseRows(Rows):
    """`engine.ports.ChaseRecords`."""

    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        stmt = (
            select(CASES)
            .where(CASES.c.chase_due < before)
            .order_by(CASES.c.chase_due, CASES.c.id)
            .limit(limit)
        )
        if self.postgres:  # SQLite serialises writers with BEGIN IMMEDIATE instead
            stmt = stmt.with_for_update(skip_locked=True)
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        rows = self.driver.tuples(
            stm.OVERDUE, {"before": before, "limit": limit, "offset": offset}
        )
        make = OverdueCase._make  # the row's columns are its fields, in order
        return [make(row) for row in rows]

    def count_overdue(self, before: date) -> int:
        return int(
            self.conn.execute(stm.COUNT_OVERDUE, {"before": before}).scalar_one()
        )

    def record_chase(self, chase: ChaseRecord) -> bool:
        self._writing()
        # RETURNING yields the row only when it was inserted, not on a conflict.
        inserted = self.driver.rows(
            stm.INSERT_CHASE[self.dialect], columns_of(chase, CHASES), stm.CHASE_KEYS
        )
        return bool(inserted)

    def oldest_chase_due(self) -> date | None:
        value = self.conn.execute(select(func.min(CASES.c.chase_due))).scalar_one()
        return cast(date | None, value)


class SettingRows(Rows):
    """`engine.ports.DatabaseSettings`: facts about the database (`db_setting`)."""

    def get_setting(self, key: str) -> str | None:
        value = self.conn.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.key == key)
        ).scalar_one_or_none()
        return str(value) if value is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        self.conn.execute(
            self._insert(SETTINGS)
            .values(key=key, value=value, set_at=at)
            .on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "set_at": at}
            )
        )
