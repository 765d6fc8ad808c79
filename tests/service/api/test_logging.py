"""What the API logs: one line per request, never a token, never a CPR number.

Logs are read as rendered JSON (sagsflow's own pipeline into a StringIO, at
DEBUG so nothing is filtered away), not with `capture_logs`, which would skip
the redaction under test.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from engine.cases.engine import CaseEngine
from engine.logs import configure_logging
from service.api import tokens
from tests.service.api.conftest import Api, assert_problem, open_inquiry

CPRS = ("010190-1234", "0101901234", "311299 9999")


@pytest.fixture
def rendered() -> Iterator[io.StringIO]:
    """Every log line rendered as JSON into memory, at DEBUG, caching nothing.

    The root logger's handlers and level are restored afterwards.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=stream)
    structlog.configure(cache_logger_on_first_use=False)
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_cpr_numbers_and_tokens_never_reach_the_log(
    api: Api,
    api_engine: CaseEngine,
    rendered: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = open_inquiry(api)
    cpr, bare, spaced = CPRS
    # a valid token, and a forged one that shares its id
    token = api.tokens["jur"]
    token_id, secret = tokens.split(token) or ("", "")
    forged = f"{tokens.PREFIX}{token_id}_{cpr}-and-more"
    calls = [
        api.post(
            "/cases",
            "bra",
            json={"workflow": "ombudsman-inquiry", "title": f"Borger {cpr}"},
        ),
        api.post(
            "/cases",
            "bra",
            json={
                "workflow": "ombudsman-inquiry",
                "title": "Sag",
                "parties": [{"role": "citizen", "name": f"Borger {bare}"}],
            },
        ),
        api.post(
            f"/cases/{number}/events",
            "jur",
            json={"event": "withdraw", "data": {"reason": spaced}},
        ),
        api.post(
            f"/cases/{number}/events",
            "jur",
            json={"event": "note", "data": {bare: cpr}},
        ),
        api.post(
            f"/cases/{number}/documents", "jur", json={"title": f"Notat om {cpr}"}
        ),
        api.post(
            f"/cases/{number}/events",
            "jur",
            content=f'{{"event": "{cpr}"'.encode(),
            headers={"content-type": "application/json"},
        ),
        api.get(f"/cases/{cpr}", "jur"),
        api.get("/audit/log", "jur", params={"actor": bare}),
        api.post(
            f"/cases/{number}/events",
            "jur",
            json={"event": "note", "document": "ok"},
            headers={"Idempotency-Key": bare},
        ),
        api.get("/cases", headers={"Authorization": f"Bearer {forged}"}),
        api.get("/cases", headers={"Authorization": f"Bearer {token}"}),
    ]
    assert [c.status_code for c in calls] == [
        422,
        422,
        422,
        422,
        422,
        400,
        404,
        200,
        200,
        401,
        200,
    ]

    # an unexpected failure whose message holds a CPR: a 500 that names nothing
    def explode(*_: object, **__: object) -> object:
        raise RuntimeError(f"lookup failed for {cpr}")

    monkeypatch.setattr(api_engine, "show", explode)
    crashed = api.get(f"/cases/{number}", "rev")
    body = assert_problem(crashed, 500, "internal-error")
    assert cpr not in crashed.text
    assert "RuntimeError" not in crashed.text

    text = rendered.getvalue()
    for secret_text in (*CPRS, token, secret, forged):
        assert secret_text not in text
    assert "[CPR-REDACTED]" in text  # the path /cases/<cpr> and the crash
    lines = _lines(rendered)
    requests = [e for e in lines if e["event"] == "api_request"]
    assert len(requests) >= len(calls) + 1
    assert {e["status"] for e in requests} >= {200, 400, 401, 404, 422, 500}
    assert all("authorization" not in json.dumps(e).lower() for e in lines)
    assert [e["reason"] for e in lines if e["event"] == "api_unauthenticated"] == [
        "wrong_secret"
    ]
    (crash,) = [e for e in lines if e["event"] == "api_request_crashed"]
    assert crash["level"] == "error"
    assert "exception" in crash
    assert body["detail"] == (
        "the request failed unexpectedly; it is logged for the operators"
    )


def test_a_403_is_logged_with_the_user_and_no_token(
    api: Api, rendered: io.StringIO
) -> None:
    number = open_inquiry(api)
    api.post(f"/cases/{number}/events", "rev", json={"event": "note", "document": "x"})
    (forbidden,) = [e for e in _lines(rendered) if e["event"] == "api_forbidden"]
    assert (forbidden["user"], forbidden["problem"], forbidden["path"]) == (
        "rev",
        "role-not-allowed",
        f"/cases/{number}/events",
    )
    assert api.tokens["rev"] not in rendered.getvalue()
