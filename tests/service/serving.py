"""The service as its tests drive it: cases, the log, an SMTP inbox, processes.

Shared by the `sagsflow serve` tests on SQLite and the scale-out tests on
PostgreSQL. Processes are waited on through their log lines (a reader thread
and a queue), the inbox through its condition variable; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import os
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from structlog.testing import capture_logs

from demo.bulk.store import BulkCaseStore
from demo.wiring import demo_key
from engine.cases.engine import CaseEngine
from engine.chasing.chaser import ChaseSettings
from engine.clock import Clock
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.records import Notification
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from tests.processes import SAGSFLOW, WAIT_S, SagsflowProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "ombudsman-inquiry"
FOUNDING = "2024-0283489"  # examples/founding-case.jsonl: the reply was due 6 Nov 2024
SENDER = "sagsflow@kk.example"
USERS = {  # id -> (role, e-mail address)
    "bra": ("advisor", "raadgiver@kk.example"),
    "jur": ("caseworker", "jurist@kk.example"),
}
MAILS_PER_CASE = 2  # reminder_1 notifies the authority and the caseworker (jur)
SET_UP_AT = parse_instant("2024-10-10T10:00")  # after every inquiry was dispatched
ANY_DAY = ChaseSettings(working_days_only=False, quiet_hours=(0, 0))
LEASE_BATCH = 20  # the dispatcher's batch: at most this many rows leased at once


# -- cases ---------------------------------------------------------------------------
def founding_record() -> dict[str, Any]:
    line = (REPO_ROOT / "examples" / "founding-case.jsonl").read_text("utf-8")
    record = json.loads(line.splitlines()[0])
    assert isinstance(record, dict)
    assert record["number"] == FOUNDING
    return record


def inquiry_record(i: int) -> dict[str, Any]:
    """Like the founding case (reply due 6 Nov 2024), to authority number `i`."""
    return {
        "workflow": WORKFLOW,
        "title": f"Henvendelse {i}",
        "parties": {
            "authority": {"name": f"Forvaltning {i}", "email": f"forv{i}@kk.example"}
        },
        "events": [
            {
                "event": "open",
                "actor": "bra",
                "at": "2024-10-03T10:00:00+02:00",
                "data": {"own_initiative": True},
            },
            {
                "event": "send_inquiry",
                "actor": "jur",
                "at": "2024-10-09T09:30:00+02:00",
            },
            {
                "event": "mark_dispatched",
                "actor": "jur",
                "at": "2024-10-09T15:00:00+02:00",
            },
        ],
    }


def case_engine(db_url: str, registry: WorkflowRegistry, clock: Clock) -> CaseEngine:
    return CaseEngine(
        store=SqlCaseStore(create_db_engine(db_url, create=False)),  # as serve does
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )


def new_database(
    db_path: Path,
    records: Sequence[Mapping[str, object]],
    registry: WorkflowRegistry,
    *,
    synchronous: str = "FULL",
    bulk: bool = False,
) -> list[str]:
    """A migrated SQLite file with the users and the imported cases; their numbers.

    Each case is imported in a transaction of its own, as `sagsflow case import`
    does; with `bulk=True` the engine runs on the demo office's bulk store
    (`demo.bulk.store.BulkCaseStore`), which writes the same rows, ids included,
    in a few large batches (tests/demo/test_bulk.py holds the two paths equal):
    the set-up of the offices the slow tests sweep.
    """
    db = create_db_engine(f"sqlite:///{db_path}", synchronous=synchronous)
    try:
        upgrade_schema(db)
        bulk_store = BulkCaseStore(db) if bulk else None
        engine = CaseEngine(
            store=SqlCaseStore(db) if bulk_store is None else bulk_store,
            registry=registry,
            clock=FakeClock(SET_UP_AT),
            calendar=BusinessCalendar(),
            keys=demo_key,  # both ways build the same rows, keys included
        )
        for user_id, (role, address) in USERS.items():
            engine.add_user(user_id, [role], email=address)
        with capture_logs():  # keep a case_imported line per case out of the output
            numbers = [engine.import_case(r).case.number for r in records]
        if bulk_store is not None:
            bulk_store.finish()  # what still waits in memory
        return numbers
    finally:
        db.dispose()


def query(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of `sql` on the SQLite file, opened read-only."""
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(sql, params).fetchall()


def scalar(db_path: Path, sql: str, *params: object) -> int:
    (value,) = query(db_path, sql, *params)[0]
    assert isinstance(value, int)
    return value


def chases_per_case(db_path: Path) -> Counter[int]:
    rows = query(db_path, "SELECT case_id FROM audit_entry WHERE event = 'chase'")
    return Counter(case_id for (case_id,) in rows)


# -- logs --------------------------------------------------------------------------
class JsonLog:
    """The JSON lines `configure_logging` renders into a StringIO."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self._read = 0

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def new(self, *names: str) -> list[dict[str, Any]]:
        """Events logged since the last call (only those named, if any)."""
        events = self.events()
        fresh, self._read = events[self._read :], len(events)
        return [e for e in fresh if not names or e["event"] in names]


# -- a recording channel ----------------------------------------------------------
class RecordingChannel:
    """Keeps what it is given; `done` is set once `expected` have arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.sent: list[Notification] = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            self.sent.append(notification)
            if len(self.sent) >= self.expected:
                self.done.set()


# -- an SMTP server ---------------------------------------------------------------
class Inbox:
    """An aiosmtpd handler that keeps the Message-ID of every mail it accepts."""

    def __init__(self) -> None:
        self.message_ids: list[str] = []
        self._changed = threading.Condition()

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.original_content, bytes)
        message = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default
        )
        with self._changed:
            self.message_ids.append(str(message["Message-ID"]))
            self._changed.notify_all()
        return "250 OK queued"

    def received(self) -> list[str]:
        with self._changed:
            return list(self.message_ids)

    def wait_for_distinct(self, count: int, timeout: float) -> bool:
        """Wait until `count` different Message-IDs arrived; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: len(set(self.message_ids)) >= count, timeout
            )


# -- the service as a process -------------------------------------------------------
def service_environment(db_path: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        SAGSFLOW_DATABASE_URL=f"sqlite:///{db_path}",
        SAGSFLOW_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        SAGSFLOW_MAIL_FROM=SENDER,
        SAGSFLOW_LOG_FORMAT="json",
        SAGSFLOW_LOG_LEVEL="info",
        SAGSFLOW_SWEEP_CLOSED_DAYS="1",  # the real clock may be on a weekend
        SAGSFLOW_QUIET_HOURS="none",  # or between 2 and 3 at night
        SAGSFLOW_API_PORT="0",  # each service's API on a free port of its own
    )
    return env


class ServiceProcess(SagsflowProcess):
    """`sagsflow serve --interval SECONDS` in `cwd`."""

    def __init__(self, env: Mapping[str, str], cwd: Path, interval: float) -> None:
        super().__init__(env, ("serve", "--interval", str(interval)), cwd=cwd)


@contextlib.contextmanager
def serving(
    env: Mapping[str, str], cwd: Path, interval: float = 0.2
) -> Iterator[ServiceProcess]:
    """Start `sagsflow serve`; it never outlives the block."""
    service = ServiceProcess(env, cwd, interval)
    try:
        yield service
    finally:
        service.close()


def cli(env: Mapping[str, str], cwd: Path, *argv: str) -> str:
    done = subprocess.run(
        [str(SAGSFLOW), *argv],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def names(events: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """The event names; None for a line that is not JSON (e.g. a traceback)."""
    return [e["event"] for e in events]
