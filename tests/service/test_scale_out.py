"""Four `sagsflow serve` processes on one PostgreSQL database, and a person.

1,200 inquiries are overdue (the `overdue_office` fixture, built by the demo
office's bulk store and copied in with the same code as `sagsflow
migrate-db`): twelve batches of 100 for four workers. Four real service
processes sweep and deliver to a real SMTP server, while another process
(tests/service/human.py) fires replies and notes on 120 random cases of them,
newest first, each naming the version it read. All five are held at the case
table until each waits there, so every worker chases a batch of its own and
the person meets the sweep head-on: some of its replies come before their
case's chase, some of its steps after one, and some are refused because the
sweep changed the case in between; the test asserts that each of these
happened. Afterwards the record must say: every case chased once for its one
due rung (or not at all, if its reply came first), every human transition
applied exactly once or refused with a conflict and not applied, every mail
sent once, and `sagsflow audit verify` passes. Then the same with one worker
killed by SIGKILL in the middle of its second batch (its first committed, its
mail queued): its first batch must stand, the cases it had chased in the
batch in flight must be chased again by the others, its log must name only
the chases it committed, and only its leased mail may go twice.

The service reads the real clock; the cases are back-dated to 2024, so one
rung is due for each (the next rung's deadline is counted from today).
Waiting is on log lines (a surviving worker's `dispatch_finished`, checked
against the database each time) and on the SMTP inbox; nothing sleeps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from engine.chasing.chaser import DEFAULT_BATCH as CHASE_BATCH
from engine.clock import SystemClock
from engine.dates.calendars import local_date
from service.channels import message_id
from storage import create_db_engine
from storage.copy import copy_database
from tests.postgres import needs_postgres
from tests.processes import terminate_all
from tests.service.conftest import OFFICE_CASES
from tests.service.human import APPLICATION_NAME as PERSON
from tests.service.serving import (
    MAILS_PER_CASE,
    Inbox,
    ServiceProcess,
    cli,
    names,
    service_environment,
    serving,
)

pytestmark = [pytest.mark.slow, pytest.mark.external_service, needs_postgres]

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
HUMAN_CASES = 120
IMPORTED_VERSION = 3  # open, send_inquiry, mark_dispatched: a chase makes it 4
KILL_AFTER_CHASES = CHASE_BATCH  # the victim's first batch, logged once committed
LEASE_S = 10  # the killed worker's leased mail is taken over after this
WAIT_S = 300.0
LEASE_BATCH = 20


@pytest.fixture
def pg(postgres_url: str, overdue_office: Path) -> Iterator[tuple[str, Engine]]:
    """The office on a PostgreSQL database of this test's own."""
    source = create_db_engine(f"sqlite:///{overdue_office}", create=False)
    target = create_db_engine(postgres_url, create=False)
    copy_database(source, target)
    source.dispose()
    yield postgres_url, target
    target.dispose()


def _environment(url: str, smtp_port: int, tmp_path: Path) -> dict[str, str]:
    env = service_environment(tmp_path / "unused.db", smtp_port)
    env.update(
        SAGSFLOW_DATABASE_URL=url,
        SAGSFLOW_DB_POOL_SIZE="2",
        SAGSFLOW_OUTBOX_LEASE_SECONDS=str(LEASE_S),
    )
    return env


def _rows(db: Engine, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def _count(db: Engine, sql: str, **params: object) -> int:
    ((value,),) = _rows(db, sql, **params)
    return int(value)


def _finished(db: Engine) -> bool:
    """Nothing left to chase today, nothing left to send."""
    today = local_date(SystemClock().now())
    return (
        _count(db, "SELECT count(*) FROM wf_case WHERE chase_due < :d", d=today) == 0
        and _count(db, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
    )


def _person(stack: ExitStack, url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """tests/service/human.py at work on HUMAN_CASES cases; killed if left running."""
    person = subprocess.Popen(
        [sys.executable, "-m", "tests.service.human", url, "7", str(HUMAN_CASES)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def stop() -> None:
        if person.returncode is None:  # the test failed before it was done
            person.kill()
            person.communicate(timeout=WAIT_S)

    stack.callback(stop)
    return person


def _attempts(person: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = person.communicate(timeout=WAIT_S)
    assert person.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _chased(worker: ServiceProcess) -> set[str]:
    """The cases `worker` logged a chase of (each logged once committed)."""
    return {e["case"] for e in worker.events() if e["event"] == "case_chased"}


def _check_the_record(
    db: Engine, attempts: list[dict[str, Any]], inbox: Inbox, *, killed: bool
) -> None:
    # -- the human transitions: applied exactly once, or not at all -------------------
    outcomes = Counter(a["outcome"] for a in attempts)
    assert len(attempts) == HUMAN_CASES
    assert set(outcomes) <= {"applied", "conflict"}, outcomes
    assert outcomes["applied"] > 0
    replied: set[str] = set()
    for attempt in attempts:
        entries = _rows(
            db,
            "SELECT a.seq FROM audit_entry a JOIN document d "
            "ON d.case_id = a.case_id AND d.event_seq = a.seq "
            "WHERE a.case_number = :n AND a.event = :e AND d.title = :t",
            n=attempt["case"],
            e=attempt["event"],
            t=attempt["title"],
        )
        if attempt["outcome"] == "applied":
            assert entries == [(attempt["expected"] + 1,)], attempt
            if attempt["event"] == "receive_reply":
                replied.add(attempt["case"])
        else:
            assert entries == [], attempt
            assert "nothing was written" in attempt["message"]

    # -- the chases: once per case and due rung, none after the reply ----------------
    chases = _rows(
        db,
        "SELECT case_number, seq FROM audit_entry WHERE event = 'chase' "
        "ORDER BY case_number",
    )
    per_case = Counter(number for number, _ in chases)
    assert set(per_case.values()) == {1}
    assert _count(db, "SELECT count(*) FROM chase") == len(chases)
    assert _rows(db, "SELECT DISTINCT rung FROM chase") == [("reminder_1",)]
    overdue = {
        n for (n,) in _rows(db, "SELECT number FROM wf_case WHERE title LIKE 'Henv%'")
    }
    assert len(overdue) == OFFICE_CASES
    assert overdue - replied <= set(per_case)  # no reply: chased
    reply_seq = dict(
        _rows(
            db,
            "SELECT case_number, seq FROM audit_entry WHERE event = 'receive_reply'",
        )
    )
    assert set(reply_seq) == replied
    for number, seq in chases:
        assert number not in reply_seq or seq < reply_seq[number]

    # -- the person and the sweep were at work at once --------------------------------
    assert outcomes["conflict"] > 0  # a case chased between reading and writing it
    assert replied - set(per_case)  # a reply that came before its chase
    assert [  # and a step on a case the sweep had chased already
        a
        for a in attempts
        if a["outcome"] == "applied" and a["expected"] > IMPORTED_VERSION
    ]

    # -- the mail: every notification sent, each Message-ID arrived --------------------
    outbox = _rows(db, "SELECT idempotency_key, status FROM outbox")
    assert len(outbox) == MAILS_PER_CASE * len(chases)
    assert Counter(status for _, status in outbox) == {"sent": len(outbox)}
    assert inbox.wait_for_distinct(len(outbox), WAIT_S)
    arrived = inbox.received()
    assert set(arrived) == {message_id(key) for key, _ in outbox}
    resent = len(arrived) - len(set(arrived))
    if killed:  # only the killed worker's leased batch can have gone twice
        assert resent <= LEASE_BATCH
    else:
        assert resent == 0


def _start_together(
    stack: ExitStack, db: Engine, url: str, env: dict[str, str], tmp_path: Path
) -> tuple[list[ServiceProcess], subprocess.Popen[str]]:
    """Start the workers and the person, all held until each waits at the cases.

    A worker slow to start on a busy machine would otherwise find the others
    had chased every case already (CI saw it), and a person slow to start
    would find the sweep over. The test holds the case table in EXCLUSIVE
    mode, which lets plain reads through but not a claim's FOR UPDATE nor the
    person's first step, until PostgreSQL shows all four claims and the person
    waiting on the lock; then each worker gets a batch of its own while the
    person goes on. The wait polls pg_stat_activity.
    """
    with db.connect() as gate:
        gate.execute(text("LOCK TABLE wf_case IN EXCLUSIVE MODE"))
        workers = [stack.enter_context(serving(env, tmp_path)) for _ in range(WORKERS)]
        person = _person(stack, url, env)
        deadline = time.monotonic() + WAIT_S
        while not _all_waiting(db):
            assert time.monotonic() < deadline, "the five never all reached the cases"
            for worker in workers:
                assert worker.proc.poll() is None, worker.events()
            assert person.poll() is None, person.communicate()
        gate.rollback()  # the lock goes with the transaction
    return workers, person


def _all_waiting(db: Engine) -> bool:
    """Do the four workers' claims and the person's step all wait on a lock?"""
    ((claims, person),) = _rows(
        db,
        "SELECT count(*) FILTER (WHERE query LIKE '%FOR UPDATE SKIP LOCKED%'),"
        " count(*) FILTER (WHERE application_name = :person)"
        " FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'",
        person=PERSON,
    )
    return bool(claims == WORKERS and person)


def _wait_until_finished(worker: ServiceProcess, db: Engine) -> None:
    worker.wait_for(
        lambda e: e["event"] == "dispatch_finished" and _finished(db), WAIT_S
    )


def _verify(env: dict[str, str], tmp_path: Path) -> None:
    out = cli(env, tmp_path, "audit", "verify")
    assert out.startswith(f"verified: {OFFICE_CASES + 1} cases"), out


def test_four_workers_and_a_person_chase_each_case_once(
    pg: tuple[str, Engine], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    url, db = pg
    inbox, port = smtp
    env = _environment(url, port, tmp_path)
    with ExitStack() as stack:
        workers, person = _start_together(stack, db, url, env, tmp_path)
        attempts = _attempts(person)
        _wait_until_finished(workers[0], db)
        assert terminate_all(workers) == [0] * WORKERS
    for worker in workers:
        assert names(worker.events())[-1] == "service_stopped"
        assert _chased(worker)  # all four took part
    _check_the_record(db, attempts, inbox, killed=False)
    _verify(env, tmp_path)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    pg: tuple[str, Engine], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    url, db = pg
    inbox, port = smtp
    env = _environment(url, port, tmp_path)
    with ExitStack() as stack:
        workers, person = _start_together(stack, db, url, env, tmp_path)
        victim = workers[1]
        victim.wait_for_count("case_chased", KILL_AFTER_CHASES, WAIT_S)
        victim.kill()  # in its second batch, most likely: that transaction dies
        attempts = _attempts(person)
        survivors = [w for w in workers if w is not victim]
        _wait_until_finished(survivors[0], db)
        assert terminate_all(survivors) == [0] * (WORKERS - 1)
    for worker in survivors:
        assert _chased(worker)  # the others took part
    by_victim, by_others = _chased(victim), set().union(*map(_chased, survivors))
    assert len(by_victim) >= CHASE_BATCH  # its first batch stands
    assert not by_victim & by_others  # it logged only what it committed
    _check_the_record(db, attempts, inbox, killed=True)
    _verify(env, tmp_path)
