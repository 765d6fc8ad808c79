"""`sagsflow migrate-db` (move a database) and `sagsflow grants` (the app role)."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace

import click

from engine.audit.review import count_entries, verify_store
from engine.exceptions import InvalidInputError, StorageError
from service import app as composition
from service.cli.context import Context, pass_ctx
from storage import SqlCaseStore
from storage.copy import copy_database
from storage.database import sqlite_path
from storage.grants import grant_statements


@click.command("migrate-db")
@click.option("--from", "source_url", required=True, metavar="URL", help="Copy from.")
@click.option("--to", "target_url", required=True, metavar="URL", help="Copy into.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def migrate_db(ctx: Context, source_url: str, target_url: str, as_json: bool) -> None:
    """Copy a whole database into an empty one, then verify the copy.

    Every table is copied with its ids, the audit chain included; the target's
    schema is created if it has none. Afterwards every table is compared row
    for row with the source and the target's audit chain is verified. Stop the
    services on the source first: what they write after the copy began stays
    behind.
    """
    source = composition.database(replace(ctx.settings, database_url=source_url))
    target_path = sqlite_path(target_url)
    if target_path is not None and not target_path.parent.exists():
        raise StorageError(
            f"cannot create {target_path}: no folder {target_path.parent}"
        )
    target = composition.database(
        replace(ctx.settings, database_url=target_url), create=True
    )
    show = sys.stderr.isatty() and not as_json
    copied = 0

    def progress(table: str, rows: int) -> None:
        nonlocal copied
        copied += rows
        if show:
            click.echo(f"\rcopying {table}: {copied} rows", nl=False, err=True)

    try:
        tables = copy_database(source, target, progress=progress)
        if show:
            click.echo("", err=True)
        store = SqlCaseStore(target)
        total = count_entries(store)
        with click.progressbar(
            length=total,
            label="verifying",
            file=sys.stderr if show else io.StringIO(),
        ) as bar:
            report = verify_store(store, progress=bar.update)
    finally:
        source.dispose()
        target.dispose()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "tables": {t.name: t.rows for t in tables},
                    "verified": report.ok,
                    "cases": report.cases,
                    "entries": report.entries,
                    "problems": [p.detail for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        for table in tables:
            click.echo(f"{table.name:20} {table.rows:>10} rows  identical")
        click.echo(
            f"audit chain on the target: {report.cases} cases, {report.entries} "
            f"entries, {'verified' if report.ok else 'BROKEN'}"
        )
    if not report.ok:
        first = report.problems[0]
        raise InvalidInputError(
            f"the copy does not verify: case {first.case}: {first.detail} (every "
            "table is identical to the source's, so the source's record is the same)"
        )


@click.command("grants")
@click.option(
    "--role",
    default="sagsflow_app",
    show_default=True,
    help="The PostgreSQL role the services connect as.",
)
@click.option(
    "--database",
    "database_name",
    metavar="NAME",
    help="The database to grant on (default: the one SAGSFLOW_DATABASE_URL names).",
)
@pass_ctx
def grants(ctx: Context, role: str, database_name: str | None) -> None:
    """Print the GRANTs for an application role (PostgreSQL).

    The role may read everything and write what the work needs, but may not
    UPDATE, DELETE or TRUNCATE the audit record or the journal. Run the output
    as the schema's owner (who ran 'sagsflow init'), again after each upgrade.
    """
    url = composition.database(ctx.settings).url
    if database_name is None:
        if url.get_backend_name() != "postgresql" or not url.database:
            raise InvalidInputError(
                "grants are for PostgreSQL: SQLite has no roles (whoever can write "
                "the file can change it; protect the file and anchor the record). "
                "Name a PostgreSQL database with --db or --database"
            )
        database_name = url.database
    statements = grant_statements(role, database=database_name)
    click.echo(f"-- sagsflow: rights of the application role {role}")
    click.echo(f"-- CREATE ROLE {role} LOGIN PASSWORD '...';  -- once, if it is new")
    for statement in statements:
        click.echo(statement)
