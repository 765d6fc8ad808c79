"""The users' hash chain: who could do what, and who changed it, tamper-evident.

Every change to a user (added, deactivated, activated, roles, login, name,
e-mail) is one `UserChange`, sealed onto one chain for the whole office:
`hash = sha256(prev_hash + "\\n" + canonical content)`, the first entry's
`prev_hash` being `GENESIS`. An entry holds the user as the change left them
(`state`), so the chain alone answers "which roles did jur hold on 3 March",
and `verify_users` compares the stored users with the chain's last word on
each. Checkpoints carry the chain's head as one more leaf, named `USERS_CHAIN`
(never a case number), so a re-chained or truncated users' chain shows too.

Hazard: the canonical form is part of the record. Never change `canonical`;
a new form is a new function and a new version in the fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from engine.audit.verify import Problem
from engine.records import JsonDict, User, UserChange
from engine.workflow.definition import SYSTEM_ACTOR

USERS_CHAIN = "users"  # the chain's name in checkpoints and problems
VERSION = 1
GENESIS = "0" * 64


def user_state(user: User) -> JsonDict:
    """What the chain records of a user: everything that decides what they may do."""
    return {
        "id": user.id,
        "roles": list(user.roles),
        "name": user.name,
        "login": user.login,
        "email": user.email,
        "active": user.active,
    }


def user_of_state(state: Mapping[str, object], created_at: datetime | None) -> User:
    """The user a chain entry's `state` describes."""
    roles = state.get("roles")
    return User(
        id=str(state.get("id")),
        roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
        name=_text(state.get("name")),
        login=_text(state.get("login")),
        email=_text(state.get("email")),
        active=state.get("active") is True,
        created_at=created_at,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def canonical(change: UserChange) -> bytes:
    """The bytes an entry's hash covers (version 1)."""
    fields = {
        "v": VERSION,
        "chain": USERS_CHAIN,
        "seq": change.seq,
        "user": change.user_id,
        "change": change.change,
        "actor": change.actor,
        "at": change.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "reason": change.reason,
        "state": change.state,
        "via": change.via,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def link_hash(prev_hash: str, change: UserChange) -> str:
    return hashlib.sha256(
        prev_hash.encode("ascii") + b"\n" + canonical(change)
    ).hexdigest()


def seal(change: UserChange, prev_hash: str) -> UserChange:
    """`change` with its place on the chain: after the entry whose hash is given."""
    sealed = replace(change, prev_hash=prev_hash, hash="")
    return replace(sealed, hash=link_hash(prev_hash, sealed))


def enrolment(users: Sequence[User]) -> list[UserChange]:
    """The entries that start the chain for users added before it existed:
    one `enrolled` entry each, in the order given, by the system."""
    out: list[UserChange] = []
    prev = GENESIS
    for seq, user in enumerate(users, start=1):
        at = user.created_at or datetime(1970, 1, 1, tzinfo=UTC)
        entry = seal(
            UserChange(
                seq=seq,
                user_id=user.id,
                change="enrolled",
                actor=SYSTEM_ACTOR,
                at=at,
                reason="recorded when the users' chain began",
                state=user_state(user),
                via={"channel": "system"},
            ),
            prev,
        )
        out.append(entry)
        prev = entry.hash
    return out


def verify_users(
    changes: Iterable[UserChange],
    users: Iterable[User],
    *,
    anchor: tuple[int, str] | None = None,
) -> tuple[int, list[Problem]]:
    """Check the users' chain link by link, then the users against it.

    Returns the number of entries read and the problems, each naming the first
    bad entry (`case` is `USERS_CHAIN`): a missing seq (deleted), a broken
    link, content that does not give its hash (altered), a chain shorter than
    or different from the checkpoint's (truncated, rechained); then each user
    whose stored row differs from what the chain last said of them
    (user_changed), a user the chain never recorded (user_inserted), and one
    the chain has but the users do not (user_deleted).
    """
    problems: list[Problem] = []

    def bad(
        seq: int | None, kind: str, detail: str, covered: int | None = None
    ) -> None:
        problems.append(
            Problem(
                case=USERS_CHAIN, seq=seq, kind=kind, detail=detail, covered=covered
            )
        )

    last: dict[str, UserChange] = {}
    prev = GENESIS
    count = 0
    broken = False
    for change in changes:
        count += 1
        if broken:
            continue
        if change.seq != count:
            bad(count, "deleted", f"entry {count} is missing from the users' chain")
            broken = True
        elif change.prev_hash != prev:
            bad(change.seq, "broken_link", "does not follow the entry before it")
            broken = True
        elif link_hash(prev, change) != change.hash:
            bad(
                change.seq,
                "altered",
                f"its content was changed ({change.change} of user {change.user_id!r})",
            )
            broken = True
        elif (
            anchor is not None and change.seq == anchor[0] and change.hash != anchor[1]
        ):
            bad(
                change.seq,
                "rechained",
                "differs from the checkpoint's head of the "
                "users' chain: the chain was re-written",
            )
            broken = True
        prev = change.hash
        last[change.user_id] = change
    if not broken and anchor is not None and anchor[0] > count:
        bad(
            count + 1 if count else None,
            "truncated",
            f"the checkpoint recorded {anchor[0]} entries of the users' chain; "
            f"it holds {count}",
            anchor[0],
        )
    if broken:
        return count, problems
    seen: set[str] = set()
    for user in users:
        seen.add(user.id)
        entry = last.get(user.id)
        if entry is None:
            bad(
                None,
                "user_inserted",
                f"user {user.id!r} is stored but the users' chain never added them",
            )
        elif user_state(user) != entry.state:
            fields = sorted(
                k for k, v in user_state(user).items() if entry.state.get(k) != v
            )
            bad(
                entry.seq,
                "user_changed",
                f"user {user.id!r} differs from the users' chain in "
                f"{', '.join(fields)}",
            )
    for user_id in sorted(set(last) - seen):
        bad(
            last[user_id].seq,
            "user_deleted",
            f"user {user_id!r} is on the users' chain but not among the users",
        )
    return count, problems
