"""`sagsflow user ...`: the people who act on cases, their roles and their state.

Every change goes on the users' hash chain (engine.audit.users) with who made
it and why; the advisor makes them. The first advisor is added before anyone
can act: while the office has no active advisor, `user add` needs no --actor
and is recorded as the installation's (`system`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from engine.cases.staff import UserUpdate
from engine.records import Case, User, UserChange
from engine.workflow.definition import SYSTEM_ACTOR
from service import present
from service.api import tokens
from service.cli import text
from service.cli.commands import USER_COMMANDS
from service.cli.context import Context, pass_ctx
from service.cli.lazy import LazyGroup

_ROLE_HELP = "intake, caseworker, advisor or auditor"


@click.group(cls=LazyGroup, lazy=USER_COMMANDS)
def user() -> None:
    """The people who act on cases: add, list, show, deactivate, roles."""


def _manager(ctx: Context, given: str | None) -> str:
    """Who manages users here: --actor; `system` while there is no advisor."""
    if not given and not any(
        u.active and "advisor" in u.roles for u in ctx.engine.list_users()
    ):
        return SYSTEM_ACTOR
    return ctx.acting(given)


_actor = click.option(
    "--actor", metavar="ID", help="The advisor who makes the change (a user id)."
)
_reason = click.option("--reason", metavar="TEXT", help="Why (goes on the record).")
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@user.command("add")
@click.argument("user_id", metavar="ID")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help=f"{_ROLE_HELP} (repeat for several).",
)
@click.option("--email", metavar="ADDRESS")
@click.option("--name", metavar="TEXT", help="Display name for letters and pages.")
@click.option(
    "--login", metavar="NAME", help="The operating-system login bound to them."
)
@_actor
@_reason
@pass_ctx
def user_add(
    ctx: Context,
    user_id: str,
    roles: tuple[str, ...],
    email: str | None,
    name: str | None,
    login: str | None,
    actor: str | None,
    reason: str | None,
) -> None:
    """Add a user with one or more roles (the advisor does; see --actor)."""
    added = ctx.engine.add_user(
        user_id,
        roles,
        email,
        name=name,
        login=login,
        actor=_manager(ctx, actor),
        reason=reason,
    )
    click.echo(f"added {added.id} ({', '.join(added.roles)})")


@user.command("list")
@_json
@pass_ctx
def user_list(ctx: Context, as_json: bool) -> None:
    """List users, their roles and whether they are active."""
    users = ctx.engine.list_users()
    if as_json:
        click.echo(present.dumps([present.user_json(u) for u in users]))
        return
    rows = [
        (u.id, ", ".join(u.roles), _state(u), u.login or "", u.email or "")
        for u in users
    ]
    click.echo(text.table(rows, ("id", "roles", "state", "login", "email")))


@user.command("show")
@click.argument("user_id", metavar="ID")
@_json
@pass_ctx
def user_show(ctx: Context, user_id: str, as_json: bool) -> None:
    """A user's roles, state, open cases and the history of changes to them."""
    found = ctx.engine.user(user_id)
    history = ctx.engine.user_history(user_id)
    owned = ctx.engine.owned_open_cases(user_id)
    if as_json:
        body = present.user_json(found) | {
            "open_cases": [c.number for c in owned],
            "history": [change_json(c) for c in history],
        }
        click.echo(present.dumps(body))
        return
    lines = [
        f"user      {found.id}" + (f" ({found.name})" if found.name else ""),
        f"state     {_state(found)}",
        f"roles     {', '.join(found.roles)}",
        f"login     {found.login or '-'}",
        f"e-mail    {found.email or '-'}",
        f"cases     {len(owned)} open" + (": " + _numbers(owned) if owned else ""),
    ]
    if owned and not _may_own(found):
        lines.append("          these need a new owner (sagsflow case assign)")
    lines += ["", "history"]
    rows = [
        (
            str(c.seq),
            present.local(c.at),
            c.change,
            c.actor,
            present.via_text(c.via),
            c.reason or "",
        )
        for c in history
    ]
    lines.append(text.table(rows, ("#", "at", "change", "by", "via", "reason")))
    click.echo("\n".join(lines))


@user.command("deactivate")
@click.argument("user_id", metavar="ID")
@_actor
@click.option("--reason", required=True, metavar="TEXT", help="Why (on the record).")
@_json
@pass_ctx
def user_deactivate(
    ctx: Context, user_id: str, actor: str | None, reason: str, as_json: bool
) -> None:
    """Stop user ID from acting anywhere; their tokens are revoked.

    Their page sessions end at their next request, every running service stops
    addressing notices to them from its next sweep, and the open cases they
    own are listed as needing a new owner.
    """
    done = ctx.engine.deactivate_user(user_id, actor=ctx.acting(actor), reason=reason)
    revoked = tokens.revoke_all(ctx.store, ctx.engine.clock, user_id)
    _report(done, as_json, revoked=len(revoked))


@user.command("activate")
@click.argument("user_id", metavar="ID")
@_actor
@_reason
@_json
@pass_ctx
def user_activate(
    ctx: Context, user_id: str, actor: str | None, reason: str | None, as_json: bool
) -> None:
    """Let a deactivated user act again (old tokens stay revoked)."""
    done = ctx.engine.activate_user(user_id, actor=ctx.acting(actor), reason=reason)
    _report(done, as_json)


@user.command("roles")
@click.argument("user_id", metavar="ID")
@click.option("--add", "add", multiple=True, metavar="ROLE", help=_ROLE_HELP)
@click.option("--remove", "remove", multiple=True, metavar="ROLE", help=_ROLE_HELP)
@_actor
@_reason
@_json
@pass_ctx
def user_roles(
    ctx: Context,
    user_id: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    actor: str | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Give user ID roles (--add) and take roles away (--remove)."""
    done = ctx.engine.change_roles(
        user_id, add=add, remove=remove, actor=ctx.acting(actor), reason=reason
    )
    _report(done, as_json)


@user.command("login")
@click.argument("user_id", metavar="ID")
@click.argument("login", metavar="NAME", required=False)
@click.option("--clear", is_flag=True, help="Unbind the login user ID has.")
@_actor
@_reason
@_json
@pass_ctx
def user_login(
    ctx: Context,
    user_id: str,
    login: str | None,
    clear: bool,
    actor: str | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Bind the operating-system login NAME to user ID (SAGSFLOW_CLI_IDENTITY)."""
    if (login is None) == (not clear):
        raise click.UsageError("give the login NAME, or --clear, not both")
    done = ctx.engine.bind_login(user_id, login, actor=ctx.acting(actor), reason=reason)
    _report(done, as_json)


@user.command("name")
@click.argument("user_id", metavar="ID")
@click.argument("name", metavar="TEXT")
@_actor
@_reason
@_json
@pass_ctx
def user_name(
    ctx: Context,
    user_id: str,
    name: str,
    actor: str | None,
    reason: str | None,
    as_json: bool,
) -> None:
    """Set the display name letters and pages show for user ID."""
    done = ctx.engine.rename_user(user_id, name, actor=ctx.acting(actor), reason=reason)
    _report(done, as_json)


def change_json(change: UserChange) -> dict[str, Any]:
    return {
        "seq": change.seq,
        "change": change.change,
        "actor": change.actor,
        "at": present.iso(change.at),
        "reason": change.reason,
        "via": change.via,
        "state": change.state,
        "hash": change.hash,
    }


def _report(done: UserUpdate, as_json: bool, *, revoked: int | None = None) -> None:
    if as_json:
        body = present.user_json(done.user) | {
            "change": change_json(done.change),
            "needs_new_owner": [c.number for c in done.orphaned],
        }
        if revoked is not None:
            body["tokens_revoked"] = revoked
        click.echo(present.dumps(body))
        return
    u = done.user
    said = {
        "deactivated": f"deactivated {u.id}",
        "activated": f"activated {u.id}",
        "roles": f"{u.id} now holds {', '.join(u.roles)}",
        "login": f"{u.id} is bound to login {u.login}"
        if u.login
        else f"{u.id} has no login bound",
        "name": f"{u.id} is shown as {u.name}" if u.name else f"{u.id} has no name",
    }[done.change.change]
    if revoked:
        said += f"; {revoked} token{'s' if revoked != 1 else ''} revoked"
    click.echo(said)
    if done.orphaned:
        click.echo(
            f"{len(done.orphaned)} open case{'s' if len(done.orphaned) != 1 else ''} "
            f"need a new owner (sagsflow case assign): {_numbers(done.orphaned)}"
        )


def _state(u: User) -> str:
    return "active" if u.active else "deactivated"


def _may_own(u: User) -> bool:
    return u.active and bool({"caseworker", "advisor"} & set(u.roles))


def _numbers(cases: Sequence[Case]) -> str:
    return ", ".join(c.number for c in cases)
