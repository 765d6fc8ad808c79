"""What every command gets: the settings, the login, and the engine built on
first use; and who acts or reads (`acting`, `reading`: service.cli.identity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import click

from engine.cases.engine import CaseEngine
from engine.dates.timeparse import parse_instant
from service import app as composition
from service.cli import identity
from service.settings import Settings
from storage import SqlCaseStore


@dataclass(slots=True)
class Context:
    settings: Settings
    # The operating-system login running the command (identity.os_login), None
    # when the system names none. Tests hand one in through `main(login=...)`.
    login: str | None = None
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
        """Who acts in a command that writes: `--actor` as given, or under
        `SAGSFLOW_CLI_IDENTITY=login` the login's bound user (service.cli.identity).

        Raises:
            click.UsageError: no `--actor` (believed).
            InvalidInputError: `--actor system`.
            NotAllowedError: (login) an unknown or unbound login, or an
                `--actor` naming another user.
            UserDeactivatedError: (login) the bound user is deactivated.
        """
        identity.refuse_system(given)
        if self.settings.cli_identity == identity.LOGIN:
            return self._bound(given)
        if not given:
            raise click.UsageError("give --actor ID (who does it)")
        return given

    def reading(self, given: str | None) -> str:
        """Who reads, for the access log: `--actor`, else `os:LOGIN`; under
        `SAGSFLOW_CLI_IDENTITY=login` the login's bound user.

        Raises:
            NotAllowedError, UserDeactivatedError: as `acting` (login).
        """
        return self.who(given) or f"os:{self.login or identity.UNKNOWN}"

    def who(self, given: str | None) -> str | None:
        """The user the command is done as, when there is one: `--actor` as
        given (None without), or under `SAGSFLOW_CLI_IDENTITY=login` the
        login's bound user.

        Raises:
            NotAllowedError, UserDeactivatedError: as `acting` (login).
        """
        if self.settings.cli_identity == identity.LOGIN:
            return self._bound(given)
        return given

    def _bound(self, given: str | None) -> str:
        found = self.engine.user_by_login(self.login) if self.login else None
        return identity.bound_user(self.login, found, given).id

    def close(self) -> None:
        """Close the database connections the command opened (its pool)."""
        if self._store is not None:
            self._store.engine.dispose()


pass_ctx = click.make_pass_decorator(Context)


def parse_at(text: str | None, option: str = "--at") -> datetime | None:
    """An option's ISO 8601 time, or None when not given."""
    return parse_instant(text, what=option) if text is not None else None
