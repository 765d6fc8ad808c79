"""A case's timeline: its entries, documents, deadlines and reminders in time order.

Built from the record alone (the case's audit entries and documents), so it
shows what the dossier holds:

- an *entry* for every audited step, and a *reminder* for every chase rung
  the chaser fired (a `chase` entry by `system`: which rung, who was told, the
  deadline it missed and the one it set);
- a *document* for every journalised document, just after the step that
  journalised it;
- a *deadline* for every deadline the case had, at the end of its day
  (Copenhagen time), with whether it was met, replaced, missed, or still runs.

Items are ordered by their effective time; a step's recorded time is kept, and
`recorded_apart` says when the two differ (back-dated or imported steps).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.cases.pauses import PAUSED
from engine.dates.calendars import BusinessCalendar, end_of_day, local_date
from engine.dates.deadlines import working_days_overdue
from engine.records import AuditEntry, Document
from engine.workflow.definition import CHASE_EVENT
from service.present import recorded_apart

# Shown elsewhere on the item (or in the case summary), not again as data.
_SHOWN = frozenset({"title", "parties"})


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    kind: str  # audit | reminder | document | deadline
    at: datetime
    recorded_at: datetime | None = None
    seq: int | None = None
    rank: int = 0  # among items at the same instant: steps, documents, deadlines

    @property
    def recorded_apart(self) -> bool:
        return self.recorded_at is not None and recorded_apart(
            self.at, self.recorded_at
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Step(Item):
    entry: AuditEntry
    details: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class Reminder(Item):
    entry: AuditEntry
    rung: str
    rung_number: int
    notified: list[str]
    missed: date
    late: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Journalised(Item):
    document: Document


@dataclass(frozen=True, kw_only=True, slots=True)
class Deadline(Item):
    due: date
    status: str  # met | replaced | missed | running | overdue | paused
    set_by: AuditEntry
    ended_by: AuditEntry | None


def build(
    history: Sequence[AuditEntry],
    documents: Sequence[Document],
    *,
    calendar: BusinessCalendar,
    today: date,
) -> list[Item]:
    """Every item of the case's timeline, in time order."""
    items: list[Item] = [_step(e, calendar) for e in history]
    by_seq = {e.seq: e for e in history}
    for doc in documents:
        entry = by_seq.get(doc.event_seq)
        items.append(
            Journalised(
                kind="document",
                at=entry.at if entry is not None else end_of_day(doc.date),
                recorded_at=doc.recorded_at,
                seq=doc.event_seq,
                rank=1,
                document=doc,
            )
        )
    items.extend(_deadlines(history, today))
    return sorted(items, key=lambda i: (i.at, i.rank, i.seq or 0))


def _step(entry: AuditEntry, calendar: BusinessCalendar) -> Item:
    if entry.event == CHASE_EVENT:
        data = entry.readable
        missed = (
            _date(data.get("due_missed")) or entry.due_before or local_date(entry.at)
        )
        # `working_days_overdue`, as `case show` counts it. Entries before it
        # kept the sweep's lag (`working_days_late`, one less): the figure is
        # counted again from their own deadline and time, never shown as late.
        late = data.get("working_days_overdue")
        notified = data.get("notified")
        return Reminder(
            kind="reminder",
            at=entry.at,
            recorded_at=entry.recorded_at,
            seq=entry.seq,
            entry=entry,
            rung=str(data.get("rung", "")),
            rung_number=int(str(data.get("rung_number", 0))),
            notified=[str(n) for n in notified] if isinstance(notified, list) else [],
            missed=missed,
            late=(
                late
                if isinstance(late, int)
                else working_days_overdue(calendar, missed, entry.at)
            ),
        )
    return Step(
        kind="audit",
        at=entry.at,
        recorded_at=entry.recorded_at,
        seq=entry.seq,
        entry=entry,
        details=[
            (key, _shown(value))
            for key, value in sorted(entry.readable.items())
            if key not in _SHOWN
        ],
    )


def _deadlines(history: Sequence[AuditEntry], today: date) -> list[Item]:
    """Each deadline the case had, from the step that set it to the one that
    replaced it (or none: the case's deadline now)."""
    found: list[Item] = []
    current: tuple[date, AuditEntry] | None = None
    for entry in history:
        due = entry.due_after
        if current is not None and due == current[0]:
            continue
        if current is not None:
            found.append(_deadline(current[0], current[1], entry, today))
        current = (due, entry) if due is not None else None
    if current is not None:
        found.append(_deadline(current[0], current[1], None, today))
    return found


def _deadline(
    due: date, set_by: AuditEntry, ended_by: AuditEntry | None, today: date
) -> Deadline:
    if ended_by is None:
        status = "overdue" if today > due else "running"
    elif PAUSED in ended_by.readable:
        status = "paused"  # its clock stood still (engine.cases.pauses)
    elif local_date(ended_by.at) > due:
        status = "missed"
    elif ended_by.from_state != ended_by.to_state:
        status = "met"  # the case moved on in time
    else:
        status = "replaced"  # extended or re-set in the same state
    return Deadline(
        kind="deadline",
        at=end_of_day(due),
        seq=None,
        rank=2,
        due=due,
        status=status,
        set_by=set_by,
        ended_by=ended_by,
    )


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _shown(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
