"""`/docs` works on a network that reaches nothing but the server itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.chromium import shot
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow


def test_the_api_docs_render_without_any_other_host(
    page: Page, office: LiveApi
) -> None:
    server = urlsplit(office.base_url).netloc
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    response = page.goto(f"{office.base_url}/docs")
    assert response is not None
    assert response.status == 200
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("sagsflow")
    operations = page.locator(".swagger-ui .opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 10
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    assert elsewhere == []
    shot(page, "09-docs")
