"""Behind a reverse proxy: whose `X-Forwarded-*` headers the API believes.

`SAGSFLOW_FORWARDED_ALLOW_IPS` names the proxies, IP addresses or networks
separated by commas (`127.0.0.1`, `10.0.0.0/24, ::1`); by default none is
trusted. An IPv4 entry also matches that address as a dual-stack listener
sees it (`::ffff:10.0.0.5`). A request whose peer is one of them is taken as
the proxy tells it:

- `X-Forwarded-Proto` is the scheme the browser used, so behind a proxy that
  ends TLS the session cookie gets `Secure` and the pages' Origin check
  expects `https://` (uvicorn's `ProxyHeadersMiddleware`);
- `X-Forwarded-For` is the client's address, which the request log shows
  (the same middleware: the nearest address that is not a trusted proxy);
- `X-Forwarded-Host`, when the proxy sends one, replaces the `Host` header
  (its last value: the one the nearest proxy wrote). A proxy that passes the
  browser's `Host` on (nginx `proxy_set_header Host $http_host`, Caddy by
  default) needs none.

From any other peer these headers (and `Forwarded`) are removed before the app
sees them: a client cannot make itself https, another address or another
host. The first such request in a process logs `forwarded_headers_ignored`
with the headers' names (never their values, nor the peer's address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, cast

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from engine.exceptions import InvalidInputError

log = structlog.get_logger()

SETTING = "SAGSFLOW_FORWARDED_ALLOW_IPS"
HEADERS = frozenset(
    {
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-proto",
    }
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(text: str) -> tuple[Network, ...]:
    """The networks `SAGSFLOW_FORWARDED_ALLOW_IPS` names (an address is a /32 or /128).

    Raises:
        InvalidInputError: an entry that is neither an address nor a network
            (a host name, `*`).
    """
    networks: list[Network] = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            shown = entry if len(entry) <= 60 else entry[:60] + "..."
            raise InvalidInputError(
                f"{SETTING}: {shown!r} is not an IP address or network "
                "(such as 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def _ipv4_mapped(networks: Sequence[Network]) -> list[ipaddress.IPv6Network]:
    """Each IPv4 network as the IPv4-mapped IPv6 network (::ffff:0:0/96) holds it."""
    return [
        ipaddress.IPv6Network(f"::ffff:{n.network_address}/{96 + n.prefixlen}")
        for n in networks
        if isinstance(n, ipaddress.IPv4Network)
    ]


class ForwardedHeaders:
    """Believe the forwarded headers of trusted proxies; drop everyone else's."""

    def __init__(self, app: ASGIApp, *, proxies: Sequence[Network]) -> None:
        self.app = app
        self.proxies = tuple(proxies)
        # An IPv4 proxy reaching a dual-stack (IPv6) listener is seen as
        # ::ffff:a.b.c.d: each IPv4 network is matched in that form too.
        self._matching = (*self.proxies, *_ipv4_mapped(self.proxies))
        self._believing = cast(
            ASGIApp,
            ProxyHeadersMiddleware(
                cast(Any, _PublicHost(app)),
                trusted_hosts=[str(network) for network in self._matching],
            ),
        )
        self._warned = False

    def trusts(self, peer: str | None) -> bool:
        if not peer or not self.proxies:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self._matching)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if self.trusts(client[0] if client else None):
            await self._believing(scope, receive, send)
            return
        headers = scope["headers"]
        names = sorted(
            {name.decode("latin-1") for name, _ in headers if name in HEADERS}
        )
        if names:
            scope = dict(scope)
            scope["headers"] = [(n, v) for n, v in headers if n not in HEADERS]
            if not self._warned:
                self._warned = True
                log.warning(
                    "forwarded_headers_ignored",
                    headers=names,
                    reason=f"the peer is not a proxy named in {SETTING}",
                    once=True,
                )
        await self.app(scope, receive, send)


class _PublicHost:
    """A trusted proxy's `X-Forwarded-Host` becomes the request's `Host`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        forwarded = [v for n, v in headers if n == b"x-forwarded-host"]
        host = forwarded[-1].split(b",")[-1].strip() if forwarded else b""
        if host:
            scope["headers"] = [(b"host", host)] + [
                (n, v) for n, v in headers if n != b"host"
            ]
        await self.app(scope, receive, send)
