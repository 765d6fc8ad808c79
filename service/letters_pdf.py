"""The office's letters as PDF: HTML templates (Jinja2) laid out by WeasyPrint.

A letter template is `<folder>/<workflow>/<name>.<language>.html`, where
`name` is the event (`close`, `send_inquiry`) or the ladder rung
(`reminder_1`) the letter belongs to. It extends `_common/letter.html`, the
layout of a Danish public letter (letterhead, the address block, a side column
with Dato, Sagsnr., Dokumentnr. and Sagsbehandler, the text, the signers, the
office's details in the footer), which includes `_common/letter.css`. An
office overrides any of them the way it overrides the text templates
(`SAGSFLOW_TEMPLATES`: its folders are searched first; service.letters).

Rendering is a pure function: the same template, context and office give the
same bytes (the PDF's dates are the letter's date, never the wall clock; its
identifier is a hash of its content), so the bytes of a letter can be sealed
by their hash and rendered again to check them. PDF/A-3b, fonts embedded
(Debian's fonts-liberation and fonts-dejavu), text extractable, A4.

A template that does not render is refused when the workflows load
(`check_templates`), with its file and line: autoescaping is on, a misspelt
variable raises (StrictUndefined), printing a None raises.
"""

from __future__ import annotations

import logging
import traceback
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError

from engine.exceptions import InvalidInputError
from engine.workflow.definition import FieldType, WorkflowDefinition
from service.letter_context import sample_context
from service.letters import (
    DEFAULT_LANGUAGE,
    _LetterLoader,
    _no_none,
    date_en,
    dato,
    language_of,
)
from service.office import OfficeProfile

SUFFIX = ".html"
PDF_VARIANT = "pdf/a-3b"
LANGUAGES = ("da", "en")


class LetterTemplateError(InvalidInputError):
    """A letter template that does not render; the message names file and line."""


class HtmlLetters:
    """Letter templates in HTML from folders; earlier folders override later ones.

    Args:
        folders: the office's folders first, then `bundled_folder()`.

    Raises:
        InvalidInputError: a folder is not a directory.
    """

    def __init__(self, *, folders: Iterable[Path]) -> None:
        self.folders = tuple(Path(f) for f in folders)
        missing = [str(f) for f in self.folders if not f.is_dir()]
        if missing:
            raise InvalidInputError(f"letter template folders not found: {missing}")
        self._loader = _LetterLoader(self.folders)
        self._env = Environment(
            loader=self._loader,
            autoescape=True,
            undefined=StrictUndefined,
            finalize=_no_none,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["dato"] = dato
        self._env.filters["date_en"] = date_en

    def find(self, *, workflow: str, name: str, language: str) -> str | None:
        """The template (relative name) for `name` in `language`, else Danish;
        None when the workflow has no letter for `name`."""
        languages = dict.fromkeys((language_of(language), DEFAULT_LANGUAGE))
        for lang in languages:
            relative = f"{workflow}/{name}.{lang}{SUFFIX}"
            if self._loader.locate(relative) is not None:
                return relative
        return None

    def render_html(
        self, relative: str, context: Mapping[str, object], *, sample: bool = False
    ) -> str:
        """The letter as HTML.

        Args:
            sample: `context` holds sample values, not a case's: an error may
                quote them. Otherwise it names the file, line and kind of
                error only, as its text may quote the case's data (a name).

        Raises:
            LetterTemplateError: the template fails to render (file and line).
        """
        try:
            return self._env.get_template(relative).render(dict(context))
        except Exception as exc:
            error = _template_error(relative, exc, self._loader, quote=sample)
            raise error from None

    def names(self, workflow: str) -> list[str]:
        """Every letter template of `workflow` in any folder (relative names)."""
        found: set[str] = set()
        for folder in self.folders:
            found.update(
                f"{workflow}/{path.name}"
                for path in (folder / workflow).glob(f"*{SUFFIX}")
            )
        return sorted(found)


def render_pdf(html: str) -> bytes:
    """The letter's HTML as PDF/A-3b bytes, A4, fonts embedded.

    Deterministic and hermetic: nothing is fetched but `data:` URLs, and the
    dates in the PDF are those the HTML declares
    (`dcterms.created`, `dcterms.modified`: the letter's date), the identifier
    PDF/A asks for a hash of the content, the fonts' subset tags too.
    """
    from weasyprint import HTML  # imported on use: pango loads in ~0.3 s
    from weasyprint.urls import URLFetcher

    # WeasyPrint reports the fonts it subsets and the CSS it skips at INFO and
    # WARNING on its own loggers; a letter's output is the PDF, not those lines.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A's output intent and
        # never closes it (the file is freed at once, with a ResourceWarning).
        warnings.filterwarnings(
            "ignore", message=r"unclosed file .*sRGB2014\.icc", category=ResourceWarning
        )
        # Hermetic: only `data:` URLs (a logo inside the template); no file is
        # read and no network reached, whatever a template links to.
        fetcher = URLFetcher(allowed_protocols=("data",))
        document = HTML(string=html, base_url=None, url_fetcher=fetcher)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert isinstance(pdf, bytes)  # no target: the bytes are returned
    return pdf


def check_templates(
    letters: HtmlLetters,
    definitions: Iterable[WorkflowDefinition],
    *,
    office: OfficeProfile,
) -> int:
    """Render every letter template of every workflow against sample values.

    Each choice field is tried with each of its values, so a template's words
    for every outcome are rendered once.

    Returns:
        How many templates were checked.

    Raises:
        LetterTemplateError: a template does not render (file and line).
    """
    checked = 0
    for definition in definitions:
        for relative in letters.names(definition.name):
            lang = Path(relative).stem.rpartition(".")[2]
            base = sample_context(definition, office=office, language=lang)
            for context in _variants(definition, base):
                letters.render_html(relative, context, sample=True)
            checked += 1
    return checked


def _variants(
    definition: WorkflowDefinition, base: dict[str, object]
) -> Iterable[dict[str, object]]:
    yield base
    data = base["data"]
    assert isinstance(data, dict)
    for transition in definition.transitions:
        for spec in transition.fields:
            if spec.type is not FieldType.CHOICE:
                continue
            for value in spec.values[1:]:
                yield {**base, "data": {**data, spec.name: value}}


def _template_error(
    relative: str, exc: Exception, loader: _LetterLoader, *, quote: bool
) -> LetterTemplateError:
    """The error naming the template file and line where it went wrong, and
    what went wrong when `quote` (a syntax error always: it quotes no data)."""
    line: int | None
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        where, line = exc.filename, exc.lineno
    else:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.endswith((SUFFIX, ".css"))
        ]
        path = loader.locate(relative)
        where = frames[-1].filename if frames else str(path or relative)
        line = frames[-1].lineno if frames else None
    at = f"{where}, line {line}" if line else where
    if quote or isinstance(exc, TemplateSyntaxError):
        what = " ".join(str(exc).split())
    else:
        what = "not shown, as it may quote the case's data; the same error with "
        what += "sample values is shown when the workflows load"
    return LetterTemplateError(f"letter template {at}: {type(exc).__name__}: {what}")
