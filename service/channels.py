"""The ways out for notifications: e-mail (SMTP), signed webhooks and the log.

Each channel implements `engine.ports.Channel`: `send` delivers one outbox
`Notification` or raises `DeliveryError` with a one-line reason, which the
dispatcher records and retries. Delivery is at-least-once (a crash between
sending and marking sent re-sends), so every channel passes the notification's
idempotency key downstream: as a stable `Message-ID` and an
`X-Sagsflow-Idempotency-Key` header, so a receiver can drop the duplicate.

Hazards:
    * Bodies are personal data: they are never logged, and no error reason
      quotes them. Error reasons name the server, never credentials, the mail
      recipient or a webhook URL's query string (tokens live there).
    * The e-mail `Date` is the notification's `created_at`, so a re-send is the
      same message; the webhook's `X-Sagsflow-Timestamp` is the send time and,
      like every header, is not covered by the signature (only the raw body is).
    * Webhooks never follow redirects: urllib would re-send a redirected POST
      as a body-less GET and report success. Only http(s) URLs are accepted.
    * A message that cannot be built (a line break in a header, a payload that
      is not JSON) also raises `DeliveryError`: it will not get better on retry,
      and the dispatcher's attempt limit turns it into a visible failure.
    * SMTP user and password must be ASCII: smtplib cannot send others
      (python/cpython#73936), so the URL is refused up front. TLS certificates
      are always verified (the system store; `SSL_CERT_FILE` is honoured).
    * `timeout` bounds each connect and each read, not the whole send.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime
from functools import partial

import structlog

from engine.cases.documents import DocumentRead
from engine.cases.renditions import Renditions
from engine.clock import Clock, SystemClock
from engine.exceptions import DeliveryError
from engine.ports import Channel
from engine.records import Notification
from service.renditions import RenderChannel, Rendering, attach_letter
from service.smtp_url import _parse_smtp_url

DEFAULT_TIMEOUT = 10.0  # seconds, per connect / read
USER_AGENT = "sagsflow-webhook/1"
_MAX_REASON = 300

log = structlog.get_logger()


def _one_line(text: object) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 3] + "..."


def message_id(idempotency_key: str) -> str:
    """The `Message-ID` for a key: the same key always gives the same id."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return f"<{digest[:32]}@sagsflow>"


def _reason(exc: BaseException, timeout: float) -> str:
    """What went wrong, in one line, without the recipient or credentials."""
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, OSError
    ):
        exc = exc.__context__  # smtplib hides a timeout or reset behind this
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return f"refused the recipient: {code} {_one_line(text)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"refused the sender: {exc.smtp_code} {_one_line(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"rejected the login: {exc.smtp_code} {_one_line(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"rejected the message: {exc.smtp_code} {_one_line(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"answered {exc.smtp_code} {_one_line(exc.smtp_error)}"
    if isinstance(exc, ConnectionRefusedError):
        return "refused the connection"
    if isinstance(exc, TimeoutError):
        return f"did not answer within {timeout:g} s"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {_one_line(exc.reason or exc)}"
    return f"failed: {_one_line(exc) or type(exc).__name__}"


class SmtpChannel:
    """E-mail through an SMTP server (plain, STARTTLS or SMTPS).

    Args:
        url: `smtp://host:port`, `smtp://user:pass@host:587?starttls=1` or
            `smtps://host:465`; user and password are percent-decoded.
        sender: The From address.
        timeout: Seconds for connecting and for each server answer.

    Raises:
        ValueError: The URL or the sender is not usable (the message never
            contains the password).
    """

    def __init__(
        self,
        *,
        url: str,
        sender: str,
        timeout: float = DEFAULT_TIMEOUT,
        attach: Callable[[str], DocumentRead] | None = None,
    ) -> None:
        if not sender.strip():
            raise ValueError("an e-mail sender (From address) is required")
        self._target = _parse_smtp_url(url)
        self._sender = sender.strip()
        self._timeout = timeout
        self._attach = attach  # a letter's document, as sealed (service.renditions)

    def build_message(self, notification: Notification) -> EmailMessage:
        """The message `send` delivers (ValueError on a line break in a header)."""
        n = notification
        msg = EmailMessage()
        msg["From"] = self._sender
        msg["To"] = n.recipient
        msg["Subject"] = n.subject
        msg["Date"] = format_datetime(n.created_at)
        msg["Message-ID"] = message_id(n.idempotency_key)
        msg["X-Sagsflow-Case"] = n.case_number
        msg["X-Sagsflow-Idempotency-Key"] = n.idempotency_key
        # quoted-printable keeps Danish letters intact over 7-bit relays too
        msg.set_content(n.body, charset="utf-8", cte="quoted-printable")
        document = n.payload.get("document")
        if self._attach is not None and isinstance(document, str):
            read = self._attach(document)  # the letter: the bytes its step sealed
            kind, _, sub = read.media_type.partition(";")[0].partition("/")
            suffix = ".pdf" if sub == "pdf" else ".html"
            msg.add_attachment(
                read.data, maintype=kind, subtype=sub, filename=document + suffix
            )
        return msg

    def send(self, notification: Notification) -> None:
        """Deliver by e-mail.

        Raises:
            DeliveryError: The message could not be built, or the server could
                not be reached or refused it; the reason names host and port.
        """
        t = self._target
        where = f"SMTP {t.host}:{t.port}"
        try:
            msg = self.build_message(notification)
        except (ValueError, TypeError) as exc:
            raise DeliveryError(f"{where}: cannot build the message: {exc}") from exc
        try:
            client: smtplib.SMTP
            if t.tls:
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(
                    t.host, t.port, timeout=self._timeout, context=context
                )
            else:
                client = smtplib.SMTP(t.host, t.port, timeout=self._timeout)
            with client:
                if t.starttls:
                    client.starttls(context=ssl.create_default_context())
                if t.username is not None and t.password is not None:
                    client.login(t.username, t.password)
                # one recipient: a refusal raises SMTPRecipientsRefused
                client.send_message(msg, self._sender, [notification.recipient])
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{where} {_reason(exc, self._timeout)}") from exc


def canonical_json(value: object) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    text = json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def _signature(secret: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    )


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.

    For receivers; compares in constant time. Pass the raw request body, not a
    re-serialised copy.
    """
    expected = _signature(secret, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx then surfaces as an HTTPError


class WebhookChannel:
    """A signed JSON POST to the URL in `Notification.recipient`.

    Args:
        secret: The HMAC key shared with the receiver.
        timeout: Seconds for connecting and for each read.
        clock: Source of `X-Sagsflow-Timestamp` (default the system clock).

    Raises:
        ValueError: The secret is empty.
    """

    def __init__(
        self,
        *,
        secret: str,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is required (it signs every request)")
        self._secret = secret
        self._timeout = timeout
        self._clock: Clock = clock or SystemClock()
        self._opener = urllib.request.build_opener(_NoRedirects)

    def body(self, notification: Notification) -> bytes:
        """The request body `send` posts (canonical JSON)."""
        n = notification
        return canonical_json(
            {
                "idempotency_key": n.idempotency_key,
                "case": n.case_number,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "payload": n.payload,
                "created_at": n.created_at.isoformat(),
            }
        )

    def send(self, notification: Notification) -> None:
        """POST the notification; any 2xx answer counts as delivered.

        Raises:
            DeliveryError: Not an http(s) URL, a body that is not JSON, no
                connection, a timeout, or a non-2xx status (with its reason).
        """
        parts = urllib.parse.urlsplit(notification.recipient)
        where = f"webhook {_public_url(parts)}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"{where}: not an http(s) URL")
        try:
            body = self.body(notification)
        except (ValueError, TypeError) as exc:
            raise DeliveryError(f"{where}: payload is not JSON: {exc}") from exc
        request = urllib.request.Request(
            notification.recipient,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Sagsflow-Idempotency-Key": notification.idempotency_key,
                "X-Sagsflow-Signature": _signature(self._secret, body),
                "X-Sagsflow-Timestamp": str(int(self._clock.now().timestamp())),
            },
        )
        try:
            # urllib raises HTTPError for any answer outside 2xx
            with self._opener.open(request, timeout=self._timeout):
                pass
        except urllib.error.HTTPError as exc:  # 4xx, 5xx and unfollowed 3xx
            exc.close()
            reason = f"answered {exc.code} {_one_line(exc.reason)}"
            raise DeliveryError(f"{where} {reason}") from exc
        except urllib.error.URLError as exc:
            cause = exc.reason if isinstance(exc.reason, Exception) else None
            text = _reason(cause, self._timeout) if cause else _one_line(exc.reason)
            raise DeliveryError(f"{where} {text}") from exc
        except (OSError, http.client.HTTPException) as exc:  # while reading
            raise DeliveryError(f"{where} {_reason(exc, self._timeout)}") from exc


def _public_url(parts: urllib.parse.SplitResult) -> str:
    """Scheme, host, port and path: no user info, query or fragment (secrets)."""
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ":?"
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


class LogChannel:
    """Writes `notification_logged` (case, kind, recipient, subject; never the body)."""

    def send(self, notification: Notification) -> None:
        """Log the notification; never raises."""
        n = notification
        log.info(
            "notification_logged",
            case=n.case_number,
            kind=n.kind,
            recipient=n.recipient,
            subject=n.subject,
            idempotency_key=n.idempotency_key,
        )


def build_channels(
    *,
    smtp_url: str | None,
    mail_from: str | None,
    webhook_secret: str | None,
    renditions: Renditions | None = None,
) -> dict[str, Channel]:
    """The channels the settings enable, by `Notification.channel` name.

    "log" always; "email" when `smtp_url` is given (None means unset);
    "webhook" when `webhook_secret` is given; "render" with `renditions`,
    whose PDFs the e-mails then attach (service.renditions).

    Raises:
        ValueError: `smtp_url` without `mail_from`, a bad SMTP URL, or an
            empty webhook secret.
    """
    channels: dict[str, Channel] = {"log": LogChannel()}
    if smtp_url is not None:
        if not mail_from or not mail_from.strip():
            raise ValueError("an SMTP URL is set but no sender address (mail_from)")
        attach = partial(attach_letter, renditions) if renditions else None
        channels["email"] = SmtpChannel(url=smtp_url, sender=mail_from, attach=attach)
    if renditions is not None:
        for name in ("log", "webhook"):  # the e-mail renders as it attaches
            if name in channels:
                channels[name] = Rendering(channels[name], renditions)
        channels["render"] = RenderChannel(renditions)
    if webhook_secret is not None:
        channels["webhook"] = WebhookChannel(secret=webhook_secret)
    return channels
