"""The schema revisions this sagsflow knows, and the one a database is at,
read without Alembic.

Every command checks the schema before it works (`storage.database`), and only
`init` migrates: loading Alembic's machinery (with mako, its dialect modules
and the script directory it parses) cost a command 0.15-0.19 s and a tenth of
that again to find the head. Here the migration files are read as text once:
each names its `revision` and `down_revision` on a line of its own, as
Alembic's template writes them, and the chain they make from `None` to the
head is checked whole (one root, no branch, no gap). The database's revision is
the one row of Alembic's own `alembic_version` table. A test compares both
with Alembic's answers.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from sqlalchemy import Connection, inspect, text

VERSION_TABLE = "alembic_version"  # Alembic's: the revision a database is at

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(None|[\"']([^\"']+)[\"'])", re.M)


@cache
def known_revisions() -> tuple[str, ...]:
    """The revisions of the migration files, oldest first.

    Raises:
        RuntimeError: the files do not make one unbroken chain (a packaging
            error, not a user's).
    """
    parents: dict[str, str | None] = {}
    folder = files("storage") / "migrations" / "versions"
    for item in folder.iterdir():
        if not item.name.endswith(".py") or item.name.startswith("_"):
            continue
        source = item.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            raise RuntimeError(f"migration {item.name} names no revision")
        parents[revision.group(1)] = down.group(2)
    children = {parent: child for child, parent in parents.items()}
    if len(children) != len(parents):
        raise RuntimeError("the migrations branch: two name the same parent")
    chain: list[str] = []
    current = children.get(None)
    while current is not None:
        chain.append(current)
        current = children.get(current)
    if len(chain) != len(parents):
        raise RuntimeError("the migrations do not make one chain from the first")
    return tuple(chain)


def head() -> str:
    """The newest revision this code knows."""
    return known_revisions()[-1]


def database_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions `alembic_version` names (none: no table, or no row)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return tuple(str(row[0]) for row in rows)
