"""Real servers for the delivery tests: aiosmtpd on a port the OS picks."""

from __future__ import annotations

import asyncio

from aiosmtpd.controller import Controller


class AnyPortController(Controller):
    """A `Controller` on a port the OS picks.

    aiosmtpd 1.4 checks that it is up by connecting to the `port` it was given,
    which fails for port 0 (aio-libs/aiosmtpd#388); learn the bound port first.
    """

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
