"""Folios stay unique and gap-free, and a CURP gets one open request, under concurrency.

Each thread is its own client with its own database connection, on a database that really
commits (on PostgreSQL when the suite runs there).
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from provisioning import counters, db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.notifications.models import OutboxMessage
from tests.support.curp import hypothetical_curp
from tests.support.forms import VALID_FORM
from tests.support.web import Browser

THREADS = 8


def run_concurrently(app, forms):
    barrier = threading.Barrier(len(forms))
    results: list[int | None] = [None] * len(forms)
    browsers = [Browser(app.test_client()) for _ in forms]
    tokens = [b.token("/solicitud") for b in browsers]

    def worker(i: int) -> None:
        barrier.wait()
        response = browsers[i].client.post("/solicitud",
                                           data={**forms[i], "csrf_token": tokens[i]})
        results[i] = response.status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_submissions_get_unique_consecutive_folios(make_app) -> None:
    app = make_app()
    forms = [{**VALID_FORM, "curp": hypothetical_curp(i)} for i in range(THREADS)]
    assert run_concurrently(app, forms) == [200] * THREADS
    with app.app_context():
        folios = sorted(db.session().scalars(select(AccountRequest.folio)))
    assert folios == [f"MSSSA000120-2026-{n:05d}" for n in range(1, THREADS + 1)] or \
        folios == sorted(f"MSSSA000120-{folios[0].split('-')[1]}-{n:05d}"
                         for n in range(1, THREADS + 1))


def test_concurrent_submissions_of_one_curp_make_one_request(make_app) -> None:
    app = make_app()
    results = run_concurrently(app, [dict(VALID_FORM) for _ in range(4)])
    # The losers get the page a new request gets (a stranger learns nothing), not a request.
    assert results == [200] * 4
    with app.app_context():
        (request,) = db.session().scalars(select(AccountRequest)).all()
        # No number spent by the losers, even when they lost at the unique index.
        year = request.folio.split("-")[1]
        assert counters.current_value(f"folio:MSSSA000120:{year}") == 1
        refused = db.session().scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "request.duplicate_refused")).all()
        assert refused == [request.folio] * 3
        told = db.session().scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.kind == "intento_duplicado")).all()
        assert 1 <= len(told) <= 3 and set(told) == {VALID_FORM["contact_email"]}
