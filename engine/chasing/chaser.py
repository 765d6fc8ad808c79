"""The chaser: one sweep fires the next rung of every overdue case's ladder.

A case is overdue when the local date (Europe/Copenhagen) is after its
deadline. `wf_case.chase_due` holds that deadline while a rung is left, and is
indexed, so a sweep reads only overdue cases. Each rung is an audited step by
the `system` actor, written in one transaction with its idempotency row
(`chase`: case, the stay in the state, the rung), the letters it journalises and
the notifications it queues in the outbox. Batches commit one at a time: a
crash loses at most the batch in flight, which the next sweep completes.

After downtime a case past several rungs gets the next rung only, its new
deadline counted from today (`catch_up: next`, the default); `catch_up: each`
fires every missed rung, each counted from when it was due.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import structlog

from engine.audit.chain import seal
from engine.cases.engine import CaseEngine
from engine.chasing.letters import PlainLetters, render_letter
from engine.chasing.recipients import Recipient, recipients_for
from engine.dates.calendars import COPENHAGEN, local_date
from engine.dates.deadlines import chase_due, rung_due
from engine.exceptions import InvalidTimeError
from engine.ports import CaseTransaction, Letters
from engine.records import (
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    Notification,
)
from engine.workflow.definition import (
    CHASE_EVENT,
    SYSTEM_ACTOR,
    State,
    WorkflowDefinition,
)

log = structlog.get_logger()

DEFAULT_BATCH = 100
QUIET_HOURS = (2, 3)  # local time; clocks change at 02:00/03:00 on DST nights


@dataclass(frozen=True, kw_only=True, slots=True)
class ChaseSettings:
    """How the chaser behaves; workflow rules (the ladders) are in the workflows."""

    batch: int = DEFAULT_BATCH
    working_days_only: bool = True  # no chases dated on weekends and holidays
    quiet_hours: tuple[int, int] = QUIET_HOURS
    language: str = "da"
    office: str = "sagsflow"
    webhook_url: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Chased:
    """One rung fired on one case."""

    number: str
    state: str
    rung: str
    due: date  # the deadline that was missed
    new_due: date | None
    working_days_late: int  # after the first working day it could have fired
    notifications: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepResult:
    examined: int
    chased: tuple[Chased, ...]  # every rung fired, if the sweep was to keep them
    skipped: str | None = None  # why the sweep did not run, if it did not
    oldest_due: date | None = None  # the oldest missed deadline it saw
    fired: int = 0  # rungs fired (kept or not)
    notifications: int = 0  # notifications queued by them


@dataclass(kw_only=True, slots=True)
class _Appended:
    """What a batch of chases appends, written together when the batch ends.

    One executemany per table instead of a statement per row. Nothing in the
    batch reads these rows back: a case's next rung (a case far behind gets
    several in one pass) reads the case's documents and history only for the
    letters' inquiry (the last outgoing document before the state was entered)
    and recipients (the people who acted; the system is none of them).
    """

    documents: list[Document] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)

    def write(self, tx: CaseTransaction) -> None:
        tx.add_documents(self.documents)
        added = tx.add_notifications(self.notifications)
        if added != len(self.notifications):  # keys queued before: never twice
            log.warning(
                "notifications_already_queued",
                count=len(self.notifications) - added,
            )
        tx.append_audits(self.entries)


class Chaser:
    """Sweeps overdue cases; safe to run from several processes at once."""

    def __init__(
        self,
        *,
        engine: CaseEngine,
        letters: Letters | None = None,
        settings: ChaseSettings | None = None,
    ) -> None:
        self.engine = engine
        self.letters: Letters = letters or PlainLetters()
        self.settings = settings or ChaseSettings()

    def why_not(self, now: datetime) -> str | None:
        """Why a sweep should not run at `now` (None when it may)."""
        local = now.astimezone(COPENHAGEN)
        start, end = self.settings.quiet_hours
        if start <= local.hour < end:
            return f"quiet hours {start:02d}:00-{end:02d}:00 Copenhagen time"
        reason = self.engine.calendar.closed_reason(local.date())
        if self.settings.working_days_only and reason is not None:
            return f"not a working day ({reason})"
        return None

    def sweep(
        self, now: datetime | None = None, *, force: bool = False, keep: bool = True
    ) -> SweepResult:
        """One pass over every overdue case.

        Args:
            now: the moment to judge (the engine's clock by default).
            force: run even on a closed day or in the quiet hours.
            keep: hold every rung fired in the result (the command line lists
                them). The service wants the counts alone: without keeping,
                a pass over a backlog of any size holds one batch at a time.
        """
        recorded = self.engine.clock.now()
        if now is not None and now > recorded:
            raise InvalidTimeError(
                f"cannot sweep as of {now.isoformat()}: it lies in the future, and "
                "the record holds what has happened"
            )
        now = now or recorded
        skipped = None if force else self.why_not(now)
        if skipped is not None:
            return SweepResult(examined=0, chased=(), skipped=skipped)
        today = local_date(now)
        examined = fired = notifications = 0
        chased: list[Chased] = []
        oldest: date | None = None
        letters = self.letters.pinned()
        while True:
            with self.engine.store.transaction() as tx:
                self.engine.record_rules(tx, None)
                batch = tx.chase_candidates(today, limit=self.settings.batch)
                appended = _Appended()
                done: list[Chased] = []
                for case in batch:
                    if case.chase_due is not None:
                        oldest = min(oldest or case.chase_due, case.chase_due)
                    done.extend(
                        self._chase(tx, case, now, recorded, today, appended, letters)
                    )
                appended.write(tx)
            self.engine.mark_recorded(None)
            examined += len(batch)
            fired += len(done)
            notifications += sum(c.notifications for c in done)
            if keep:
                chased.extend(done)
            if len(batch) < self.settings.batch:
                break
        return SweepResult(
            examined=examined,
            chased=tuple(chased),
            oldest_due=oldest,
            fired=fired,
            notifications=notifications,
        )

    # -- one case ------------------------------------------------------------------
    def _chase(
        self,
        tx: CaseTransaction,
        case: Case,
        at: datetime,
        recorded: datetime,
        today: date,
        appended: _Appended,
        letters: Letters,
    ) -> list[Chased]:
        definition = self.engine.definition_for(
            tx, case.workflow, case.workflow_version
        )
        state = definition.state(case.state)
        rungs = state.ladder.rungs if state.ladder else ()
        fired: list[Chased] = []
        current = case
        while (
            current.chase_due is not None
            and current.chase_due < today
            and current.chase_position < len(rungs)
        ):
            current, done = self._fire_rung(
                tx, definition, state, current, at, recorded, today, appended, letters
            )
            fired.extend(done)
        if current.chase_due is not None and current.chase_position >= len(rungs):
            # The ladder is spent (or the state has none): stop watching the case.
            stopped = replace(current, chase_due=None)
            tx.update_case(stopped, expected_version=current.version)
        return fired

    def _fire_rung(
        self,
        tx: CaseTransaction,
        definition: WorkflowDefinition,
        state: State,
        case: Case,
        at: datetime,
        recorded: datetime,
        today: date,
        appended: _Appended,
        letters: Letters,
    ) -> tuple[Case, list[Chased]]:
        assert state.ladder is not None
        assert case.due is not None
        assert case.id is not None
        calendar = self.engine.calendar
        position = case.chase_position
        rung = state.ladder.rungs[position]
        missed = case.due
        first_day = calendar.add_working_days(missed, 1)
        late = (
            calendar.working_days_between(first_day, today) if today > first_day else 0
        )
        base = today if state.ladder.catch_up == "next" else first_day
        new_due = rung_due(calendar, rung, base)
        seq = case.version + 1
        claimed = tx.record_chase(
            ChaseRecord(
                case_id=case.id,
                entry_seq=case.state_entry_seq,
                rung=rung.name,
                audit_seq=seq,
                due_missed=missed,
                fired_at=recorded,
            )
        )
        after_due = new_due or missed
        after = replace(
            case,
            chase_position=position + 1,
            chase_due=chase_due(state, after_due, position + 1) if new_due else None,
        )
        if not claimed:  # fired before (cannot happen without a crash mid-write)
            tx.update_case(after, expected_version=case.version)
            return after, []
        documents = tx.documents(case.id)
        history = tx.history(case.id)
        context = _letter_context(
            definition,
            state,
            case,
            rung.name,
            position,
            missed,
            new_due,
            late,
            today,
            documents,
            self.settings.office,
        )
        targets = [
            (t, r) for t in rung.notify for r in recipients_for(tx, case, history, t)
        ]
        journalised: list[str] = []
        count = 0
        doc_seq = case.documents_count
        for target, recipient in targets:
            subject, body = render_letter(
                letters,
                workflow=definition.name,
                names=[f"{rung.name}.{target}", rung.name, "notice"],
                language=self.settings.language,
                context={**context, "target": target, "recipient_name": recipient.name},
            )
            if recipient.is_party and recipient.name not in journalised:
                doc_seq += 1
                appended.documents.append(
                    Document(
                        case_id=case.id,
                        seq=doc_seq,
                        number=f"{case.number}-{doc_seq}",
                        title=subject,
                        direction="outgoing",
                        date=today,
                        recorded_at=recorded,
                        event_seq=seq,
                    )
                )
                journalised.append(recipient.name)
            appended.notifications.append(
                self._notification(
                    case, rung.name, target, recipient, subject, body, recorded, context
                )
            )
            count += 1
        webhook = definition.webhook or self.settings.webhook_url
        if webhook:
            count += 1
            appended.notifications.append(
                self._notification(
                    case,
                    rung.name,
                    "webhook",
                    Recipient(
                        channel="webhook",
                        address=webhook,
                        name="webhook",
                        is_party=False,
                    ),
                    f"{case.number}: {rung.name}",
                    "",
                    recorded,
                    context,
                )
            )
        after = replace(
            after,
            version=seq,
            due=after_due,
            calendar=calendar.id,
            documents_count=doc_seq,
            last_event_at=max(case.last_event_at, at),
            updated_at=recorded,
        )
        documents_written = [
            f"{case.number}-{n}" for n in range(case.documents_count + 1, doc_seq + 1)
        ]
        entry = seal(
            AuditEntry(
                case_id=case.id,
                case_number=case.number,
                seq=seq,
                event=CHASE_EVENT,
                from_state=case.state,
                to_state=case.state,
                actor=SYSTEM_ACTOR,
                role=SYSTEM_ACTOR,
                at=max(case.last_event_at, at),
                recorded_at=recorded,
                data={
                    "rung": rung.name,
                    "rung_number": position + 1,
                    "due_missed": missed.isoformat(),
                    "working_days_late": late,
                    "catch_up": state.ladder.catch_up,
                    "notified": list(rung.notify),
                    "documents": documents_written,
                },
                due_before=missed,
                due_after=after_due,
                calendar=calendar.id,
                workflow=case.workflow,
                workflow_version=case.workflow_version,
                document=documents_written[0] if documents_written else None,
            ),
            case.audit_head,
        )
        after = replace(after, audit_head=entry.hash)
        tx.update_case(after, expected_version=case.version)
        appended.entries.append(entry)
        log.info(
            "case_chased",
            case=case.number,
            rung=rung.name,
            due_missed=missed.isoformat(),
            new_due=new_due.isoformat() if new_due else None,
            working_days_late=late,
        )
        chased = Chased(
            number=case.number,
            state=case.state,
            rung=rung.name,
            due=missed,
            new_due=new_due,
            working_days_late=late,
            notifications=count,
        )
        return after, [chased]

    def _notification(
        self,
        case: Case,
        rung: str,
        target: str,
        recipient: Recipient,
        subject: str,
        body: str,
        now: datetime,
        context: dict[str, object],
    ) -> Notification:
        assert case.id is not None
        raw = (
            f"{case.number}/{case.state_entry_seq}/{rung}/{target}/{recipient.address}"
        )
        key = f"{case.number}:{rung}:{hashlib.sha256(raw.encode()).hexdigest()[:16]}"
        payload = {
            k: (v.isoformat() if isinstance(v, date) else v) for k, v in context.items()
        }
        return Notification(
            idempotency_key=key,
            case_id=case.id,
            case_number=case.number,
            channel=recipient.channel,
            recipient=recipient.address,
            kind="letter" if recipient.is_party else "notice",
            subject=subject,
            body=body,
            payload=payload,
            available_at=now,
            created_at=now,
        )


def _letter_context(
    definition: WorkflowDefinition,
    state: State,
    case: Case,
    rung: str,
    position: int,
    missed: date,
    new_due: date | None,
    late: int,
    today: date,
    documents: Sequence[Document],
    office: str,
) -> dict[str, object]:
    sent = [
        d
        for d in documents
        if d.direction == "outgoing" and d.event_seq <= case.state_entry_seq
    ]
    inquiry = sent[-1] if sent else None
    return {
        "case_number": case.number,
        "case_title": case.title,
        "workflow": definition.name,
        "workflow_title": definition.title,
        "state": state.name,
        "rung": rung,
        "rung_number": position + 1,
        "inquiry_date": inquiry.date if inquiry else None,
        "inquiry_document": inquiry.number if inquiry else None,
        "due_missed": missed,
        "new_due": new_due,
        "working_days_late": late,
        "office": office,
        "today": today,
    }
