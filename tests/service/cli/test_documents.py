"""`--file`, `sagsflow document get` and `audit verify` over documents' content.

An uploaded reply downloads byte for byte; its type is sniffed from the bytes;
each bad input (empty, over the limit, a refused type, no such file, no such
document, content changed in the database or the folder) is one line, a
non-zero exit and nothing changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from service.documents import DOCX, JPEG, PDF, PNG, TEXT, TIFF, XLSX, sniff
from tests.service.cli.test_errors import REFUSED, assert_one_error_line
from tests.service.conftest import Result, Run, count, snapshot
from tests.service.serving import FOUNDING, founding_record

REPLY = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CASE = "2024-0000001"
AT = ("--at", "2024-11-10T12:00+01:00")


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


@pytest.fixture
def awaiting(run: Run, initialised: Path) -> Path:
    """Case 2024-0000001 awaiting the administration's reply; the database."""
    for step in (
        "case open ombudsman-inquiry --actor bra --title Hjemmehjælp "
        "--party authority=Socialforvaltningen --at 2024-10-03T10:00:00+02:00",
        f"case fire {CASE} send_inquiry --actor jur --at 2024-10-09T10:00+02:00",
        f"case fire {CASE} mark_dispatched --actor jur --at 2024-10-09T11:00+02:00",
    ):
        code, _, err = run(*step.split())
        assert (code, err) == (0, ""), err
    return initialised


def _reply(run: Run, path: Path) -> Result:
    return run(
        "case", "fire", CASE, "receive_reply", "--actor", "jur",
        "--document", "Svar fra forvaltningen", "--file", str(path), *AT,
    )  # fmt: skip


def test_an_uploaded_reply_downloads_byte_for_byte_and_the_read_is_logged(
    run: Run, awaiting: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0

    out = tmp_path / "hentet.pdf"
    code, said, err = run(
        "document", "get", f"{CASE}-2", "--out", str(out), "--actor", "rev"
    )

    digest = hashlib.sha256(REPLY).hexdigest()
    assert (code, err) == (0, "")
    assert said == (
        f"document {CASE}-2: {len(REPLY)} bytes, application/pdf, sha256 {digest} "
        f"-> {out}\n"
    )
    assert out.read_bytes() == REPLY
    assert (
        count(
            awaiting,
            "SELECT count(*) FROM access_entry WHERE action = 'document_get' "
            f"AND actor = 'rev' AND case_number = '{CASE}'",
        )
        == 1
    )
    code, said, _ = run("audit", "verify")
    assert code == 0, said


def test_a_case_opened_with_a_file_keeps_it(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    complaint = tmp_path / "klage.txt"
    complaint.write_text("Jeg klager over sagsbehandlingstiden.\n", encoding="utf-8")
    code, _, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", "Klage",
        "--document", "Klagen", "--file", str(complaint),
        "--at", "2024-10-03T10:00:00+02:00",
    )  # fmt: skip
    assert (code, err) == (0, ""), err

    out = tmp_path / "ud.txt"
    code, said, err = run("document", "get", f"{CASE}-1", "--out", str(out))

    assert (code, err) == (0, "")
    assert "text/plain; charset=utf-8" in said
    assert out.read_bytes() == complaint.read_bytes()


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        pytest.param(REPLY, PDF, id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG, id="png"),
        pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", JPEG, id="jpeg"),
        pytest.param(b"II*\x00\x08\x00\x00\x00", TIFF, id="tiff-le"),
        pytest.param(b"MM\x00*\x00\x00\x00\x08", TIFF, id="tiff-be"),
        pytest.param(_zip("[Content_Types].xml", "word/document.xml"), DOCX, id="docx"),
        pytest.param(_zip("[Content_Types].xml", "xl/workbook.xml"), XLSX, id="xlsx"),
        pytest.param("Kære Søren,\r\n\tsvar på æ, ø og å.\n".encode(), TEXT, id="text"),
        pytest.param(b"<html><script>alert(1)</script></html>", None, id="html"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00", None, id="executable"),
        pytest.param(b"MZ\x90\x00\x03\x00", None, id="windows-exe"),
        pytest.param(_zip("[Content_Types].xml", "ppt/slide1.xml"), None, id="pptx"),
        pytest.param(_zip("evil.sh"), None, id="plain-zip"),
        pytest.param(b"PK\x03\x04 not really a zip", None, id="broken-zip"),
        pytest.param("latin-1: s\xf8".encode("latin-1"), None, id="not-utf-8"),
        pytest.param(b"text\x00with a NUL", None, id="binary"),
    ],
)
def test_the_type_is_sniffed_from_the_bytes(
    data: bytes, media_type: str | None
) -> None:
    assert sniff(data) == media_type


# -- bad input: one line, non-zero, nothing changed ------------------------------
@pytest.mark.parametrize(
    ("content", "limit", "message"),
    [
        pytest.param(b"", None, "is empty: a document needs content", id="empty"),
        pytest.param(
            REPLY, "20", f"is {len(REPLY)} bytes, over the limit of 20", id="too-big"
        ),
        pytest.param(
            b"<html><body>hej</body></html>",
            None,
            "is not of a type sagsflow keeps",
            id="html",
        ),
        pytest.param(b"\x7fELF\x02\x01\x01", None, "is not of a type", id="elf"),
        pytest.param(REPLY, "lots", "SAGSFLOW_DOCUMENT_MAX_BYTES must be", id="limit"),
    ],
)
def test_a_file_refused_changes_nothing(
    run: Run,
    awaiting: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    limit: str | None,
    message: str,
) -> None:
    upload = tmp_path / "upload.bin"
    upload.write_bytes(content)
    if limit is not None:
        monkeypatch.setenv("SAGSFLOW_DOCUMENT_MAX_BYTES", limit)
    before = snapshot(awaiting)

    assert_one_error_line(_reply(run, upload), REFUSED, message)

    assert snapshot(awaiting) == before


def test_a_file_that_is_not_there_or_has_no_title_changes_nothing(
    run: Run, awaiting: Path, tmp_path: Path
) -> None:
    for step in (
        "case open ombudsman-inquiry --actor bra --title Anden "
        "--at 2024-10-03T10:00:00+02:00",
        "case fire 2024-0000002 send_inquiry --actor jur --at 2024-10-09T10:00+02:00",
    ):
        assert run(*step.split()).code == 0
    before = snapshot(awaiting)
    assert_one_error_line(
        _reply(run, tmp_path / "missing.pdf"), REFUSED, "missing.pdf: No such file"
    )
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    untitled = run(
        "case", "fire", "2024-0000002", "mark_dispatched", "--actor", "jur",
        "--file", str(upload), "--at", "2024-10-09T11:00+02:00",
    )  # fmt: skip
    assert_one_error_line(
        untitled,
        REFUSED,
        "a file is journalised as a document: give the document's title too",
    )
    assert snapshot(awaiting) == before


@pytest.mark.parametrize(
    ("number", "message"),
    [
        pytest.param(f"{CASE}-7", f"no document '{CASE}-7'", id="unknown"),
        pytest.param("2031-0000009-1", "no document '2031-0000009-1'", id="no-case"),
        pytest.param("svar.pdf", "is not a document number", id="malformed"),
        # imported history keeps no content (and writes no letters): its letter
        pytest.param(
            f"{FOUNDING}-2", "was journalised without content", id="no-content"
        ),
    ],
)
def test_a_document_not_there_is_one_line_and_nothing_is_written(
    run: Run, awaiting: Path, tmp_path: Path, number: str, message: str
) -> None:
    records = tmp_path / "founding.jsonl"
    records.write_text(json.dumps(founding_record()) + "\n", "utf-8")
    assert run("case", "import", str(records))[0] == 0
    before = snapshot(awaiting)
    out = tmp_path / "ud.pdf"

    assert_one_error_line(
        run("document", "get", number, "--out", str(out)), REFUSED, message
    )

    assert not out.exists()
    assert snapshot(awaiting) == before


def test_an_existing_out_file_is_left_alone(
    run: Run, awaiting: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0
    out = tmp_path / "mine.pdf"
    out.write_bytes(b"mine")

    assert_one_error_line(
        run("document", "get", f"{CASE}-2", "--out", str(out)), REFUSED, "exists"
    )
    assert out.read_bytes() == b"mine"


def _flip(data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 1]) + data[11:]


@pytest.mark.parametrize("kept_in", ["database", "folder"])
def test_content_changed_by_one_byte_is_refused_and_named_by_verify(
    run: Run,
    awaiting: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kept_in: str,
) -> None:
    folder = tmp_path / "dokumenter"
    if kept_in == "folder":
        monkeypatch.setenv("SAGSFLOW_DOCUMENT_DIR", str(folder))
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0
    digest = hashlib.sha256(REPLY).hexdigest()
    if kept_in == "folder":
        stored = folder / digest[:2] / digest
        stored.write_bytes(_flip(stored.read_bytes()))
    else:
        with closing(sqlite3.connect(awaiting)) as conn:
            conn.execute(
                "UPDATE document_content SET data = ? WHERE sha256 = ?",
                (_flip(REPLY), digest),
            )
            conn.commit()
    before = snapshot(awaiting)
    out = tmp_path / "ud.pdf"

    refused = run("document", "get", f"{CASE}-2", "--out", str(out))
    code, said, _ = run("audit", "verify")

    assert_one_error_line(
        refused, REFUSED, f"document {CASE}-2: its content no longer matches its seal"
    )
    assert not out.exists()
    assert code == 1
    assert (
        f"BROKEN {CASE}: document {CASE}-2: its content no longer matches its seal"
        in said
    )
    assert snapshot(awaiting) == before


# -- a dossier with its documents' files --------------------------------------------
def _rezip(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """`source` copied to `target`, the names in `change` replaced (None: left out)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change.get(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
        for name, data in change.items():
            if name not in old.namelist() and data is not None:
                new.writestr(name, data)


@pytest.fixture
def exported(run: Run, awaiting: Path, tmp_path: Path) -> Path:
    """The case with a PDF reply and a note, exported with its documents."""
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0
    code, _, err = run(
        "case", "fire", CASE, "note", "--actor", "jur", "--document", "Ringede",
        "--at", "2024-11-11T09:00+01:00",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    out = tmp_path / "sag.zip"
    code, said, err = run(
        "audit", "export", CASE, "--out", str(out), "--with-documents",
        "--actor", "rev",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    # open, send_inquiry, its letter rendered, mark_dispatched, receive_reply, note
    assert said.startswith(f"dossier {out}: case {CASE}, 6 entries")
    return out


def test_an_export_with_documents_holds_each_file_and_verifies_offline(
    run: Run, exported: Path
) -> None:
    with zipfile.ZipFile(exported) as archive:
        names = sorted(archive.namelist())
        pdf = archive.read(f"documents/{CASE}-2.pdf")
        note = archive.read(f"documents/{CASE}-3.txt")
        letter = archive.read(f"documents/{CASE}-1.pdf")

    code, said, err = run("audit", "verify", "--dossier", str(exported), db=None)

    assert names == [
        f"documents/{CASE}-1.json",  # the inquiry letter's source, as sealed
        f"documents/{CASE}-1.pdf",  # and as rendered (sealed by its render entry)
        f"documents/{CASE}-2.pdf",
        f"documents/{CASE}-3.txt",
        "dossier.json",
    ]
    assert (pdf, note) == (REPLY, b"Ringede")
    assert letter.startswith(b"%PDF-")
    assert (code, err) == (0, "")
    assert f"verified: dossier of case {CASE}" in said


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            {f"documents/{CASE}-2.pdf": _flip(REPLY)},
            f"document {CASE}-2: its file documents/{CASE}-2.pdf no longer matches "
            "its seal",
            id="one-byte",
        ),
        pytest.param(
            {f"documents/{CASE}-2.pdf": None},
            f"document {CASE}-2: its file documents/{CASE}-2.pdf is not in the dossier",
            id="missing",
        ),
        pytest.param(
            {"documents/extra.exe": b"MZ"},
            "documents/extra.exe is in the dossier, but no document of it is",
            id="added",
        ),
    ],
)
def test_a_dossier_s_file_changed_is_named_offline(
    run: Run,
    exported: Path,
    tmp_path: Path,
    change: dict[str, bytes | None],
    problem: str,
) -> None:
    changed = tmp_path / "ændret.zip"
    _rezip(exported, changed, change)

    code, said, _ = run("audit", "verify", "--dossier", str(changed), db=None)

    assert code == 1
    assert f"BROKEN {changed}: {problem}\n" in said


def test_a_file_and_its_digest_changed_together_break_the_seal(
    run: Run, exported: Path, tmp_path: Path
) -> None:
    other = b"%PDF-1.7\nsomething else\n%%EOF\n"
    with zipfile.ZipFile(exported) as archive:
        body = json.loads(archive.read("dossier.json"))
    for document in body["documents"]:
        if document["number"] == f"{CASE}-2":
            document["sha256"] = hashlib.sha256(other).hexdigest()
    changed = tmp_path / "ændret.zip"
    _rezip(
        exported,
        changed,
        {
            "dossier.json": json.dumps(body).encode(),
            f"documents/{CASE}-2.pdf": other,
        },
    )

    code, said, _ = run("audit", "verify", "--dossier", str(changed), db=None)

    assert code == 1
    assert f"document {CASE}-2's sha256 is" in said


def test_an_export_of_content_that_no_longer_matches_is_refused(
    run: Run, awaiting: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0
    digest = hashlib.sha256(REPLY).hexdigest()  # the reply's, not the letter's
    with closing(sqlite3.connect(awaiting)) as conn:
        conn.execute(
            "UPDATE document_content SET data = ? WHERE sha256 = ?",
            (_flip(REPLY), digest),
        )
        conn.commit()
    out = tmp_path / "sag.zip"

    refused = run("audit", "export", CASE, "--out", str(out), "--with-documents")

    assert_one_error_line(
        refused, REFUSED, f"document {CASE}-2: its content no longer matches its seal"
    )
    assert not out.exists()


def test_a_zip_that_holds_no_dossier_is_not_a_readable_dossier(
    run: Run, tmp_path: Path
) -> None:
    stray = tmp_path / "noget.zip"
    with zipfile.ZipFile(stray, "w") as archive:
        archive.writestr("documents/x.pdf", REPLY)

    code, said, err = run("audit", "verify", "--dossier", str(stray), db=None)

    assert (code, err) == (1, "")
    assert said == f"BROKEN {stray}: not a readable dossier (not JSON, or cut short)\n"


def test_a_download_into_a_folder_that_is_not_there_is_one_line(
    run: Run, awaiting: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    assert _reply(run, upload)[0] == 0
    out = tmp_path / "ingen" / "ud.pdf"

    assert_one_error_line(
        run("document", "get", f"{CASE}-2", "--out", str(out)),
        REFUSED,
        f"cannot write {out}: No such file or directory",
    )
