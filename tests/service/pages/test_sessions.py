"""The pages' sessions: kept on the server, checked on every request, ended.

Signed in with a token here (the fixtures' way in); tests/service/pages/
test_oidc.py signs in at a real OpenID provider. The database is read
directly where a test must see what is stored.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from engine.exceptions import InvalidInputError
from engine.testing import FakeClock
from service.api import tokens
from service.api.app import create_app
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine
from tests.service.pages.conftest import FOUNDING, Pages
from tests.service.pages.html import parse
from tests.service.pages.oidc_app import events, rendered

__all__ = ["rendered"]  # the fixture, for pytest

COOKIE = "sagsflow_session"


def rows(store: SqlCaseStore) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return list(
            conn.exec_driver_sql(
                "SELECT id, digest, user_id, method, token_id FROM page_session"
            )
        )


def test_the_cookie_names_a_stored_session_and_holds_no_token(
    pages: Pages, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("rev")
    value = client.cookies[COOKIE]
    token = pages.tokens["rev"]
    token_id, token_secret = tokens.split(token) or ("", "")
    assert token_secret not in value
    session_id, secret = value.split("_", 1)
    ((stored_id, digest, user, method, by_token),) = rows(api_store)
    assert (stored_id, user, method, by_token) == (session_id, "rev", "token", token_id)
    assert digest == tokens.digest(secret)  # SHA-256 of the secret ...
    assert secret not in str(rows(api_store))  # ... and never the secret


def test_signing_out_ends_the_session_for_a_copied_cookie_too(
    pages: Pages, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("bra")
    copy = pages.anonymous()
    copy.cookies.set(COOKIE, client.cookies[COOKIE], path="/ui")
    assert copy.get("/ui/").status_code == 200
    response = client.post("/ui/logout")
    assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    assert 'sagsflow_session=""' in response.headers["set-cookie"]
    assert rows(api_store) == []
    refused = copy.get("/ui/")
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/ui/login")


def test_a_session_ends_after_the_idle_time_and_lives_on_while_used(
    pages: Pages, clock: FakeClock, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("rev")
    for _ in range(3):  # used every 29 minutes: it lives on
        clock.advance(timedelta(minutes=29))
        assert client.get("/ui/").status_code == 200
    clock.advance(timedelta(minutes=30, seconds=1))
    ended = client.get("/ui/")
    assert ended.status_code == 303
    assert 'sagsflow_session=""' in ended.headers["set-cookie"]
    assert rows(api_store) == []


def test_last_seen_is_written_at_most_once_a_minute(
    pages: Pages, clock: FakeClock, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("rev")

    def last_seen() -> object:
        with api_store.engine.connect() as conn:
            found = conn.exec_driver_sql("SELECT last_seen_at FROM page_session")
            return found.scalar()

    signed_in = last_seen()
    clock.advance(timedelta(seconds=59))
    assert client.get("/ui/").status_code == 200
    assert last_seen() == signed_in
    clock.advance(timedelta(seconds=1))
    assert client.get("/ui/").status_code == 200
    assert last_seen() != signed_in


def test_a_deactivated_users_session_ends_at_their_next_request(
    pages: Pages, api_engine: CaseEngine, db_path: object, api_store: SqlCaseStore
) -> None:
    """The advisor deactivates the user through another store, as another
    process would: the pages' store sees it at the next request."""
    client = pages.as_user("jur")
    assert client.get("/ui/mine").status_code == 200
    other = create_db_engine(f"sqlite:///{db_path}", create=False)
    try:
        elsewhere = CaseEngine(
            store=SqlCaseStore(other),
            registry=api_engine.registry,
            clock=api_engine.clock,
            calendar=api_engine.calendar,
        )
        elsewhere.deactivate_user("jur", actor="bra", reason="Left the office")
    finally:
        other.dispose()
    ended = client.get("/ui/mine")
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/ui/login")
    assert rows(api_store) == []
    again = pages.anonymous().post("/ui/login", data={"token": pages.tokens["jur"]})
    assert again.status_code == 401  # nor does the token open a new one


def test_a_revoked_tokens_session_ends(
    pages: Pages, api_engine: CaseEngine, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("rev")
    token_id = next(t.id for t in tokens.list_tokens(api_store) if t.user_id == "rev")
    tokens.revoke(api_store, api_engine.clock, token_id)
    assert client.get("/ui/").status_code == 303
    assert rows(api_store) == []


@pytest.mark.parametrize(
    "value",
    [
        "not-a-session",
        "0123456789abcdef_wrong-secret",
        "0123456789abcdef",
        "ABCDEF0123456789_x",
        "x" * 5000,
        "",
    ],
)
def test_a_cookie_that_is_no_session_sends_the_browser_to_sign_in(
    pages: Pages, value: str
) -> None:
    client = pages.anonymous()
    client.cookies.set(COOKIE, value, path="/ui")
    response = client.get("/ui/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2Faudit"


def test_a_session_id_without_its_secret_opens_nothing_and_ends_nothing(
    pages: Pages, api_store: SqlCaseStore
) -> None:
    signed = pages.as_user("bra")
    session_id = signed.cookies[COOKIE].split("_", 1)[0]
    forger = pages.anonymous()
    forger.cookies.set(COOKIE, f"{session_id}_guessed", path="/ui")
    assert forger.get("/ui/").status_code == 303
    forger.post("/ui/logout")
    assert len(rows(api_store)) == 1
    assert signed.get("/ui/").status_code == 200


def test_what_a_page_reads_is_logged_as_come_through_the_pages(
    pages: Pages, founding: str, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("jur")
    session_id = client.cookies[COOKIE].split("_", 1)[0]
    assert client.get(f"/ui/cases/{FOUNDING}").status_code == 200
    with api_store.transaction(write=False) as tx:
        reads = list(tx.access_entries(case_number=founding, actor="jur"))
    assert reads
    assert reads[-1].via == {"channel": "pages", "session": session_id}


# -- token sign-in switched off --------------------------------------------------------
def test_token_sign_in_off_without_a_provider_is_refused_at_start(
    api_engine: CaseEngine, api_store: SqlCaseStore
) -> None:
    with pytest.raises(InvalidInputError, match="SAGSFLOW_TOKEN_LOGIN=off"):
        create_app(
            engine=api_engine,
            store=api_store,
            settings=Settings(token_login="off"),
        )


@pytest.fixture
def no_tokens(
    api_engine: CaseEngine, api_store: SqlCaseStore, settings: Settings
) -> FastAPI:
    """The app with token sign-in off and a provider (not reached here)."""
    environ = {
        "SAGSFLOW_DATABASE_URL": settings.database_url,
        "SAGSFLOW_TOKEN_LOGIN": "off",
        "SAGSFLOW_OIDC_ISSUER": "https://login.example.org/tenant/v2.0",
        "SAGSFLOW_OIDC_CLIENT_ID": "sagsflow",
        "SAGSFLOW_OIDC_CLIENT_SECRET": "not-used-here",
        "SAGSFLOW_PUBLIC_URL": "https://sagsflow.example.org",
    }
    return create_app(
        engine=api_engine, store=api_store, settings=Settings.from_env(environ)
    )


def test_token_sign_in_off_hides_the_form_and_refuses_a_token(
    no_tokens: FastAPI, pages: Pages, user_tokens: dict[str, str]
) -> None:
    signed_before = pages.as_user("rev")  # a token session made while it was on
    cookie = signed_before.cookies[COOKIE]
    with TestClient(
        no_tokens, raise_server_exceptions=False, follow_redirects=False
    ) as client:
        page = parse(client.get("/ui/login").text)
        link = page.find("a", id="provider-login")
        assert link.text == "Log ind med login.example.org"
        assert page.find_all("input", id="token") == []
        refused = client.post("/ui/login", data={"token": user_tokens["rev"]})
        assert refused.status_code == 403
        assert (
            parse(refused.text)
            .find("p", id="error-message")
            .text.startswith("Der kan ikke logges ind med et token her")
        )
        assert "set-cookie" not in refused.headers
        client.cookies.set(COOKIE, cookie, path="/ui")
        assert client.get("/ui/").status_code == 303  # it ends, too


def test_without_a_provider_its_pages_are_not_there(pages: Pages) -> None:
    client = pages.anonymous()
    for path in ("/ui/oidc/login", "/ui/oidc/callback?code=x&state=y"):
        response = client.get(path)
        assert response.status_code == 404
        assert parse(response.text).find("h1", id="error").attrs["data-status"] == "404"
    login = parse(client.get("/ui/login").text)
    assert login.find_all("a", id="provider-login") == []
    out = client.post("/ui/logout")  # no provider: straight to the login page
    assert out.headers["location"] == "/ui/login"


def test_signing_out_with_a_cookie_that_is_no_session_just_clears_it(
    pages: Pages, api_store: SqlCaseStore
) -> None:
    pages.as_user("rev")
    client = pages.anonymous()
    client.cookies.set(COOKIE, "garbage", path="/ui")
    response = client.post("/ui/logout")
    assert response.status_code == 303
    assert 'sagsflow_session=""' in response.headers["set-cookie"]
    assert len(rows(api_store)) == 1  # the other browser's session stays


def test_the_stylesheet_is_served_without_a_look_at_the_session(
    pages: Pages, rendered: io.StringIO
) -> None:
    client = pages.anonymous()
    client.cookies.set(COOKIE, "not-a-session", path="/ui")
    assert client.get("/ui/static/style.css").status_code == 200
    assert events(rendered, "page_session_refused") == []
    assert client.get("/ui/").status_code == 303  # a page does look
    (refused,) = events(rendered, "page_session_refused")
    assert refused["reason"] == "malformed"


def test_a_token_session_ends_when_the_token_expires(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    settings: Settings,
    clock: FakeClock,
    rendered: io.StringIO,
) -> None:
    """A day-long idle limit, so only the token's last day can end it."""
    app = create_app(
        engine=api_engine,
        store=api_store,
        settings=replace(settings, session_idle_minutes=24 * 60),
    )
    _, text = tokens.issue(api_store, clock, "rev", expires="2024-11-25")
    with TestClient(app, follow_redirects=False) as client:
        assert client.post("/ui/login", data={"token": text}).status_code == 303
        clock.advance(timedelta(hours=13, minutes=59))  # 22:59 UTC, 23:59 local
        assert client.get("/ui/").status_code == 200
        clock.advance(timedelta(minutes=1))  # midnight in Copenhagen: expired
        assert client.get("/ui/").status_code == 303
    (refused,) = events(rendered, "page_session_refused")
    assert refused["reason"] == "token_expired"
