"""`ApiServer`: the API on uvicorn, in a thread of the process that owns it.

`sagsflow api` and `sagsflow serve` start it next to their own work and stop
it when they stop; the owner's main thread keeps the signal handling (uvicorn
installs none outside the main thread), so SIGTERM and Ctrl-C behave as they
always did: stop taking requests, let the ones in flight finish (at most
`GRACE_S`), then exit.

The socket is bound here, before uvicorn starts: a port in use is a clear
error at once, and port 0 gives a free port whose number `address` reports.
uvicorn's own logging setup is switched off (`log_config=None`), so its lines
go through sagsflow's pipeline, and its access log too: `RequestLog` writes
one line per request instead, without headers or query strings.

uvicorn's own proxy-header handling is off (by default it would believe any
process on 127.0.0.1): `service.api.forwarded.ForwardedHeaders` wraps the app
instead and believes only the proxies `SAGSFLOW_FORWARDED_ALLOW_IPS` names.
"""

from __future__ import annotations

import os
import socket
import threading

import structlog
import uvicorn
from fastapi import FastAPI

from engine.exceptions import InvalidInputError
from service.api.forwarded import ForwardedHeaders, trusted_proxies

log = structlog.get_logger()

GRACE_S = 10.0
START_TIMEOUT_S = 30.0


class _Server(uvicorn.Server):
    """uvicorn's server, telling its owner when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class ApiServer:
    """The HTTP API, served from a thread until `stop`."""

    def __init__(
        self, app: FastAPI, *, host: str, port: int, forwarded_allow_ips: str = ""
    ) -> None:
        """Ready to `start`; nothing listens yet.

        Args:
            forwarded_allow_ips: `SAGSFLOW_FORWARDED_ALLOW_IPS`, the proxies
                whose forwarded headers are believed (service.api.forwarded).

        Raises:
            InvalidInputError: `forwarded_allow_ips` names something that is
                not an IP address or network.
        """
        self.app = app
        self.host = host
        self.port = port
        self.proxies = trusted_proxies(forwarded_allow_ips)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) it listens on; the real port when 0 was asked for."""
        assert self._socket is not None, "not started"
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Bind, start serving, and return once it listens.

        Raises:
            InvalidInputError: the address cannot be bound (in use, unknown
                host, no permission), or the server did not come up.
        """
        self._socket = _bind(self.host, self.port)
        config = uvicorn.Config(
            ForwardedHeaders(self.app, proxies=self.proxies),
            proxy_headers=False,  # ForwardedHeaders does it, for named proxies only
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            server_header=False,
            timeout_graceful_shutdown=int(GRACE_S),
        )
        self._server = _Server(config)
        self._thread = threading.Thread(
            target=self._serve, name="sagsflow-api", daemon=True
        )
        self._thread.start()
        if not self._server.ready.wait(START_TIMEOUT_S) or self._failure is not None:
            self.stop()
            raise InvalidInputError(
                f"the API did not start on {self.host}:{self.port}"
                + (f" ({self._failure!r})" if self._failure else "")
            )
        host, port = self.address
        log.info(
            "api_started",
            host=host,
            port=port,
            forwarded_allow_ips=[str(network) for network in self.proxies],
        )

    def _serve(self) -> None:
        assert self._server is not None
        assert self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # SystemExit included: uvicorn exits on failure
            self._failure = exc
            log.error("api_failed", error=repr(exc))
        finally:
            self._server.ready.set()

    def stop(self) -> None:
        """Stop taking requests, finish those in flight, close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(GRACE_S + 5)
        if self._socket is not None:
            self._socket.close()
        log.info("api_stopped")


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket: TCP, `TCP_NODELAY` on it and on every connection.

    Made as `socket.create_server` would (SO_REUSEADDR on POSIX, IPv6 only on
    an IPv6 address) but with the protocol number `IPPROTO_TCP`, not 0:
    asyncio sets `TCP_NODELAY` on an accepted connection only when the
    socket's `proto` says TCP (`asyncio.base_events._set_nodelay`), and an
    accepted socket takes its `proto` from the listener. Without it, the
    second write of each response (headers, then body) waited for the
    client's delayed ACK: about 40 ms on every keep-alive request after the
    first. It is set on the listener too (Linux copies it to the connections
    it accepts), so they have it whichever of the two sets it.
    """
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except (OSError, OverflowError) as exc:
        raise _cannot_listen(host, port, exc) from None
    try:
        if os.name == "posix":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((address[0], port, *address[2:]))  # getaddrinfo wraps ports
        sock.listen()
    except (OSError, OverflowError) as exc:
        sock.close()
        raise _cannot_listen(host, port, exc) from None
    sock.set_inheritable(False)
    return sock


def _cannot_listen(host: str, port: int, exc: Exception) -> InvalidInputError:
    reason = getattr(exc, "strerror", None) or str(exc)
    return InvalidInputError(f"the API cannot listen on {host}:{port}: {reason}")
