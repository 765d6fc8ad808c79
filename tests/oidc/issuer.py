"""An OpenID issuer of the test's own: a real HTTP server, answers the test sets.

Where the real provider (tests/oidc/provider.mjs) is honest, this one is
whatever a test needs it to be: it publishes its configuration and keys, and
answers the token request with an ID token the test signs (with the key it
publishes, another one, none), or with an error, a server failure, or a page
that is not JSON. It stands for a broken or hostile provider, or a
man-in-the-middle on the way to one. It records the token requests it gets.

Every answer can be replaced whole: `issuer.answers["/jwks"] = (200, b"...")`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.service.servers import http_server

CLIENT_ID = "sagsflow"
NONCE = "the-nonce-sagsflow-sent-0123456789abcdefghij"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class TokenRequest:
    """What the relying party sent to the token endpoint."""

    form: dict[str, str]
    authorization: str | None


@dataclass
class Issuer:
    """Configuration, keys and token answers served over HTTP."""

    url: str = ""
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    )
    published: list[RSAKey | ECKey] = field(default_factory=list)
    algorithms: list[str] | None = field(default_factory=lambda: ["RS256"])
    auth_methods: list[str] | None = None
    key_fetches: int = 0
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    token_answer: Callable[[TokenRequest], dict[str, Any]] | None = None
    token_requests: list[TokenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.published = self.published or [self.key]

    def metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/auth",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "end_session_endpoint": self.url + "/logout?tenant=t1",
        }
        if self.algorithms is not None:
            found["id_token_signing_alg_values_supported"] = self.algorithms
        if self.auth_methods is not None:
            found["token_endpoint_auth_methods_supported"] = self.auth_methods
        return found

    def jwks(self) -> dict[str, Any]:
        self.key_fetches += 1
        return {"keys": [k.as_dict(private=False) for k in self.published]}

    def claims(self, *, now: datetime = NOW, **changes: Any) -> dict[str, Any]:
        at = int(now.timestamp())
        claims = {
            "iss": self.url,
            "sub": "jur",
            "aud": CLIENT_ID,
            "exp": at + 300,
            "iat": at,
            "nonce": NONCE,
            "preferred_username": "jur",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, key: Any = None, alg: str = "RS256", **changes: Any) -> str:
        key = key or self.key
        header = {"alg": alg, "kid": key.kid} if key.kid else {"alg": alg}
        return jwt.encode(header, self.claims(**changes), key, algorithms=[alg])

    def answer_token(self, request: TokenRequest) -> tuple[int, bytes]:
        self.token_requests.append(request)
        if self.token_answer is None:
            return 400, b'{"error": "invalid_grant"}'
        return 200, json.dumps(self.token_answer(request)).encode()


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    made = Issuer()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in made.answers:
                self._send(*made.answers[path])
                return
            paths = {
                "/.well-known/openid-configuration": made.metadata,
                "/jwks": made.jwks,
            }
            answer = paths.get(path)
            self._send(
                200 if answer else 404, json.dumps(answer() if answer else {}).encode()
            )

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path in made.answers:
                self._send(*made.answers[self.path])
                return
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            request = TokenRequest(form, self.headers.get("Authorization"))
            self._send(*made.answer_token(request))

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as url:
        made.url = url
        yield made
