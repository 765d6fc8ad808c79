"""The API as a real process: `sagsflow api` (or `serve`) on a SQLite file.

`prepare(folder)` makes a database with `sagsflow init`, adds one user per
role and makes each a token with `sagsflow token create` (once per module:
tests get copies); `live_api` starts `sagsflow api --port 0` on a copy and
waits (bounded) for its `api_started` log line, which names the port. The
process's JSON log lines (stderr) are read by a thread into a queue; waits are
on that queue or on the process, each with a timeout; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.service.conftest import copy_database

REPO_ROOT = Path(__file__).resolve().parents[2]
SAGSFLOW = Path(sys.executable).with_name("sagsflow")  # the console script
WAIT_S = 60.0
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


def parse(line: str) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        return {"event": None, "raw": line}
    return event if isinstance(event, dict) else {"event": None, "raw": line}


class Process:
    """A `sagsflow` process, its stderr read line by line into a queue."""

    def __init__(self, env: Mapping[str, str], argv: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            [str(SAGSFLOW), *argv],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self.stdout = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def events(self) -> list[dict[str, Any]]:
        return [parse(line) for line in list(self.stderr)]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT_S
    ) -> dict[str, Any]:
        """Read log lines until one satisfies `predicate`; fail on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                pytest.fail(f"no such log line within {timeout}s:\n{self.tail()}")
            if line is None:
                pytest.fail(f"the process exited early:\n{self.tail()}")
            event = parse(line)
            if predicate(event):
                return event

    def wait_for_event(self, name: str) -> dict[str, Any]:
        return self.wait_for(lambda e: e.get("event") == name)

    def terminate(self, timeout: float = WAIT_S) -> int:
        """SIGTERM, then the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.close()
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT_S)
        for reader in self._readers:
            reader.join(timeout=WAIT_S)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def tail(self, lines: int = 30) -> str:
        return "".join(self.stderr[-lines:])


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
    cli(env, "init")
    for user, role in ROLES.items():
        cli(env, "user", "add", user, "--role", role)
    tokens = {user: cli(env, "token", "create", user).stdout.strip() for user in ROLES}
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
