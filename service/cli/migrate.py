"""`sagsflow workflow migrate`: move open cases to a newer workflow version.

What moves and what is refused is `engine.cases.migrating`'s; this prints it.
A run that leaves a case behind (listed with why) exits 1, so a deploy script
notices; the cases listed as moving moved, each on its own.
"""

from __future__ import annotations

from datetime import date

import click

from engine.cases.migrating import Migration
from engine.cases.migrations import Move
from engine.exceptions import InvalidInputError
from engine.workflow.labels import Spoken
from service import present
from service.cli import text
from service.cli.context import Context, pass_ctx
from service.cli.show import speaking
from service.cli.words import Words


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise InvalidInputError(f"--map {pair}: give OLD_STATE=NEW_STATE")
        if old in found:
            raise InvalidInputError(f"--map {old}=...: given twice")
        found[old] = new
    return found


@click.command("migrate")
@click.argument("name")
@click.option(
    "--to",
    "to_version",
    required=True,
    type=click.IntRange(min=1),
    metavar="VERSION",
    help="The newer version to move the cases to (recorded, or declared in a file).",
)
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="OLD=NEW",
    help="Put cases in OLD_STATE into NEW_STATE (repeat for more states).",
)
@click.option(
    "--case",
    "numbers",
    multiple=True,
    metavar="NUMBER",
    help="Only this case (repeat for more); default: every open case of NAME "
    "on an older version.",
)
@click.option("--dry-run", is_flag=True, help="List what would happen; move nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--actor", metavar="ID", help="Who migrates (the advisor; see README: Identity)."
)
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why (the law that changed)."
)
@pass_ctx
def workflow_migrate(
    ctx: Context,
    name: str,
    to_version: int,
    pairs: tuple[str, ...],
    numbers: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    actor: str | None,
    reason: str,
) -> None:
    """Move open cases of NAME to a newer version: each case all or nothing,
    with a `migrate` entry; a case that cannot move is listed and stays."""
    done = ctx.engine.migrate(
        name,
        to_version=to_version,
        mapping=_mapping(pairs),
        numbers=numbers,
        actor=ctx.acting(actor),
        reason=reason,
        dry_run=dry_run,
    )
    if as_json:
        click.echo(present.dumps(_json(done)))
    else:
        _print(done, speaking(ctx)(name))
    if done.refused:
        raise click.exceptions.Exit(1)


def _json(done: Migration) -> dict[str, object]:
    return {
        "workflow": done.workflow,
        "to_version": done.to_version,
        "mapping": dict(done.mapping),
        "dry_run": done.dry_run,
        "moved" if not done.dry_run else "would_move": len(done.moved),
        "not_moved": len(done.refused),
        "cases": [m.said() for m in done.moves],
    }


def _print(done: Migration, spoken: Spoken) -> None:
    w = Words(spoken.language)
    rows = [_row(m, spoken, w) for m in done.moves]
    click.echo(text.table(rows, w.heads("migrate.head")))
    said = spoken.workflow(done.workflow)
    key = "migrate.would" if done.dry_run else "migrate.moved"
    click.echo(
        w(key, workflow=said, n=len(done.moved), version=done.to_version)
        + (w("migrate.left", n=len(done.refused)) if done.refused else "")
        + (w("migrate.dry") if done.dry_run else "")
    )


def _row(move: Move, spoken: Spoken, w: Words) -> tuple[str, ...]:
    state = spoken.state(move.state)
    if not move.moves:
        why = w("migrate.refused", why=move.refused)
        return (move.number, f"v{move.from_version}", state, _day(move.due_before), why)
    if move.new_state != move.state:
        state = f"{state} → {spoken.state(str(move.new_state))}"
    due = _day(move.due_before)
    if move.due_after != move.due_before:
        due = f"{due} → {_day(move.due_after)}"
    return (move.number, f"v{move.from_version}", state, due, "")


def _day(day: date | None) -> str:
    return day.isoformat() if day else "-"
