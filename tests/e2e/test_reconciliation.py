"""IT reconciles the existing directory in a real browser: the menu's «Directorio», the
imported accounts with their name candidates, one confirmed, one marked as a service account,
the person's record showing the linked account, and the orphans and dormant report, on a
laptop and a phone (screenshots under test-artifacts/e2e/).

The accounts are written as the import writes them (tests/support/reconciliation.py); the
import itself runs against the real DC in tests/reconciliation/test_import_dc.py."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from provisioning import db, timeutil
from tests.support.browser import assert_fits, sign_in
from tests.support.handoff_flow import Scene
from tests.support.lifecycle import person_id
from tests.support.reconciliation import imported_account


def test_it_confirms_a_candidate_and_reads_the_orphans(live_app, new_page, shots,
                                                        clock) -> None:
    with live_app.app_context():
        scene = Scene(live_app, clock).cast()
        carla = scene.applicant("Carla", "Mena", "Ríos", ece=False)
        pid = person_id(carla.request_id)
        imported_account("cmena", given="Carla", surname="Mena Ríos", candidates=((pid, 100),))
        imported_account("rayosx.hgc", given="Rayos X", surname="Consulta")
        imported_account("jlopez.viejo", given="Javier", surname="López",
                         last_logon_at=timeutil.now() - timedelta(days=400))
        db.commit()
        it = scene.people["it.dept"][1]

    page = new_page()
    sign_in(page, it, clock)
    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name="Directorio").click()
    page.get_by_role("link", name="Conciliación").click()
    expect(page.locator("h1")).to_contain_text("Conciliación del directorio")
    expect(page.locator("main")).to_contain_text("3 cuentas")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="cmena")).to_contain_text("CARLA MENA RÍOS")
    shots(page, "conciliacion con candidatos")
    phone = new_page(390, 844)
    sign_in(phone, it, clock)
    phone.goto(page.url)
    assert_fits(phone, "conciliación en teléfono")
    shots(phone, "conciliacion en telefono")

    rows.filter(has_text="cmena").get_by_role("button", name="Confirmar").click()
    expect(page.locator(".msg")).to_contain_text("Cuenta cmena: vinculada.")
    rows.filter(has_text="rayosx.hgc").get_by_role("button", name="Cuenta de servicio").click()
    expect(page.locator(".msg")).to_contain_text("marcada como cuenta de servicio")
    expect(rows.filter(has_text="rayosx.hgc")).to_contain_text("servicio")
    shots(page, "cuentas decididas")

    rows.filter(has_text="cmena").get_by_role("link", name="CARLA MENA RÍOS").click()
    expect(page.locator("main")).to_contain_text("cmena")
    shots(page, "expediente con la cuenta vinculada")

    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name="Directorio").click()
    page.get_by_role("link", name="Cuentas huérfanas e inactivas").click()
    main = page.locator("main")
    # Unlinked and unused for 400 days: in both lists. The service account and the linked
    # one are in neither.
    expect(main).to_contain_text("jlopez.viejo")
    expect(main).not_to_contain_text("rayosx.hgc")
    expect(main).not_to_contain_text("cmena")
    shots(page, "huerfanas e inactivas")
