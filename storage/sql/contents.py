"""Documents' content on SQL: in `document_content`, or in a directory.

`engine.ports.documents.ContentRecords`. By default the bytes go to the
`document_content` table in the step's own transaction, so a document row and
its content are committed together. With `SAGSFLOW_DOCUMENT_DIR` they go to
files in that directory named by their SHA-256 (`ab/abcdef...`: a folder per
first two hex digits, so no folder grows to millions of files), written
atomically (a temporary file in the same folder, flushed, fsynced and renamed
into place) and never overwritten: the name is the content's digest, so a file
already there holds the same bytes or was changed behind sagsflow's back, which
every read finds out. A transaction that rolls back may leave a file no
document names; it is harmless (nothing reads it) and a later document with
the same bytes uses it.

Nothing here checks the bytes it reads against their digest: the readers do
(`engine.cases.documents`), so a changed file or row is named, never served.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, select

from engine.exceptions import StorageError
from storage.sql.base import Rows
from storage.tables import CONTENTS, DOCUMENTS

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class ContentRows(Rows):
    """`engine.ports.documents.ContentRecords`."""

    content_dir: Path | None  # SAGSFLOW_DOCUMENT_DIR; None: the database

    def put_content(self, sha256: str, data: bytes) -> None:
        self._writing()
        _check_digest(sha256)
        if self.content_dir is not None:
            write_file(self.content_dir, sha256, data)
            return
        self.conn.execute(
            self._insert(CONTENTS)
            .values(sha256=sha256, size=len(data), data=data)
            .on_conflict_do_nothing()
        )

    def put_contents(self, contents: Sequence[tuple[str, bytes]]) -> None:
        self._writing()
        for sha256, _ in contents:
            _check_digest(sha256)
        if self.content_dir is not None:
            for sha256, data in contents:
                write_file(self.content_dir, sha256, data)
        elif contents:
            self.conn.execute(
                self._insert(CONTENTS).on_conflict_do_nothing(),
                [{"sha256": d, "size": len(b), "data": b} for d, b in contents],
            )

    def forget_contents(self, case_id: int, digests: Sequence[str]) -> int:
        self._writing()
        for sha256 in digests:
            _check_digest(sha256)
        shared = set(
            self.conn.execute(
                select(DOCUMENTS.c.sha256)
                .where(DOCUMENTS.c.sha256.in_(list(digests)))
                .where(DOCUMENTS.c.case_id != case_id)
            ).scalars()
        )
        gone = sorted(set(digests) - shared)
        if not gone:
            return 0
        # from both places: content kept before a folder was set stays in the table
        result = self.conn.execute(delete(CONTENTS).where(CONTENTS.c.sha256.in_(gone)))
        deleted = int(result.rowcount)
        if self.content_dir is not None:
            for sha256 in gone:
                path = content_path(self.content_dir, sha256)
                if path.exists():
                    path.unlink()
                    deleted += 1
        return deleted

    def content(self, sha256: str) -> bytes | None:
        _check_digest(sha256)
        if self.content_dir is not None:
            return read_file(self.content_dir, sha256)
        data = self.conn.execute(
            select(CONTENTS.c.data).where(CONTENTS.c.sha256 == sha256)
        ).scalar_one_or_none()
        return bytes(data) if data is not None else None


def _check_digest(sha256: str) -> None:
    # a digest names a file: never let anything else reach a path
    if not _DIGEST.match(sha256):
        raise StorageError("a document's content digest is not a SHA-256")


def content_path(folder: Path, sha256: str) -> Path:
    """Where the content with this digest lives in `folder`."""
    return folder / sha256[:2] / sha256


def write_file(folder: Path, sha256: str, data: bytes) -> None:
    """Write `data` as `content_path(folder, sha256)` atomically, unless there.

    Raises:
        StorageError: the folder cannot be written.
    """
    target = content_path(folder, sha256)
    if target.exists():
        return  # written once, never overwritten
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(
            f"cannot write a document's content to {folder}: {exc.strerror}"
        ) from exc


def read_file(folder: Path, sha256: str) -> bytes | None:
    """The bytes of `content_path(folder, sha256)`, or None if there is none.

    Raises:
        StorageError: the file is there but cannot be read.
    """
    try:
        return content_path(folder, sha256).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(
            f"cannot read a document's content in {folder}: {exc.strerror}"
        ) from exc
