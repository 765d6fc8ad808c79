"""What a letter template is filled with: the record, as plain values.

`letter_context` builds the values from a case as an event leaves it (the
case, its parties, its data after the event, the dates of its events, the
document number the letter is journalised under, the caseworker's name) and
the office's profile. `sample_context` builds the same shape from a workflow's
declaration alone, so that every template can be rendered once when the
workflows load and a misspelt variable is refused then, not in a letter.

Every declared data field, party and event is in the context, `None` when the
case has none: a template asks `{% if data.reason %}`, never whether the key
exists, and a misspelt name is an error (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from engine.dates.calendars import local_date
from engine.records import AuditEntry, Case, Party
from engine.workflow.definition import FieldType, WorkflowDefinition
from service.letters import date_en, dato, language_of
from service.office import OfficeProfile

DEADLINE_FIELDS = ("reply_by", "answer_by")
"""The data fields that hold the deadline a letter states, in this order; a
case without them states its current deadline (`Case.due`)."""

SAMPLE_DAY = date(2024, 10, 9)


@dataclass(frozen=True, kw_only=True, slots=True)
class LetterFacts:
    """The record's facts one letter is written from.

    Attributes:
        case: the case as it stands before the event.
        definition: its workflow's version.
        history: its audit entries so far.
        event: the transition or ladder rung the letter belongs to.
        data: the data the event records (checked), merged over the case's.
        at: when the letter is dated (the event's effective time).
        document_number: the number the letter is journalised under.
        caseworker: the caseworker's display name (or id).
    """

    case: Case
    definition: WorkflowDefinition
    history: Sequence[AuditEntry]
    event: str
    data: Mapping[str, object]
    at: datetime
    document_number: str
    caseworker: str


def day_writer(language: str) -> Callable[[date], Markup]:
    """Writes a date in `language` (Danish, else English), kept on one line
    (`<span class="date">`: "10. november 2024" never breaks after "10.")."""
    write = dato if language_of(language) == "da" else date_en

    def day(value: date) -> Markup:
        return Markup('<span class="date">%s</span>') % write(value)

    return day


def letter_context(
    facts: LetterFacts, *, office: OfficeProfile, language: str
) -> dict[str, object]:
    """The values the template of `facts.event` is rendered with."""
    definition = facts.definition
    letter_date = local_date(facts.at)
    data = _typed(definition, facts.data)
    events: dict[str, date | None] = dict.fromkeys(_event_names(definition))
    for entry in facts.history:
        events[entry.event] = local_date(entry.at)
    events[facts.event] = letter_date
    deadline = next(
        (data[f] for f in DEADLINE_FIELDS if isinstance(data.get(f), date)),
        facts.case.due,
    )
    parties: dict[str, str | None] = dict.fromkeys(definition.parties)
    parties.update(_party_names(facts.case.parties))
    return _context(
        language=language,
        office=office,
        case={
            "number": facts.case.number,
            "title": facts.case.title,
            "workflow": facts.case.workflow,
        },
        event=facts.event,
        document_number=facts.document_number,
        letter_date=letter_date,
        caseworker=facts.caseworker,
        parties=parties,
        data=data,
        events=events,
        deadline=deadline,
    )


def sample_context(
    definition: WorkflowDefinition, *, office: OfficeProfile, language: str
) -> dict[str, object]:
    """Every value a template of `definition` may use, each set to a sample."""
    data: dict[str, object] = {}
    for transition in (definition.opening, *definition.transitions):
        for spec in transition.fields:
            data.setdefault(spec.name, _sample_value(spec.type, spec.values))
        for key, value in transition.sets:
            data.setdefault(key, value)
    return _context(
        language=language,
        office=office,
        case={
            "number": "2024-0000001",
            "title": "Eksempel",
            "workflow": definition.name,
        },
        event=definition.transitions[0].event if definition.transitions else "open",
        document_number="2024-0000001-1",
        letter_date=SAMPLE_DAY,
        caseworker="Eksempel",
        parties=dict.fromkeys(definition.parties, "Eksempel"),
        data=data,
        events=dict.fromkeys(_event_names(definition), SAMPLE_DAY),
        deadline=SAMPLE_DAY,
    )


def _context(
    *, language: str, office: OfficeProfile, **values: object
) -> dict[str, object]:
    lang = language_of(language)
    return {"lang": lang, "office": office, "day": day_writer(lang), **values}


def _event_names(definition: WorkflowDefinition) -> list[str]:
    rungs = [
        rung.name
        for state in definition.states
        if state.ladder is not None
        for rung in state.ladder.rungs
    ]
    return [*definition.events, *rungs]


def _typed(
    definition: WorkflowDefinition, values: Mapping[str, object]
) -> dict[str, object]:
    """Every declared field, None when unset, with dates as `date`s."""
    declared = {
        spec.name: spec
        for transition in (definition.opening, *definition.transitions)
        for spec in transition.fields
    }
    out: dict[str, object] = dict.fromkeys(declared)
    out.update(values)
    for name in definition.date_fields():
        value = out.get(name)
        if isinstance(value, str):
            out[name] = date.fromisoformat(value)
    return out


def _party_names(parties: Sequence[Party]) -> dict[str, str]:
    return {party.role: party.name for party in parties}


def _sample_value(kind: FieldType, values: Sequence[str]) -> object:
    if kind is FieldType.DATE:
        return SAMPLE_DAY
    if kind is FieldType.BOOL:
        return True
    if kind is FieldType.INT:
        return 1
    if kind is FieldType.CHOICE and values:
        return values[0]
    return "Eksempel"
