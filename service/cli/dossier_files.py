"""A dossier with its documents' files: `audit export --with-documents` writes
a zip, `audit verify --dossier FILE.zip` checks it file by file, offline.

The zip holds `dossier.json` (the dossier `audit export` writes) and
`documents/<number><extension>`, one file per document kept with content (a
letter twice: its source, `.json`, and as rendered, `.pdf`, held against the
digest its render step sealed; none once the case's personal data, and with
it its documents' content, was erased). The
dossier's entries seal each document's SHA-256 (chain version 2 on), and the
dossier's own check holds its documents against those seals
(`engine.audit.contents`); here each file is held against its document's
digest, so a file changed by one byte, swapped or missing is named. The files
are read from the store through `engine.cases.documents`, so content that no
longer matches its seal is never exported as good: the export is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.cases.documents import read_document
from engine.cases.letters import is_letter
from engine.ports import CaseStore
from engine.records import Document
from engine.workflow.definition import RENDER_EVENT
from service.documents import EXTENSIONS

DOSSIER_NAME = "dossier.json"
FOLDER = "documents/"


def file_name(number: str, media_type: str | None) -> str:
    """Where document `number`'s file is in the zip."""
    return f"{FOLDER}{number}{EXTENSIONS.get(media_type or '', '')}"


def zip_bytes(
    store: CaseStore, body: Mapping[str, Any], documents: Sequence[Document]
) -> bytes:
    """The zip of the dossier `body` and the content of `documents`, checked.

    Raises:
        ContentTamperedError: a document's content no longer matches its seal.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(body, ensure_ascii=False, indent=1, default=str)
        archive.writestr(DOSSIER_NAME, text)
        for document in documents if not _erased(body) else ():
            if document.sha256 is None:
                continue
            read = read_document(store, document.number, rendered=False)
            archive.writestr(file_name(document.number, document.media_type), read.data)
            if is_letter(document):
                letter = read_document(store, document.number)
                if letter.rendition is not None:  # and the letter as rendered
                    name = file_name(document.number, letter.media_type)
                    archive.writestr(name, letter.data)
    return out.getvalue()


def read_zip(path: Path) -> tuple[Any, dict[str, bytes]]:
    """(the dossier's JSON or None if unreadable, the documents' files by name).

    Raises:
        OSError: the file cannot be read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            files = {
                name: archive.read(name)
                for name in archive.namelist()
                if name.startswith(FOLDER)
            }
            text = archive.read(DOSSIER_NAME).decode("utf-8")
        return json.loads(text), files
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError):
        return None, {}  # not a zip, no dossier in it, or not JSON
    except RecursionError:  # JSON nested beyond reading
        return None, {}


def check_files(body: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    """Each document's file against the digest the dossier gives it."""
    problems: list[str] = []
    expected: set[str] = set()
    try:
        documents = list(body.get("documents") or [])
    except (AttributeError, TypeError):
        return ["the dossier's documents are malformed"]
    files_of = [
        (str(d.get("number")), d.get("media_type"), d.get("sha256"))
        for d in documents
        if isinstance(d, Mapping)
    ] + _rendered(body)
    if _erased(body):  # its documents' content went with its personal data
        files_of = []
    for number, media_type, digest in files_of:
        if digest is None:
            continue
        name = file_name(number, media_type)
        expected.add(name)
        data = files.get(name)
        if data is None:
            problems.append(f"document {number}: its file {name} is not in the dossier")
        elif hashlib.sha256(data).hexdigest() != digest:
            problems.append(
                f"document {number}: its file {name} no longer matches its seal"
            )
    for name in sorted(set(files) - expected):
        problems.append(f"{name} is in the dossier, but no document of it is")
    return problems


def _rendered(body: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(number, media type, digest) of each letter as its render step sealed
    it (the entries are proved by the dossier's own check)."""
    found = []
    for entry in body.get("entries") or []:
        if isinstance(entry, Mapping) and entry.get("event") == RENDER_EVENT:
            data = entry.get("data")
            if isinstance(data, Mapping):
                found.append(
                    (
                        str(data.get("document")),
                        data.get("media_type"),
                        data.get("sha256"),
                    )
                )
    return found


def _erased(body: Mapping[str, Any]) -> bool:
    """Whether the dossier's case had its personal data erased."""
    case = body.get("case")
    return isinstance(case, Mapping) and bool(case.get("erased"))
