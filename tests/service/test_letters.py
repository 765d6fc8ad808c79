"""Tests for `service.letters`: the Jinja letter templates the chaser renders."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from engine.workflow.definition import WorkflowDefinition
from engine.workflow.registry import WorkflowRegistry
from service.letters import (
    JinjaLetters,
    bundled_folder,
    bundled_letters,
    date_en,
    dato,
    language_of,
)
from workflows import bundled_paths

# The founding case at its first reminder: the inquiry of 9 October 2024 was
# due 6 November 2024 (20 working days); the reminder gives 10 more.
FOUNDING: dict[str, object] = {
    "case_number": "2024-0283489",
    "case_title": "Politianmeldelse af en borger for digital chikane",
    "workflow": "ombudsman-inquiry",
    "workflow_title": "Inquiry to an administration",
    "state": "awaiting_reply",
    "rung": "reminder_1",
    "rung_number": 1,
    "target": "authority",
    "recipient_name": "Socialforvaltningen",
    "inquiry_date": date(2024, 10, 9),
    "inquiry_document": "2024-0283489-2",
    "due_missed": date(2024, 11, 6),
    "new_due": date(2024, 11, 20),
    "working_days_overdue": 1,
    "office": "Borgerrådgiveren",
    "today": date(2024, 11, 7),
}
BARE = {
    **FOUNDING,
    "inquiry_date": None,
    "inquiry_document": None,
    "new_due": None,
    "recipient_name": None,
}

BUNDLED = bundled_folder()
BUNDLED_FILES = sorted(BUNDLED.glob("*/*.txt"))
REQUIRED = {
    "ombudsman-inquiry": [
        "reminder_1",
        "reminder_2",
        "escalation",
        "dispatch_reminder",
        "assessment_reminder",
    ],
    "access-to-documents": ["answer_due", "escalation"],
    "_common": ["notice"],
}


def _write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _letter(subject: str, body: str = "Body.\n") -> str:
    return f"Subject: {subject}\n\n{body}"


# -- the bundled templates ----------------------------------------------------------


def test_bundled_letters_use_the_bundled_folder() -> None:
    letters = bundled_letters()
    assert letters.folders == (BUNDLED,)
    assert Path(bundled_paths()[0]).parent / "templates" == BUNDLED


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    "relative",
    [f"{folder}/{name}" for folder, names in REQUIRED.items() for name in names],
)
def test_required_template_is_bundled(relative: str, language: str) -> None:
    assert (BUNDLED / f"{relative}.{language}.txt").is_file()


@pytest.mark.parametrize("context", [FOUNDING, BARE], ids=["full", "optional_none"])
@pytest.mark.parametrize(
    "path",
    BUNDLED_FILES,
    ids=[p.relative_to(BUNDLED).as_posix() for p in BUNDLED_FILES],
)
def test_every_bundled_template_renders(path: Path, context: dict[str, object]) -> None:
    """No error, no "None", no template syntax left, a one-line subject, tidy lines."""
    folder = path.parent.name
    name, language = path.name.removesuffix(".txt").rsplit(".", 1)
    workflow = "ombudsman-inquiry" if folder == "_common" else folder
    letters = bundled_letters()
    assert letters.find(workflow=workflow, names=[name], language=language) == path

    subject, body = letters.render(
        workflow=workflow, names=[name], language=language, context=context
    )

    text = subject + "\n" + body
    assert subject
    assert subject == subject.strip()
    assert "\n" not in subject
    assert "None" not in text
    for syntax in ("{{", "}}", "{%", "%}", "{#", "#}"):
        assert syntax not in text
    assert "2024-0283489" in subject
    missed = dato(date(2024, 11, 6)) if language == "da" else date_en(date(2024, 11, 6))
    assert missed in body
    assert body.strip()
    assert body.endswith("\n")
    assert not body.endswith("\n\n")
    assert not body.startswith("\n")
    assert "\n\n\n" not in body
    assert all(line == line.rstrip() for line in body.splitlines())


def _ladders() -> Iterator[tuple[WorkflowDefinition, str, str]]:
    registry = WorkflowRegistry.from_paths(bundled_paths())
    for definition in registry.latest():
        for state in definition.states:
            for rung in state.ladder.rungs if state.ladder else ():
                for target in rung.notify:
                    yield definition, rung.name, target


@pytest.mark.parametrize("language", ["da", "en"])
def test_every_rung_of_the_bundled_workflows_has_a_template(language: str) -> None:
    """With the chaser's names; a party never gets the generic internal notice."""
    letters = bundled_letters()
    seen = 0
    for definition, rung, target in _ladders():
        names = [f"{rung}.{target}", rung, "notice"]
        path = letters.find(workflow=definition.name, names=names, language=language)
        assert path.parent.name == definition.name, (rung, target)
        assert path.name.endswith(f".{language}.txt")
        if target in definition.parties:
            assert path.name.startswith(f"{rung}.")
        subject, _ = letters.render(
            workflow=definition.name,
            names=names,
            language=language,
            context={**FOUNDING, "rung": rung, "target": target},
        )
        assert subject
        seen += 1
    assert seen == 16  # version 3's intake rungs: to the owner, then the advisor


def test_the_caseworker_gets_a_note_not_the_letter_to_the_authority() -> None:
    letters = bundled_letters()
    context = {**FOUNDING, "target": "caseworker", "recipient_name": "jur"}
    subject, body = letters.render(
        workflow="ombudsman-inquiry",
        names=["reminder_1.caseworker", "reminder_1", "notice"],
        language="da",
        context=context,
    )
    assert subject.startswith("Rykker sendt")
    assert "Med venlig hilsen" not in body
    assert "20. november 2024" in body


def test_founding_case_first_reminder_in_danish() -> None:
    subject, body = bundled_letters().render(
        workflow="ombudsman-inquiry",
        names=["reminder_1.authority", "reminder_1", "notice"],
        language="da",
        context=FOUNDING,
    )
    dash = "\N{EN DASH}"
    assert subject == (
        f"Rykker: Svar på vores henvendelse af 9. oktober 2024 {dash} sag 2024-0283489"
    )
    assert "Til: Socialforvaltningen" in body
    assert "2024-0283489" in body
    assert "Den 9. oktober 2024 skrev vi til jer" in body
    assert "2024-0283489-2" in body
    assert "senest den 6. november 2024" in body
    assert "Vi har endnu ikke modtaget jeres svar" in body
    assert "senest den 20. november 2024" in body
    assert body.endswith("Med venlig hilsen\n\nBorgerrådgiveren\n")


def test_second_reminder_refers_to_the_first() -> None:
    context = {**FOUNDING, "rung": "reminder_2", "recipient_name": "Direktionen"}
    context.update(due_missed=date(2024, 11, 20), new_due=date(2024, 11, 27))
    subject, body = bundled_letters().render(
        workflow="ombudsman-inquiry",
        names=["reminder_2.authority_management", "reminder_2"],
        language="da",
        context=context,
    )
    assert subject.startswith("2. rykker:")
    assert "rykker med frist den 20. november 2024" in body
    assert "senest den 27. november 2024" in body
    assert "ledelse" in body


# -- lookup order ---------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "templates"
    path.mkdir()
    return path


def _subject(letters: JinjaLetters, *names: str, language: str = "da") -> str:
    subject, _ = letters.render(
        workflow="wf", names=list(names), language=language, context=FOUNDING
    )
    return subject


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (["wf/r1.authority", "wf/r1", "_common/notice"], "rung.target"),
        (["wf/r1", "_common/notice"], "rung"),
        (["_common/notice"], "notice"),
        (["_common/r1", "wf/notice"], "rung"),  # a name first, wherever it is
    ],
)
def test_names_are_tried_in_order(
    folder: Path, present: list[str], expected: str
) -> None:
    labels = {"r1.authority": "rung.target", "r1": "rung", "notice": "notice"}
    for relative in present:
        _write(folder, f"{relative}.da.txt", _letter(labels[relative.split("/")[1]]))
    letters = JinjaLetters(folders=[folder])
    assert _subject(letters, "r1.authority", "r1", "notice") == expected


def test_the_workflow_folder_comes_before_common(folder: Path) -> None:
    _write(folder, "_common/notice.da.txt", _letter("common"))
    _write(folder, "wf/notice.da.txt", _letter("workflow"))
    _write(folder, "other/notice.da.txt", _letter("other workflow"))
    letters = JinjaLetters(folders=[folder])
    assert _subject(letters, "notice") == "workflow"
    assert letters.render(
        workflow="third", names=["notice"], language="da", context=FOUNDING
    ) == ("common", "Body.\n")


def test_earlier_folders_override_later_ones(tmp_path: Path) -> None:
    office, bundled = tmp_path / "office", tmp_path / "bundled"
    _write(office, "wf/r1.da.txt", _letter("office"))
    _write(bundled, "wf/r1.da.txt", _letter("bundled"))
    _write(bundled, "wf/r2.da.txt", _letter("bundled r2"))
    letters = JinjaLetters(folders=[office, bundled])
    assert _subject(letters, "r1") == "office"
    assert _subject(letters, "r2") == "bundled r2"


def test_a_workflow_template_beats_common_in_an_earlier_folder(tmp_path: Path) -> None:
    office, bundled = tmp_path / "office", tmp_path / "bundled"
    _write(office, "_common/r1.da.txt", _letter("office common"))
    _write(bundled, "wf/r1.da.txt", _letter("bundled workflow"))
    letters = JinjaLetters(folders=[office, bundled])
    assert _subject(letters, "r1") == "bundled workflow"


def test_a_specific_name_in_danish_beats_a_generic_one_in_english(folder: Path) -> None:
    _write(folder, "wf/r1.da.txt", _letter("letter, Danish"))
    _write(folder, "_common/notice.en.txt", _letter("notice, English"))
    _write(folder, "_common/notice.da.txt", _letter("notice, Danish"))
    letters = JinjaLetters(folders=[folder])
    assert _subject(letters, "r1", "notice", language="en") == "letter, Danish"
    assert _subject(letters, "notice", language="en") == "notice, English"


def test_lookup_error_when_no_template_exists(folder: Path) -> None:
    _write(folder, "wf/r1.en.txt", _letter("English only"))
    letters = JinjaLetters(folders=[folder])
    with pytest.raises(LookupError, match=r"'wf'.*\['r2', 'notice'\]"):
        _subject(letters, "r2", "notice")
    with pytest.raises(LookupError):
        _subject(letters)
    with pytest.raises(LookupError):
        _subject(letters, "r1")  # Danish asked for, only English exists
    with pytest.raises(LookupError):
        bundled_letters().render(
            workflow="no-such-workflow",
            names=["reminder_1"],
            language="da",
            context=FOUNDING,
        )


@pytest.mark.parametrize("name", ["../wf/r1", "wf/r1", ".hidden", "", "r1 "])
def test_a_name_that_cannot_be_a_file_is_refused(folder: Path, name: str) -> None:
    letters = JinjaLetters(folders=[folder])
    with pytest.raises(ValueError, match="not a valid template or workflow name"):
        _subject(letters, name)
    with pytest.raises(ValueError, match="not a valid"):
        letters.render(workflow=name, names=["r1"], language="da", context={})


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folders not found"):
        JinjaLetters(folders=[tmp_path / "nowhere"])


# -- languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("da", "Danish"),
        ("en", "English"),
        ("EN", "English"),
        ("en-GB", "English"),
        ("en_GB", "English"),
        ("de", "Danish"),
        ("", "Danish"),
        ("../en", "Danish"),
    ],
)
def test_language_and_its_fallback_to_danish(
    folder: Path, language: str, expected: str
) -> None:
    _write(folder, "wf/r1.da.txt", _letter("Danish"))
    _write(folder, "wf/r1.en.txt", _letter("English"))
    letters = JinjaLetters(folders=[folder])
    assert _subject(letters, "r1", language=language) == expected


def test_unknown_language_renders_the_bundled_danish_letter() -> None:
    letters = bundled_letters()
    german, danish = (
        letters.render(
            workflow="ombudsman-inquiry",
            names=["reminder_1"],
            language=language,
            context=FOUNDING,
        )
        for language in ("de", "da")
    )
    assert german == danish


def test_language_of() -> None:
    assert language_of(" en-US ") == "en"
    assert language_of("dan") == "dan"
    assert language_of("1") == "da"


# -- errors in templates --------------------------------------------------------------


def _render_error(
    folder: Path, text: str, context: Mapping[str, object] = FOUNDING
) -> tuple[Path, str]:
    path = _write(folder, "wf/r1.da.txt", text)
    letters = JinjaLetters(folders=[folder])
    with pytest.raises(ValueError, match="letter template") as info:
        letters.render(workflow="wf", names=["r1"], language="da", context=context)
    assert not isinstance(info.value, LookupError)
    return path, str(info.value)


def test_a_misspelt_variable_in_the_body_names_file_and_line(folder: Path) -> None:
    text = _letter("Rykker", "Sag {{ case_number }}\n\nFrist: {{ due_mised }}\n")
    path, message = _render_error(folder, text)
    assert f"{path}, line 5" in message
    assert "UndefinedError" in message
    assert "'due_mised' is undefined" in message


def test_a_misspelt_variable_in_the_subject_names_file_and_line(folder: Path) -> None:
    path, message = _render_error(folder, _letter("Rykker {{ case_nummer }}"))
    assert f"{path}, line 1" in message
    assert "case_nummer" in message


def test_printing_none_is_an_error_not_the_word(folder: Path) -> None:
    text = _letter("Rykker", "Til {{ recipient_name }}\n")
    path, message = _render_error(folder, text, BARE)
    assert f"{path}, line 3" in message
    assert "None" in message


def test_a_filter_given_none_is_an_error(folder: Path) -> None:
    text = _letter("Rykker", "\n\nFrist: {{ new_due|dato }}\n")
    context = {**FOUNDING, "new_due": None}
    path = _write(folder, "wf/r1.da.txt", text)
    letters = JinjaLetters(folders=[folder])
    with pytest.raises(
        ValueError, match=r"line 5: TypeError: filter 'dato' needs a date"
    ):
        letters.render(workflow="wf", names=["r1"], language="da", context=context)
    assert path.is_file()


def test_a_syntax_error_names_file_and_line(folder: Path) -> None:
    path, message = _render_error(folder, _letter("Rykker", "ok\n{% if x %}\nnever\n"))
    assert f"{path}, line" in message
    assert "TemplateSyntaxError" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Emne: Rykker\n\nBody\n", "line 1 must start with 'Subject:'"),
        ("\nSubject: Rykker\n\nBody\n", "line 1 must start with 'Subject:'"),
        ("Subject: Rykker\nBody\n", "line 2 must be blank"),
        ("Subject:   \n\nBody\n", "the subject is empty"),
        ("Subject: {{ '' }}\n\nBody\n", "the subject is empty"),
    ],
)
def test_a_malformed_template_is_a_value_error(
    folder: Path, text: str, problem: str
) -> None:
    path, message = _render_error(folder, text)
    assert message == f"letter template {path}: {problem}"


def test_a_file_that_is_not_utf8_is_a_value_error(folder: Path) -> None:
    path = folder / "wf" / "r1.da.txt"
    path.parent.mkdir()
    path.write_bytes("Subject: Rykker\n\nKære forvaltning\n".encode("latin-1"))
    letters = JinjaLetters(folders=[folder])
    with pytest.raises(ValueError, match="UnicodeDecodeError") as info:
        _subject(letters, "r1")
    assert f"letter template {path}: " in str(info.value)


# -- rendering details ----------------------------------------------------------------


def test_subject_only_templates_have_an_empty_body(folder: Path) -> None:
    _write(folder, "wf/r1.da.txt", "Subject: Only a subject")
    _write(folder, "wf/r2.da.txt", "Subject: Only a subject\n")
    letters = JinjaLetters(folders=[folder])
    for name in ("r1", "r2"):
        assert letters.render(
            workflow="wf", names=[name], language="da", context={}
        ) == ("Only a subject", "")


def test_the_subject_stays_on_one_line(folder: Path) -> None:
    _write(
        folder, "wf/r1.da.txt", _letter("Sag {{ case_title }}", "{{ case_title }}\n")
    )
    letters = JinjaLetters(folders=[folder])
    context = {"case_title": "Første linje\n\nanden  linje "}
    subject, body = letters.render(
        workflow="wf", names=["r1"], language="da", context=context
    )
    assert subject == "Sag Første linje anden linje"
    assert body == "Første linje\n\nanden  linje \n"


def test_block_tags_leave_no_blank_lines_and_the_newline_is_kept(folder: Path) -> None:
    body = "A\n{% if new_due %}\nNy frist: {{ new_due|dato }}\n{% endif %}\nB\n"
    _write(folder, "wf/r1.da.txt", _letter("S", body))
    letters = JinjaLetters(folders=[folder])
    render = letters.render
    assert render(workflow="wf", names=["r1"], language="da", context=FOUNDING) == (
        "S",
        "A\nNy frist: 20. november 2024\nB\n",
    )
    bare = render(workflow="wf", names=["r1"], language="da", context=BARE)
    assert bare == ("S", "A\nB\n")


def test_no_autoescaping(folder: Path) -> None:
    _write(folder, "wf/r1.da.txt", _letter("{{ case_title }}", "{{ case_title }}\n"))
    context = {"case_title": "Børn & unge <SOF>"}
    letters = JinjaLetters(folders=[folder])
    assert letters.render(
        workflow="wf", names=["r1"], language="da", context=context
    ) == (
        "Børn & unge <SOF>",
        "Børn & unge <SOF>\n",
    )


def test_a_template_may_include_a_shared_file(folder: Path) -> None:
    _write(folder, "_common/signature.da.txt", "Med venlig hilsen\n{{ office }}\n")
    _write(
        folder, "wf/r1.da.txt", _letter("S", '{% include "_common/signature.da.txt" %}')
    )
    letters = JinjaLetters(folders=[folder])
    _, body = letters.render(
        workflow="wf", names=["r1"], language="da", context=FOUNDING
    )
    assert body == "Med venlig hilsen\nBorgerrådgiveren\n"


def test_a_missing_include_is_a_value_error(folder: Path) -> None:
    path, message = _render_error(folder, _letter("S", '{% include "_common/x.txt" %}'))
    assert f"{path}, line 3" in message
    assert "TemplateNotFound" in message


def test_an_include_cannot_leave_the_template_folders(folder: Path) -> None:
    _write(folder.parent, "secret.txt", "secret")
    text = _letter("S", '{% include "../secret.txt" %}')
    path, message = _render_error(folder, text)
    assert "TemplateNotFound" in message
    assert str(path) in message


def test_a_deleted_include_is_noticed(folder: Path) -> None:
    footer = _write(folder, "_common/footer.txt", "{{ office }}\n")
    _write(folder, "wf/r1.da.txt", _letter("S", '{% include "_common/footer.txt" %}'))
    letters = JinjaLetters(folders=[folder])
    _, body = letters.render(
        workflow="wf", names=["r1"], language="da", context=FOUNDING
    )
    assert body == "Borgerrådgiveren\n"
    footer.unlink()
    with pytest.raises(ValueError, match="TemplateNotFound"):
        letters.render(workflow="wf", names=["r1"], language="da", context=FOUNDING)


def test_an_edited_template_is_read_again(folder: Path) -> None:
    path = _write(folder, "wf/r1.da.txt", _letter("before"))
    letters = JinjaLetters(folders=[folder])
    assert _subject(letters, "r1") == "before"
    path.write_text(_letter("after"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _subject(letters, "r1") == "after"


def test_pinned_letters_keep_what_they_read_until_the_next_pin(folder: Path) -> None:
    """A sweep renders with one pin: an edit applies from the next pass on."""
    path = _write(folder, "wf/r1.da.txt", _letter("before"))
    letters = JinjaLetters(folders=[folder])
    pinned = letters.pinned()
    assert _subject(pinned, "r1") == "before"
    path.write_text(_letter("after"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _write(folder, "_common/r1.da.txt", _letter("common"))
    assert _subject(pinned, "r1") == "before"  # neither re-read nor looked up again
    assert _subject(letters, "r1") == "after"
    assert _subject(letters.pinned(), "r1") == "after"
    assert pinned.folders == letters.folders


def test_pinned_letters_refuse_what_the_unpinned_refuse(folder: Path) -> None:
    _write(folder, "wf/r1.da.txt", _letter("S", "{{ frist }}\n"))
    pinned = JinjaLetters(folders=[folder]).pinned()
    for _ in range(2):  # the second time from the pinned lookup
        with pytest.raises(ValueError, match=r"r1\.da\.txt, line 3"):
            pinned.render(workflow="wf", names=["r1"], language="da", context=FOUNDING)
        with pytest.raises(LookupError):
            pinned.render(workflow="wf", names=["r9"], language="da", context=FOUNDING)


# -- date filters ---------------------------------------------------------------------

MONTHS = [
    (1, "januar", "January"),
    (2, "februar", "February"),
    (3, "marts", "March"),
    (4, "april", "April"),
    (5, "maj", "May"),
    (6, "juni", "June"),
    (7, "juli", "July"),
    (8, "august", "August"),
    (9, "september", "September"),
    (10, "oktober", "October"),
    (11, "november", "November"),
    (12, "december", "December"),
]


@pytest.mark.parametrize(("month", "danish", "english"), MONTHS)
def test_date_filters_name_every_month(month: int, danish: str, english: str) -> None:
    assert dato(date(2024, month, 6)) == f"6. {danish} 2024"
    assert date_en(date(2024, month, 6)) == f"6 {english} 2024"
    assert dato(date(2023, month, 28)) == f"28. {danish} 2023"


def test_date_filters_in_templates(folder: Path) -> None:
    _write(folder, "wf/r1.da.txt", _letter("{{ today|dato }}", "{{ today|date_en }}\n"))
    letters = JinjaLetters(folders=[folder])
    context = {"today": date(2024, 5, 1)}
    assert letters.render(
        workflow="wf", names=["r1"], language="da", context=context
    ) == (
        "1. maj 2024",
        "1 May 2024\n",
    )


@pytest.mark.parametrize("value", [None, "2024-11-06", 20241106])
def test_date_filters_refuse_non_dates(value: object) -> None:
    with pytest.raises(TypeError, match="needs a date"):
        dato(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a date"):
        date_en(value)  # type: ignore[arg-type]
