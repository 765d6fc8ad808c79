"""Four `sagsflow serve` processes on one PostgreSQL database, and a person.

10,000 inquiries are overdue (the office_10k fixture, copied in with the same
code as `sagsflow migrate-db`). Four real service processes sweep and deliver
to a real SMTP server, while another process (tests/service/human.py) fires
replies and notes on 600 random cases of them, each naming the version it
read. Afterwards the record must say: every case chased once for its one due
rung (or not at all, if its reply came first), every human transition applied
exactly once or refused with a conflict and not applied, every mail sent once,
and `sagsflow audit verify` passes. Then the same with one worker killed by
SIGKILL in the middle of a batch.

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

from engine.clock import SystemClock
from engine.dates.calendars import local_date
from service.channels import message_id
from storage import create_db_engine
from storage.copy import copy_database
from tests.postgres import needs_postgres
from tests.service.conftest import OFFICE_CASES
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
HUMAN_CASES = 600
KILL_AFTER_CHASES = 150
LEASE_S = 10  # the killed worker's leased mail is taken over after this
WAIT_S = 300.0
LEASE_BATCH = 20


@pytest.fixture
def pg(postgres_url: str, office_10k: Path) -> Iterator[tuple[str, Engine]]:
    """The office on a PostgreSQL database of this test's own."""
    source = create_db_engine(f"sqlite:///{office_10k}", create=False)
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


def _human(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.service.human", url, "7", str(HUMAN_CASES)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _attempts(human: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = human.communicate(timeout=WAIT_S)
    assert human.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


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
    stack: ExitStack, db: Engine, env: dict[str, str], tmp_path: Path
) -> list[ServiceProcess]:
    """Start the workers, their first claims held until all of them wait at it.

    A worker slow to start on a busy machine would otherwise find the others
    had chased every case already (CI saw it). The test holds the case table
    in EXCLUSIVE mode, which lets plain reads through but not a claim's
    FOR UPDATE, until PostgreSQL shows all four claims waiting on the lock;
    then each gets a batch of its own. The wait polls pg_stat_activity.
    """
    with db.connect() as gate:
        gate.execute(text("LOCK TABLE wf_case IN EXCLUSIVE MODE"))
        workers = [stack.enter_context(serving(env, tmp_path)) for _ in range(WORKERS)]
        deadline = time.monotonic() + WAIT_S
        while _waiting_claims(db) < WORKERS:
            assert time.monotonic() < deadline, "the workers never reached a sweep"
            for worker in workers:
                assert worker.proc.poll() is None, worker.events()
        gate.rollback()  # the lock goes with the transaction
    return workers


def _waiting_claims(db: Engine) -> int:
    return _count(
        db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE SKIP LOCKED%'",
    )


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
        workers = _start_together(stack, db, env, tmp_path)
        workers[0].wait_for_count("case_chased", 1, WAIT_S)  # sweeping has begun
        attempts = _attempts(_human(url, env))
        _wait_until_finished(workers[0], db)
        for worker in workers:
            assert worker.terminate() == 0
            assert names(worker.events())[-1] == "service_stopped"
    for worker in workers:
        assert "case_chased" in names(worker.events())  # all four took part
    _check_the_record(db, attempts, inbox, killed=False)
    _verify(env, tmp_path)


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    pg: tuple[str, Engine], smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    url, db = pg
    inbox, port = smtp
    env = _environment(url, port, tmp_path)
    with ExitStack() as stack:
        workers = _start_together(stack, db, env, tmp_path)
        human = _human(url, env)
        victim = workers[1]
        victim.wait_for_count("case_chased", KILL_AFTER_CHASES, WAIT_S)
        victim.kill()  # inside a batch of 100: its transaction dies with it
        attempts = _attempts(human)
        survivors = [w for i, w in enumerate(workers) if i != 1]
        _wait_until_finished(survivors[0], db)
        for worker in survivors:
            assert worker.terminate() == 0
    _check_the_record(db, attempts, inbox, killed=True)
    _verify(env, tmp_path)
