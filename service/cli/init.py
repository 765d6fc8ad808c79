"""`sagsflow init`: create the database, or upgrade its schema; `--check`
says whether that is due, changing nothing (exit codes for deploy scripts)."""

from __future__ import annotations

import click

from engine.exceptions import StorageError
from service import app as composition
from service.cli.context import Context, pass_ctx
from storage import upgrade_schema
from storage.database import head_revision, schema_state, sqlite_path

EXIT_INIT_DUE = 1  # `init --check`: an upgrade, or a first schema, is due


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help="Only say whether init is due, changing nothing: exit 0 when the "
    "schema is this version's, 1 when an upgrade (or a new schema) is due.",
)
@pass_ctx
def init(ctx: Context, check: bool) -> None:
    """Create the database, or upgrade its schema to this version."""
    url = ctx.settings.database_url
    path = sqlite_path(url)
    if check:
        _check(ctx, path or url)
        return
    if path is not None and not path.parent.exists():
        raise StorageError(
            f"cannot create {path}: the folder {path.parent} does not exist"
        )
    composition.load_registry(ctx.settings)  # refuse to start on invalid workflows
    db = composition.database(ctx.settings, create=True)
    try:
        before, after = upgrade_schema(db)
    finally:
        db.dispose()  # closed even when refused, not left to the garbage collector
    where = path or url
    if before == after:
        click.echo(f"database {where} is up to date (schema {after})")
    else:
        click.echo(f"database {where} ready (schema {before or 'none'} → {after})")


def _check(ctx: Context, where: object) -> None:
    """`init --check`: reads only; a missing SQLite file is not created."""
    path = sqlite_path(ctx.settings.database_url)
    if path is not None and not path.exists():
        before, after = None, head_revision()
    else:
        db = composition.database(ctx.settings)
        try:
            before, after = schema_state(db)  # a newer or foreign schema: refused
        finally:
            db.dispose()
    if before == after:
        click.echo(f"database {where} is up to date (schema {after})")
        return
    if before is None:
        click.echo(
            f"database {where} has no sagsflow schema: run 'sagsflow init' to "
            f"create it (schema {after})"
        )
    else:
        click.echo(
            f"database {where}: an upgrade is due: schema {before} → {after}; "
            "run 'sagsflow init'"
        )
    raise click.exceptions.Exit(EXIT_INIT_DUE)
