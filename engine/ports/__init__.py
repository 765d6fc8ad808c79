"""The storage protocols the engine needs and `storage/` implements.

A store hands out transactions; everything written in one transaction is
committed together or not at all. The transaction's methods are grouped by the
role they serve, one protocol each, and every part of the engine asks for the
roles it uses and no more:

    CaseRecords      one case: its row, journal and hash-chained entries
    CaseListing      many cases: listings, their records, counts
    AuditReads       the record across cases: review, verification, metrics
    PersonalRecords  personal values kept apart from the record, and erased
    RuleRecords      the declarations and calendars cases ran under
    CaseSearch       cases found by number, title words and names
    UserRecords      users and their roles
    AccessLog        who read personal data
    ChaseRecords     overdue cases and the rungs fired on them
    OutboxRecords    messages waiting, sent or failed
    DatabaseSettings facts about the database itself

    EngineTransaction = the first eight: what `CaseEngine` uses
    ChaseTransaction  = one case's records, rules, users, chasing, the outbox
    CaseTransaction   = all of them: what a full store (SQL, memory) offers

Implementations raise the engine's errors: `CaseNotFoundError`,
`ConcurrentUpdateError` (an update whose expected version is stale, or a second
audit entry with the same (case, seq)), `DuplicateError`, and `StorageError`
for anything else, with the driver error as `__cause__`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from engine.ports.cases import (
    AuditReads,
    CaseListing,
    CaseRecords,
    PersonalRecords,
    RuleRecords,
)
from engine.ports.chasing import ChaseRecords
from engine.ports.letters import Letters
from engine.ports.outbox import Channel, OutboxRecords
from engine.ports.people import AccessLog, UserRecords
from engine.ports.search import CaseSearch
from engine.ports.settings import DatabaseSettings

__all__ = [
    "AccessLog",
    "AuditReads",
    "CaseListing",
    "CaseRecords",
    "CaseSearch",
    "CaseStore",
    "CaseTransaction",
    "Channel",
    "ChaseRecords",
    "ChaseTransaction",
    "DatabaseSettings",
    "EngineTransaction",
    "Letters",
    "OutboxRecords",
    "PersonalRecords",
    "RuleRecords",
    "Store",
    "UserRecords",
]

T_co = TypeVar("T_co", covariant=True)


class Store(Protocol[T_co]):
    """Hands out units of work whose transactions play the roles `T_co`."""

    def transaction(self, *, write: bool = True) -> AbstractContextManager[T_co]:
        """A unit of work; commits on normal exit, rolls back on an exception.

        A read transaction (`write=False`) refuses writes; on PostgreSQL it
        reads one snapshot throughout.
        """
        ...


class EngineTransaction(
    CaseRecords,
    CaseListing,
    AuditReads,
    PersonalRecords,
    RuleRecords,
    CaseSearch,
    UserRecords,
    AccessLog,
    Protocol,
):
    """What `CaseEngine` reads and writes."""


class ChaseTransaction(
    CaseRecords, RuleRecords, UserRecords, ChaseRecords, OutboxRecords, Protocol
):
    """What a sweep reads and writes: cases, their rules and people, the outbox."""


class CaseTransaction(EngineTransaction, ChaseTransaction, DatabaseSettings, Protocol):
    """Every role: what a full store (SQL, in memory) offers."""


class CaseStore(Store[CaseTransaction], Protocol):
    """A full store, which can also rewrite what erased rows left behind."""

    def forget(self) -> str:
        """Make the bytes of erased rows go from the database's files (outside
        any transaction); returns what was done, or what an operator must do."""
        ...
