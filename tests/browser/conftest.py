"""Fixtures for the browser tests: Chromium, a page per test, the served office.

`browser` is launched once a session (each pytest-xdist worker's: the browser
files may run between others, so a package scope would start it again) and
decides first whether the tests run at all (see tests/browser/chromium.py);
each test gets a fresh context (its own cookies) and page at 1280x900, in a
Danish locale. `office` serves
the founding case with `sagsflow api --port 0` for all the browser tests: the
tests that share it only read. `tampered` serves a copy whose record was
edited below the triggers, for the verify button.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.chromium import (
    LAUNCH_ARGS,
    LOCALE,
    VIEWPORT,
    WAIT_MS,
    chromium_executable,
)
from tests.browser.office import founding_office, fresh_copy, tampered_copy
from tests.service.api.process import LiveApi, Prepared, live_api


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_executable()
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=VIEWPORT,
        locale=LOCALE,  # a Danish office's browser: navigator.language, Accept-Language
        timezone_id="Europe/Copenhagen",
        accept_downloads=True,
    )
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def prepared_office(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Prepared:
    """The founding office on file (made after `browser`: no Chromium, no work)."""
    return founding_office(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="session")
def office(
    prepared_office: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    with live_api(prepared_office, tmp_path_factory.mktemp("served")) as running:
        yield running


@pytest.fixture
def tampered(
    prepared_office: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    edited = tampered_copy(prepared_office, tmp_path_factory.mktemp("tampered"))
    with live_api(edited, tmp_path_factory.mktemp("served-tampered")) as running:
        yield running


@pytest.fixture
def own_office(
    prepared_office: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    """The founding office served from a copy of its own (a test's reads may
    write: a letter opened is rendered by the system's step)."""
    copied = fresh_copy(prepared_office, tmp_path_factory.mktemp("own"))
    with live_api(copied, tmp_path_factory.mktemp("served-own")) as running:
        yield running
