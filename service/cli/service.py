"""`sagsflow sweep`, `sagsflow outbox ...` and `sagsflow serve`: the chaser's side."""

from __future__ import annotations

import threading

import click
import structlog

from engine.exceptions import InvalidInputError
from engine.records import NotificationStatus
from service import app as composition
from service import present
from service.cli import text
from service.cli.api import api_address
from service.cli.context import Context, parse_at, pass_ctx
from service.housekeeping import daily_job
from service.serve import Service, connect, run, stop_on_signals

log = structlog.get_logger()


@click.command()
@click.option("--now", "now", metavar="ISO8601", help="Sweep as of this moment.")
@click.option(
    "--force", is_flag=True, help="Sweep even on a closed day or in the quiet hours."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def sweep(ctx: Context, now: str | None, force: bool, as_json: bool) -> None:
    """One pass of the chaser: fire the next rung of every overdue case."""
    chaser = composition.build_chaser(ctx.settings, ctx.engine)
    result = chaser.sweep(parse_at(now, "--now"), force=force)
    if as_json:
        click.echo(
            present.dumps(
                {
                    "examined": result.examined,
                    "chased": [
                        {
                            "number": c.number,
                            "rung": c.rung,
                            "due": c.due,
                            "new_due": c.new_due,
                            "working_days_overdue": c.working_days_overdue,
                            "chaser_lag_working_days": c.chaser_lag_working_days,
                        }
                        for c in result.chased
                    ],
                    "skipped": result.skipped,
                }
            )
        )
        return
    if result.skipped:
        click.echo(f"no sweep: {result.skipped} (--force sweeps anyway)")
        return
    click.echo(f"examined {result.examined}, chased {len(result.chased)}")
    for c in result.chased:
        late = f", overdue by {c.working_days_overdue} working day(s)"
        nxt = f", new deadline {c.new_due}" if c.new_due else ", last rung"
        click.echo(f"  {c.number}  {c.rung}  (deadline {c.due}{nxt}{late})")


@click.group()
def outbox() -> None:
    """Letters and notices waiting to go out, sent, or failed."""


@outbox.command("list")
@click.option("--status", type=click.Choice(NotificationStatus.ALL))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def outbox_list(ctx: Context, status: str | None, as_json: bool) -> None:
    """List the outbox, oldest first."""
    with ctx.store.transaction(write=False) as tx:
        items = tx.list_notifications(status=status)
    if as_json:
        click.echo(present.dumps([present.notification_json(n) for n in items]))
        return
    rows = [
        (
            str(n.id),
            n.case_number,
            n.status,
            str(n.attempts),
            n.channel,
            n.recipient,
            n.subject,
            n.last_error or "",
        )
        for n in items
    ]
    headers = ("id", "case", "status", "tries", "channel", "to", "subject", "error")
    click.echo(text.table(rows, headers))


@outbox.command("dispatch")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def outbox_dispatch(ctx: Context, as_json: bool) -> None:
    """One delivery pass over what is due."""
    result = composition.build_dispatcher(ctx.settings, ctx.engine).dispatch()
    summary = {
        "sent": result.sent,
        "retrying": result.retrying,
        "failed": result.failed,
    }
    if as_json:
        click.echo(present.dumps(summary))
    else:
        click.echo(", ".join(f"{k} {v}" for k, v in summary.items()))


@outbox.command("retry")
@click.argument("notification_id", metavar="ID", type=int)
@pass_ctx
def outbox_retry(ctx: Context, notification_id: int) -> None:
    """Put a failed notification back in line for the next delivery pass."""
    n = composition.build_dispatcher(ctx.settings, ctx.engine).retry(notification_id)
    click.echo(f"notification {n.id} to {n.recipient} is pending again")


@click.command()
@click.option(
    "--interval",
    type=float,
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How often to sweep and deliver.",
)
@click.option(
    "--api/--no-api",
    "with_api",
    default=True,
    show_default=True,
    help="Serve the HTTP API in this process too.",
)
@click.option("--api-host", metavar="HOST", help="The API's address (127.0.0.1).")
@click.option(
    "--api-port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    help="The API's port (8000; 0 picks a free one).",
)
@pass_ctx
def serve(
    ctx: Context,
    interval: float,
    with_api: bool,
    api_host: str | None,
    api_port: int | None,
) -> None:
    """Run the chaser, the dispatcher and the HTTP API until SIGTERM or Ctrl-C."""
    if interval <= 0:
        raise InvalidInputError("--interval must be more than 0 seconds")
    composition.load_registry(ctx.settings)  # refuse to start on a bad template
    address = api_address(ctx, api_host, api_port) if with_api else None
    stop = threading.Event()
    with stop_on_signals(stop):  # a SIGTERM while waiting for the database stops
        engine = connect(lambda: ctx.engine, stop=stop)
    if engine is None:
        return
    service = Service(
        chaser=composition.build_chaser(ctx.settings, engine),
        dispatcher=composition.build_dispatcher(ctx.settings, engine),
        clock=engine.clock,
        daily=daily_job(ctx.settings, lambda: ctx.engine),
    )
    server = None
    if address is not None:
        from service.api.app import create_app  # FastAPI only where it is served
        from service.api.metrics import Metrics
        from service.api.server import ApiServer

        metrics = Metrics(store=engine.store, clock=engine.clock)
        service.on_sweep = metrics.observe_sweep
        app = create_app(
            engine=engine,
            store=ctx.store,
            settings=ctx.settings,
            metrics=metrics,
            scheduler_running=service.timer_running,
        )
        server = ApiServer(
            app,
            host=address[0],
            port=address[1],
            forwarded_allow_ips=ctx.settings.forwarded_allow_ips,
        )
    code = run(service, interval=interval, stop=stop, companion=server)
    raise click.exceptions.Exit(code)
