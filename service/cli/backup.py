"""`sagsflow backup` and `sagsflow restore`: a SQLite office into one file and
back, and the check of a database restored by other means (`pg_restore`).

The file and what is checked are `storage.backup` and `storage.restore`; here
the record is verified once restored (`engine.audit.review.verify_store`) and
its counts held to what the backup's manifest says it held.
"""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from engine.audit.verify import Report
from engine.clock import SystemClock
from engine.exceptions import InvalidInputError
from service import present
from service.cli.context import Context, pass_ctx
from service.cli.verified import print_verification, verify_with_bar
from storage.backup import Manifest, write_backup
from storage.database import current_revision, sqlite_path
from storage.restore import restore_backup


def _summary(manifest: Manifest) -> dict[str, Any]:
    """The manifest without its members: what a person reads."""
    return {key: value for key, value in manifest.as_json().items() if key != "members"}


def _counted(cases: int, entries: int, changes: int) -> str:
    return f"{cases} cases, {entries} entries, {changes} changes to users"


def _where(url: str) -> str:
    """A database for a message: the SQLite file, else the URL without password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the database"


@click.command("backup")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="The backup file to write (a new file: never overwritten).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@pass_ctx
def backup(ctx: Context, out: Path, as_json: bool) -> None:
    """Write a consistent backup of the SQLite database, and of the documents'
    files when SAGSFLOW_DOCUMENT_DIR is used, into one new FILE; safe while
    `serve` runs. For PostgreSQL use pg_dump (README: Backup and restore)."""
    manifest = write_backup(
        ctx.settings.database_url,
        out,
        document_dir=ctx.settings.document_dir,
        created_at=SystemClock().now(),
        version=version("sagsflow"),
    )
    size = out.stat().st_size
    if as_json:
        shown = {"file": str(out), "size": size, **_summary(manifest)}
        click.echo(present.dumps(shown))
        return
    click.echo(
        f"backup {out}: "
        f"{_counted(manifest.cases, manifest.entries, manifest.user_changes)}, "
        f"{manifest.documents} documents' files; schema {manifest.schema}, "
        f"{size} bytes"
    )


@click.command("restore")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option(
    "--db",
    "target_url",
    metavar="URL",
    help="The empty database to restore into (default: the global --db, or "
    "SAGSFLOW_DATABASE_URL).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Only check a database restored by other means (pg_restore): its "
    "schema is current, its record verifies, and what it holds.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def restore(
    ctx: Context, file: Path | None, target_url: str | None, check: bool, as_json: bool
) -> None:
    """Restore a backup FILE into an empty database, then verify the record.

    The backup is checked whole (its manifest, every file's SHA-256, its schema
    known to this sagsflow) before anything is written; a target that holds
    data is refused. Afterwards, hold the record against the checkpoints kept
    elsewhere: `sagsflow audit verify --anchor DIR`.
    """
    url = target_url or ctx.settings.database_url
    settings = replace(ctx.settings, database_url=url)
    if check:
        if file is not None:
            raise InvalidInputError(
                "--check verifies a database restored by other means (pg_restore); "
                "give --db URL and no FILE"
            )
        _check(url, Context(settings=settings, login=ctx.login), as_json)
        return
    if file is None:
        raise InvalidInputError("give the backup FILE to restore (or --check)")
    restored = restore_backup(file, url, settings.document_dir)
    manifest = restored.manifest
    checked = Context(settings=settings, login=ctx.login)
    try:
        report = verify_with_bar(checked.store, quiet=as_json)
    finally:
        checked.close()
    held = (report.cases, report.entries, report.user_changes) == (
        manifest.cases,
        manifest.entries,
        manifest.user_changes,
    )
    if as_json:
        click.echo(
            present.dumps(
                {
                    "restored": str(file),
                    "into": _where(url),
                    "backup": _summary(manifest),
                    "documents": manifest.documents,
                    "schema": restored.schema,
                    **_verdict(report),
                }
            )
        )
    else:
        upgraded = (
            f" (schema upgraded {manifest.schema} → {restored.schema})"
            if restored.schema != manifest.schema
            else ""
        )
        click.echo(
            f"restored {file} (taken {manifest.created_at} by sagsflow "
            f"{manifest.sagsflow}) into {_where(url)}: "
            f"{_counted(manifest.cases, manifest.entries, manifest.user_changes)}, "
            f"{manifest.documents} documents' files{upgraded}"
        )
        if report.ok:
            click.echo(
                "the record verifies; hold it against the checkpoints kept "
                "elsewhere: sagsflow audit verify --anchor DIR"
            )
        else:
            print_verification(report)
    _refuse_unverified(report, held)


def _check(url: str, ctx: Context, as_json: bool) -> None:
    """`restore --check`: schema current, the record verifies, what it holds."""
    try:
        store = ctx.store  # refuses a database without the current schema
        schema = current_revision(store.engine)
        report = verify_with_bar(store, quiet=as_json)
    finally:
        ctx.close()
    if as_json:
        click.echo(
            present.dumps(
                {"checked": _where(url), "schema": schema, **_verdict(report)}
            )
        )
    else:
        click.echo(
            f"checked {_where(url)}: schema {schema} (current), "
            f"{_counted(report.cases, report.entries, report.user_changes)}"
        )
        if report.ok:
            click.echo(
                "the record verifies; hold it against the checkpoints kept "
                "elsewhere: sagsflow audit verify --anchor DIR"
            )
        else:
            print_verification(report)
    _refuse_unverified(report, True)


def _verdict(report: Report) -> dict[str, Any]:
    return {
        "verified": report.ok,
        "cases": report.cases,
        "entries": report.entries,
        "user_changes": report.user_changes,
        "problems": [
            {"case": p.case, "seq": p.seq, "kind": p.kind, "detail": p.detail}
            for p in report.problems
        ],
    }


def _refuse_unverified(report: Report, held: bool) -> None:
    if not report.ok:
        first = report.problems[0]
        raise InvalidInputError(
            f"the restored record does not verify ({len(report.problems)} "
            f"problems; the first: {first.case}: {first.detail})"
        )
    if not held:
        raise InvalidInputError(
            "the restored database does not hold what the backup's manifest counts"
        )
