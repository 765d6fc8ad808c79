"""Documents keep their content: stored by SHA-256, sealed, checked on every read.

On every store (memory, SQLite, PostgreSQL) and with the content in a folder
(`SqlCaseStore(content_dir=...)`, `SAGSFLOW_DOCUMENT_DIR`): the bytes given
with a step come back byte for byte, the document row carries their digest,
size and media type, the entry seals the digest; a one-byte change to the
stored content (in the database, in the folder) is refused on reading and
named by `verify_store`, and nothing is served.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from engine.audit.review import verify_store
from engine.cases.documents import read_document
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import (
    ContentTamperedError,
    DocumentNotFoundError,
    InvalidDataError,
    StorageError,
)
from engine.ports import CaseStore
from engine.records import Content
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore
from storage.sql.contents import content_path
from storage.tables import CONTENTS, DOCUMENTS
from tests.conftest import NOW, make_engine

INQUIRY = "ombudsman-inquiry"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REPLY = Content(data=PDF, media_type="application/pdf")


def _awaiting_reply(engine: CaseEngine) -> str:
    number = engine.open_case(INQUIRY, actor="jur", title="Hjemmehjælp").case.number
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    return number


def _replied(engine: CaseEngine) -> tuple[str, str]:
    """A case whose reply came with content; (case number, document number)."""
    number = _awaiting_reply(engine)
    view = engine.fire(
        number, "receive_reply", actor="jur", document="Svar", content=REPLY
    )
    return number, view.documents[-1].number


# -- every store -------------------------------------------------------------------
def test_a_reply_s_content_comes_back_byte_for_byte_with_its_seal(
    engine: CaseEngine, store: CaseStore
) -> None:
    number, document = _replied(engine)

    read = read_document(store, document)

    digest = hashlib.sha256(PDF).hexdigest()
    assert read.data == PDF
    assert (read.document.sha256, read.document.size) == (digest, len(PDF))
    assert read.media_type == "application/pdf"
    entry = engine.show(number).history[-1]
    assert entry.sealed is not None
    assert entry.sealed["documents"] == [
        {
            "number": document,
            "title": "Svar",
            "direction": "incoming",
            "date": read.document.date.isoformat(),
            "sha256": digest,
        }
    ]
    assert verify_store(store).ok


def test_a_note_keeps_its_text_as_its_content_where_the_engine_is_told_to(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    """The service's engine keeps notes' text (`note_text`); an engine without
    it (a bulk build of a synthetic office) journalises notes without."""
    keeping = CaseEngine(
        store=store,
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
        note_text=True,  # as service.app.build_engine makes it
    )
    keeping.add_user("jur", ["caseworker"])
    plain = CaseEngine(
        store=store, registry=registry, clock=clock, calendar=BusinessCalendar()
    )
    number = _awaiting_reply(keeping)

    kept = keeping.fire(number, "note", actor="jur", document="Forvaltningen ringede")
    bare = plain.fire(number, "note", actor="jur", document="Ingen tekst")

    read = read_document(store, kept.documents[-1].number)
    assert read.data == b"Forvaltningen ringede"
    assert read.media_type == "text/plain; charset=utf-8"
    assert bare.documents[-1].sha256 is None


def test_the_same_bytes_twice_are_kept_once_and_both_read(
    engine: CaseEngine, store: CaseStore
) -> None:
    number, first = _replied(engine)
    second = engine.fire(
        number, "note", actor="jur", document="Kopi af svaret", content=REPLY
    ).documents[-1]

    assert read_document(store, first).data == read_document(store, second.number).data
    assert verify_store(store).ok


@pytest.mark.parametrize(
    ("number", "message"),
    [
        pytest.param("2024-0000001-9", "no document '2024-0000001-9'", id="no-seq"),
        pytest.param("2031-0000001-1", "no document '2031-0000001-1'", id="no-case"),
        pytest.param("brev.pdf", "is not a document number", id="malformed"),
        pytest.param(
            "2024-0000001-1", "was journalised without content", id="no-content"
        ),
    ],
)
def test_a_document_that_is_not_there_is_named(
    engine: CaseEngine, store: CaseStore, number: str, message: str
) -> None:
    _replied(engine)  # 2024-0000001-1 is the inquiry letter, kept without content

    with pytest.raises(DocumentNotFoundError, match=message):
        read_document(store, number)


def test_content_without_a_document_title_is_refused_and_nothing_is_written(
    engine: CaseEngine,
) -> None:
    number = engine.open_case(INQUIRY, actor="jur", title="Hjemmehjælp").case.number
    engine.fire(number, "send_inquiry", actor="jur")
    before = engine.show(number)

    with pytest.raises(InvalidDataError, match="give the document's title too"):
        engine.fire(number, "mark_dispatched", actor="jur", content=REPLY)

    assert engine.show(number) == before


def test_a_store_that_keeps_no_content_refuses_it(
    fast_engine: CaseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content is never dropped silently (the demo's bulk store keeps none)."""
    number = _awaiting_reply(fast_engine)
    monkeypatch.setattr("engine.cases.recorder._keeps_content", lambda tx: False)

    with pytest.raises(StorageError, match="keeps no document content"):
        fast_engine.fire(
            number, "receive_reply", actor="jur", document="Svar", content=REPLY
        )


# -- changed behind sagsflow's back: the database and the folder -------------------
@pytest.fixture
def db(database: Engine) -> Engine:
    """A migrated SQLite and PostgreSQL database."""
    return database


def _office(
    db: Engine, registry: WorkflowRegistry, folder: Path | None
) -> tuple[SqlCaseStore, str, str]:
    store = SqlCaseStore(db, content_dir=folder)
    number, document = _replied(make_engine(store, registry, FakeClock(NOW)))
    return store, number, document


def _flip_one_byte(data: bytes) -> bytes:
    return data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]


@pytest.mark.parametrize("kept_in", ["database", "folder"])
def test_one_byte_changed_is_refused_on_reading_and_named_by_verify(
    db: Engine, registry: WorkflowRegistry, tmp_path: Path, kept_in: str
) -> None:
    folder = tmp_path / "documents" if kept_in == "folder" else None
    store, number, document = _office(db, registry, folder)
    digest = hashlib.sha256(PDF).hexdigest()
    if folder is not None:
        path = content_path(folder, digest)
        path.write_bytes(_flip_one_byte(path.read_bytes()))
        with db.connect() as conn:  # nothing went to the table
            assert conn.execute(select(CONTENTS.c.sha256)).all() == []
    else:
        with db.begin() as conn:
            conn.execute(
                update(CONTENTS)
                .where(CONTENTS.c.sha256 == digest)
                .values(data=_flip_one_byte(PDF))
            )

    with pytest.raises(ContentTamperedError) as refused:
        read_document(store, document)
    report = verify_store(store)

    assert str(refused.value) == (
        f"document {document}: its content no longer matches its seal"
    )
    assert [(p.case, p.kind, p.detail) for p in report.problems] == [
        (
            number,
            "content_changed",
            f"document {document}: its content no longer matches its seal",
        )
    ]


@pytest.mark.parametrize("kept_in", ["database", "folder"])
def test_content_gone_is_refused_and_named(
    db: Engine, registry: WorkflowRegistry, tmp_path: Path, kept_in: str
) -> None:
    folder = tmp_path / "documents" if kept_in == "folder" else None
    store, _, document = _office(db, registry, folder)
    digest = hashlib.sha256(PDF).hexdigest()
    if folder is not None:
        content_path(folder, digest).unlink()
    else:
        with db.begin() as conn:
            conn.execute(CONTENTS.delete().where(CONTENTS.c.sha256 == digest))

    with pytest.raises(ContentTamperedError, match="its content is gone"):
        read_document(store, document)
    assert [p.kind for p in verify_store(store).problems] == ["content_missing"]


def test_a_document_row_given_other_content_is_named_against_the_seal(
    db: Engine, registry: WorkflowRegistry
) -> None:
    """Swapping the row's digest for other kept bytes: the seal still says which."""
    store, number, document = _office(db, registry, None)
    other = hashlib.sha256(b"other").hexdigest()
    with store.transaction() as tx:
        tx.put_content(other, b"other")
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER document_no_update"))
        else:
            conn.execute(
                text("ALTER TABLE document DISABLE TRIGGER document_no_update_delete")
            )
        conn.execute(
            update(DOCUMENTS)
            .where(DOCUMENTS.c.number == document)
            .values(sha256=other, size=5)
        )

    with pytest.raises(ContentTamperedError, match="no longer matches its seal"):
        read_document(store, document)
    problems = verify_store(store).problems
    assert [(p.case, p.kind) for p in problems] == [(number, "document_changed")]
    assert "sha256" in problems[0].detail


def test_the_folder_is_written_once_atomically_and_never_overwritten(
    db: Engine, registry: WorkflowRegistry, tmp_path: Path
) -> None:
    folder = tmp_path / "documents"
    store, _, document = _office(db, registry, folder)
    digest = hashlib.sha256(PDF).hexdigest()
    path = content_path(folder, digest)
    written = path.stat().st_mtime_ns

    with store.transaction() as tx:
        tx.put_content(digest, PDF)  # the same bytes again: left as they are

    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == [digest]
    assert path.stat().st_mtime_ns == written
    assert read_document(store, document).data == PDF


def test_a_digest_that_is_not_one_never_reaches_a_path(
    db: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    store = SqlCaseStore(db, content_dir=folder)
    with pytest.raises(StorageError, match="not a SHA-256"), store.transaction() as tx:
        tx.put_content("../../passwd", b"x")
    with (
        pytest.raises(StorageError, match="not a SHA-256"),
        store.transaction(write=False) as tx,
    ):
        tx.content("../" * 10)
    assert list(tmp_path.rglob("passwd")) == []
    assert list(folder.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_a_clear_storage_error(
    db: Engine, registry: WorkflowRegistry, tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    engine = make_engine(
        SqlCaseStore(db, content_dir=blocked), registry, FakeClock(NOW)
    )
    number = _awaiting_reply(engine)
    before = engine.show(number)

    with pytest.raises(StorageError, match="cannot write a document's content"):
        engine.fire(
            number, "receive_reply", actor="jur", document="Svar", content=REPLY
        )

    assert engine.show(number) == before
