"""Shared pytest fixtures: a real Chromium driven by Playwright."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def require_service(available: bool, reason: str) -> None:
    """Skip with a visible reason on a developer's machine; in CI a missing service fails."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this service must be available)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    require_service(
        CHROMIUM is not None, "Debian's chromium is not installed (make browser installs it)"
    )
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
    # around it are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def shots_dir() -> Path:
    """Where browser tests save their screenshots (var/screenshots unless told otherwise)."""
    repo = Path(__file__).resolve().parents[1]
    path = Path(os.environ.get("BALAI_SCREENSHOT_DIR") or repo / "var" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(chromium):
    # A 360-px phone: the console must work there.
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _fresh_number_cache():
    """The webhook's per-process cache of WhatsApp numbers is cleared when a number is saved,
    but a test's rollback saves nothing: start every test without it."""
    from balai.whatsapp.webhook import _NUMBER_CACHE

    _NUMBER_CACHE.clear()
    yield
