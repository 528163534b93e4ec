"""The provisioning job against the real DC: queue, worker, AD, database, audit — and what
happens when a commit fails after the DC's write. (The DC, the worker, the SMTP server and
PostgreSQL failing in the middle of a whole oficio: tests/faults.)"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.directory.errors import BindRefused, DirectoryNotConfigured
from provisioning.errors import Conflict
from provisioning.it import services
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from tests.support.dc import ad_accounts_per_curp, assert_exactly_one_account_each
from tests.support.factories import make_requests

IT = audit.Actor("lucia", "informatica", "10.0.0.7")


def reload(model: type, ident: Any) -> Any:
    db.session().expire_all()
    return db.session().get(model, ident)






# ---------------------------------------------------------------------------------------------


def test_queue_run_and_record(dir_app, clock) -> None:
    ids = make_requests(3)
    result = services.queue_provisioning(ids, actor=IT)
    db.commit()
    assert len(result.queued) == 3 and not result.skipped
    assert services.progress(ids).queued == 3
    assert jobs.run_pending() == 3
    progress = services.progress(ids)
    assert (progress.created, progress.queued, progress.finished) == (3, 0, True)
    rows = {r.request.id: r for r in services.rows(request_ids=ids)}
    first = rows[ids[0]]
    assert first.request.status == "cuenta_creada"
    assert first.account.sam_account_name == "juan.lopez" and first.account.created
    assert first.status_text == "Cuenta creada: juan.lopez"
    found = accounts.get(connection.current(), first.account.object_guid)
    assert found.sam_account_name == "juan.lopez" and not found.enabled
    assert found.description == (first.request.folio,)
    actions = list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == first.request.folio).order_by(AuditEvent.seq)))
    assert actions == ["directory.queued", "request.account_created",
                       "directory.account_created"]
    # Queueing again: nothing left to do, and it says why.
    with pytest.raises(Conflict, match="ya tiene cuenta"):
        services.queue_provisioning(ids, actor=IT)


def test_existing_curp_account_is_linked(dir_app, clock) -> None:
    (request_id,) = make_requests(1, first=100)
    request = db.get(AccountRequest, request_id)
    # The person already has an account in Alta's OU, made for an earlier request and in
    # use (a disabled one waits for IT: test_link_review.py).
    earlier = dataclasses.replace(services.person_for(request_id), folio="MSSSA000120-2020-00001")
    made = accounts.provision(connection.current(), earlier)
    accounts.set_enabled(connection.current(), made.account.guid, True)
    db.rollback()
    services.queue_provisioning([request_id], actor=IT)
    db.commit()
    jobs.run_pending()
    row = services.rows(request_ids=[request_id])[0]
    assert row.account.object_guid == made.account.guid and row.account.origin == "linked"
    assert row.status_text == "Vinculada a cuenta existente: juan.lopez"
    assert services.progress([request_id]).linked == 1
    assert ad_accounts_per_curp([request_id]) == {request.curp: 1}


def test_crash_between_ad_write_and_commit_is_repaired(dir_app, clock, monkeypatch) -> None:
    ids = make_requests(2, first=200)
    services.queue_provisioning(ids, actor=IT)
    db.commit()
    real = services.record_outcome
    calls = {"n": 0}

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("the database went away")  # after the DC wrote the account
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "record_outcome", crash_once)
    jobs.run_pending()
    job = db.session().scalar(select(Job).where(Job.key == services.job_key(ids[0])))
    assert job.status == "queued" and job.attempts == 1
    assert jobs.status_text(job).startswith("Reintentando (1): Error inesperado")
    clock.advance(minutes=1)
    jobs.run_pending()
    assert_exactly_one_account_each(ids)
    row = services.rows(request_ids=[ids[0]])[0]
    # The retry found the account this job had made (its folio is in description).
    assert row.account.origin == "created"


def test_unreachable_dc_is_retried_with_a_spanish_message(make_app, directory_config,
                                                          clock) -> None:
    app = make_app(directory={**directory_config, "url": "ldaps://127.0.0.1:6399"})
    with app.app_context():
        ids = make_requests(1, first=300)
        services.queue_provisioning(ids, actor=IT)
        db.commit()
        jobs.run_pending()
        row = services.rows(request_ids=ids)[0]
        assert row.job.status == "queued" and row.request.status == "recibida_informatica"
        assert row.status_text == ("Reintentando (1): No hay conexión con el controlador de "
                                   "dominio (ldaps://127.0.0.1:6399): la conexión fue "
                                   "rechazada (¿está detenido?).")
        assert (row.job.run_after - clock.now).total_seconds() >= 4
        services.cancel(row.request, actor=IT)
        db.commit()
        assert services.progress(ids).cancelled == 1


def test_configuration_error_fails_the_job_and_it_can_retry(make_app, directory_config,
                                                            clock) -> None:
    app = make_app(directory={**directory_config, "groups": ["grupo-que-no-existe"]})
    with app.app_context():
        ids = make_requests(1, first=400)
        services.queue_provisioning(ids, actor=IT)
        db.commit()
        jobs.run_pending()
        row = services.rows(request_ids=ids)[0]
        assert row.status_text == ("Error: El grupo «grupo-que-no-existe» de la configuración "
                                   "no existe en el directorio.")
        assert services.progress(ids).failed == 1 and row.can_retry
        services.retry(row.request, actor=IT)
        db.commit()
        assert reload(Job, row.job.id).status == "queued"


def test_queue_refuses_without_directory_and_skips_what_it_cannot_do(app, clock) -> None:
    ids = make_requests(1, first=500)
    with pytest.raises(DirectoryNotConfigured, match="No hay directorio configurado"):
        services.queue_provisioning(ids, actor=IT)


def test_skips_requests_not_with_it(dir_app, clock) -> None:
    ids = make_requests(2, first=600)
    other = db.get(AccountRequest, ids[1])
    other.status = "en_oficio"
    db.commit()
    result = services.queue_provisioning([*ids, 999999], actor=IT)
    db.commit()
    assert [r.id for r in result.queued] == [ids[0]]
    assert result.skipped == [(other.folio, "está en «Enviada por oficio al Departamento de "
                                            "Informática»"), ("999999", "no existe")]


def test_the_random_password_is_never_logged_or_stored(dir_app, clock, monkeypatch,
                                                       caplog) -> None:
    import logging

    from tests.support.secrets import all_database_text

    known = "Clave-Que-Nadie-Ve-7f3Q"
    monkeypatch.setattr(accounts, "random_password", lambda *a, **k: known)
    caplog.set_level(logging.DEBUG)
    ids = make_requests(1, first=1500)
    services.queue_provisioning(ids, actor=IT)
    db.commit()
    jobs.run_pending()
    assert services.progress(ids).created == 1
    # The add carried that password: the DC answers 533 (disabled), not 52e (wrong).
    guid = services.rows(request_ids=ids)[0].account.object_guid
    with pytest.raises(BindRefused) as refused:
        accounts.verify_password(connection.current(), guid, known)
    assert refused.value.reason == "disabled"
    assert known not in caplog.text
    assert known not in all_database_text()
    db.rollback()
