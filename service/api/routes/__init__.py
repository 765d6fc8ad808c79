"""The API's resources, one router a module."""

from __future__ import annotations

from service.api.routes import (
    audit,
    cases,
    documents,
    erasure,
    outbox,
    owners,
    reports,
    system,
    workflows,
)

ROUTERS = (
    system.router,
    workflows.router,
    documents.uploads,  # before cases.router: multipart events, a file with each
    cases.router,
    documents.router,
    erasure.router,
    owners.router,
    audit.router,
    reports.router,
    outbox.router,
)

__all__ = ["ROUTERS"]
