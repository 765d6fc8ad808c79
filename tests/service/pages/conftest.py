"""Fixtures for the review pages: the API's app on a migrated SQLite file.

The engine, users, tokens and app are those of tests/service/api/conftest.py (bra
advisor, jur and jur2 caseworkers, ind intake, rev auditor; a FakeClock at
2024-11-25 09:00 UTC). `pages.as_user("rev")` is a browser-like client,
logged in as that user with the session cookie, following no redirects.
The founding case (examples/founding-case.jsonl) is imported when a test asks
for `founding`: dispatched 9 Oct 2024, its reply was due 6 Nov 2024.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from tests.service.api import conftest as api_fixtures

# The API's fixtures, shared: the same database, engine, users, tokens and app.
migrated_template = api_fixtures.migrated_template
db_path = api_fixtures.db_path
api_store = api_fixtures.api_store
api_engine = api_fixtures.api_engine
settings = api_fixtures.settings
app = api_fixtures.app
user_tokens = api_fixtures.user_tokens

FOUNDING = "2024-0283489"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "founding-case.jsonl"


class Pages:
    """Clients of the app, one per user, each with its own cookie jar."""

    def __init__(self, app: FastAPI, user_tokens: dict[str, str]) -> None:
        self.app = app
        self.tokens = user_tokens
        self._clients: list[TestClient] = []

    def anonymous(self) -> TestClient:
        client = TestClient(
            self.app, raise_server_exceptions=False, follow_redirects=False
        )
        client.__enter__()
        self._clients.append(client)
        return client

    def as_user(self, user: str) -> TestClient:
        client = self.anonymous()
        response = client.post("/ui/login", data={"token": self.tokens[user]})
        assert response.status_code == 303, response.text
        return client

    def close(self) -> None:
        for client in self._clients:
            client.__exit__(None, None, None)


@pytest.fixture
def pages(app: FastAPI, user_tokens: dict[str, str]) -> Iterator[Pages]:
    opened = Pages(app, user_tokens)
    yield opened
    opened.close()


@pytest.fixture
def founding(api_engine: CaseEngine) -> str:
    """The founding case imported as it stood after its inquiry was dispatched."""
    record = json.loads(EXAMPLE.read_text("utf-8").splitlines()[0])
    view = api_engine.import_case(record)
    assert view.case.number == FOUNDING
    return FOUNDING


def inquiry(engine: CaseEngine, number: str, dispatched: str) -> str:
    """A case like the founding one, unassigned, its inquiry dispatched on
    `dispatched` (a local date): the reply is due 20 working days later."""
    record = json.loads(EXAMPLE.read_text("utf-8").splitlines()[0])
    record["number"] = number
    del record["owner"]  # unassigned: the advisor opened it
    record["events"][0]["at"] = f"{dispatched}T08:00:00+01:00"
    record["events"][1]["at"] = f"{dispatched}T09:30:00+01:00"
    record["events"][2]["at"] = f"{dispatched}T15:00:00+01:00"
    return engine.import_case(record).case.number


def closed_case(engine: CaseEngine) -> str:
    """A case opened and rejected at once (closed, no deadline)."""
    view = engine.open_case(
        "ombudsman-inquiry",
        actor="bra",
        title="Henvendelse uden for kompetence",
        data={"own_initiative": True},
        at=None,
    )
    number = view.case.number
    engine.fire(number, "reject", actor="bra", data={"reason": "Uden for kompetence"})
    return number
