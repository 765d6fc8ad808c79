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
from datetime import date

from markupsafe import Markup

from engine.cases.letters import LetterFacts
from engine.dates.calendars import local_date
from engine.records import Party
from engine.workflow.definition import FieldType, WorkflowDefinition
from service.letters import date_en, dato, language_of
from service.office import OfficeProfile

DEADLINE_FIELDS = ("reply_by", "answer_by")
"""The data fields that hold the deadline a letter states, in this order; a
case without them states its current deadline (`Case.due`)."""

SAMPLE_DAY = date(2024, 10, 9)


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
    values = letter_values(facts, office=office, language=language)
    values["day"] = day_writer(str(values["lang"]))
    return values


def letter_values(
    facts: LetterFacts, *, office: object, language: str, sparse: bool = False
) -> dict[str, object]:
    """`letter_context` without its date writer: plain values; `office` as
    the caller holds it. `sparse` leaves out the data fields, events and
    parties the case has none of (a letter's source, `service.renditions`,
    which reads them back as None)."""
    definition = facts.definition
    letter_date = local_date(facts.at)
    shape = _shape(definition)
    data = _typed(shape, facts.data, sparse=sparse)
    events: dict[str, date | None] = {} if sparse else dict.fromkeys(shape.events)
    for entry in facts.history:
        events[entry.event] = local_date(entry.at)
    events[facts.event] = letter_date
    deadline = next(
        (data[f] for f in DEADLINE_FIELDS if isinstance(data.get(f), date)),
        facts.case.due,
    )
    parties: dict[str, str | None] = {} if sparse else dict.fromkeys(definition.parties)
    parties.update(_party_names(facts.case.parties))
    return {
        "lang": language_of(language),
        "office": office,
        "case": {
            "number": facts.case.number,
            "title": facts.case.title,
            "workflow": facts.case.workflow,
        },
        "event": facts.event,
        "document_number": facts.document_number,
        "letter_date": letter_date,
        "caseworker": facts.caseworker,
        "parties": parties,
        "data": data,
        "events": events,
        "deadline": deadline,
    }


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


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a letter's context takes from its workflow: the same for every
    letter of the version, worked out once (a sweep writes thousands)."""

    fields: tuple[str, ...]  # every declared data field
    dates: frozenset[str]  # those of type date
    events: tuple[str, ...]  # every event and ladder rung


_SHAPES: dict[tuple[str, int, str], _Shape] = {}


def _shape(definition: WorkflowDefinition) -> _Shape:
    key = (definition.name, definition.version, definition.digest)
    shape = _SHAPES.get(key)
    if shape is None:
        fields = {
            spec.name: None
            for transition in (definition.opening, *definition.transitions)
            for spec in transition.fields
        }
        shape = _SHAPES[key] = _Shape(
            fields=tuple(fields),
            dates=definition.date_fields(),
            events=tuple(_event_names(definition)),
        )
    return shape


def _typed(
    shape: _Shape, values: Mapping[str, object], *, sparse: bool = False
) -> dict[str, object]:
    """Every declared field (`sparse`: those set), None when unset, with
    dates as `date`s."""
    out: dict[str, object] = {} if sparse else dict.fromkeys(shape.fields)
    out.update(values)
    for name in shape.dates:
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
