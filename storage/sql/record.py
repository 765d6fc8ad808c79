"""The record across cases on SQL, and the rules it was written under.

`AuditRows` streams entries for review and verification (a row whose values
no longer read comes as an `UnreadableEntry`, the scan goes on) and counts
new entries for `/metrics` from the primary key's index. `RuleRows` keeps the
workflow declarations and calendars cases ran under.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import cast

from sqlalchemy import func, insert, select, tuple_

from engine.records import AuditEntry, AuditFilter, JsonDict, UnreadableEntry
from storage.sql.base import STREAM_BATCH, Rows
from storage.sql.mapping import audit_of
from storage.tables import AUDIT, CALENDARS, CASES, WORKFLOWS


class AuditRows(Rows):
    """`engine.ports.AuditReads`."""

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        stmt = select(AUDIT).order_by(AUDIT.c.case_id, AUDIT.c.seq)
        if selection.case_number is not None:
            stmt = stmt.where(AUDIT.c.case_number == selection.case_number)
        if selection.actor is not None:
            stmt = stmt.where(AUDIT.c.actor == selection.actor)
        if selection.since is not None:
            stmt = stmt.where(AUDIT.c.at >= selection.since)
        if selection.until is not None:
            stmt = stmt.where(AUDIT.c.at < selection.until)
        for column, wanted in (
            (AUDIT.c.event, selection.event),
            (AUDIT.c.to_state, selection.state),
            (AUDIT.c.workflow, selection.workflow),
            (AUDIT.c.role, selection.role),
        ):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield audit_of(row)

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        after = (0, 0)  # (case_id, seq) of the last row handed out
        order = (AUDIT.c.case_id, AUDIT.c.seq)
        while True:
            stmt = select(AUDIT).where(tuple_(*order) > after).order_by(*order)
            result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
            try:
                for row in result.mappings():
                    entry = audit_of(row)
                    yield entry
                    after = (entry.case_id, entry.seq)
                return
            except (ValueError, TypeError, KeyError) as exc:  # a value that won't read
                result.close()
                bad = self.conn.execute(
                    select(AUDIT.c.case_id, AUDIT.c.case_number, AUDIT.c.seq)
                    .where(tuple_(*order) > after)
                    .order_by(*order)
                    .limit(1)
                ).first()
                if bad is None:
                    raise
                yield UnreadableEntry(
                    case_id=bad[0], case_number=bad[1], seq=bad[2], error=str(exc)
                )
                after = (bad[0], bad[2])

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        stmt = select(
            CASES.c.id, CASES.c.number, CASES.c.version, CASES.c.audit_head
        ).order_by(CASES.c.id)
        result = self.conn.execution_options(yield_per=STREAM_BATCH).execute(stmt)
        for row in result:
            yield (row[0], row[1], row[2], row[3])

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        newest = self.conn.execute(select(func.max(AUDIT.c.id))).scalar_one()
        if newest is None or newest <= after:
            return after, []
        rows = self.conn.execute(
            select(AUDIT.c.workflow, AUDIT.c.event, func.count())
            .where(AUDIT.c.id > after)
            .where(AUDIT.c.id <= newest)
            .group_by(AUDIT.c.workflow, AUDIT.c.event)
            .order_by(AUDIT.c.workflow, AUDIT.c.event)
        )
        return int(cast(int, newest)), [(str(w), str(e), int(n)) for w, e, n in rows]


class RuleRows(Rows):
    """`engine.ports.RuleRecords`."""

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        where = (WORKFLOWS.c.name == name) & (WORKFLOWS.c.version == version)
        stored = self.conn.execute(
            select(WORKFLOWS.c.digest).where(where)
        ).scalar_one_or_none()
        if stored is None:
            self.conn.execute(
                insert(WORKFLOWS).values(
                    name=name, version=version, digest=digest, text=text
                )
            )
            return digest
        return str(stored)

    def workflow_text(self, name: str, version: int) -> str | None:
        where = (WORKFLOWS.c.name == name) & (WORKFLOWS.c.version == version)
        text = self.conn.execute(
            select(WORKFLOWS.c.text).where(where)
        ).scalar_one_or_none()
        return str(text) if text is not None else None

    def workflow_versions(self, name: str) -> Sequence[int]:
        rows = self.conn.execute(
            select(WORKFLOWS.c.version)
            .where(WORKFLOWS.c.name == name)
            .order_by(WORKFLOWS.c.version)
        )
        return [int(v) for (v,) in rows]

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        self.conn.execute(
            self._insert(CALENDARS)
            .values(id=calendar_id, spec=spec)
            .on_conflict_do_nothing()
        )

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        spec = self.conn.execute(
            select(CALENDARS.c.spec).where(CALENDARS.c.id == calendar_id)
        ).scalar_one_or_none()
        return dict(spec) if spec is not None else None
