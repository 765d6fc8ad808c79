"""The demo's fixtures: the default office-year, and the command line's.

`office_url` is the default office (900 cases, seed 1) up to START, made once
for the session: its tests only read it. Times come from a FakeClock
standing at NOW. `run` runs `sagsflow` in-process on a fresh database with no
`SAGSFLOW_*` variable of the outer environment (see tests/service/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from demo.office import generate_office
from engine.testing import FakeClock
from service.settings import Settings
from tests.service import conftest as cli

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
START = date(2026, 3, 2)  # a Monday: the office's record ends on Sunday 1 March
FAST = Settings(sqlite_synchronous="NORMAL")  # temporary files: no need to fsync

_clean_environment = cli._clean_environment
db_path = cli.db_path
db_url = cli.db_url
run = cli.run
closed_port = cli.closed_port
initialised = cli.initialised


@pytest.fixture(scope="session")
def office_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default office-year (900 cases, seed 1), made once; read only."""
    url = f"sqlite:///{tmp_path_factory.mktemp('office') / 'office.db'}"
    generate_office(url, start=START, clock=FakeClock(NOW), settings=FAST)
    return url
