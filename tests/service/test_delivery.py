"""Delivery end to end: the chaser queues, the dispatcher delivers to real servers.

The founding case (the reply was due 6 Nov 2024) is overdue on Thursday
7 Nov 2024. A sweep queues reminder_1 for the authority and a notice for the
caseworker who owns the case in the outbox; the dispatcher delivers them to
aiosmtpd and to a local HTTP server on 127.0.0.1, on the memory store and on
SQLite. No mocks.

Time is a FakeClock: backoffs and leases run out because the test advances it,
never because it waits. The servers record a message before they answer and a
channel's `send` returns only after the answer, so no test waits on a server
either. The command-line tests run `sagsflow` in-process on the real clock, as
the CLI does, with back-dated `--at` times.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from structlog.testing import capture_logs

from engine.cases.documents import read_document
from engine.cases.engine import CaseEngine
from engine.chasing.chaser import ChaseSettings
from engine.chasing.dispatcher import DEFAULT_LEASE, Dispatcher, DispatchResult
from engine.dates.timeparse import parse_instant
from engine.ports import Channel
from engine.records import Notification, NotificationStatus, Party
from engine.testing import FakeClock, chaser_for
from service.app import build_chaser, build_dispatcher
from service.channels import (
    LogChannel,
    SmtpChannel,
    WebhookChannel,
    message_id,
    verify_signature,
)
from service.cli.text import case_text
from service.present import case_json
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine
from tests.service.conftest import Run
from tests.service.servers import AnyPortController, http_server

WORKFLOW = "ombudsman-inquiry"
AUTHORITY = Party(role="authority", name="Socialforvaltningen", email="sof@kk.example")
ADVISOR = "raadgiver"  # the Borgerrådgiver, with an address
CASEWORKER = "jurist"  # the case's lawyer, with an address
ADDRESSES = {ADVISOR: "raadgiver@kk.example", CASEWORKER: "jurist@kk.example"}
SENDER = "sagsflow@kk.example"
SECRET = "delt-hemmelighed"
OVERDUE = "2024-11-07T09:00"  # Thursday: the first working day after the deadline
REFUSED = "550 5.1.1 mailbox unavailable"


def at(text: str) -> datetime:
    """A Copenhagen local time as a UTC instant."""
    return parse_instant(text)


# -- servers -------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


Intercept = Callable[[str], Awaitable[str | None]]


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts.

    While `refuse` is set, every RCPT gets it as the answer. `intercept` runs
    first on every RCPT and answers instead when it returns a reply.
    """

    mails: list[Mail] = field(default_factory=list)
    refuse: str | None = None
    intercept: Intercept | None = None

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.intercept is not None:
            answer = await self.intercept(address)
            if answer is not None:
                return answer
        if self.refuse is not None:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.original_content, bytes)
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        assert envelope.mail_from is not None
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK queued"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope named exactly `address`."""
        return [m.message for m in self.mails if m.rcpt_tos == [address]]

    def message_ids(self) -> list[str]:
        return [str(m.message["Message-ID"]) for m in self.mails]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    """aiosmtpd on 127.0.0.1: (its mailbox, its `smtp://` URL)."""
    mailbox = Mailbox()
    controller = AnyPortController(
        mailbox, hostname="127.0.0.1", port=0, ready_timeout=5.0
    )
    controller.start()
    yield mailbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


@dataclass
class Hook:
    """A webhook receiver: its URL and the requests it got (path, headers, body)."""

    url: str
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    received = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append((self.path, dict(self.headers), body))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    with http_server(Handler) as base:
        received.url = f"{base}/hooks/sag?token=t0p"
        yield received


# -- the case ------------------------------------------------------------------


def founding_case(
    engine: CaseEngine,
    clock: FakeClock,
    *,
    advisor: str = ADVISOR,
    caseworker: str = CASEWORKER,
) -> str:
    """The founding case awaiting the reply due 6 Nov; the clock then at `OVERDUE`."""
    for user, role in ((advisor, "advisor"), (caseworker, "caseworker")):
        if user in ADDRESSES and user not in {u.id for u in engine.list_users()}:
            engine.add_user(user, [role], ADDRESSES[user])
    clock.set(at("2024-10-09T16:00"))
    view = engine.open_case(
        WORKFLOW,
        actor=advisor,
        title="Politianmeldelse",
        parties=[AUTHORITY],
        data={"own_initiative": True},
        at=at("2024-10-03T10:00"),
        owner=caseworker,  # the caseworker's notice goes to the owner
    )
    number = view.case.number
    engine.fire(number, "send_inquiry", actor=caseworker, at=at("2024-10-09T09:30"))
    engine.fire(number, "mark_dispatched", actor=caseworker, at=at("2024-10-09T15:00"))
    clock.set(at(OVERDUE))
    return number


def outbox(engine: CaseEngine) -> list[Notification]:
    with engine.store.transaction(write=False) as tx:
        return list(tx.list_notifications())


def one(engine: CaseEngine, notification_id: int | None) -> Notification:
    assert notification_id is not None
    with engine.store.transaction(write=False) as tx:
        found = tx.get_notification(notification_id)
    assert found is not None
    return found


def dispatcher(
    engine: CaseEngine, clock: FakeClock, max_attempts: int = 8, **channels: Channel
) -> Dispatcher:
    return Dispatcher(
        store=engine.store,
        clock=clock,
        channels={"log": LogChannel(), **channels},
        max_attempts=max_attempts,
    )


NOTHING = DispatchResult(sent=0, retrying=0, failed=0)


# -- delivered -------------------------------------------------------------------


def test_the_overdue_founding_case_is_mailed_once(
    engine: CaseEngine, clock: FakeClock, smtp: tuple[Mailbox, str]
) -> None:
    mailbox, url = smtp
    number = founding_case(engine, clock)

    result = build_chaser(Settings(), engine).sweep()
    assert [(c.number, c.rung, c.notifications) for c in result.chased] == [
        (number, "reminder_1", 2)
    ]
    queued = outbox(engine)
    reminder = f"{number}-2"  # after the inquiry: the reminder letter
    # no render item for a chase letter: the dispatcher renders it as it sends
    # the e-mail that carries it
    assert sorted((n.channel, n.recipient, n.kind) for n in queued) == [
        ("email", "jurist@kk.example", "notice"),
        ("email", "sof@kk.example", "letter"),
    ]
    delivery = build_dispatcher(Settings(smtp_url=url, mail_from=SENDER), engine)

    assert delivery.dispatch() == DispatchResult(sent=2, retrying=0, failed=0)

    [letter] = mailbox.to("sof@kk.example")
    [notice] = mailbox.to("jurist@kk.example")
    assert [m.mail_from for m in mailbox.mails] == [SENDER, SENDER]
    for message in (letter, notice):
        assert number in str(message["Subject"])
        body = message.get_body(("plain",))
        assert body is not None
        assert number in body.get_content()
        assert message["X-Sagsflow-Case"] == number
        assert message["From"] == SENDER
    assert letter["To"] == "sof@kk.example"
    assert notice["To"] == "jurist@kk.example"
    # the letter as journalised on the case is the letter that went out: the
    # PDF attached is the bytes whose SHA-256 the render step sealed
    view = engine.show(number)
    assert view.documents[-1].title == letter["Subject"]
    [attached] = letter.iter_attachments()
    assert attached.get_filename() == f"{reminder}.pdf"
    assert attached.get_content_type() == "application/pdf"
    pdf = attached.get_content()
    [rendered] = [e for e in view.history if e.event == "render"]
    assert rendered.data["document"] == reminder
    assert hashlib.sha256(pdf).hexdigest() == rendered.data["sha256"]
    assert read_document(engine.store, reminder).data == pdf
    assert not list(notice.iter_attachments())  # the caseworker's notice: text
    rows = [n for n in outbox(engine) if n.channel != "render"]
    assert len(rows) == len(queued)
    for row in rows:
        assert row.idempotency_key.startswith(f"{number}:reminder_1:")
        assert (row.status, row.sent_at, row.attempts) == ("sent", clock.now(), 1)
        assert (row.last_error, row.locked_until) == (None, None)
        [sent] = mailbox.to(row.recipient)
        assert sent["Message-ID"] == message_id(row.idempotency_key)
        assert sent["X-Sagsflow-Idempotency-Key"] == row.idempotency_key
        assert sent["Subject"] == row.subject

    assert delivery.dispatch() == NOTHING
    clock.advance(timedelta(days=1))
    assert build_chaser(Settings(), engine).sweep().chased == ()
    assert delivery.dispatch() == NOTHING
    assert len(mailbox.mails) == 2
    assert [n for n in outbox(engine) if n.channel != "render"] == rows


def test_the_founding_case_chased_on_7_november_is_1_working_day_overdue(
    engine: CaseEngine, clock: FakeClock, smtp: tuple[Mailbox, str]
) -> None:
    """The entry, the caseworker's e-mail and `case show` say the same: 1."""
    mailbox, url = smtp
    number = founding_case(engine, clock)  # reply due 6 Nov, chased 7 Nov
    view, now, calendar = engine.show(number), clock.now(), engine.calendar
    shown = case_json(view, now=now, calendar=calendar, age=None)  # before
    assert (shown["overdue"], shown["working_days_overdue"]) == (True, 1)
    text = case_text(view, now=now, calendar=calendar, age=None)
    assert "OVERDUE by 1 working day" in text
    build_chaser(Settings(), engine).sweep()
    [chased] = [e for e in engine.show(number).history if e.event == "chase"]
    assert chased.data["working_days_overdue"] == 1
    assert "working_days_late" not in chased.data
    delivery = build_dispatcher(Settings(smtp_url=url, mail_from=SENDER), engine)
    delivery.dispatch()
    [notice] = mailbox.to("jurist@kk.example")
    body = notice.get_body(("plain",))
    assert body is not None
    assert "Fristen er overskredet med 1 arbejdsdag." in body.get_content()


def test_a_webhook_gets_every_chase_signed(
    engine: CaseEngine,
    clock: FakeClock,
    smtp: tuple[Mailbox, str],
    hook: Hook,
) -> None:
    mailbox, url = smtp
    number = founding_case(engine, clock)
    chaser = chaser_for(engine, settings=ChaseSettings(webhook_url=hook.url))
    chaser.sweep()
    [queued] = [n for n in outbox(engine) if n.channel == "webhook"]
    assert (queued.recipient, queued.kind) == (hook.url, "notice")
    delivery = dispatcher(
        engine,
        clock,
        email=SmtpChannel(url=url, sender=SENDER),
        webhook=WebhookChannel(secret=SECRET, clock=clock),
    )

    assert delivery.dispatch() == DispatchResult(sent=3, retrying=0, failed=0)

    [(path, headers, body)] = hook.requests
    assert path == "/hooks/sag?token=t0p"
    assert verify_signature(SECRET, body, headers["X-Sagsflow-Signature"])
    assert not verify_signature("en anden", body, headers["X-Sagsflow-Signature"])
    assert headers["X-Sagsflow-Idempotency-Key"] == queued.idempotency_key
    assert headers["X-Sagsflow-Timestamp"] == str(int(clock.now().timestamp()))
    sent = json.loads(body)
    assert (sent["case"], sent["idempotency_key"]) == (number, queued.idempotency_key)
    assert number in sent["subject"]
    assert sent["payload"]["case_number"] == number
    assert sent["payload"]["rung"] == "reminder_1"
    assert sent["payload"]["due_missed"] == "2024-11-06"
    assert len(mailbox.mails) == 2
    assert one(engine, queued.id).status == "sent"
    assert delivery.dispatch() == NOTHING
    assert len(hook.requests) == 1


# -- refused, retried, failed ------------------------------------------------------

FAULTS = [
    pytest.param("recipient", f"refused the recipient: {REFUSED}", id="rcpt-550"),
    pytest.param("connection", "refused the connection", id="nothing-listens"),
]


@pytest.mark.parametrize(("fault", "reason"), FAULTS)
def test_a_refusing_server_backs_off_fails_and_retry_delivers_once(
    engine: CaseEngine,
    clock: FakeClock,
    smtp: tuple[Mailbox, str],
    closed_port: int,
    fault: str,
    reason: str,
) -> None:
    mailbox, url = smtp
    if fault == "recipient":
        mailbox.refuse = REFUSED
        where = url
    else:
        where = f"smtp://127.0.0.1:{closed_port}"
    number = founding_case(engine, clock)
    chaser_for(engine).sweep()
    queued = outbox(engine)
    delivery = dispatcher(
        engine, clock, max_attempts=3, email=SmtpChannel(url=where, sender=SENDER)
    )
    host = where.removeprefix("smtp://")
    start = clock.now()

    for attempt in (1, 2):
        assert delivery.dispatch() == DispatchResult(sent=0, retrying=2, failed=0)
        wait = timedelta(minutes=2 ** (attempt - 1))
        for row in outbox(engine):
            assert (row.status, row.attempts) == ("pending", attempt)
            assert row.last_error == f"SMTP {host} {reason}"
            assert (row.available_at, row.locked_until) == (clock.now() + wait, None)
        clock.advance(wait - timedelta(seconds=1))
        assert delivery.dispatch() == NOTHING  # still backing off
        clock.advance(timedelta(seconds=1))
    assert clock.now() == start + timedelta(minutes=3)

    assert delivery.dispatch() == DispatchResult(sent=0, retrying=0, failed=2)
    clock.advance(timedelta(days=1))
    assert delivery.dispatch() == NOTHING
    with engine.store.transaction(write=False) as tx:
        failed = list(tx.list_notifications(status=NotificationStatus.FAILED))
    assert [(n.status, n.attempts) for n in failed] == [("failed", 3)] * 2
    assert all(n.last_error == f"SMTP {host} {reason}" for n in failed)
    assert mailbox.mails == []

    letter = next(n for n in failed if n.recipient == AUTHORITY.email)
    again = delivery.retry(letter.id or 0)
    assert (again.status, again.available_at, again.locked_until) == (
        "pending",
        clock.now(),
        None,
    )
    mailbox.refuse = None
    delivery.channels["email"] = SmtpChannel(url=url, sender=SENDER)
    assert delivery.dispatch() == DispatchResult(sent=1, retrying=0, failed=0)
    assert delivery.dispatch() == NOTHING
    clock.advance(timedelta(hours=6))
    assert delivery.dispatch() == NOTHING

    assert [m.rcpt_tos for m in mailbox.mails] == [[AUTHORITY.email]]
    assert mailbox.message_ids() == [message_id(letter.idempotency_key)]
    assert mailbox.mails[0].message["X-Sagsflow-Case"] == number
    rows = outbox(engine)
    assert [n.id for n in rows] == [n.id for n in queued]  # nothing lost
    assert sorted((n.recipient, n.status) for n in rows) == [
        ("jurist@kk.example", "failed"),
        ("sof@kk.example", "sent"),
    ]


def test_the_backoff_doubles_until_the_last_attempt(
    engine: CaseEngine, clock: FakeClock, closed_port: int
) -> None:
    """Default limit (8 tries): waits of 1, 2, 4 ... 64 minutes, then failed."""
    founding_case(engine, clock)
    chaser_for(engine).sweep()
    [first, *_] = outbox(engine)
    channel = SmtpChannel(url=f"smtp://127.0.0.1:{closed_port}", sender=SENDER)
    delivery = dispatcher(engine, clock, email=channel)

    waits: list[timedelta] = []
    for attempt in range(1, 9):
        assert delivery.dispatch().attempted == 2
        row = one(engine, first.id)
        assert row.attempts == attempt
        if row.status != "pending":
            break
        waits.append(row.available_at - clock.now())
        clock.advance(waits[-1] - timedelta(seconds=1))
        assert delivery.dispatch() == NOTHING
        clock.advance(timedelta(seconds=1))

    assert waits == [timedelta(minutes=2**k) for k in range(7)]
    assert (row.status, row.attempts) == ("failed", 8)
    assert [n.status for n in outbox(engine)] == ["failed", "failed"]


# -- channels not configured ---------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "configured"),
    [
        pytest.param("email", ("log", "webhook"), id="no-email"),
        pytest.param("webhook", ("log", "email"), id="no-webhook"),
    ],
)
def test_a_channel_not_configured_leaves_its_messages_pending(
    engine: CaseEngine,
    clock: FakeClock,
    smtp: tuple[Mailbox, str],
    hook: Hook,
    missing: str,
    configured: tuple[str, ...],
) -> None:
    """The owner `jur` has no address: that notice goes to the log."""
    mailbox, url = smtp
    number = founding_case(engine, clock, advisor="bra", caseworker="jur")
    chaser_for(engine, settings=ChaseSettings(webhook_url=hook.url)).sweep()
    every: dict[str, Channel] = {
        "log": LogChannel(),
        "email": SmtpChannel(url=url, sender=SENDER),
        "webhook": WebhookChannel(secret=SECRET, clock=clock),
    }
    delivery = Dispatcher(
        store=engine.store,
        clock=clock,
        channels={name: every[name] for name in configured},
    )

    with capture_logs() as logs:
        result = delivery.dispatch()

    assert result == DispatchResult(sent=2, retrying=1, failed=0)
    rows = outbox(engine)
    assert sorted((n.channel, n.status) for n in rows) == [
        (channel, "pending" if channel == missing else "sent")
        for channel in ("email", "log", "webhook")
    ]
    [waiting] = [n for n in rows if n.channel == missing]
    assert waiting.last_error == f"no {missing!r} channel is configured"
    assert (waiting.attempts, waiting.available_at) == (
        1,
        clock.now() + timedelta(minutes=1),
    )
    logged = [e for e in logs if e["event"] == "notification_logged"]
    assert [(e["case"], e["recipient"], e["kind"]) for e in logged] == [
        (number, "owner: jur (no e-mail address)", "notice")
    ]
    assert len(mailbox.mails) == (0 if missing == "email" else 1)
    assert len(hook.requests) == (0 if missing == "webhook" else 1)


# -- at least once -------------------------------------------------------------------


def test_a_crash_after_sending_resends_after_the_lease_with_the_same_message_id(
    engine: CaseEngine, clock: FakeClock, smtp: tuple[Mailbox, str]
) -> None:
    mailbox, url = smtp
    founding_case(engine, clock)
    chaser_for(engine).sweep()
    channel = SmtpChannel(url=url, sender=SENDER)
    crashed = clock.now()
    with engine.store.transaction() as tx:
        claimed = tx.claim_notifications(
            crashed, limit=20, lease_until=crashed + DEFAULT_LEASE
        )
    for n in claimed:
        channel.send(n)  # ... and the worker dies before recording it
    first = set(mailbox.message_ids())
    assert first == {message_id(n.idempotency_key) for n in outbox(engine)}
    assert len(first) == len(claimed) == 2
    delivery = dispatcher(engine, clock, email=channel)

    assert delivery.dispatch() == NOTHING
    clock.advance(DEFAULT_LEASE)  # the lease runs to 09:05:00 inclusive
    assert delivery.dispatch() == NOTHING
    assert [n.status for n in outbox(engine)] == ["pending", "pending"]
    clock.advance(timedelta(seconds=1))
    assert delivery.dispatch() == DispatchResult(sent=2, retrying=0, failed=0)
    assert delivery.dispatch() == NOTHING

    ids = mailbox.message_ids()
    assert len(ids) == 4
    assert set(ids) == first  # the receiver sees duplicates it can drop
    assert all(ids.count(i) == 2 for i in first)
    rows = outbox(engine)
    assert [(n.status, n.attempts, n.sent_at) for n in rows] == [
        ("sent", 2, clock.now())
    ] * 2


def test_a_late_failure_from_an_expired_lease_does_not_unsend(
    engine: CaseEngine, clock: FakeClock, smtp: tuple[Mailbox, str]
) -> None:
    """Worker A stalls past its lease; B delivers; A's refusal must not undo it."""
    mailbox, url = smtp
    founding_case(engine, clock)
    chaser_for(engine).sweep()
    stalled = dispatcher(engine, clock, email=SmtpChannel(url=url, sender=SENDER))
    other = dispatcher(engine, clock, email=SmtpChannel(url=url, sender=SENDER))
    taken_over: list[DispatchResult] = []
    stalling = threading.Event()

    async def stall(address: str) -> str | None:
        """A's first recipient: B takes over, then A's server gives up on A."""
        if stalling.is_set():
            return None  # B's connection, and A's later ones
        stalling.set()
        clock.advance(DEFAULT_LEASE + timedelta(seconds=1))
        loop = asyncio.get_running_loop()
        taken_over.append(await loop.run_in_executor(None, other.dispatch))
        return "451 4.3.0 try again later"

    mailbox.intercept = stall

    stalled.dispatch()

    assert taken_over == [DispatchResult(sent=2, retrying=0, failed=0)]
    delivered = sorted(m.rcpt_tos[0] for m in mailbox.mails)
    # A's second message was B's by then: A renews before it sends, and skips it
    assert delivered == ["jurist@kk.example", "sof@kk.example"]
    letter = next(n for n in outbox(engine) if n.recipient == AUTHORITY.email)
    assert (letter.status, letter.last_error) == ("sent", None)


# -- the command line ----------------------------------------------------------------

OPENED_AT = "2024-10-03T10:00:00+02:00"
SENT_AT = "2024-10-09T10:00:00+02:00"
DISPATCHED_AT = "2024-10-09T14:00:00+02:00"


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


def ok_json(run: Run, *argv: str) -> Any:
    return json.loads(ok(run, *argv))


@pytest.mark.parametrize(
    ("sweep", "env"),
    [
        pytest.param(
            ("--now", "2024-11-07T09:00:00+01:00", "--force"), {}, id="now-force"
        ),
        pytest.param(
            (),
            {"SAGSFLOW_SWEEP_CLOSED_DAYS": "1", "SAGSFLOW_QUIET_HOURS": "none"},
            id="closed-days-no-quiet-hours",
        ),
    ],
)
def test_cli_outbox_list_dispatch_and_retry(
    run: Run,
    initialised: Path,
    db_url: str,
    smtp: tuple[Mailbox, str],
    monkeypatch: pytest.MonkeyPatch,
    sweep: tuple[str, ...],
    env: dict[str, str],
) -> None:
    mailbox, url = smtp
    ok(run, "user", "add", CASEWORKER, "--role", "caseworker", "--email",
       ADDRESSES[CASEWORKER], "--actor", "bra")  # fmt: skip
    number = ok_json(
        run,
        *("case", "open", WORKFLOW, "--actor", "bra", "--title", "Politianmeldelse"),
        *("--party", "authority=Socialforvaltningen"),
        *("--party-email", f"authority={AUTHORITY.email}"),
        *("--data", "own_initiative=true", "--at", OPENED_AT, "--json"),
        *("--owner", CASEWORKER),
    )["number"]
    ok(run, "case", "fire", number, "send_inquiry", "--actor", CASEWORKER,
       "--document", "Høring af Socialforvaltningen", "--at", SENT_AT)  # fmt: skip
    ok(run, "case", "fire", number, "mark_dispatched", "--actor", CASEWORKER,
       "--at", DISPATCHED_AT)  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    swept = ok_json(run, "sweep", *sweep, "--json")
    assert swept["skipped"] is None
    assert [(c["number"], c["rung"]) for c in swept["chased"]] == [
        (number, "reminder_1")
    ]
    everything = ok_json(run, "outbox", "list", "--json")
    # the inquiry letter was rendered by its own command; the reminder is
    # rendered when the e-mail that carries it is sent (no render item)
    assert sorted((n["recipient"], n["kind"], n["status"]) for n in everything) == [
        (f"{number}-1", "rendition", "sent"),
        ("jurist@kk.example", "notice", "pending"),
        ("sof@kk.example", "letter", "pending"),
    ]
    assert all(n["case"] == number and n["attempts"] == 0 for n in everything)
    listed = [n for n in everything if n["kind"] != "rendition"]

    # no SMTP configured: both e-mails wait, with the reason, and a warning each
    # (the reminder is rendered when its e-mail goes)
    code, out, err = run("outbox", "dispatch", "--json")
    assert (code, json.loads(out)) == (0, {"sent": 0, "retrying": 2, "failed": 0})
    warnings = err.splitlines()
    assert len(warnings) == 2
    assert all("notification_retrying" in line for line in warnings)
    assert all("no 'email' channel is configured" in line for line in warnings)
    waiting = ok_json(run, "outbox", "list", "--status", "pending", "--json")
    assert {(n["status"], n["attempts"], n["last_error"]) for n in waiting} == {
        ("pending", 1, "no 'email' channel is configured")
    }
    assert ok_json(run, "outbox", "list", "--status", "failed", "--json") == []

    # a worker that gives up after one more try marks them failed
    db = create_db_engine(db_url)
    try:
        later = max(parse_instant(n["available_at"]) for n in waiting)
        giving_up = Dispatcher(
            store=SqlCaseStore(db), clock=FakeClock(later), channels={}, max_attempts=2
        )
        assert giving_up.dispatch() == DispatchResult(sent=0, retrying=0, failed=2)
    finally:
        db.dispose()
    failed = ok_json(run, "outbox", "list", "--status", "failed", "--json")
    assert [n["id"] for n in failed] == [n["id"] for n in listed]
    assert ok_json(run, "outbox", "list", "--status", "pending", "--json") == []
    table = ok(run, "outbox", "list", "--status", "failed").splitlines()
    assert len(table) == 2 + len(failed)  # header, rule, rows
    assert all("failed" in line and "configured" in line for line in table[2:])
    letter = next(n for n in failed if n["recipient"] == AUTHORITY.email)

    assert run("outbox", "retry", "999") == (
        1,
        "",
        "sagsflow: error: no notification 999 in the outbox\n",
    )
    assert ok(run, "outbox", "retry", str(letter["id"])) == (
        f"notification {letter['id']} to {AUTHORITY.email} is pending again\n"
    )
    monkeypatch.setenv("SAGSFLOW_SMTP_URL", url)
    monkeypatch.setenv("SAGSFLOW_MAIL_FROM", SENDER)
    assert ok_json(run, "outbox", "dispatch", "--json") == {
        "sent": 1,
        "retrying": 0,
        "failed": 0,
    }
    assert ok_json(run, "outbox", "dispatch", "--json") == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
    }
    [mail] = mailbox.mails
    assert (mail.mail_from, mail.rcpt_tos) == (SENDER, [AUTHORITY.email])
    assert mail.message["Message-ID"] == message_id(letter["idempotency_key"])
    assert mail.message["X-Sagsflow-Case"] == number
    assert number in str(mail.message["Subject"])
    [attached] = mail.message.iter_attachments()  # the reminder, rendered as it went
    assert attached.get_filename() == f"{number}-2.pdf"
    assert attached.get_content_type() == "application/pdf"

    code, out, err = run("outbox", "retry", str(letter["id"]))
    assert (code, out) == (1, "")
    assert err.startswith(f"sagsflow: error: notification {letter['id']} was sent at ")
    assert err.count("\n") == 1
    final = [
        n for n in ok_json(run, "outbox", "list", "--json") if n["kind"] != "rendition"
    ]
    assert [(n["id"], n["status"]) for n in final] == [
        (n["id"], "sent" if n["id"] == letter["id"] else "failed") for n in listed
    ]
    sent = next(n for n in final if n["id"] == letter["id"])
    assert (sent["attempts"], sent["last_error"]) == (3, None)
    assert sent["sent_at"] is not None


def test_retry_refuses_a_message_being_delivered_right_now(
    engine: CaseEngine, clock: FakeClock
) -> None:
    """A retry must not take a message away from the worker sending it."""
    from engine.exceptions import InvalidInputError

    founding_case(engine, clock)
    chaser_for(engine).sweep()
    with engine.store.transaction() as tx:
        (leased, *_) = tx.claim_notifications(
            clock.now(), limit=1, lease_until=clock.now() + DEFAULT_LEASE
        )
    with pytest.raises(InvalidInputError, match="being delivered right now"):
        dispatcher(engine, clock).retry(leased.id or 0)
    assert one(engine, leased.id).locked_until is not None  # the lease stands
