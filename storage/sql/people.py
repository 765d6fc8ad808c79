"""Users and the log of reads of personal data, on SQL.

Users as committed are remembered for the store's life (`known_users`): a
user is never changed or removed once added, and every transition reads its
actor. One added in this transaction is not remembered: it may roll back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select

from engine.exceptions import DuplicateError
from engine.records import Absence, AccessEntry, User
from storage.sql import statements as stm
from storage.sql.base import STREAM_BATCH, Rows
from storage.sql.mapping import columns_of, record_of, user_of
from storage.tables import ABSENCES, ACCESS, USERS


class UserRows(Rows):
    """`engine.ports.UserRecords`."""

    _known_users: dict[str, User]  # the store's, shared by its transactions
    _added_users: bool  # this transaction added a user (it may roll back)
    _users: Sequence[User] | None  # every user, read once per transaction

    def add_user(self, user: User) -> None:
        self._writing()
        if self.get_user(user.id) is not None:
            raise DuplicateError(f"user {user.id!r} already exists")
        self._users = None
        self._added_users = True
        self.conn.execute(
            insert(USERS).values(
                id=user.id,
                roles=list(user.roles),
                email=user.email,
                created_at=user.created_at,
            )
        )

    def get_user(self, user_id: str) -> User | None:
        known = self._known_users.get(user_id)
        if known is not None:
            return known
        rows = self.driver.rows(stm.USER_BY_ID, {"id": user_id})
        if not rows:
            return None  # not remembered: another process may add them
        user = user_of(rows[0])
        if not self._added_users:  # committed, so it stays as read
            self._known_users[user_id] = user
        return user

    def list_users(self) -> Sequence[User]:
        if self._users is None:
            rows = self.conn.execute(stm.ALL_USERS).mappings()
            self._users = tuple(user_of(r) for r in rows)
        return list(self._users)

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles]

    def add_absence(self, absence: Absence) -> None:
        self._writing()
        self.conn.execute(insert(ABSENCES).values(**columns_of(absence, ABSENCES)))

    def absences(self, user_id: str | None = None) -> Sequence[Absence]:
        stmt = select(ABSENCES).order_by(
            ABSENCES.c.user_id, ABSENCES.c.starts, ABSENCES.c.id
        )
        if user_id is not None:
            stmt = stmt.where(ABSENCES.c.user_id == user_id)
        return [record_of(Absence, r) for r in self.conn.execute(stmt).mappings()]


class AccessRows(Rows):
    """`engine.ports.AccessLog`."""

    def record_access(self, entry: AccessEntry) -> None:
        self._writing()
        self.conn.execute(insert(ACCESS).values(**columns_of(entry, ACCESS)))

    def access_entries(
        self, *, case_number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        stmt = select(ACCESS).order_by(ACCESS.c.at, ACCESS.c.id)
        if case_number is not None:
            stmt = stmt.where(ACCESS.c.case_number == case_number)
        if actor is not None:
            stmt = stmt.where(ACCESS.c.actor == actor)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield record_of(AccessEntry, row)

    def purge_access(self, before: datetime) -> int:
        self._writing()
        result = self.conn.execute(delete(ACCESS).where(ACCESS.c.at < before))
        return int(result.rowcount)
