"""`ApiServer`'s socket: `TCP_NODELAY` on the connections it accepts (issue #24).

Without it, each keep-alive response after the first waited about 40 ms for
the client's delayed ACK. The proof is taken where it matters: a tiny app is
served by the real `ApiServer` (its bind, uvicorn, asyncio's accept), and its
handler reads `TCP_NODELAY` off the server's side of the very connection the
request came on (found among uvicorn's open connections by the client's
address). The client is `http.client`, one keep-alive connection.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request

from engine.exceptions import InvalidInputError
from service.api.server import ApiServer, _bind

WAIT_S = 30.0


def _nodelay_app(server: list[ApiServer]) -> FastAPI:
    """GET /socket: the server side of this request's connection, as JSON."""
    app = FastAPI()

    @app.get("/socket")
    def connection(request: Request) -> dict[str, object]:
        running = server[0]._server
        assert running is not None
        client = request.scope["client"]
        [sock] = [
            protocol.transport.get_extra_info("socket")
            for protocol in running.server_state.connections
            if list(protocol.transport.get_extra_info("peername")[:2]) == list(client)
        ]
        return {
            "client_port": client[1],
            "proto": sock.proto,
            "nodelay": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
        }

    return app


@pytest.fixture(params=["127.0.0.1", "::1"])
def api(request: pytest.FixtureRequest) -> Iterator[ApiServer]:
    """A real `ApiServer` on a free port of `host`, serving the tiny app."""
    host: str = request.param
    if host == "::1":
        try:
            socket.create_server((host, 0), family=socket.AF_INET6).close()
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
    holder: list[ApiServer] = []
    server = ApiServer(_nodelay_app(holder), host=host, port=0)
    holder.append(server)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _get(connection: http.client.HTTPConnection) -> dict[str, int]:
    connection.request("GET", "/socket")
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    said: dict[str, int] = json.loads(body)
    return said


def test_the_listener_is_tcp_with_nodelay(api: ApiServer) -> None:
    sock = api._socket
    assert sock is not None
    assert sock.family in (socket.AF_INET, socket.AF_INET6)
    assert sock.proto == socket.IPPROTO_TCP  # asyncio's condition for NODELAY
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_an_accepted_connection_has_nodelay(api: ApiServer) -> None:
    host, port = api.address
    connection = http.client.HTTPConnection(host, port, timeout=WAIT_S)
    try:
        said = _get(connection)
        assert connection.sock is not None
        assert said["client_port"] == connection.sock.getsockname()[1]
    finally:
        connection.close()
    assert said["proto"] == socket.IPPROTO_TCP
    assert said["nodelay"] != 0


def test_two_requests_on_one_keep_alive_connection_both_answer(
    api: ApiServer,
) -> None:
    host, port = api.address
    connection = http.client.HTTPConnection(host, port, timeout=WAIT_S)
    try:
        first = _get(connection)
        assert connection.sock is not None
        local_port = connection.sock.getsockname()[1]
        second = _get(connection)
        assert connection.sock is not None
        assert connection.sock.getsockname()[1] == local_port  # not reconnected
    finally:
        connection.close()
    assert first == second
    assert first["client_port"] == local_port
    assert second["nodelay"] != 0


def test_a_taken_port_is_one_clear_error() -> None:
    with _bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InvalidInputError) as refused:
            _bind("127.0.0.1", port)
    assert str(refused.value) == (
        f"the API cannot listen on 127.0.0.1:{port}: Address already in use"
    )


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [
        ("127.0.0.1", 70000, "port must be 0-65535"),
        ("no-such-host.invalid", 0, ""),
    ],
)
def test_an_address_that_cannot_be_bound_is_one_clear_error(
    host: str, port: int, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _bind(host, port)
    message = str(refused.value)
    assert message.startswith(f"the API cannot listen on {host}:{port}: ")
    assert reason in message
    assert "\n" not in message
