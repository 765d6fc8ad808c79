"""The `sagsflow` command line: a thin layer over `CaseEngine`.

Every error a user can cause ends here as one line on stderr and a non-zero exit
(1 for refused input or a conflict, 2 for command-line usage, 3 for the
database), never a traceback, with the database as it was.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import NoReturn

import click
import structlog

from engine import via
from engine.exceptions import (
    EngineError,
    InvalidInputError,
    StorageError,
)
from engine.logs import redact_text
from engine.workflow.labels import LANGUAGES
from service import app as composition
from service.cli import identity
from service.cli.api import api
from service.cli.audit import audit
from service.cli.backup import backup, restore
from service.cli.cases import case
from service.cli.context import Context, pass_ctx
from service.cli.db import grants, migrate_db
from service.cli.documents import document
from service.cli.erasure import case_erase, retention
from service.cli.letters import case_letter
from service.cli.migrate import workflow_migrate
from service.cli.owners import case_assign, user_absences, user_away
from service.cli.report import report
from service.cli.service import outbox, serve, sweep
from service.cli.tokens import token
from service.cli.users import user
from service.cli.workflows import workflow
from service.settings import Settings
from storage import upgrade_schema
from storage.database import head_revision, schema_state, sqlite_path

log = structlog.get_logger()

PLUGINS = "sagsflow.commands"  # the entry-point group of commands other packages add


class _Commands(click.Group):
    """The commands, and those other installed packages add under `PLUGINS`.

    The demo office (`sagsflow demo`, package `demo`) is one: the product never
    imports it, and a plugin is imported only when its command is asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        plugin = _plugins().get(cmd_name)
        if plugin is None:
            return None
        command = plugin.load()
        if not isinstance(command, click.Command):
            raise click.ClickException(
                f"the plugin {plugin.value!r} of {cmd_name!r} is not a command"
            )
        return command


def _plugins() -> dict[str, EntryPoint]:
    return {e.name: e for e in entry_points(group=PLUGINS)}


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (default: SAGSFLOW_DATABASE_URL or sqlite:///sagsflow.db).",
)
@click.version_option(package_name="sagsflow")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """sagsflow: declared workflows for public case handling.

    Working-day deadlines, chased replies and a complete record of every step.
    """
    settings = Settings.from_env(os.environ).with_database(db_url)
    composition.setup_logging(settings)
    identity.check_mode(settings.cli_identity)
    # before any command reads or writes: a command that prints after it
    # writes (case assign, case fire) must not fail after its write
    if settings.language not in LANGUAGES:
        raise InvalidInputError(
            f"SAGSFLOW_LANGUAGE must be 'da' or 'en', not {settings.language[:16]!r}"
        )
    # The login: the operating system's, unless the caller of `main` (a test)
    # handed one in as the root context's object.
    login = ctx.obj if isinstance(ctx.obj, str) else identity.os_login()
    ctx.obj = Context(settings=settings, login=login)
    ctx.call_on_close(ctx.obj.close)
    # Every entry and logged read of this command says it came in here, by
    # whom (engine.via); for the command's own context, so an in-process
    # caller's later work is not attributed to it.
    ctx.with_resource(via.entering(via.cli(login or identity.UNKNOWN)))


# -- init ----------------------------------------------------------------------
@cli.command()
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


workflow.add_command(workflow_migrate)
cli.add_command(workflow)
user.add_command(user_away)
user.add_command(user_absences)
cli.add_command(user)
case.add_command(case_erase)
case.add_command(case_assign)
case.add_command(case_letter)
cli.add_command(case)
cli.add_command(document)
cli.add_command(retention)
cli.add_command(audit)
cli.add_command(sweep)
cli.add_command(outbox)
cli.add_command(serve)
cli.add_command(report)
cli.add_command(token)
cli.add_command(api)
cli.add_command(migrate_db)
cli.add_command(grants)
cli.add_command(backup)
cli.add_command(restore)


# -- entry point -----------------------------------------------------------------
EXIT_INIT_DUE = 1  # `init --check`: an upgrade, or a first schema, is due
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_STORAGE = 3
EXIT_BUG = 70


def main(argv: Sequence[str] | None = None, *, login: str | None = None) -> NoReturn:
    """Run the CLI; turn every error into one line on stderr and an exit code.

    Args:
        login: the operating-system login to act under instead of the process's
            own (tests). Only code in this process can pass it, and such code
            could write the database directly anyway: it proves nothing less.
    """
    try:
        # Without standalone mode click *returns* the code of a raised Exit.
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="sagsflow",
            standalone_mode=False,
            obj=login,
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _fail(f"{exc.format_message()} (see 'sagsflow --help')", EXIT_USAGE)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted", 130)
    except StorageError as exc:
        _fail(str(exc), EXIT_STORAGE)
    except EngineError as exc:
        _fail(str(exc), EXIT_REFUSED)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: say so plainly, keep the traceback in the log
        log.exception("unexpected_error")
        _fail(f"internal error ({type(exc).__name__}); please report it", EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr, never a CPR number (input is echoed in some messages)."""
    lines = (part.strip() for part in message.splitlines() if part.strip())
    one_line = redact_text(" ".join(lines))
    click.echo(f"sagsflow: error: {one_line}", err=True)
    sys.exit(code)
