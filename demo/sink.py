"""A local SMTP sink for `sagsflow demo --serve`: one short line per mail.

An aiosmtpd server on 127.0.0.1, on a port the OS picks, that accepts every
mail and hands a one-line summary (local time, recipients, subject) to a
callback, so a newcomer sees the reminders go out. Bodies are not printed:
they are letters about people.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Callable
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from engine.clock import Clock, SystemClock
from engine.dates.calendars import COPENHAGEN

HOST = "127.0.0.1"


class _AnyPortController(Controller):
    """A `Controller` on a port the OS picks.

    aiosmtpd 1.4 checks that it is up by connecting to the `port` it was given,
    which fails for port 0 (aio-libs/aiosmtpd#388); learn the bound port first.
    """

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _Printer:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        message = email.message_from_bytes(data, policy=email.policy.default)
        subject = " ".join(str(message.get("Subject", "")).split())
        self.sink.received(", ".join(envelope.rcpt_tos), subject)
        return "250 Message accepted for delivery"


class MailSink:
    """Receives mail on 127.0.0.1 and reports each as `HH:MM:SS  to  subject`.

    Use as a context manager; `port` is known once entered.
    """

    def __init__(
        self, *, show: Callable[[str], None], clock: Clock | None = None
    ) -> None:
        self.show = show
        self.clock = clock or SystemClock()
        self.count = 0
        self._lock = threading.Lock()
        self._controller = _AnyPortController(_Printer(self), hostname=HOST, port=0)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def received(self, to: str, subject: str) -> None:
        at = self.clock.now().astimezone(COPENHAGEN).strftime("%H:%M:%S")
        with self._lock:
            self.count += 1
            self.show(f"  mail {at}  to {to}: {subject}")

    def __enter__(self) -> MailSink:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
