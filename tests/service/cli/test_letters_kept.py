"""The letters a step writes are kept: their source sealed with the step, the
PDF rendered after it and sealed by a `render` step, served and checked.

The founding case (examples/founding-case.jsonl) is closed on 20 November
2024 as the Borgerrådgiver closed it: the closing letter it journalises is
read back with `document get` and pdftotext, and holds what the founding
letter holds. A one-byte change to the stored PDF is named by `audit verify`
and refused by `document get`; a forged render step (another source) too.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from tests.service.cli.conftest import NUMBER
from tests.service.cli.test_case_letter import CLOSED_AT, ok
from tests.service.conftest import Run, snapshot
from tests.service.pdftools import pdf_info, pdf_text

LETTER = f"{NUMBER}-4"  # the case's fourth document: the closing letter


def _close(run: Run) -> dict[str, object]:
    out = ok(
        run,
        *("case", "fire", NUMBER, "close", "--actor", "bra"),
        *("--data", "outcome=no_further_action", "--at", CLOSED_AT, "--json"),
    )
    body: dict[str, object] = json.loads(out)
    return body


def _render_step(case: dict[str, object]) -> dict[str, object]:
    history = case["history"]
    assert isinstance(history, list)
    [step] = [e for e in history if e["event"] == "render"]
    assert isinstance(step, dict)
    return step


def test_the_founding_cases_closing_letter_is_kept_as_written(
    run: Run, assessed: Path, tmp_path: Path
) -> None:
    case = _close(run)

    # the close and, rendered by the same command after it, the render step
    step = _render_step(case)
    assert (step["actor"], step["role"]) == ("system", "system")
    assert step["from"] == step["to"] == "closed"
    data = step["data"]
    assert isinstance(data, dict)
    assert data["document"] == LETTER
    assert data["media_type"] == "application/pdf"
    documents = case["documents"]
    assert isinstance(documents, list)
    [letter] = [d for d in documents if d["number"] == LETTER]
    assert letter["direction"] == "outgoing"
    assert letter["media_type"] == "application/vnd.sagsflow.letter+json"
    assert data["source_sha256"] == letter["sha256"]

    out_file = tmp_path / "afslutning.pdf"
    said = ok(run, "document", "get", LETTER, "--out", str(out_file))
    pdf = out_file.read_bytes()
    digest = hashlib.sha256(pdf).hexdigest()
    assert digest == data["sha256"]
    assert said.startswith(f"document {LETTER}: {len(pdf)} bytes, application/pdf")
    text = pdf_text(out_file)
    for expected in (
        "2024-0283489",
        LETTER,
        "9. oktober 2024",
        "10. november 2024",
        "20. november 2024",
        "Jens Jurist",
        "Eksempelgade 1",
        "1599 København V",
        "EAN 5798000000421",
    ):
        assert expected in text, expected
    assert pdf_info(out_file)["Page size"].startswith("595.")  # A4
    assert ok(run, "audit", "verify").startswith("verified: 1 cases, 6 entries")

    # the journal's source is kept too: the letter's values, as sealed
    source = tmp_path / "kilde.json"
    ok(run, "document", "get", LETTER, "--source", "--out", str(source))
    assert hashlib.sha256(source.read_bytes()).hexdigest() == letter["sha256"]
    values = json.loads(source.read_bytes())
    assert values["template"] == "ombudsman-inquiry/close.da.html"
    assert values["context"]["document_number"] == LETTER
    assert values["context"]["caseworker"] == "Jens Jurist"


def test_a_one_byte_change_to_the_kept_pdf_is_named(
    run: Run, assessed: Path, tmp_path: Path
) -> None:
    data = _render_step(_close(run))["data"]
    assert isinstance(data, dict)
    with closing(sqlite3.connect(assessed)) as conn:
        [(pdf,)] = conn.execute(
            "SELECT data FROM document_content WHERE sha256 = ?", (data["sha256"],)
        )
        changed = pdf[:200] + bytes([pdf[200] ^ 1]) + pdf[201:]
        conn.execute(
            "UPDATE document_content SET data = ? WHERE sha256 = ?",
            (changed, data["sha256"]),
        )
        conn.commit()
    before = snapshot(assessed)
    out_file = tmp_path / "afslutning.pdf"

    refused = run("document", "get", LETTER, "--out", str(out_file))
    code, said, _ = run("audit", "verify")

    assert refused[0] == 1
    assert refused[2] == (
        f"sagsflow: error: document {LETTER}: its content no longer matches its seal\n"
    )
    assert not out_file.exists()
    assert code == 1
    assert (
        f"BROKEN {NUMBER}: document {LETTER}'s rendering: its content no longer "
        "matches its seal" in said
    )
    assert snapshot(assessed) == before


def test_a_render_step_of_another_source_is_named(run: Run, assessed: Path) -> None:
    """A render step is sealed in the chain: one forged into it breaks the
    chain; and a document row changed to match a forged render is named."""
    _close(run)
    with closing(sqlite3.connect(assessed)) as conn:
        conn.execute("DROP TRIGGER IF EXISTS document_no_update")
        conn.execute(
            "UPDATE document SET sha256 = ? WHERE number = ?", ("0" * 64, LETTER)
        )
        conn.commit()

    code, said, _ = run("audit", "verify")

    assert code == 1
    assert f"entry 6 renders document {LETTER} from a source that is not" in said


def test_the_dossier_zip_holds_the_letter_and_its_source(
    run: Run, assessed: Path, tmp_path: Path
) -> None:
    data = _render_step(_close(run))["data"]
    assert isinstance(data, dict)
    target = tmp_path / "sag.zip"
    ok(run, "audit", "export", NUMBER, "--with-documents", "--out", str(target))
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        pdf = archive.read(f"documents/{LETTER}.pdf")
    assert f"documents/{LETTER}.json" in names
    assert hashlib.sha256(pdf).hexdigest() == data["sha256"]
    checked = ok(run, "audit", "verify", "--dossier", str(target))
    assert f"verified: dossier of case {NUMBER}" in checked

    forged = tmp_path / "forfalsket.zip"
    with zipfile.ZipFile(target) as old, zipfile.ZipFile(forged, "w") as new:
        for name in old.namelist():
            body = old.read(name)
            if name.endswith(".pdf"):
                body = body[:200] + bytes([body[200] ^ 1]) + body[201:]
            new.writestr(name, body)
    code, said, _ = run("audit", "verify", "--dossier", str(forged))
    assert code == 1
    assert f"document {LETTER}: its file documents/{LETTER}.pdf no longer" in said


@pytest.mark.parametrize("kept_in", ["database", "folder"])
def test_erasing_the_case_erases_its_documents_content(
    run: Run,
    assessed: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kept_in: str,
) -> None:
    """Letters name the parties: erasing a case's personal data deletes its
    documents' content (sources, PDFs, notes); the journal keeps the
    documents and their digests, and the record still verifies."""
    folder = tmp_path / "dokumenter"
    if kept_in == "folder":
        monkeypatch.setenv("SAGSFLOW_DOCUMENT_DIR", str(folder))
    data = _render_step(_close(run))["data"]
    assert isinstance(data, dict)
    with closing(sqlite3.connect(assessed)) as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM document_content")
    kept = sorted(folder.rglob("*")) if kept_in == "folder" else []
    # the imported note (in the table), the letter's source and its PDF
    assert count + len([p for p in kept if p.is_file()]) == 3

    erase = ("case", "erase", NUMBER, "--actor", "bra", "--json")
    said = json.loads(ok(run, *erase, "--reason", "Anmodning om sletning"))

    assert f"documents.{LETTER}" in said["erased"]
    with closing(sqlite3.connect(assessed)) as conn:
        [(left,)] = conn.execute("SELECT count(*) FROM document_content")
    assert left == 0
    assert not [p for p in folder.rglob("*") if p.is_file()]
    out_file = tmp_path / "afslutning.pdf"
    code, _, err = run("document", "get", LETTER, "--out", str(out_file))
    assert code == 1
    assert err.startswith(
        f"sagsflow: error: document {LETTER}'s content was erased with case "
        f"{NUMBER}'s personal data ("
    )
    assert not out_file.exists()
    assert ok(run, "audit", "verify").startswith("verified: 1 cases")
    target = tmp_path / "sag.zip"
    ok(run, "audit", "export", NUMBER, "--with-documents", "--out", str(target))
    with zipfile.ZipFile(target) as archive:
        assert not [n for n in archive.namelist() if n.startswith("documents/")]
    checked = ok(run, "audit", "verify", "--dossier", str(target))
    assert f"verified: dossier of case {NUMBER}" in checked
