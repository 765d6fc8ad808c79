"""`sagsflow token ...`: bearer tokens for the HTTP API.

A token is printed once, when it is made, and never again: only its SHA-256 is
stored. It works for `SAGSFLOW_TOKEN_DAYS` days (365) unless `--expires` names
its last day or `--no-expiry` asks for one that works until revoked. It acts
as its user, with that user's roles. A token is made or revoked by its user or
by an advisor: under `SAGSFLOW_CLI_IDENTITY=login` that is the login's bound
user; otherwise `--actor` when given (believed, as everywhere on the command
line without login binding).
"""

from __future__ import annotations

from datetime import timedelta

import click

from engine.exceptions import InvalidInputError, NotAllowedError, UserDeactivatedError
from engine.records import User
from service import present
from service.api import tokens
from service.cli import text
from service.cli.context import Context, pass_ctx

MAX_TOKEN_DAYS = 36500  # a hundred years; "never" is --no-expiry


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
@click.option(
    "--no-expiry",
    is_flag=True,
    help="It works until revoked (else SAGSFLOW_TOKEN_DAYS days, 365).",
)
@click.option("--actor", metavar="ID", help="Who makes it: USER or an advisor.")
@pass_ctx
def token_create(
    ctx: Context,
    user_id: str,
    expires: str | None,
    no_expiry: bool,
    actor: str | None,
) -> None:
    """Make a token that acts as USER; it is shown this once only.

    It works for SAGSFLOW_TOKEN_DAYS days (365), to the end of --expires DATE,
    or with --no-expiry until it is revoked.
    """
    lifetime = token_lifetime(ctx.settings.token_days)
    if no_expiry and expires is not None:
        raise InvalidInputError("give --expires DATE or --no-expiry, not both")
    _may_handle(ctx, actor, user_id)
    made, text = tokens.issue(
        ctx.store,
        ctx.engine.clock,
        user_id,
        expires=expires,
        lifetime=None if no_expiry else lifetime,
    )
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
@click.option("--actor", metavar="ID", help="Who revokes it: its user or an advisor.")
@pass_ctx
def token_revoke(ctx: Context, token_id: str, actor: str | None) -> None:
    """Revoke a token: from now on it gets 401."""
    found = {t.id: t for t in tokens.list_tokens(ctx.store)}.get(token_id)
    if found is not None:
        _may_handle(ctx, actor, found.user_id)
    revoked = tokens.revoke(ctx.store, ctx.engine.clock, token_id)
    click.echo(f"token {revoked.id} of {revoked.user_id} is revoked")


def token_lifetime(days: int) -> timedelta:
    """`SAGSFLOW_TOKEN_DAYS` as a lifetime (Settings hold -1 for a bad value).

    Raises:
        InvalidInputError: not a whole number of days from 1 to MAX_TOKEN_DAYS.
    """
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInputError(
            f"SAGSFLOW_TOKEN_DAYS must be a whole number of days, 1 to {MAX_TOKEN_DAYS}"
        )
    return timedelta(days=days)


def _may_handle(ctx: Context, actor: str | None, user_id: str) -> None:
    """Check that whoever acts may make or revoke `user_id`'s tokens.

    Raises:
        NotAllowedError: someone other than the user or an active advisor.
        UserNotFoundError, UserDeactivatedError: an unknown or deactivated actor.
    """
    who = ctx.who(actor)
    if who is None or who == user_id:
        if who is not None:
            _active(ctx, who)
        return
    acting = _active(ctx, who)
    if "advisor" not in acting.roles:
        raise NotAllowedError(
            f"user {who!r} may not handle {user_id!r}'s tokens: "
            "a token is made or revoked by its user or an advisor"
        )


def _active(ctx: Context, user_id: str) -> User:
    found = ctx.engine.user(user_id)
    if not found.active:
        raise UserDeactivatedError(user_id)
    return found
