"""The dashboard: counts by stage × unit / jurisdiction within the viewer's scope, ageing in
business days (oldest first), filters, and the service-wide view."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from provisioning import audit, db
from provisioning.account_requests import workflow
from provisioning.staff.models import Role
from tests.support.chain import (
    CENTRO_I,
    CENTRO_I_OTHER,
    CENTRO_II,
    HOSPITAL,
    Browser,
    new_request,
    person,
)
from tests.support.staff import create_staff_account, login

ACTOR = audit.Actor("prueba", "jefe_unidad")


def folios(page: str) -> list[str]:
    return re.findall(r">(MSSSA\d{6}-\d{4}-\d{5})<", page)


def ages(page: str) -> list[int]:
    return [int(a) for a in re.findall(r'class="age">(\d+)<', page)]


def seed(client, clock):
    clock.now = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # Wednesday
    a, fa, _ = new_request(client, **CENTRO_I)
    clock.now = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)  # Friday
    b, fb, _ = new_request(client, curp="HEGG560427MVZRRL04", **CENTRO_I_OTHER)
    c, fc, _ = new_request(client, curp="SABC560626MDFLRN01", **CENTRO_II)
    d, fd, _ = new_request(client, curp="PEGL890909MJCRMS08", **HOSPITAL)
    workflow.transition(d, "return", actor=ACTOR, reason="Falta un dato")
    db.commit()
    clock.now = datetime(2026, 3, 17, 16, 0, tzinfo=UTC)  # Tuesday after the 16 holiday
    return fa, fb, fc, fd


def test_unit_head_sees_only_their_unit(app, client, clock) -> None:
    fa, fb, fc, fd = seed(client, clock)
    jefe, _ = person(client, app, "jefe.tablero", Role.JEFE_UNIDAD, clock,
                     unit_clues="MSSSA000120")
    page = jefe.get("/tablero").get_data(as_text=True)
    assert folios(page) == [fa]
    assert "Centro de Salud Urbano Cuernavaca (MSSSA000120)" in page  # grouped by unit
    # Asking for another unit or jurisdiction does not widen the scope.
    for query in ("?unidad=MSSSA000342", "?jurisdiccion=II", "?cerradas=1&estado=devuelta"):
        assert folios(jefe.get(f"/tablero{query}").get_data(as_text=True)) == [], query
    assert folios(jefe.get("/tablero?unidad=MSSSA000120").get_data(as_text=True)) == [fa]
    assert "Estado del servicio" not in page


def test_liaison_sees_their_jurisdiction_with_ageing_oldest_first(app, client, clock) -> None:
    fa, fb, fc, fd = seed(client, clock)
    enlace, _ = person(client, app, "enlace.tablero", Role.ENLACE, clock, jurisdiction_code="I")
    page = enlace.get("/tablero").get_data(as_text=True)
    assert folios(page) == [fa, fb, fd]
    assert fc not in page
    # Wednesday 11 → Tuesday 17: 12, 13, 17 (weekend and the 16 March holiday skipped) = 3.
    # Friday 13 → Tuesday 17: 1.
    assert ages(page) == [3, 1, 1]
    only_returned = enlace.get("/tablero?estado=devuelta").get_data(as_text=True)
    assert folios(only_returned) == [fd]
    by_unit = enlace.get("/tablero?unidad=MSSSA000342").get_data(as_text=True)
    assert folios(by_unit) == [fb]
    assert "Jurisdicción Sanitaria I Cuernavaca" in page
    garbage = enlace.get("/tablero?estado=<script>&agrupar=x&unidad=%00").status_code
    assert garbage == 200
    # Column headers in Spanish (never a state's code); each count opens its requests.
    assert "Por firmar (jefe)" in page and "lista para oficio" not in page
    assert ">enviada<" not in page and ">devuelta<" not in page
    links = re.findall(r'<a href="(/tablero\?[^"]+)" title="[^"]+">(\d+)</a>', page)
    assert links, page
    for href, count in links:
        listed = folios(enlace.get(href.replace("&amp;", "&")).get_data(as_text=True))
        assert len(listed) == int(count), (href, listed)
    assert any("estado=devuelta" in href for href, _ in links)


def test_it_sees_the_whole_service(app, client, clock) -> None:
    fa, fb, fc, fd = seed(client, clock)
    it, _ = person(client, app, "it.tablero", Role.INFORMATICA, clock)
    page = it.get("/tablero").get_data(as_text=True)
    assert set(folios(page)) == {fa, fb, fc, fd}
    assert "Estado del servicio" in page and "Correos pendientes de envío" in page
    assert "Jurisdicción Sanitaria II Jojutla" in page


def test_staff_without_roles_get_403(app, client, clock) -> None:
    account = create_staff_account("sin.rol")
    browser = Browser(app.test_client())
    login(browser, account, clock)
    assert browser.get("/tablero").status_code == 403


def test_the_ageing_list_pages_by_keyset_without_gaps_or_repeats(app, client, clock) -> None:
    from sqlalchemy import select, update

    from provisioning.account_requests.models import AccountRequest
    from provisioning.dashboard.services import PAGE_ROWS
    from tests.support.factories import make_requests

    ids = make_requests(PAGE_ROWS + 7)
    # Half of them share one timestamp: the id breaks the tie, nothing is skipped.
    base = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    for n, request_id in enumerate(ids):
        db.session().execute(update(AccountRequest).where(AccountRequest.id == request_id)
                             .values(updated_at=base.replace(day=2 + n % 2)))
    db.commit()
    expected = [f for (f,) in db.session().execute(
        select(AccountRequest.folio).where(AccountRequest.id.in_(ids))
        .order_by(AccountRequest.updated_at, AccountRequest.id))]
    it, _ = person(client, app, "it.tablero", Role.INFORMATICA, clock)
    first = it.get("/tablero").get_data(as_text=True)
    assert folios(first) == expected[:PAGE_ROWS] and "Siguientes »" in first
    assert "Las más antiguas" not in first
    link = re.search(r'href="(/tablero\?[^"]*desde=\d+[^"]*)"', first)[1].replace("&amp;", "&")
    second = it.get(link).get_data(as_text=True)
    assert folios(second) == expected[PAGE_ROWS:] and "Siguientes »" not in second
    assert "« Las más antiguas" in second
    # A cursor that is no number is ignored (the first page); one past the end lists nothing.
    assert folios(it.get("/tablero?desde=1e9%00").get_data(as_text=True)) == \
        expected[:PAGE_ROWS]
    assert folios(it.get("/tablero?desde=99999999").get_data(as_text=True)) == []
    # Past PostgreSQL's integer (it failed there with «integer out of range», a 500).
    too_big = it.get("/tablero?desde=99999999999")
    assert too_big.status_code == 200 and folios(too_big.get_data(as_text=True)) == \
        expected[:PAGE_ROWS]


def test_a_request_of_a_retired_unit_keeps_its_unit_name(app, client, clock) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from provisioning import timeutil
    from provisioning.catalogs.models import Unit
    from tests.support.factories import make_requests

    make_requests(1)
    db.session().execute(update(Unit).where(Unit.clues == "MSSSA000120")
                         .values(valid_to=timeutil.local_today() - timedelta(days=1)))
    db.commit()
    it, _ = person(client, app, "it.retirada", Role.INFORMATICA, clock)
    page = it.get("/tablero").get_data(as_text=True)
    assert "<td>Centro de Salud Urbano Cuernavaca</td>" in page
