"""`sagsflow workflow show NAME --version N`: any version the record holds.

A case stays on the version it was opened under (#22 moves it on); the text
that version had is recorded with the first case opened under it. When a law
shortens a deadline, the file says version 2; cases of version 1 still run
under the recorded text, and `--version 1` shows it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.conftest import Run

VERSION_1 = """\
name: consent
version: 1
title: Waiting for a citizen's consent
states:
  start: {kind: initial}
  waiting:
    kind: waiting
    deadline: {within: 20 working days}
  done: {kind: final}
open:
  to: start
  roles: [caseworker]
transitions:
  - event: ask
    from: start
    to: waiting
    roles: [caseworker]
  - event: finish
    from: waiting
    to: done
    roles: [caseworker]
"""
VERSION_2 = VERSION_1.replace("version: 1", "version: 2").replace(
    "20 working days", "15 working days"
)


NO_DATE = {"until": None, "counted_from": None}


def _within(shown: dict[str, object]) -> object:
    states = shown["states"]
    assert isinstance(states, list)
    [waiting] = [s for s in states if s["name"] == "waiting"]
    return waiting["deadline"]


def test_a_recorded_version_is_shown_after_the_file_moved_on(
    run: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "workflows"
    folder.mkdir()
    declared = folder / "consent.yaml"
    declared.write_text(VERSION_1, encoding="utf-8")
    monkeypatch.setenv("SAGSFLOW_WORKFLOWS", str(folder))
    code, _, err = run(
        "case", "open", "consent", "--actor", "jur", "--title", "Samtykke"
    )
    assert (code, err) == (0, "")
    declared.write_text(VERSION_2, encoding="utf-8")  # the law changed

    code, newest, err = run("workflow", "show", "consent", "--json")
    assert (code, err) == (0, "")
    code, recorded, err = run("workflow", "show", "consent", "--version", "1", "--json")
    assert (code, err) == (0, "")

    assert json.loads(newest)["version"] == 2
    within = {"amount": 15, "unit": "working days"}
    assert _within(json.loads(newest)) == {**NO_DATE, "within": within}
    assert json.loads(recorded)["version"] == 1
    within = {"amount": 20, "unit": "working days"}
    assert _within(json.loads(recorded)) == {**NO_DATE, "within": within}
    code, text, _ = run("workflow", "show", "consent", "--version", "1")
    assert code == 0
    assert text.startswith("consent (version 1): Waiting for a citizen's consent")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ("--version", "7"),
            "sagsflow: error: no workflow 'ombudsman-inquiry' version 7",
            id="not-recorded",
        ),
        pytest.param(("--version", "0"), "Invalid value for '--version'", id="zero"),
        pytest.param(("--version", "x"), "Invalid value for '--version'", id="text"),
    ],
)
def test_a_version_not_known_is_one_clear_error(
    run: Run, initialised: Path, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run("workflow", "show", "ombudsman-inquiry", *argv)
    assert (code, out) in ((1, ""), (2, ""))
    assert err.startswith(message) or message in err
    assert err.count("\n") == 1
