"""How a step came in: the command line, the HTTP API, the pages, or the scheduler.

Every audit entry (from chain version 4 on), every change to the users and
every logged read records its `via`, a small JSON object:

    {"channel": "cli", "login": "jdoe"}        the operating-system login
    {"channel": "api", "token": "3f9a0c1b2d4e"}   the bearer token's public id
    {"channel": "pages", "session": "…"}       the page session's public id
    {"channel": "system"}                      the scheduler (the `system` user)

The way in sets it for the work it does (`entering`): the command line for
its command, the API's gate for one request, the pages' gate for one request.
Code that writes the record reads `current()`; the scheduler's own steps are
`SYSTEM` whatever surrounds them. Library use with no way in set records
`{"channel": "engine"}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from engine.records import JsonDict

SYSTEM: JsonDict = {"channel": "system"}
ENGINE: JsonDict = {"channel": "engine"}

_CURRENT: ContextVar[JsonDict | None] = ContextVar("sagsflow_via", default=None)


def cli(login: str) -> JsonDict:
    return {"channel": "cli", "login": login}


def api(token_id: str) -> JsonDict:
    return {"channel": "api", "token": token_id}


def pages(session_id: str) -> JsonDict:
    return {"channel": "pages", "session": session_id}


def current(actor: str | None = None) -> JsonDict:
    """How the work now under way came in (`SYSTEM` for the `system` actor)."""
    if actor == "system":
        return dict(SYSTEM)
    found = _CURRENT.get()
    return dict(found) if found is not None else dict(ENGINE)


@contextmanager
def entering(via: JsonDict) -> Iterator[None]:
    """Record `via` for what is done inside the block (this context only)."""
    token = _CURRENT.set(dict(via))
    try:
        yield
    finally:
        _CURRENT.reset(token)
