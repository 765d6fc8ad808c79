"""The notification channels against real servers on 127.0.0.1, no mocks.

SMTP runs on aiosmtpd's threaded `Controller`, webhooks on a
`ThreadingHTTPServer`, both on ports the OS picks, shut down by their fixtures.
`send` returns only after the server has answered, and the servers record
before they answer, so no test waits or sleeps. The timeout tests point at a
socket that listens but never answers and wait out the channel's own short
timeout. TLS tests trust a throwaway certificate through `SSL_CERT_FILE`.

Warnings (pytest runs with filterwarnings=error): aiosmtpd warns only when a
server *requires* AUTH without TLS; the plain-text login test offers AUTH
without requiring it, so nothing is filtered here. aiosmtpd's own
"Session.login_data is deprecated" is a log record of its internals, not a
warning.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from structlog.testing import capture_logs

from engine.exceptions import DeliveryError
from engine.records import Notification
from engine.testing import FakeClock
from service.channels import (
    LogChannel,
    SmtpChannel,
    WebhookChannel,
    build_channels,
    message_id,
    verify_signature,
)
from service.smtp_url import _parse_smtp_url
from tests.service.servers import AnyPortController, http_server

CREATED = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
SUBJECT = "Påmindelse: svar på henvendelse i sag 2024-0283489 (æøå ÆØÅ)"
BODY = "Kære Søren Ærø,\n\nvi mangler stadig dit svar på vores brev.\n\nVenlig hilsen\n"
SENDER = "sagsflow@kommune.example"
REFUSED = "ukendt@example.dk"
SECRET = "delt-hemmelighed"
LOGIN = "sagsflow:p%40ss%3Aw%2Frd"  # user sagsflow, password p@ss:w/rd
TIMEOUT = 0.3  # seconds; only the timeout tests wait it out


def notification(**changes: Any) -> Notification:
    base = Notification(
        id=7,
        idempotency_key="case-42/seq-3/reminder-1",
        case_id=42,
        case_number="2024-0283489",
        channel="email",
        recipient="borger@example.dk",
        kind="reminder",
        subject=SUBJECT,
        body=BODY,
        payload={"rung": "first_reminder", "due": "2024-11-20", "bemærkning": "ø"},
        available_at=CREATED,
        created_at=CREATED,
    )
    return replace(base, **changes)


# -- servers -------------------------------------------------------------------


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    authenticated: bool


@dataclass
class MailRecorder:
    """An aiosmtpd handler: refuses `REFUSED`, keeps every message it accepts."""

    mails: list[Mail] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.original_content, bytes)
        # the wire has CRLF line ends; compare bodies with Python's "\n"
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        assert envelope.mail_from is not None
        self.mails.append(
            Mail(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,
                bool(session.authenticated),
            )
        )
        return "250 OK queued"


def check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = data == LoginPassword(b"sagsflow", b"p@ss:w/rd")
    return AuthResult(success=ok, handled=False)


StartSmtp = Callable[..., tuple[MailRecorder, int]]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start an SMTP server with Controller options; returns (recorder, port)."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[MailRecorder, int]:
        recorder = MailRecorder()
        controller = AnyPortController(
            recorder, hostname="127.0.0.1", port=0, ready_timeout=5.0, **options
        )
        controller.start()
        controllers.append(controller)
        return recorder, controller.port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(start_smtp: StartSmtp) -> tuple[MailRecorder, int]:
    return start_smtp()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (backlog) but never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert, key)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("the openssl command is needed to make a test certificate")
    return cert, key


@pytest.fixture
def server_tls(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> ssl.SSLContext:
    """A server TLS context whose certificate the client trusts."""
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by create_default_context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@dataclass
class Hook:
    """A webhook receiver: what it answers and what it got (path, headers, body)."""

    url: str
    status: int = 204
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    received = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append((self.path, dict(self.headers), body))
            self.send_response(received.status)
            if 300 <= received.status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

    with http_server(Handler) as base:
        received.url = f"{base}/hooks/sag?token=t0p"
        yield received


# -- SmtpChannel -----------------------------------------------------------------


def test_smtp_delivers_danish_mail_with_stable_message_id(
    smtp: tuple[MailRecorder, int],
) -> None:
    recorder, port = smtp
    channel = SmtpChannel(url=f"smtp://127.0.0.1:{port}", sender=SENDER)
    first = notification()

    with capture_logs() as logs:
        channel.send(first)
        channel.send(first)  # an at-least-once re-send
        channel.send(replace(first, idempotency_key="case-42/seq-3/reminder-2"))

    assert [(m.mail_from, m.rcpt_tos) for m in recorder.mails] == [
        (SENDER, ["borger@example.dk"])
    ] * 3
    mail = recorder.mails[0].message
    assert mail["Subject"] == SUBJECT
    assert mail["From"] == SENDER
    assert mail["To"] == "borger@example.dk"
    assert mail["X-Sagsflow-Case"] == "2024-0283489"
    assert mail["X-Sagsflow-Idempotency-Key"] == "case-42/seq-3/reminder-1"
    assert mail["Date"] == format_datetime(CREATED)
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == BODY
    ids = [m.message["Message-ID"] for m in recorder.mails]
    assert ids[0] == ids[1] == message_id("case-42/seq-3/reminder-1")
    assert ids[2] != ids[0]
    assert ids[0].endswith("@sagsflow>")
    assert len(ids[0]) == len("<@sagsflow>") + 32
    assert BODY not in repr(logs)


def test_smtp_recipient_refused_names_the_code_not_the_address(
    smtp: tuple[MailRecorder, int],
) -> None:
    recorder, port = smtp
    channel = SmtpChannel(url=f"smtp://127.0.0.1:{port}", sender=SENDER)

    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(recipient=REFUSED))

    assert str(caught.value) == (
        f"SMTP 127.0.0.1:{port} refused the recipient: 550 5.1.1 mailbox unavailable"
    )
    assert REFUSED not in str(caught.value)
    assert recorder.mails == []


def test_smtp_connection_refused(closed_port: int) -> None:
    channel = SmtpChannel(
        url=f"smtp://127.0.0.1:{closed_port}", sender=SENDER, timeout=TIMEOUT
    )

    with pytest.raises(DeliveryError, match=r"refused the connection$") as caught:
        channel.send(notification())

    assert str(caught.value).startswith(f"SMTP 127.0.0.1:{closed_port} ")
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_smtp_server_that_never_greets_times_out(silent_port: int) -> None:
    channel = SmtpChannel(
        url=f"smtp://127.0.0.1:{silent_port}", sender=SENDER, timeout=TIMEOUT
    )

    with pytest.raises(DeliveryError, match=r"did not answer within 0\.3 s$"):
        channel.send(notification())


def test_smtp_header_with_line_break_is_not_sent(
    smtp: tuple[MailRecorder, int],
) -> None:
    recorder, port = smtp
    channel = SmtpChannel(url=f"smtp://127.0.0.1:{port}", sender=SENDER)

    with pytest.raises(DeliveryError, match="cannot build the message"):
        channel.send(notification(subject="Påmindelse\nBcc: alle@example.dk"))

    assert recorder.mails == []


def test_smtp_logs_in_with_percent_decoded_credentials(
    start_smtp: StartSmtp,
) -> None:
    # AUTH over plain text is offered here only because the test has no TLS;
    # auth_required stays False, which also avoids aiosmtpd's warning about it.
    recorder, port = start_smtp(authenticator=check_login, auth_require_tls=False)
    good = SmtpChannel(url=f"smtp://{LOGIN}@127.0.0.1:{port}", sender=SENDER)
    bad = SmtpChannel(url=f"smtp://sagsflow:forkert@127.0.0.1:{port}", sender=SENDER)

    good.send(notification())
    with pytest.raises(DeliveryError, match=r"rejected the login: 535 ") as caught:
        bad.send(notification())

    assert [m.authenticated for m in recorder.mails] == [True]
    assert "forkert" not in str(caught.value)


def test_smtp_starttls_with_login(
    start_smtp: StartSmtp, server_tls: ssl.SSLContext
) -> None:
    recorder, port = start_smtp(
        tls_context=server_tls, require_starttls=True, authenticator=check_login
    )
    url = f"smtp://{LOGIN}@127.0.0.1:{port}?starttls=1"

    SmtpChannel(url=url, sender=SENDER).send(notification())

    assert [m.authenticated for m in recorder.mails] == [True]
    assert recorder.mails[0].message.get_content() == BODY


def test_smtp_starttls_refused_by_server_is_not_downgraded(
    smtp: tuple[MailRecorder, int],
) -> None:
    recorder, port = smtp
    channel = SmtpChannel(url=f"smtp://127.0.0.1:{port}?starttls=1", sender=SENDER)

    with pytest.raises(DeliveryError, match="STARTTLS extension not supported"):
        channel.send(notification())

    assert recorder.mails == []


def test_smtps(start_smtp: StartSmtp, server_tls: ssl.SSLContext) -> None:
    recorder, port = start_smtp(ssl_context=server_tls)

    SmtpChannel(url=f"smtps://127.0.0.1:{port}", sender=SENDER).send(notification())

    assert recorder.mails[0].message["Subject"] == SUBJECT


def test_smtps_to_a_plain_server_fails_in_tls(
    smtp: tuple[MailRecorder, int],
) -> None:
    recorder, port = smtp
    channel = SmtpChannel(url=f"smtps://127.0.0.1:{port}", sender=SENDER)

    with pytest.raises(DeliveryError, match=f"SMTP 127.0.0.1:{port} TLS failed: "):
        channel.send(notification())

    assert recorder.mails == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, False, False, None, None)),
        ("smtps://mail.example", ("mail.example", 465, True, False, None, None)),
        (
            "smtp://u%40x:p%2Fq@mail.example:587/?starttls=true",
            ("mail.example", 587, False, True, "u@x", "p/q"),
        ),
        ("smtp://[::1]:2525?starttls=0", ("::1", 2525, False, False, None, None)),
    ],
)
def test_smtp_url_parts(url: str, expected: tuple[object, ...]) -> None:
    t = _parse_smtp_url(url)

    assert (t.host, t.port, t.tls, t.starttls, t.username, t.password) == expected
    assert "p/q" not in repr(t)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "must start with smtp:// or smtps://"),
        ("mail.example:25", "must start with smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("smtp://user:hemmelig@mail.example:99999", "invalid port"),
        ("smtp://user:hemmelig@mail.example:abc", "invalid port"),
        ("smtp://mail.example/inbox", "must not have a path"),
        ("smtp://mail.example?tls=1", r"unknown parameter\(s\) \['tls'\]"),
        ("smtp://mail.example?starttls=maybe", "starttls must be 1 or 0"),
        ("smtps://mail.example?starttls=1", "TLS already"),
        ("smtp://hemmelig@mail.example", "both user and password"),
        ("smtp://u:hemmelig%C3%B8@mail.example", "only log in with ASCII"),
    ],
)
def test_bad_smtp_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        SmtpChannel(url=url, sender=SENDER)

    assert "hemmelig" not in str(caught.value)


def test_smtp_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="sender"):
        SmtpChannel(url="smtp://mail.example", sender=" ")


# -- WebhookChannel ---------------------------------------------------------------


def test_webhook_posts_signed_canonical_json(hook: Hook) -> None:
    clock = FakeClock(datetime(2024, 11, 26, 8, 30, tzinfo=UTC))
    channel = WebhookChannel(secret=SECRET, clock=clock)
    sent = notification(channel="webhook", recipient=hook.url)

    channel.send(sent)

    [(path, headers, body)] = hook.requests
    assert path == "/hooks/sag?token=t0p"
    assert json.loads(body) == {
        "idempotency_key": "case-42/seq-3/reminder-1",
        "case": "2024-0283489",
        "kind": "reminder",
        "subject": SUBJECT,
        "body": BODY,
        "payload": {"rung": "first_reminder", "due": "2024-11-20", "bemærkning": "ø"},
        "created_at": "2024-11-25T09:00:00+00:00",
    }
    assert body == channel.body(sent)
    assert body.startswith(b'{"body":"K\xc3\xa6re')  # sorted, compact, raw UTF-8
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Sagsflow-Idempotency-Key"] == "case-42/seq-3/reminder-1"
    assert headers["X-Sagsflow-Timestamp"] == str(int(clock.now().timestamp()))
    signature = headers["X-Sagsflow-Signature"]
    assert signature.startswith("sha256=")
    assert verify_signature(SECRET, body, signature)
    assert not verify_signature("en anden hemmelighed", body, signature)
    assert not verify_signature(
        SECRET, body.replace(b"reminder", b"reminded"), signature
    )


@pytest.mark.parametrize("header", ["", "sha256=", "sha256=zz", "sha256=æøå", "md5=0"])
def test_verify_signature_rejects_malformed_headers(header: str) -> None:
    assert not verify_signature(SECRET, b"{}", header)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "Internal Server Error"), (404, "Not Found"), (302, "Found")],
)
def test_webhook_non_2xx_is_a_delivery_error(
    hook: Hook, status: int, reason: str
) -> None:
    hook.status = status
    channel = WebhookChannel(secret=SECRET)

    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="webhook", recipient=hook.url))

    assert str(caught.value) == (
        f"webhook {hook.url.split('?')[0]} answered {status} {reason}"
    )
    assert len(hook.requests) == 1  # a redirect is not followed


def test_webhook_connection_refused(closed_port: int) -> None:
    channel = WebhookChannel(secret=SECRET, timeout=TIMEOUT)
    url = f"http://127.0.0.1:{closed_port}/hook"

    with pytest.raises(DeliveryError) as caught:
        channel.send(notification(channel="webhook", recipient=url))

    assert str(caught.value) == f"webhook {url} refused the connection"


def test_webhook_timeout(silent_port: int) -> None:
    channel = WebhookChannel(secret=SECRET, timeout=TIMEOUT)
    url = f"http://127.0.0.1:{silent_port}/hook"

    with pytest.raises(DeliveryError, match=r"did not answer within 0\.3 s$"):
        channel.send(notification(channel="webhook", recipient=url))


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/hook", "file:///etc/passwd", "hooks/sag", "http:///x"]
)
def test_webhook_refuses_urls_that_are_not_http(url: str) -> None:
    with pytest.raises(DeliveryError, match="not an http"):
        WebhookChannel(secret=SECRET).send(notification(recipient=url))


def test_webhook_payload_that_is_not_json(hook: Hook) -> None:
    bad = notification(recipient=hook.url, payload={"amount": float("nan")})

    with pytest.raises(DeliveryError, match="payload is not JSON"):
        WebhookChannel(secret=SECRET).send(bad)

    assert hook.requests == []


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookChannel(secret="")


# -- LogChannel and build_channels ------------------------------------------------


def test_log_channel_logs_the_envelope_not_the_body() -> None:
    sent = notification(channel="log", recipient="sagsbehandler jur")

    with capture_logs() as logs:
        LogChannel().send(sent)

    assert logs == [
        {
            "event": "notification_logged",
            "log_level": "info",
            "case": "2024-0283489",
            "kind": "reminder",
            "recipient": "sagsbehandler jur",
            "subject": SUBJECT,
            "idempotency_key": "case-42/seq-3/reminder-1",
        }
    ]
    assert "Kære" not in repr(logs)


def test_build_channels_log_only() -> None:
    channels = build_channels(smtp_url=None, mail_from=None, webhook_secret=None)

    assert list(channels) == ["log"]
    assert isinstance(channels["log"], LogChannel)


def test_build_channels_all() -> None:
    channels = build_channels(
        smtp_url="smtp://mail.example:587?starttls=1",
        mail_from=SENDER,
        webhook_secret=SECRET,
    )

    assert sorted(channels) == ["email", "log", "webhook"]
    assert isinstance(channels["email"], SmtpChannel)
    assert isinstance(channels["webhook"], WebhookChannel)


def test_build_channels_webhook_without_email() -> None:
    channels = build_channels(smtp_url=None, mail_from=SENDER, webhook_secret=SECRET)

    assert sorted(channels) == ["log", "webhook"]


@pytest.mark.parametrize("mail_from", [None, "", "  "])
def test_build_channels_smtp_needs_a_sender(mail_from: str | None) -> None:
    with pytest.raises(ValueError, match="no sender address"):
        build_channels(
            smtp_url="smtp://mail.example", mail_from=mail_from, webhook_secret=None
        )


@pytest.mark.parametrize(
    ("smtp_url", "secret", "message"),
    [("pop3://mail.example", None, "smtp://"), (None, "", "webhook secret")],
)
def test_build_channels_refuses_bad_settings(
    smtp_url: str | None, secret: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_channels(smtp_url=smtp_url, mail_from=SENDER, webhook_secret=secret)
