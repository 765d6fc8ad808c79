"""The review pages' sessions and pending sign-ins, kept in memory.

The same behaviour as `storage.sql.sessions`: a pending sign-in is taken
(removed) by the one transaction that asks for it first.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.exceptions import DuplicateError
from engine.records import PageSession, PendingSignIn
from storage.memory.state import MemoryRows


class SessionMemory(MemoryRows):
    """Sessions of the review pages (`service.api.store.PageSessionRecords`)."""

    def add_page_session(self, session: PageSession, *, idle_before: datetime) -> None:
        self._writing()
        self.s.page_sessions = {
            k: s
            for k, s in self.s.page_sessions.items()
            if s.last_seen_at >= idle_before
        }
        if session.id in self.s.page_sessions:
            raise DuplicateError(f"session {session.id!r} already exists")
        self.s.page_sessions[session.id] = session

    def get_page_session(self, session_id: str) -> PageSession | None:
        return self.s.page_sessions.get(session_id)

    def touch_page_session(self, session_id: str, at: datetime) -> None:
        self._writing()
        session = self.s.page_sessions.get(session_id)
        if session is not None and session.last_seen_at < at:
            self.s.page_sessions[session_id] = replace(session, last_seen_at=at)

    def end_page_session(self, session_id: str) -> bool:
        self._writing()
        return self.s.page_sessions.pop(session_id, None) is not None

    def add_pending_sign_in(
        self, pending: PendingSignIn, *, expire_before: datetime
    ) -> None:
        self._writing()
        self.s.sign_ins = {
            k: p for k, p in self.s.sign_ins.items() if p.created_at >= expire_before
        }
        if pending.state_digest in self.s.sign_ins:
            raise DuplicateError("that sign-in state is in use already")
        self.s.sign_ins[pending.state_digest] = pending

    def take_pending_sign_in(self, state_digest: str) -> PendingSignIn | None:
        self._writing()
        return self.s.sign_ins.pop(state_digest, None)
