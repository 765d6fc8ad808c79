"""A `sagsflow` command run as a real OS process, waited on through its log.

Its JSON log lines (stderr) are read by a thread into a queue; every wait is
on that queue or on the process, with a timeout, and nothing sleeps. Shared by
the API's process tests (tests/service/api/process.py) and the service's
(tests/service/serving.py).
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

SAGSFLOW = Path(sys.executable).with_name("sagsflow")  # the console script
WAIT_S = 60.0  # the most any single wait may take before the test fails


def parse_line(line: str) -> dict[str, Any]:
    """A JSON log line as a dict; anything else (a traceback) kept as `raw`."""
    try:
        event = json.loads(line)
    except ValueError:
        return {"event": None, "raw": line}
    return event if isinstance(event, dict) else {"event": None, "raw": line}


class SagsflowProcess:
    """`sagsflow ARGV...`, its stderr read line by line into a queue."""

    def __init__(
        self, env: Mapping[str, str], argv: Sequence[str], cwd: Path | None = None
    ) -> None:
        self.argv = tuple(argv)
        self.proc = subprocess.Popen(
            [str(SAGSFLOW), *argv],
            cwd=cwd,
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
        self._lines.put(None)  # end of file: the process is gone

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout.read()

    def events(self) -> list[dict[str, Any]]:
        return [parse_line(line) for line in list(self.stderr)]

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
                pytest.fail(f"sagsflow {self.argv[0]} exited early:\n{self.tail()}")
            event = parse_line(line)
            if predicate(event):
                return event

    def wait_for_event(self, name: str) -> dict[str, Any]:
        return self.wait_for(lambda e: e.get("event") == name)

    def wait_for_count(self, name: str, count: int, timeout: float = WAIT_S) -> None:
        seen = 0

        def counted(event: dict[str, Any]) -> bool:
            nonlocal seen
            seen += event.get("event") == name
            return seen >= count

        self.wait_for(counted, timeout)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or rolled back politely."""
        self.proc.kill()
        self.close()

    def terminate(self, timeout: float = WAIT_S) -> int:
        """SIGTERM, then the exit code."""
        self.sigterm()
        code = self.proc.wait(timeout=timeout)
        self.close()
        return code

    def sigterm(self) -> None:
        """SIGTERM, without waiting (`terminate_all` stops several side by side)."""
        self.proc.send_signal(signal.SIGTERM)

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


def terminate_all(
    processes: Sequence[SagsflowProcess], timeout: float = WAIT_S
) -> list[int]:
    """SIGTERM to each, then their exit codes: they shut down side by side."""
    for process in processes:
        process.sigterm()
    codes = [process.proc.wait(timeout=timeout) for process in processes]
    for process in processes:
        process.close()
    return codes
