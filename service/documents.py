"""What a surface accepts as a document's content: its size, its type sniffed
from the bytes, and the types an office keeps.

The media type is read from the bytes, never from the file's name or the
client's `Content-Type`: a small table of magic numbers covers the allow-list
(PDF, PNG, JPEG, TIFF, DOCX and XLSX, plain UTF-8 text). A table is enough
for six types and needs no dependency; the office formats are zip files, told
apart by their parts (`word/`, `xl/`), which the standard library's `zipfile`
reads. Anything else (an executable, HTML, an unknown format) is refused, as
are empty files and files over `SAGSFLOW_DOCUMENT_MAX_BYTES`. The command line
and the API both check here, with one message per refusal.
"""

from __future__ import annotations

import io
import zipfile

from engine.cases.letters import LETTER_SOURCE
from engine.exceptions import InvalidInputError
from engine.records import Content

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain; charset=utf-8"
ALLOWED = (PDF, PNG, JPEG, TIFF, DOCX, XLSX, TEXT)
# the file name's extension for each type (downloads are named by it)
EXTENSIONS = {
    PDF: ".pdf",
    PNG: ".png",
    JPEG: ".jpg",
    TIFF: ".tif",
    DOCX: ".docx",
    XLSX: ".xlsx",
    TEXT: ".txt",
    LETTER_SOURCE: ".json",  # a letter's source (engine.cases.letters)
}

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}  # all but tab, LF, FF, CR


def accept(data: bytes, *, limit: int, name: str = "the file") -> Content:
    """`data` as content to journalise, with its sniffed media type.

    Raises:
        InvalidInputError: empty, over `limit` bytes, or of a type not kept.
    """
    if not data:
        raise InvalidInputError(f"{name} is empty: a document needs content")
    if len(data) > limit:
        raise InvalidInputError(
            f"{name} is {len(data)} bytes, over the limit of {limit} "
            "(SAGSFLOW_DOCUMENT_MAX_BYTES)"
        )
    media_type = sniff(data)
    if media_type is None:
        raise InvalidInputError(
            f"{name} is not of a type sagsflow keeps (PDF, PNG, JPEG, TIFF, DOCX, "
            "XLSX or plain UTF-8 text)"
        )
    return Content(data=data, media_type=media_type)


def sniff(data: bytes) -> str | None:
    """The allowed media type the bytes are, by their content; None if none."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) in _TEXT_CONTROLS for c in text) or text.lstrip().startswith("<"):
        return None  # binary, or markup a browser would run: not plain text
    return TEXT


def _office(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None
