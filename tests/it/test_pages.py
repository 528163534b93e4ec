"""IT pages: the queue of received requests, bulk creation, progress, retry and cancel."""

from __future__ import annotations

import re

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.it import services
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.factories import make_requests
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser, has_inline_script

REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')


def read_job(request_id: int) -> tuple[str, int]:
    """Status and attempts of the request's job as committed.

    The read transaction is ended before returning: on SQLite it holds the write lock, and a
    row object would open a new one the moment an expired attribute is read.
    """
    db.session().expire_all()
    status, attempts = db.session().execute(
        select(Job.status, Job.attempts).where(Job.key == services.job_key(request_id))).one()
    db.rollback()
    return status, attempts


def it_browser(app, clock, username: str = "lucia") -> Browser:
    browser = Browser(app.test_client())
    login(browser, create_staff_account(username, staff.Grant(Role.INFORMATICA)), clock)
    return browser


def test_without_directory_the_pages_say_so(app, client, login_as, clock) -> None:
    login_as(Role.INFORMATICA)
    make_requests(1, first=900)
    page = client.get("/informatica/cuentas").get_data(as_text=True)
    assert "No hay directorio configurado" in page
    assert "Crear las cuentas elegidas" not in page
    assert "Sin enviar al directorio" in page
    response = client.post("/informatica/cuentas/crear", {"todas": "1"},
                           page="/informatica/cuentas")
    assert response.status_code == 409
    assert "No hay directorio configurado" in response.get_data(as_text=True)


def test_only_it_roles(app, client, login_as) -> None:
    login_as(Role.ENLACE)
    assert client.get("/informatica/cuentas").status_code == 403
    assert client.post("/informatica/cuentas/crear", {"todas": "1"},
                       page="/panel").status_code == 403


def test_bulk_creation_with_progress_page(dir_app, clock) -> None:
    browser = it_browser(dir_app, clock)
    ids = make_requests(3, first=910)
    page = browser.get("/informatica/cuentas").get_data(as_text=True)
    assert "No hay directorio configurado" not in page
    assert page.count('name="solicitud"') == 3
    response = browser.post("/informatica/cuentas/crear",
                            {"solicitud": [str(ids[0]), str(ids[2])]},
                            page="/informatica/cuentas")
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    page = browser.get(batch_url).get_data(as_text=True)
    assert "2 solicitudes enviadas a crear su cuenta." in page
    assert REFRESH.search(page).group(1) == "3"  # refreshes itself while jobs wait
    assert "En cola o reintentando</dt><dd>2" in page
    assert not has_inline_script(page)  # the CSP forbids inline scripts
    jobs.run_pending()
    page = browser.get(batch_url).get_data(as_text=True)
    assert not REFRESH.search(page)
    assert "Cuentas creadas</dt><dd>2" in page and "Terminado" in page
    assert "Cuenta creada: juan.lopez" in page
    # The third is still pending on the queue page; "all pending" takes only it.
    response = browser.post("/informatica/cuentas/crear", {"todas": "1"},
                            page="/informatica/cuentas")
    db.session().expire_all()
    batch = services.batch(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert batch.request_ids == [ids[1]]
    viewed = db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["directory.queue_viewed", "directory.batch_viewed"]))).all()
    assert len(viewed) >= 3
    db.rollback()


def test_failed_job_shows_spanish_error_and_can_be_retried_or_cancelled(
        make_app, directory_config, clock) -> None:
    app = make_app(directory={**directory_config, "groups": ["grupo-inexistente"]})
    with app.app_context():
        browser = it_browser(app, clock)
        (request_id,) = make_requests(1, first=920)
        browser.post("/informatica/cuentas/crear", {"solicitud": str(request_id)},
                     page="/informatica/cuentas")
        jobs.run_pending()
        page = browser.get("/informatica/cuentas").get_data(as_text=True)
        assert ("Error: El grupo «grupo-inexistente» de la configuración no existe en el "
                "directorio.") in page
        assert "Traceback" not in page
        response = browser.post(f"/informatica/solicitudes/{request_id}/reintentar",
                                {"next": "/informatica/cuentas"}, page="/informatica/cuentas")
        assert response.status_code == 302 and response.headers["Location"] == \
            "/informatica/cuentas"
        assert read_job(request_id) == ("queued", 0)
        browser.post(f"/informatica/solicitudes/{request_id}/cancelar", {},
                     page="/informatica/cuentas")
        assert read_job(request_id)[0] == "cancelled"
        page = browser.get("/informatica/cuentas").get_data(as_text=True)
        assert "Cancelada" in page
        # Cancelling twice is a clear conflict, not an error page with a traceback.
        again = browser.post(f"/informatica/solicitudes/{request_id}/cancelar", {},
                             page="/informatica/cuentas")
        assert again.status_code == 409
        assert "Solo se puede cancelar" in again.get_data(as_text=True)
        assert browser.post("/informatica/solicitudes/999999/cancelar", {},
                            page="/informatica/cuentas").status_code == 404
        assert browser.post(f"/informatica/solicitudes/{request_id}/otra-cosa", {},
                            page="/informatica/cuentas").status_code == 404


def test_the_accounts_list_pages_by_keyset(app, clock, monkeypatch) -> None:
    monkeypatch.setattr(services, "QUEUE_PAGE", 3)
    ids = make_requests(7)
    folios = dict(db.session().execute(select(AccountRequest.id, AccountRequest.folio)
                                       .where(AccountRequest.id.in_(ids))).all())
    browser = it_browser(app, clock)
    seen: list[str] = []
    path = "/informatica/cuentas"
    for _ in range(4):
        page = browser.get(path).get_data(as_text=True)
        assert "Solicitudes recibidas por el Departamento de Informática (7)" in page
        seen += [f for f in folios.values() if f in page]
        found = re.search(r'href="(/informatica/cuentas\?desde=\d+)"', page)
        if found is None:
            break
        path = found[1]
    assert seen == [folios[i] for i in sorted(ids)]  # each once, oldest first
    assert "« Las más antiguas" in page
    # Each page's read is audited with the folios it showed.
    viewed = db.session().scalars(select(AuditEvent).where(
        AuditEvent.action == "directory.queue_viewed").order_by(AuditEvent.seq)).all()
    assert [e.details.count("MSSSA") for e in viewed] == [3, 3, 1]
    # Past PostgreSQL's integer (it failed there with «integer out of range», a 500): the
    # first page.
    too_big = browser.get("/informatica/cuentas?desde=99999999999").get_data(as_text=True)
    assert folios[min(ids)] in too_big
