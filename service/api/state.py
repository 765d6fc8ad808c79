"""What every request handler reaches: the engine, the settings and friends.

One `ApiState` per app, built by `service.api.app.create_app` and kept on
`app.state`; handlers get it with the `api_state` dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from fastapi import Request

from engine.cases.engine import CaseEngine
from engine.cases.renditions import Renditions
from service.api.metrics import Metrics
from service.api.store import ApiStore
from service.settings import Settings


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiState:
    """The API's collaborators.

    Attributes:
        engine: the case engine (its clock is the API's clock).
        store: the API's own rows (tokens, idempotency keys), in the engine's
            database.
        settings: the settings the process runs with.
        metrics: what `/metrics` reports.
        idempotency_retention: how long an `Idempotency-Key` is remembered.
        scheduler_running: whether the chaser's timer runs in this process;
            None when the process runs no chaser (`sagsflow api`).
        renditions: renders the letters a request's step wrote, after the
            response (service.renditions); None renders none.
    """

    engine: CaseEngine
    store: ApiStore
    settings: Settings
    metrics: Metrics
    idempotency_retention: timedelta
    scheduler_running: Callable[[], bool] | None = None
    renditions: Renditions | None = None


def api_state(request: Request) -> ApiState:
    return cast(ApiState, request.app.state.sagsflow)
