"""A provider that misbehaves, or a man-in-the-middle: pages, never a sign-in.

The app signs in at an issuer of the test's own (tests/oidc/issuer.py: a
real HTTP server that answers as the test says). The browser's part at the
provider is skipped: the test sets out at the login link, reads the state
and nonce from where the app sends the browser, and comes back to the
callback with a code, as the provider would. What the issuer's token
endpoint answers decides the outcome: a forged, expired or misaddressed ID
token is a 401 page, a failing endpoint a 502 page, a refused code a 400.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from engine.cases.engine import CaseEngine
from engine.testing import FakeClock
from storage import SqlCaseStore
from tests.oidc.issuer import NOW, Issuer, TokenRequest, issuer
from tests.oidc.provider import TEST_SERVER
from tests.service.pages.html import parse
from tests.service.pages.oidc_app import (
    app_with,
    client_of,
    events,
    query_of,
    rendered,
)
from tests.service.pages.test_oidc import assert_refused

__all__ = ["issuer", "rendered"]  # the fixtures, for pytest

SECRET = "the-client-secret-of-this-test-0123456789"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def app_for(
    issuer: Issuer, engine: CaseEngine, store: SqlCaseStore, db_path: Path
) -> FastAPI:
    return app_with(
        engine,
        store,
        db_path,
        SAGSFLOW_OIDC_ISSUER=issuer.url,
        SAGSFLOW_OIDC_CLIENT_ID="sagsflow",
        SAGSFLOW_OIDC_CLIENT_SECRET=SECRET,
        SAGSFLOW_PUBLIC_URL=TEST_SERVER,
    )


@pytest.fixture
def browser(
    issuer: Issuer, api_engine: CaseEngine, api_store: SqlCaseStore, db_path: Path
) -> Iterator[TestClient]:
    with client_of(app_for(issuer, api_engine, api_store, db_path)) as client:
        yield client


def set_out(client: TestClient) -> dict[str, str]:
    """Follow the login link; the authorization request's parameters."""
    response = client.get("/ui/oidc/login?next=/ui/mine")
    assert response.status_code == 303, response.text
    return query_of(response.headers["location"])


def come_back(client: TestClient, sent: dict[str, str]) -> httpx2.Response:
    return client.get(
        "/ui/oidc/callback",
        params={"code": "code-from-the-issuer", "state": sent["state"]},
    )


def answering(issuer: Issuer, sent: dict[str, str], **changes: Any) -> None:
    """The token endpoint answers with an ID token for this sign-in's nonce."""

    def answer(request: TokenRequest) -> dict[str, Any]:
        return {
            "access_token": "an-access-token",
            "token_type": "Bearer",
            "id_token": issuer.token(**{"nonce": sent["nonce"], **changes}),
        }

    issuer.token_answer = answer


def test_an_honest_answer_signs_in_and_the_request_was_the_right_one(
    browser: TestClient, issuer: Issuer
) -> None:
    sent = set_out(browser)
    answering(issuer, sent)
    assert come_back(browser, sent).status_code == 200
    assert browser.get("/ui/mine").status_code == 200
    ((request),) = issuer.token_requests
    assert request.form["grant_type"] == "authorization_code"
    assert request.form["code"] == "code-from-the-issuer"
    assert request.form["redirect_uri"] == TEST_SERVER + "/ui/oidc/callback"
    verifier = request.form["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge.rstrip(b"=").decode() == sent["code_challenge"]  # PKCE S256
    assert "client_secret" not in request.form  # client_secret_basic:
    scheme, _, credentials = (request.authorization or "").partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(credentials).decode().partition(":")
    assert (unquote(user), unquote(password)) == ("sagsflow", SECRET)


def test_the_secret_goes_in_the_form_when_the_provider_takes_only_that(
    browser: TestClient, issuer: Issuer
) -> None:
    issuer.auth_methods = ["client_secret_post", "private_key_jwt"]
    sent = set_out(browser)
    answering(issuer, sent)
    assert come_back(browser, sent).status_code == 200
    ((request),) = issuer.token_requests
    assert request.authorization is None
    assert (request.form["client_id"], request.form["client_secret"]) == (
        "sagsflow",
        SECRET,
    )


def test_without_an_algorithm_list_rs256_is_expected(
    browser: TestClient, issuer: Issuer
) -> None:
    issuer.algorithms = None
    sent = set_out(browser)
    answering(issuer, sent)
    assert come_back(browser, sent).status_code == 200


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"key": RSAKey.generate_key(2048, parameters={"kid": "key-1"})},
            "bad_signature",
        ),
        ({"aud": "another-client"}, "invalid_claim (aud)"),
        ({"exp": int(NOW.timestamp()) - 3600}, "expired_token (exp)"),
        ({"nonce": "another-sign-ins-nonce"}, "invalid_claim (nonce)"),
        ({"iss": "https://elsewhere.example"}, "invalid_claim (iss)"),
    ],
    ids=["forged", "another-audience", "expired", "another-nonce", "another-issuer"],
)
def test_an_id_token_that_fails_a_check_is_a_401_page(
    browser: TestClient,
    issuer: Issuer,
    rendered: io.StringIO,
    changes: dict[str, Any],
    reason: str,
) -> None:
    sent = set_out(browser)
    answering(issuer, sent, **changes)
    assert_refused(come_back(browser, sent), 401, "holdt ikke til kontrollen")
    assert browser.get("/ui/").status_code == 303
    (refusal,) = events(rendered, "page_sign_in_refused")
    assert refusal["reason"] == f"ID token: {reason}"


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        ((500, b"<h1>Internal Server Error</h1>"), 502, "svarede med en fejl"),
        ((200, b"<html>a login page</html>"), 502, "svarede med en fejl"),
        ((400, b'{"error": "invalid_grant"}'), 400, "brugt eller udløbet"),
        ((200, b'{"access_token": "x", "token_type": "Bearer"}'), 401, "kontrollen"),
    ],
    ids=["server-error", "not-json", "code-refused", "no-id-token"],
)
def test_a_token_endpoint_that_fails_is_a_page_that_says_so(
    browser: TestClient,
    issuer: Issuer,
    answer: tuple[int, bytes],
    status: int,
    words: str,
) -> None:
    sent = set_out(browser)
    issuer.answers["/token"] = answer
    assert_refused(come_back(browser, sent), status, words)
    assert browser.get("/ui/").status_code == 303


@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/.well-known/openid-configuration", (404, b"{}")),
        ("/.well-known/openid-configuration", (200, b"not json")),
        ("/.well-known/openid-configuration", (200, b"[]")),
        ("/.well-known/openid-configuration", (200, b'{"issuer": "https://x"}')),
        ("/jwks", (200, b'{"keys": "not a list"}')),
        ("/jwks", (503, b"{}")),
    ],
    ids=[
        "no-config",
        "config-not-json",
        "config-a-list",
        "another-issuer",
        "bad-keys",
        "no-keys",
    ],
)
def test_a_provider_whose_configuration_or_keys_do_not_read_is_a_502_page(
    browser: TestClient, issuer: Issuer, path: str, answer: tuple[int, bytes]
) -> None:
    if path == "/jwks":
        sent = set_out(browser)
        answering(issuer, sent)
        issuer.answers[path] = answer
        refused = come_back(browser, sent)
    else:
        issuer.answers[path] = answer
        refused = browser.get("/ui/oidc/login?next=/ui/")
    assert_refused(refused, 502, "svarede med en fejl")
    assert browser.get("/ui/").status_code == 303


def test_a_configuration_without_an_endpoint_is_a_502_page(
    browser: TestClient, issuer: Issuer
) -> None:
    config = {**issuer.metadata(), "token_endpoint": "not a web address"}
    issuer.answers["/.well-known/openid-configuration"] = (
        200,
        json.dumps(config).encode(),
    )
    assert_refused(browser.get("/ui/oidc/login"), 502, "svarede med en fejl")


# -- signing out -----------------------------------------------------------------------
def test_signing_out_offers_the_providers_end_session(
    browser: TestClient, issuer: Issuer
) -> None:
    sent = set_out(browser)
    answering(issuer, sent)
    assert come_back(browser, sent).status_code == 200
    out = browser.post("/ui/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/ui/signed-out")
    assert 'sagsflow_session=""' in out.headers["set-cookie"]
    page = parse(browser.get("/ui/signed-out").text)
    link = page.find("a", id="provider-sign-out").attrs["href"]
    assert link.startswith(issuer.url + "/logout?tenant=t1&")  # its own query kept
    assert query_of(link) == {
        "tenant": "t1",
        "client_id": "sagsflow",
        "post_logout_redirect_uri": TEST_SERVER + "/ui/login",
    }
    assert page.find("a", id="sign-in-again").attrs["href"] == "/ui/login"
    assert browser.get("/ui/").status_code == 303


def test_without_the_providers_configuration_no_end_session_is_offered(
    api_engine: CaseEngine, api_store: SqlCaseStore, db_path: Path, issuer: Issuer
) -> None:
    issuer.answers["/.well-known/openid-configuration"] = (503, b"{}")
    with client_of(app_for(issuer, api_engine, api_store, db_path)) as client:
        page = parse(client.get("/ui/signed-out").text)
        assert page.find("h1", id="signed-out")
        assert page.find_all("a", id="provider-sign-out") == []
