"""`sagsflow audit ...`: the record."""

from __future__ import annotations

import json

import click

from engine.exceptions import (
    InvalidInputError,
)
from engine.records import AuditFilter
from service import render
from service.context import Context, parse_at, pass_ctx


# -- audit -------------------------------------------------------------------------
@click.group()
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
        since=parse_at(since, "--since"),
        until=parse_at(until, "--until"),
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
