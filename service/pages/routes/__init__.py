"""The pages, one router a module (all under `/ui`)."""

from __future__ import annotations

from service.pages.routes import (
    audit,
    cases,
    dashboard,
    documents,
    login,
    mine,
    oidc,
    search,
    verify,
)

ROUTERS = (
    login.router,
    oidc.router,
    dashboard.router,
    mine.router,
    search.router,
    cases.router,
    documents.router,
    audit.router,
    verify.router,
)

__all__ = ["ROUTERS"]
