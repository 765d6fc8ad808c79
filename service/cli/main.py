"""The `sagsflow` command line: a thin layer over `CaseEngine`.

Every error a user can cause ends here as one line on stderr and a non-zero exit
(1 for refused input or a conflict, 2 for command-line usage, 3 for the
database), never a traceback, with the database as it was.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

import click

from engine.exceptions import (
    EngineError,
    InvalidInputError,
    StorageError,
)
from service.cli.commands import COMMANDS
from service.cli.lazy import Lazy, LazyGroup

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint


PLUGINS = "sagsflow.commands"  # the entry-point group of commands other packages add


class _Commands(LazyGroup):
    """The commands, and those other installed packages add under `PLUGINS`.

    The demo office (`sagsflow demo`, package `demo`) is one: the product never
    imports it, and a plugin is imported only when its command is asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_plugins()})

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """The plugins are listed by name, not imported: each says what it is
        in its own `--help`."""
        for name, plugin in _plugins().items():
            if name not in self.lazy and name not in self.commands:
                where = plugin.dist.name if plugin.dist else plugin.module
                self.lazy[name] = Lazy(
                    plugin.module,
                    plugin.attr,
                    f"A command the installed package '{where}' adds: see "
                    f"'sagsflow {name} --help'.",
                )
        super().format_commands(ctx, formatter)

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
    from importlib.metadata import entry_points  # only when a plugin is sought

    return {e.name: e for e in entry_points(group=PLUGINS)}


@click.group(
    cls=_Commands,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    from engine import via
    from engine.workflow.labels import LANGUAGES
    from service import app as composition
    from service.cli import identity
    from service.cli.context import Context
    from service.settings import Settings

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


# -- entry point -----------------------------------------------------------------
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
        import structlog

        structlog.get_logger().exception("unexpected_error")
        _fail(f"internal error ({type(exc).__name__}); please report it", EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr, never a CPR number (input is echoed in some messages)."""
    lines = (part.strip() for part in message.splitlines() if part.strip())
    from engine.logs import redact_text

    one_line = redact_text(" ".join(lines))
    click.echo(f"sagsflow: error: {one_line}", err=True)
    sys.exit(code)
