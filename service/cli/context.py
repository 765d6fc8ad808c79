"""What every command gets: the settings, and the engine built on first use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import click

from engine.cases.engine import CaseEngine
from engine.dates.timeparse import parse_instant
from service import app as composition
from service.settings import Settings
from storage import SqlCaseStore


@dataclass(slots=True)
class Context:
    settings: Settings
    _store: SqlCaseStore | None = None
    _engine: CaseEngine | None = None

    @property
    def store(self) -> SqlCaseStore:
        """The database the settings name, opened on first use."""
        if self._store is None:
            self._store = composition.open_store(self.settings)
        return self._store

    @property
    def engine(self) -> CaseEngine:
        """The case engine on `store`, built on first use."""
        if self._engine is None:
            self._engine = composition.build_engine(self.settings, store=self.store)
        return self._engine

    def acting(self, given: str | None) -> str:
        """Who acts: `--actor` as given (see README: Identity).

        Raises:
            click.UsageError: no `--actor`.
        """
        if not given:
            raise click.UsageError("give --actor ID (who does it)")
        return given

    def close(self) -> None:
        """Close the database connections the command opened (its pool)."""
        if self._store is not None:
            self._store.engine.dispose()


pass_ctx = click.make_pass_decorator(Context)


def parse_at(text: str | None, option: str = "--at") -> datetime | None:
    """An option's ISO 8601 time, or None when not given."""
    return parse_instant(text, what=option) if text is not None else None


def reader(actor: str | None) -> str:
    """Who is reading: `--actor`, else the operating-system login as `os:NAME`."""
    if actor:
        return actor
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):
        return "os:unknown"
