"""The command line's fixtures for `sagsflow demo` (demo/cli.py), from tests/service.

`run` runs `sagsflow` in-process on a fresh database with no `SAGSFLOW_*`
variable of the outer environment (see tests/service/conftest.py).
"""

from __future__ import annotations

from tests.service import conftest as cli

_clean_environment = cli._clean_environment
db_path = cli.db_path
db_url = cli.db_url
run = cli.run
closed_port = cli.closed_port
initialised = cli.initialised
