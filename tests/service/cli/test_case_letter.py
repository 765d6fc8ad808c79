"""`sagsflow case letter`: the letter an event would write, previewed as PDF.

The founding case (examples/founding-case.jsonl, as examples/founding-case.sh
replays it) awaits its closing: the closing letter it would get is read back
with pdftotext and holds what the founding letter holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.cli.conftest import FOUNDING, NUMBER
from tests.service.conftest import Run, snapshot
from tests.service.pdftools import pdf_fonts, pdf_info, pdf_text

CLOSED_AT = "2024-11-20T11:00:00+01:00"


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


def test_the_founding_cases_closing_letter_read_back(
    run: Run, assessed: Path, tmp_path: Path
) -> None:
    before = snapshot(assessed)
    out_file = tmp_path / "afslutning.pdf"
    out = ok(
        run,
        *("case", "letter", NUMBER, "close", "--data", "outcome=no_further_action"),
        *("--at", CLOSED_AT, "--out", str(out_file)),
    )
    # Its own document number: the fourth of the case's journal.
    assert out == (
        f"{out_file}: letter {NUMBER}-4 from ombudsman-inquiry/close.da.html "
        "(a preview: nothing was fired or journalised)\n"
    )
    text = pdf_text(out_file)
    for expected in (
        NUMBER,
        f"Dokumentnr. {NUMBER}-4",
        "9. oktober 2024",
        "10. november 2024",
        "20. november 2024",
        "Sagsbehandler Jens Jurist",
        "Eksempelgade 1",
        "1599 København V",
        "EAN 5798000000421",
        "Københavns Kommune, Socialforvaltningen besvarede henvendelsen",
    ):
        assert expected in text, expected
    assert pdf_info(out_file)["Page size"].endswith("(A4)")
    assert {f["emb"] for f in pdf_fonts(out_file)} == {"yes"}
    # A preview: nothing fired, nothing written but the read in the access log.
    after = snapshot(assessed)
    logged = set(after.pop("access_entry")) - set(before.pop("access_entry"))
    assert after == before
    assert [row[3] for row in logged] == ["case_letter"], logged
    shown = ok(run, "case", "show", NUMBER, "--json")
    assert '"state": "assessed"' in shown


def test_in_english_with_sagsflow_language(
    run: Run, assessed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    out_file = tmp_path / "closing.pdf"
    ok(
        run,
        *("case", "letter", NUMBER, "close", "--data", "outcome=criticism"),
        *("--data", "severity=mild", "--at", CLOSED_AT, "--out", str(out_file)),
    )
    text = pdf_text(out_file)
    assert "replied by letter of 10 November 2024" in text
    assert "The criticism is mild." in text


def test_a_reminder_of_the_ladder_is_previewed_too(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    ok(run, "case", "import", str(FOUNDING))  # awaiting the reply, due 6 Nov 2024
    before = snapshot(initialised)
    out_file = tmp_path / "rykker.pdf"
    out = ok(
        run,
        *("case", "letter", NUMBER, "reminder_1"),
        *("--at", "2024-11-07T09:00:00+01:00", "--out", str(out_file)),
    )
    assert out.startswith(f"{out_file}: letter {NUMBER}-3 from ")
    text = pdf_text(out_file)
    assert "Rykker" in text
    assert "ved brev af 9. oktober 2024" in text
    assert "med svarfrist den 6. november 2024" in text
    assert "Dato 7. november 2024" in text
    after = snapshot(initialised)
    assert after.pop("access_entry") != before.pop("access_entry")  # the read
    assert after == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ("case", "letter", NUMBER, "send_inquiry"),
            f"case {NUMBER} is 'assessed': 'send_inquiry' is neither an event "
            "allowed there (close, withdraw, note) nor a reminder of its ladder",
            id="not-allowed-in-the-state",
        ),
        pytest.param(
            ("case", "letter", NUMBER, "withdraw"),
            "workflow 'ombudsman-inquiry' has no letter for 'withdraw' "
            "(no template ombudsman-inquiry/withdraw.<language>.html)",
            id="no-letter",
        ),
        pytest.param(
            ("case", "letter", NUMBER, "close", "--data", "outcome=maybe"),
            "'outcome'",
            id="bad-data",
        ),
        pytest.param(
            ("case", "letter", NUMBER, "close", "--data", "outcome"),
            "--data 'outcome': write KEY=VALUE",
            id="bad-pair",
        ),
        pytest.param(
            ("case", "letter", NUMBER, "close", "--actor", "jur"),
            "user 'jur' (caseworker) may not 'close'; allowed roles: advisor",
            id="role-checked-with-actor",
        ),
        pytest.param(
            ("case", "letter", "2099-0000001", "close"),
            "2099-0000001",
            id="no-such-case",
        ),
        pytest.param(
            ("case", "letter", NUMBER, "assessment_reminder", "--data", "a=b"),
            "the reminder 'assessment_reminder' takes no --data",
            id="reminder-with-data",
        ),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    run: Run, assessed: Path, tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    before = snapshot(assessed)
    out_file = tmp_path / "letter.pdf"
    code, out, err = run(*argv, "--out", str(out_file))
    assert (code, out) == (1, "")
    assert err.startswith("sagsflow: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert not out_file.exists()
    assert snapshot(assessed) == before


def test_an_unwritable_out_file_is_refused(
    run: Run, assessed: Path, tmp_path: Path
) -> None:
    code, out, err = run(
        *("case", "letter", NUMBER, "close", "--data", "outcome=no_further_action"),
        *("--out", str(tmp_path / "no" / "such" / "letter.pdf")),
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"sagsflow: error: cannot write {tmp_path / 'no'}")


def test_out_is_required(run: Run, assessed: Path) -> None:
    code, _, err = run("case", "letter", NUMBER, "close")
    assert code == 2
    assert "--out" in err


def test_a_bad_template_is_refused_before_a_letter_is_written(
    run: Run, assessed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every template is checked when a command first writes a letter, as `serve`,
    `api` and `init` check them before they start; a command that writes none
    (`case show`) neither checks nor loads the letters (#24)."""
    folder = tmp_path / "templates" / "ombudsman-inquiry"
    folder.mkdir(parents=True)
    bad = folder / "close.da.html"
    bad.write_text(
        '{% extends "_common/letter.html" %}\n{% block text %}\n'
        "{{ data.utfald }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SAGSFLOW_TEMPLATES", str(tmp_path / "templates"))
    code, out, _ = run("case", "show", NUMBER)
    assert code == 0
    assert NUMBER in out
    refused = (
        f"sagsflow: error: letter template {bad}, line 3: UndefinedError: "
        "'dict object' has no attribute 'utfald'\n"
    )
    before = snapshot(assessed)
    close = ("case", "fire", NUMBER, "close", "--actor", "bra")
    for argv in (
        (*close, "--data", "outcome=no_further_action"),
        ("serve",),
        ("init",),
    ):
        assert run(*argv) == (1, "", refused), argv
    assert snapshot(assessed) == before


def test_a_bad_office_file_is_refused_before_a_letter_is_written(
    run: Run, assessed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = tmp_path / "office.toml"
    office.write_text('name = "Borgerrådgiveren"\nean = "12345"\n', encoding="utf-8")
    monkeypatch.setenv("SAGSFLOW_OFFICE_FILE", str(office))
    before = snapshot(assessed)
    code, _, _ = run("case", "list")
    assert code == 0
    code, out, err = run(
        "case", "fire", NUMBER, "close", "--actor", "bra",
        "--data", "outcome=no_further_action",
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"sagsflow: error: office file {office}: field 'ean' must be 13 digits "
        "(an EAN/GLN number)\n"
    )
    assert snapshot(assessed) == before


# -- access to documents: dates from the case's data, a case without an owner ------
ACCESS_TITLE = "Aktindsigt i sagen om vejarbejdet"


def open_access_case(run: Run, actor: str) -> str:
    out = ok(
        run,
        *("case", "open", "access-to-documents", "--actor", actor),
        *("--title", ACCESS_TITLE, "--party", "requester=Journalist"),
        *("--data", "received_on=2024-10-01", "--at", "2024-10-01T10:00:00+02:00"),
        "--json",
    )
    number: str = json.loads(out)["number"]
    return number


@pytest.mark.parametrize(
    ("opener", "actor", "caseworker"),
    [
        pytest.param("jur", (), "jur", id="the-owner"),
        pytest.param("ind", ("--actor", "bra"), "bra", id="no-owner-the-actor"),
        pytest.param("ind", (), None, id="no-owner-no-one"),
    ],
)
def test_a_notice_of_delay_states_its_dates(
    run: Run,
    initialised: Path,
    tmp_path: Path,
    opener: str,
    actor: tuple[str, ...],
    caseworker: str | None,
) -> None:
    number = open_access_case(run, opener)
    out_file = tmp_path / "udsaettelse.pdf"
    ok(
        run,
        *("case", "letter", number, "notify_delay", *actor),
        *("--data", "answer_by=2024-10-25", "--data", "reason=Mange dokumenter."),
        *("--at", "2024-10-08T10:00:00+02:00", "--out", str(out_file)),
    )
    text = pdf_text(out_file)
    assert "Vi modtog den 1. oktober 2024 din anmodning om aktindsigt" in text
    assert "senest den 25. oktober 2024" in text
    assert "Mange dokumenter." in text
    assert "Journalist" in text
    if caseworker is None:
        assert "Sagsbehandler" not in text
    else:
        assert f"Sagsbehandler {caseworker}" in text


def test_the_caseworker_who_last_acted_when_there_is_no_owner(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    number = open_access_case(run, "ind")
    ok(run, "case", "fire", number, "start_processing", "--actor", "jur")
    out_file = tmp_path / "afgoerelse.pdf"
    ok(
        run,
        *("case", "letter", number, "decide", "--data", "decision=granted"),
        *("--out", str(out_file)),
    )
    text = pdf_text(out_file)
    assert "Sagsbehandler jur" in text
    assert "Du får aktindsigt i de dokumenter, du har bedt om." in text
    assert "klage" not in text


def test_an_erased_case_writes_no_letter(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    number = open_access_case(run, "jur")
    ok(run, "case", "fire", number, "withdraw", "--actor", "jur")
    ok(run, "case", "erase", number, "--actor", "bra", "--reason", "Anmodning")
    before = snapshot(initialised)
    out_file = tmp_path / "letter.pdf"
    code, out, err = run(
        *("case", "letter", number, "reopen", "--data", "reason=Klage"),
        *("--out", str(out_file)),
    )
    assert (code, out) == (1, "")
    assert err == (
        f"sagsflow: error: case {number}'s personal data was erased: "
        "it takes no further steps\n"
    )
    assert not out_file.exists()
    assert snapshot(initialised) == before
