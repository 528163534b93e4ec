"""Helpers for tests that walk requests from the oficio to the person, on a database that
really commits and the real test DC: people with roles, requests whose CURP matches their
names, and one function per step of the procedure, each through HTTP."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.directory import accounts, connection
from provisioning.handoff.models import ActivationCode, CustodyTransfer
from provisioning.it import services as it
from provisioning.jobs import services as jobs
from provisioning.oficios.models import Oficio
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.curp import person_curp, random_birth
from tests.support.forms import VALID_FORM
from tests.support.staff import StaffAccount, create_staff_account, login
from tests.support.web import Browser

CENTRO = {"unit_clues": "MSSSA000120"}  # centro de salud, Jurisdicción I
HOSPITAL = {"unit_clues": "MSSSA001270", "subdireccion_code": "SH"}  # hospital, JS I
SLIP_CODE = re.compile(r'class="secret">([^<]+)<')

# Each run draws its own birth dates, so CURPs never collide with accounts that other runs
# (or other engineers' tests on the shared DC) are using at the same moment.
_RNG = random.Random(uuid.uuid4().int)

GOOD_PASSWORD = "Jacaranda-Azul-2026"


def values(read: Any) -> Any:
    """Run ``read()`` on fresh data and end the transaction (SQLite: never keep the lock).

    Rows it returns are detached with what was loaded: reading them later runs no query
    (a query would open a transaction and block the next HTTP request on SQLite).
    """
    db.session().expire_all()
    try:
        return read()
    finally:
        db.session().expunge_all()
        db.rollback()


def status_of(request_id: int) -> str:
    """The request's state as committed."""
    return values(lambda: db.session().get(AccountRequest, request_id).status)


@dataclass
class Applicant:
    """A person who filed a request: what they know and what the test needs."""

    request_id: int
    folio: str
    tracking_code: str
    curp: str
    nombres: str
    primer_apellido: str
    segundo_apellido: str | None
    born: date
    sex: str
    state: str
    browser: Browser


@dataclass
class Scene:
    """Staff members with roles (each with a signed-in browser) on one committing app."""

    app: Flask
    clock: Any
    people: dict[str, tuple[Browser, StaffAccount]] = field(default_factory=dict)

    def person(self, name: str, role: Role, **scope: str) -> Browser:
        """A staff member (created and signed in on first use)."""
        if name not in self.people:
            account = create_staff_account(name, staff.Grant(role, **scope))
            browser = Browser(self.app.test_client())
            login(browser, account, self.clock)
            self.people[name] = (browser, account)
        return self.people[name][0]

    def sign_in_again(self, name: str) -> Browser:
        """A new browser and session for ``name`` (after the clock jumped past the idle
        timeout, or just in case it did)."""
        _, account = self.people[name]
        browser = Browser(self.app.test_client())
        login(browser, account, self.clock)
        self.people[name] = (browser, account)
        return browser

    def totp(self, name: str) -> str:
        """A fresh TOTP code of ``name`` (the clock moves to a new 30-second step)."""
        self.clock.advance(seconds=30)
        return self.people[name][1].code()

    def post(self, name: str, path: str, data: dict[str, Any] | None = None,
             *, step_up: bool = False) -> Any:
        """POST as ``name`` (with a fresh TOTP code in ``code`` when ``step_up``)."""
        form = dict(data or {})
        if step_up:
            form["code"] = self.totp(name)
        return self.people[name][0].post(path, form, page="/panel")

    # The usual cast of the Jurisdicción I.
    def cast(self) -> Scene:
        """Liaison, IT, head of IT, the centro de salud's and the hospital's heads, and the
        responsable jurisdiccional."""
        self.person("enlace", Role.ENLACE, jurisdiction_code="I")
        self.person("it.dept", Role.INFORMATICA)
        self.person("jefe.it", Role.JEFE_INFORMATICA)
        self.person("jefe.centro", Role.JEFE_UNIDAD, unit_clues=CENTRO["unit_clues"])
        self.person("jefe.hospital", Role.JEFE_UNIDAD, unit_clues=HOSPITAL["unit_clues"])
        self.person("responsable", Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="I")
        return self

    # -- requests ------------------------------------------------------------------------

    def applicant(self, nombres: str, primer: str, segundo: str | None, *, unit: dict[str, str]
                  = CENTRO, ece: bool = True, sex: str = "H", state: str = "MS",
                  staff_type: str = "medico", signed: bool = False,
                  **extra: str) -> Applicant:
        """File a request through the public form, then record its signatures (the signing
        chain is tested elsewhere): it is ready for the liaison's oficio. ``signed``: the
        unit head (and for an expediente electrónico of a centro de salud, the responsable
        jurisdiccional) sign it through HTTP instead, so its signatures are stored.
        ``extra``: more form fields (e.g. ``fecha_termino``)."""
        born = random_birth()
        value = person_curp(nombres, primer, segundo, born=born, sex=sex, state=state)
        browser = Browser(self.app.test_client())
        form = {**VALID_FORM, **unit, "curp": value, "nombres": nombres,
                "primer_apellido": primer, "segundo_apellido": segundo or "",
                "expediente_electronico": "si" if ece else "no",
                "staff_type_code": staff_type,
                "contact_email": f"persona{_RNG.randrange(10**6)}@example.org", **extra}
        if not ece:
            form["subdireccion_code"] = unit.get("subdireccion_code", "SAPS")
        response = browser.post("/solicitud", form, page="/solicitud")
        assert response.status_code == 200, response.get_data(as_text=True)
        folio, code = re.findall(r'class="secret">([^<]+)<', response.get_data(as_text=True))[:2]
        request = db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
        request_id = request.id
        if signed:
            db.commit()
            head = "jefe.centro" if unit == CENTRO else "jefe.hospital"
            signers = [head, "responsable"] if unit == CENTRO and ece else [head]
            for signer in signers:
                response = self.post(signer, f"/solicitudes/{request_id}/firmar",
                                     step_up=True)
                assert response.status_code == 302, response.get_data(as_text=True)
            assert status_of(request_id) == "lista_para_oficio"
        else:
            workflow.transition(request, "sign_unit_head",
                                actor=audit.Actor("prueba", "jefe_unidad"),
                                to=workflow.RequestStatus.LISTA_PARA_OFICIO)
            db.commit()
        return Applicant(request_id, folio, code, value, nombres, primer, segundo, born, sex,
                         state, browser)

    # -- the procedure, step by step -----------------------------------------------------

    def received_oficio(self, request_ids: list[int], liaison: str = "enlace") -> int:
        """The liaison signs an oficio with these requests and IT acknowledges it."""
        response = self.post(liaison, "/oficios", {"request_id": [str(i) for i in request_ids],
                                                    "subject": "Altas"}, step_up=True)
        assert response.status_code == 302, response.get_data(as_text=True)
        oficio_id = int(response.headers["Location"].rsplit("/", 1)[1])
        assert self.post("it.dept", f"/oficios/{oficio_id}/acuse").status_code == 302
        return oficio_id

    def create_accounts(self, oficio_id: int) -> Any:
        """IT queues every account of the oficio; the worker makes them on the DC."""
        response = self.post("it.dept", f"/informatica/oficios/{oficio_id}/crear-cuentas")
        assert response.status_code == 302, response.get_data(as_text=True)
        jobs.run_pending()
        return response

    def record_accounts(self, request_ids: list[int]) -> None:
        """The accounts recorded as the worker records them, without the DC (for tests of
        what follows; creating them is tested against the DC)."""
        for request_id in request_ids:
            guid = str(uuid.uuid4())
            account = accounts.Account(
                guid=guid, dn=f"CN=u{request_id},OU=SIEMPRE,DC=ssm,DC=test",
                sam_account_name=f"u{request_id}.{guid[:6]}", user_principal_name=None,
                user_account_control=512, pwd_last_set=None, description=(), curp=None,
                display_name=None, groups=())
            it.record_outcome(request_id, accounts.Outcome(account, created=True))
        db.commit()

    def reply(self, oficio_id: int) -> int:
        """The head of IT signs the reply oficio; returns its id."""
        response = self.post("jefe.it", f"/informatica/oficios/{oficio_id}/respuesta",
                             {"subject": ""}, step_up=True)
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def acknowledge_reply(self, reply_id: int, liaison: str = "enlace") -> None:
        """The liaison's acuse of the reply oficio (first custody receipt)."""
        response = self.post(liaison, f"/oficios/{reply_id}/acuse-respuesta", step_up=True)
        assert response.status_code == 302, response.get_data(as_text=True)

    def release(self, request_ids: list[int], liaison: str = "enlace") -> Any:
        """The liaison hands the accounts on (grouped by who delivers each)."""
        return self.post(liaison, "/entregas/liberar",
                         {"request_id": [str(i) for i in request_ids]}, step_up=True)

    def receive(self, holder: str) -> list[int]:
        """``holder`` confirms every transfer waiting for them; returns the transfers."""
        ids = values(lambda: list(db.session().scalars(select(CustodyTransfer.id).where(
            CustodyTransfer.received_at.is_(None), CustodyTransfer.stage == "enlace_entrega")
            .order_by(CustodyTransfer.id))))
        received = []
        for transfer_id in ids:
            response = self.post(holder, f"/entregas/{transfer_id}/recibir", step_up=True)
            if response.status_code == 302:
                received.append(transfer_id)
        return received

    def deliver(self, holder: str, request_id: int, **extra: str) -> str:
        """``holder`` delivers in person; returns the activation code read from the slip."""
        response = self.post(holder, f"/entregas/cuentas/{request_id}/entregar",
                             {"id_document": "ine", "identity": "on", **extra}, step_up=True)
        return self.slip_code(holder, response)

    def slip_code(self, holder: str, response: Any) -> str:
        """The activation code of the sheet a delivery or re-issue redirected ``holder`` to
        (post/redirect/get: the code is never in the URL)."""
        assert response.status_code == 303, response.get_data(as_text=True)
        location = response.headers["Location"]
        assert location.endswith("/hoja") and "-" not in location.rsplit("/", 2)[-2]
        sheet = self.people[holder][0].get(location)
        assert sheet.status_code == 200, sheet.get_data(as_text=True)
        return SLIP_CODE.search(sheet.get_data(as_text=True)).group(1)

    def to_holders(self, applicants: list[Applicant]) -> int:
        """Oficio, acuse, accounts, reply, acuse of the reply, release: returns the oficio."""
        ids = [a.request_id for a in applicants]
        oficio_id = self.received_oficio(ids)
        self.create_accounts(oficio_id)
        self.acknowledge_reply(self.reply(oficio_id))
        assert self.release(ids).status_code == 302
        return oficio_id


def activate_and_preregister(scene: Scene, person: Applicant, *, holder: str, password: str,
                             telefono_institucional: str = "777 310 2020",
                             expect: str = "acceso_activo") -> None:
    """From the released accounts to SIEMPRE access: ``holder`` receives and delivers, the
    person activates with ``password``, signs in, completes the pre-registration and the
    worker grants access (the request is closed; ``expect``: the state it must end in)."""
    assert scene.receive(holder)
    code = scene.deliver(holder, person.request_id)
    user = user_name(person.request_id)
    response = person.browser.post("/activar", {
        "usuario": user, "code": code, "curp": person.curp, "password": password,
        "password2": password}, page="/activar")
    assert response.status_code == 200, response.get_data(as_text=True)
    browser = Browser(scene.app.test_client())
    signed_in = browser.post("/preregistro", {"usuario": user, "password": password},
                             page="/preregistro")
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    completed = browser.post("/preregistro/datos", {
        "nombres": person.nombres, "primer_apellido": person.primer_apellido,
        "segundo_apellido": person.segundo_apellido or "",
        "fecha_nacimiento": person.born.isoformat(), "sexo": person.sex,
        "entidad_nacimiento": person.state, "nacionalidad": "MEX", "staff_type_code": "medico",
        "cedula_profesional": "1234567", "telefono_institucional": telefono_institucional},
        page="/preregistro/datos")
    assert completed.status_code == 302, completed.get_data(as_text=True)
    jobs.run_pending()
    assert status_of(person.request_id) == expect


def user_name(request_id: int) -> str:
    """The request's domain user name as recorded."""
    return values(lambda: db.session().scalar(select(DirectoryAccount.sam_account_name).where(
        DirectoryAccount.request_id == request_id)))


def oficio_number(oficio_id: int) -> str:
    """An oficio's number."""
    return values(lambda: db.session().get(Oficio, oficio_id).number)


def delivered_scene(dir_app, clock, *names: tuple[str, str, str | None]
                    ) -> tuple[Scene, list[Applicant]]:
    """Requests of the centro de salud (no expediente: its head delivers), received by its
    head and ready to be delivered."""
    scene = Scene(dir_app, clock).cast()
    applicants = [scene.applicant(*name, ece=False) for name in names]
    scene.to_holders(applicants)
    assert scene.receive("jefe.centro")
    return scene, applicants


def activate(applicant: Applicant, code: str, *, user: str | None = None,
             curp: str | None = None, password: str = GOOD_PASSWORD,
             again: str | None = None) -> object:
    return applicant.browser.post("/activar", {
        "usuario": user if user is not None else user_name(applicant.request_id),
        "code": code, "curp": curp if curp is not None else applicant.curp,
        "password": password, "password2": password if again is None else again},
        page="/activar")


def code_row(request_id: int) -> ActivationCode:
    return values(lambda: db.session().scalars(select(ActivationCode).where(
        ActivationCode.request_id == request_id).order_by(ActivationCode.id.desc())).first())


def error_text(response: object) -> str:
    found = re.search(r'<div class="msg error" role="alert">([^<]+)</div>',
                      response.get_data(as_text=True))
    return found.group(1) if found else ""


def ad_account(request_id: int) -> accounts.Account:
    guid = values(lambda: db.session().scalar(select(DirectoryAccount.object_guid).where(
        DirectoryAccount.request_id == request_id)))
    return accounts.get(connection.current(), guid)

