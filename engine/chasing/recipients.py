"""Who a chase rung notifies, and through which channel.

A rung names targets: a party role of the case (the authority), `owner`, or a
user role (caseworker, advisor). A party is written to at its e-mail address.
`owner` reaches the case's owner; while the owner is away, their deputy for
that day; when the case is unassigned, its owner is gone or away without a
deputy (or the deputy is away too), the advisors. A role reaches the users who
acted in it on this case, or, when none has, every user holding it. Without an
address the notice goes to the log, so nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from engine.cases.people import away_on
from engine.ports import UserRecords
from engine.records import AuditEntry, Case, User
from engine.workflow.definition import OWNER_TARGET


@dataclass(frozen=True, kw_only=True, slots=True)
class Recipient:
    channel: str  # email | webhook | log
    address: str  # e-mail address, URL, or a description for the log
    name: str  # the party's name or the user's id
    is_party: bool  # a letter to a party is journalised on the case


def recipients_for(
    tx: UserRecords,
    case: Case,
    history: Sequence[AuditEntry],
    target: str,
    today: date,
) -> list[Recipient]:
    """The recipients of `target` on `case` on `today` (never empty)."""
    for party in case.parties:
        if party.role == target:
            if party.email:
                return [
                    Recipient(
                        channel="email",
                        address=party.email,
                        name=party.name,
                        is_party=True,
                    )
                ]
            return [
                Recipient(
                    channel="log",
                    address=f"{target}: {party.name} (no e-mail address)",
                    name=party.name,
                    is_party=True,
                )
            ]
    if target == OWNER_TARGET:
        return _addressed(target, _owner_or_stand_in(tx, case, today))
    acted = list(dict.fromkeys(e.actor for e in reversed(history) if e.role == target))
    users = [u for u in tx.users_with_role(target) if not acted or u.id in acted]
    return _addressed(target, users)


def _owner_or_stand_in(tx: UserRecords, case: Case, today: date) -> list[User]:
    """The owner; the deputy while the owner is away; else the advisors. A
    deactivated owner or deputy is nobody: the advisors are told instead."""
    owner = tx.get_user(case.owner) if case.owner is not None else None
    if owner is not None and owner.active:
        absence = away_on(tx.absences(owner.id), owner.id, today)
        if absence is None:
            return [owner]
        deputy = tx.get_user(absence.deputy) if absence.deputy else None
        if (
            deputy is not None
            and deputy.active
            and not away_on(tx.absences(deputy.id), deputy.id, today)
        ):
            return [deputy]
    return list(tx.users_with_role("advisor"))


def _addressed(target: str, users: Sequence[User]) -> list[Recipient]:
    if not users:
        return [
            Recipient(
                channel="log",
                address=f"{target}: nobody holds this role or party on the case",
                name=target,
                is_party=False,
            )
        ]
    return [
        Recipient(channel="email", address=u.email, name=u.id, is_party=False)
        if u.email
        else Recipient(
            channel="log",
            address=f"{target}: {u.id} (no e-mail address)",
            name=u.id,
            is_party=False,
        )
        for u in users
    ]
