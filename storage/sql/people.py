"""Users, the users' chain, and the log of reads of personal data, on SQL.

Users as committed are remembered by the store (`UserCache`), since every
transition reads its actor; but a user can change (deactivated, given other
roles), in this process or another. Each change appends to the users' chain,
so the chain's length is the users' version: the first user read of every
transaction reads it (one indexed MAX), and a different length empties the
cache. A change made anywhere is therefore seen by the next transaction of
every process. A user added or changed in this transaction is not
remembered: it may roll back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.exceptions import DuplicateError, UsersChangedError
from engine.records import Absence, AccessEntry, User, UserChange
from storage.sql import statements as stm
from storage.sql.base import STREAM_BATCH, Rows
from storage.sql.mapping import columns_of, record_of, user_of
from storage.tables import ABSENCES, ACCESS, USER_CHANGES, USERS


class UserCache:
    """Users as committed, as of the users' chain length `version`."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.version: int | None = None


class UserRows(Rows):
    """`engine.ports.UserRecords`."""

    _known_users: UserCache  # the store's, shared by its transactions
    _users_checked: bool  # this transaction has compared the cache's version
    _added_users: bool  # this transaction added a user (it may roll back)
    _users: Sequence[User] | None  # every user, read once per transaction

    def _fresh_users(self) -> UserCache:
        cache = self._known_users
        if not self._users_checked:
            self._users_checked = True
            version = int(self.driver.rows(stm.USERS_VERSION, {})[0]["version"])
            if version != cache.version:
                cache.users.clear()
                cache.version = version
        return cache

    def add_user(self, user: User) -> None:
        self._writing()
        if self.get_user(user.id) is not None:
            raise DuplicateError(f"user {user.id!r} already exists")
        self._changed_users()
        self.conn.execute(insert(USERS).values(**_user_columns(user)))

    def update_user(self, user: User) -> None:
        self._writing()
        self._changed_users()
        values = _user_columns(user)
        del values["id"], values["created_at"]
        self.conn.execute(update(USERS).where(USERS.c.id == user.id).values(**values))

    def _changed_users(self) -> None:
        self._users = None
        self._added_users = True
        self._known_users.users.clear()

    def get_user(self, user_id: str) -> User | None:
        cache = self._fresh_users()
        known = cache.users.get(user_id)
        if known is not None:
            return known
        rows = self.driver.rows(stm.USER_BY_ID, {"id": user_id})
        if not rows:
            return None  # not remembered: another process may add them
        user = user_of(rows[0])
        if not self._added_users:  # committed, so it stays as read
            cache.users[user_id] = user
        return user

    def user_by_login(self, login: str) -> User | None:
        row = self.conn.execute(select(USERS).where(USERS.c.login == login)).mappings()
        found = row.first()
        return user_of(found) if found is not None else None

    def append_user_change(self, change: UserChange) -> None:
        self._writing()
        self._changed_users()
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(USER_CHANGES).values(**columns_of(change, USER_CHANGES))
                )
        except IntegrityError:
            raise UsersChangedError() from None

    def user_changes(self, user_id: str | None = None) -> Iterator[UserChange]:
        stmt = select(USER_CHANGES).order_by(USER_CHANGES.c.seq)
        if user_id is not None:
            stmt = stmt.where(USER_CHANGES.c.user_id == user_id)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield record_of(UserChange, row, state=dict(row["state"]))

    def users_head(self) -> tuple[int, str]:
        row = self.conn.execute(
            select(USER_CHANGES.c.seq, USER_CHANGES.c.hash)
            .order_by(USER_CHANGES.c.seq.desc())
            .limit(1)
        ).first()
        return (int(row[0]), str(row[1])) if row is not None else (0, "0" * 64)

    def list_users(self) -> Sequence[User]:
        if self._users is None:
            rows = self.conn.execute(stm.ALL_USERS).mappings()
            self._users = tuple(user_of(r) for r in rows)
        return list(self._users)

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles and u.active]

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


def _user_columns(user: User) -> dict[str, object]:
    return columns_of(user, USERS) | {"id": user.id, "roles": list(user.roles)}
