"""The README's command examples, run as written against a fresh database.

Every block of README.md that a reader is meant to run carries a marker on the
line before its fence, `<!-- example: NAME -->` (and the output it shows, if
any, `<!-- output: NAME -->`). Each test runs one block with bash, as a user
pasting it into a terminal would, in an empty working directory of its own:
`.venv` there is a symlink to this interpreter's environment, `examples/` a
copy of the repository's, the environment is the caller's without any
SAGSFLOW_* setting (but the two the README names for a weekend or a night),
and the fixed ports (8025, 8000) are replaced by free ones so that parallel
runs cannot collide. Nothing else in a block is changed.

Blocks that start servers are waited on through what the README says they do
(the outbox after each dispatch pass, the API's answers), never by sleeping;
they are stopped as a user stops them (Ctrl-C, `kill %1`), and whatever a
block started is killed with its process group when the test ends, passed or
failed. Nothing here sleeps or reads the clock for an assertion; the
commands a block runs read it, as they do for a user.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn
from zoneinfo import ZoneInfo

import pytest

from tests.processes import SAGSFLOW, WAIT_S
from tests.service.serving import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
EXAMPLES = {
    "founding-case",
    "chaser",
    "api",
    "rules-change",
}  # every block marked to be run
OUTPUTS = {"founding-case"}  # every block marked as an example's output
MARKED = re.compile(
    r"^<!-- (example|output): ([\w-]+) -->\n```[^\n]*\n(.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)

FOUNDING = "2024-0283489"
REMINDER = f"Rykker: Svar på vores henvendelse af 9. oktober 2024 \u2013 sag {FOUNDING}"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# A block runs up to a dozen commands, each a Python process of its own that
# takes seconds to start on a loaded machine: the bound on waiting for a block.
BLOCK_WAIT_S = 3 * WAIT_S
# The first dispatch pass may run before the first sweep, and one overlapping
# the sweep may miss its rows; the next one sends them ("within a pass").
MAX_DISPATCH_PASSES = 3


# -- the README --------------------------------------------------------------------
def _marked() -> list[tuple[str, str, str, int]]:
    """(kind, name, text, end offset) of every marked block, in order."""
    text = README.read_text("utf-8")
    return [(m[1], m[2], m[3], m.end()) for m in MARKED.finditer(text)]


def block(kind: str, name: str) -> str:
    """The text of the block marked `<!-- KIND: NAME -->`; fails if not exactly one."""
    found = [text for k, n, text, _ in _marked() if (k, n) == (kind, name)]
    assert len(found) == 1, (
        f"README.md has {len(found)} blocks marked <!-- {kind}: {name} --> "
        "(expected one, on the line before a ``` fence)"
    )
    return found[0]


def prose_after(name: str) -> str:
    """The README's words after example `name`, up to the next block or heading,
    on one line (the claims a test checks are wrapped anywhere)."""
    (end,) = [end for k, n, _, end in _marked() if (k, n) == ("example", name)]
    rest = README.read_text("utf-8")[end:].lstrip("\n")
    following = re.search(r"^(```|<!--|#|\|)", rest, re.MULTILINE)
    return " ".join(rest[: following.start() if following else None].split())


def shown(expected: str, output: str) -> str | None:
    """The first line of `expected` that `output` does not show, or None.

    The README's output is abridged: its lines must appear in the output in
    order, others may come between; a line `...` stands for lines left out,
    and `...` within a line for any text there (a time sagsflow recorded).
    Runs of spaces count as one, since a left-out value narrows a column.
    """
    actual = [" ".join(line.split()) for line in output.splitlines()]
    at = 0
    for line in expected.splitlines():
        want = " ".join(line.split())
        if want in ("", "..."):
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("...")))
        while at < len(actual) and not pattern.fullmatch(actual[at]):
            at += 1
        if at == len(actual):
            return line
        at += 1
    return None


# -- where and how a block runs ------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def on_free_ports(text: str, ports: Mapping[int, int]) -> str:
    """The block with each fixed port the README names moved to a free one."""
    for fixed, free in ports.items():
        assert f"127.0.0.1:{fixed}" in text, f"the block no longer uses port {fixed}"
        text = text.replace(f"127.0.0.1:{fixed}", f"127.0.0.1:{free}")
    return text


def environment(api_port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env.update(
        SAGSFLOW_SWEEP_CLOSED_DAYS="1",  # as the README says: today may be a Sunday
        SAGSFLOW_QUIET_HOURS="none",  # or 02:30 at night
        PYTHONUNBUFFERED="1",  # print as on a terminal, not when the process ends
    )
    if api_port is not None:
        env["SAGSFLOW_API_PORT"] = str(api_port)  # the API's default 8000, moved
    return env


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh directory with `.venv` (this interpreter's) and `examples/`."""
    venv = Path(sys.prefix)
    assert (venv / "bin" / "sagsflow").samefile(SAGSFLOW), "not run from a venv"
    (tmp_path / ".venv").symlink_to(venv, target_is_directory=True)
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    shutil.copytree(REPO_ROOT / "workflows", tmp_path / "workflows")
    return tmp_path


class Shell:
    """`bash -e -c SCRIPT` in a process group of its own, its output read by threads.

    The group holds everything the script starts (in the background too), so
    `interrupt` is the terminal's Ctrl-C and `close` leaves nothing running.
    stderr is also queued line by line, for `wait_for_log`.
    """

    def __init__(
        self, script: str, cwd: Path, env: Mapping[str, str], *, merged: bool = False
    ) -> None:
        """`merged`: stderr into stdout, interleaved as a terminal shows them."""
        self.proc = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merged else subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out))
        ]
        if not merged:
            self._threads.append(
                threading.Thread(
                    target=self._read, args=(self.proc.stderr, self._err, self._lines)
                )
            )
        self._threads.append(threading.Thread(target=self._await_end))
        for reader in self._threads:
            reader.daemon = True
            reader.start()

    def _await_end(self) -> None:
        self.proc.wait()
        self._lines.put(None)  # bash has ended (its background jobs may not have)

    @staticmethod
    def _read(
        pipe: IO[str] | None,
        into: list[str],
        lines: queue.Queue[str | None] | None = None,
    ) -> None:
        assert pipe is not None
        for line in pipe:
            into.append(line)
            if lines is not None:
                lines.put(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def report(self) -> str:
        return f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"

    def wait_for_log(self, predicate: Callable[[str], bool]) -> str:
        """The next stderr line that satisfies `predicate`; fails on silence or end."""
        while True:
            try:
                line = self._lines.get(timeout=BLOCK_WAIT_S)
            except queue.Empty:
                self.fail(f"nothing logged for {BLOCK_WAIT_S}s")
            if line is None:
                self.fail(f"the block ended (exit code {self.proc.returncode})")
            if predicate(line):
                return line

    def fail(self, message: str) -> NoReturn:
        """Stop the block and fail the test with all it printed."""
        self.close()
        pytest.fail(f"{message}:\n{self.report()}")

    def signal(self, signum: int) -> None:
        """`signum` to every process of the block still running."""
        with contextlib.suppress(ProcessLookupError):  # all gone already
            os.killpg(self.proc.pid, signum)

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the group (background jobs ignore it, as in a shell)."""
        self.signal(signal.SIGINT)

    def wait(self) -> int:
        """bash's exit code, once it has run to the end."""
        try:
            return self.proc.wait(timeout=BLOCK_WAIT_S)
        except subprocess.TimeoutExpired:
            self.fail(f"the block ran over {BLOCK_WAIT_S}s")

    def finish(self) -> None:
        """Read the output to its end (every process of the block has exited)."""
        for reader in self._threads:
            reader.join(timeout=WAIT_S)
            if reader.is_alive():
                self.fail("a process of the block is still running")

    def close(self) -> None:
        """Kill whatever of the block still runs; read its output to the end."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT_S)
        for reader in self._threads:
            reader.join(timeout=WAIT_S)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> Shell:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def outbox_when_sent(shell: Shell, env: Mapping[str, str], cwd: Path) -> Any:
    """`outbox list --json` after each dispatch pass, until every row is `sent`."""
    rows: Any = []
    for _ in range(MAX_DISPATCH_PASSES):
        shell.wait_for_log(lambda line: "dispatch_finished" in line)
        rows = json.loads(cli(env, cwd, "outbox", "list", "--json"))
        if rows and all(row["status"] == "sent" for row in rows):
            return rows
    pytest.fail(
        f"not all sent after {MAX_DISPATCH_PASSES} dispatch passes: {rows}\n"
        + shell.report()
    )


def received(printed: str) -> list[tuple[str, str]]:
    """(To, Subject) of each mail that aiosmtpd's Debugging handler printed."""
    mails = re.findall(
        r"^-{10} MESSAGE FOLLOWS -{10}\n(?:mail options:.*?\n\n)?(.*?)"
        r"^-{12} END MESSAGE -{12}$",
        printed,
        re.MULTILINE | re.DOTALL,
    )
    messages = [
        email.message_from_string(m, policy=email.policy.default) for m in mails
    ]
    return [(str(m["To"]), str(m["Subject"])) for m in messages]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as curl printed it (`-i`, `-D -`); body on one line or none."""

    status: int
    headers: dict[str, str]
    body: str


def http_answers(printed: str) -> list[Answer]:
    lines = printed.splitlines()
    answers = []
    at = 0
    while at < len(lines):
        status = re.fullmatch(r"HTTP/[\d.]+ (\d{3})\b.*", lines[at])
        at += 1
        if status is None:
            continue
        headers = {}
        while at < len(lines) and lines[at]:
            name, _, value = lines[at].partition(":")
            headers[name.strip().lower()] = value.strip()
            at += 1
        at += 1  # the blank line after the headers
        body = ""
        if at < len(lines) and not lines[at].startswith("HTTP/"):
            body = lines[at]
        answers.append(Answer(int(status[1]), headers, body))
    return answers


def database_url(text: str) -> str:
    found = re.search(r"^export SAGSFLOW_DATABASE_URL=(\S+)$", text, re.MULTILINE)
    assert found is not None, f"the block sets no database:\n{text}"
    return found[1]


def steps(case: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["event"], e["actor"], e["role"]) for e in case["history"]]


# -- the examples ----------------------------------------------------------------------
def test_the_readme_marks_the_examples_these_tests_run() -> None:
    marked = sorted((kind, name) for kind, name, _, _ in _marked())
    assert marked == sorted(
        [("example", name) for name in EXAMPLES]
        + [("output", name) for name in OUTPUTS]
    ), "a marked block of README.md was removed, renamed or added without a test"


@pytest.mark.slow
def test_the_founding_case_shows_what_the_readme_shows(workdir: Path) -> None:
    script = block("example", "founding-case")
    assert "its four journalised documents" in prose_after("founding-case")
    with Shell(script, workdir, environment(), merged=True) as shell:
        code = shell.wait()
        shell.finish()
    output = shell.stdout

    missing = shown(block("output", "founding-case"), output)
    assert missing is None, (
        f"README.md shows {missing.strip()!r}; {script.strip()} printed:\n{output}"
    )
    assert code == 0, output
    documents = re.findall(rf"^\s+({FOUNDING}-\d+)\s", output, re.MULTILINE)
    assert documents == [f"{FOUNDING}-{n}" for n in (1, 2, 3, 4)], output


@pytest.mark.slow
def test_the_rules_change_moves_the_cases_the_dry_run_listed(workdir: Path) -> None:
    script = block("example", "rules-change")
    with Shell(script, workdir, environment(), merged=True) as shell:
        code = shell.wait()
        shell.finish()
    output = shell.stdout
    assert code == 0, output
    shown = README.read_text(encoding="utf-8")
    listed = [
        "2026-0000001  v3    Awaiting reply                       "
        "2026-12-14 → 2026-12-07",
        "2026-0000002  v3    Reply being assessed → Legal review  "
        "2026-12-16 → 2026-12-09",
    ]
    for line in (
        *listed,
        "Inquiry to an administration: 2 case(s) would move to version 4 "
        "(dry run: nothing changed)",
        "Inquiry to an administration: 2 case(s) moved to version 4",
        "Its deadline is 2026-12-07: 15 working days after entering the state "
        "(2026-11-16), that day not counted.",
    ):
        assert line in shown, line
        assert line in output, output
    # the real run moved exactly what the dry run listed, and the record verifies
    assert output.count(listed[0]) == output.count(listed[1]) == 2, output
    assert "It moved from version 3 to version 4 on " in output
    assert re.search(r"^verified: 2 cases, 11 entries", output, re.MULTILINE), output


@pytest.mark.slow
def test_the_chaser_by_hand_sends_and_records_the_reminder(workdir: Path) -> None:
    text = block("example", "chaser")
    claims = prose_after("chaser")
    for claim in (
        f'"{REMINDER}" goes to the administration and a notice to the caseworker',
        "the mail server prints both",
        "Ctrl-C stops the service; then `sagsflow outbox list` shows both `sent`",
        f"`sagsflow case show {FOUNDING}` shows the `chase` step by `system` and "
        f"the reminder journalised as document {FOUNDING}-3",
        "`kill %1` stops the mail server",
        "`SAGSFLOW_SWEEP_CLOSED_DAYS=1` and `SAGSFLOW_QUIET_HOURS=none`",
    ):
        assert claim in claims, f"README.md no longer says {claim!r}; check this test"
    caseworker = re.search(r"user add jur --role caseworker --email (\S+)", text)
    assert caseworker is not None, text
    founding = (workdir / "examples" / "founding-case.jsonl").read_text("utf-8")
    administration = json.loads(founding.splitlines()[0])["parties"]["authority"]
    env = environment(api_port=free_port())  # `serve` runs the API too
    cli_env = {**env, "SAGSFLOW_DATABASE_URL": database_url(text)}

    with Shell(on_free_ports(text, {8025: free_port()}), workdir, env) as shell:
        outbox = outbox_when_sent(shell, cli_env, workdir)
        shell.interrupt()  # Ctrl-C: the service stops; the mail server ignores it
        code = shell.wait()
        shell.signal(signal.SIGTERM)  # `kill %1`: the mail server
        shell.finish()
    assert code == 0, f"`sagsflow serve` did not exit 0 on Ctrl-C:\n{shell.report()}"

    # The reminder to the administration, a notice to the caseworker: both sent.
    letters = sorted((row["kind"], row["recipient"]) for row in outbox)
    assert letters == [
        ("letter", administration["email"]),
        ("notice", caseworker[1]),
    ], outbox
    reminder, notice = (
        row["subject"] for row in sorted(outbox, key=lambda r: r["kind"])
    )
    assert reminder == REMINDER
    assert FOUNDING in notice
    # The mail server prints both.
    assert sorted(received(shell.stdout)) == sorted(
        [(administration["email"], REMINDER), (caseworker[1], notice)]
    ), shell.stdout
    # `sagsflow outbox list` shows both `sent`.
    listed = cli(cli_env, workdir, "outbox", "list").splitlines()
    assert [line.split()[2] for line in listed[2:]] == ["sent", "sent"], listed
    # `case show` (in Danish, the default): the `chase` step ("rykker") by
    # `system` (come in as the scheduler's,
    # though `serve` ran from a shell), from the deadline missed, and the
    # reminder journalised as the case's third document.
    case = cli(cli_env, workdir, "case", "show", FOUNDING)
    chase = (
        r"^\s+4\s.*\srykker\s+Afventer svar \(uændret\)\s+system \(system\)"
        r"\s+system\s+2024-11-06 → "
    )
    assert re.search(chase, case, re.MULTILINE), case
    letter = rf"^\s+{FOUNDING}-3\s+\S+\s+udgående\s+{re.escape(REMINDER)}$"
    assert re.search(letter, case, re.MULTILINE), case


STOP_API = "kill %1\nwait %1\n"  # the README's way to stop it; bash ends with its code


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="the example uses curl")
def test_the_api_example_opens_a_case_and_moves_it(workdir: Path) -> None:
    text = block("example", "api")
    assert "`kill %1` stops it" in text
    claim = "this year's next number (`YYYY-0000001` on a fresh database)"
    assert claim in prose_after("api")
    port = free_port()
    env = environment(api_port=port)  # `sagsflow api` listens on SAGSFLOW_API_PORT
    script = on_free_ports(text, {8000: port}) + "\n" + STOP_API
    with Shell(script, workdir, env) as shell:
        code = shell.wait()
        shell.close()  # what a failed block left running (nothing after `kill %1`)

    answers = http_answers(shell.stdout)
    saved = workdir / "case.json"  # the first answer's body
    assert [a.status for a in answers] == [201, 200], (
        f"the API answered {[a.status for a in answers]}, the README says 201 then 200"
        f"\n{saved.read_text('utf-8') if saved.exists() else ''}\n{shell.report()}"
    )
    assert f"listening on http://127.0.0.1:{port}" in shell.stdout
    health = re.search(r'^\{"status".*$', shell.stdout, re.MULTILINE)
    assert health is not None, shell.stdout
    assert json.loads(health[0])["status"] == "ok", shell.stdout

    opened, fired = answers
    case = json.loads(saved.read_text("utf-8"))
    number = case["number"]
    assert opened.headers["location"] == f"/cases/{number}"
    opened_in = datetime.fromisoformat(case["opened_at"]).astimezone(COPENHAGEN)
    assert number == f"{opened_in.year}-0000001"  # this year's first, never 2024's
    assert (case["state"], case["data"]) == ("opened", {"own_initiative": True})
    assert steps(case) == [("open", "bra", "advisor")]

    moved = json.loads(fired.body)
    assert (moved["number"], moved["state"], moved["version"]) == (
        number,
        "inquiry_sent",
        2,
    )
    assert steps(moved) == [
        ("open", "bra", "advisor"),
        ("send_inquiry", "jur", "caseworker"),
    ]
    assert [d["title"] for d in moved["documents"]] == ["Brev med opklarende spørgsmål"]

    assert code == 0, f"the API did not exit 0 on `kill %1`:\n{shell.report()}"
    cli_env = {**env, "SAGSFLOW_DATABASE_URL": database_url(text)}
    stored = json.loads(cli(cli_env, workdir, "case", "show", number, "--json"))
    # and, after the response, the inquiry letter rendered as PDF (a system step)
    assert (stored["state"], stored["version"]) == ("inquiry_sent", 3)
    assert steps(stored)[-1] == ("render", "system", "system")
