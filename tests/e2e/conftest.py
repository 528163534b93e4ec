"""Browser end-to-end fixtures: the app served on loopback, Debian's Chromium driven by
Playwright, and a screenshot of every step under test-artifacts/e2e/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Shots,
    _require_chromium,
)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()




@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def new_page(chromium: Any, live_app: Any) -> Iterator[Any]:
    """new_page(width, height) → a page in its own browser context (own cookies)."""
    contexts = []

    def make(width: int = 1366, height: int = 768) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height},
                                       base_url=live_app.config["LIVE_URL"], locale="es-MX")
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


