"""Building one database from several processes: `ShardStore` and `ShardMerger`.

Each worker process runs the engine on a `ShardStore`, a `BulkCaseStore` for
its share of the cases that hands its rows to the parent (`ShardBatch`, one per
simulated day) instead of writing them. The parent's `ShardMerger` merges the
workers' batches of a day and writes them, giving each audit entry, document
and notification the id the single-process build would have given it.

That is possible because every row carries a merge key drawn from the row
itself, which orders rows as one process would have made them:

    (recorded time, 0 for a chase or 1 for any other step, the deadline the
     chase missed, case id)

The chaser sweeps cases in the order of the deadline it chases, then case id;
other steps happen in time order. Two requirements on the caller: case ids
are decided in advance (the order in which cases open, `case_ids`), and steps
at the same moment happen in case id order (demo.simulation does).
A chase's documents and notifications are recognised by (case, recorded
time), so a case must not have a chase and another step at the same instant.

Absences are the office's, not a case's: every worker records all of them, as
one process would (its chaser must know who is away), with the same ids; the
parent writes the first worker's and checks that the others recorded the same.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, func, select

from demo.bulk.rows import (
    ID_TABLES,
    RowBatch,
    Rows,
    advance_id_sequences,
    write_rows,
)
from demo.bulk.store import BulkCaseStore
from engine.records import (
    Absence,
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    Notification,
    NotificationStatus,
    parse_case_number,
)
from storage.database import WRITE_OPTION
from storage.tables import (
    ABSENCES,
    AUDIT,
    CASES,
    DOCUMENTS,
    OUTBOX,
    SEQUENCES,
    WORKFLOWS,
)

Key = tuple[datetime, int, date, int]
_STEP = 1
_CHASE = 0
_NO_DEADLINE = date.min


@dataclass(slots=True)
class ShardBatch:
    """One worker's rows of one period, each with its merge key."""

    cases: list[Case] = field(default_factory=list)  # new, ids decided
    audit: list[tuple[Key, AuditEntry]] = field(default_factory=list)
    documents: list[tuple[Key, Document]] = field(default_factory=list)
    personal: list[tuple[int, str, object]] = field(default_factory=list)  # no id
    chases: list[ChaseRecord] = field(default_factory=list)
    outbox: list[tuple[Key, int, Notification]] = field(default_factory=list)
    workflows: list[tuple[str, int, str, str]] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)  # ids set, as every worker's
    case_updates: list[Case] = field(default_factory=list)
    outbox_updates: list[tuple[int, Notification]] = field(default_factory=list)
    final: bool = False


class ShardStore(BulkCaseStore):
    """A worker's store: the engine's rows go to `emit`, never to the database.

    The database is read once, for the users, workflows, calendars and case
    numbers recorded before the workers started.

    Args:
        engine: the database (read only).
        case_ids: the id of each case number this worker opens.
        emit: receives each `ShardBatch` (`flush`: the caller's period).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        case_ids: Callable[[str], int],
        emit: Callable[[ShardBatch], None],
    ) -> None:
        super().__init__(engine, batch_rows=2**62, with_cases=True)
        self.case_ids = case_ids
        self.emit = emit

    def decided_case_id(self, case: Case) -> int | None:
        return self.case_ids(case.number)

    def record_of(self, case_id: int) -> tuple[list[AuditEntry], list[Document]]:
        # its rows are the parent's, not yet written
        if case_id not in self.state.history:
            raise RuntimeError(
                f"case id {case_id} moved again after it was released; a shard "
                "cannot read its record back"
            )
        return super().record_of(case_id)

    def personal_of(self, case_ids: Sequence[int]) -> dict[int, dict[str, object]]:
        # its own cases' values are the parent's, not yet written; the cases
        # the parent made before the workers started are in the database
        for case_id in case_ids:
            if case_id in self.state.numbers and case_id not in self.state.personal:
                raise RuntimeError(
                    f"case id {case_id} moved again after it was released; a "
                    "shard cannot read its personal values back"
                )
        return super().personal_of(case_ids)

    def forget(self) -> str:
        """A shard writes nothing: the parent's database is the parent's to rewrite."""
        return "nothing to rewrite: a shard writes no rows of its own"

    def flush(self, *, complete: bool = False) -> None:
        """Hand what waits to `emit` (as one batch) instead of writing it."""
        if self.wrote():
            raise RuntimeError("cannot flush in the middle of a transaction")
        rows = self.batch(complete=complete)
        if (
            rows.users
            or rows.user_changes
            or rows.calendars
            or rows.settings
            or (rows.access)
        ):
            raise RuntimeError(
                "a shard adds cases, their records and the office's absences only; "
                "users, calendars, settings and the access log are the parent's"
            )
        chased = {(c.case_id, c.fired_at): c.due_missed for c in rows.chases}

        def key(case_id: int, at: datetime) -> Key:
            missed = chased.get((case_id, at))
            if missed is None:
                return (at, _STEP, _NO_DEADLINE, case_id)
            return (at, _CHASE, missed, case_id)

        self.emit(
            ShardBatch(
                cases=rows.cases,
                audit=[(key(e.case_id, e.recorded_at), e) for _, e in rows.audit],
                documents=[
                    (key(d.case_id, d.recorded_at), d) for _, d in rows.documents
                ],
                personal=rows.personal,
                chases=rows.chases,
                outbox=[(key(n.case_id, n.created_at), i, n) for i, n in rows.outbox],
                workflows=rows.workflows,
                absences=rows.absences,
                case_updates=rows.case_updates,
                outbox_updates=rows.outbox_updates,
                final=complete,
            )
        )
        if complete:
            self.state.dirty_cases.clear()
            self.state.dirty_outbox.clear()
        self._forget()


class ShardMerger:
    """The parent's side: merges the workers' batches and writes them.

    Args:
        engine: the database the workers read (their starting point).
        batch_rows: write when this many rows are waiting.
    """

    def __init__(self, engine: Engine, *, batch_rows: int) -> None:
        self.engine = engine
        self.batch_rows = batch_rows
        self.postgres = engine.dialect.name == "postgresql"
        self.waiting = RowBatch()
        # a notification still pending when sent: (worker, its id) -> row id
        self.pending: dict[tuple[int, int], int] = {}
        with engine.connect() as conn:
            self.next_ids = {
                t.name: int(
                    conn.execute(
                        select(func.coalesce(func.max(t.c.id), 0))
                    ).scalar_one()
                )
                + 1
                for t in ID_TABLES
            }
            self.sequences = dict(
                conn.execute(select(SEQUENCES.c.year, SEQUENCES.c.last)).all()
            )
            self.workflows = {
                (name, version)
                for name, version in conn.execute(
                    select(WORKFLOWS.c.name, WORKFLOWS.c.version)
                )
            }

    def add(self, batches: list[ShardBatch]) -> None:
        """One period's batches, one per worker (index = worker)."""
        rows = self.waiting
        absences = batches[0].absences
        if any(b.absences != absences for b in batches[1:]):
            raise RuntimeError("the workers recorded different absences")
        rows.absences.extend(absences)
        for absence in absences:
            self.next_ids[ABSENCES.name] = (absence.id or 0) + 1
        for batch in batches:
            rows.cases.extend(batch.cases)
            rows.personal.extend(batch.personal)
            rows.chases.extend(batch.chases)
            rows.case_updates.extend(batch.case_updates)
            for name, version, digest, text in batch.workflows:
                if (name, version) not in self.workflows:
                    self.workflows.add((name, version))
                    rows.workflows.append((name, version, digest, text))
            for case in batch.cases:
                case_id = case.id or 0
                if case_id >= self.next_ids[CASES.name]:  # ids decided by workers
                    self.next_ids[CASES.name] = case_id + 1
                year, seq = parse_case_number(case.number)
                if seq > self.sequences.get(year, 0):
                    self.sequences[year] = seq
                    rows.sequences[year] = seq
        for _, entry in _merged([b.audit for b in batches]):
            rows.audit.append((self._take(AUDIT.name), entry))
        for _, document in _merged([b.documents for b in batches]):
            rows.documents.append((self._take(DOCUMENTS.name), document))
        for worker, (_, local, note) in _merged_with_source(
            [b.outbox for b in batches]
        ):
            row_id = self._take(OUTBOX.name)
            rows.outbox.append((row_id, note))
            if note.status == NotificationStatus.PENDING:
                self.pending[worker, local] = row_id
        for worker, batch in enumerate(batches):
            for local, note in batch.outbox_updates:
                rows.outbox_updates.append((self.pending[worker, local], note))
        if len(rows) >= self.batch_rows:
            self.write()

    def write(self, *, complete: bool = False) -> None:
        """Write what waits in one transaction (`complete`: and the id sequences)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                rows = Rows(conn)
                write_rows(rows, self.waiting)
                if complete and self.postgres:
                    advance_id_sequences(rows, self.next_ids)
        self.waiting = RowBatch()

    def _take(self, table: str) -> int:
        row_id = self.next_ids[table]
        self.next_ids[table] = row_id + 1
        return row_id


def _merged(streams: Iterable[list[tuple[Key, Any]]]) -> Iterable[tuple[Key, Any]]:
    return heapq.merge(*streams, key=itemgetter(0))


def _merged_with_source(
    streams: list[list[tuple[Key, int, Notification]]],
) -> Iterable[tuple[int, tuple[Key, int, Notification]]]:
    tagged = [
        [(item[0], worker, item) for item in s] for worker, s in enumerate(streams)
    ]
    for _, worker, item in heapq.merge(*tagged, key=itemgetter(0)):
        yield worker, item


__all__ = ["Key", "ShardBatch", "ShardMerger", "ShardStore"]
