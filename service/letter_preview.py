"""The office's letters from the settings, checked at load, and previewed.

`check_letters` is what loading the workflows runs (service.app): every HTML
letter template rendered against sample values, and the office file read, so
a template that does not render or a bad office file is refused before any
command does anything. Passed checks are remembered in the process by the
templates' files and times, the workflows and the office: a process that loads
the workflows again (every command in a test run) checks them once.

`preview_letter` is `sagsflow case letter`: the PDF that firing an event (or a
ladder rung's reminder) on a case would write, worked out from the record as
the event would leave it, with the document number it would get, and nothing
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.cases.engine import CaseEngine
from engine.cases.letters import LetterFacts
from engine.cases.recorder import next_document_numbers
from engine.cases.steps import check_step
from engine.cases.view import CaseView
from engine.cases.writes import refuse_erased
from engine.exceptions import InvalidInputError
from engine.records import User
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.registry import WorkflowRegistry
from service.letter_context import letter_context
from service.letters import bundled_folder
from service.letters_pdf import HtmlLetters, check_templates, render_pdf
from service.office import OfficeProfile, default_office, load_office
from service.settings import Settings

_checked: set[tuple[object, ...]] = set()


def office_profile(settings: Settings) -> OfficeProfile:
    """The office from `SAGSFLOW_OFFICE_FILE`, else its name alone.

    Raises:
        InvalidInputError: the office file is refused (file and field named).
    """
    if settings.office_file is None:
        return default_office(settings.office)
    return load_office(settings.office_file)


def html_letters(settings: Settings) -> HtmlLetters:
    """The office's letter templates before the bundled ones.

    Raises:
        InvalidInputError: a `SAGSFLOW_TEMPLATES` folder does not exist.
    """
    return HtmlLetters(folders=[*settings.template_paths, bundled_folder()])


def check_letters(settings: Settings, registry: WorkflowRegistry) -> None:
    """Refuse a letter template that does not render, or a bad office file.

    Raises:
        InvalidInputError: the office file is refused, or a template does not
            render (LetterTemplateError: file and line named).
    """
    office = office_profile(settings)
    letters = html_letters(settings)
    definitions = registry.latest()
    key = (
        office,
        tuple(d.digest for d in definitions),
        _template_files(letters.folders),
    )
    if key in _checked:
        return
    check_templates(letters, definitions, office=office)
    _checked.add(key)


def _template_files(folders: tuple[Path, ...]) -> tuple[tuple[str, int], ...]:
    return tuple(
        (str(path), path.stat().st_mtime_ns)
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.suffix in (".html", ".css")
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Preview:
    """A letter an event would write: its template, number and PDF."""

    template: str
    document_number: str
    pdf: bytes


def preview_letter(
    engine: CaseEngine,
    settings: Settings,
    *,
    number: str,
    event: str,
    data: Mapping[str, object],
    at: datetime | None = None,
    actor: str | None = None,
) -> Preview:
    """The letter firing `event` on case `number` would write, as PDF.

    `event` is a transition allowed in the case's state, or a rung of that
    state's reminder ladder. The event's checks run as they would (data,
    time, guards; the role too when `actor` is given), but nothing is written.

    Raises:
        CaseNotFoundError: no such case.
        InvalidDataError: the case's personal data was erased.
        InvalidInputError: the event is not allowed in the case's state, or
            its workflow has no letter for it; the checks of `fire` otherwise.
    """
    view = engine.show(number)
    case = view.case
    refuse_erased(case)  # as `fire` would: an erased case takes no further step
    definition = engine.definition(case.workflow, case.workflow_version)
    now = engine.clock.now()
    transition = definition.transition(event, case.state)
    if transition is not None:
        user = (
            engine.user(actor)
            if actor
            # Without --actor the preview takes no one's role: whoever may fire it.
            else User(id=case.owner or "preview", roles=transition.roles)
        )
        step = check_step(
            transition,
            case,
            user=user,
            data=data,
            document=None,
            at=at,
            now=now,
            history=view.history,
            documents=view.documents,
        )
        merged = {k: v for k, v in case.data.items() if k not in transition.resets}
        merged.update(step.data)
        when = step.at
    elif event in _rungs(definition, case.state):
        if data:
            raise InvalidInputError(f"the reminder {event!r} takes no --data")
        merged, when = dict(case.data), at or now
    else:
        allowed = ", ".join(definition.allowed_events(case.state)) or "none"
        raise InvalidInputError(
            f"case {number} is {case.state!r}: {event!r} is neither an event "
            f"allowed there ({allowed}) nor a reminder of its ladder"
        )
    letters = html_letters(settings)
    template = letters.find(
        workflow=case.workflow, name=event, language=settings.language
    )
    if template is None:
        raise InvalidInputError(
            f"workflow {case.workflow!r} has no letter for {event!r} "
            f"(no template {case.workflow}/{event}.<language>.html)"
        )
    document_number = next_document_numbers(case, 1)[0]
    facts = LetterFacts(
        case=case,
        definition=definition,
        history=view.history,
        event=event,
        data=merged,
        at=when,
        document_number=document_number,
        caseworker=_caseworker(engine, case.owner or _last_caseworker(view) or actor),
    )
    context = letter_context(
        facts, office=office_profile(settings), language=settings.language
    )
    html = letters.render_html(template, context)
    return Preview(
        template=template, document_number=document_number, pdf=render_pdf(html)
    )


def _rungs(definition: WorkflowDefinition, state: str) -> list[str]:
    ladder = definition.state(state).ladder
    return [rung.name for rung in ladder.rungs] if ladder else []


def _last_caseworker(view: CaseView) -> str | None:
    """Who last acted as caseworker on the case (a case without an owner)."""
    return next(
        (e.actor for e in reversed(view.history) if e.role == "caseworker"), None
    )


def _caseworker(engine: CaseEngine, user_id: str | None) -> str:
    """The display name of the case's caseworker (`User.name`), else the id."""
    if user_id is None:
        return ""
    return engine.user(user_id).name or user_id
