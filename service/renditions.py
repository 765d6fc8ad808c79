"""The office's letters written with their steps, and rendered after them.

`HtmlLetterSources` is what the engine asks for a letter's source when a step
journalises one (`engine.cases.letters`): which of the office's HTML
templates the event or rung has (`service.letters_pdf`), and the values the
record fills it with (`service.letter_context`), as canonical JSON
(`letter_source`; dates and the office's profile tagged, the fields, events
and parties the case has none of left out). `PdfRenderer` fills that
template with exactly those values (`letter_html`, never re-reading the
case) and lays it out as the PDF/A the office keeps and sends (`render_pdf`:
the same source gives the same bytes).

A letter is rendered after its step has committed (`engine.cases.renditions`),
by whoever comes first:

- the command or request that made the step (`render_case`, after it);
- the outbox's `render` item the step queued (`RenderChannel`, which the
  dispatcher runs like any channel: retried with backoff, a failure visible
  in `outbox list`);
- the e-mail that sends the letter (`attach_letter`): it attaches the PDF,
  read back and checked against the digest its render step sealed; the log
  and webhook channels render it before they send (`Rendering`);
- a person opening it (`read_letter`: pages, API, `document get`).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

import structlog
from starlette.background import BackgroundTask
from starlette.responses import Response

from engine.audit.renditions import Rendition
from engine.cases.documents import DocumentRead, read_document
from engine.cases.letters import LETTER_SOURCE, RENDER_CHANNEL, LetterFacts, is_letter
from engine.cases.renditions import Renditions
from engine.exceptions import DeliveryError, EngineError, InvalidDataError
from engine.ports import CaseStore, Channel
from engine.records import Content, Notification
from service.documents import EXTENSIONS
from service.letter_context import day_writer, letter_values
from service.letters_pdf import HtmlLetters, render_pdf
from service.office import OfficeProfile, Signer
from service.settings import Settings

PDF = "application/pdf"

log = structlog.get_logger()


class HtmlLetterSources:
    """The office's letter templates (its folders, then the bundled ones), in
    the settings' language; read when the first letter is written."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._found: dict[tuple[str, str], str | None] | None = None
        self._letters: HtmlLetters | None = None
        self._office: OfficeProfile | None = None
        self._office_tag: dict[str, object] = {}

    def pinned(self) -> HtmlLetterSources:
        """These sources for one sweep: each template is looked for once."""
        pinned = HtmlLetterSources(self._settings)
        pinned._found = {}
        return pinned

    def source(self, facts: LetterFacts) -> Content | None:
        """The letter for `facts.event` as its source: the template's name and
        every value it is filled with (`letter_source`); None when the
        workflow has no letter template for the event.

        Raises:
            LetterTemplateError: the template fails on this case (file, line).
        """
        if self._letters is None or self._office is None:
            from service.letter_preview import html_letters, office_profile

            self._letters = html_letters(self._settings)
            self._office = office_profile(self._settings)
            self._office_tag = {"$office": dataclasses.asdict(self._office)}
        language = self._settings.language
        key = (facts.definition.name, facts.event)
        if self._found is not None and key in self._found:
            template = self._found[key]
        else:
            template = self._letters.find(
                workflow=key[0], name=key[1], language=language
            )
            if self._found is not None:
                self._found[key] = template
        if template is None:
            return None
        # the office's profile tagged once, not per letter
        values = letter_values(
            facts, office=self._office_tag, language=language, sparse=True
        )
        return Content(data=letter_source(template, values), media_type=LETTER_SOURCE)


def letter_source(template: str, context: Mapping[str, object]) -> bytes:
    """A letter's source: canonical JSON of its template's name and the values
    it is filled with (dates tagged `{"$date": ...}`, the office's profile
    `{"$office": ...}`): the same letter, the same bytes."""
    document = {"template": template, "context": context}
    return json.dumps(
        document,
        default=_tagged,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def letter_html(letters: HtmlLetters, source: bytes) -> str:
    """The letter's HTML, from its source (`letter_source`) and the templates.

    Raises:
        LetterTemplateError: the template fails (file and line named).
        ValueError: the source is not a letter's.
    """
    try:
        document = json.loads(source, object_hook=_untagged)
        template = str(document["template"])
        context = dict(document["context"])
        context["day"] = day_writer(str(context["lang"]))
        for sparse in ("data", "events", "parties"):  # what the case has none of
            context[sparse] = defaultdict(_none, context[sparse])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a letter's source: {exc}") from None
    return letters.render_html(template, context)


def _none() -> None:
    return None


def _tagged(value: object) -> object:
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, OfficeProfile):
        return {"$office": dataclasses.asdict(value)}
    raise TypeError(f"{type(value).__name__} is not a letter's value")


def _untagged(value: dict[str, Any]) -> object:
    if set(value) == {"$date"}:
        return date.fromisoformat(value["$date"])
    if set(value) == {"$office"}:
        office = dict(value["$office"])
        office["address"] = tuple(office.get("address") or ())
        office["signers"] = tuple(Signer(**s) for s in office.get("signers") or ())
        return OfficeProfile(**office)
    return value


class PdfRenderer:
    """A letter's source as PDF/A-3b: its HTML from the office's templates
    (`letter_html`), laid out by `service.letters_pdf.render_pdf`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._letters: HtmlLetters | None = None

    def render(self, source: bytes) -> Content:
        from service.letter_preview import html_letters

        if self._letters is None:
            self._letters = html_letters(self._settings)
        try:
            html = letter_html(self._letters, source)
        except ValueError as exc:
            raise InvalidDataError(str(exc)) from None
        return Content(data=render_pdf(html), media_type=PDF)


class RenderChannel:
    """The outbox's `render` items: each renders its letter (once)."""

    name = RENDER_CHANNEL

    def __init__(self, renditions: Renditions) -> None:
        self._renditions = renditions

    def send(self, notification: Notification) -> None:
        """Render the letter the item names (done already: nothing to do).

        Raises:
            DeliveryError: the letter cannot be rendered (its source gone or
                changed, its case erased): retried, then visible as failed.
        """
        number = notification.recipient
        try:
            self._renditions.render(number)
        except EngineError as exc:
            raise DeliveryError(f"cannot render letter {number}: {exc}") from exc


class Rendering:
    """A channel that renders the letter a notification carries (a chase's
    letter to a party: `payload["document"]`) before it sends: the chase
    queues no render item of its own, its notification brings the letter
    out. The e-mail needs no wrapper: it attaches the letter (`attach_letter`),
    which renders it."""

    def __init__(self, channel: Channel, renditions: Renditions) -> None:
        self._channel = channel
        self._renditions = renditions

    def send(self, notification: Notification) -> None:
        document = notification.payload.get("document")
        if isinstance(document, str):
            try:
                self._renditions.render(document)
            except EngineError as exc:
                raise DeliveryError(f"cannot render letter {document}: {exc}") from exc
        self._channel.send(notification)


def attach_letter(renditions: Renditions, number: str) -> DocumentRead:
    """Letter `number` as rendered, for an e-mail to attach (rendered now if
    its render item has not run yet).

    Raises:
        DeliveryError: it cannot be rendered or read back as sealed.
    """
    try:
        return renditions.read(number)
    except EngineError as exc:
        raise DeliveryError(f"cannot attach letter {number}: {exc}") from exc


def read_letter(
    store: CaseStore, renditions: Renditions | None, number: str
) -> DocumentRead:
    """Document `number` as a person reads it: a letter as its PDF, rendered
    now if its render has not run yet (the system's step, taken early), any
    other document as kept; checked either way (`engine.cases.documents`).

    Raises:
        DocumentNotFoundError, ContentTamperedError: as `read_document`.
        InvalidDataError: the letter cannot be rendered (its case erased).
    """
    read = read_document(store, number)
    if renditions is None or read.rendition is not None or not is_letter(read.document):
        return read
    return renditions.read(number)


def download(read: DocumentRead) -> Response:
    """A checked document as a download (API and pages): its media type,
    `attachment` with its number as the file's name, never cached or sniffed
    (so it is never shown as a page of sagsflow's own)."""
    name = f"{read.document.number}{EXTENSIONS.get(read.media_type, '')}"
    return Response(
        content=read.data,
        media_type=read.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def render_case(renditions: Renditions, number: str) -> list[Rendition]:
    """Render every letter of case `number` still waiting, right after a step.

    The step has committed: a letter that fails to render here is logged and
    left to the outbox's render item, never reported as the step's failure.
    """
    done: list[Rendition] = []
    for document in renditions.waiting(number):
        try:
            done.append(renditions.render(document))
        except EngineError as exc:
            log.warning("letter_not_rendered", document=document, error=str(exc))
    return done


def render_after(
    response: Response, renditions: Renditions | None, number: str
) -> Response:
    """`response`, rendering case `number`'s waiting letters once it is sent
    (an API request's step: the client does not wait for the PDF)."""
    if renditions is not None:
        response.background = BackgroundTask(render_case, renditions, number)
    return response
