"""The people half of `CaseEngine`: users, and who is away.

An absence says a user is away from one day to another (both included) and,
optionally, who deputises: the notices meant for them as a case's owner go to
the deputy meanwhile, or to the advisor (`engine.chasing.recipients`). The
advisor records absences, or the user their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from engine.cases.owners import check_owner
from engine.clock import Clock
from engine.exceptions import (
    InvalidDataError,
    NotAllowedError,
    UserDeactivatedError,
    UserNotFoundError,
)
from engine.ports import CaseStore
from engine.records import Absence, User
from engine.workflow.definition import SYSTEM_ACTOR


class PeopleDesk:
    """Users and their absences, as the store holds them."""

    store: CaseStore
    clock: Clock

    def list_users(self) -> Sequence[User]:
        with self.store.transaction(write=False) as tx:
            return tx.list_users()

    def user(self, user_id: str) -> User:
        """Raises UserNotFoundError."""
        with self.store.transaction(write=False) as tx:
            found = tx.get_user(user_id)
        if found is None:
            raise UserNotFoundError(user_id)
        return found

    def set_away(
        self,
        user_id: str,
        *,
        starts: date,
        ends: date,
        deputy: str | None,
        actor: str,
    ) -> Absence:
        """Record that `user_id` is away from `starts` to `ends`.

        Raises:
            UserNotFoundError: no such user, deputy or actor.
            NotAllowedError: the actor is neither the advisor nor the user.
            InvalidDataError: the period ends before it starts, the deputy is
                the user, or may not own cases.
        """
        if ends < starts:
            raise InvalidDataError(
                f"an absence ends on or after its first day ({starts.isoformat()}), "
                f"not {ends.isoformat()}"
            )
        if deputy == user_id:
            raise InvalidDataError(f"{user_id!r} cannot deputise for themselves")
        with self.store.transaction() as tx:
            acting = tx.get_user(actor) if actor != SYSTEM_ACTOR else None
            if acting is None:
                raise UserNotFoundError(actor)
            if not acting.active:
                raise UserDeactivatedError(actor)
            if actor != user_id and "advisor" not in acting.roles:
                raise NotAllowedError(
                    "an absence is recorded by the advisor, or by the user who is away"
                )
            if tx.get_user(user_id) is None:
                raise UserNotFoundError(user_id)
            if deputy is not None:
                check_owner(tx, deputy)
            absence = Absence(
                user_id=user_id,
                starts=starts,
                ends=ends,
                deputy=deputy,
                created_by=actor,
                created_at=self.clock.now(),
            )
            tx.add_absence(absence)
        return absence

    def absences(self, user_id: str | None = None) -> Sequence[Absence]:
        with self.store.transaction(write=False) as tx:
            return tx.absences(user_id)


def away_on(absences: Sequence[Absence], user_id: str, day: date) -> Absence | None:
    """The absence of `user_id` covering `day`: the one recorded last wins."""
    covering = [
        a for a in absences if a.user_id == user_id and a.starts <= day <= a.ends
    ]
    return max(covering, key=lambda a: (a.created_at, a.id or 0), default=None)
