"""Who is at the keyboard: the operating-system login, and what `--actor` may say.

`SAGSFLOW_CLI_IDENTITY` (service.settings) says how far the command line
believes `--actor`:

- `believed` (the default): `--actor ID` is who acts, as given; a command
  that writes needs it. A logged read without it is `os:LOGIN`'s.
- `login`: the login running the command must be bound to a user (`sagsflow
  user login ID NAME`, or `user add ... --login NAME`); that user acts and
  reads. `--actor` may be left out or name that same user; any other user,
  an unbound login, and a deactivated user are refused (exit 1), before
  anything is read or written.

Either way every entry and logged read records the login (`engine.via`:
`{"channel": "cli", "login": ...}`).

The login is the name of the account the process runs as, looked up from its
user id in the system's account database (`os_login`). The `LOGNAME` and
`USER` variables, which `getpass.getuser` prefers, are not read: whoever starts
the process sets them, so they would let anyone type any login. What this
proves, and what it does not: README, "Identity: who acts and how they sign in".
"""

from __future__ import annotations

import os
import pwd

from engine.exceptions import InvalidInputError, NotAllowedError, UserDeactivatedError
from engine.records import User
from engine.workflow.definition import SYSTEM_ACTOR

BELIEVED = "believed"
LOGIN = "login"
MODES = (BELIEVED, LOGIN)
UNKNOWN = "unknown"  # the login recorded when the system cannot say it


def os_login(uid: int | None = None) -> str | None:
    """The login of the account with user id `uid` (default: this process's
    real user id), or None when the account database has no such account (a
    container run under a bare numeric id)."""
    try:
        return pwd.getpwuid(os.getuid() if uid is None else uid).pw_name
    except KeyError:
        return None


def check_mode(mode: str) -> str:
    """`mode` when it is one of `MODES`.

    Raises:
        InvalidInputError: anything else (an office that meant `login` and
            typed something else must not silently get `believed`).
    """
    if mode not in MODES:
        raise InvalidInputError(
            f"SAGSFLOW_CLI_IDENTITY must be {BELIEVED!r} (--actor as given) or "
            f"{LOGIN!r} (the login's bound user), not {mode!r}"
        )
    return mode


def bound_user(login: str | None, user: User | None, given: str | None) -> User:
    """The user bound to `login` (`user`, as the store has it), checked as
    acting under `SAGSFLOW_CLI_IDENTITY=login`, where `--actor` said `given`.

    Raises:
        NotAllowedError: the login is unknown, bound to nobody, or `given`
            names another user.
        UserDeactivatedError: the bound user is deactivated.
    """
    if login is None:
        raise NotAllowedError(
            "SAGSFLOW_CLI_IDENTITY=login, but the operating system names no "
            "login for this process's user id: run sagsflow under a named account"
        )
    if user is None:
        raise NotAllowedError(
            f"the login {login!r} is bound to no sagsflow user; an advisor binds "
            f"it: sagsflow user login ID {login} --actor ADVISOR"
        )
    if given and given != user.id:
        raise NotAllowedError(
            f"the login {login!r} is bound to user {user.id!r} and acts as "
            f"{user.id!r} only, not as {given!r} (SAGSFLOW_CLI_IDENTITY=login)"
        )
    if not user.active:
        raise UserDeactivatedError(user.id)
    return user


def refuse_system(given: str | None) -> None:
    """Refuse `--actor system`: the scheduler's own actor is nobody's to type.

    Raises:
        InvalidInputError: `given` is `system`.
    """
    if given == SYSTEM_ACTOR:
        raise InvalidInputError(
            f"{SYSTEM_ACTOR!r} is the scheduler's own actor; act as yourself"
        )
