"""The chaser: one sweep fires the next rung of every overdue case's ladder.

A case is overdue when the local date (Europe/Copenhagen) is after its
deadline. `wf_case.chase_due` holds that deadline while a rung is left, and is
indexed, so a sweep reads only overdue cases. Each rung is an audited step by
the `system` actor (written by the one audited write, `engine.cases.recorder`),
in one transaction with its idempotency row (`chase`: case, the stay in the
state, the rung), the letters it journalises and the notifications it queues
in the outbox. Batches commit one at a time: a crash loses at most the batch in
flight, which the next sweep completes. A rung's `case_chased` line for the
operator is logged once its batch has committed, never for a rolled-back one.

After downtime a case past several rungs gets the next rung only, its new
deadline counted from today (`catch_up: next`, the default); `catch_up: each`
fires every missed rung, each counted from when it was due. The entry records
`working_days_overdue` as `case show` counts it; older entries hold the sweep's
lag, `working_days_late` (now `chaser_lag_working_days`, in results and logs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

import structlog

from engine.cases.letters import LetterSources
from engine.cases.recorder import Change, next_document_numbers, record
from engine.cases.rules import RuleBook
from engine.chasing.letters import BatchLetters, PlainLetters
from engine.chasing.notices import Missed, Writing, rung_messages
from engine.chasing.results import Chased, SweepResult
from engine.clock import Clock
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.dates.deadlines import chase_due, rung_due, working_days_overdue
from engine.exceptions import InvalidTimeError
from engine.ports import ChaseTransaction, Letters, Store
from engine.ports.documents import ContentRecords
from engine.records import AuditEntry, Case, ChaseRecord, Document, Notification
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


@dataclass(kw_only=True, slots=True)
class _Batch:
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
    contents: list[tuple[str, bytes]] = field(default_factory=list)

    def add_document(self, document: Document) -> None:
        self.documents.append(document)

    def add_content(self, sha256: str, data: bytes) -> None:
        self.contents.append((sha256, data))

    def append_audit(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def write(self, tx: ChaseTransaction) -> None:
        if self.contents:
            assert isinstance(tx, ContentRecords)  # letters only where kept
            tx.put_contents(self.contents)
        tx.add_documents(self.documents)
        added = tx.add_notifications(self.notifications)
        if added != len(self.notifications):  # keys queued before: never twice
            log.warning(
                "notifications_already_queued",
                count=len(self.notifications) - added,
            )
        tx.append_audits(self.entries)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Sweep:
    """One batch of one sweep: where it writes, as of when, with which letters."""

    tx: ChaseTransaction
    at: datetime  # the moment judged (`--now`), the rung's effective time
    recorded: datetime  # the clock's time, when the rung is recorded
    today: date  # the local date at `at`
    batch: _Batch
    letters: Letters
    sources: LetterSources | None


class Chaser:
    """Sweeps overdue cases; safe to run from several processes at once."""

    def __init__(
        self,
        *,
        store: Store[ChaseTransaction],
        clock: Clock,
        calendar: BusinessCalendar,
        rules: RuleBook,
        letters: Letters | None = None,
        settings: ChaseSettings | None = None,
        sources: LetterSources | None = None,
    ) -> None:
        """`letters` write the e-mails; `sources` the letters to parties as
        journalised and rendered (`engine.cases.letters`), where the office
        has them."""
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.rules = rules
        self.letters: Letters = letters or PlainLetters()
        self.settings = settings or ChaseSettings()
        self.sources = sources

    def why_not(self, now: datetime) -> str | None:
        """Why a sweep should not run at `now` (None when it may)."""
        local = now.astimezone(COPENHAGEN)
        start, end = self.settings.quiet_hours
        if start <= local.hour < end:
            return f"quiet hours {start:02d}:00-{end:02d}:00 Copenhagen time"
        reason = self.calendar.closed_reason(local.date())
        if self.settings.working_days_only and reason is not None:
            return f"not a working day ({reason})"
        return None

    def sweep(
        self, now: datetime | None = None, *, force: bool = False, keep: bool = True
    ) -> SweepResult:
        """One pass over every overdue case.

        Args:
            now: the moment to judge (the clock's by default).
            force: run even on a closed day or in the quiet hours.
            keep: hold every rung fired in the result (the command line lists
                them). The service wants the counts alone: without keeping,
                a pass over a backlog of any size holds one batch at a time.
        """
        recorded = self.clock.now()
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
        sources = self.sources.pinned() if self.sources else None
        while True:
            with self.store.transaction() as tx:
                self.rules.record(tx, None)
                cases = tx.chase_candidates(today, limit=self.settings.batch)
                sweep = _Sweep(
                    tx=tx,
                    at=now,
                    recorded=recorded,
                    today=today,
                    batch=_Batch(),
                    letters=BatchLetters(letters),
                    sources=sources,
                )
                done: list[Chased] = []
                for case in cases:
                    if case.chase_due is not None:
                        oldest = min(oldest or case.chase_due, case.chase_due)
                    done.extend(self._chase(sweep, case))
                sweep.batch.write(tx)
            # Committed: only now did the chases happen (a batch rolled back or a
            # sweep killed before its commit logs none).
            for one in done:
                _log_chased(one)
            self.rules.mark_recorded(None)
            examined += len(cases)
            fired += len(done)
            notifications += sum(c.notifications for c in done)
            if keep:
                chased.extend(done)
            if len(cases) < self.settings.batch:
                break
        return SweepResult(
            examined=examined,
            chased=tuple(chased),
            oldest_due=oldest,
            fired=fired,
            notifications=notifications,
        )

    # -- one case ------------------------------------------------------------------
    def _chase(self, sweep: _Sweep, case: Case) -> list[Chased]:
        definition = self.rules.definition_for(
            sweep.tx, case.workflow, case.workflow_version
        )
        state = definition.state(case.state)
        rungs = state.ladder.rungs if state.ladder else ()
        fired: list[Chased] = []
        current = case
        while (
            current.chase_due is not None
            and current.chase_due < sweep.today
            and current.chase_position < len(rungs)
        ):
            missed = self._missed(state, current, sweep)
            claimed = self._claim(sweep, state, current, missed)
            if claimed is not None:  # fired before (only after a crash mid-write)
                current = claimed
                continue
            current, done = self._fire(sweep, definition, state, current, missed)
            fired.append(done)
        if current.chase_due is not None and current.chase_position >= len(rungs):
            # The ladder is spent (or the state has none): stop watching the case.
            stopped = replace(current, chase_due=None)
            sweep.tx.update_case(stopped, expected_version=current.version)
        return fired

    def _missed(self, state: State, case: Case, sweep: _Sweep) -> Missed:
        """The deadline the next rung answers, how overdue (as `case show` counts
        it, at the chase's `at`), the sweep's lag, and the rung's own deadline."""
        today = sweep.today
        assert state.ladder is not None
        assert case.due is not None
        position = case.chase_position
        first_day = self.calendar.add_working_days(case.due, 1)
        lag = self.calendar.working_days_between(first_day, today)
        base = today if state.ladder.catch_up == "next" else first_day
        new_due = rung_due(self.calendar, state.ladder.rungs[position], base)
        return Missed(
            due=case.due,
            new_due=new_due,
            working_days_overdue=working_days_overdue(
                self.calendar, case.due, max(case.last_event_at, sweep.at)
            ),
            chaser_lag_working_days=lag,
            position=position,
        )

    def _moved_on(
        self, state: State, case: Case, missed: Missed, **more: object
    ) -> Case:
        """The case past the rung, watched for the next; `more` in the same copy."""
        after_due = missed.new_due or missed.due
        position = missed.position + 1
        return replace(
            case,
            chase_position=position,
            chase_due=chase_due(state, after_due, position) if missed.new_due else None,
            **more,  # type: ignore[arg-type]
        )

    def _claim(
        self, sweep: _Sweep, state: State, case: Case, missed: Missed
    ) -> Case | None:
        """Claim the rung for this stay; None when the claim is ours.

        A rung claimed before (a crash between the claim and the commit cannot
        leave one, but another process's sweep can) is passed over: the case is
        moved on and returned.
        """
        assert state.ladder is not None
        assert case.id is not None
        claimed = sweep.tx.record_chase(
            ChaseRecord(
                case_id=case.id,
                entry_seq=case.state_entry_seq,
                rung=state.ladder.rungs[missed.position].name,
                audit_seq=case.version + 1,
                due_missed=missed.due,
                fired_at=sweep.recorded,
            )
        )
        if claimed:
            return None
        after = self._moved_on(state, case, missed)
        sweep.tx.update_case(after, expected_version=case.version)
        return after

    def _fire(
        self,
        sweep: _Sweep,
        definition: WorkflowDefinition,
        state: State,
        case: Case,
        missed: Missed,
    ) -> tuple[Case, Chased]:
        """Send the rung's letters and record it as the system's step."""
        assert state.ladder is not None
        assert case.id is not None
        rung = state.ladder.rungs[missed.position]
        at = max(case.last_event_at, sweep.at)
        owner = sweep.tx.get_user(case.owner) if case.owner else None
        writing = Writing(
            letters=sweep.letters,
            sources=sweep.sources,
            at=at,
            caseworker=(owner.name or owner.id) if owner else "",
        )
        messages = rung_messages(
            sweep.tx,
            writing,
            definition=definition,
            state=state,
            rung=rung,
            case=case,
            missed=missed,
            documents=sweep.tx.documents(case.id),
            history=sweep.tx.history(case.id),
            today=sweep.today,
            recorded=sweep.recorded,
            language=self.settings.language,
            office=self.settings.office,
            webhook=definition.webhook or self.settings.webhook_url,
        )
        sweep.batch.notifications.extend(messages.notifications)
        written = next_document_numbers(case, len(messages.journal))
        due = missed.new_due or missed.due
        after = self._moved_on(
            state, case, missed, due=due, calendar=self.calendar.id, last_event_at=at
        )
        change = Change(
            event=CHASE_EVENT,
            actor=SYSTEM_ACTOR,
            role=SYSTEM_ACTOR,
            at=at,
            data={
                "rung": rung.name,
                "rung_number": missed.position + 1,
                "due_missed": missed.due.isoformat(),
                "working_days_overdue": missed.working_days_overdue,
                "catch_up": state.ladder.catch_up,
                "notified": list(rung.notify),
                "documents": written,
            },
            personal=definition.personal_fields,
            workflow_digest=definition.digest,
        )
        after = record(
            sweep.tx,
            case,
            after,
            change,
            recorded_at=sweep.recorded,
            journal=messages.journal,
            sink=sweep.batch,
        )
        chased = Chased(
            number=case.number,
            state=case.state,
            rung=rung.name,
            due=missed.due,
            new_due=missed.new_due,
            working_days_overdue=missed.working_days_overdue,
            chaser_lag_working_days=missed.chaser_lag_working_days,
            notifications=len(messages.notifications),
        )
        return after, chased


def _log_chased(chased: Chased) -> None:
    """The operator's line for a rung fired, once its batch has committed."""
    log.info(
        "case_chased",
        case=chased.number,
        rung=chased.rung,
        due_missed=chased.due.isoformat(),
        new_due=chased.new_due.isoformat() if chased.new_due else None,
        working_days_overdue=chased.working_days_overdue,
        chaser_lag_working_days=chased.chaser_lag_working_days,
    )
