"""Through the pages in a real browser: the applicant's request and tracking, a staff
member's first sign-in with TOTP enrolment, and the layout at laptop and phone widths."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from provisioning import db
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.browser import assert_fits, fill_request, horizontal_overflow, sign_in
from tests.support.staff import STAFF_PASSWORD, create_staff_account


def test_applicant_submits_and_tracks(new_page, shots) -> None:
    page = new_page()
    page.goto("/")
    shots(page, "inicio")
    fill_request(page, curp="PEGL890909MJCRMS09")  # wrong check digit first
    page.click("button[type=submit]")
    assert "dígito verificador" in page.inner_text("main")
    shots(page, "curp con error")
    page.fill("#curp", "PEGL890909MJCRMS08")
    page.click("button[type=submit]")
    folio, code = [s.strip() for s in page.locator(".secret").all_inner_texts()]
    assert folio.startswith("MSSSA000120-")
    shots(page, "solicitud registrada")
    page.goto("/seguimiento")
    page.fill("#folio", folio)
    page.fill("#code", code)
    page.click("button[type=submit]")
    assert "en espera de la firma del jefe de unidad" in page.inner_text("main")
    shots(page, "seguimiento")


def test_the_form_fills_the_adscription_and_finds_a_unit(new_page, shots) -> None:
    page = new_page()
    page.goto("/solicitud")
    page.fill("#unit_search", "hospital cuernav")  # accents and case do not matter
    shown = page.locator("#unit_clues option:not([hidden])").all_inner_texts()
    assert shown and all("Hospital" in name and "Cuernavaca" in name for name in shown[1:])
    assert page.locator("#unit_clues option[value=MSSSA000120]").get_attribute(
        "hidden") is not None  # a centro de salud is hidden
    page.select_option("#unit_clues", "MSSSA001270")  # a hospital: Hospitales
    assert (page.input_value("#direccion_code"), page.input_value("#subdireccion_code")) == \
        ("DAM", "SH")
    page.fill("#unit_search", "")
    page.select_option("#unit_clues", "MSSSA000120")  # a centro: Atención Primaria
    assert page.input_value("#subdireccion_code") == "SAPS"
    shots(page, "adscripcion llenada")
    page.check("input[name=expediente_electronico][value=no]")
    page.select_option("#subdireccion_code", "")
    page.select_option("#unit_clues", "MSSSA001270")  # without SIEMPRE: the person chooses
    assert page.input_value("#subdireccion_code") == ""


def test_staff_first_sign_in_enrols_totp(new_page, live_app, shots) -> None:
    with live_app.app_context():
        create_staff_account("ana.jefa", staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120"),
                             enrolled=False)
        db.commit()
    page = new_page()
    page.goto("/acceso")
    page.fill("#username", "ana.jefa")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/acceso/configurar-autenticador")
    assert page.locator(".qr svg").count() == 1
    shots(page, "configurar autenticador")
    seed = page.inner_text("code").strip()
    page.fill("#code", pyotp.TOTP(seed).now())
    page.click("button[type=submit]")
    assert page.locator("ol.codes li").count() == 10
    shots(page, "codigos de recuperacion")
    page.click("text=Ya los guardé, continuar")
    page.wait_for_url("**/panel")
    assert "Jefe(a) de unidad" in page.inner_text("main")
    shots(page, "panel")


def test_pages_fit_a_phone_screen(new_page, shots) -> None:
    page = new_page(390, 844)
    for path in ("/", "/solicitud", "/seguimiento", "/acceso"):
        page.goto(path)
        assert horizontal_overflow(page) <= 0, (path, horizontal_overflow(page))
    page.goto("/solicitud")
    shots(page, "solicitud en telefono")


def test_a_request_fits_a_phone_for_the_unit_head(new_page, live_app, clock, shots) -> None:
    """The staff request page (with its 64-character content hash) must not scroll sideways."""
    with live_app.app_context():
        head = create_staff_account("jefa.telefono",
                                    staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120"))
    applicant = new_page()
    fill_request(applicant)
    applicant.get_by_role("button", name="Enviar solicitud").click()
    folio = applicant.locator(".secret").first.inner_text().strip()
    page = new_page(390, 844)
    sign_in(page, head, clock)
    page.goto("/firmas")
    assert_fits(page)
    page.get_by_role("link", name=folio).first.click()
    expect(page.locator("h1")).to_contain_text(folio)
    assert_fits(page)
    shots(page, "solicitud del jefe en telefono")
