"""W7 api: the HTTP API over keep-alive connections, next to a bare floor.

The office: a demo office of `OFFICE_CASES` cases (`demo.generate_office`, the
bulk path) on a SQLite file, and a token for its advisor (`bra`) made with
`service.api.tokens.issue`. Each server gets its own copy of it (sqlite3's
backup API), so what one writes the other never reads.

Competitors, each a process serving on 127.0.0.1, port 0:

* sagsflow: `sagsflow --db sqlite:///... api --port 0` (the console script,
  its defaults: SQLite WAL, `synchronous=FULL`, one `api_request` log line a
  request, JSON logs read from its stderr). GET `/cases/{number}` (the case
  as `case show --json` prints it; the read is recorded in `access_entry`),
  POST `/cases/{number}/documents` `{"title", "direction": "note"}` (the
  `note` event: a sealed audit entry and a journalised document).
* floor: a bare ASGI app (`floor_app`: no framework, no auth) on the same
  server, uvicorn, with the same options `ApiServer` gives it and a socket
  bound by the same code (`service.api.server._bind`, so both have
  `TCP_NODELAY`). GET: one `SELECT * FROM wf_case WHERE number = ?` through
  plain `sqlite3`, the row as JSON; POST: the body parsed, one INSERT into a
  table of its own and COMMIT (WAL, `synchronous=FULL`).
* floor, the read logged: the floor's GET plus one INSERT and COMMIT, as
  sagsflow records every read of a case (`?read=logged`; GET phases only).

Clients: `http.client` keep-alive connections, one a thread, 1 and 4 at once.
Each client sends `WARMUP` requests first (not timed), waits for the others,
then sends N (the size); each request is timed with `time.perf_counter` from
send to the body read. requests/s is all clients' N over the wall time from
the start to the last answer; p50 and p99 are over every timed request.
GET and POST go to the office's open cases in turn (the same numbers on both
servers; spread so, a run's notes add about 30 to each case at N = 2,000);
phases are interleaved: each phase runs on sagsflow, then the floor.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.report import header, table
from bench.w1_lifecycle import quiet_logging

DEFAULT_SIZES = (2_000,)  # requests per client
QUICK_SIZES = (50,)
OFFICE_CASES = 300
CLIENTS = (1, 4)
WARMUP = 20
QUICK_WARMUP = 5
ADVISOR = "bra"  # the demo office's advisor (demo.people)
START = date(2026, 3, 2)  # the office's record ends the day before: fixed, not today
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT_S = 60.0
SAGSFLOW = [str(Path(sys.executable).with_name("sagsflow"))]  # the console script
ROOT = Path(__file__).resolve().parent.parent

SAGS = "sagsflow api"
FLOOR = "floor (uvicorn + bare ASGI + sqlite3)"
FLOOR_LOGGED = "floor, the read logged (+ INSERT, COMMIT)"
NOTE_TABLE = "w7_note"
READ_TABLE = "w7_read"
LOGGED = "read=logged"  # the floor's query string for a GET that logs the read

Phase = tuple[str, int]  # ("GET" | "POST", clients)


# -- the office ----------------------------------------------------------------------
def build_office(path: Path) -> tuple[list[str], str]:
    """The demo office at `path`; its open cases' numbers and the advisor's token."""
    from demo.office import generate_office
    from engine.clock import SystemClock
    from engine.testing import FakeClock
    from service.api import tokens
    from service.settings import Settings
    from storage import SqlCaseStore, create_db_engine

    url = f"sqlite:///{path}"
    generate_office(
        url,
        cases=OFFICE_CASES,
        start=START,
        clock=FakeClock(NOW),
        settings=Settings(sqlite_synchronous="NORMAL"),
    )
    db = create_db_engine(url, create=False)
    try:
        _, token = tokens.issue(SqlCaseStore(db), SystemClock(), ADVISOR)
    finally:
        db.dispose()
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            f"CREATE TABLE {NOTE_TABLE} (id INTEGER PRIMARY KEY, case_number TEXT"
            " NOT NULL, title TEXT NOT NULL, direction TEXT, at TEXT NOT NULL)"
        )
        conn.execute(
            f"CREATE TABLE {READ_TABLE} (id INTEGER PRIMARY KEY, case_number TEXT"
            " NOT NULL, at TEXT NOT NULL)"
        )
        conn.commit()
        numbers = [
            number
            for (number,) in conn.execute(
                "SELECT number FROM wf_case WHERE state != 'closed' ORDER BY number"
            )
        ]
    finally:
        conn.close()
    if len(numbers) < 10:
        raise RuntimeError(f"the office has {len(numbers)} open cases, too few")
    return numbers, token


def _copy(template: Path, target: Path) -> None:
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


# -- the servers ---------------------------------------------------------------------
class Served:
    """A server process; its port, read from its output by a thread."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], event: str) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.tail: list[str] = []
        self._ports: queue.Queue[int | None] = queue.Queue()
        self._event = event
        threading.Thread(target=self._read, daemon=True).start()
        try:
            port = self._ports.get(timeout=WAIT_S)
        except queue.Empty:
            port = None
        if port is None:
            self.close()
            raise RuntimeError(f"{argv[0]} did not start: {''.join(self.tail)[-2000:]}")
        self.port = port

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:  # drained to the end: the server never blocks
            self.tail = [*self.tail[-20:], line]
            try:
                said = json.loads(line)
            except ValueError:
                continue
            if isinstance(said, dict) and said.get("event") == self._event:
                self._ports.put(int(said["port"]))
        self._ports.put(None)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(WAIT_S)


def sagsflow_server(db: Path) -> Served:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env.update(SAGSFLOW_LOG_FORMAT="json", SAGSFLOW_LOG_LEVEL="info")
    argv = [*SAGSFLOW, "--db", f"sqlite:///{db}", "api", "--port", "0"]
    return Served(argv, env, "api_started")


def floor_server(db: Path) -> Served:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    return Served([sys.executable, "-m", "bench.w7_api", str(db)], env, "floor_started")


def floor_app(db: Path) -> Any:
    """The floor: GET a case's row as JSON, POST a note as one INSERT + COMMIT."""
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.row_factory = sqlite3.Row

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        parts = scope["path"].split("/")  # "", "cases", number[, "documents"]
        status, out = 404, b'{"title":"not found"}'
        if scope["method"] == "GET" and len(parts) == 3 and parts[1] == "cases":
            row = conn.execute(
                "SELECT * FROM wf_case WHERE number = ?", (parts[2],)
            ).fetchone()
            if row is not None:
                status, out = 200, json.dumps(dict(row)).encode()
            if row is not None and scope["query_string"] == LOGGED.encode():
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f"INSERT INTO {READ_TABLE} (case_number, at) VALUES (?, ?)",
                    (parts[2], datetime.now(UTC).isoformat()),
                )
                conn.execute("COMMIT")
        elif scope["method"] == "POST" and len(parts) == 4 and parts[3] == "documents":
            said = json.loads(body)
            at = datetime.now(UTC).isoformat()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                f"INSERT INTO {NOTE_TABLE} (case_number, title, direction, at)"
                " VALUES (?, ?, ?, ?)",
                (parts[2], said["title"], said.get("direction"), at),
            )
            conn.execute("COMMIT")
            status, out = 200, json.dumps({"number": parts[2], "at": at}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(out)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": out})

    return app


def serve_floor(db: Path) -> None:
    """The floor's process: uvicorn as `ApiServer` configures it, on its socket."""
    import uvicorn

    from service.api.server import _bind

    sock = _bind("127.0.0.1", 0)
    config = uvicorn.Config(
        floor_app(db),
        proxy_headers=False,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="h11",
        ws="none",
        server_header=False,
    )
    server = uvicorn.Server(config)
    port = sock.getsockname()[1]
    print(json.dumps({"event": "floor_started", "port": port}), file=sys.stderr)
    sys.stderr.flush()
    server.run(sockets=[sock])


# -- the clients ---------------------------------------------------------------------
Request = Callable[[int], tuple[str, bytes | None]]  # i: (path, body)


def requests_for(
    method: str, numbers: Sequence[str], client: int, query: str = ""
) -> Request:
    """The next open case each time, each client from its own: GET it, or
    POST a note to it (so no one case's journal grows long)."""
    if method == "GET":
        tail = f"?{query}" if query else ""

        def get(i: int) -> tuple[str, bytes | None]:
            return f"/cases/{numbers[(client * 7 + i) % len(numbers)]}{tail}", None

        return get

    def post(i: int) -> tuple[str, bytes | None]:
        said = {"title": f"Telefonnotat W7 {i}", "direction": "note"}
        number = numbers[(client * 7 + i) % len(numbers)]
        return f"/cases/{number}/documents", json.dumps(said).encode()

    return post


def _client(
    port: int,
    method: str,
    request: Request,
    token: str,
    counts: tuple[int, int],
    start: threading.Barrier,
    timings: list[float],
) -> None:
    warmup, n = counts
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
    try:
        for i in range(warmup + n):
            if i == warmup:
                start.wait(WAIT_S)
            path, body = request(i)
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            took = time.perf_counter() - began
            if response.status != 200:
                raise RuntimeError(
                    f"{method} {path}: {response.status} {answer[:300]!r}"
                )
            if i >= warmup:
                timings.append(took)
    finally:
        connection.close()


def drive(
    port: int,
    token: str,
    phase: Phase,
    numbers: Sequence[str],
    counts: tuple[int, int],
    query: str = "",
) -> tuple[float, list[float]]:
    """One phase: (requests/s, each timed request's seconds)."""
    method, clients = phase
    start = threading.Barrier(clients + 1)
    timings: list[list[float]] = [[] for _ in range(clients)]
    failures: list[BaseException] = []

    def work(c: int) -> None:
        try:
            request = requests_for(method, numbers, c, query)
            _client(port, method, request, token, counts, start, timings[c])
        except BaseException as exc:
            failures.append(exc)
            start.abort()

    threads = [
        threading.Thread(target=work, args=(c,), daemon=True) for c in range(clients)
    ]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):  # a client failed: reported below
        start.wait(WAIT_S)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"W7 {method} x{clients}: {failures[0]}")
    every = [t for per in timings for t in per]
    return len(every) / wall, every


# -- the run -------------------------------------------------------------------------
COMPETITORS = (  # (label, server, the floor's query string)
    (SAGS, SAGS, ""),
    (FLOOR, FLOOR, ""),
    (FLOOR_LOGGED, FLOOR, LOGGED),  # GET only
)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def servers(template: Path, folder: Path, run: int) -> Iterator[dict[str, Served]]:
    """Both servers, each on a fresh copy of the office, for the block."""
    started: dict[str, Served] = {}
    try:
        for name, make in ((SAGS, sagsflow_server), (FLOOR, floor_server)):
            db = folder / f"{'sagsflow' if name == SAGS else 'floor'}-{run}.db"
            _copy(template, db)
            started[name] = make(db)
        yield started
    finally:
        for served in started.values():
            served.close()


def run(sizes: Sequence[int], runs: int, *, quick: bool = False) -> None:
    quiet_logging()
    warmup = QUICK_WARMUP if quick else WARMUP
    phases: list[Phase] = [(m, c) for c in CLIENTS for m in ("GET", "POST")]
    print(header("W7 api"))
    print(
        f"settings: a demo office of {OFFICE_CASES} cases on SQLite (WAL, "
        f"synchronous=FULL), a copy for each server; requests per client: "
        f"{', '.join(f'{n:,}' for n in sizes)} after {warmup} not timed; clients "
        f"{', '.join(map(str, CLIENTS))} (http.client keep-alive, a thread each); "
        f"runs={runs}; phases interleaved"
    )
    with tempfile.TemporaryDirectory(prefix="sagsflow-w7-") as tmp:
        folder = Path(tmp)
        template = folder / "office.db"
        began = time.perf_counter()
        numbers, token = build_office(template)
        took = time.perf_counter() - began
        print(f"  office built in {took:.1f} s: {len(numbers)} open cases")
        for n in sizes:
            rates: dict[tuple[str, Phase], list[float]] = {}
            timings: dict[tuple[str, Phase], list[float]] = {}
            for r in range(runs):
                with servers(template, folder, r) as started:
                    for phase in phases:
                        for name, server, query in COMPETITORS:
                            if query and phase[0] != "GET":
                                continue
                            port = started[server].port
                            counts = (warmup, n)
                            rate, each = drive(
                                port, token, phase, numbers, counts, query
                            )
                            rates.setdefault((name, phase), []).append(rate)
                            timings.setdefault((name, phase), []).extend(each)
            _report(n, phases, rates, timings)


def _report(
    n: int,
    phases: Sequence[Phase],
    rates: dict[tuple[str, Phase], list[float]],
    timings: dict[tuple[str, Phase], list[float]],
) -> None:
    rows = []
    for method, clients in phases:
        for name in (SAGS, FLOOR, FLOOR_LOGGED):
            key = (name, (method, clients))
            if key not in rates:
                continue
            rows.append(
                [
                    f"{method} x{clients}",
                    name,
                    f"{statistics.median(rates[key]):,.0f}",
                    _ms(_percentile(timings[key], 0.50)),
                    _ms(_percentile(timings[key], 0.99)),
                ]
            )
    print(f"\nW7 N={n:,} requests per client: requests/s (median of runs), ms")
    print(table(["phase", "server", "requests/s", "p50 ms", "p99 ms"], rows))
    for method, clients in phases:
        sags = statistics.median(rates[(SAGS, (method, clients))])
        for name in (FLOOR, FLOOR_LOGGED):
            if (name, (method, clients)) in rates:
                floor = statistics.median(rates[(name, (method, clients))])
                print(
                    f"ratio sagsflow / {name}, {method} x{clients}: "
                    f"{sags / floor:.2f}x requests/s"
                )
    p50 = _percentile(timings[(SAGS, ("GET", 1))], 0.50)
    print(f"target: one client GET p50 <= 10 ms: {_ms(p50)} ms")


if __name__ == "__main__":  # the floor's process: python -m bench.w7_api DB
    serve_floor(Path(sys.argv[1]))
