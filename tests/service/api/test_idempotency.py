"""`Idempotency-Key`: a retry answers as the first request did and fires nothing.

What fired is read back from the audit log, not from the answers.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.records import AuditFilter, CaseFilter, IdempotencyRecord
from engine.testing import FakeClock
from service.api.idempotency import fingerprint
from storage import SqlCaseStore
from tests.service.api.conftest import TITLE, Api, assert_problem, open_inquiry
from tests.service.conftest import snapshot

REPLY = {"event": "receive_reply", "document": "Svar fra Socialforvaltningen"}


def _events(engine: CaseEngine, number: str) -> list[str]:
    return [e.event for e in engine.audit_log(AuditFilter(case_number=number))]


def _key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def test_the_same_key_and_body_answer_the_same_and_fire_once(
    api: Api, api_engine: CaseEngine
) -> None:
    number = open_inquiry(api)
    first = api.post(f"/cases/{number}/events", "jur", json=REPLY, headers=_key("a"))
    again = api.post(f"/cases/{number}/events", "jur", json=REPLY, headers=_key("a"))
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _events(api_engine, number).count("receive_reply") == 1


def test_the_same_body_written_differently_is_the_same_request(
    api: Api, api_engine: CaseEngine
) -> None:
    number = open_inquiry(api)
    compact = json.dumps(REPLY, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(REPLY.items()))), indent=4)
    headers = {**_key("b"), "content-type": "application/json"}
    first = api.post(f"/cases/{number}/events", "jur", content=compact, headers=headers)
    again = api.post(
        f"/cases/{number}/events", "jur", content=reordered, headers=headers
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert _events(api_engine, number).count("receive_reply") == 1


def test_an_open_replayed_gives_the_same_case_and_opens_one(
    api: Api, api_engine: CaseEngine
) -> None:
    body = {"workflow": "ombudsman-inquiry", "title": TITLE}
    first = api.post("/cases", "bra", json=body, headers=_key("open-1"))
    again = api.post("/cases", "bra", json=body, headers=_key("open-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert len(api_engine.list_cases(CaseFilter())) == 1


@pytest.mark.parametrize(
    "other",
    [
        {"event": "receive_reply", "document": "Another title"},
        {"event": "withdraw"},
    ],
)
def test_the_same_key_with_another_body_is_422_and_fires_nothing(
    api: Api, api_engine: CaseEngine, db_path: Path, other: dict[str, str]
) -> None:
    number = open_inquiry(api)
    api.ok("POST", f"/cases/{number}/events", "jur", json=REPLY, headers=_key("c"))
    before = snapshot(db_path)
    response = api.post(f"/cases/{number}/events", "jur", json=other, headers=_key("c"))
    body = assert_problem(response, 422, "idempotency-key-reused")
    assert "'c'" in body["detail"]
    assert snapshot(db_path) == before


def test_the_same_key_on_another_path_is_422(api: Api) -> None:
    one, two = open_inquiry(api), open_inquiry(api)
    api.ok("POST", f"/cases/{one}/events", "jur", json=REPLY, headers=_key("d"))
    response = api.post(f"/cases/{two}/events", "jur", json=REPLY, headers=_key("d"))
    assert_problem(response, 422, "idempotency-key-reused")


def test_keys_belong_to_their_user(api: Api, api_engine: CaseEngine) -> None:
    body = {"workflow": "ombudsman-inquiry", "title": TITLE}
    mine = api.ok("POST", "/cases", "jur", json=body, headers=_key("same"))
    theirs = api.ok("POST", "/cases", "jur2", json=body, headers=_key("same"))
    assert mine["number"] != theirs["number"]


def test_a_refused_request_frees_its_key(api: Api, api_engine: CaseEngine) -> None:
    number = open_inquiry(api)
    refused = api.post(
        f"/cases/{number}/events",
        "jur",
        json={**REPLY, "data": {"nope": 1}},
        headers=_key("e"),
    )
    assert_problem(refused, 422, "invalid-data")
    fired = api.post(f"/cases/{number}/events", "jur", json=REPLY, headers=_key("e"))
    assert fired.status_code == 200
    assert "idempotent-replayed" not in fired.headers
    assert _events(api_engine, number).count("receive_reply") == 1


def test_a_request_still_in_flight_is_409(
    api: Api,
    api_engine: CaseEngine,
    db_path: Path,
    clock: FakeClock,
    api_store: SqlCaseStore,
) -> None:
    """The key is claimed (as the first request does) but not answered yet."""
    number = open_inquiry(api)
    path = f"/cases/{number}/events"
    with api_store.transaction() as tx:
        tx.claim_idempotency(
            IdempotencyRecord(
                user_id="jur",
                key="f",
                fingerprint=fingerprint(
                    "POST",
                    path,
                    {
                        "event": "receive_reply",
                        "data": {},
                        "document": REPLY["document"],
                        "at": None,
                        "expected_version": None,
                    },
                ),
                created_at=clock.now(),
            ),
            expire_before=clock.now() - timedelta(days=1),
        )
    before = snapshot(db_path)
    response = api.post(path, "jur", json=REPLY, headers=_key("f"))
    assert_problem(response, 409, "idempotency-key-in-flight")
    assert snapshot(db_path) == before


def test_concurrent_requests_with_one_key_fire_once(
    api: Api, api_engine: CaseEngine
) -> None:
    number = open_inquiry(api)
    start = threading.Barrier(4)
    statuses: list[int] = []

    def send() -> None:
        start.wait(timeout=30)
        response = api.post(
            f"/cases/{number}/events", "jur", json=REPLY, headers=_key("g")
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(statuses) == 4
    assert set(statuses) <= {200, 409}  # answered, replayed, or still in flight
    assert 200 in statuses
    assert _events(api_engine, number).count("receive_reply") == 1


def test_a_key_is_kept_for_its_retention_then_free(
    api: Api, api_engine: CaseEngine, clock: FakeClock
) -> None:
    number = open_inquiry(api)
    api.ok(
        "POST",
        f"/cases/{number}/documents",
        "jur",
        json={"title": "A"},
        headers=_key("h"),
    )
    clock.advance(timedelta(hours=23))
    kept = api.post(
        f"/cases/{number}/documents", "jur", json={"title": "B"}, headers=_key("h")
    )
    assert_problem(kept, 422, "idempotency-key-reused")
    clock.advance(timedelta(hours=2))  # 25 hours: past the 24-hour retention
    again = api.post(
        f"/cases/{number}/documents", "jur", json={"title": "B"}, headers=_key("h")
    )
    assert again.status_code == 200, again.text
    assert _events(api_engine, number).count("note") == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "æøå"])
def test_a_malformed_key_is_400(api: Api, db_path: Path, key: str) -> None:
    number = open_inquiry(api)
    before = snapshot(db_path)
    headers = {"Idempotency-Key": key.encode("utf-8")}
    response = api.post(f"/cases/{number}/events", "jur", json=REPLY, headers=headers)
    body = assert_problem(response, 400, "malformed-request")
    assert body["errors"][0]["location"] == "header.Idempotency-Key"
    assert snapshot(db_path) == before
