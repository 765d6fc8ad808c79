"""The command line speaks SAGSFLOW_LANGUAGE: Danish by default, English on ask.

`case show`, `case list` and `case explain` say the founding case's states,
events, fields and outcome in the workflow's labels; their JSON keeps the
identifiers whatever the language; a language sagsflow does not speak is one
clear line and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.workflow.registry import WorkflowRegistry
from service.cli.reportwords import ReportWords
from tests.service.conftest import Run, snapshot
from tests.service.test_founding_case import (
    TITLE,
    open_founding_case,
    replay_founding_case,
)
from workflows import bundled_paths

# The founding workflow's identifiers that its case's output would show
IDENTIFIERS = [
    "opened",
    "inquiry_sent",
    "awaiting_reply",
    "assessed",
    "send_inquiry",
    "mark_dispatched",
    "receive_reply",
    "own_initiative",
    "reply_by",
    "no_further_action",
    "outcome",
]


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


@pytest.fixture
def founding(run: Run, initialised: Path) -> str:
    return replay_founding_case(run, initialised)


def test_case_show_is_danish_by_default(run: Run, founding: str) -> None:
    text = ok(run, "case", "show", founding)
    assert text.startswith(f"Sag {founding}: {TITLE}\n")
    # the facts' column is as wide as its longest name ("Forvaltning")
    assert "  sagsgang    Henvendelse til en forvaltning (version 3)\n" in text
    assert "  status      Afsluttet (siden 2024-11-20 10:00 +01:00)\n" in text
    assert "  Udfald      Ikke anledning til videre foranstaltning\n" in text
    assert "  Egen drift  ja\n" in text
    assert "\nHistorik\n" in text
    for said in ("Opret sag", "Send henvendelse", "Markér som afsendt"):
        assert f"  {said}  " in text
    # each letter (the inquiry's, the close's) rendered in a step of its own
    assert text.count("  brev dannet  ") == 2
    assert "  Afsluttet (uændret)  " in text
    assert "Afventer svar → Svar til vurdering" in text
    for identifier in IDENTIFIERS:
        assert identifier not in text, identifier


def test_case_show_in_english_on_ask(
    run: Run, founding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    text = ok(run, "case", "show", founding)
    assert text.startswith(f"Case {founding}: {TITLE}\n")
    # the facts' column is as wide as its longest name ("Administration")
    assert "  workflow       Inquiry to an administration (version 3)\n" in text
    assert "  state          Closed (since 2024-11-20 10:00 +01:00)\n" in text
    assert "  Outcome        No further action\n" in text
    assert "Awaiting reply → Reply being assessed" in text
    assert text.count("  letter rendered  ") == 2
    assert "  Closed (stays)  " in text
    # "opened", "assessed" and "outcome" are English words of their own
    for identifier in (i for i in IDENTIFIERS if "_" in i):
        assert identifier not in text, identifier


@pytest.mark.parametrize("language", ["da", "en"])
def test_json_keeps_the_identifiers(
    run: Run, founding: str, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", language)
    shown = json.loads(ok(run, "case", "show", founding, "--json"))
    assert shown["state"] == "closed"
    assert shown["data"]["outcome"] == "no_further_action"
    listed = json.loads(ok(run, "case", "list", "--json"))
    assert [c["state"] for c in listed] == ["closed"]


@pytest.mark.parametrize(
    ("language", "workflow", "state"),
    [
        ("da", "Henvendelse til en forvaltning", "Afventer svar"),
        ("en", "Inquiry to an administration", "Awaiting reply"),
    ],
)
def test_case_list_says_the_state_in_the_language(
    run: Run,
    initialised: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    workflow: str,
    state: str,
) -> None:
    number = open_founding_case(run)
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", language)
    lines = ok(run, "case", "list", "--now", "2024-11-07T08:00:00+01:00").splitlines()
    assert lines[0].split()[:3] == (
        ["nummer", "sagsgang", "status"]
        if language == "da"
        else ["number", "workflow", "state"]
    )
    assert lines[2].startswith(f"{number}  {workflow}  {state}  2024-11-06")
    assert ("OVERSKREDET" if language == "da" else "OVERDUE") in lines[2]
    assert "awaiting_reply" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "da",
            [
                "er i 'Afventer svar'.",
                "Den kom i 'Afventer svar' den 2024-10-09 ved 'Markér som afsendt'",
                "Hændelser tilladt nu: Forlæng svarfristen, Modtag svar, "
                "Træk sagen tilbage, Journalisér notat.",
            ],
        ),
        (
            "en",
            [
                "is 'Awaiting reply': The administration has the inquiry",
                "It entered 'Awaiting reply' on 2024-10-09 by 'Mark as dispatched'",
                "Events allowed now: Extend the deadline, Receive the reply, "
                "Withdraw the case, Journal a note.",
            ],
        ),
    ],
)
def test_case_explain_speaks_the_language(
    run: Run,
    initialised: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    expected: list[str],
) -> None:
    number = open_founding_case(run)
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", language)
    text = ok(run, "case", "explain", number, "--now", "2024-10-20T10:00:00+02:00")
    for said in expected:
        assert said in text
    for identifier in ("awaiting_reply", "mark_dispatched", "extend_deadline"):
        assert identifier not in text


@pytest.mark.parametrize(
    "argv",
    [
        ("case", "show", "{number}"),
        ("case", "list"),
        ("case", "explain", "{number}"),
        ("case", "fire", "{number}", "receive_reply", "--actor", "jur"),
        ("case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", "Ny"),
        ("case", "assign", "{number}", "jur", "--actor", "bra"),  # prints after
        ("user", "deactivate", "jur", "--actor", "bra", "--reason", "Fratrådt"),
    ],
)
def test_an_unknown_language_is_one_line_and_nothing_changes(
    run: Run,
    initialised: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
) -> None:
    number = open_founding_case(run)
    before = snapshot(initialised)
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "fr")
    code, out, err = run(*(a.format(number=number) for a in argv))
    assert (code, out) == (1, "")
    assert err == "sagsflow: error: SAGSFLOW_LANGUAGE must be 'da' or 'en', not 'fr'\n"
    assert snapshot(initialised) == before


def test_the_report_says_an_unlabelled_outcome_as_it_is() -> None:
    registry = WorkflowRegistry.from_paths(bundled_paths())
    said = ReportWords("da", registry, "access-to-documents")
    assert said.outcome("refused") == "Afslag"
    assert said.outcome("no_further_action") == "no_further_action"  # not its own
    assert ReportWords("en", registry, None).outcome("no_further_action") == (
        "No further action"
    )
    assert said.state("access-to-documents", "decided") == "Afgjort"
