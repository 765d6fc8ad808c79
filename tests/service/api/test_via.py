"""What comes in over the API says so: the token's public id on every entry and read.

The gate (service.api.middleware.AuthGate) runs the request with
`via.api(token id)`; the routes' engine calls run in a thread pool that copies
the context, so the entries they seal and the reads they log carry it. Only the
public id: the token's secret is in no entry, no read, no answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.cases.engine import CaseEngine
from engine.records import AuditFilter
from service.api import tokens
from tests.service.api.conftest import Api, assert_problem, open_inquiry
from tests.service.conftest import snapshot


def _token_id(api: Api, user: str) -> str:
    parts = tokens.split(api.tokens[user])
    assert parts is not None
    return parts[0]


def _secret(api: Api, user: str) -> str:
    parts = tokens.split(api.tokens[user])
    assert parts is not None
    return parts[1]


def test_an_event_posted_over_the_api_records_the_token_id(
    api: Api, api_engine: CaseEngine, db_path: Path
) -> None:
    number = open_inquiry(api)  # bra opens, jur sends and dispatches

    history = api_engine.show(number).history
    bra = {"channel": "api", "token": _token_id(api, "bra")}
    jur = {"channel": "api", "token": _token_id(api, "jur")}
    assert [(e.actor, e.via) for e in history] == [
        ("bra", bra),
        ("jur", jur),
        ("jur", jur),
    ]
    # the answer's history says it too, and the audit log's rows
    shown = api.ok("GET", f"/cases/{number}", "rev")
    assert [e["via"] for e in shown["history"]] == [bra, jur, jur]
    rows = api.ok("GET", "/audit/log", "rev", params={"case": number})
    assert [r["via"] for r in rows] == [bra, jur, jur]

    # nothing of any secret part anywhere in the database
    stored = json.dumps(snapshot(db_path), default=str)
    for user in api.tokens:
        assert _secret(api, user) not in stored
        assert api.tokens[user] not in stored


def test_reads_over_the_api_are_logged_with_the_token_id(
    api: Api, api_engine: CaseEngine
) -> None:
    number = open_inquiry(api)

    api.ok("GET", f"/cases/{number}", "rev")
    api.ok("GET", "/audit/log", "jur", params={"case": number})

    rev = {"channel": "api", "token": _token_id(api, "rev")}
    jur = {"channel": "api", "token": _token_id(api, "jur")}
    assert [(r.actor, r.action, r.via) for r in api_engine.reads()] == [
        ("rev", "case_show", rev),
        ("jur", "audit_log", jur),
    ]
    access: list[dict[str, Any]] = api.ok("GET", "/audit/access", "bra")
    assert [(a["actor"], a["via"]) for a in access] == [("rev", rev), ("jur", jur)]


def test_a_request_the_gate_refuses_writes_nothing(
    api: Api, api_engine: CaseEngine, db_path: Path
) -> None:
    number = open_inquiry(api, dispatched=False)
    before = snapshot(db_path)
    forged = api.tokens["jur"][:-4] + "AAAA"  # the right id, a wrong secret

    response = api.client.post(
        f"/cases/{number}/events",
        json={"event": "mark_dispatched"},
        headers={"Authorization": f"Bearer {forged}"},
    )

    assert_problem(response, 401, "unauthenticated")
    assert snapshot(db_path) == before
    assert len(list(api_engine.audit_log(AuditFilter(case_number=number)))) == 2


def test_work_done_after_a_request_is_not_the_request_s(
    api: Api, api_engine: CaseEngine
) -> None:
    """The gate's `via` ends with its request: the same thread's later work
    (here the test's own engine call) records no token."""
    number = open_inquiry(api, dispatched=False)

    api_engine.fire(number, "mark_dispatched", actor="jur")

    assert api_engine.show(number).history[-1].via == {"channel": "engine"}
