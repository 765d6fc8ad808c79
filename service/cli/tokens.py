"""`sagsflow token ...`: bearer tokens for the HTTP API.

A token is printed once, when it is made, and never again: only its SHA-256
is stored. It acts as its user, with that user's roles.
"""

from __future__ import annotations

import click

from service import present
from service.api import tokens
from service.cli import text
from service.cli.context import Context, pass_ctx


@click.group()
def token() -> None:
    """Bearer tokens for the HTTP API: create, list, revoke."""


@token.command("create")
@click.argument("user_id", metavar="USER")
@click.option(
    "--expires",
    metavar="DATE",
    help="Last day it works (YYYY-MM-DD, to the end of that day in Copenhagen).",
)
@pass_ctx
def token_create(ctx: Context, user_id: str, expires: str | None) -> None:
    """Make a token that acts as USER; it is shown this once only."""
    made, text = tokens.issue(ctx.store, ctx.engine.clock, user_id, expires=expires)
    until = (
        f", until {present.local(made.expires_at)}"
        if made.expires_at
        else ", no expiry"
    )
    click.echo(f"token {made.id} for {made.user_id}{until}", err=True)
    click.echo("store it now: it is not shown again", err=True)
    click.echo(text)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def token_list(ctx: Context, as_json: bool) -> None:
    """List tokens (ids, users, state); never the tokens themselves."""
    now = ctx.engine.clock.now()
    found = tokens.list_tokens(ctx.store)
    if as_json:
        click.echo(
            present.dumps(
                [
                    {
                        "id": t.id,
                        "user": t.user_id,
                        "status": tokens.status(t, now),
                        "created_at": present.iso(t.created_at),
                        "expires_at": present.iso(t.expires_at),
                        "revoked_at": present.iso(t.revoked_at),
                    }
                    for t in found
                ]
            )
        )
        return
    rows = [
        (
            t.id,
            t.user_id,
            tokens.status(t, now),
            present.local(t.created_at),
            present.local(t.expires_at) if t.expires_at else "-",
        )
        for t in found
    ]
    click.echo(text.table(rows, ("id", "user", "status", "created", "expires")))


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@pass_ctx
def token_revoke(ctx: Context, token_id: str) -> None:
    """Revoke a token: from now on it gets 401."""
    revoked = tokens.revoke(ctx.store, ctx.engine.clock, token_id)
    click.echo(f"token {revoked.id} of {revoked.user_id} is revoked")
