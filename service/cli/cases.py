"""`sagsflow case ...`: open, fire, show, list and import cases."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from engine.dates.calendars import local_date
from engine.exceptions import (
    EngineError,
    InvalidInputError,
    StorageError,
)
from engine.explain.case import explain
from engine.records import CaseFilter, Party
from service import present
from service.cli import text
from service.cli.commands import CASE_COMMANDS
from service.cli.context import Context, parse_at, pass_ctx
from service.cli.documents import FILE_OPTION, file_content, letters_rendered
from service.cli.lazy import LazyGroup
from service.cli.owners import queue_owner
from service.cli.search import list_found
from service.cli.show import language, speaking
from service.cli.show import show_case as _show


# -- cases -------------------------------------------------------------------------
@click.group(cls=LazyGroup, lazy=CASE_COMMANDS)
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


@case.command("open")
@click.argument("workflow_name", metavar="WORKFLOW")
@click.option(
    "--actor", metavar="ID", help="Who opens it (a user id; see README: Identity)."
)
@click.option("--title", required=True, metavar="TEXT")
@click.option("--party", "parties", multiple=True, metavar="ROLE=NAME")
@click.option("--party-email", "party_emails", multiple=True, metavar="ROLE=ADDRESS")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE")
@click.option(
    "--document", metavar="TITLE", help="Journal a document with the opening."
)
@FILE_OPTION
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Effective time, for back-dated entries (default: now).",
)
@click.option(
    "--owner",
    metavar="ID",
    help="Whose desk it lies on (default: the opener when a caseworker).",
)
@click.option("--unassigned", is_flag=True, help="Open it without an owner.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_open(
    ctx: Context,
    workflow_name: str,
    actor: str | None,
    title: str,
    parties: tuple[str, ...],
    party_emails: tuple[str, ...],
    data: tuple[str, ...],
    document: str | None,
    file: Path | None,
    at: str | None,
    owner: str | None,
    unassigned: bool,
    as_json: bool,
) -> None:
    """Open a case on WORKFLOW."""
    if not as_json:
        language(ctx)  # an unknown SAGSFLOW_LANGUAGE is refused before the write
    who = ctx.acting(actor)
    content = file_content(ctx, file)
    names = _pairs(parties, "--party")
    emails = _pairs(party_emails, "--party-email")
    for role in emails:
        if role not in names:
            raise InvalidInputError(
                f"--party-email {role}=...: give --party {role}=NAME too"
            )
    view = ctx.engine.open_case(
        workflow_name,
        actor=who,
        title=title,
        parties=[Party(role=r, name=n, email=emails.get(r)) for r, n in names.items()],
        data=_pairs(data, "--data"),
        document=document,
        at=parse_at(at),
        owner=owner,
        unassigned=unassigned,
        content=content,
    )
    _show(ctx, letters_rendered(ctx, view), as_json)


@case.command("fire")
@click.argument("number")
@click.argument("event")
@click.option(
    "--actor", metavar="ID", help="Who does it (a user id; see README: Identity)."
)
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE")
@click.option("--document", metavar="TITLE", help="Journal a document with the event.")
@FILE_OPTION
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
    actor: str | None,
    data: tuple[str, ...],
    document: str | None,
    file: Path | None,
    at: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Apply EVENT to case NUMBER (with --file, --document's content)."""
    if not as_json:
        language(ctx)  # an unknown SAGSFLOW_LANGUAGE is refused before the write
    content = file_content(ctx, file)
    view = ctx.engine.fire(
        number,
        event,
        actor=ctx.acting(actor),
        data=_pairs(data, "--data"),
        document=document,
        at=parse_at(at),
        expected_version=expect_version,
        content=content,
    )
    _show(ctx, letters_rendered(ctx, view), as_json)


@case.command("show")
@click.argument("number")
@click.option(
    "--now", "now", metavar="ISO8601", help="Judge deadlines as of this moment."
)
@click.option(
    "--actor", metavar="ID", help="Who reads (logged); default: your login name."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_show(
    ctx: Context, number: str, now: str | None, actor: str | None, as_json: bool
) -> None:
    """Show a case: state, deadline, parties, documents and history."""
    moment = parse_at(now, "--now")
    if not as_json:
        language(ctx)  # an unknown SAGSFLOW_LANGUAGE is refused before the read
    who = ctx.reading(actor)
    view = ctx.engine.show(number)
    ctx.engine.record_read(actor=who, action="case_show", number=number)
    _show(ctx, view, as_json, moment)


@case.command("list")
@click.option("--workflow", "workflow_name", metavar="W")
@click.option("--state", metavar="S")
@click.option("--overdue", is_flag=True, help="Only cases past their deadline.")
@click.option(
    "--now", "now", metavar="ISO8601", help="Judge deadlines as of this moment."
)
@click.option("--owner", metavar="ID", help="Only this user's cases.")
@click.option("--unassigned", is_flag=True, help="Only cases without an owner.")
@click.option("--mine", is_flag=True, help="Only the acting user's (--actor) cases.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N")
@click.option("--offset", type=click.IntRange(min=0), default=0, metavar="N")
@click.option(
    "--actor",
    metavar="ID",
    help="Who reads (with --json or --search, each case's read is logged); "
    "default: your login.",
)
@click.option(
    "--search",
    metavar="TEXT",
    help="Find cases by number, title words or a name instead, best first "
    "(each found logged as read).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_list(
    ctx: Context,
    workflow_name: str | None,
    state: str | None,
    overdue: bool,
    now: str | None,
    owner: str | None,
    unassigned: bool,
    mine: bool,
    limit: int | None,
    offset: int,
    actor: str | None,
    search: str | None,
    as_json: bool,
) -> None:
    """List cases, oldest first.

    With --json each case comes with its parties and record, and its read is
    logged, as `case show`'s is. With --search, the cases the text finds
    (service/cli/search.py).
    """
    engine = ctx.engine
    moment = parse_at(now, "--now") or engine.clock.now()
    if actor is not None or mine:
        actor = ctx.who(actor)  # SAGSFLOW_CLI_IDENTITY=login: the login's user
    if search is not None:
        filters = {"--workflow": workflow_name, "--state": state, "--overdue": overdue}
        filters |= {"--owner": owner, "--unassigned": unassigned, "--mine": mine}
        list_found(
            ctx,
            search,
            others=filters | {"--offset": offset},
            limit=limit,
            actor=actor,
            now=moment,
            as_json=as_json,
        )
        return
    if workflow_name is not None:
        engine.registry.get(workflow_name)
    if state is not None:
        engine.registry.check_state(state, workflow_name)
    selection = CaseFilter(
        workflow=workflow_name,
        state=state,
        limit=limit,
        offset=offset,
        due_before=local_date(moment) if overdue else None,
        owner=queue_owner(engine, owner, mine=mine, actor=actor, unassigned=unassigned),
        unassigned=unassigned,
        # a work queue holds the open cases: a closed case keeps its owner
        not_in_states=(
            engine.registry.closed_states()
            if owner or mine or unassigned
            else frozenset()
        ),
    )
    if as_json:  # streamed: every case of a large office would not fit in memory
        views = engine.views(selection, reader=ctx.reading(actor))
        cases = (
            present.case_json(
                v, now=moment, calendar=engine.calendar, age=engine.age(v.case, moment)
            )
            for v in views
        )
        for piece in present.dumps_array(cases):
            click.echo(piece, nl=False)
        click.echo()
        return
    listed = engine.list_cases(selection)
    aged = ((c.number, engine.age(c, moment)) for c in listed)
    ages = {number: age for number, age in aged if age is not None}
    click.echo(text.cases_text(listed, now=moment, ages=ages, speaking=speaking(ctx)))


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
        click.echo(present.dumps({"imported": imported, "refused": refused}))
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


@case.command("explain")
@click.argument("number")
@click.option("--now", "now", metavar="ISO8601", help="Explain as of this moment.")
@pass_ctx
def case_explain(ctx: Context, number: str, now: str | None) -> None:
    """Why a case is in its state, how its deadline was set, and what comes next."""
    engine = ctx.engine
    view = engine.show(number)
    definition = engine.definition(view.case.workflow, view.case.workflow_version)
    moment = parse_at(now, "--now") or engine.clock.now()
    chosen = language(ctx)
    for line in explain(
        definition,
        view.case,
        view.history,
        engine.calendar,
        moment,
        language=chosen,
        labels=engine.registry.labels(view.case.workflow),
    ):
        click.echo(line)
