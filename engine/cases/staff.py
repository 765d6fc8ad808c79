"""The users' lifecycle half of `CaseEngine`: add, deactivate, activate, roles.

Every change is one entry on the users' hash chain (`engine.audit.users`),
written in the same transaction as the user's new row, with who made it, when,
why and how it came in (`engine.via`). The advisor manages users; the
built-in `system` user stands for the installation (the first advisor is
added before there is one to act) and is never anyone's role. A deactivated
user cannot act (`engine.cases.steps`), their tokens and page sessions stop
(the service checks `User.active` on every request), notices no longer go to
them (`engine.chasing.recipients`), and the open cases they own are returned
as needing a new owner. The office always keeps one active advisor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from engine.cases.owners import OWNER_ROLES
from engine.cases.staff_rules import (
    chain_change,
    check_login_free,
    check_manager,
    check_roles,
    keep_an_advisor,
    owned_open,
    required_reason,
    target_user,
)
from engine.cases.users import check_login, check_name, check_reason, new_user
from engine.clock import Clock
from engine.exceptions import (
    InvalidDataError,
    UserNotFoundError,
)
from engine.ports import CaseStore, CaseTransaction
from engine.records import Case, User, UserChange
from engine.workflow.definition import SYSTEM_ACTOR
from engine.workflow.registry import WorkflowRegistry


@dataclass(frozen=True, kw_only=True, slots=True)
class UserUpdate:
    """A user as a change left them, and the open cases needing a new owner."""

    user: User
    change: UserChange
    orphaned: tuple[Case, ...] = ()


class StaffDesk:
    """Users' lifecycle on the record."""

    store: CaseStore
    clock: Clock
    registry: WorkflowRegistry

    def add_user(
        self,
        user_id: str,
        roles: Sequence[str],
        email: str | None = None,
        *,
        name: str | None = None,
        login: str | None = None,
        actor: str = SYSTEM_ACTOR,
        reason: str | None = None,
    ) -> User:
        """Register a user with their roles, on the users' chain.

        `actor` is an active advisor, or `system` (the installation).

        Raises:
            InvalidDataError: no role, an unknown role, the reserved system id,
                a malformed e-mail, name or login, a login bound to another
                user, or a CPR number in the reason.
            DuplicateError: the id exists.
            UserNotFoundError, NotAllowedError, UserDeactivatedError: the
                actor is not an active advisor.
        """
        now = self.clock.now()
        user = new_user(user_id, roles, email=email, at=now)
        user = replace(
            user,
            name=check_name(name) if name is not None else None,
            login=check_login(login) if login is not None else None,
        )
        with self.store.transaction() as tx:
            check_manager(tx, actor)
            if user.login is not None:
                check_login_free(tx, user.login, user.id)
            tx.add_user(user)
            chain_change(
                tx, user, "added", actor=actor, reason=check_reason(reason), at=now
            )
        return user

    def deactivate_user(self, user_id: str, *, actor: str, reason: str) -> UserUpdate:
        """Stop `user_id` from acting, anywhere, from the next request on.

        Raises:
            InvalidDataError: no reason, one with a CPR number, or a user who
                is deactivated already.
            NotAllowedError: the office's last active advisor.
            UserNotFoundError, NotAllowedError, UserDeactivatedError: no
                such user, or an actor who is not an active advisor.
        """
        reason_text = required_reason(reason)

        def deactivated(tx: CaseTransaction, user: User) -> User:
            if not user.active:
                raise InvalidDataError(f"user {user_id!r} is deactivated already")
            keep_an_advisor(tx, user, roles_after=())
            return replace(user, active=False)

        return self._change(user_id, "deactivated", deactivated, actor, reason_text)

    def activate_user(
        self, user_id: str, *, actor: str, reason: str | None = None
    ) -> UserUpdate:
        """Let a deactivated user act again.

        Raises:
            InvalidDataError: an active user, or a CPR number in the reason.
            UserNotFoundError, NotAllowedError, UserDeactivatedError.
        """

        def activated(tx: CaseTransaction, user: User) -> User:
            if user.active:
                raise InvalidDataError(f"user {user_id!r} is active already")
            return replace(user, active=True)

        return self._change(
            user_id, "activated", activated, actor, check_reason(reason)
        )

    def change_roles(
        self,
        user_id: str,
        *,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        actor: str,
        reason: str | None = None,
    ) -> UserUpdate:
        """Give `user_id` roles and take others away, in one change.

        Raises:
            InvalidDataError: nothing to change, an unknown or reserved role,
                a role both added and removed, the last role removed, or a
                CPR number in the reason.
            NotAllowedError: the last active advisor would lose the role.
            UserNotFoundError, NotAllowedError, UserDeactivatedError.
        """
        check_roles(add, remove)

        def given_roles(tx: CaseTransaction, user: User) -> User:
            roles = tuple(r for r in (*user.roles, *add) if r not in remove)
            roles = tuple(dict.fromkeys(roles))
            if not roles:
                raise InvalidDataError(
                    f"user {user_id!r} would hold no role; deactivate them instead"
                )
            if roles == user.roles:
                raise InvalidDataError(f"user {user_id!r} holds exactly those roles")
            if user.active:
                keep_an_advisor(tx, user, roles_after=roles)
            return replace(user, roles=roles)

        return self._change(user_id, "roles", given_roles, actor, check_reason(reason))

    def bind_login(
        self,
        user_id: str,
        login: str | None,
        *,
        actor: str,
        reason: str | None = None,
    ) -> UserUpdate:
        """Bind the operating-system `login` to `user_id` (None: unbind).

        Raises:
            InvalidDataError: a malformed login, one bound to another user, or
                the login the user has already.
            UserNotFoundError, NotAllowedError, UserDeactivatedError.
        """
        login = check_login(login) if login is not None else None

        def bound(tx: CaseTransaction, user: User) -> User:
            if login == user.login:
                raise InvalidDataError(f"user {user_id!r} has that login already")
            if login is not None:
                check_login_free(tx, login, user_id)
            return replace(user, login=login)

        return self._change(user_id, "login", bound, actor, check_reason(reason))

    def rename_user(
        self, user_id: str, name: str | None, *, actor: str, reason: str | None = None
    ) -> UserUpdate:
        """Set `user_id`'s display name (None: none).

        Raises:
            InvalidDataError, UserNotFoundError, NotAllowedError,
            UserDeactivatedError.
        """
        name = check_name(name) if name is not None else None

        def named(_: CaseTransaction, user: User) -> User:
            return replace(user, name=name)

        return self._change(user_id, "name", named, actor, check_reason(reason))

    def _change(
        self,
        user_id: str,
        kind: str,
        make: Callable[[CaseTransaction, User], User],
        actor: str,
        reason: str | None,
    ) -> UserUpdate:
        """One change to `user_id` by `actor`, in one transaction: checked,
        stored, and sealed onto the users' chain. The open cases of a user who
        can own cases no more come back as needing a new owner.

        Raises:
            InvalidDataError: `make` refuses the change.
            UserNotFoundError, NotAllowedError, UserDeactivatedError.
        """
        with self.store.transaction() as tx:
            check_manager(tx, actor)
            changed = make(tx, target_user(tx, user_id))
            tx.update_user(changed)
            entry = chain_change(
                tx, changed, kind, actor=actor, reason=reason, at=self.clock.now()
            )
            orphaned: tuple[Case, ...] = ()
            if not changed.active or not set(OWNER_ROLES) & set(changed.roles):
                orphaned = owned_open(tx, self.registry, user_id)
        return UserUpdate(user=changed, change=entry, orphaned=orphaned)

    def user_history(self, user_id: str) -> list[UserChange]:
        """Every change to `user_id`, oldest first.

        Raises:
            UserNotFoundError: no such user.
        """
        with self.store.transaction(write=False) as tx:
            if tx.get_user(user_id) is None:
                raise UserNotFoundError(user_id)
            return list(tx.user_changes(user_id))

    def user_by_login(self, login: str) -> User | None:
        with self.store.transaction(write=False) as tx:
            return tx.user_by_login(login)

    def owned_open_cases(self, user_id: str) -> tuple[Case, ...]:
        with self.store.transaction(write=False) as tx:
            return owned_open(tx, self.registry, user_id)

    def cases_needing_owner(self) -> tuple[Case, ...]:
        """Open cases whose owner is deactivated or may own cases no more."""
        with self.store.transaction(write=False) as tx:
            gone = [
                u.id
                for u in tx.list_users()
                if not u.active or not set(OWNER_ROLES) & set(u.roles)
            ]
            return tuple(
                case
                for user_id in gone
                for case in owned_open(tx, self.registry, user_id)
            )
