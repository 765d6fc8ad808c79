"""The browser reaches the real server: `/health` as Chromium shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow


def test_health_in_the_browser(page: Page, office: LiveApi) -> None:
    response = page.goto(f"{office.base_url}/health")
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    health = response.json()
    assert health["scheduler"] == "off"  # `sagsflow api` runs no chaser
    assert health["database"] == "ok"
    expect(page.locator("body")).to_contain_text('"status":"ok"')
    shot(page, "00-health")
