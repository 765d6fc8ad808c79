"""`sagsflow serve`: the timer, a database that goes away, SIGTERM, and SIGKILL.

The in-process tests build a `Service` over a SQLite file. The timer test runs
`service.serve.run` on the real clock (APScheduler schedules by it); `run`
installs signal handlers, which Python allows only in the main thread, so the
test calls it there and a watcher thread sets `stop` once a recording channel
has delivered. The database test drives `sweep_pass` by hand on a FakeClock,
so the backoff runs out because the test moves the clock.

The process tests start the real `sagsflow serve --interval 0.2` console
script on a SQLite file, with a real aiosmtpd server on 127.0.0.1, and read
its JSON log lines (stderr) through a reader thread and a queue. They wait on
that queue, on the SMTP server's condition variable or on the process, each
with a timeout; nothing sleeps. The service reads the real clock, so the cases
are back-dated to 2024 and the sweep is told to run on any day and hour
(`SAGSFLOW_SWEEP_CLOSED_DAYS=1`, `SAGSFLOW_QUIET_HOURS=none`).

Logs are read as rendered JSON (`configure_logging` into a StringIO), not with
`capture_logs`: module loggers cached by earlier in-process CLI tests bypass
`capture_logs` but still reach the stdlib root handler.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.chasing.dispatcher import Dispatcher
from engine.clock import SystemClock
from engine.dates.timeparse import parse_instant
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from service.channels import message_id
from service.serve import Service, run
from storage import SqlCaseStore
from tests.processes import WAIT_S
from tests.service.serving import (
    ANY_DAY,
    FOUNDING,
    LEASE_BATCH,
    MAILS_PER_CASE,
    USERS,
    Inbox,
    JsonLog,
    RecordingChannel,
    case_engine,
    chases_per_case,
    cli,
    founding_record,
    inquiry_record,
    names,
    new_database,
    query,
    scalar,
    service_environment,
    serving,
)


# -- 1. the timer, in-process ------------------------------------------------------
def test_the_timer_chases_and_delivers_then_stops_when_asked(
    tmp_path: Path, registry: WorkflowRegistry, json_log: JsonLog
) -> None:
    db_path = tmp_path / "sagsflow.db"
    new_database(db_path, [founding_record()], registry)
    engine = case_engine(f"sqlite:///{db_path}", registry, SystemClock())
    outbox = RecordingChannel(expected=MAILS_PER_CASE)
    service = Service(
        chaser=chaser_for(engine, settings=ANY_DAY),
        dispatcher=Dispatcher(
            store=engine.store,
            clock=engine.clock,
            channels={"email": outbox, "log": outbox},
        ),
        clock=engine.clock,
    )
    stop = threading.Event()

    def stop_once_delivered() -> None:
        outbox.done.wait(timeout=WAIT_S)
        stop.set()  # also on timeout, so `run` never hangs the test

    watcher = threading.Thread(target=stop_once_delivered, daemon=True)
    watcher.start()
    try:
        code = run(service, interval=0.1, stop=stop)  # main thread: it sets signals
    finally:
        stop.set()
        watcher.join(timeout=WAIT_S)
        assert isinstance(engine.store, SqlCaseStore)
        engine.store.engine.dispose()

    assert outbox.done.is_set(), "nothing was delivered in time"
    assert code == 0
    assert sorted(n.recipient for n in outbox.sent) == sorted(
        [founding_record()["parties"]["authority"]["email"], USERS["jur"][1]]
    )
    history = engine.show(FOUNDING).history
    assert [e.data["rung"] for e in history if e.event == "chase"] == ["reminder_1"]
    assert scalar(db_path, "SELECT count(*) FROM chase") == 1
    statuses = query(db_path, "SELECT idempotency_key, status FROM outbox")
    assert {key for key, _ in statuses} == {n.idempotency_key for n in outbox.sent}
    assert {status for _, status in statuses} == {"sent"}  # the last pass finished
    events = json_log.events()
    assert names(events)[-1] == "service_stopped"
    assert "service_started" in names(events)
    sweeps = [e for e in events if e["event"] == "sweep_finished"]
    assert sum(e["chased"] for e in sweeps) == 1
    deliveries = [e for e in events if e["event"] == "dispatch_finished"]
    assert sum(e["sent"] for e in deliveries) == MAILS_PER_CASE
    assert not {"database_unavailable", "pass_crashed"} & set(names(events))


# -- 2. the database goes away ------------------------------------------------------
def _tables_away(db_path: Path, table: str, away: str) -> None:
    """Rename a table behind the service's back (from another connection)."""
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        conn.execute(f'ALTER TABLE "{table}" RENAME TO "{away}"')


def test_a_database_that_goes_away_is_logged_retried_and_recovered(
    tmp_path: Path, registry: WorkflowRegistry, json_log: JsonLog
) -> None:
    """The case table is unreadable from 7 Nov: backoff 5 s, then 10 s, then back."""
    db_path = tmp_path / "sagsflow.db"
    new_database(db_path, [founding_record()], registry)
    json_log.new()  # not the set-up's lines
    clock = FakeClock(parse_instant("2024-11-05T09:00"))  # nothing is due yet
    engine = case_engine(f"sqlite:///{db_path}", registry, clock)
    outbox = RecordingChannel(expected=MAILS_PER_CASE)
    service = Service(
        chaser=chaser_for(engine, settings=ANY_DAY),
        dispatcher=Dispatcher(
            store=engine.store, clock=clock, channels={"email": outbox}
        ),
        clock=clock,
    )
    try:
        service.sweep_pass()  # healthy: the pool holds a connection from now on
        assert [(e["event"], e["chased"]) for e in json_log.new()] == [
            ("sweep_finished", 0)
        ]

        _tables_away(db_path, "wf_case", "wf_case_away")
        clock.set(parse_instant("2024-11-07T09:00"))  # the founding case is overdue
        service.sweep_pass()  # never raises
        (down,) = json_log.new()
        assert (down["event"], down["job"], down["level"]) == (
            "database_unavailable",
            "sweep",
            "warning",
        )
        assert (down["error"], down["retry_in_s"]) == (
            "database error: no such table: wf_case",
            5,
        )
        clock.advance(timedelta(seconds=4.9))
        service.sweep_pass()  # backing off: no attempt, no line
        assert json_log.new() == []
        service.dispatch_pass()  # its own backoff: the outbox is readable
        assert names(json_log.new()) == ["dispatch_finished"]
        clock.advance(timedelta(seconds=0.1))
        service.sweep_pass()  # tried again, failed again: the wait doubles
        assert [(e["event"], e["retry_in_s"]) for e in json_log.new()] == [
            ("database_unavailable", 10)
        ]

        _tables_away(db_path, "wf_case_away", "wf_case")  # the database is back
        clock.advance(timedelta(seconds=9.9))
        service.sweep_pass()
        assert json_log.new() == []  # still waiting out the 10 s
        clock.advance(timedelta(seconds=0.1))
        service.sweep_pass()
        back = json_log.new()
        assert names(back) == [
            "case_chased",
            "sweep_finished",
            "database_available_again",
        ]
        assert (back[0]["case"], back[0]["rung"]) == (FOUNDING, "reminder_1")
        service.dispatch_pass()
        assert [(e["event"], e.get("sent")) for e in json_log.new()] == [
            ("notification_sent", None),
            ("notification_sent", None),
            ("dispatch_finished", 2),
        ]
        service.sweep_pass()  # the same instant again: nothing more to chase
        assert [(e["event"], e["chased"]) for e in json_log.new()] == [
            ("sweep_finished", 0)
        ]
    finally:
        assert isinstance(engine.store, SqlCaseStore)
        engine.store.engine.dispose()

    assert chases_per_case(db_path) == {1: 1}
    assert scalar(db_path, "SELECT count(*) FROM chase") == 1
    assert len(outbox.sent) == MAILS_PER_CASE


def _move(db_path: Path, suffix_from: str, suffix_to: str) -> None:
    for part in ("", "-wal", "-shm"):
        source = Path(f"{db_path}{part}{suffix_from}")
        if source.exists():
            os.replace(source, Path(f"{db_path}{part}{suffix_to}"))


def test_a_database_file_moved_away_and_back_is_recovered(
    tmp_path: Path, registry: WorkflowRegistry, json_log: JsonLog
) -> None:
    db_path = tmp_path / "sagsflow.db"
    new_database(db_path, [founding_record()], registry)
    json_log.new()  # not the set-up's lines
    clock = FakeClock(parse_instant("2024-11-07T09:00"))
    engine = case_engine(f"sqlite:///{db_path}", registry, clock)
    service = Service(
        chaser=chaser_for(engine, settings=ANY_DAY),
        dispatcher=Dispatcher(store=engine.store, clock=clock, channels={}),
        clock=clock,
    )
    try:
        _move(db_path, "", ".away")  # before the pool's first connection
        service.sweep_pass()
        assert names(json_log.new()) == ["database_unavailable"]
        _move(db_path, ".away", "")  # back, as it was
        clock.advance(timedelta(seconds=5))
        service.sweep_pass()
        assert names(json_log.new()) == [
            "case_chased",
            "sweep_finished",
            "database_available_again",
        ]
    finally:
        assert isinstance(engine.store, SqlCaseStore)
        engine.store.engine.dispose()


# -- 3. the real process, SIGTERM ------------------------------------------------------
@pytest.mark.slow
def test_serve_sends_the_reminders_and_stops_cleanly_on_sigterm(
    tmp_path: Path, registry: WorkflowRegistry, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    db_path = tmp_path / "sagsflow.db"
    records = [founding_record(), inquiry_record(1), inquiry_record(2)]
    numbers = new_database(db_path, records, registry)
    env = service_environment(db_path, port)

    with serving(env, tmp_path) as service:
        assert inbox.wait_for_distinct(MAILS_PER_CASE * len(records), WAIT_S), (
            f"the reminders did not arrive:\n{service.tail()}"
        )
        assert service.terminate() == 0
        events = service.events()

    assert service.stdout == ""  # stdout is the CLI's result channel, not for logs
    assert names(events)[-1] == "service_stopped"
    assert "service_stopping" in names(events)
    assert not {None, "pass_crashed", "database_unavailable"} & set(names(events))
    chased = sorted(e["case"] for e in events if e["event"] == "case_chased")
    assert chased == sorted(numbers)
    assert sorted(chases_per_case(db_path).values()) == [1, 1, 1]
    assert scalar(db_path, "SELECT count(*) FROM chase") == len(records)

    shown = json.loads(cli(env, tmp_path, "case", "show", FOUNDING, "--json"))
    (reminder,) = [e for e in shown["history"] if e["event"] == "chase"]
    assert (reminder["actor"], reminder["data"]["rung"]) == ("system", "reminder_1")
    assert reminder["document"] in [d["number"] for d in shown["documents"]]
    outbox = json.loads(cli(env, tmp_path, "outbox", "list", "--json"))
    assert len(outbox) == MAILS_PER_CASE * len(records)
    assert {(n["status"], n["attempts"]) for n in outbox} == {("sent", 1)}
    founding = [n for n in outbox if n["case"] == FOUNDING]
    assert sorted(n["recipient"] for n in founding) == sorted(
        [records[0]["parties"]["authority"]["email"], USERS["jur"][1]]
    )
    expected = {message_id(n["idempotency_key"]) for n in outbox}
    assert sorted(inbox.received()) == sorted(expected)  # each once


# -- 4. crash safety: SIGKILL mid-sweep and mid-dispatch ---------------------------
CRASH_CASES = 400  # four batches of 100, 800 mails
KILL_AFTER_CHASES = 100  # the first batch's lines, logged once it committed
KILL_AFTER_MAILS = 50  # ten before the end of the third lease of 20


def _leased(db_path: Path, now: datetime) -> int:
    return scalar(
        db_path,
        "SELECT count(*) FROM outbox WHERE status = 'pending' AND locked_until > ?",
        now.replace(tzinfo=None).isoformat(sep=" "),
    )


def _pending(db_path: Path) -> int:
    return scalar(db_path, "SELECT count(*) FROM outbox WHERE status = 'pending'")


def _expire_leases(db_path: Path) -> int:
    """What 5 minutes would do: the leases of the killed process run out."""
    past = "2000-01-01 00:00:00.000000"  # stored as naive UTC, like every time
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        cursor = conn.execute(
            "UPDATE outbox SET locked_until = ? "
            "WHERE status = 'pending' AND locked_until IS NOT NULL",
            (past,),
        )
        return cursor.rowcount


@pytest.mark.slow
def test_serve_killed_mid_sweep_and_mid_dispatch_loses_and_doubles_nothing(
    tmp_path: Path, registry: WorkflowRegistry, smtp: tuple[Inbox, int]
) -> None:
    """400 overdue cases; SIGKILL after 120 chases, again after 50 mails sent.

    The first kill follows the first batch's lines (logged once it committed),
    so it lands in the second batch of 100: the first stays, the one in
    flight is lost and logged nothing; the second kill leaves leased mail
    behind (the test asserts it). Every case is chased once; every
    notification is sent; a mail may arrive twice (killed between sending and
    recording), but only with the same Message-ID, which a receiver drops.
    """
    inbox, port = smtp
    db_path = tmp_path / "sagsflow.db"
    records = [inquiry_record(i) for i in range(CRASH_CASES)]
    new_database(db_path, records, registry, synchronous="NORMAL", bulk=True)  # set-up
    env = service_environment(db_path, port)  # the service runs with FULL
    total = MAILS_PER_CASE * CRASH_CASES

    # 1: killed mid-sweep (batches of 100 commit one by one)
    with serving(env, tmp_path) as first:
        first.wait_for_count("case_chased", KILL_AFTER_CHASES)
        first.kill()
    chased = scalar(db_path, "SELECT count(*) FROM chase")
    assert 100 <= chased < CRASH_CASES
    assert chased % 100 == 0  # whole batches or nothing
    logged = names(first.events()).count("case_chased")
    assert 100 <= logged <= chased  # a chase is logged only once committed
    assert sum(chases_per_case(db_path).values()) == chased  # audit and chase agree
    assert scalar(db_path, "SELECT count(*) FROM outbox") == MAILS_PER_CASE * chased
    assert scalar(db_path, "SELECT count(*) FROM wf_case WHERE chase_position = 1") == (
        chased
    )

    # 2: killed mid-dispatch
    with serving(env, tmp_path) as second:
        second.wait_for_count("notification_sent", KILL_AFTER_MAILS)
        killed_at = datetime.now(UTC)
        second.kill()
    sent = {
        message_id(key)
        for (key,) in query(
            db_path, "SELECT idempotency_key FROM outbox WHERE status = 'sent'"
        )
    }
    assert len(sent) >= 1
    assert sent <= set(inbox.received())  # nothing is marked sent that did not go
    in_flight = _leased(db_path, killed_at)
    assert in_flight > 0  # killed with mail leased
    assert in_flight <= 2 * LEASE_BATCH  # one pass at a time in each killed run
    assert _expire_leases(db_path) >= in_flight

    # 3: left to finish, then SIGTERM
    with serving(env, tmp_path) as third:
        assert inbox.wait_for_distinct(total, 3 * WAIT_S), (
            f"{len(set(inbox.received()))} of {total} mails arrived:\n{third.tail()}"
        )
        # a re-send of a mail that arrived before may still be on its way
        third.wait_for(
            lambda e: e["event"] == "dispatch_finished" and _pending(db_path) == 0
        )
        assert third.terminate() == 0
        last = third.events()
    assert names(last)[-1] == "service_stopped"
    assert not {None, "pass_crashed"} & set(names(last))

    assert scalar(db_path, "SELECT count(*) FROM chase") == CRASH_CASES
    assert query(db_path, "SELECT DISTINCT rung FROM chase") == [("reminder_1",)]
    per_case = chases_per_case(db_path)
    assert len(per_case) == CRASH_CASES
    assert set(per_case.values()) == {1}
    outbox = query(db_path, "SELECT idempotency_key, status FROM outbox")
    assert len(outbox) == total
    assert Counter(status for _, status in outbox) == {"sent": total}
    arrived = inbox.received()
    assert set(arrived) == {message_id(key) for key, _ in outbox}
    resent = len(arrived) - len(set(arrived))
    assert resent <= 2 * LEASE_BATCH  # only a killed pass's batch can go twice
