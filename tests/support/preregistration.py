"""Pre-registration scenarios: an activated account ready to pre-register, and its form."""

from __future__ import annotations

from tests.support.handoff_flow import Applicant, Scene, user_name
from tests.support.web import Browser

PASSWORD = "Ceiba-Roja-2026"


def ready_to_preregister(scene: Scene, *, ece: bool = False) -> Applicant:
    """A centro de salud's request delivered by its head and activated by the person."""
    person = scene.applicant("Pablo", "Arriaga", "Luna", ece=ece, staff_type="enfermeria")
    scene.to_holders([person])
    holder = "responsable" if ece else "jefe.centro"
    assert scene.receive(holder)
    code = scene.deliver(holder, person.request_id)
    response = person.browser.post("/activar", {
        "usuario": user_name(person.request_id), "code": code, "curp": person.curp,
        "password": PASSWORD, "password2": PASSWORD}, page="/activar")
    assert response.status_code == 200, response.get_data(as_text=True)
    return person


def sign_in(browser: Browser, user: str, password: str = PASSWORD) -> object:
    return browser.post("/preregistro", {"usuario": user, "password": password},
                        page="/preregistro")


def good_form(person: Applicant, **changes: str) -> dict[str, str]:
    form = {"nombres": person.nombres, "primer_apellido": person.primer_apellido,
            "segundo_apellido": person.segundo_apellido or "",
            "fecha_nacimiento": person.born.isoformat(), "sexo": person.sex,
            "entidad_nacimiento": person.state, "nacionalidad": "MEX",
            "staff_type_code": "enfermeria", "cedula_profesional": "12345678",
            "telefono_institucional": "777 310 2020"}
    form.update(changes)
    return form
