"""The last step of the chain: the demo's throwaway DC gets a SIEMPRE access group so the
demo reaches «acceso activo»; a directory without one fails the access job once (not 25
times in a second) and every page tells the truth: the person that their pre-registration
is saved and IT has it, IT which job and why."""

from __future__ import annotations

from sqlalchemy import select

from provisioning import db
from provisioning.config import load_settings
from provisioning.demo import DEMO_SIEMPRE_GROUP, with_siempre_group
from provisioning.directory import accounts, connection
from provisioning.jobs.models import Job
from provisioning.preregistration.services import GRANT_KIND
from tests.support.handoff_flow import Scene, activate_and_preregister, ad_account, values
from tests.support.web import Browser

PASSWORD = "Ahuehuete-Verde-73"


def test_the_demo_directory_reaches_acceso_activo(make_app, directory_config, clock) -> None:
    plain = load_settings(overrides={"directory": directory_config}, environ={}).directory
    assert not plain.siempre_group
    demo = with_siempre_group(plain)
    assert demo.siempre_group == DEMO_SIEMPRE_GROUP
    assert with_siempre_group(plain).siempre_group == DEMO_SIEMPRE_GROUP  # found, not made
    assert with_siempre_group(demo) is demo  # a named group is left alone
    app = make_app(directory={**directory_config, "siempre_group": demo.siempre_group})
    with app.app_context():
        scene = Scene(app, clock).cast()
        person = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", signed=True)
        scene.to_holders([person])
        activate_and_preregister(scene, person, holder="responsable", password=PASSWORD)
        group = accounts.resolve_group(connection.current(), DEMO_SIEMPRE_GROUP)
        assert group.lower() in [g.lower() for g in ad_account(person.request_id).groups]


def test_without_a_siempre_group_every_page_tells_the_truth(dir_app, clock) -> None:
    scene = Scene(dir_app, clock).cast()
    person = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", signed=True)
    scene.to_holders([person])
    activate_and_preregister(scene, person, holder="responsable", password=PASSWORD,
                             expect="activada")
    job = values(lambda: db.session().scalar(select(Job).where(Job.kind == GRANT_KIND)))
    assert (job.status, job.attempts) == ("failed", 1)  # a configuration error: no retries
    assert "siempre_group" in (job.last_error or "")

    browser = Browser(dir_app.test_client())
    tracked = browser.post("/seguimiento", {"folio": person.folio, "code": person.tracking_code},
                           page="/seguimiento")
    text = tracked.get_data(as_text=True)
    assert tracked.status_code == 200
    assert "Su pre-registro quedó guardado" in text and "Informática ya tiene el aviso" in text
    assert "complete su pre-registro" not in text

    it = scene.people["it.dept"][0]
    page = it.get("/informatica/tareas").get_data(as_text=True)
    assert person.folio in page and "Acceso a SIEMPRE tras el pre-registro" in page
    assert "No hay grupo de acceso a SIEMPRE configurado" in page
