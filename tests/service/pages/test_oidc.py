"""Signing in to the pages at a real OpenID provider (node-oidc-provider).

The app runs in-process (TestClient at http://testserver); the provider is a
real process on loopback (tests/oidc), driven through its own login and
consent forms. Every refusal is a page with its status that says why, and
nobody is signed in after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from service.pages.oidc_flow import SIGN_IN_LIFETIME
from storage import SqlCaseStore
from tests.oidc.provider import CLIENT_ID, TEST_SERVER, RunningProvider
from tests.service.pages.html import parse
from tests.service.pages.oidc_app import (
    SignIn,
    clock,
    oidc_provider,
    query_of,
    settings,
)

__all__ = ["clock", "oidc_provider", "settings"]  # the fixtures, for pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def browser(app: object, oidc_provider: RunningProvider) -> Iterator[SignIn]:
    with TestClient(
        app,  # type: ignore[arg-type]
        base_url=TEST_SERVER,
        raise_server_exceptions=False,
        follow_redirects=False,
    ) as client:
        yield SignIn(client=client, provider=oidc_provider)


def sessions_of(store: SqlCaseStore, user: str) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT method FROM page_session WHERE user_id = ?", (user,)
        )
        return [row[0] for row in rows]


def assert_refused(response: httpx2.Response, status: int, *words: str) -> None:
    """The sign-in refused page, its status, its words; no session cookie."""
    assert response.status_code == status, response.text
    page = parse(response.text)
    assert page.find("h1", id="sign-in-refused").attrs["data-status"] == str(status)
    message = page.find("p", id="error-message").text
    for word in words:
        assert word in message, message
    assert page.find("a", id="sign-in-again").attrs["href"] == "/ui/login"
    cookies = response.headers.get_list("set-cookie")
    assert not [c for c in cookies if c.startswith("sagsflow_session=")], cookies


# -- the login page --------------------------------------------------------------------
def test_the_login_page_offers_the_provider_and_the_token(browser: SignIn) -> None:
    page = parse(browser.client.get("/ui/login?next=/ui/mine").text)
    link = page.find("a", id="provider-login")
    assert link.text == "Log ind med Testudbyder"
    assert link.attrs["href"] == "/ui/oidc/login?" + urlencode({"next": "/ui/mine"})
    assert page.find("form", action="/ui/login").find("input", id="token")
    english = parse(browser.client.get("/ui/login?lang=en").text)
    assert english.find("a", id="provider-login").text == "Sign in with Testudbyder"


def test_setting_out_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    browser: SignIn, oidc_provider: RunningProvider
) -> None:
    response = browser.client.get("/ui/oidc/login", params={"next": "/ui/mine"})
    assert response.status_code == 303
    target = response.headers["location"]
    assert target.startswith(oidc_provider.issuer + "/auth?")
    query = query_of(target)
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == TEST_SERVER + "/ui/oidc/callback"
    assert query["scope"] == "openid profile email"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(query["state"]) >= 43
    assert len(query["nonce"]) >= 43
    assert query["state"] != query["nonce"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sagsflow_sign_in=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/ui/oidc", "max-age=600"} <= attributes
    assert "secure" in attributes  # over HTTPS
    # another sign-in: other values altogether
    again = query_of(browser.set_out())
    assert again["state"] != query["state"]
    assert again["nonce"] != query["nonce"]
    assert again["code_challenge"] != query["code_challenge"]


# -- signing in ------------------------------------------------------------------------
def test_a_known_user_signs_in_and_sees_their_cases(
    browser: SignIn, api_store: SqlCaseStore
) -> None:
    done = browser.as_("jur", next_path="/ui/mine")
    assert done.status_code == 200, done.text
    page = parse(done.text)
    assert page.find("h1", id="signed-in")
    refresh = page.find("meta", http_equiv="refresh")
    assert refresh.attrs["content"] == "0; url=/ui/mine"
    assert page.find("a", id="go-on").attrs["href"] == "/ui/mine"
    cookies = done.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sagsflow_session="))
    attributes = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/ui", "secure"} <= attributes
    assert any(c.startswith('sagsflow_sign_in=""') for c in cookies)  # forgotten
    mine = browser.client.get("/ui/mine")
    assert mine.status_code == 200
    assert parse(mine.text).find("strong", id="user").text == "jur"
    assert sessions_of(api_store, "jur") == ["oidc"]


def test_the_claim_names_a_login_before_a_user_id(
    browser: SignIn, api_engine: CaseEngine
) -> None:
    api_engine.bind_login("jur2", "jur", actor="bra")  # jur's id is jur2's login
    assert browser.as_("jur").status_code == 200
    page = parse(browser.client.get("/ui/").text)
    assert page.find("strong", id="user").text == "jur2"


def test_a_directory_name_matches_in_lower_case_too(
    browser: SignIn, api_engine: CaseEngine
) -> None:
    api_engine.bind_login("jur2", "j.urist@kommune.dk", actor="bra")
    done = browser.as_("J.Urist@Kommune.dk")  # as the directory writes it
    assert done.status_code == 200, done.text
    page = parse(browser.client.get("/ui/").text)
    assert page.find("strong", id="user").text == "jur2"


def test_a_person_sagsflow_does_not_know_is_told_to_ask_the_advisor(
    browser: SignIn, api_store: SqlCaseStore
) -> None:
    refused = browser.as_("stranger")
    assert_refused(
        refused,
        403,
        "Testudbyder",
        "stranger",
        "ingen aktiv bruger",
        "borgerrådgiveren",
    )
    assert browser.client.get("/ui/").status_code == 303  # to the login page
    assert sessions_of(api_store, "stranger") == []


def test_a_deactivated_user_cannot_sign_in(
    browser: SignIn, api_engine: CaseEngine, api_store: SqlCaseStore
) -> None:
    api_engine.deactivate_user("jur", actor="bra", reason="Stopped 1 December")
    assert_refused(browser.as_("jur"), 403, "jur", "ingen aktiv bruger")
    assert sessions_of(api_store, "jur") == []


def test_the_system_user_never_signs_in(browser: SignIn) -> None:
    assert_refused(browser.as_("system"), 403, "ingen aktiv bruger")


def test_a_provider_that_says_no_is_a_page_that_says_so(browser: SignIn) -> None:
    from tests.oidc.flow import abort_at_provider

    back = abort_at_provider(browser.set_out(), browser.provider.issuer)
    assert query_of(back)["error"] == "access_denied"
    assert_refused(browser.come_back(back), 403, "afviste login", "access_denied")


# -- the callback refuses what is not one sign-in's own answer -------------------------
def test_a_callback_url_works_once(browser: SignIn, api_store: SqlCaseStore) -> None:
    callback = browser.at_provider(browser.set_out(), "jur")
    assert browser.come_back(callback).status_code == 200
    browser.client.post("/ui/logout")
    assert sessions_of(api_store, "jur") == []
    replayed = browser.come_back(callback)
    assert_refused(replayed, 400, "ukendt eller allerede brugt")
    assert sessions_of(api_store, "jur") == []


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"state": "not-the-state-we-sent-out-0123456789abcdefghijk"}, 400, "ukendt"),
        ({"state": None}, 400, "reference"),
        ({"code": None}, 400, "ingen login-kode"),
        ({"iss": "https://other.example"}, 400, "anden identitetsudbyder"),
    ],
    ids=["wrong-state", "no-state", "no-code", "other-issuer"],
)
def test_a_tampered_callback_signs_nobody_in(
    browser: SignIn, change: dict[str, str | None], status: int, words: str
) -> None:
    callback = browser.at_provider(browser.set_out(), "jur")
    query = query_of(callback)
    for name, value in change.items():
        if value is None:
            del query[name]
        else:
            query[name] = value
    url = urlsplit(callback)._replace(query=urlencode(query)).geturl()
    assert_refused(browser.come_back(url), status, words)
    assert browser.client.get("/ui/").status_code == 303


def test_a_callback_in_another_browser_signs_nobody_in(
    browser: SignIn, app: object
) -> None:
    """A sign-in an attacker started, fed to someone else's browser."""
    callback = browser.at_provider(browser.set_out(), "bra")
    with TestClient(
        app,  # type: ignore[arg-type]
        base_url=TEST_SERVER,
        follow_redirects=False,
    ) as victim:
        refused = victim.get(callback)
        assert_refused(refused, 400, "anden browser")
        assert victim.get("/ui/").status_code == 303


def test_a_sign_in_that_takes_too_long_is_refused(
    browser: SignIn, clock: object
) -> None:
    callback = browser.at_provider(browser.set_out(), "jur")
    clock.advance(SIGN_IN_LIFETIME + SIGN_IN_LIFETIME / 10)  # type: ignore[attr-defined]
    assert_refused(browser.come_back(callback), 400, "over 10 minutter")


def test_a_code_already_redeemed_signs_nobody_in(browser: SignIn) -> None:
    """The code of a finished sign-in, brought back with a fresh state."""
    used = query_of(browser.at_provider(browser.set_out(), "jur"))
    assert browser.come_back(callback_with(used)).status_code == 200
    browser.client.post("/ui/logout")
    fresh = query_of(browser.set_out())
    replayed = callback_with({**used, "state": fresh["state"]})
    assert_refused(browser.come_back(replayed), 400, "brugt eller udløbet")
    assert browser.client.get("/ui/").status_code == 303


def test_an_id_token_with_another_nonce_signs_nobody_in(browser: SignIn) -> None:
    """The authorization request's nonce swapped on its way to the provider."""
    sent = browser.set_out()
    swapped = {**query_of(sent), "nonce": "a-nonce-that-sagsflow-never-made-0123456789"}
    url = urlsplit(sent)._replace(query=urlencode(swapped)).geturl()
    refused = browser.come_back(browser.at_provider(url, "jur"))
    assert_refused(refused, 401, "holdt ikke til kontrollen")
    assert browser.client.get("/ui/").status_code == 303


def callback_with(query: dict[str, str]) -> str:
    return f"{TEST_SERVER}/ui/oidc/callback?{urlencode(query)}"


@pytest.mark.parametrize(
    "query",
    [{"state": "x\x00y", "code": "c"}, {f"extra{n}": "x" for n in range(20)}],
    ids=["nul", "too-many"],
)
def test_a_callback_query_that_is_no_answer_is_a_400_page(
    browser: SignIn, query: dict[str, str]
) -> None:
    refused = browser.client.get("/ui/oidc/callback", params=query)
    assert_refused(refused, 400, "reference")
