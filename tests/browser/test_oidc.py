"""Signing in at the office's OpenID provider, in Chromium, against real processes.

A real `sagsflow api` serves the founding office (tests/browser/office.py)
with SAGSFLOW_OIDC_* pointing at a real provider (node-oidc-provider,
tests/oidc), on the port the provider knows as its redirect URI. The
caseworker jur signs in through the provider's own login form and sees
"Mine sager"; signs out and is offered the provider's end-session, which
signs out there too and comes back to sagsflow's login page; signs in again;
the advisor deactivates jur from another process (the command line), and
jur's next page load is sent to sign in, where signing in again is refused
with a page that says why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.browser.office import FOUNDING, OTHER_TITLE
from tests.browser.session import path_of, session_cookies, visible_text
from tests.oidc.provider import RunningProvider, oidc_provider
from tests.service.api.process import LiveApi, Prepared, Process, cli, environment
from tests.service.conftest import copy_database

__all__ = ["oidc_provider"]  # the fixture, for pytest

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def served_with_provider(
    prepared: Prepared, folder: Path, provider: RunningProvider
) -> Iterator[LiveApi]:
    """`sagsflow api` on a copy of the office, signing in at `provider`."""
    db_path = folder / "sagsflow.db"
    copy_database(prepared.db_path, db_path)
    base_url = f"http://127.0.0.1:{provider.api_port}"
    env = environment(db_path, **provider.environment(base_url))
    process = Process(env, ("api", "--port", str(provider.api_port)))
    try:
        started = process.wait_for_event("api_started")
        assert started["port"] == provider.api_port
        yield LiveApi(
            base_url=base_url,
            tokens=dict(prepared.tokens),
            process=process,
            db_path=db_path,
            env=env,
        )
    finally:
        process.close()


@pytest.fixture
def served(
    prepared_office: Prepared,
    tmp_path_factory: pytest.TempPathFactory,
    oidc_provider: RunningProvider,
) -> Iterator[LiveApi]:
    with served_with_provider(
        prepared_office, tmp_path_factory.mktemp("served-oidc"), oidc_provider
    ) as running:
        yield running


def sign_in_at_provider(page: Page, provider: RunningProvider, login: str) -> None:
    """From sagsflow's login page, through the provider's login form (and its
    consent form, the first time), back."""
    with page.expect_navigation():
        page.locator("a#provider-login").click()
    assert page.url.startswith(provider.issuer + "/interaction/"), page.url
    shot(page, "12-provider-login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    with page.expect_navigation():
        page.locator('button[type="submit"]').click()
    if page.url.startswith(provider.issuer + "/interaction/"):  # consent
        with page.expect_navigation():
            page.locator('button[type="submit"]').click()


def test_a_caseworker_signs_in_at_the_provider_is_deactivated_and_refused(
    page: Page, served: LiveApi, oidc_provider: RunningProvider
) -> None:
    # 1. a stranger to the pages is sent to log in, and the provider is offered
    page.goto(f"{served.base_url}/ui/mine")
    assert path_of(page) == "/ui/login"
    expect(page.locator("a#provider-login")).to_have_text("Log ind med Testudbyder")
    shot(page, "12-login-with-provider")

    # 2. through the provider's login form, back to "Mine sager"
    sign_in_at_provider(page, oidc_provider, "jur")
    expect(page.locator("h1")).to_have_text("Mine sager")
    assert path_of(page) == "/ui/mine"
    expect(page.locator("strong#user")).to_have_text("jur")
    rows = page.locator("table#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(FOUNDING)
    expect(rows.last).to_contain_text(OTHER_TITLE)
    assert session_cookies(page)
    shot(page, "12-signed-in-mine")

    # 3. signing out ends the session and offers the provider's end-session
    with page.expect_navigation():
        page.locator("button#logout").click()
    assert path_of(page) == "/ui/signed-out"
    assert not session_cookies(page)
    end_session = page.locator("a#provider-sign-out")
    expect(end_session).to_have_text("Log også ud hos Testudbyder")
    href = end_session.get_attribute("href") or ""
    assert href.startswith(oidc_provider.issuer + "/session/end?")
    shot(page, "12-signed-out")
    page.goto(f"{served.base_url}/ui/mine")  # the session is gone
    assert path_of(page) == "/ui/login"
    page.go_back()
    with page.expect_navigation():
        page.locator("a#provider-sign-out").click()
    assert page.url.startswith(oidc_provider.issuer)  # the provider asks to confirm
    with page.expect_navigation():
        page.locator('button[name="logout"]').click()
    assert urlsplit(page.url).netloc == urlsplit(served.base_url).netloc
    assert path_of(page) == "/ui/login"  # post_logout_redirect_uri

    # 4. signed in again (the provider asks for the login again: signed out there)
    sign_in_at_provider(page, oidc_provider, "jur")
    expect(page.locator("h1")).to_have_text("Overblik")
    expect(page.locator("strong#user")).to_have_text("jur")

    # 5. the advisor deactivates jur from another process
    cli(
        served.env,
        "user",
        "deactivate",
        "jur",
        "--actor",
        "bra",
        "--reason",
        "Fratrådt",
    )
    page.reload()
    assert path_of(page) == "/ui/login"
    assert "Mine sager" not in visible_text(page)
    assert not session_cookies(page)

    # 6. signing in again (still signed in at the provider: straight back) is
    # refused with a page that says why
    with page.expect_response(lambda r: "/ui/oidc/callback" in r.url) as refused:
        page.locator("a#provider-login").click()
    assert refused.value.status == 403
    expect(page.locator("h1#sign-in-refused")).to_be_visible()
    message = page.locator("#error-message")
    expect(message).to_contain_text("som jur")
    expect(message).to_contain_text("ingen aktiv bruger")
    expect(message).to_contain_text("Spørg borgerrådgiveren")
    assert not session_cookies(page)
    shot(page, "12-refused-deactivated")
