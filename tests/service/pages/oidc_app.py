"""The pages signing in at a real OpenID provider (tests/oidc), in-process.

A test module imports `oidc_provider`, `clock` and `settings` from here (the
API's and pages' fixtures are the rest): the app's settings point at the
session's provider, and the FakeClock stands at the provider's time, so the
provider's ID tokens are fresh by the app's clock without the test reading
the wall clock. `SignIn` walks one person through: our login link, the
provider's forms (tests/oidc/flow.py), our callback.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from engine.logs import configure_logging
from engine.testing import FakeClock
from service.api.app import create_app
from service.settings import Settings
from storage import SqlCaseStore
from tests.oidc import flow
from tests.oidc.provider import TEST_SERVER, RunningProvider, oidc_provider

__all__ = [
    "SignIn",
    "app_with",
    "client_of",
    "clock",
    "events",
    "oidc_provider",
    "query_of",
    "rendered",
    "settings",
]


@pytest.fixture
def clock(oidc_provider: RunningProvider) -> FakeClock:
    """The app's clock, at the provider's time."""
    return FakeClock(oidc_provider.now())


@pytest.fixture
def settings(db_path: object, oidc_provider: RunningProvider) -> Settings:
    return Settings.from_env(
        {
            "SAGSFLOW_DATABASE_URL": f"sqlite:///{db_path}",
            **oidc_provider.environment(TEST_SERVER),
        }
    )


def app_with(
    engine: CaseEngine, store: SqlCaseStore, db_path: Path, **environ: str
) -> FastAPI:
    """The app over `engine` with the settings `environ` gives (SAGSFLOW_*)."""
    settings = Settings.from_env(
        {"SAGSFLOW_DATABASE_URL": f"sqlite:///{db_path}", **environ}
    )
    return create_app(engine=engine, store=store, settings=settings)


def client_of(app: FastAPI) -> TestClient:
    """A browser-like client of `app` over HTTPS, following no redirects."""
    return TestClient(
        app, base_url=TEST_SERVER, raise_server_exceptions=False, follow_redirects=False
    )


class _NotTheTestsOwnHttp(logging.Filter):
    """Leave out the lines of the test's own HTTP clients (the TestClient, the
    person at the provider): they run on the test's thread, the app's calls to
    the provider on worker threads, through the same loggers."""

    def __init__(self) -> None:
        super().__init__()
        self.test_thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name.startswith(("httpx2", "httpcore2"))
        return not (ours and record.thread == self.test_thread)


@pytest.fixture
def rendered() -> Iterator[io.StringIO]:
    """Every log line of the app (sagsflow's, and the libraries' through the
    stdlib), as sagsflow renders it, at DEBUG, into memory; the root logger is
    restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=stream)
    structlog.configure(cache_logger_on_first_use=False)
    for handler in [h for h in root.handlers if h not in handlers]:
        handler.addFilter(_NotTheTestsOwnHttp())
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def events(stream: io.StringIO, name: str) -> list[dict[str, Any]]:
    """The JSON log lines of event `name`."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line.get("event") == name]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class SignIn:
    """One browser signing in: the app's client and the provider."""

    client: TestClient
    provider: RunningProvider

    def set_out(self, next_path: str = "/ui/") -> str:
        """Follow the login page's link; the provider's authorization URL."""
        response = self.client.get("/ui/oidc/login", params={"next": next_path})
        assert response.status_code == 303, response.text
        return response.headers["location"]

    def at_provider(self, authorize_url: str, login: str) -> str:
        """Sign in at the provider; the callback URL it sends us back to."""
        return flow.at_provider(authorize_url, login, self.provider.issuer)

    def come_back(self, callback_url: str) -> httpx2.Response:
        return self.client.get(callback_url)

    def as_(self, login: str, next_path: str = "/ui/") -> httpx2.Response:
        """The whole way: set out, sign in as `login`, come back."""
        return self.come_back(self.at_provider(self.set_out(next_path), login))
