"""The machine's Chromium, driven by Playwright, and screenshots of what it shows.

Playwright's Python package carries its own driver but no browser, and the
tests never download one (`playwright install` is not run): they drive the
Debian `chromium` at `/usr/bin/chromium`, or the executable named by
`SAGSFLOW_TEST_CHROMIUM`. Without it the browser tests skip with a reason;
with `SAGSFLOW_TEST_BROWSER=required` (CI sets it) they fail instead, as the
PostgreSQL tests do with `SAGSFLOW_TEST_POSTGRES_URL` (tests/postgres.py).

Screenshots go to `SAGSFLOW_SCREENSHOT_DIR`, else `build/screenshots/` in the
repository, one full-page PNG per page state, named by the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package `chromium`

# Read once, at import: some test modules clear SAGSFLOW_* from the environment.
CHROMIUM = Path(
    os.environ.get("SAGSFLOW_TEST_CHROMIUM", "").strip() or DEFAULT_CHROMIUM
)
REQUIRED = os.environ.get("SAGSFLOW_TEST_BROWSER", "").strip().lower() == "required"
SCREENSHOTS = Path(
    os.environ.get("SAGSFLOW_SCREENSHOT_DIR", "").strip()
    or REPO_ROOT / "build" / "screenshots"
)

# Headless, and nothing that reaches out: this machine's network is closed, and
# Chromium's own background traffic (updates, sync, field trials) would only be
# refused and slow it down.
LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox will not start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = ViewportSize(width=1280, height=900)
LOCALE = "da-DK"
WAIT_MS = 30_000  # the most any one browser action or expectation may take


def chromium_executable() -> Path:
    """The Chromium to drive; skips (or fails, when required) without one."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"no Chromium at {CHROMIUM} (install Debian's `chromium`, or name one "
        "with SAGSFLOW_TEST_CHROMIUM)"
    )
    if REQUIRED:
        pytest.fail(f"SAGSFLOW_TEST_BROWSER=required but {reason}")
    pytest.skip(reason)


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of what `page` shows now as `<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled")
    return path
