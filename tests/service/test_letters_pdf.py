"""Tests for `service.letters_pdf`, `service.letter_context` and the checks at
load (`service.letter_preview.check_letters`): the office's HTML letters as PDF."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.cases.letters import LetterFacts
from engine.exceptions import InvalidInputError
from engine.records import AuditEntry, Case, Party
from engine.workflow.definition import (
    FieldSpec,
    FieldType,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.registry import WorkflowRegistry
from service.letter_context import letter_context, sample_context
from service.letter_preview import check_letters
from service.letters import bundled_folder
from service.letters_pdf import (
    HtmlLetters,
    LetterTemplateError,
    check_templates,
    render_pdf,
)
from service.office import load_office
from service.settings import Settings
from tests.service.pdftools import pdf_fonts, pdf_info, pdf_metadata, pdf_text
from workflows import bundled_paths

EXAMPLE_OFFICE = load_office(Path(__file__).parents[2] / "examples" / "office.yaml")
REGISTRY = WorkflowRegistry.from_paths(bundled_paths())
INQUIRY = REGISTRY.get("ombudsman-inquiry")
ACCESS = REGISTRY.get("access-to-documents")
BUNDLED = HtmlLetters(folders=[bundled_folder()])
# Each outgoing document of the bundled workflows, in Danish and English.
LETTERS = {
    "ombudsman-inquiry": [
        "send_inquiry",
        "reminder_1",
        "reminder_2",
        "escalation",
        "reject",
        "close",
    ],
    "access-to-documents": ["notify_delay", "decide"],
}
LAYOUT = "_common/letter.html"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def entry(seq: int, event: str, when: str) -> AuditEntry:
    return AuditEntry(
        case_id=1,
        case_number="2024-0283489",
        seq=seq,
        event=event,
        from_state=None,
        to_state="x",
        actor="jur",
        role="caseworker",
        at=at(when),
        recorded_at=at(when),
        workflow="ombudsman-inquiry",
        workflow_version=3,
    )


def founding_facts(**changes: object) -> LetterFacts:
    """The founding case's closing letter, as the record gives it."""
    case = Case(
        id=1,
        number="2024-0283489",
        workflow="ombudsman-inquiry",
        workflow_version=3,
        title="Politianmeldelse af borger for digital chikane (egen drift)",
        state="assessed",
        version=5,
        parties=(Party(role="authority", name="Socialforvaltningen"),),
        data={"own_initiative": True},
        state_entered_at=at("2024-11-10T12:00:00+01:00"),
        opened_at=at("2024-10-03T10:00:00+02:00"),
        last_event_at=at("2024-11-10T12:00:00+01:00"),
        updated_at=at("2024-11-10T12:00:00+01:00"),
        documents_count=7,
    )
    values: dict[str, object] = {
        "case": case,
        "definition": INQUIRY,
        "history": [
            entry(1, "open", "2024-10-03T10:00:00+02:00"),
            entry(2, "send_inquiry", "2024-10-09T09:30:00+02:00"),
            entry(3, "mark_dispatched", "2024-10-09T15:00:00+02:00"),
            entry(4, "receive_reply", "2024-11-10T12:00:00+01:00"),
        ],
        "event": "close",
        "data": {"own_initiative": True, "outcome": "no_further_action"},
        "at": at("2024-11-20T11:00:00+01:00"),
        "document_number": "2024-0283489-8",
        "caseworker": "Jens Jurist",
        **changes,
    }
    return LetterFacts(**values)  # type: ignore[arg-type]


def closing_letter(language: str = "da", **changes: object) -> bytes:
    context = letter_context(
        founding_facts(**changes), office=EXAMPLE_OFFICE, language=language
    )
    return render_pdf(
        BUNDLED.render_html(f"ombudsman-inquiry/close.{language}.html", context)
    )


@pytest.fixture(scope="module")
def founding_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("letter") / "close.pdf"
    path.write_bytes(closing_letter())
    return path


# -- the founding letter ----------------------------------------------------------


def test_the_founding_closing_letter_reads_like_the_founding_letter(
    founding_pdf: Path,
) -> None:
    text = pdf_text(founding_pdf)
    for expected in (
        "Borgerrådgiveren",
        "Københavns Kommune",
        "Dato 20. november 2024",
        "Sagsnr. 2024-0283489",
        "Dokumentnr. 2024-0283489-8",
        "Sagsbehandler Jens Jurist",
        "bad ved brev af 9. oktober 2024 Socialforvaltningen om en udtalelse",
        "besvarede henvendelsen i brev af 10. november 2024",
        "ikke finder grundlag for at foretage sig yderligere i sagen",
        "afsluttet sagen den 20. november 2024",
        "Eksempelgade 1",
        "1599 København V",
        "EAN 5798000000421",
        "Anne Eksempel Jens Jurist Borgerrådgiver Specialkonsulent",
    ):
        assert expected in text, expected
    assert "no_further_action" not in text


def test_the_pdf_is_a4_pdf_a_with_its_fonts_embedded(founding_pdf: Path) -> None:
    info = pdf_info(founding_pdf)
    assert info["Page size"].endswith("(A4)")
    assert info["Pages"] == "1"
    assert info["Title"].startswith("Afslutning af sagen")
    assert info["Author"] == "Borgerrådgiveren"
    # The letter's own date, never the wall clock's.
    assert info["CreationDate"].startswith("Wed Nov 20 00:00:00 2024")
    meta = pdf_metadata(founding_pdf)
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in meta  # PDF/A-3b
    fonts = pdf_fonts(founding_pdf)
    assert fonts, "no fonts"
    assert {f["emb"] for f in fonts} == {"yes"}
    assert {f["uni"] for f in fonts} == {"yes"}  # the text can be extracted
    assert any("Liberation-Sans" in f["name"] for f in fonts)


def test_the_same_letter_gives_the_same_bytes_in_another_process(
    founding_pdf: Path,
) -> None:
    """So a letter's hash can be sealed and the letter rendered again to check it."""
    script = (
        "import sys, hashlib\n"
        "from tests.service.test_letters_pdf import closing_letter\n"
        "sys.stdout.write(hashlib.sha256(closing_letter()).hexdigest())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert done.stdout == hashlib.sha256(founding_pdf.read_bytes()).hexdigest()
    assert closing_letter() == founding_pdf.read_bytes()
    assert closing_letter(document_number="2024-0283489-9") != founding_pdf.read_bytes()


def test_in_english(tmp_path: Path) -> None:
    path = tmp_path / "close.pdf"
    path.write_bytes(closing_letter("en"))
    text = pdf_text(path)
    assert "Date 20 November 2024" in text
    assert "By letter of 9 October 2024, Borgerrådgiveren asked" in text
    assert "replied by letter of 10 November 2024" in text
    assert "Case no. 2024-0283489 Document no. 2024-0283489-8" in text


def test_the_outcome_and_severity_in_words(tmp_path: Path) -> None:
    path = tmp_path / "close.pdf"
    data = {"outcome": "criticism", "severity": "serious", "reason": "Sent for sent."}
    path.write_bytes(closing_letter(data=data))
    text = pdf_text(path)
    assert "finder grundlag for at kritisere forvaltningens behandling" in text
    assert "Kritikken er alvorlig." in text
    assert "Sent for sent." in text


def test_text_from_the_record_is_escaped_not_markup(tmp_path: Path) -> None:
    path = tmp_path / "close.pdf"
    data = {"outcome": "criticism", "reason": "<b>Fed</b> & <i>skrå</i>"}
    path.write_bytes(closing_letter(data=data))
    assert "<b>Fed</b> & <i>skrå</i>" in pdf_text(path)


def test_a_case_without_a_reply_or_party_leaves_them_out(tmp_path: Path) -> None:
    facts = founding_facts()
    bare = founding_facts(
        case=replace(facts.case, parties=()), history=list(facts.history)[:3]
    )
    context = letter_context(bare, office=EXAMPLE_OFFICE, language="da")
    html = BUNDLED.render_html("ombudsman-inquiry/close.da.html", context)
    assert "besvarede" not in html
    assert "om en udtalelse" in html
    assert "forvaltningen om en udtalelse" in html


# -- every template ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    ("workflow", "name"),
    [(w, n) for w, names in LETTERS.items() for n in names],
)
def test_each_outgoing_document_has_a_letter_that_renders_to_pdf(
    tmp_path: Path, workflow: str, name: str, language: str
) -> None:
    relative = BUNDLED.find(workflow=workflow, name=name, language=language)
    assert relative == f"{workflow}/{name}.{language}.html"
    definition = REGISTRY.get(workflow)
    context = sample_context(definition, office=EXAMPLE_OFFICE, language=language)
    path = tmp_path / "letter.pdf"
    path.write_bytes(render_pdf(BUNDLED.render_html(relative, context)))
    text = pdf_text(path)
    assert (
        "Sagsnr. 2024-0000001" if language == "da" else "Case no. 2024-0000001"
    ) in text
    assert "EAN 5798000000421" in text
    assert "9. oktober 2024" in text if language == "da" else "9 October 2024" in text


def test_a_language_without_a_letter_gets_the_danish_one() -> None:
    found = BUNDLED.find(workflow="ombudsman-inquiry", name="close", language="de")
    assert found == "ombudsman-inquiry/close.da.html"
    assert (
        BUNDLED.find(workflow="ombudsman-inquiry", name="open", language="da") is None
    )


def test_the_bundled_templates_pass_the_check() -> None:
    checked = check_templates(BUNDLED, REGISTRY.latest(), office=EXAMPLE_OFFICE)
    assert checked == 2 * sum(len(names) for names in LETTERS.values())


# -- refused at load --------------------------------------------------------------


def override(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "templates"
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


CLOSE = "ombudsman-inquiry/close.da.html"
HEAD = '{% extends "_common/letter.html" %}\n{% block title %}T{% endblock %}\n'


@pytest.mark.parametrize(
    ("name", "text", "line", "problem"),
    [
        pytest.param(
            CLOSE,
            HEAD + "{% block text %}\n<p>{{ data.outcom }}</p>\n{% endblock %}\n",
            4,
            "UndefinedError: 'dict object' has no attribute 'outcom'",
            id="misspelt-field",
        ),
        pytest.param(
            CLOSE,
            HEAD + "{% block text %}\n{% if %}\n{% endblock %}\n",
            4,
            "TemplateSyntaxError",
            id="syntax-error",
        ),
        pytest.param(
            CLOSE,
            HEAD + "{% block text %}\n\n<p>{{ office.ean }}</p>\n{% endblock %}\n",
            5,
            "a value printed by the template is None",
            id="none-printed",
        ),
        pytest.param(
            CLOSE,
            HEAD
            + "{% set w = {'no_further_action': 'x'} %}\n"
            + "{% block text %}{{ w[data.outcome] }}{% endblock %}\n",
            4,
            "UndefinedError",
            id="an-outcome-without-words",
        ),
        pytest.param(
            LAYOUT,
            "<html>\n<p>{{ office.nam }}</p>\n</html>\n",
            2,
            "has no attribute 'nam'",
            id="the-layout",
        ),
    ],
)
def test_a_template_that_does_not_render_is_refused_at_load(
    tmp_path: Path, name: str, text: str, line: int, problem: str
) -> None:
    folder = override(tmp_path, name, text)
    settings = Settings(template_paths=(folder,))
    with pytest.raises(LetterTemplateError) as caught:
        check_letters(settings, REGISTRY)
    message = str(caught.value)
    assert message.startswith(f"letter template {folder / name}, line {line}: ")
    assert problem in message


def test_the_office_file_is_read_at_load(tmp_path: Path) -> None:
    bad = tmp_path / "office.yaml"
    bad.write_text("name: X\nean: '1'\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=f"office file {bad}: field 'ean'"):
        check_letters(Settings(office_file=bad), REGISTRY)


def test_a_missing_template_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="letter template folders not found"):
        check_letters(Settings(template_paths=(tmp_path / "none",)), REGISTRY)


def test_an_override_that_renders_is_taken_and_checked_once(tmp_path: Path) -> None:
    folder = override(
        tmp_path, CLOSE, HEAD + "{% block text %}<p>Vores egen tekst.</p>{% endblock %}"
    )
    settings = Settings(template_paths=(folder,))
    check_letters(settings, REGISTRY)
    letters = HtmlLetters(folders=[folder, bundled_folder()])
    context = letter_context(founding_facts(), office=EXAMPLE_OFFICE, language="da")
    assert "Vores egen tekst." in letters.render_html(CLOSE, context)
    # Changed on disk: checked again, and refused.
    (folder / CLOSE).write_text(HEAD + "{% block text %}{{ x }}{% endblock %}")
    with pytest.raises(LetterTemplateError):
        check_letters(settings, REGISTRY)


def test_sample_values_cover_every_declared_field_party_and_event() -> None:
    fields = (
        FieldSpec(name="pages", type=FieldType.INT),
        FieldSpec(name="urgent", type=FieldType.BOOL),
        FieldSpec(name="note", type=FieldType.TEXT),
        FieldSpec(name="kind", type=FieldType.CHOICE, values=("a", "b")),
    )
    definition = WorkflowDefinition(
        name="w",
        version=1,
        title="W",
        parties=("requester",),
        transitions=(
            Transition(
                event="answer",
                sources=("open",),
                dest="done",
                roles=("caseworker",),
                fields=fields,
                sets=(("outcome", "answered"),),
            ),
        ),
    )
    context = sample_context(definition, office=EXAMPLE_OFFICE, language="en-GB")
    assert context["lang"] == "en"
    assert context["data"] == {
        "pages": 1,
        "urgent": True,
        "note": "Eksempel",
        "kind": "a",
        "outcome": "answered",
    }
    assert context["parties"] == {"requester": "Eksempel"}
    events = context["events"]
    assert isinstance(events, dict)
    assert set(events) == {"open", "answer"}


def test_an_error_with_a_cases_data_does_not_quote_it(tmp_path: Path) -> None:
    """A template that fails on one case's data only (past the check at load)
    names its file and line, never the data (a name, a CPR number)."""
    folder = override(
        tmp_path,
        CLOSE,
        HEAD + "{% block text %}\n{{ day(data.reason) }}\n{% endblock %}\n",
    )
    letters = HtmlLetters(folders=[folder, bundled_folder()])
    secret = "Anders Andersen, 010190-1234"
    facts = founding_facts(data={"outcome": "criticism", "reason": secret})
    context = letter_context(facts, office=EXAMPLE_OFFICE, language="da")
    with pytest.raises(LetterTemplateError) as caught:
        letters.render_html(CLOSE, context)
    message = str(caught.value)
    assert message.startswith(f"letter template {folder / CLOSE}, line 4: ")
    assert "Anders" not in message
    assert "010190" not in message
    with pytest.raises(LetterTemplateError, match="needs a date, got 'Eksempel'"):
        check_letters(Settings(template_paths=(folder,)), REGISTRY)


def test_rendering_fetches_nothing_but_data_urls(tmp_path: Path) -> None:
    """A template may embed a logo as a `data:` URL; a file or a web address is
    not read (the letter is the same wherever and whenever it is rendered)."""
    png = base64.b64encode(
        (
            Path(__file__).parents[2] / "docs" / "founding-closing-letter.png"
        ).read_bytes()
    ).decode()
    logo = tmp_path / "logo.png"
    logo.write_bytes(base64.b64decode(png))
    html = (
        "<html><body><p>Logo</p>"
        f'<img src="data:image/png;base64,{png}">'
        f'<img src="{logo.as_uri()}">'
        '<img src="http://127.0.0.1:9/logo.png">'
        "</body></html>"
    )
    path = tmp_path / "letter.pdf"
    path.write_bytes(render_pdf(html))
    listed = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(listed) == 1  # the data: URL's image only
