"""`GET /documents/{number}` and a file uploaded with an event.

The content, checked, for every office role, logged.

A reply journalised with content (through the engine, as `case fire --file`
does) downloads byte for byte with its media type and a Content-Disposition;
the read is in the access log under the token's user. No token is 401; no
such document 404; content changed by one byte in the database 409, never
served; nothing changes.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from engine.cases.engine import CaseEngine
from engine.records import AccessEntry, Content
from service.api.app import create_app
from service.settings import Settings
from storage import SqlCaseStore
from tests.service.api.conftest import Api, assert_problem, open_inquiry
from tests.service.conftest import snapshot

REPLY = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _replied(api: Api, api_engine: CaseEngine) -> str:
    number = open_inquiry(api)
    view = api_engine.fire(
        number,
        "receive_reply",
        actor="jur",
        document="Svar",
        content=Content(data=REPLY, media_type="application/pdf"),
    )
    return view.documents[-1].number


def _reads(api_engine: CaseEngine) -> list[AccessEntry]:
    return [r for r in api_engine.reads() if r.action == "document_get"]


@pytest.mark.parametrize("user", ["bra", "jur", "rev", "ind"])
def test_every_office_role_downloads_it_byte_for_byte_and_the_read_is_logged(
    api: Api, api_engine: CaseEngine, user: str
) -> None:
    document = _replied(api, api_engine)

    response = api.get(f"/documents/{document}", user)

    assert response.status_code == 200, response.text
    assert response.content == REPLY
    assert (
        hashlib.sha256(response.content).hexdigest()
        == hashlib.sha256(REPLY).hexdigest()
    )
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{document}.pdf"'
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    (read,) = _reads(api_engine)
    assert (read.actor, read.case_number) == (user, document.rsplit("-", 1)[0])


def test_without_a_token_it_is_401_and_nothing_is_read(
    api: Api, api_engine: CaseEngine
) -> None:
    document = _replied(api, api_engine)

    response = api.get(f"/documents/{document}")

    assert response.status_code == 401
    assert REPLY not in response.content
    assert _reads(api_engine) == []


@pytest.mark.parametrize(
    ("number", "slug"),
    [
        pytest.param("2024-0000001-9", "document-not-found", id="unknown"),
        pytest.param("2024-0000001-1", "document-not-found", id="no-content"),
        pytest.param("svar.pdf", "document-not-found", id="malformed"),
    ],
)
def test_a_document_not_there_is_404_and_nothing_changes(
    api: Api, api_engine: CaseEngine, db_path: Path, number: str, slug: str
) -> None:
    _replied(api, api_engine)
    before = snapshot(db_path)

    assert_problem(api.get(f"/documents/{number}", "rev"), 404, slug)

    assert snapshot(db_path) == before


def test_content_changed_by_one_byte_is_409_and_never_served(
    api: Api, api_engine: CaseEngine, db_path: Path
) -> None:
    document = _replied(api, api_engine)
    changed = REPLY.replace(b"1 0 obj", b"1 1 obj")
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(
            "UPDATE document_content SET data = ? WHERE sha256 = ?",
            (changed, hashlib.sha256(REPLY).hexdigest()),
        )
        conn.commit()
    before = snapshot(db_path)

    response = api.get(f"/documents/{document}", "rev")

    body = assert_problem(response, 409, "content-tampered")
    assert body["detail"] == (
        f"document {document}: its content no longer matches its seal"
    )
    assert changed not in response.content
    assert snapshot(db_path) == before


# -- a reply's file uploaded with the event -----------------------------------------
def _upload(
    api: Api,
    number: str,
    content: bytes,
    *,
    user: str = "jur",
    name: str = "svar.pdf",
    client_type: str = "application/pdf",
    **fields: str,
) -> httpx2.Response:
    form = {"event": "receive_reply", "document": "Svar fra forvaltningen"} | fields
    return api.post(
        f"/cases/{number}/events",
        user,
        data=form,
        files={"file": (name, content, client_type)},
    )


def test_an_uploaded_reply_downloads_byte_for_byte(
    api: Api, api_engine: CaseEngine
) -> None:
    number = open_inquiry(api)

    fired = _upload(api, number, REPLY, at="2024-11-10T12:00:00+01:00", data=" ")
    assert fired.status_code == 200, fired.text
    document = fired.json()["documents"][-1]
    downloaded = api.get(f"/documents/{document['number']}", "rev")

    assert fired.json()["state"] == "assessed"
    assert (document["title"], document["direction"]) == (
        "Svar fra forvaltningen",
        "incoming",
    )
    assert document["sha256"] == hashlib.sha256(REPLY).hexdigest()
    assert (document["size"], document["media_type"]) == (len(REPLY), "application/pdf")
    assert downloaded.status_code == 200
    assert downloaded.content == REPLY


def test_the_json_event_still_goes_to_the_json_route(api: Api) -> None:
    number = open_inquiry(api)

    response = api.post(
        f"/cases/{number}/events", "jur", json={"event": "receive_reply"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["documents"][-1]["sha256"] is None


def test_the_type_comes_from_the_bytes_not_the_name(api: Api, db_path: Path) -> None:
    number = open_inquiry(api)
    before = snapshot(db_path)

    refused = _upload(
        api,
        number,
        b"<html><script>alert(1)</script></html>",
        name="svar.pdf",
        client_type="application/pdf",
    )

    body = assert_problem(refused, 400, "bad-request")
    assert "is not of a type sagsflow keeps" in body["detail"]
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    ("content", "limit", "status", "slug", "detail"),
    [
        pytest.param(b"", None, 400, "bad-request", "is empty", id="empty"),
        pytest.param(
            REPLY, 20, 400, "bad-request", "over the limit of 20", id="over-limit"
        ),
        pytest.param(
            REPLY * 4000, 1000, 413, "body-too-large", "larger than", id="far-over"
        ),
        pytest.param(b"\x7fELF\x02\x01", None, 400, "bad-request", "type", id="elf"),
    ],
)
def test_a_refused_upload_is_one_problem_and_nothing_changes(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    settings: Settings,
    user_tokens: dict[str, str],
    db_path: Path,
    content: bytes,
    limit: int | None,
    status: int,
    slug: str,
    detail: str,
) -> None:
    if limit is not None:
        settings = replace(settings, document_max_bytes=limit)
    app = create_app(engine=api_engine, store=api_store, settings=settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, user_tokens)
        number = open_inquiry(api)
        before = snapshot(db_path)

        response = _upload(api, number, content)

        body = assert_problem(response, status, slug)
        assert detail in body["detail"]
        assert snapshot(db_path) == before


def test_bad_form_fields_are_refused(api: Api, db_path: Path) -> None:
    number = open_inquiry(api)
    before = snapshot(db_path)

    not_json = _upload(api, number, REPLY, data="[1, 2]")
    broken = _upload(api, number, REPLY, data="{")
    no_title = api.post(
        f"/cases/{number}/events",
        "jur",
        data={"event": "receive_reply"},
        files={"file": ("svar.pdf", REPLY, "application/pdf")},
    )
    auditor = _upload(api, number, REPLY, user="rev")

    assert (
        "must be a JSON object"
        in assert_problem(not_json, 400, "bad-request")["detail"]
    )
    assert_problem(broken, 400, "bad-request")
    assert no_title.status_code == 422
    assert_problem(auditor, 403, "role-not-allowed")
    assert snapshot(db_path) == before
