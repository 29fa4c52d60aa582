"""Browser tests: one served plant and one Debian chromium (driven by Playwright) per session; each role logs
in through the real login page once, and tests open pages from that role's stored session.

Screenshots go to a temporary directory; with ``PLANTLOOP_SCREENSHOTS=1`` they are written to
``docs/screenshots/`` (how the committed ones were made).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.plant import PASSWORDS, ServedPlant, serve_plant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
TV_WALL = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="package")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPlant]:
    served = serve_plant(tmp_path_factory.mktemp("ui-plant"))
    yield served
    served.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make install does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def sessions(plant: ServedPlant, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stored browser sessions by user name (filled on first use through the login page)."""
    return {}


def login(page: Any, base_url: str, username: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/login")
    page.locator("[data-test=login-username]").fill(username)
    page.locator("[data-test=login-password]").fill(password)
    page.locator("[data-test=login-submit]").click()


@pytest.fixture
def open_as(
    plant: ServedPlant, browser: Any, sessions: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Any]]:
    """``open_as(user, path, viewport=DESKTOP)`` → a Playwright page of ``path`` in ``user``'s session."""
    contexts: list[Any] = []

    def open_page(username: str, path: str, viewport: dict[str, int] | None = None) -> Any:
        if username not in sessions:
            context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
            page = context.new_page()
            login(page, plant.base_url, username, PASSWORDS.get(username, "demo"))
            page.wait_for_url("**/home", timeout=15_000)
            state = tmp_path_factory.mktemp("sessions") / f"{username}.json"
            context.storage_state(path=str(state))
            context.close()
            sessions[username] = state
        context = browser.new_context(
            viewport=viewport or DESKTOP, storage_state=str(sessions[username]), accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{plant.base_url}{path}")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="package")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: a viewport PNG (to docs/screenshots with PLANTLOOP_SCREENSHOTS=1)."""
    folder = tmp_path_factory.mktemp("screenshots")

    def take(page: Any, name: str, *, full_page: bool = False) -> Path:
        page.wait_for_timeout(400)  # let charts finish their entry animation
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if os.environ.get("PLANTLOOP_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SCREENSHOTS / path.name)
        return path

    return take
