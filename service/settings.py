"""Settings: built once, from the environment, by the composition root.

Nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///sagsflow.db"


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Everything sagsflow can be configured with.

    Attributes:
        database_url: `SAGSFLOW_DATABASE_URL`; default a SQLite file in the
            working directory.
        workflow_paths: `SAGSFLOW_WORKFLOWS`, extra workflow files or folders
            (separated by the OS path separator) besides the bundled ones.
        calendar_file: `SAGSFLOW_CALENDAR`, the office calendar (YAML); default
            the Danish default calendar.
        log_format: `SAGSFLOW_LOG_FORMAT`, `json` or `console`.
        log_level: `SAGSFLOW_LOG_LEVEL`; the CLI logs warnings only by default.
        sqlite_synchronous: `SAGSFLOW_SQLITE_SYNCHRONOUS`, FULL (default) or NORMAL.
    """

    database_url: str = DEFAULT_DATABASE_URL
    workflow_paths: tuple[Path, ...] = ()
    calendar_file: Path | None = None
    log_format: str = "console"
    log_level: str = "WARNING"
    sqlite_synchronous: str = "FULL"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        paths = environ.get("SAGSFLOW_WORKFLOWS", "")
        calendar = environ.get("SAGSFLOW_CALENDAR", "").strip()
        return cls(
            database_url=environ.get("SAGSFLOW_DATABASE_URL", "").strip()
            or DEFAULT_DATABASE_URL,
            workflow_paths=tuple(Path(p) for p in paths.split(os.pathsep) if p.strip()),
            calendar_file=Path(calendar) if calendar else None,
            log_format=environ.get("SAGSFLOW_LOG_FORMAT", "console").strip().lower(),
            log_level=environ.get("SAGSFLOW_LOG_LEVEL", "WARNING").strip(),
            sqlite_synchronous=environ.get("SAGSFLOW_SQLITE_SYNCHRONOUS", "FULL")
            .strip()
            .upper(),
        )

    def with_database(self, url: str | None) -> Settings:
        return replace(self, database_url=url) if url else self
