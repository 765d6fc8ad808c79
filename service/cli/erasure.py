"""`case erase` and `retention run`: a closed case's personal data, forgotten.

See engine/cases/erasing.py for what is erased and what is refused, and
engine/cases/retention.py for when a workflow's retention rule is due.
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from engine.cases.retention import DueErasure
from engine.dates.calendars import local_date
from engine.exceptions import InvalidInputError
from service.cli.context import Context, parse_at, pass_ctx


@click.command("erase")
@click.argument("number")
@click.option(
    "--actor", metavar="ID", help="Who erases (the advisor; see README: Identity)."
)
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why (the request, the law)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def case_erase(
    ctx: Context, number: str, actor: str | None, reason: str, as_json: bool
) -> None:
    """Erase a closed case's personal data; its record stays and still verifies."""
    done = ctx.engine.erase_case(number, actor=ctx.acting(actor), reason=reason)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "case": number,
                    "erased": list(done.erased),
                    "entry": done.case.version,
                    "notifications": done.notifications,
                    "storage": done.storage,
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(
        f"case {number}: personal data erased ({', '.join(done.erased) or 'nothing'}"
        f"), recorded as entry {done.case.version}"
    )
    if done.notifications:
        click.echo(f"  {done.notifications} notification(s) had it replaced")
    click.echo(f"  storage: {done.storage}")


@click.group()
def retention() -> None:
    """Erase personal data whose workflow's retention rule has run out."""


@retention.command("run")
@click.option(
    "--now",
    "now",
    metavar="ISO8601",
    help="Judge the rules as of this moment (a later one only with --dry-run).",
)
@click.option("--dry-run", is_flag=True, help="List what is due; erase nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def retention_run(ctx: Context, now: str | None, dry_run: bool, as_json: bool) -> None:
    """Erase every closed case due under its workflow's retention rule."""
    engine = ctx.engine
    clock = engine.clock.now()
    moment: datetime = parse_at(now, "--now") or clock
    if moment > clock and not dry_run:
        raise InvalidInputError(
            "--now lies in the future: personal data is erased when its rule says, "
            "not before (use --dry-run to see what a later run would erase)"
        )
    done, refused, storage = engine.run_retention(
        today=local_date(moment), dry_run=dry_run
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "as_of": local_date(moment).isoformat(),
                    "dry_run": dry_run,
                    "due" if dry_run else "erased": [_item(d) for d in done],
                    "refused": [{**_item(d), "why": why} for d, why in refused],
                    "storage": storage,
                },
                ensure_ascii=False,
            )
        )
    else:
        verb = "due" if dry_run else "erased"
        click.echo(
            f"retention as of {local_date(moment).isoformat()}: {len(done)} {verb}"
        )
        for item in done:
            click.echo(
                f"  {item.number}  {item.state} since {item.entered_on}  {item.rule}"
            )
        for item, why in refused:
            click.echo(f"  {item.number}  refused: {why}")
        if storage:
            click.echo(f"  storage: {storage}")
    if refused:
        raise SystemExit(1)


def _item(item: DueErasure) -> dict[str, object]:
    return {
        "case": item.number,
        "workflow": f"{item.workflow}@{item.workflow_version}",
        "state": item.state,
        "entered_on": item.entered_on.isoformat(),
        "due_on": item.due_on.isoformat(),
        "rule": item.rule,
    }
