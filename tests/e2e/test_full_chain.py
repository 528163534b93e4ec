"""The whole procedure in Chromium, through the pages only, in the demo's configuration
against the real test DC: a centro de salud request with expediente electrónico (observaciones
5 and 6: the responsable jurisdiccional signs it and delivers it), signed by the unit head in a
batch of five with one code, from /solicitud to SIEMPRE access; then the person moves to a
hospital (cambio de adscripción signed by its head) and leaves (baja).

The demo's configuration: ``alta demo``'s own setup (``demo.prepare``: its staff accounts,
passwords and TOTP seeds) and its directory settings (``demo.with_siempre_group``: the
SIEMPRE access group it gives a DC without one), the production step-up window. The test
only computes TOTP codes (each person types one, to sign in: their steps fall within the
step-up window); a worker thread runs the jobs as ``alta worker`` would. Every step leaves
a screenshot; at every step the page must not scroll sideways and axe-core must find no
critical or serious violation, at 1366 px and at a phone's 390 px.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import expect

from provisioning import demo
from provisioning.config import load_settings
from provisioning.directory import accounts, connection
from provisioning.directory.errors import BindRefused
from provisioning.jobs.worker import Worker
from tests.support.browser import assert_accessible, assert_fits, fill_request, sign_in
from tests.support.curp import person_curp, random_birth
from tests.support.staff import StaffAccount
from tests.support.web import serving

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Ahuehuete-Verde-73"
CENTRO = "MSSSA000120"  # a centro de salud of the Jurisdicción I
HOSPITAL = "MSSSA001270"  # a hospital of the same jurisdiction
WAIT_MS = 20_000  # a page that refreshes itself until the worker is done
# As in production and the demo: after signing in, a person's steps need no new code for
# 5 minutes (the test settings turn the window off).
STEP_UP_WINDOW = 300
BATCH = 5  # requests the unit head signs with one code


@pytest.fixture
def live_app(make_app, directory_config, directory) -> Iterator[Any]:
    """This module's live app (it overrides tests/e2e/conftest.py's), set up as ``alta demo``
    sets itself up: the demo's directory settings on the test DC (accounts in the test's OU,
    the demo's SIEMPRE access group) and the demo's staff accounts; mail stays in the outbox
    (no SMTP server here), and the sign-in rate limit is off (eight people sign in from one
    loopback address within a minute)."""
    settings = demo.with_siempre_group(
        load_settings(overrides={"directory": directory_config}, environ={}).directory)
    app = make_app(rate_limit={"enabled": False}, mail={"enabled": False},
                   directory={**directory_config, "siempre_group": settings.siempre_group},
                   security={"step_up_window_seconds": STEP_UP_WINDOW})
    with app.app_context():
        app.config["DEMO_STAFF"] = {username: (password, seed)
                                    for username, password, seed, _roles in demo.prepare()}
        app.config["SIEMPRE_GROUP_DN"] = accounts.resolve_group(connection.current(),
                                                                settings.siempre_group)
    with serving(app):
        yield app


@contextmanager
def worker_running(app: Any) -> Iterator[None]:
    """A job worker in a thread, as ``alta worker`` runs beside the web server."""
    worker = Worker(worker_id="e2e", poll_seconds=0.1)

    def work() -> None:
        with app.app_context():
            worker.run()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        worker.stop()
        thread.join(timeout=30)


class Chain:
    """The cast (each in their own browser context) and the checks every step shares."""

    def __init__(self, app: Any, new_page: Any, shots: Any, clock: Any) -> None:
        self.app, self.new_page, self.shots, self.clock = app, new_page, shots, clock
        self.staff: dict[str, StaffAccount] = {}
        self.codes = 0  # TOTP codes typed by the cast (the count)

    def shot(self, page: Any, step: str, *, phone: bool = False) -> None:
        """Screenshot ``step`` (also at 390 px with ``phone``); at 1366 and 390 px the page
        must fit and have no critical or serious axe-core violation."""
        assert_fits(page, step)
        self.shots(page, step)  # axe-core at 1366 px
        page.set_viewport_size(PHONE)
        try:
            assert_fits(page, step)
            assert_accessible(page, step)
            if phone:
                self.shots(page, f"{step} en telefono")
        finally:
            page.set_viewport_size(LAPTOP)

    def within_window(self, page: Any, field: str = "#code") -> None:
        """A signature right after signing in: the page says the last code still holds,
        and the code field is left empty."""
        expect(page.locator("main")).to_contain_text("su último código sigue vigente")
        expect(page.locator(field)).not_to_have_attribute("required", "")

    def sign_in(self, username: str) -> Any:
        """Sign a demo staff member in through /acceso with password and TOTP."""
        password, seed = self.app.config["DEMO_STAFF"][username]
        self.staff[username] = StaffAccount(username, password, seed, 0)
        self.codes += 1
        page = self.new_page()
        sign_in(page, self.staff[username], self.clock)
        return page

    def flash(self, page: Any, text: str) -> None:
        """The page shows the confirmation message ``text``."""
        expect(page.locator('main .msg[role="status"]')).to_contain_text(text)


def nav(page: Any, name: str) -> None:
    """Follow a link of the top navigation bar."""
    link = page.locator("header nav").get_by_role("link", name=name, exact=True)
    with page.expect_navigation():
        link.click()


def track(page: Any, folio: str, code: str) -> str:
    """/seguimiento with folio and tracking code; returns the state shown."""
    page.goto("/seguimiento")
    page.fill("#folio", folio)
    page.fill("#code", code)
    page.get_by_role("button", name="Consultar").click()
    badge = page.locator("main .badge")
    expect(badge).to_be_visible()
    return badge.inner_text()


def test_request_to_siempre_access_through_the_pages(live_app, new_page, shots, clock,
                                                     directory) -> None:
    chain = Chain(live_app, new_page, shots, clock)
    born = random_birth()
    curp_value = person_curp("Renata", "Olvera", "Zúñiga", born=born, sex="M",
                                    state="GR")

    # 1. The applicant: the form, the folio and tracking code, the tracking page.
    applicant = new_page()
    fill_request(applicant, curp=curp_value, nombres="Renata", primer_apellido="Olvera",
                 segundo_apellido="Zúñiga", unit_clues=CENTRO, email="renata@example.org")
    assert applicant.is_checked("input[name=expediente_electronico][value=si]")
    chain.shot(applicant, "solicitud llena")
    applicant.get_by_role("button", name="Enviar solicitud").click()
    secrets = applicant.locator(".secret")
    expect(secrets).to_have_count(2)
    folio, tracking_code = [s.strip() for s in secrets.all_inner_texts()]
    assert folio.startswith(f"{CENTRO}-")
    chain.shot(applicant, "folio y codigo de seguimiento")
    assert "en espera de la firma del jefe de unidad" in track(applicant, folio, tracking_code)
    chain.shot(applicant, "seguimiento enviada")

    # Four colleagues of the same centro ask too: the unit head will sign the five at once.
    folios = [folio]
    for given, surname in (("Abril", "Tapia"), ("Bruno", "Ocampo"), ("Celia", "Vergara"),
                           ("Dario", "Quintero"))[:BATCH - 1]:
        fill_request(applicant, curp=person_curp(given, surname, "Mora", born=random_birth(),
                                                 sex="H", state="MS"),
                     nombres=given, primer_apellido=surname, segundo_apellido="Mora",
                     unit_clues=CENTRO, email=f"{given.lower()}@example.org")
        applicant.get_by_role("button", name="Enviar solicitud").click()
        expect(applicant.locator(".secret")).to_have_count(2)
        folios.append(applicant.locator(".secret").first.inner_text().strip())

    with worker_running(live_app):
        # 2. The unit head reviews the request, then signs the five in one batch with no new
        # code (the one she signed in with still holds); observación 5 asks for a second
        # signature on each.
        jefe = chain.sign_in("jefe.cuernavaca")
        pending = jefe.locator("main .card").first  # her pending work comes first
        expect(pending).to_contain_text("Su trabajo pendiente")
        expect(pending).to_contain_text(str(BATCH))
        chain.shot(jefe, "panel del jefe de unidad", phone=True)
        nav(jefe, "Firmas")
        chain.shot(jefe, "firmas del jefe de unidad", phone=True)
        jefe.get_by_role("link", name=folio).first.click()  # waiting (and recent) requests
        expect(jefe.locator("h1")).to_contain_text(folio)
        chain.shot(jefe, "solicitud revisada por el jefe de unidad", phone=True)
        nav(jefe, "Firmas")
        for each in folios:
            jefe.get_by_role("checkbox", name=each, exact=True).check()
        chain.within_window(jefe)
        chain.shot(jefe, "cinco solicitudes elegidas para firmar", phone=True)
        jefe.get_by_role("button", name="Firmar las elegidas").click()
        chain.flash(jefe, f"{BATCH} solicitudes firmadas con un solo código.")
        jefe.get_by_role("link", name=folio).first.click()
        assert "en espera del responsable jurisdiccional" in jefe.inner_text("main")

        # 3. The responsable jurisdiccional signs.
        responsable = chain.sign_in("responsable.js1")
        nav(responsable, "Firmas")
        responsable.get_by_role("link", name=folio).first.click()
        chain.within_window(responsable)
        responsable.get_by_role("button", name="Firmar").click()
        chain.flash(responsable, f"Solicitud {folio} firmada.")
        chain.shot(responsable, "firma del responsable jurisdiccional")

        # 4. The liaison signs an oficio to IT with the request (TOTP).
        enlace = chain.sign_in("enlace.js1")
        nav(enlace, "Oficios")
        enlace.get_by_label(f"Incluir {folio}").check()
        enlace.get_by_role("button", name="Vista previa del oficio").click()
        preview = enlace.locator(".oficio-preview")
        expect(preview).to_contain_text("se asigna al firmar")
        expect(preview).to_contain_text(folio)
        expect(enlace.get_by_label(f"Incluir {folio}")).to_be_checked()
        chain.within_window(enlace)
        chain.shot(enlace, "oficio por firmar con su vista previa", phone=True)
        enlace.get_by_role("button", name="Firmar y enviar el oficio").click()
        chain.flash(enlace, "firmado y enviado al Departamento de Informática")
        oficio_number = enlace.locator("h1").inner_text().removeprefix("Oficio ").strip()
        assert re.fullmatch(r"\S+/\d{4}/\d{4}", oficio_number), oficio_number
        chain.shot(enlace, "oficio enviado")

        # 5. IT acknowledges receipt and creates the account on the DC.
        it = chain.sign_in("informatica")
        nav(it, "Oficios recibidos")
        it.get_by_role("link", name=oficio_number).first.click()
        it.get_by_role("button", name="Acusar de recibido").click()
        chain.flash(it, f"Acuse de recibo del oficio {oficio_number} registrado.")
        chain.shot(it, "acuse de informatica", phone=True)
        it.get_by_role("link", name="Crear las cuentas y ver su avance").click()
        it.get_by_role("button", name="Crear la cuenta pendiente de este oficio").click()
        chain.flash(it, "enviadas a crear su cuenta")
        # The page refreshes itself every 3 s while the worker creates the account.
        expect(it.locator("main")).to_contain_text(
            "Ninguna cuenta de este oficio espera en la cola", timeout=WAIT_MS)
        expect(it.locator("dl.facts dt:text-is('Cuentas creadas') + dd")).to_have_text("1")
        chain.shot(it, "cuenta creada en el directorio", phone=True)

        # 6. The head of IT signs the reply oficio (TOTP).
        jefe_it = chain.sign_in("jefe.informatica")
        nav(jefe_it, "Oficios recibidos")
        jefe_it.get_by_role("link", name="Respuesta", exact=True).click()
        user_name = jefe_it.locator("table code").first.inner_text().strip()
        assert user_name, "the reply shows the domain user name"
        chain.within_window(jefe_it)
        chain.shot(jefe_it, "oficio de respuesta por firmar", phone=True)
        jefe_it.get_by_role("button", name="Firmar y enviar el oficio de respuesta").click()
        chain.flash(jefe_it, "firmado y enviado al enlace jurisdiccional")
        reply_number = jefe_it.locator("h1").inner_text().removeprefix("Oficio ").strip()
        chain.shot(jefe_it, "oficio de respuesta firmado")

        # 7. The liaison acknowledges the reply (custody hop 1) and releases the account to
        # the responsable jurisdiccional (hop 2), both with TOTP.
        nav(enlace, "Entregas")
        enlace.get_by_role("link", name=reply_number).click()
        chain.within_window(enlace)
        enlace.get_by_role("button", name="Acusar de recibido").click()
        chain.flash(enlace, "las cuentas quedaron bajo su resguardo")
        nav(enlace, "Entregas")
        enlace.get_by_label(f"Entregar {folio}").check()
        assert "el responsable jurisdiccional de la Jurisdicción Sanitaria I" in \
            enlace.locator("table").first.inner_text()  # observación 6
        chain.within_window(enlace)
        chain.shot(enlace, "entregas del enlace", phone=True)
        enlace.get_by_role("button", name="Entregar las cuentas elegidas").click()
        chain.flash(enlace, "1 cuenta para 1 responsable de su entrega")

        # 8. The responsable confirms receipt (TOTP), checks the person's ID and delivers the
        # activation code in person: the printable slip.
        nav(responsable, "Entregas")
        receipt = responsable.locator("form[action$='/recibir']")
        expect(receipt).to_contain_text(folio)
        chain.within_window(responsable, "form[action$='/recibir'] input[name=code]")
        chain.shot(responsable, "recepcion del responsable", phone=True)
        receipt.get_by_role("button", name="Confirmar que las recibí").click()
        chain.flash(responsable, "Recepción confirmada: 1 cuenta bajo su resguardo")
        responsable.get_by_role("link", name="Entregar", exact=True).click()
        expect(responsable.locator("main")).to_contain_text(curp_value)
        responsable.select_option("#id_document", "ine")
        responsable.check("input[name=identity]")
        chain.within_window(responsable)
        chain.shot(responsable, "entrega en persona", phone=True)
        responsable.get_by_role("button", name="Entregar y mostrar el código").click()
        activation_code = responsable.locator(".slip .secret").inner_text().strip()
        assert responsable.locator(".slip-user").inner_text().strip() == user_name
        assert responsable.url.endswith("/hoja") and activation_code not in responsable.url
        expect(responsable.get_by_role("button", name="Imprimir la hoja")).to_be_visible()
        responsable.reload()  # a refresh neither loses the sheet nor delivers again
        assert responsable.locator(".slip .secret").inner_text().strip() == activation_code
        chain.shot(responsable, "hoja de activacion", phone=True)
        responsable.get_by_role("button", name="Ya la entregué: cerrar la hoja").click()
        chain.flash(responsable, "Alta ya no guarda su código")

        # 9. The person activates the account with their own password, then pre-registers.
        person = new_page()
        person.goto(f"/activar?usuario={user_name}")
        person.fill("#code", activation_code)
        person.fill("#curp", curp_value.lower())
        person.fill("#password", PASSWORD)
        person.fill("#password2", PASSWORD)
        chain.shot(person, "activar")
        person.get_by_role("button", name="Activar mi cuenta").click()
        expect(person.locator("h1")).to_have_text("Su cuenta está activa")
        chain.shot(person, "cuenta activada")
        person.get_by_role("link", name="Completar mi pre-registro").click()
        expect(person.locator("#usuario")).to_have_value(user_name)
        person.fill("#password", PASSWORD)
        person.get_by_role("button", name="Continuar").click()
        person.wait_for_url("**/preregistro/datos")
        person.fill("#nombres", "Renata")
        person.fill("#primer_apellido", "Olvera")
        person.fill("#segundo_apellido", "Zúñiga")
        facts = person.locator("main .from-curp").all_inner_texts()  # from her CURP
        assert facts == [born.strftime("%d/%m/%Y"), "Mujer (M)", "Guerrero"], facts
        person.select_option("#nacionalidad", "MEX")
        person.select_option("#staff_type_code", "medico")
        person.fill("#cedula_profesional", "1234567")
        person.fill("#telefono_institucional", "7773114455")
        chain.shot(person, "pre-registro")
        person.get_by_role("button", name="Completar mi pre-registro").click()
        # The confirmation refreshes itself until the worker adds the SIEMPRE group.
        expect(person.locator("main")).to_contain_text("Su acceso a SIEMPRE está activo",
                                                       timeout=WAIT_MS)
        expect(person.get_by_role("button", name="Imprimir la constancia")).to_be_visible()
        chain.shot(person, "pre-registro completo")

    # 10. What everyone sees at the end.
    state = track(applicant, folio, tracking_code)
    assert state == "Acceso activo a SIEMPRE"
    history = applicant.locator("main table").inner_text()
    for label in ("Firmada por el jefe de unidad", "Recibida por el Departamento de Informática",
                  "Cuenta creada", "Recibida por el enlace jurisdiccional",
                  "Recibida por el responsable jurisdiccional", "Código de activación entregado",
                  "Cuenta activada"):
        assert label in history, label
    chain.shot(applicant, "seguimiento final")
    # The codes the chain cost its people: one each, the one they signed in with (the
    # unit head, the responsable, the liaison, IT and the head of IT); every signature and
    # custody step, the unit head's batch of five included, fell within the step-up window.
    assert chain.codes == 5, chain.codes

    (account,) = accounts.find_by_curp(directory, curp_value)
    assert account.sam_account_name == user_name and account.enabled
    assert directory.absolute(directory.settings.users_ou).lower() in account.dn.lower()
    assert live_app.config["SIEMPRE_GROUP_DN"].lower() in [g.lower() for g in account.groups]
    accounts.verify_password(directory, account.guid, PASSWORD)  # a real bind

    # 11. She moves to the hospital: her unit head starts the cambio de adscripción, the
    # hospital's head signs it, and the worker moves the account (same objectGUID).
    with worker_running(live_app):
        old_head = jefe  # still signed in: no new code
        nav(old_head, "Personas")
        old_head.fill("#q", "Olvera")
        old_head.get_by_role("button", name="Buscar").click()
        old_head.get_by_role("link", name="RENATA OLVERA ZÚÑIGA").click()
        expect(old_head.locator("main")).to_contain_text("Habilitada")
        chain.shot(old_head, "expediente de la persona", phone=True)
        old_head.select_option("#unidad_destino-cambio", HOSPITAL)
        old_head.fill("#detalle-cambio", "Oficio de cambio 123/2026")
        old_head.get_by_role("button", name="Iniciar el cambio de adscripción").click()
        expect(old_head.locator("h1")).to_contain_text("Cambio de adscripción CAMBIO-")
        chain.shot(old_head, "cambio iniciado", phone=True)
        head = chain.sign_in("jefe.hospital")
        nav(head, "Cambios")
        head.locator("main table").get_by_role("link").first.click()
        chain.within_window(head)
        chain.shot(head, "cambio por firmar", phone=True)
        head.get_by_role("button", name="Firmar", exact=True).click()
        for _ in range(100):  # the worker moves it (the DC answers in well under 10 s)
            if "Ejecutado" in head.inner_text("main .facts"):
                break
            head.wait_for_timeout(100)
            head.reload()
        expect(head.locator("main .facts")).to_contain_text("Ejecutado")
        chain.shot(head, "cambio ejecutado", phone=True)
    (moved,) = accounts.find_by_curp(directory, curp_value)
    assert moved.guid == account.guid and moved.enabled
    assert live_app.config["SIEMPRE_GROUP_DN"].lower() in [g.lower() for g in moved.groups]

    # 12. She leaves: the head of her new unit finds her, starts and signs the baja for
    # today, and the worker disables the account on the DC.
    with worker_running(live_app):
        nav(head, "Personas")
        head.fill("#q", "Olvera")
        head.get_by_role("button", name="Buscar").click()
        head.get_by_role("link", name="RENATA OLVERA ZÚÑIGA").click()
        expect(head.locator("main")).to_contain_text(HOSPITAL)
        head.select_option("#motivo", "renuncia")
        chain.within_window(head)
        chain.shot(head, "baja por firmar", phone=True)
        head.get_by_role("button", name="Firmar e iniciar la baja").click()
        expect(head.locator("h1")).to_contain_text("Baja BAJA-")
        for _ in range(100):  # the worker executes it (the DC answers in well under 10 s)
            if "Ejecutada" in head.inner_text("main .facts"):
                break
            head.wait_for_timeout(100)
            head.reload()
        expect(head.locator("main .facts")).to_contain_text("Ejecutada")
        chain.shot(head, "baja ejecutada", phone=True)
    (account,) = accounts.find_by_curp(directory, curp_value)
    assert not account.enabled and account.groups == () and "OU=Bajas" in account.dn
    with pytest.raises(BindRefused):
        accounts.verify_password(directory, account.guid, PASSWORD)
    with live_app.app_context():
        result = live_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
