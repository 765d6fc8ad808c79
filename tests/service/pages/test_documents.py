"""`/ui/documents/{number}` and the case page's links to documents with content.

The case page links each document kept with content (and only those); the link
downloads the bytes as journalised, logged as `document_get` under the viewer;
a role that reads no case page is refused before anything is looked up;
content that no longer matches its seal is a clear page, never served.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

from engine.cases.engine import CaseEngine
from engine.records import Content
from tests.service.pages.conftest import Pages

REPLY = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _replied(engine: CaseEngine) -> tuple[str, str]:
    number = engine.open_case(
        "ombudsman-inquiry", actor="jur", title="Hjemmehjælp"
    ).case.number
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    view = engine.fire(
        number,
        "receive_reply",
        actor="jur",
        document="Svar",
        content=Content(data=REPLY, media_type="application/pdf"),
    )
    return number, view.documents[-1].number


def test_the_case_page_links_the_document_and_the_link_downloads_it(
    pages: Pages, api_engine: CaseEngine
) -> None:
    number, document = _replied(api_engine)
    reader = pages.as_user("rev")

    page = reader.get(f"/ui/cases/{number}").text
    response = reader.get(f"/ui/documents/{document}")

    assert f'href="/ui/documents/{document}"' in page
    assert f'href="/ui/documents/{number}-1"' not in page  # kept without content
    assert response.status_code == 200
    assert response.content == REPLY
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{document}.pdf"'
    )
    reads = [r for r in api_engine.reads() if r.action == "document_get"]
    assert [(r.actor, r.case_number) for r in reads] == [("rev", number)]


def test_a_role_that_reads_no_case_is_refused_and_nothing_is_read(
    pages: Pages, api_engine: CaseEngine
) -> None:
    _, document = _replied(api_engine)

    response = pages.as_user("ind").get(f"/ui/documents/{document}")

    assert response.status_code == 403
    assert REPLY not in response.content
    assert [r for r in api_engine.reads() if r.action == "document_get"] == []


def test_an_unknown_document_is_a_404_page(
    pages: Pages, api_engine: CaseEngine
) -> None:
    _replied(api_engine)

    response = pages.as_user("rev").get("/ui/documents/2024-0000001-9")

    assert response.status_code == 404
    assert "no document" in response.text


def test_changed_content_is_a_clear_page_and_never_served(
    pages: Pages, api_engine: CaseEngine, db_path: Path
) -> None:
    _, document = _replied(api_engine)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(
            "UPDATE document_content SET data = ? WHERE sha256 = ?",
            (REPLY.replace(b"obj", b"obk"), hashlib.sha256(REPLY).hexdigest()),
        )
        conn.commit()

    response = pages.as_user("rev").get(f"/ui/documents/{document}")

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "its content no longer matches its seal" in response.text
    assert b"obk" not in response.content
