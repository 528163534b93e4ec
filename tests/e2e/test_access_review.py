"""A unit head answers an access review in a real browser: the panel's count, the unit's
accounts, one confirmed and one revoked with a single TOTP code, on a laptop and a phone
(screenshots under test-artifacts/e2e/)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from provisioning import db, timeutil
from provisioning.reviews import services as reviews
from provisioning.staff import services as staff
from tests.support.browser import assert_fits, sign_in
from tests.support.handoff_flow import Scene
from tests.support.lifecycle import bajas_of, person_id


def test_unit_head_answers_a_campaign(live_app, new_page, shots, clock) -> None:
    with live_app.app_context():
        scene = Scene(live_app, clock).cast()
        people = [scene.applicant("Ana", "Ruiz", "Campos", ece=False),
                  scene.applicant("Bruno", "Soto", "Díaz", ece=False)]
        scene.received_oficio([p.request_id for p in people])
        scene.record_accounts([p.request_id for p in people])
        it = staff.principal_for(staff.by_username("it.dept"))
        campaign = reviews.open_campaign(it, reviews.CampaignInput(
            ("MSSSA000120",), timeutil.local_today() + timedelta(days=10), 6), ip=None)
        db.commit()
        folio = campaign.folio
        head = scene.people["jefe.centro"][1]
        leaver = person_id(people[1].request_id)

    page = new_page()
    sign_in(page, head, clock)
    expect(page.locator("main")).to_contain_text("Cuentas por revisar (revisión de acceso)")
    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name="Revisiones").click()
    expect(page.locator("h1")).to_contain_text("Revisiones de acceso")
    shots(page, "revisiones del jefe de unidad")
    page.locator("main").get_by_role("link", name="MSSSA000120").first.click()
    expect(page.locator("h1")).to_contain_text(folio)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    rows.filter(has_text="ANA RUIZ CAMPOS").get_by_label("Confirmar").check()
    bruno = rows.filter(has_text="BRUNO SOTO DÍAZ")
    bruno.get_by_label("Revocar").check()
    bruno.locator("select").select_option("renuncia")
    shots(page, "respuestas elegidas")
    phone = new_page(390, 844)
    sign_in(phone, head, clock)
    phone.goto(page.url)
    assert_fits(phone, "revisión de la unidad en teléfono")
    shots(phone, "revision en telefono")
    clock.advance(seconds=30)
    page.fill("#code", head.code())
    page.get_by_role("button", name="Enviar las respuestas").click()
    expect(page.locator(".msg.ok, .msg")).to_contain_text("2 cuentas respondidas")
    expect(page.locator("main")).to_contain_text("Confirmada")
    expect(page.locator("main")).to_contain_text("BAJA-")
    shots(page, "respuestas enviadas")
    with live_app.app_context():
        [baja] = bajas_of(leaver)
        assert baja.status == "programada"
