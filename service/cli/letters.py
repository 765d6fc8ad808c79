"""`sagsflow case letter`: preview the letter an event would write, as PDF."""

from __future__ import annotations

from pathlib import Path

import click

from engine.exceptions import InvalidInputError
from service.cli.cases import _pairs
from service.cli.context import Context, parse_at, pass_ctx
from service.letter_preview import preview_letter


@click.command("letter")
@click.argument("number")
@click.argument("event")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE")
@click.option("--at", "at", metavar="ISO8601", help="Date the letter as of this time.")
@click.option(
    "--actor",
    metavar="ID",
    help="Check the event's roles for this user (default: no role check).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE.pdf",
    help="Where to write the PDF.",
)
@pass_ctx
def case_letter(
    ctx: Context,
    number: str,
    event: str,
    data: tuple[str, ...],
    at: str | None,
    actor: str | None,
    out: Path,
) -> None:
    """Write to FILE.pdf the letter EVENT would write on case NUMBER.

    EVENT is an event allowed in the case's state, or a reminder of its
    ladder (e.g. reminder_1). Nothing is fired and nothing is written to the
    database but the access log's line for the read (a letter shows the
    case's personal data); the letter carries the document number it would get.
    """
    who = ctx.who(actor)
    preview = preview_letter(
        ctx.engine,
        ctx.settings,
        number=number,
        event=event,
        data=_pairs(data, "--data"),
        at=parse_at(at),
        actor=who,
    )
    ctx.engine.record_read(
        actor=ctx.reading(actor), action="case_letter", number=number
    )
    try:
        out.write_bytes(preview.pdf)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(
        f"{out}: letter {preview.document_number} from {preview.template} "
        "(a preview: nothing was fired or journalised)"
    )
