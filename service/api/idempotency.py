"""`Idempotency-Key` on POSTs: a retried request answers as the first did.

The key is scoped to the token's user. The request's fingerprint is the
SHA-256 of its method, path and body (the validated body, as canonical JSON),
so the same body written with other spacing or key order is the same request.

    no key                      the request runs as it is
    a new key                   claimed (a row under a unique key) BEFORE the
                                request fires; its answer is stored after
    the key, the same request,  the stored status and body again, with
      answered                  `Idempotent-Replayed: true`; nothing fires
    the key, the same request,  409: the first is still running (or died
      not answered yet          between firing and answering: then look at
                                the case before trying with a new key)
    the key, another request    422

A request that fails (any error) fired nothing (the engine's transaction
rolled back), so its claim is released and the key may be used again. Keys
are kept for the retention period (`SAGSFLOW_API_IDEMPOTENCY_HOURS`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.responses import Response

from engine.exceptions import StorageError
from engine.records import IdempotencyRecord, User
from service.api.problems import ApiProblem
from service.api.state import ApiState

log = structlog.get_logger()

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_PATTERN = f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"  # visible ASCII


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What a POST answers: a status, a JSON body and headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        [method.upper(), path, payload],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_key(key: str) -> str:
    """A key of 1-255 visible ASCII characters.

    Raises:
        ApiProblem: 400 otherwise.
    """
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise ApiProblem(
            400,
            "bad-idempotency-key",
            "Bad Idempotency-Key",
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} visible ASCII characters",
        )
    return key


def respond(outcome: Outcome) -> Response:
    return _response(outcome.status, _dumps(outcome.body), outcome.headers)


def run_once(
    state: ApiState,
    *,
    user: User,
    key: str | None,
    method: str,
    path: str,
    payload: Mapping[str, Any],
    work: Callable[[], Outcome],
) -> Response:
    """Run `work` once per (user, key); see the module docstring."""
    if key is None:
        return respond(work())
    check_key(key)
    clock = state.engine.clock
    now = clock.now()
    claim = IdempotencyRecord(
        user_id=user.id,
        key=key,
        fingerprint=fingerprint(method, path, payload),
        created_at=now,
    )
    with state.store.transaction() as tx:
        held = tx.claim_idempotency(
            claim, expire_before=now - state.idempotency_retention
        )
    if held is not None:
        return _replay(held, claim)
    try:
        outcome = work()
    except BaseException:
        try:
            with state.store.transaction() as tx:
                tx.release_idempotency(user.id, key)
        except StorageError:  # the key stays in flight: a retry gets 409
            log.warning("idempotency_key_not_released", user=user.id)
        raise
    body = _dumps(outcome.body)
    with state.store.transaction() as tx:
        tx.finish_idempotency(
            user.id,
            key,
            status=outcome.status,
            body=body,
            headers=dict(outcome.headers),
            at=clock.now(),
        )
    return _response(outcome.status, body, outcome.headers)


def _replay(held: IdempotencyRecord, claim: IdempotencyRecord) -> Response:
    if held.fingerprint != claim.fingerprint:
        raise ApiProblem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key used for another request",
            f"the {HEADER} {claim.key!r} was used at {held.created_at.isoformat()} "
            "for a request with another method, path or body; use a new key",
        )
    if held.status is None or held.body is None:
        raise ApiProblem(
            409,
            "idempotency-key-in-flight",
            "Request with this Idempotency-Key in flight",
            f"a request with the {HEADER} {claim.key!r} started at "
            f"{held.created_at.isoformat()} and has not answered; if it never "
            "does, check the case before trying again with a new key",
        )
    headers = {str(k): str(v) for k, v in held.headers.items()}
    return _response(held.status, held.body, headers | {REPLAYED: "true"})


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _response(status: int, body: str, headers: Mapping[str, str]) -> Response:
    return Response(
        content=body,
        status_code=status,
        media_type="application/json",
        headers=dict(headers),
    )
