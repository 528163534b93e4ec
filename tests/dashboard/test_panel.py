"""Each person's panel counts the work waiting for them, step by step of the procedure, with
a link to where it is done; roles without such work see none."""

from __future__ import annotations

import re

from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.forms import submit
from tests.support.handoff_flow import Scene
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser


def pending(scene: Scene, name: str) -> dict[str, int]:
    """The panel's «Su trabajo pendiente» as label → count."""
    page = scene.people[name][0].get("/panel").get_data(as_text=True)
    return {label: int(n) for label, n in re.findall(
        r"<dt>([^<]+)</dt><dd><a href=\"/[^\"]*\">(\d+)</a></dd>", page)}


def test_the_panel_follows_a_request_through_everyone_s_work(app, clock) -> None:
    scene = Scene(app, clock).cast()
    assert submit(Browser(app.test_client())).status_code == 200  # waits for the unit head
    assert pending(scene, "jefe.centro")["Solicitudes por firmar"] == 1
    assert pending(scene, "jefe.hospital")["Solicitudes por firmar"] == 0

    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False)  # signed, ready
    assert pending(scene, "enlace")["Solicitudes listas para oficio"] == 1
    response = scene.post("enlace", "/oficios", {"request_id": [str(applicant.request_id)],
                                                 "subject": "Altas"}, step_up=True)
    assert response.status_code == 302
    oficio_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert pending(scene, "enlace")["Solicitudes listas para oficio"] == 0
    assert pending(scene, "it.dept")["Oficios por acusar de recibido"] == 1
    assert scene.post("it.dept", f"/oficios/{oficio_id}/acuse").status_code == 302
    assert pending(scene, "it.dept")["Oficios por acusar de recibido"] == 0

    scene.record_accounts([applicant.request_id])
    assert pending(scene, "jefe.it")["Oficios de respuesta por firmar"] == 1
    reply_id = scene.reply(oficio_id)
    assert pending(scene, "jefe.it")["Oficios de respuesta por firmar"] == 0
    assert pending(scene, "enlace")["Oficios de respuesta por acusar"] == 1
    scene.acknowledge_reply(reply_id)
    assert pending(scene, "enlace")["Cuentas por entregar a quien corresponde"] == 1
    assert scene.release([applicant.request_id]).status_code == 302
    assert pending(scene, "enlace")["Cuentas por entregar a quien corresponde"] == 0
    assert pending(scene, "jefe.centro")["Entregas por recibir"] == 1
    assert scene.receive("jefe.centro")
    counts = pending(scene, "jefe.centro")
    assert (counts["Entregas por recibir"], counts["Cuentas por entregar en persona"]) == (0, 1)

    auditor = scene.person("auditora", Role.AUDITOR).get("/panel").get_data(as_text=True)
    assert "Su trabajo pendiente" not in auditor


def test_the_panel_lists_each_page_once(app, clock) -> None:
    """Someone with several roles (IT staff who is also head of IT and auditor) gets one
    card per subject and one link per page."""
    account = create_staff_account("varios.roles", staff.Grant(Role.INFORMATICA),
                                   staff.Grant(Role.JEFE_INFORMATICA), staff.Grant(Role.AUDITOR))
    browser = Browser(app.test_client())
    login(browser, account, clock)
    page = browser.get("/panel").get_data(as_text=True)
    titles = re.findall(r"<h2>([^<]+)</h2>", page)
    assert len(titles) == len(set(titles)), titles
    pages = page.split("<h2>Sus páginas</h2>", 1)[1].split("</div>", 1)[0]
    links = re.findall(r'href="([^"]+)"', pages)
    assert len(links) == len(set(links)) >= 6, links
