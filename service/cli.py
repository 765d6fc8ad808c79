"""The `sagsflow` command line: a thin layer over `CaseEngine`.

Every error a user can cause ends here as one line on stderr and a non-zero exit
(1 for refused input or a conflict, 2 for command-line usage, 3 for the
database), never a traceback, with the database as it was.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
import structlog

from engine.calendars import local_date
from engine.definition import SYSTEM_ACTOR
from engine.diagram import to_dot, to_mermaid
from engine.exceptions import (
    DefinitionError,
    EngineError,
    InvalidInputError,
    StorageError,
)
from engine.guards import GUARDS
from engine.records import AuditFilter, CaseFilter, Party
from engine.service import CaseEngine
from engine.timeparse import parse_instant
from engine.workflow_file import load_workflow_file
from service import app as composition
from service import render
from service.settings import Settings
from storage import upgrade_schema
from storage.database import sqlite_path

log = structlog.get_logger()


@dataclass(slots=True)
class Context:
    settings: Settings
    _engine: CaseEngine | None = None

    @property
    def engine(self) -> CaseEngine:
        if self._engine is None:
            self._engine = composition.build_engine(self.settings)
        return self._engine


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    ctx.obj = Context(settings=settings)


# -- init ----------------------------------------------------------------------
@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the database, or upgrade its schema to this version."""
    url = ctx.settings.database_url
    path = sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise StorageError(
            f"cannot create {path}: the folder {path.parent} does not exist"
        )
    composition.load_registry(ctx.settings)  # refuse to start on invalid workflows
    before, after = upgrade_schema(composition.database(ctx.settings))
    where = path or url
    if before == after:
        click.echo(f"database {where} is up to date (schema {after})")
    else:
        click.echo(f"database {where} ready (schema {before or 'none'} → {after})")


# -- workflows -------------------------------------------------------------------
@cli.group()
def workflow() -> None:
    """Declared workflows: list, show, validate, draw."""


@workflow.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def workflow_list(ctx: Context, as_json: bool) -> None:
    """List the workflows cases can be opened on."""
    defs = composition.load_registry(ctx.settings).latest()
    if as_json:
        click.echo(
            render.dumps(
                [
                    {
                        "name": d.name,
                        "version": d.version,
                        "title": d.title,
                        "source": d.source,
                        "states": [s.name for s in d.states],
                        "events": list(d.events),
                    }
                    for d in defs
                ]
            )
        )
        return
    rows = [(d.name, str(d.version), d.title, d.source) for d in defs]
    click.echo(render.table(rows, ("name", "version", "title", "file")))


@workflow.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def workflow_show(ctx: Context, name: str, as_json: bool) -> None:
    """Show a workflow's states, deadlines, chase ladders and events."""
    definition = composition.load_registry(ctx.settings).get(name)
    click.echo(
        render.dumps(render.workflow_json(definition))
        if as_json
        else render.workflow_text(definition)
    )


@workflow.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def workflow_validate(path: Path) -> None:
    """Validate a workflow file (or every *.yaml in a folder)."""
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or folder")
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    if not files:
        raise InvalidInputError(f"{path}: no workflow files (*.yaml) in it")
    bad = 0
    for file in files:
        try:
            d = load_workflow_file(file, guards=GUARDS)
        except DefinitionError as exc:
            bad += 1
            click.echo("\n".join(exc.problems), err=True)
            continue
        click.echo(
            f"ok: {file} ({d.name} version {d.version}, "
            f"{len(d.states)} states, {len(d.events)} events)"
        )
    if bad:
        raise click.exceptions.Exit(1)


@workflow.command("diagram")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
)
@pass_ctx
def workflow_diagram(ctx: Context, name: str, fmt: str) -> None:
    """Print a Mermaid or Graphviz diagram, deadlines and chase ladders included."""
    definition = composition.load_registry(ctx.settings).get(name)
    click.echo(
        to_mermaid(definition) if fmt == "mermaid" else to_dot(definition), nl=False
    )


# -- users -------------------------------------------------------------------------
@cli.group()
def user() -> None:
    """The people who act on cases, and their roles."""


@user.command("add")
@click.argument("user_id", metavar="ID")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="intake, caseworker, advisor or auditor (repeat for several).",
)
@click.option("--email", metavar="ADDRESS")
@pass_ctx
def user_add(
    ctx: Context, user_id: str, roles: tuple[str, ...], email: str | None
) -> None:
    """Add a user with one or more roles."""
    added = ctx.engine.add_user(user_id, roles, email)
    click.echo(f"added {added.id} ({', '.join(added.roles)})")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def user_list(ctx: Context, as_json: bool) -> None:
    """List users and their roles."""
    users = ctx.engine.list_users()
    if as_json:
        click.echo(render.dumps([render.user_json(u) for u in users]))
        return
    rows = [(u.id, ", ".join(u.roles), u.email or "") for u in users]
    click.echo(render.table(rows, ("id", "roles", "email")))


# -- cases -------------------------------------------------------------------------
@cli.group()
def case() -> None:
    """Open, move, show, list and import cases."""


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"{option} {item!r}: write KEY=VALUE")
        if key.strip() in out:
            raise InvalidInputError(f"{option} {key.strip()!r} given twice")
        out[key.strip()] = value
    return out


def _actor(actor: str) -> str:
    if actor == SYSTEM_ACTOR:
        raise InvalidInputError(
            f"{SYSTEM_ACTOR!r} is the scheduler's own actor; act as yourself"
        )
    return actor


def _at(text: str | None, option: str = "--at") -> datetime | None:
    return parse_instant(text, what=option) if text is not None else None


def _show(ctx: Context, view: Any, as_json: bool, now: datetime | None = None) -> None:
    moment = now or ctx.engine.clock.now()
    if as_json:
        click.echo(
            render.dumps(
                render.case_json(view, now=moment, calendar=ctx.engine.calendar)
            )
        )
    else:
        click.echo(render.case_text(view, now=moment, calendar=ctx.engine.calendar))


@case.command("open")
@click.argument("workflow_name", metavar="WORKFLOW")
@click.option("--actor", required=True, metavar="ID", help="Who opens it (a user id).")
@click.option("--title", required=True, metavar="TEXT")
@click.option("--party", "parties", multiple=True, metavar="ROLE=NAME")
@click.option("--party-email", "party_emails", multiple=True, metavar="ROLE=ADDRESS")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE")
@click.option(
    "--document", metavar="TITLE", help="Journal a document with the opening."
)
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Effective time, for back-dated entries (default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_open(
    ctx: Context,
    workflow_name: str,
    actor: str,
    title: str,
    parties: tuple[str, ...],
    party_emails: tuple[str, ...],
    data: tuple[str, ...],
    document: str | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Open a case on WORKFLOW."""
    names = _pairs(parties, "--party")
    emails = _pairs(party_emails, "--party-email")
    for role in emails:
        if role not in names:
            raise InvalidInputError(
                f"--party-email {role}=...: give --party {role}=NAME too"
            )
    view = ctx.engine.open_case(
        workflow_name,
        actor=_actor(actor),
        title=title,
        parties=[Party(role=r, name=n, email=emails.get(r)) for r, n in names.items()],
        data=_pairs(data, "--data"),
        document=document,
        at=_at(at),
    )
    _show(ctx, view, as_json)


@case.command("fire")
@click.argument("number")
@click.argument("event")
@click.option("--actor", required=True, metavar="ID", help="Who does it (a user id).")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE")
@click.option("--document", metavar="TITLE", help="Journal a document with the event.")
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Effective time, for back-dated entries (default: now).",
)
@click.option(
    "--expect-version",
    type=int,
    metavar="N",
    help="Refuse if the case is no longer at version N.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_fire(
    ctx: Context,
    number: str,
    event: str,
    actor: str,
    data: tuple[str, ...],
    document: str | None,
    at: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Apply EVENT to case NUMBER."""
    view = ctx.engine.fire(
        number,
        event,
        actor=_actor(actor),
        data=_pairs(data, "--data"),
        document=document,
        at=_at(at),
        expected_version=expect_version,
    )
    _show(ctx, view, as_json)


@case.command("show")
@click.argument("number")
@click.option(
    "--now", "now", metavar="ISO8601", help="Judge deadlines as of this moment."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_show(ctx: Context, number: str, now: str | None, as_json: bool) -> None:
    """Show a case: state, deadline, parties, documents and history."""
    _show(ctx, ctx.engine.show(number), as_json, _at(now, "--now"))


@case.command("list")
@click.option("--workflow", "workflow_name", metavar="W")
@click.option("--state", metavar="S")
@click.option("--overdue", is_flag=True, help="Only cases past their deadline.")
@click.option(
    "--now", "now", metavar="ISO8601", help="Judge deadlines as of this moment."
)
@click.option("--limit", type=click.IntRange(min=1), metavar="N")
@click.option("--offset", type=click.IntRange(min=0), default=0, metavar="N")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_list(
    ctx: Context,
    workflow_name: str | None,
    state: str | None,
    overdue: bool,
    now: str | None,
    limit: int | None,
    offset: int,
    as_json: bool,
) -> None:
    """List cases, oldest first."""
    engine = ctx.engine
    moment = _at(now, "--now") or engine.clock.now()
    if workflow_name is not None:
        engine.registry.get(workflow_name)
    if state is not None:
        _check_state(engine, workflow_name, state)
    selection = CaseFilter(
        workflow=workflow_name,
        state=state,
        limit=limit,
        offset=offset,
        due_before=local_date(moment) if overdue else None,
    )
    if as_json:
        views = engine.list_views(selection)
        click.echo(
            render.dumps(
                [
                    render.case_json(v, now=moment, calendar=engine.calendar)
                    for v in views
                ]
            )
        )
        return
    click.echo(render.cases_text(engine.list_cases(selection), now=moment))


def _check_state(engine: CaseEngine, workflow_name: str | None, state: str) -> None:
    names = [workflow_name] if workflow_name else engine.registry.names()
    known = {s.name for n in names for s in engine.registry.get(n).states}
    if state not in known:
        raise InvalidInputError(
            f"no state {state!r} in {workflow_name or 'any workflow'}; "
            f"known: {', '.join(sorted(known))}"
        )


@case.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def case_import(ctx: Context, file: Path, as_json: bool) -> None:
    """Import cases from JSON lines: one case with its events a line.

    Each case goes in whole or not at all; the summary names what was refused.
    """
    engine = ctx.engine
    lines = _read_lines(file)
    imported: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    show_bar = sys.stderr.isatty() and not as_json
    with click.progressbar(
        lines, label="importing", file=sys.stderr if show_bar else io.StringIO()
    ) as bar:
        for number, text in bar:
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                refused.append(
                    {
                        "line": number,
                        "error": f"not JSON: {exc.msg} (column {exc.colno})",
                    }
                )
                continue
            try:
                view = engine.import_case(record)
            except StorageError:
                raise  # the database failed, not the line: stop (exit 3)
            except EngineError as exc:
                refused.append({"line": number, "error": str(exc)})
                continue
            imported.append(
                {"line": number, "number": view.case.number, "state": view.case.state}
            )
    if as_json:
        click.echo(render.dumps({"imported": imported, "refused": refused}))
    else:
        click.echo(
            f"imported {len(imported)} case{'s' if len(imported) != 1 else ''}, "
            f"refused {len(refused)}"
        )
        for item in imported:
            click.echo(f"  line {item['line']}: {item['number']} ({item['state']})")
        for item in refused:
            click.echo(f"  line {item['line']}: refused: {item['error']}", err=True)
    if refused:
        raise click.exceptions.Exit(1)


def _read_lines(file: Path) -> list[tuple[int, str]]:
    try:
        text = (
            sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        )
    except OSError as exc:
        raise InvalidInputError(f"{file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{file}: not UTF-8 text") from None
    return [
        (i, line) for i, line in enumerate(text.splitlines(), start=1) if line.strip()
    ]


# -- audit -------------------------------------------------------------------------
@cli.group()
def audit() -> None:
    """The record: every step on every case."""


@audit.command("log")
@click.argument("number", required=False)
@click.option("--actor", metavar="ID")
@click.option(
    "--since", metavar="ISO8601", help="Entries effective at or after this time."
)
@click.option("--until", metavar="ISO8601", help="Entries effective before this time.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@pass_ctx
def audit_log(
    ctx: Context,
    number: str | None,
    actor: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
) -> None:
    """Print audit entries, in order of case and step."""
    selection = AuditFilter(
        case_number=number,
        actor=actor,
        since=_at(since, "--since"),
        until=_at(until, "--until"),
    )
    if selection.since and selection.until and selection.since >= selection.until:
        raise InvalidInputError("--since must be before --until")
    entries = ctx.engine.audit_log(selection)
    if fmt == "csv":
        for chunk in render.audit_csv_lines(entries):
            click.echo(chunk, nl=False)
    elif fmt == "json":
        click.echo("[", nl=False)
        for i, row in enumerate(render.audit_rows(entries)):
            click.echo(
                ("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False),
                nl=False,
            )
        click.echo("\n]")
    else:
        for entry in entries:
            click.echo(render.audit_table_line(entry))


# -- entry point -----------------------------------------------------------------
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_STORAGE = 3
EXIT_BUG = 70


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the CLI; turn every error into one line on stderr and an exit code."""
    try:
        # Without standalone mode click *returns* the code of a raised Exit.
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="sagsflow",
            standalone_mode=False,
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
    one_line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    click.echo(f"sagsflow: error: {one_line}", err=True)
    sys.exit(code)
