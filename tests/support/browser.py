"""Driving Debian's Chromium with Playwright: page checks (no sideways scroll),
screenshots, sign-in, the request form."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import PG_URL

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
    """How many CSS pixels the page is wider than the viewport (> 0: sideways scrolling),
    measured two animation frames later: right after a viewport change the layout may still
    be the old width's (once the phone check read 253 px with nothing sticking out)."""
    return page.evaluate("""() => new Promise(done => requestAnimationFrame(
        () => requestAnimationFrame(
            () => done(document.documentElement.scrollWidth - window.innerWidth))))""")


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


# axe-core and the screenshots judge HTML and CSS, which do not depend on the database: the
# PostgreSQL pass drives the same pages over the same data, so only the SQLite pass judges
# them (about 30 s of each browser pass; the PostgreSQL pass keeps every other check).
JUDGE_PAGES = not PG_URL

# axe-core's impacts that fail a page (the bar: 0 critical, 0 serious).
FAILING_IMPACTS = ("critical", "serious")


def axe_violations(page: Any) -> list[str]:
    """axe-core's critical and serious violations on the page, one line each (rule, count,
    the first offending element)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in FAILING_IMPACTS]


def assert_accessible(page: Any, what: str = "") -> None:
    """No critical or serious axe-core violation at the page's current width."""
    if not JUDGE_PAGES:
        return
    found = axe_violations(page)
    if found:
        width = page.viewport_size["width"]
        raise AssertionError(f"{what or page.url} at {width} px: {found}")


class Shots:
    """Numbered screenshots of one scenario."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / name
        self.count = 0
        if JUDGE_PAGES:  # the PostgreSQL pass keeps the SQLite pass's pictures
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)

    def __call__(self, page: Any, step: str) -> Path | None:
        """Screenshot the page, once axe-core finds nothing critical or serious on it (the
        SQLite pass: ``JUDGE_PAGES``)."""
        if not JUDGE_PAGES:
            return None
        assert_accessible(page, step)
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


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


def fill_request(page, *, curp: str = "BEML920313HMCLNS09", nombres: str = "Luis Ángel",
                 primer_apellido: str = "Bernal", segundo_apellido: str = "Muñoz",
                 unit_clues: str = "MSSSA000120", email: str = "luis@example.org") -> None:
    """Fill /solicitud as a person would (expediente electrónico: SÍ, the default)."""
    page.goto("/solicitud")
    page.fill("#curp", curp)
    page.fill("#nombres", nombres)
    page.fill("#primer_apellido", primer_apellido)
    page.fill("#segundo_apellido", segundo_apellido)
    page.select_option("#unit_clues", unit_clues)
    page.select_option("#direccion_code", "DAM")
    page.select_option("#subdireccion_code", "SAPS")
    page.fill("#telefono", "777 123 4567")
    page.fill("#contact_email", email)
    page.select_option("#staff_type_code", "medico")
    for name in ("accepts_personal_account", "accepts_institutional_use",
                 "accepts_privacy_notice"):
        page.check(f"input[name={name}]")
