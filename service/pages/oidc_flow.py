"""Signing in to the review pages with the office's OpenID provider.

`start` sets out: it makes a `state`, a `nonce` and a PKCE verifier (each 32
or more random bytes), stores them as a `PendingSignIn` (keyed by the
state's SHA-256) with where to go afterwards and the digest of a secret that
the browser keeps in the cookie `sagsflow_sign_in`, and sends the browser to
the provider. `finish` is the callback: it takes the pending sign-in of the
returned state (deleting it, so a state, and with it a callback URL, works
once), checks it is fresh (`SIGN_IN_LIFETIME`) and that the same browser
brought it back, redeems the code with the verifier, checks the ID token
(`service.pages.oidc`), and finds the sagsflow user the configured claim
names: the user whose `login` it is, else the user with that id (tried as
given, then in lower case: directories compare names without case). Only an
active user gets a session (`service.pages.sessions.open_session`).

Every refusal is a `SignInError`: a status, the words for the page, and a
reason for the log line, which never holds the code, a token, the state, the
nonce, the verifier, the client secret, nor the claim's value (a name or an
address: personal data).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import structlog

from engine.clock import Clock
from engine.exceptions import InvalidInputError
from engine.records import PendingSignIn, User
from engine.workflow.definition import SYSTEM_ACTOR
from service.api.auth import PAGES_PREFIX
from service.api.store import ApiStore
from service.pages import sessions
from service.pages.oidc import (
    CodeRefusedError,
    IdTokenError,
    OidcProvider,
    ProviderConfig,
    ProviderError,
    ProviderUnavailableError,
    error_word,
)
from service.settings import Settings

log = structlog.get_logger()

CALLBACK = PAGES_PREFIX + "/oidc/callback"
COOKIE = "sagsflow_sign_in"
COOKIE_PATH = PAGES_PREFIX + "/oidc"
SIGN_IN_LIFETIME = timedelta(minutes=10)
MAX_PARAM = 4096  # a code or state longer than this is not one
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
_REFUSED_BY_PERSON = {
    "access_denied",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class SignInSetup:
    """How the pages' sign-in is configured (one per pages application)."""

    rules: sessions.SessionRules
    provider: OidcProvider | None
    claim: str
    name: str  # the provider's name on the login page


@dataclass(frozen=True, kw_only=True, slots=True)
class Departure:
    """Where to send the browser, and the secret its sign-in cookie keeps."""

    url: str
    browser_secret: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Arrival:
    """A finished sign-in: the user, their session cookie, where they go."""

    user: User
    cookie: str
    next_path: str


class SignInError(Exception):
    """A sign-in refused: the page's status and words, the log's reason."""

    def __init__(self, status: int, key: str, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.status = status
        self.key = key
        self.reason = reason
        self.values = values


def setup_from_settings(settings: Settings) -> SignInSetup:
    """The sign-in the settings describe.

    Raises:
        InvalidInputError: a setting missing or malformed, or no way to sign
            in at all (token sign-in off without a provider).
    """
    rules = sessions.SessionRules.from_settings(settings)
    provider = _provider(settings)
    if provider is None and not rules.token_login:
        raise InvalidInputError(
            "SAGSFLOW_TOKEN_LOGIN=off leaves the pages no way to sign in: "
            "set SAGSFLOW_OIDC_ISSUER (and its client) too"
        )
    issuer_host = urlsplit(settings.oidc_issuer or "").hostname or ""
    return SignInSetup(
        rules=rules,
        provider=provider,
        claim=settings.oidc_user_claim.strip(),
        name=settings.oidc_name or issuer_host,
    )


def _provider(settings: Settings) -> OidcProvider | None:
    issuer = settings.oidc_issuer
    if issuer is None:
        return None
    _check_url("SAGSFLOW_OIDC_ISSUER", issuer)
    client_id = settings.oidc_client_id or ""
    secret = settings.oidc_client_secret or ""
    public = (settings.public_url or "").rstrip("/")
    missing = [
        name
        for name, value in (
            ("SAGSFLOW_OIDC_CLIENT_ID", client_id),
            ("SAGSFLOW_OIDC_CLIENT_SECRET", secret),
            ("SAGSFLOW_PUBLIC_URL", public),
        )
        if not value
    ]
    if missing:
        raise InvalidInputError(
            f"SAGSFLOW_OIDC_ISSUER is set, so {', '.join(missing)} must be too"
        )
    _check_url("SAGSFLOW_PUBLIC_URL", public)
    if "openid" not in settings.oidc_scopes.split():
        raise InvalidInputError("SAGSFLOW_OIDC_SCOPES must include 'openid'")
    if not settings.oidc_user_claim.strip():
        raise InvalidInputError("SAGSFLOW_OIDC_USER_CLAIM must name a claim")
    return OidcProvider(
        ProviderConfig(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            scopes=settings.oidc_scopes,
            redirect_uri=public + CALLBACK,
            post_logout_redirect_uri=public + PAGES_PREFIX + "/login",
        )
    )


def _check_url(name: str, url: str) -> None:
    """An https URL without query or fragment (http only on this machine).

    Raises:
        InvalidInputError: anything else.
    """
    parts = urlsplit(url)
    local = (parts.hostname or "") in _LOOPBACK
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise InvalidInputError(
            f"{name} must be an https:// address (http:// only on 127.0.0.1 or "
            f"localhost), not {url[:200]!r}"
        )
    if not parts.hostname or parts.query or parts.fragment:
        raise InvalidInputError(
            f"{name} must be an address with a host and no query or fragment"
        )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start(
    store: ApiStore, clock: Clock, provider: OidcProvider, next_path: str
) -> Departure:
    """Set out for the provider: store the pending sign-in, return where to go.

    Raises:
        ProviderUnavailableError, ProviderError: the provider's configuration
            cannot be had (nothing is stored then).
    """
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43-128)
    browser_secret = secrets.token_urlsafe(32)
    url = provider.authorization_url(state=state, nonce=nonce, verifier=verifier)
    now = clock.now()
    pending = PendingSignIn(
        state_digest=digest(state),
        nonce=nonce,
        verifier=verifier,
        next_path=next_path,
        browser_digest=digest(browser_secret),
        created_at=now,
    )
    with store.transaction() as tx:
        tx.add_pending_sign_in(pending, expire_before=now - SIGN_IN_LIFETIME)
    log.info("page_sign_in_started")
    return Departure(url=url, browser_secret=browser_secret)


def finish(
    store: ApiStore,
    clock: Clock,
    setup: SignInSetup,
    params: Mapping[str, str],
    browser_secret: str | None,
) -> Arrival:
    """The provider sent the browser back: sign the person in, or refuse.

    Raises:
        SignInError: see the module; nobody is signed in then.
        StorageError: the database is away.
    """
    provider = setup.provider
    assert provider is not None
    pending = _take(store, clock, params, browser_secret)
    issuer = params.get("iss")
    if issuer is not None and issuer != provider.config.issuer:  # RFC 9207
        raise SignInError(400, "signin.wrong_issuer", "wrong_issuer")
    error = params.get("error")
    if error is not None:
        word = error_word(error)
        status = 403 if word in _REFUSED_BY_PERSON else 502
        status = 503 if word == "temporarily_unavailable" else status
        raise SignInError(status, "signin.provider_said", f"provider:{word}", word=word)
    code = params.get("code", "")
    if not code or len(code) > MAX_PARAM:
        raise SignInError(400, "signin.no_code", "no_code")
    try:
        id_token = provider.redeem(code, pending.verifier)
        claims = provider.verify(id_token, nonce=pending.nonce, now=clock.now())
    except ProviderUnavailableError as exc:
        raise SignInError(503, "signin.provider_down", str(exc)) from None
    except ProviderError as exc:
        raise SignInError(502, "signin.provider_failed", str(exc)) from None
    except CodeRefusedError as exc:
        raise SignInError(400, "signin.code_refused", exc.reason) from None
    except IdTokenError as exc:
        raise SignInError(401, "signin.bad_token", exc.reason) from None
    user = _user(store, setup, claims)
    cookie = sessions.open_session(
        store, clock, setup.rules, user_id=user.id, method=sessions.OIDC
    )
    return Arrival(user=user, cookie=cookie, next_path=pending.next_path)


def _take(
    store: ApiStore,
    clock: Clock,
    params: Mapping[str, str],
    browser_secret: str | None,
) -> PendingSignIn:
    """The pending sign-in the callback's state names, taken (used once)."""
    state = params.get("state", "")
    if not state or len(state) > MAX_PARAM:
        raise SignInError(400, "signin.no_state", "no_state")
    with store.transaction() as tx:
        pending = tx.take_pending_sign_in(digest(state))
    if pending is None:  # never made, used already, or dropped as too old
        raise SignInError(400, "signin.unknown_state", "unknown_state")
    if clock.now() - pending.created_at > SIGN_IN_LIFETIME:
        raise SignInError(400, "signin.too_late", "too_late")
    presented = digest(browser_secret or "")
    if not hmac.compare_digest(presented, pending.browser_digest):
        raise SignInError(400, "signin.other_browser", "other_browser")
    return pending


def _user(store: ApiStore, setup: SignInSetup, claims: Mapping[str, object]) -> User:
    """The active sagsflow user the claim names.

    Raises:
        SignInError: 403 without the claim, or for nobody active.
    """
    value = claims.get(setup.claim)
    if not isinstance(value, str) or not value.strip() or len(value) > 256:
        raise SignInError(403, "signin.no_claim", "no_claim", claim=setup.claim)
    name = value.strip()
    with store.transaction(write=False) as tx:
        user = None
        for candidate in dict.fromkeys((name, name.lower())):
            user = tx.user_by_login(candidate) or tx.get_user(candidate)
            if user is not None:
                break
    if user is None or user.id == SYSTEM_ACTOR or SYSTEM_ACTOR in user.roles:
        raise SignInError(403, "signin.no_user", "no_user", who=name)
    if not user.active:
        log.warning("page_sign_in_deactivated", user=user.id)
        raise SignInError(403, "signin.no_user", "deactivated", who=name)
    return user
