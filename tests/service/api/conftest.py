"""Fixtures for the HTTP API in-process: an engine on SQLite, an app, tokens.

Every test gets a fresh SQLite file (copied from one migrated once per
session) with the users of `tests.conftest.make_engine` (bra advisor, jur and
jur2 caseworkers, ind intake, rev auditor), a FakeClock standing at
2024-11-25 09:00 UTC, the app over them, and a token per user. `api` calls
the app through FastAPI's TestClient as a named user: `api.get(path, "rev")`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.api import tokens
from service.api.app import create_app
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from tests.conftest import make_engine
from tests.service.conftest import copy_database

USERS = ("bra", "jur", "jur2", "ind", "rev")
ROLE_OF = {
    "bra": "advisor",
    "jur": "caseworker",
    "jur2": "caseworker",
    "ind": "intake",
    "rev": "auditor",
}

TITLE = "Socialforvaltningens politianmeldelse af en borger (egen drift)"
OPENED_AT = "2024-10-03T10:00:00+02:00"
SENT_AT = "2024-10-09T10:00:00+02:00"
DISPATCHED_AT = "2024-10-09T14:00:00+02:00"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-template") / "template.db"
    db = create_db_engine(f"sqlite:///{path}")
    upgrade_schema(db)
    db.dispose()
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    path = tmp_path / "api.db"
    copy_database(migrated_template, path)
    return path


@pytest.fixture
def api_store(db_path: Path) -> Iterator[SqlCaseStore]:
    """The test database: the engine's store and the API's own rows."""
    db = create_db_engine(f"sqlite:///{db_path}", create=False)
    yield SqlCaseStore(db)
    db.dispose()


@pytest.fixture
def api_engine(
    api_store: SqlCaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    return make_engine(api_store, registry, clock)


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{db_path}")


@pytest.fixture
def app(api_engine: CaseEngine, api_store: SqlCaseStore, settings: Settings) -> FastAPI:
    return create_app(engine=api_engine, store=api_store, settings=settings)


@pytest.fixture
def user_tokens(api_engine: CaseEngine, api_store: SqlCaseStore) -> dict[str, str]:
    return {user: tokens.issue(api_store, api_engine.clock, user)[1] for user in USERS}


class Api:
    """The app through TestClient, each call as a named user (or anonymous)."""

    def __init__(self, client: TestClient, user_tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = user_tokens

    def call(
        self, method: str, path: str, user: str | None = None, **kwargs: Any
    ) -> httpx2.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, user: str | None = None, **kwargs: Any) -> httpx2.Response:
        return self.call("GET", path, user, **kwargs)

    def post(
        self, path: str, user: str | None = None, **kwargs: Any
    ) -> httpx2.Response:
        return self.call("POST", path, user, **kwargs)

    def ok(self, method: str, path: str, user: str, **kwargs: Any) -> Any:
        """The JSON of a call that must succeed."""
        response = self.call(method, path, user, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture
def api(app: FastAPI, user_tokens: dict[str, str]) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, user_tokens)


def open_inquiry(api: Api, *, dispatched: bool = True) -> str:
    """The founding case opened by bra, the inquiry sent (and dispatched) by jur."""
    opened = api.ok(
        "POST",
        "/cases",
        "bra",
        json={
            "workflow": "ombudsman-inquiry",
            "title": TITLE,
            "parties": [{"role": "authority", "name": "Socialforvaltningen"}],
            "data": {"own_initiative": True},
            "at": OPENED_AT,
        },
    )
    number: str = opened["number"]
    api.ok(
        "POST",
        f"/cases/{number}/events",
        "jur",
        json={"event": "send_inquiry", "document": "Høring", "at": SENT_AT},
    )
    if dispatched:
        api.ok(
            "POST",
            f"/cases/{number}/events",
            "jur",
            json={"event": "mark_dispatched", "at": DISPATCHED_AT},
        )
    return number


def assert_problem(response: httpx2.Response, status: int, slug: str) -> dict[str, Any]:
    """One RFC 9457 problem of `status` naming `slug`; returns its JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:sagsflow:problem:{slug}", body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body
