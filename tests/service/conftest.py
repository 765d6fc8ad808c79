"""Fixtures for command-line tests: run `sagsflow` in-process on a fresh database.

`run(*argv)` calls `service.cli.main.main` with `--db sqlite:///<tmp>/sagsflow.db` and
returns `(code, out, err)`. No `SAGSFLOW_*` variable from the outer environment
reaches it. The CLI reads the real clock, so back-dated `--at` times in 2024 are
fine and times in the future are refused.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pytest
import structlog

from engine.logs import configure_logging
from engine.workflow.registry import WorkflowRegistry
from service.cli.main import main
from tests.service.servers import AnyPortController
from tests.service.serving import (
    Inbox,
    JsonLog,
    founding_record,
    inquiry_record,
    new_database,
)

USERS = {
    "bra": "advisor",  # the Borgerrådgiver
    "jur": "caseworker",  # the case's lawyer (jurist)
    "rev": "auditor",
    "ind": "intake",
}

Snapshot = dict[str, list[tuple[Any, ...]]]


class Result(NamedTuple):
    code: int
    out: str
    err: str


class Run(Protocol):
    def __call__(self, *argv: str, db: str | None = ...) -> Result: ...


def snapshot(db_path: Path) -> Snapshot:
    """Every table of the SQLite database at `db_path`, rows sorted, opened read-only.

    Refuses (rather than creates) a database that does not exist.
    """
    assert db_path.exists(), f"no database at {db_path}"
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }


def count(db_path: Path, sql: str) -> int:
    """The single integer `sql` returns on the database at `db_path`."""
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        value = conn.execute(sql).fetchone()[0]
    assert isinstance(value, int)
    return value


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database consistently (the backup API, WAL included)."""
    uri = f"{source.resolve().as_uri()}?mode=ro"
    with (
        contextlib.closing(sqlite3.connect(uri, uri=True)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def run_quietly(*argv: str) -> Result:
    """Run the CLI in-process without capsys (for fixtures wider than a test).

    The environment is cleaned and the root logger restored as for `run`.
    """
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("SAGSFLOW_"):
                mp.delenv(name)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                main(list(argv))
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - main always exits
            raise AssertionError("main() returned instead of exiting")
        finally:
            for handler in [h for h in root.handlers if h not in handlers]:
                root.removeHandler(handler)
                handler.close()
            root.setLevel(level)
    assert isinstance(code, int), f"exit code {code!r} is not a number"
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No SAGSFLOW_* setting leaks in; the root logger is restored afterwards."""
    for name in list(os.environ):
        if name.startswith("SAGSFLOW_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sagsflow.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def run(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process: `run("case", "list")` -> (code, out, err).

    `db=` names another database URL; `db=None` passes no `--db` at all.
    """

    def _run(*argv: str, db: str | None = db_url) -> Result:
        capsys.readouterr()  # start from empty buffers
        args = (["--db", db] if db is not None else []) + list(argv)
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - main always exits
            pytest.fail("main() returned instead of exiting")
        captured = capsys.readouterr()
        assert isinstance(code, int), f"exit code {code!r} is not a number"
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def initialised(run: Run, db_path: Path) -> Path:
    """A database made by `init`, with bra (advisor), jur, rev and ind; its path."""
    code, _, err = run("init")
    assert (code, err) == (0, "")
    for user_id, role in USERS.items():
        by = () if user_id == "bra" else ("--actor", "bra")
        code, out, err = run("user", "add", user_id, "--role", role, *by)
        assert (code, err) == (0, ""), err
        assert out == f"added {user_id} ({role})\n"
    return db_path


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# -- the service: its JSON log, an SMTP inbox ------------------------------------
@pytest.fixture
def json_log() -> JsonLog:
    """Render every log line as JSON into memory, at INFO, caching nothing.

    The service conftest restores the root logger afterwards, and the top-level
    conftest resets structlog; no logger is cached meanwhile, so later tests
    that use `capture_logs` are not affected.
    """
    log = JsonLog()
    configure_logging(json=True, level="INFO", stream=log.stream)
    structlog.configure(cache_logger_on_first_use=False)
    return log


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = AnyPortController(
        inbox, hostname="127.0.0.1", port=0, ready_timeout=5.0
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


# -- an office of overdue inquiries and the founding case --------------------------
OFFICE_CASES = 1_200


@pytest.fixture(scope="session")
def overdue_office(
    tmp_path_factory: pytest.TempPathFactory, registry: WorkflowRegistry
) -> Path:
    """A SQLite office, built once per session: founding case plus 1,200 inquiries.

    Every inquiry's reply was due 6 Nov 2024 and none came, so each is due its
    first reminder: twelve of the chaser's batches of 100, three for each of
    the four workers of tests/service/test_scale_out.py. Built through the demo
    office's bulk store (the rows the per-transaction import writes, in a few
    batches). Tests copy the file (or its content), never change it.
    """
    path = tmp_path_factory.mktemp("office") / "office.db"
    records = [founding_record(), *(inquiry_record(i) for i in range(OFFICE_CASES))]
    new_database(path, records, registry, synchronous="NORMAL", bulk=True)  # set-up
    return path
