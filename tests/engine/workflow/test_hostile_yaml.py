"""Workflow files written to hurt: aliases that multiply, files too large to read.

A 342-byte file of nested anchors expands to 9**9 strings when composed; it
must be refused from the stream of events, before a node is built, by the
command line in a process capped at 200 MB of address space. A file over the
size limit is refused unread.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest

from engine.exceptions import DefinitionError
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.yamlsource import MAX_BYTES
from tests.processes import SAGSFLOW, WAIT_S
from workflows import bundled_paths

BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)
CAP_BYTES = 200 * 1024 * 1024


def _bundled_text() -> str:
    return next(p for p in bundled_paths() if "ombudsman" in p.name).read_text()


def _problems(text: str) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as refused:
        parse_workflow(text, source="hostile.yaml", guards=GUARDS)
    return refused.value.problems


def test_the_alias_bomb_is_refused_at_its_first_alias() -> None:
    assert len(BOMB) < 400
    assert _problems(BOMB) == (
        "hostile.yaml:2: an alias (*a) repeats another part of the file; "
        "a workflow file spells every value out",
    )


def test_one_alias_in_a_real_declaration_is_refused_too() -> None:
    text = _bundled_text().replace(
        "roles: [advisor, caseworker]", "roles: &openers [advisor, caseworker]", 1
    )
    assert "&openers" in text
    text += "\n# the anchor, used once\nextra: *openers\n"
    (problem,) = _problems(text)
    assert "an alias (*openers)" in problem


def test_an_anchor_alone_is_no_alias() -> None:
    """Only the repetition is refused: a file that names an anchor it never uses
    fails, if at all, on what it declares, not on the anchor."""
    text = _bundled_text().replace(
        "roles: [advisor, caseworker]", "roles: &openers [advisor, caseworker]", 1
    )
    definition = parse_workflow(text, source="anchored.yaml", guards=GUARDS)
    assert definition.name == "ombudsman-inquiry"


def test_a_text_over_the_limit_is_refused_before_it_is_parsed() -> None:
    text = "# " + "x" * MAX_BYTES + "\n"
    (problem,) = _problems(text)
    assert problem.startswith("hostile.yaml: the file is ")
    assert f"at most {MAX_BYTES:,}" in problem


def test_a_file_over_the_limit_is_not_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MB of nothing
    with pytest.raises(DefinitionError) as refused:
        load_workflow_file(huge, guards=GUARDS)
    assert refused.value.problems == (
        f"huge.yaml: the file is larger than {MAX_BYTES:,} bytes, the most a "
        "workflow file may have",
    )


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))


@pytest.mark.parametrize("how", ["validate", "SAGSFLOW_WORKFLOWS"])
def test_the_command_line_refuses_the_bomb_under_a_200_mb_cap(
    tmp_path: Path, how: str
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    argv, env = (
        (["workflow", "validate", str(bomb)], {})
        if how == "validate"
        else (["workflow", "list"], {"SAGSFLOW_WORKFLOWS": str(bomb)})
    )
    done = subprocess.run(
        [str(SAGSFLOW), *argv],
        env={"PATH": "/usr/bin:/bin", **env},
        preexec_fn=_capped,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "bomb.yaml:2: an alias (*a)" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "MemoryError" not in done.stderr
