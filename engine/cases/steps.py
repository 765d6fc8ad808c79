"""The checks one event must pass before anything is written.

Pure functions over values: who acts in which role, when the step takes
effect, what it journals, which parties a case may name and what the named
guards say. `CaseEngine` calls them inside its transaction and writes the
result; they never touch the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.cases.addresses import check_address
from engine.dates.calendars import local_date
from engine.exceptions import (
    GuardRejectedError,
    InvalidDataError,
    InvalidTimeError,
    RoleNotAllowedError,
    UserDeactivatedError,
)
from engine.logs import contains_cpr
from engine.records import AuditEntry, Case, Document, JsonDict, Party, User
from engine.workflow.definition import Transition, WorkflowDefinition
from engine.workflow.eventdata import coerce_event_data
from engine.workflow.guards import GUARDS, GuardContext

# Most senior first: the role an actor acts in when they hold several allowed ones.
SENIORITY = ("advisor", "caseworker", "intake", "system", "auditor")


@dataclass(frozen=True, kw_only=True, slots=True)
class Step:
    """What one event does to a case, worked out before anything is written."""

    transition: Transition
    actor: str
    role: str
    data: JsonDict
    at: datetime
    document: str | None


def check_step(
    transition: Transition,
    case: Case | None,
    *,
    user: User,
    data: Mapping[str, object],
    document: str | None,
    at: datetime | None,
    now: datetime,
    history: Sequence[AuditEntry],
    documents: Sequence[Document],
    language: str | None = None,
) -> Step:
    """Check one event by `user` on `case` (None while opening).

    Raises:
        RoleNotAllowedError, InvalidDataError, InvalidTimeError,
        GuardRejectedError: the event is refused; nothing is written.
    """
    if not user.active:
        raise UserDeactivatedError(user.id)
    role = acting_role(user, transition)
    effective = effective_time(at, now, case)
    values = coerce_event_data(transition, data, on=local_date(effective))
    values.update(transition.sets)
    title = document_title(transition, document, language)
    ctx = GuardContext(
        transition=transition,
        role=role,
        data=values,
        case=case,
        history=history,
        documents=documents,
    )
    for name in transition.guards:
        reason = GUARDS[name](ctx)
        if reason is not None:
            raise GuardRejectedError(name, reason)
    return Step(
        transition=transition,
        actor=user.id,
        role=role,
        data=values,
        at=effective,
        document=title,
    )


def acting_role(user: User, transition: Transition) -> str:
    """The most senior of the user's roles that the event allows."""
    for role in SENIORITY:
        if role in transition.roles and role in user.roles:
            return role
    raise RoleNotAllowedError(user.id, user.roles, transition.event, transition.roles)


def effective_time(at: datetime | None, now: datetime, case: Case | None) -> datetime:
    """When the step takes effect: `at` (back-dated) or now, never out of order."""
    if at is None:
        effective = now
    elif at.tzinfo is None:
        raise InvalidTimeError("an effective time needs a time zone")
    else:
        effective = at.astimezone(UTC)
    if effective > now:
        raise InvalidTimeError(
            f"effective time {effective.isoformat()} lies in the future "
            f"(now is {now.isoformat()}); the record holds what has happened"
        )
    if case is not None and effective < case.last_event_at:
        raise InvalidTimeError(
            f"effective time {effective.isoformat()} lies before the case's "
            f"last step ({case.last_event_at.isoformat()}); "
            "the record must stay in order"
        )
    return effective


def document_title(
    transition: Transition, given: str | None, language: str | None = None
) -> str | None:
    """The title of the document the event journals, if any: the one given,
    else the workflow's default in `language` (its label) or as declared."""
    spec = transition.document
    if given is not None:
        title = given.strip()
        if not title:
            raise InvalidDataError("a document needs a title")
        refuse_cpr(title, "a document title")
        return title
    if spec is not None and spec.required and spec.title is None:
        raise InvalidDataError(
            f"{transition.event!r} journals a document: give its title"
        )
    return spec.title_in(language) if spec is not None else None


def check_parties(definition: WorkflowDefinition, parties: Sequence[Party]) -> None:
    """Each party has a declared role, once, a name without a CPR number, and at
    most one well-formed e-mail address."""
    seen: set[str] = set()
    for party in parties:
        if party.role not in definition.parties:
            raise InvalidDataError(
                f"{definition.name!r} has no party role {party.role!r} "
                f"(it has: {', '.join(definition.parties) or 'none'})"
            )
        if party.role in seen:
            raise InvalidDataError(f"party role {party.role!r} given twice")
        seen.add(party.role)
        if not party.name.strip():
            raise InvalidDataError(f"party {party.role!r} needs a name")
        refuse_cpr(party.name, f"party {party.role!r}")
        if party.email is not None:
            check_address(party.email, f"party {party.role!r}")


def refuse_cpr(text: str, what: str) -> None:
    """CPR numbers identify people; they never go into names or titles."""
    if contains_cpr(text):
        raise InvalidDataError(
            f"{what} must not hold a CPR number; refer to the person another way"
        )
