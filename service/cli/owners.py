"""Case owners on the command line: `case assign`, `user away`, the work queues.

See engine/cases/owners.py for who may assign what, and engine/cases/people.py
for absences and where an away owner's notices go.
"""

from __future__ import annotations

import click

from engine.cases.engine import CaseEngine
from engine.dates.timeparse import parse_date
from engine.exceptions import InvalidInputError
from service import present
from service.cli import text
from service.cli.context import Context, parse_at, pass_ctx
from service.cli.show import show_case


def queue_owner(
    engine: CaseEngine,
    owner: str | None,
    *,
    mine: bool,
    actor: str | None,
    unassigned: bool,
) -> str | None:
    """Whose cases `case list` selects: `--owner`, or with `--mine` the actor.

    Raises:
        InvalidInputError: options that do not go together, `--mine` without
            `--actor`.
        UserNotFoundError: an owner who is not a user.
    """
    given = [name for name, on in (("--owner", owner), ("--mine", mine)) if on]
    if unassigned:
        given.append("--unassigned")
    if len(given) > 1:
        raise InvalidInputError(f"{' and '.join(given)} do not go together")
    if mine:
        if not actor:
            raise InvalidInputError("--mine needs --actor ID: whose cases are yours")
        owner = actor
    if owner is not None:
        engine.user(owner)  # an unknown id is an error, not an empty queue
    return owner


@click.command("assign")
@click.argument("number")
@click.argument("owner", metavar="USER")
@click.option("--actor", metavar="ID", help="Who assigns it (see README: Identity).")
@click.option("--reason", metavar="TEXT", help="Why (kept on the record).")
@click.option(
    "--at",
    "at",
    metavar="ISO8601",
    help="Effective time, for back-dated entries (default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_assign(
    ctx: Context,
    number: str,
    owner: str,
    actor: str | None,
    reason: str | None,
    at: str | None,
    as_json: bool,
) -> None:
    """Give case NUMBER to USER (the advisor: any case; a caseworker: an
    unassigned case to themselves, or their own to someone else)."""
    view = ctx.engine.assign_case(
        number, owner, actor=ctx.acting(actor), reason=reason, at=parse_at(at)
    )
    show_case(ctx, view, as_json)


@click.command("away")
@click.argument("user_id", metavar="ID")
@click.option("--from", "starts", required=True, metavar="DATE", help="First day away.")
@click.option("--until", "ends", required=True, metavar="DATE", help="Last day away.")
@click.option("--deputy", metavar="ID", help="Who gets their notices meanwhile.")
@click.option("--actor", metavar="ID", help="Who records it (see README: Identity).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def user_away(
    ctx: Context,
    user_id: str,
    starts: str,
    ends: str,
    deputy: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Record that user ID is away from --from to --until (both days included).

    Meanwhile the notices meant for them as a case's owner go to --deputy, or,
    without one, to the advisor.
    """
    who = ctx.acting(actor)
    absence = ctx.engine.set_away(
        user_id,
        starts=parse_date(starts, what="--from"),
        ends=parse_date(ends, what="--until"),
        deputy=deputy,
        actor=who,
    )
    if as_json:
        click.echo(present.dumps(present.absence_json(absence)))
        return
    click.echo(
        f"{absence.user_id} is away {absence.starts.isoformat()} to "
        f"{absence.ends.isoformat()} (both included); their notices go to "
        f"{absence.deputy or 'the advisor'}"
    )


@click.command("absences")
@click.argument("user_id", metavar="ID", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def user_absences(ctx: Context, user_id: str | None, as_json: bool) -> None:
    """List recorded absences (of user ID)."""
    if user_id is not None:
        ctx.engine.user(user_id)
    found = ctx.engine.absences(user_id)
    if as_json:
        click.echo(present.dumps([present.absence_json(a) for a in found]))
        return
    rows = [
        (a.user_id, a.starts.isoformat(), a.ends.isoformat(), a.deputy or "-")
        for a in found
    ]
    click.echo(text.table(rows, ("user", "from", "until", "deputy")))
