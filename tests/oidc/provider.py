"""A real OpenID provider for the tests: node-oidc-provider, run by Node.js.

`tests/oidc/provider.mjs` runs the certified `oidc-provider` package (the
version in package.json, installed by `npm ci --prefix tests/oidc`, which
.ci/run does) with the machine's `node` on 127.0.0.1. `oidc_provider` is a
session fixture: one provider per pytest-xdist worker that asks for it, with
two confidential clients:

- `sagsflow` (`CLIENT_ID`), sent back to `http://testserver/ui/oidc/callback`
  (the in-process app's TestClient) and to `/ui/oidc/callback` of a port kept
  free for a real `sagsflow api` (`RunningProvider.api_port`);
- `other` (`OTHER_CLIENT_ID`): another relying party of the same provider,
  whose ID tokens must not sign anyone in to sagsflow.

Without `node` or the installed package the fixture skips with the reason,
unless SAGSFLOW_TEST_BROWSER=required (CI sets it): then it fails, as the
browser tests do without Chromium.

The provider keeps its own time (the real clock): `RunningProvider.now()` asks
it (its HTTP `Date`), so a test's FakeClock can stand where the provider's ID
tokens were issued without the test reading the wall clock.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
PACKAGE = HERE / "node_modules" / "oidc-provider" / "package.json"
REQUIRED = os.environ.get("SAGSFLOW_TEST_BROWSER", "").strip().lower() == "required"
WAIT_S = 30.0

CLIENT_ID = "sagsflow"
OTHER_CLIENT_ID = "other"
TEST_SERVER = "https://testserver"  # Starlette's TestClient, as over HTTPS
CALLBACK = "/ui/oidc/callback"
AFTER_LOGOUT = "/ui/login"


def free_port() -> int:
    """A port nothing listens on now (the OS's pick), for a server started later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_and_modules() -> str:
    """The `node` to run the provider with; skips (or fails) without it."""
    node = shutil.which("node")
    if node is None:
        reason = "no `node` on PATH to run the OpenID provider (tests/oidc)"
    elif not PACKAGE.is_file():
        reason = (
            "the OpenID provider's package is not installed: "
            "run `npm ci --prefix tests/oidc`"
        )
    else:
        return node
    if REQUIRED:
        pytest.fail(f"SAGSFLOW_TEST_BROWSER=required but {reason}")
    pytest.skip(reason)


@dataclass
class RunningProvider:
    """A provider process: its issuer URL and sagsflow's client there."""

    issuer: str
    client_secret: str
    other_secret: str
    api_port: int
    process: subprocess.Popen[str]
    stderr: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        """The provider's time, to the second (its HTTP Date header)."""
        answer = httpx2.get(self.issuer + "/.well-known/openid-configuration")
        return parsedate_to_datetime(answer.headers["date"]).astimezone(UTC)

    def metadata(self) -> dict[str, Any]:
        answer = httpx2.get(self.issuer + "/.well-known/openid-configuration")
        found: dict[str, Any] = answer.json()
        return found

    def environment(self, public_url: str) -> dict[str, str]:
        """The SAGSFLOW_* settings that sign in here from `public_url`."""
        return {
            "SAGSFLOW_OIDC_ISSUER": self.issuer,
            "SAGSFLOW_OIDC_CLIENT_ID": CLIENT_ID,
            "SAGSFLOW_OIDC_CLIENT_SECRET": self.client_secret,
            "SAGSFLOW_OIDC_NAME": "Testudbyder",
            "SAGSFLOW_PUBLIC_URL": public_url,
        }


def _clients(client_secret: str, other_secret: str, api_port: int) -> list[object]:
    live = f"http://127.0.0.1:{api_port}"
    return [
        {
            "client_id": CLIENT_ID,
            "client_secret": client_secret,
            "redirect_uris": [TEST_SERVER + CALLBACK, live + CALLBACK],
            "post_logout_redirect_uris": [
                TEST_SERVER + AFTER_LOGOUT,
                live + AFTER_LOGOUT,
            ],
        },
        {
            "client_id": OTHER_CLIENT_ID,
            "client_secret": other_secret,
            "redirect_uris": [TEST_SERVER + "/other/callback"],
        },
    ]


@contextmanager
def run_provider(
    folder: Path,
    *,
    port: int = 0,
    api_port: int | None = None,
    id_token_ttl: int = 3600,
    secrets_: Sequence[str] | None = None,
) -> Iterator[RunningProvider]:
    """The provider on 127.0.0.1:`port` (0: any free one) for the block."""
    node = node_and_modules()
    client_secret, other_secret = secrets_ or (
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
    )
    api_port = api_port or free_port()
    config = folder / f"provider-{secrets.token_hex(4)}.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "clients": _clients(client_secret, other_secret, api_port),
                "id_token_ttl": id_token_ttl,
            }
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [node, str(SCRIPT), str(config)],
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    stderr: list[str] = []

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def read_stderr() -> None:
        assert process.stderr is not None
        stderr.extend(process.stderr)

    readers = [
        threading.Thread(target=reader, daemon=True)
        for reader in (read_stdout, read_stderr)
    ]
    for reader in readers:
        reader.start()
    try:
        try:
            first = lines.get(timeout=WAIT_S)
        except queue.Empty:
            first = None
        if first is None:
            pytest.fail(f"the OpenID provider did not start: {''.join(stderr)}")
        ready = json.loads(first)
        assert ready["event"] == "ready", first
        yield RunningProvider(
            issuer=ready["issuer"],
            client_secret=client_secret,
            other_secret=other_secret,
            api_port=api_port,
            process=process,
            stderr=stderr,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT_S)
        for reader in readers:
            reader.join(timeout=WAIT_S)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture(scope="session")
def oidc_provider(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningProvider]:
    """One provider for the session's tests (each xdist worker its own)."""
    with run_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running
