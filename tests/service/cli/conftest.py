"""The founding case awaiting its close, for the letters' tests.

Built once per session from examples/founding-case.jsonl (as
examples/founding-case.sh replays it), then copied into each test's database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.conftest import copy_database, run_quietly

ROOT = Path(__file__).parents[3]
FOUNDING = ROOT / "examples" / "founding-case.jsonl"
OFFICE = ROOT / "examples" / "office.yaml"
NUMBER = "2024-0283489"


@pytest.fixture(scope="session")
def assessed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: the founding case imported, its reply received on Sunday
    10 November 2024; its caseworker jur is shown as Jens Jurist."""
    path = tmp_path_factory.mktemp("founding") / "sagsflow.db"

    def run(*argv: str) -> None:
        code, _, err = run_quietly("--db", f"sqlite:///{path}", *argv)
        assert (code, err) == (0, ""), err

    run("init")
    run("user", "add", "bra", "--role", "advisor")
    run("user", "add", "jur", "--role", "caseworker", "--actor", "bra")
    run("user", "name", "jur", "Jens Jurist", "--actor", "bra")
    run("case", "import", str(FOUNDING))
    run(
        *("case", "fire", NUMBER, "receive_reply", "--actor", "jur"),
        *("--document", "Svar fra Socialforvaltningen"),
        *("--at", "2024-11-10T12:00:00+01:00"),
    )
    return path


@pytest.fixture
def assessed(
    assessed_template: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The founding case awaiting its close, in `run`'s database, with the
    example office file."""
    copy_database(assessed_template, db_path)
    monkeypatch.setenv("SAGSFLOW_OFFICE_FILE", str(OFFICE))
    return db_path
