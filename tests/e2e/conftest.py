"""Browser end-to-end fixtures: the app served on loopback, Debian's Chromium driven by
Playwright, and a screenshot of every step under test-artifacts/e2e/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed (scripts/run-tests installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (> 0: sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


_STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => !e.parentElement.closest('.table-wrap'))
  .slice(-5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
       + ' ' + (e.textContent || '').trim().slice(0, 40))"""


def assert_fits(page: Any, what: str = "") -> None:
    """No sideways scrolling; on failure, name the elements that stick out."""
    overflow = horizontal_overflow(page)
    if overflow > 0:
        width = page.viewport_size["width"]
        raise AssertionError(f"{what or page.url} is {overflow} px too wide at {width} px: "
                             f"{page.evaluate(_STICKING_OUT)}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one scenario."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def __call__(self, page: Any, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


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


def sign_in(page: Any, account: Any, clock: Any) -> None:
    """Sign a staff member in through /acceso: password, then a TOTP code of a new step."""
    page.goto("/acceso")
    page.fill("#username", account.username)
    page.fill("#password", account.password)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/acceso/verificacion")
    clock.advance(seconds=30)  # a new 30-second step: the code is not a replay
    page.fill("#code", account.code())
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/panel")
