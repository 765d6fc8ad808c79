"""`create_app`: the FastAPI application over a `CaseEngine`.

The composition root of the HTTP surface: routers, the problem handlers, the
middleware (outermost first: request log, last resort, token gate, body
limit), and the OpenAPI document at `/openapi.json` with interactive docs at
`/docs` (Swagger UI from fastapi-offline's copy, at /docs-assets: no CDN).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib.metadata import version

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from engine.cases.engine import CaseEngine
from engine.cases.renditions import Renditions
from engine.exceptions import InvalidInputError
from service import pages
from service.api import openapi, problems
from service.api.auth import DOCS_ASSETS
from service.api.metrics import Metrics
from service.api.middleware import AuthGate, BodyLimit, LastResort, RequestLog
from service.api.routes import ROUTERS
from service.api.routes.documents import UPLOAD_OVERHEAD
from service.api.routes.shared import known_query_only
from service.api.state import ApiState
from service.api.store import ApiStore
from service.renditions import PdfRenderer
from service.settings import Settings

DESCRIPTION = """\
Declared workflows for public case handling, over HTTP.

Every request except `/health` carries `Authorization: Bearer <token>`
(`sagsflow token create USER`) and acts as that user. Errors are RFC 9457
problem details (`application/problem+json`). POSTs accept an
`Idempotency-Key`. The JSON is that of the command line's `--json`.
"""


def create_app(
    *,
    engine: CaseEngine,
    store: ApiStore,
    settings: Settings,
    metrics: Metrics | None = None,
    scheduler_running: Callable[[], bool] | None = None,
) -> FastAPI:
    """The API over `engine`.

    Args:
        engine: the case engine; its clock is the API's clock.
        store: the API's tokens and idempotency keys (the engine's database).
        settings: body limit and idempotency retention are read from here.
        metrics: what `/metrics` reports (one is made when not given).
        scheduler_running: whether this process's chaser timer runs, for
            `/health`; None when the process runs no chaser.

    Raises:
        InvalidInputError: a setting out of range.
    """
    if settings.api_max_body_bytes < 1:
        raise InvalidInputError(
            "SAGSFLOW_API_MAX_BODY_BYTES must be a whole number of bytes >= 1"
        )
    if settings.api_idempotency_hours < 1:
        raise InvalidInputError(
            "SAGSFLOW_API_IDEMPOTENCY_HOURS must be a whole number of hours >= 1"
        )
    # /docs from the package's own copy of Swagger UI: FastAPI's default loads it
    # from a CDN, which a closed office network cannot reach, and which would
    # tell a third party who reads the API documentation, and when.
    app = FastAPIOffline(
        title="sagsflow",
        version=version("sagsflow"),
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS,
        dependencies=[Depends(known_query_only)],
    )
    state = ApiState(
        engine=engine,
        store=store,
        settings=settings,
        metrics=metrics or Metrics(store=engine.store, clock=engine.clock),
        idempotency_retention=timedelta(hours=settings.api_idempotency_hours),
        scheduler_running=scheduler_running,
        renditions=Renditions(
            store=engine.store,
            clock=engine.clock,
            rules=engine.rules,
            renderer=PdfRenderer(settings),
        ),
    )
    app.state.sagsflow = state
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # add_middleware wraps what is there: the last one added is the outermost.
    app.add_middleware(
        BodyLimit,
        limit=settings.api_max_body_bytes,
        # a document's bytes, and room for the form's other fields
        upload_limit=settings.document_max_bytes + UPLOAD_OVERHEAD,
    )
    app.add_middleware(AuthGate, state=state)
    app.add_middleware(LastResort)
    app.add_middleware(RequestLog)
    openapi.install(app, engine.registry)
    pages.install(app, state)  # the review pages under /ui
    return app
