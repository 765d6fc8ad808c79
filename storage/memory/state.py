"""The in-memory store's state, and what every part of a transaction shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.records import (
    Absence,
    AccessEntry,
    ApiToken,
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    IdempotencyRecord,
    JsonDict,
    Notification,
    PageSession,
    PendingSignIn,
    User,
    UserChange,
)


@dataclass
class MemoryState:
    cases: dict[str, Case] = field(default_factory=dict)
    audit: dict[int, list[AuditEntry]] = field(default_factory=dict)
    documents: dict[int, list[Document]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    user_changes: list[UserChange] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)
    sequences: dict[int, int] = field(default_factory=dict)
    workflows: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    calendars: dict[str, JsonDict] = field(default_factory=dict)
    chases: dict[tuple[int, int, str], ChaseRecord] = field(default_factory=dict)
    outbox: dict[int, Notification] = field(default_factory=dict)
    access: list[AccessEntry] = field(default_factory=list)
    # the HTTP API's tokens and idempotency keys; (workflow, event) of each entry
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    # the review pages' sessions, and their sign-ins by the state's digest
    page_sessions: dict[str, PageSession] = field(default_factory=dict)
    sign_ins: dict[str, PendingSignIn] = field(default_factory=dict)
    audit_order: list[tuple[str, str]] = field(default_factory=list)
    settings: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    personal: dict[int, dict[str, object]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)  # by SHA-256
    next_id: int = 1


class MemoryRows:
    """A transaction's view of the state: a private copy while writing."""

    def __init__(self, state: MemoryState, *, writable: bool) -> None:
        self.s = state
        self.writable = writable

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")
