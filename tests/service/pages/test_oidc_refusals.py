"""What a sign-in at the provider refuses, and what it never logs.

Each test that needs a provider of its own (one that is down, stops halfway,
or issues short-lived ID tokens) starts one (tests/oidc/provider.py) and an
app pointed at it; the rest use the session's provider.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.testing import FakeClock
from storage import SqlCaseStore
from tests.oidc.provider import (
    TEST_SERVER,
    RunningProvider,
    free_port,
    run_provider,
)
from tests.service.pages.html import parse
from tests.service.pages.oidc_app import (
    SignIn,
    app_with,
    client_of,
    clock,
    events,
    oidc_provider,
    query_of,
    rendered,
    settings,
)
from tests.service.pages.test_oidc import assert_refused

__all__ = ["clock", "oidc_provider", "rendered", "settings"]  # fixtures, for pytest

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.")  # any JWT (an ID token) in a log line


def test_a_provider_that_is_down_is_a_503_page_and_nothing_is_stored(
    api_engine: CaseEngine, api_store: SqlCaseStore, db_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    app = app_with(
        api_engine,
        api_store,
        db_path,
        SAGSFLOW_OIDC_ISSUER=nowhere,
        SAGSFLOW_OIDC_CLIENT_ID="sagsflow",
        SAGSFLOW_OIDC_CLIENT_SECRET="not-used-here",
        SAGSFLOW_PUBLIC_URL=TEST_SERVER,
    )
    with client_of(app) as client:
        login = parse(client.get("/ui/login").text)  # still offered: it may come back
        assert login.find("a", id="provider-login").text == "Log ind med 127.0.0.1"
        refused = client.get("/ui/oidc/login?next=/ui/")
        assert_refused(refused, 503, "127.0.0.1", "kan ikke nås")
        for cookie in refused.headers.get_list("set-cookie"):
            assert not cookie.startswith("sagsflow_sign_in=") or cookie.startswith(
                'sagsflow_sign_in=""'  # only its clearing
            )
    with api_store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM page_sign_in").scalar() == 0


def test_a_provider_that_goes_down_halfway_is_a_503_page(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    db_path: Path,
    tmp_path: Path,
    clock: FakeClock,
) -> None:
    with run_provider(tmp_path) as provider:
        app = app_with(
            api_engine, api_store, db_path, **provider.environment(TEST_SERVER)
        )
        client = client_of(app)
        browser = SignIn(client=client, provider=provider)
        callback = browser.at_provider(browser.set_out(), "jur")
    with client:  # the provider has stopped; its answer comes back now
        assert_refused(browser.come_back(callback), 503, "kan ikke nås")
        assert client.get("/ui/").status_code == 303


def test_an_expired_id_token_signs_nobody_in(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    db_path: Path,
    tmp_path: Path,
    clock: FakeClock,
    rendered: io.StringIO,
) -> None:
    """The provider's own ID token, checked after it expired by the app's clock."""
    with run_provider(tmp_path, id_token_ttl=60) as provider:
        clock.set(provider.now())
        app = app_with(
            api_engine, api_store, db_path, **provider.environment(TEST_SERVER)
        )
        with client_of(app) as client:
            browser = SignIn(client=client, provider=provider)
            callback = browser.at_provider(browser.set_out(), "jur")
            clock.advance(timedelta(minutes=4))  # 60 s, the minute's leeway, and more
            assert_refused(browser.come_back(callback), 401, "kontrollen")
            assert client.get("/ui/").status_code == 303
    (refusal,) = events(rendered, "page_sign_in_refused")
    assert refusal["reason"] == "ID token: expired_token (exp)"


@pytest.mark.parametrize(
    ("claim", "login", "signed_in"),
    [("email", "rev@example.org", "rev"), ("upn", None, None)],
    ids=["email-names-a-login", "a-claim-the-provider-does-not-send"],
)
def test_the_claim_that_names_the_user_is_a_setting(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    db_path: Path,
    oidc_provider: RunningProvider,
    claim: str,
    login: str | None,
    signed_in: str | None,
) -> None:
    if login is not None:
        api_engine.bind_login("rev", login, actor="bra")
    app = app_with(
        api_engine,
        api_store,
        db_path,
        SAGSFLOW_OIDC_USER_CLAIM=claim,
        **oidc_provider.environment(TEST_SERVER),
    )
    with client_of(app) as client:
        done = SignIn(client=client, provider=oidc_provider).as_("rev")
        if signed_in is None:
            assert_refused(done, 403, "intet upn", "borgerrådgiveren")
            assert client.get("/ui/").status_code == 303
        else:
            assert done.status_code == 200, done.text
            page = parse(client.get("/ui/").text)
            assert page.find("strong", id="user").text == signed_in


def test_no_code_state_nonce_verifier_token_or_secret_is_ever_logged(
    app: object,
    api_store: SqlCaseStore,
    oidc_provider: RunningProvider,
    rendered: io.StringIO,
) -> None:
    """A sign-in, refusals of every kind, a page and a sign-out, at DEBUG."""
    client = client_of(app)  # type: ignore[arg-type]
    browser = SignIn(client=client, provider=oidc_provider)
    secrets_seen: set[str] = {oidc_provider.client_secret}
    with client:
        sent = browser.set_out("/ui/mine")
        sent_out = query_of(sent)
        secrets_seen |= {sent_out[k] for k in ("state", "nonce", "code_challenge")}
        with api_store.engine.connect() as conn:
            (verifier,) = conn.exec_driver_sql(
                "SELECT verifier FROM page_sign_in"
            ).one()
        secrets_seen.add(verifier)
        secrets_seen.add(client.cookies["sagsflow_sign_in"])
        callback = browser.at_provider(sent, "jur")
        secrets_seen.add(query_of(callback)["code"])
        assert browser.come_back(callback).status_code == 200
        secrets_seen.add(client.cookies["sagsflow_session"].split("_", 1)[1])
        assert client.get("/ui/mine").status_code == 200
        # refusals: the same callback again, a stranger, a swapped nonce
        assert browser.come_back(callback).status_code == 400
        stranger = browser.at_provider(browser.set_out(), "stranger")
        secrets_seen.add(query_of(stranger)["code"])
        assert browser.come_back(stranger).status_code == 403
        client.post("/ui/logout")
    text = rendered.getvalue()
    assert "page_sign_in_refused" in text  # the refusals were logged ...
    assert '"event": "page_login"' in text  # ... and the sign-in
    assert oidc_provider.issuer + "/token" in text  # the libraries' lines too
    for secret in secrets_seen:
        assert secret not in text
    assert not JWT.search(text)
    assert "stranger" not in text  # the claim's value: a name, an address
    reasons = [e["reason"] for e in events(rendered, "page_sign_in_refused")]
    assert reasons == ["unknown_state", "no_user"]
