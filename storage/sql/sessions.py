"""The review pages' rows on SQL: signed-in sessions and pending sign-ins.

The pages own their protocol (`service.api.store.PageSessionRecords`);
`SessionRows` matches it without importing the service.

A pending sign-in is taken with DELETE ... RETURNING: of two callbacks that
bring back one `state` at once, on SQLite (writers serialised by BEGIN
IMMEDIATE) and on PostgreSQL (the second DELETE waits for the first's commit,
then finds no row) exactly one gets the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from engine.exceptions import DuplicateError
from engine.records import PageSession, PendingSignIn
from storage.sql.base import Rows
from storage.sql.mapping import record_of
from storage.tables import PAGE_SESSIONS, PENDING_SIGN_INS


class SessionRows(Rows):
    """Sessions of the review pages and their pending sign-ins."""

    def add_page_session(self, session: PageSession, *, idle_before: datetime) -> None:
        self._writing()
        self.conn.execute(
            delete(PAGE_SESSIONS).where(PAGE_SESSIONS.c.last_seen_at < idle_before)
        )
        try:
            self.conn.execute(
                insert(PAGE_SESSIONS).values(
                    id=session.id,
                    digest=session.digest,
                    user_id=session.user_id,
                    method=session.method,
                    token_id=session.token_id,
                    created_at=session.created_at,
                    last_seen_at=session.last_seen_at,
                )
            )
        except IntegrityError as exc:
            raise DuplicateError(f"session {session.id!r} already exists") from exc

    def get_page_session(self, session_id: str) -> PageSession | None:
        found = (
            self.conn.execute(
                select(PAGE_SESSIONS).where(PAGE_SESSIONS.c.id == session_id)
            )
            .mappings()
            .first()
        )
        return _session(found) if found is not None else None

    def touch_page_session(self, session_id: str, at: datetime) -> None:
        self._writing()
        self.conn.execute(
            update(PAGE_SESSIONS)
            .where(PAGE_SESSIONS.c.id == session_id)
            .where(PAGE_SESSIONS.c.last_seen_at < at)
            .values(last_seen_at=at)
        )

    def end_page_session(self, session_id: str) -> bool:
        self._writing()
        ended = self.conn.execute(
            delete(PAGE_SESSIONS)
            .where(PAGE_SESSIONS.c.id == session_id)
            .returning(PAGE_SESSIONS.c.id)  # psycopg reports no rowcount here
        ).first()
        return ended is not None

    def add_pending_sign_in(
        self, pending: PendingSignIn, *, expire_before: datetime
    ) -> None:
        self._writing()
        self.conn.execute(
            delete(PENDING_SIGN_INS).where(
                PENDING_SIGN_INS.c.created_at < expire_before
            )
        )
        try:
            self.conn.execute(
                insert(PENDING_SIGN_INS).values(
                    state_digest=pending.state_digest,
                    nonce=pending.nonce,
                    verifier=pending.verifier,
                    next_path=pending.next_path,
                    browser_digest=pending.browser_digest,
                    created_at=pending.created_at,
                )
            )
        except IntegrityError as exc:
            raise DuplicateError("that sign-in state is in use already") from exc

    def take_pending_sign_in(self, state_digest: str) -> PendingSignIn | None:
        self._writing()
        taken = (
            self.conn.execute(
                delete(PENDING_SIGN_INS)
                .where(PENDING_SIGN_INS.c.state_digest == state_digest)
                .returning(*PENDING_SIGN_INS.c)
            )
            .mappings()
            .first()
        )
        return _pending(taken) if taken is not None else None


def _session(row: RowMapping) -> PageSession:
    return record_of(PageSession, row)


def _pending(row: RowMapping) -> PendingSignIn:
    return record_of(PendingSignIn, row)
