"""The API as a real process: `sagsflow api` (or `serve`) on a SQLite file.

`prepare(folder)` makes a database with `sagsflow init`, adds one user per
role and makes each a token with `sagsflow token create` (the command line run
in-process, `setup_cli`: setting up needs no new interpreter; once per module:
tests get copies); `live_api` starts `sagsflow api --port 0` on a copy and
waits (bounded) for its `api_started` log line, which names the port. The
process is waited on through its log lines (tests/processes.py).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

from tests.processes import SAGSFLOW, WAIT_S, SagsflowProcess
from tests.service.conftest import copy_database, run_quietly

REPO_ROOT = Path(__file__).resolve().parents[3]
ROLES = {"bra": "advisor", "jur": "caseworker", "ind": "intake", "rev": "auditor"}


def environment(db_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        SAGSFLOW_DATABASE_URL=f"sqlite:///{db_path}",
        SAGSFLOW_LOG_FORMAT="json",
        SAGSFLOW_LOG_LEVEL="info",
        **extra,
    )
    return env


def cli(env: Mapping[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """The console script, run to the end; it must succeed."""
    done = subprocess.run(
        [str(SAGSFLOW), *argv],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def setup_cli(env: Mapping[str, str], *argv: str) -> str:
    """A command on `env`'s database, run in-process to set a test up; its output.

    The same command line as the console script's, without starting Python
    again for each command (about two seconds a command on a busy machine).
    """
    done = run_quietly("--db", env["SAGSFLOW_DATABASE_URL"], *argv)
    assert done.code == 0, done.err
    return done.out


class Process(SagsflowProcess):
    """A `sagsflow` process (`api`, `serve`) on the environment given."""

    def __init__(self, env: Mapping[str, str], argv: Sequence[str]) -> None:
        super().__init__(env, argv)


@dataclass
class LiveApi:
    """A running API: its URL, a token per user, its process and database."""

    base_url: str
    tokens: dict[str, str]
    process: Process
    db_path: Path
    env: dict[str, str]
    clients: dict[str, httpx2.Client] = field(default_factory=dict)

    def client(self, user: str | None = None) -> httpx2.Client:
        """A client sending `user`'s token (none for None)."""
        key = user or ""
        if key not in self.clients:
            headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
            self.clients[key] = httpx2.Client(
                base_url=self.base_url, headers=headers, timeout=WAIT_S
            )
        return self.clients[key]


@dataclass(frozen=True)
class Prepared:
    """A database made by `sagsflow init` with a user per role and their tokens."""

    db_path: Path
    tokens: dict[str, str]

    def copy(self, folder: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
        """A copy of the database in `folder` (the tokens work on it too)."""
        target = folder / "sagsflow.db"
        copy_database(self.db_path, target)
        return target, environment(target), dict(self.tokens)


def prepare(folder: Path) -> Prepared:
    """`sagsflow init`, `user add` per role, `token create` per user."""
    db_path = folder / "sagsflow.db"
    env = environment(db_path)
    setup_cli(env, "init")
    for user, role in ROLES.items():
        by = () if user == "bra" else ("--actor", "bra")
        setup_cli(env, "user", "add", user, "--role", role, *by)
    tokens = {user: setup_cli(env, "token", "create", user).strip() for user in ROLES}
    return Prepared(db_path=db_path, tokens=tokens)


@contextlib.contextmanager
def live_api(prepared: Prepared, folder: Path, *argv: str) -> Iterator[LiveApi]:
    """`sagsflow api --port 0` (or `argv`) on a copy of `prepared`, for the block."""
    db_path, env, tokens = prepared.copy(folder)
    process = Process(env, argv or ("api", "--port", "0"))
    live = None
    try:
        started = process.wait_for_event("api_started")
        live = LiveApi(
            base_url=f"http://127.0.0.1:{started['port']}",
            tokens=tokens,
            process=process,
            db_path=db_path,
            env=env,
        )
        yield live
    finally:
        if live is not None:
            for client in live.clients.values():
                client.close()
        process.close()
