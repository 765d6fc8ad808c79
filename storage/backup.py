"""A backup of a SQLite office: one self-describing zip file, taken and read.

The file (format `sagsflow-backup/1`) holds three kinds of member:

- `sagsflow.db`: a copy of the database made with SQLite's online backup API
  in one step, so it is one consistent snapshot (a read transaction on the
  write-ahead log) while `serve` and others keep writing;
- `documents/ab/abcdef...`: the documents' files, when the office keeps them in
  `SAGSFLOW_DOCUMENT_DIR` (named by their SHA-256, as there); taken after the
  snapshot, so every file a document of the snapshot names is there (a file
  is written before its step commits, and never changed);
- `manifest.json`: the format, the sagsflow version and the schema revision
  that made it, when, the counts of cases, entries and changes to users in the
  snapshot, and each other member's SHA-256 and size.

`read_backup` checks the manifest and every member's digest before anything is
written anywhere; `storage.restore` restores it into an empty target.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from engine.exceptions import InvalidInputError, SchemaError, StorageError
from storage.database import sqlite_path
from storage.revisions import known_revisions

FORMAT = "sagsflow-backup/1"
MANIFEST = "manifest.json"
DATABASE = "sagsflow.db"
DOCUMENTS = "documents/"
_CHUNK = 1 << 20
_DOCUMENT = re.compile(r"^documents/([0-9a-f]{2})/(\1[0-9a-f]{62})$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# what a manifest counts, and the table each is counted in
COUNTED = {"cases": "wf_case", "entries": "audit_entry", "user_changes": "user_change"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Manifest:
    """What a backup says of itself (its `manifest.json`)."""

    sagsflow: str
    schema: str
    created_at: str
    cases: int
    entries: int
    user_changes: int
    members: dict[str, tuple[str, int]]  # name -> (sha256, size)

    @property
    def documents(self) -> int:
        return sum(name.startswith(DOCUMENTS) for name in self.members)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "sagsflow": self.sagsflow,
            "schema": self.schema,
            "created_at": self.created_at,
            "cases": self.cases,
            "entries": self.entries,
            "user_changes": self.user_changes,
            "members": {
                name: {"sha256": digest, "size": size}
                for name, (digest, size) in sorted(self.members.items())
            },
        }


# -- taking a backup ---------------------------------------------------------------
def write_backup(
    database_url: str,
    out: Path,
    *,
    document_dir: Path | None,
    created_at: datetime,
    version: str,
) -> Manifest:
    """Write a backup of the SQLite database at `database_url` to the new file `out`.

    Raises:
        InvalidInputError: not a SQLite file, `out` exists or cannot be written.
        SchemaError: no database there, or not a sagsflow one.
        StorageError: the database cannot be read.
    """
    source = sqlite_path(database_url)
    if source is None:
        raise InvalidInputError(
            "backup copies a SQLite database; for PostgreSQL use pg_dump -Fc and "
            "check the restored copy with 'sagsflow restore --check' (README: "
            "Backup and restore)"
        )
    if not source.is_file():
        raise SchemaError(f"no database at {source}: nothing to back up")
    if out.exists():
        raise InvalidInputError(f"{out} exists; choose another file")
    if not out.parent.is_dir():
        raise InvalidInputError(f"cannot write {out}: no folder {out.parent}")
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
            copy = Path(work) / DATABASE
            _snapshot(source, copy)
            schema, counts = describe_database(copy)
            if schema not in known_revisions():
                raise SchemaError(
                    f"the database is at schema revision {schema[:40]!r}, which is "
                    "not one of this sagsflow's: back it up with the sagsflow that "
                    "runs it"
                )
            part = Path(work) / "backup.zip"
            members: dict[str, tuple[str, int]] = {}
            with zipfile.ZipFile(part, "x", zipfile.ZIP_DEFLATED) as packed:
                members[DATABASE] = _add(packed, DATABASE, copy, created_at)
                for path, name in _document_files(document_dir):
                    members[name] = _add(packed, name, path, created_at)
                manifest = Manifest(
                    sagsflow=version,
                    schema=schema,
                    created_at=created_at.isoformat(),
                    members=members,
                    **counts,
                )
                text = json.dumps(manifest.as_json(), indent=1, sort_keys=True)
                packed.writestr(MANIFEST, text)
            with part.open("rb") as done:
                os.fsync(done.fileno())
            os.link(part, out)  # never over a file that appeared meanwhile
    except FileExistsError:
        raise InvalidInputError(f"{out} exists; choose another file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out}: {exc.strerror}") from None
    return manifest


def _snapshot(source: Path, copy: Path) -> None:
    """One consistent copy of the live database (the backup API, in one step)."""
    uri = f"{source.resolve().as_uri()}?mode=ro"
    try:
        with (
            contextlib.closing(sqlite3.connect(uri, uri=True)) as src,
            contextlib.closing(sqlite3.connect(copy)) as dst,
        ):
            src.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)  # pages=-1: all at once, under one read transaction
    except sqlite3.Error as exc:
        raise StorageError(f"cannot copy the database {source}: {exc}") from None


def describe_database(copy: Path) -> tuple[str, dict[str, int]]:
    """A database file's schema revision and counts (`COUNTED`).

    Raises:
        SchemaError: it is not a sagsflow database.
    """
    try:
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            tables = {
                name for (name,) in conn.execute("SELECT name FROM sqlite_master")
            }
            counts = {  # an older schema may lack a table (it counts none)
                name: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                if table in tables
                else 0
                for name, table in COUNTED.items()
            }
    except sqlite3.Error:
        row = None
    if not row or not isinstance(row[0], str):
        raise SchemaError("the database has no sagsflow schema")
    return row[0], counts


def _document_files(folder: Path | None) -> Iterator[tuple[Path, str]]:
    """Every content file in the document folder, by name (temporaries left out)."""
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.glob("??/*")):
        name = f"{DOCUMENTS}{path.parent.name}/{path.name}"
        if path.is_file() and _DOCUMENT.match(name):
            yield path, name


def _add(
    packed: zipfile.ZipFile, name: str, path: Path, at: datetime
) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(name, date_time=at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with path.open("rb") as src, packed.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return digest.hexdigest(), size


# -- reading one ---------------------------------------------------------------------
def read_backup(path: Path) -> Manifest:
    """The backup's manifest, once every member is checked against it.

    Raises:
        InvalidInputError: no such file, not a sagsflow backup, cut short or
            damaged (a member missing, extra, or not its digest).
        SchemaError: made by a newer sagsflow (a format or schema revision
            this one does not know).
    """
    with open_backup(path) as packed:
        manifest = _manifest(path, packed)
        names = {i.filename for i in packed.infolist()} - {MANIFEST}
        if names != set(manifest.members):
            extra = sorted(names - set(manifest.members))
            gone = sorted(set(manifest.members) - names)
            raise InvalidInputError(
                f"{path}: damaged: "
                + (f"{extra[0]} is not in its manifest" if extra else "")
                + (f"{gone[0]} is missing" if gone and not extra else "")
            )
        for name in sorted(manifest.members):
            check_member(path, packed, name, manifest.members[name], None)
    return manifest


@contextlib.contextmanager
def open_backup(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        with path.open("rb") as raw:
            start = raw.read(4)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: no such backup file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        packed = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError):
        if start == b"PK\x03\x04":
            raise InvalidInputError(
                f"{path}: cut short (truncated): the end of the backup is missing"
            ) from None
        raise InvalidInputError(f"{path}: not a sagsflow backup") from None
    with packed:
        yield packed


def _manifest(path: Path, packed: zipfile.ZipFile) -> Manifest:
    try:
        raw = json.loads(packed.read(MANIFEST))
    except KeyError:
        raise InvalidInputError(
            f"{path}: not a sagsflow backup (no {MANIFEST})"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RecursionError):
        raise InvalidInputError(
            f"{path}: damaged: its manifest does not read"
        ) from None
    if not isinstance(raw, dict) or not str(raw.get("format", "")).startswith(
        "sagsflow-backup/"
    ):
        raise InvalidInputError(f"{path}: not a sagsflow backup")
    made_by = str(raw.get("sagsflow"))[:40]
    if raw["format"] != FORMAT:
        raise SchemaError(
            f"{path} is in format {str(raw['format'])[:40]!r} (made by sagsflow "
            f"{made_by}), which this sagsflow does not read: restore it with that "
            "version or a newer one"
        )
    members = raw.get("members")
    schema = raw.get("schema")
    if (
        not isinstance(members, dict)
        or not isinstance(schema, str)
        or not isinstance(raw.get("created_at"), str)
        or not all(type(raw.get(c)) is int for c in COUNTED)
        or DATABASE not in members
        or not all(_member_ok(n, m) for n, m in members.items())
    ):
        raise InvalidInputError(f"{path}: damaged: its manifest is malformed")
    if schema not in known_revisions():
        raise SchemaError(
            f"{path} is of schema revision {schema[:40]!r} (sagsflow {made_by}), "
            "newer than this sagsflow knows: restore it with that version or a "
            "newer one"
        )
    return Manifest(
        sagsflow=made_by,
        schema=schema,
        created_at=raw["created_at"],
        cases=raw["cases"],
        entries=raw["entries"],
        user_changes=raw["user_changes"],
        members={n: (m["sha256"], m["size"]) for n, m in members.items()},
    )


def _member_ok(name: object, member: object) -> bool:
    return (
        isinstance(name, str)
        and (name == DATABASE or _DOCUMENT.match(name) is not None)
        and isinstance(member, dict)
        and isinstance(member.get("sha256"), str)
        and _DIGEST.match(member["sha256"]) is not None
        and type(member.get("size")) is int
    )


def check_member(
    path: Path,
    packed: zipfile.ZipFile,
    name: str,
    expected: tuple[str, int],
    out: IO[bytes] | None,
) -> None:
    """Read member `name` (into `out`), holding it to its digest and size."""
    digest, size = hashlib.sha256(), 0
    try:
        with packed.open(name) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > expected[1]:
                    break
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise InvalidInputError(
            f"{path}: damaged or cut short: {name} does not read"
        ) from None
    if (digest.hexdigest(), size) != expected:
        raise InvalidInputError(
            f"{path}: damaged: {name} is not what its manifest says (SHA-256 or size)"
        )
