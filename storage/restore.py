"""Restore a backup (`storage.backup`) into an empty database.

Everything is checked before anything is written: the backup (`read_backup`:
its manifest and every member's digest), then the target, which must be
empty: a new SQLite file (or an empty one), or a PostgreSQL database with no
sagsflow data. The database copy is taken out beside a SQLite target, its
schema upgraded when the backup's is older, and moved into place only once
whole; for PostgreSQL its rows are copied in one transaction and compared
(`storage.copy`). The documents' files go into the empty or new document
folder; if the restore fails they are removed again. The caller verifies the
record afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from engine.exceptions import InvalidInputError, StorageError
from storage.backup import (
    COUNTED,
    DATABASE,
    DOCUMENTS,
    Manifest,
    check_member,
    describe_database,
    open_backup,
    read_backup,
)
from storage.copy import TableCopy, copy_database
from storage.database import (
    check_schema,
    create_db_engine,
    current_revision,
    error_reason,
    head_revision,
    refuse_foreign,
    sqlite_path,
    upgrade_schema,
)
from storage.sql.contents import content_path, write_file
from storage.tables import metadata


@dataclass(frozen=True, kw_only=True, slots=True)
class Restored:
    manifest: Manifest
    schema: str  # the schema the target is at now (upgraded if the backup's was older)
    tables: list[TableCopy] | None  # PostgreSQL: each table's rows, compared


def restore_backup(path: Path, target_url: str, document_dir: Path | None) -> Restored:
    """Restore the backup at `path` into the empty database `target_url` (and its
    documents' files into the empty or new `document_dir`).

    Everything is checked first (`read_backup`, the target empty); on a failure
    nothing stays behind: a SQLite target is moved into place only once whole,
    a PostgreSQL one is filled in one transaction, files written are removed.

    Raises:
        InvalidInputError: a bad backup (`read_backup`), a target that is not
            empty, or documents' files with nowhere to go.
        SchemaError: a backup of a newer sagsflow.
        StorageError: the target cannot be written.
    """
    manifest = read_backup(path)
    target_file = sqlite_path(target_url)
    _check_documents_target(manifest, document_dir)
    if target_file is not None:
        _check_file_target(target_file)
    else:
        _check_database_target(target_url)
    with open_backup(path) as packed, _scratch(target_file) as work:
        copy = work / DATABASE
        with copy.open("xb") as out:
            check_member(path, packed, DATABASE, manifest.members[DATABASE], out)
        schema, counts = describe_database(copy)
        if schema != manifest.schema or counts != _manifest_counts(manifest):
            raise InvalidInputError(
                f"{path}: damaged: its database is not the one its manifest describes"
            )
        source = create_db_engine(f"sqlite:///{copy}", create=False)
        try:
            if schema != head_revision():
                upgrade_schema(source)
        finally:
            source.dispose()
        with _documents_written(document_dir) as written:
            for name in sorted(manifest.members):
                if name.startswith(DOCUMENTS) and document_dir is not None:
                    data = _member_bytes(path, packed, name, manifest.members[name])
                    sha256 = name.rsplit("/", 1)[-1]
                    written.append(content_path(document_dir, sha256))
                    write_file(document_dir, sha256, data)
            tables = _place(copy, target_url, target_file)
    return Restored(manifest=manifest, schema=head_revision(), tables=tables)


def _manifest_counts(manifest: Manifest) -> dict[str, int]:
    return {c: getattr(manifest, c) for c in COUNTED}


def _member_bytes(
    path: Path, packed: zipfile.ZipFile, name: str, expected: tuple[str, int]
) -> bytes:
    out = io.BytesIO()
    check_member(path, packed, name, expected, out)
    return out.getvalue()


def _check_documents_target(manifest: Manifest, folder: Path | None) -> None:
    if not manifest.documents:
        return
    if folder is None:
        raise InvalidInputError(
            f"the backup holds {manifest.documents} documents' files (the office "
            "kept them in SAGSFLOW_DOCUMENT_DIR): set SAGSFLOW_DOCUMENT_DIR to an "
            "empty folder to restore them into"
        )
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InvalidInputError(
            f"the document folder {folder} is not empty: restore only into an "
            "empty or new one"
        )


def _check_file_target(target: Path) -> None:
    if not target.parent.is_dir():
        raise InvalidInputError(
            f"cannot restore to {target}: no folder {target.parent}"
        )
    for taken in (target, Path(f"{target}-wal")):
        if taken.exists() and (not taken.is_file() or taken.stat().st_size > 0):
            raise InvalidInputError(
                f"{taken} exists and is not empty: restore only into a new database"
            )


def _check_database_target(url: str) -> None:
    """Refuse a server database that holds data, reading only.

    Raises:
        SchemaError: another application's, or another sagsflow version's.
        InvalidInputError: it holds data.
    """
    target = create_db_engine(url)
    try:
        refuse_foreign(target)
        if current_revision(target) is None:
            return
        check_schema(target)
        with target.connect() as conn:
            for table in metadata.sorted_tables:
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    raise InvalidInputError(
                        f"the target database already holds data (table "
                        f"{table.name}): restore only into an empty one"
                    )
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the target: {error_reason(exc)}") from exc
    finally:
        target.dispose()


@contextlib.contextmanager
def _scratch(target: Path | None) -> Iterator[Path]:
    """A folder for the copy: beside a SQLite target (to move it into place)."""
    where = target.parent if target is not None else None
    try:
        with tempfile.TemporaryDirectory(dir=where, prefix=".restore-") as work:
            yield Path(work)
    except OSError as exc:
        raise StorageError(f"cannot restore: {exc.strerror}") from None


@contextlib.contextmanager
def _documents_written(folder: Path | None) -> Iterator[list[Path]]:
    """The files written into `folder`, removed again if the restore fails."""
    made = folder is not None and not folder.exists()
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        if made and folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for file in written:
                file.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    file.parent.rmdir()
        raise


def _place(
    copy: Path, target_url: str, target_file: Path | None
) -> list[TableCopy] | None:
    """Move the checked copy into place (SQLite) or copy its rows (PostgreSQL)."""
    if target_file is not None:
        try:
            if target_file.exists():  # empty (checked): a placeholder
                target_file.unlink()
            os.link(copy, target_file)  # never over a file that appeared meanwhile
        except FileExistsError:
            raise InvalidInputError(
                f"{target_file} appeared while restoring: restore only into a new "
                "database"
            ) from None
        except OSError as exc:
            raise StorageError(f"cannot write {target_file}: {exc.strerror}") from None
        return None
    source = create_db_engine(f"sqlite:///{copy}", create=False)
    target = create_db_engine(target_url)
    try:
        return copy_database(source, target)
    finally:
        source.dispose()
        target.dispose()
