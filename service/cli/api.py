"""`sagsflow api`: the HTTP API alone, without the chaser.

`sagsflow serve` runs the same API next to the chaser; this command is for a
process that only answers requests (several may run on PostgreSQL).
"""

from __future__ import annotations

import threading

import click

from engine.exceptions import InvalidInputError
from service import app as composition
from service.cli.context import Context, pass_ctx
from service.serve import connect, stop_on_signals


def api_address(ctx: Context, host: str | None, port: int | None) -> tuple[str, int]:
    """The address from the options, else SAGSFLOW_API_HOST / SAGSFLOW_API_PORT."""
    chosen = port if port is not None else ctx.settings.api_port
    if not 0 <= chosen <= 65535:
        raise InvalidInputError("SAGSFLOW_API_PORT must be a port number, 0 to 65535")
    return host or ctx.settings.api_host, chosen


@click.command("api")
@click.option("--host", metavar="HOST", help="Address to listen on (127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    help="Port to listen on (8000; 0 picks a free one).",
)
@pass_ctx
def api(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve the HTTP API until SIGTERM or Ctrl-C (no chaser: see 'serve')."""
    from service.api.app import create_app  # FastAPI only where it is served
    from service.api.server import ApiServer

    composition.load_registry(ctx.settings)  # refuse to start on a bad template
    address = api_address(ctx, host, port)
    stop = threading.Event()
    with stop_on_signals(stop):
        engine = connect(lambda: ctx.engine, stop=stop)
        if engine is None:
            return
        server = ApiServer(
            create_app(engine=engine, store=ctx.store, settings=ctx.settings),
            host=address[0],
            port=address[1],
            forwarded_allow_ips=ctx.settings.forwarded_allow_ips,
        )
        server.start()
        bound_host, bound_port = server.address
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"sagsflow api listening on http://{shown}:{bound_port}")
        try:
            stop.wait()
        finally:
            server.stop()
