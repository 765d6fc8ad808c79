"""The office's OpenID provider, as the review pages' sign-in talks to it.

`OidcProvider` holds what sagsflow knows of the provider and does the three
things the sign-in needs of it, with well-kept libraries and nothing
hand-written:

- its metadata from `{issuer}/.well-known/openid-configuration` (the `issuer`
  it states must be the setting, character for character), and its signing
  keys from the metadata's `jwks_uri`, both fetched with httpx2 (timeouts:
  `TIMEOUT`) and kept for the process; the keys are fetched again once when an
  ID token names a key (`kid`) they do not hold, which is how a provider's key
  rotation arrives;
- the authorization request (Authlib's OAuth 2 client: the code flow, PKCE
  with S256, `state` and `nonce`) and the token request that redeems the code
  (Authlib again: the client secret sent as `client_secret_basic`, or
  `client_secret_post` when the provider offers only that);
- the ID token's check: its signature against the provider's published keys
  with joserfc (Authlib's own successor to `authlib.jose`, deprecated in the
  Authlib this pins), then its claims with Authlib's `CodeIDToken`: `iss` is
  the issuer, `aud` holds the client id, `exp` has not passed and `iat` is not
  ahead (both by the injectable clock, with `LEEWAY` for the provider's
  clock), `nonce` is the one sent, `azp`, when there, is the client id.

Every failure is one of three exceptions, for one clear page each:
`ProviderUnavailableError` (nothing answers: 503), `ProviderError` (the
provider answered something unusable: 502), `CodeRefusedError` (the code was
refused: 400) and `IdTokenError` (an ID token that must not sign anyone in:
401). Their messages and the log lines
name what failed, never a code, token, state, nonce, verifier or secret.

Hazard: the HTTP calls block; the routes that make them are plain functions,
which FastAPI runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

DISCOVERY = "/.well-known/openid-configuration"
TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
LEEWAY = 60  # seconds the provider's clock may differ from ours
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""Public-key signatures only: never `none`, and never HS256 (a token signed
with the client secret would prove only that someone holds the secret)."""

MAX_ANSWER_BYTES = 1024 * 1024


class ProviderUnavailableError(Exception):
    """The provider does not answer (down, unreachable, too slow)."""


class ProviderError(Exception):
    """The provider answered, but not with what the sign-in needs."""


class IdTokenError(Exception):
    """The ID token must not sign anyone in (or there is none)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CodeRefusedError(IdTokenError):
    """The token endpoint refused the code: used already, expired, not ours,
    or redeemed with another verifier."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ProviderConfig:
    """sagsflow's registration at the provider (from the settings)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str
    redirect_uri: str
    post_logout_redirect_uri: str


class OidcProvider:
    """The provider's metadata and keys (cached), and the sign-in's requests."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._metadata: Mapping[str, Any] | None = None
        self._keys: KeySet | None = None

    # -- what the provider publishes -----------------------------------------------
    def metadata(self) -> Mapping[str, Any]:
        """The provider's OpenID configuration, fetched once and kept.

        Raises:
            ProviderUnavailableError: the provider does not answer.
            ProviderError: no usable configuration, or another issuer's.
        """
        with self._lock:
            if self._metadata is None:
                url = (
                    self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
                )
                found = self._get_json(url, "configuration")
                self._metadata = _checked_metadata(found, self.config.issuer)
            return self._metadata

    def end_session_url(self) -> str | None:
        """RP-initiated logout at the provider, back to the login page; None
        when the provider offers none or cannot be reached now."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except (ProviderUnavailableError, ProviderError):
            return None
        if not isinstance(endpoint, str) or not _is_web_url(endpoint):
            return None
        query = urlencode(
            {
                "client_id": self.config.client_id,
                "post_logout_redirect_uri": self.config.post_logout_redirect_uri,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def _signing_keys(self, *, refresh: bool) -> KeySet:
        with self._lock:
            keys = self._keys
        if keys is not None and not refresh:
            return keys
        url = self.metadata()["jwks_uri"]
        found = self._get_json(url, "keys")
        try:
            keys = KeySet.import_key_set(found)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"the provider's keys ({url}) do not read") from exc
        with self._lock:
            self._keys = keys
        return keys

    # -- the sign-in ---------------------------------------------------------------
    def authorization_url(self, *, state: str, nonce: str, verifier: str) -> str:
        """Where the browser goes to sign in (the code flow, PKCE S256).

        Raises:
            ProviderUnavailableError, ProviderError: as `metadata`.
        """
        endpoint = self.metadata()["authorization_endpoint"]
        with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=verifier, nonce=nonce
            )
        return str(url)

    def redeem(self, code: str, verifier: str) -> str:
        """The ID token the provider gives for `code` (and the PKCE verifier).

        Raises:
            ProviderUnavailableError: the token endpoint does not answer.
            ProviderError: it answered with a server error or not with JSON.
            CodeRefusedError: it refused the code (used, expired, not ours).
            IdTokenError: it answered without an ID token.
        """
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._client() as client:
                answer = client.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
        except OAuthError as exc:
            raise CodeRefusedError(f"code refused: {error_word(exc.error)}") from None
        except httpx2.TransportError as exc:
            raise ProviderUnavailableError(
                f"the provider's token endpoint does not answer ({type(exc).__name__})"
            ) from None
        except (httpx2.HTTPStatusError, ValueError) as exc:
            raise ProviderError(
                f"the provider's token endpoint failed ({type(exc).__name__})"
            ) from None
        id_token = answer.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise IdTokenError("no ID token in the token endpoint's answer")
        return id_token

    def verify(self, id_token: str, *, nonce: str, now: datetime) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims are checked.

        Raises:
            IdTokenError: a bad signature, an unknown key, a wrong issuer,
                audience, nonce or authorized party, expired or issued ahead.
            ProviderUnavailableError, ProviderError: the keys cannot be had.
        """
        algorithms = self._algorithms()
        try:
            token = jwt.decode(id_token, self._signing_keys(refresh=False), algorithms)
        except InvalidKeyIdError:  # a rotated key: fetch the keys again, once
            try:
                keys = self._signing_keys(refresh=True)
                token = jwt.decode(id_token, keys, algorithms)
            except JoseError as exc:
                raise IdTokenError(f"ID token: {_jose_reason(exc)}") from None
        except (JoseError, ValueError) as exc:
            raise IdTokenError(f"ID token: {_jose_reason(exc)}") from None
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self.config.issuer},
                "aud": {"essential": True, "value": self.config.client_id},
                "exp": {"essential": True},
                "iat": {"essential": True},
                "sub": {"essential": True},
            },
            params={"nonce": nonce, "client_id": self.config.client_id},
        )
        try:
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
        except JoseError as exc:
            raise IdTokenError(f"ID token: {_jose_reason(exc)}") from None
        return dict(claims)

    # -- HTTP ------------------------------------------------------------------------
    def _client(self) -> OAuth2Client:
        methods = self.metadata().get("token_endpoint_auth_methods_supported")
        basic = (
            not isinstance(methods, list)
            or "client_secret_basic" in methods
            or "client_secret_post" not in methods
        )
        return OAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method=(
                "client_secret_basic" if basic else "client_secret_post"
            ),
            scope=self.config.scopes,
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT,
            follow_redirects=False,
        )

    def _algorithms(self) -> list[str]:
        offered = self.metadata().get("id_token_signing_alg_values_supported")
        if not isinstance(offered, list):
            return ["RS256"]  # the default OpenID Connect Discovery names
        return [a for a in SIGNING_ALGORITHMS if a in offered] or ["RS256"]

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with httpx2.Client(timeout=TIMEOUT, follow_redirects=False) as client:
                answer = client.get(url, headers={"Accept": "application/json"})
        except httpx2.TransportError as exc:
            raise ProviderUnavailableError(
                f"the provider at {self.config.issuer} does not answer "
                f"({type(exc).__name__})"
            ) from None
        if answer.status_code != 200 or len(answer.content) > MAX_ANSWER_BYTES:
            raise ProviderError(
                f"the provider's {what} ({url}) answered HTTP {answer.status_code}"
            )
        try:
            found = answer.json()
        except ValueError:
            found = None
        if not isinstance(found, dict):
            raise ProviderError(f"the provider's {what} ({url}) is not a JSON object")
        return found


def _checked_metadata(found: dict[str, Any], issuer: str) -> dict[str, Any]:
    if found.get("issuer") != issuer:
        raise ProviderError(
            f"the provider's configuration names another issuer "
            f"({str(found.get('issuer'))[:200]!r}, not {issuer!r})"
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(found.get(name), str) or not _is_web_url(found[name]):
            raise ProviderError(f"the provider's configuration has no usable {name}")
    return found


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def error_word(text: object) -> str:
    """An error code from the provider, safe to log and show: [a-z_] only."""
    word = str(text or "unknown")[:40]
    return word if all(c.isascii() and (c.isalnum() or c == "_") for c in word) else "?"


def _jose_reason(exc: Exception) -> str:
    """What joserfc found wrong, by its error code and the claim it names."""
    code = getattr(exc, "error", None) or type(exc).__name__
    claim = getattr(exc, "claim", None)
    return f"{code} ({claim})" if claim else str(code)
