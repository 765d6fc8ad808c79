"""Commands that start at once (#24): each imports what it uses.

`sagsflow case show` loads neither Alembic nor the web server, the diagrams,
the letters' templates or the demo; `sagsflow --help` loads no command at all.
Checked in a fresh interpreter (this one has imported everything). The lines
`--help` shows for a command not yet imported are the command's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from service.cli.lazy import LazyGroup
from service.cli.main import cli
from tests.service.conftest import Run

FOUNDING = "2024-0283489"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "founding-case.jsonl"
NEVER_FOR_SHOW = ("alembic", "fastapi", "uvicorn", "matplotlib", "jinja2", "demo")


def _modules_after(*argv: str, cwd: Path) -> tuple[set[str], str]:
    """The modules a fresh interpreter holds after `sagsflow ARGV`, and its output."""
    script = (
        "import json, sys\n"
        "from service.cli.main import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    err, _, modules = done.stderr.rpartition("\nMODULES ")
    assert modules, done.stderr
    return set(json.loads(modules)), done.stdout + err


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_case_show_imports_what_it_uses(run: Run, initialised: Path) -> None:
    code, _, err = run("case", "import", str(EXAMPLE))
    assert (code, err) == (0, ""), err
    url = f"sqlite:///{initialised}"
    modules, out = _modules_after(
        "--db", url, "case", "show", FOUNDING, "--json", cwd=initialised.parent
    )
    assert json.loads(out)["number"] == FOUNDING  # the command did its work
    loaded = _top(modules) & set(NEVER_FOR_SHOW)
    assert loaded == set(), f"case show imported {sorted(loaded)}"
    assert "service.cli.letters" not in modules


def test_help_imports_no_command(tmp_path: Path) -> None:
    modules, out = _modules_after("--help", cwd=tmp_path)
    assert "case        Open, move, show, list and import cases." in out
    assert "sqlalchemy" not in _top(modules)
    assert not {m for m in modules if m.startswith("service.cli.") and m not in (
        "service.cli.main", "service.cli.lazy", "service.cli.commands",
        "service.cli.context",
        "service.cli.identity",
    )}  # fmt: skip


def _groups() -> list[tuple[str, LazyGroup]]:
    ctx = click.Context(cli)
    found: list[tuple[str, LazyGroup]] = [("sagsflow", cli)]
    for name in ("case", "user", "workflow"):
        group = cli.get_command(ctx, name)
        assert isinstance(group, LazyGroup)
        found.append((name, group))
    return found


@pytest.mark.parametrize("width", [45, 80, 200])
def test_the_lines_help_shows_are_the_commands_own(width: int) -> None:
    for group_name, group in _groups():
        for name, lazy in group.lazy.items():
            command = lazy.load()
            said = click.Command(name, help=lazy.help).get_short_help_str(width)
            assert said == command.get_short_help_str(width), (group_name, name)
