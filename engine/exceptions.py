"""The engine's error tree.

Every error a user can cause is an `EngineError` with a message fit to show as is:
the CLI prints `str(error)` on one line and exits non-zero, the HTTP API maps
the class to a status code (service/api/problems.py).

    EngineError
    ├── DefinitionError             a workflow file is declared wrongly (every problem)
    ├── InvalidInputError(ValueError)
    │   ├── InvalidDataError        event data missing, mistyped or not allowed
    │   └── InvalidTimeError        a time that does not parse, lies in the future or
    │                               before the case's last entry
    ├── NotFoundError(LookupError)
    │   ├── CaseNotFoundError
    │   ├── WorkflowNotFoundError
    │   ├── UserNotFoundError
    │   └── DocumentNotFoundError   no document by that number, or none with content
    ├── NotAllowedError
    │   ├── TransitionNotAllowedError   event not allowed in the case's state
    │   ├── RoleNotAllowedError         the actor has none of the roles the event needs
    │   ├── GuardRejectedError          a named guard refused, with its reason
    │   └── UserDeactivatedError        the actor was deactivated
    ├── ConflictError
    │   ├── ConcurrentUpdateError   someone else changed the case first
    │   ├── UsersChangedError       someone else changed the users first
    │   └── DuplicateError          a case number or user that already exists
    ├── StorageError                the database failed; the driver error is __cause__
    │   └── SchemaError             the database is not initialised or not up to date
    ├── DeliveryError               a notification could not be delivered (retried)
    └── ContentTamperedError        a document's content is gone or no longer matches
                                    its seal: never served as good

Storage errors are defined here and raised by `storage`, so the engine and the
CLI catch them without importing `storage`.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of every error sagsflow reports to a user."""


class DefinitionError(EngineError):
    """A workflow declaration is invalid; `problems` lists each one with its place."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            super().__init__(f"invalid workflow: {self.problems[0]}")
        else:
            listed = "; ".join(self.problems)
            super().__init__(
                f"invalid workflow {source} ({len(self.problems)} problems): {listed}"
            )


class InvalidInputError(EngineError, ValueError):
    """Input that does not fit what is declared."""


class InvalidDataError(InvalidInputError):
    """Event data missing, of the wrong type or with a value not allowed."""


class InvalidTimeError(InvalidInputError):
    """A time or date that does not parse or is not allowed here."""


class NotFoundError(EngineError, LookupError):
    """Something named does not exist."""


class CaseNotFoundError(NotFoundError):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"no case {number!r}")


class WorkflowNotFoundError(NotFoundError):
    def __init__(
        self, name: str, version: int | None = None, known: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.version = version
        what = f"{name!r} version {version}" if version is not None else repr(name)
        hint = f"; known: {', '.join(known)}" if known else ""
        super().__init__(f"no workflow {what}{hint}")


class UserNotFoundError(NotFoundError):
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"no user {user_id!r} (add one with 'sagsflow user add')")


class DocumentNotFoundError(NotFoundError):
    def __init__(self, number: str, *, why: str = "") -> None:
        self.number = number
        super().__init__(why or f"no document {number!r}")


class NotAllowedError(EngineError):
    """The request is understood but not allowed."""


class TransitionNotAllowedError(NotAllowedError):
    """The event is not allowed in the case's current state."""

    def __init__(
        self,
        number: str,
        state: str,
        event: str,
        allowed: Sequence[str],
        *,
        unknown: bool = False,
    ) -> None:
        self.number = number
        self.state = state
        self.event = event
        self.allowed = tuple(allowed)
        self.unknown = unknown  # the workflow has no such event at all
        options = ", ".join(repr(a) for a in self.allowed) if self.allowed else "none"
        what = (
            f"{event!r} is not an event of this case's workflow"
            if unknown
            else f"cannot {event!r} from state {state!r}"
        )
        super().__init__(f"case {number} {what}; allowed now: {options}")


class RoleNotAllowedError(NotAllowedError):
    """The actor holds none of the roles the event is declared for."""

    def __init__(
        self, actor: str, roles: Sequence[str], event: str, allowed: Sequence[str]
    ) -> None:
        self.actor = actor
        self.roles = tuple(roles)
        self.event = event
        self.allowed = tuple(allowed)
        held = ", ".join(self.roles) or "no role"
        super().__init__(
            f"user {actor!r} ({held}) may not {event!r}; "
            f"allowed roles: {', '.join(self.allowed)}"
        )


class GuardRejectedError(NotAllowedError):
    """A named guard refused the event."""

    def __init__(self, guard: str, reason: str) -> None:
        self.guard = guard
        self.reason = reason
        super().__init__(f"{reason} (rule {guard!r})")


class ConflictError(EngineError):
    """The request conflicts with what is already recorded."""


class ConcurrentUpdateError(ConflictError):
    """Someone else changed the case between read and write."""

    def __init__(self, number: str, expected: int, actual: int | None = None) -> None:
        self.number = number
        self.expected = expected
        self.actual = actual
        now = f" (it is now at version {actual})" if actual is not None else ""
        super().__init__(
            f"case {number} was changed by another update since version "
            f"{expected}{now}; "
            "nothing was written: reload the case and try again"
        )


class UsersChangedError(ConflictError):
    """Someone else changed the users between read and write."""

    def __init__(self) -> None:
        super().__init__(
            "someone else changed the users at the same moment; "
            "nothing was written: try again"
        )


class UserDeactivatedError(NotAllowedError):
    """The user was deactivated: they cannot act, sign in or use a token."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(
            f"user {user_id!r} is deactivated and cannot act "
            "(an advisor can reactivate them: 'sagsflow user activate')"
        )


class DuplicateError(ConflictError):
    """A unique thing (case number, user id) already exists."""


class StorageError(EngineError):
    """The database failed; the driver's error is the `__cause__`."""


class ContentTamperedError(EngineError):
    """A document's stored content is gone or no longer has the digest its
    entry sealed: never served as good."""

    def __init__(self, number: str, *, missing: bool = False) -> None:
        self.number = number
        what = "is gone" if missing else "no longer matches its seal"
        super().__init__(f"document {number}: its content {what}")


class SchemaError(StorageError):
    """The database has no sagsflow schema, or an outdated one."""


class DeliveryError(EngineError):
    """A channel could not deliver a notification; the reason is the message."""
