"""After its retention ends, nothing Alta stores names the person of a request: a request
taken through the whole procedure on the real DC (signatures, oficios, account, custody,
delivery, activation, pre-registration, an access review that confirms the account, a
baja) and a colleague's whose account the same review revokes are anonymized by ``alta
retention run``, then every column of every table (the text of stored PDFs too) and every
audit event's details are searched for the people's CURP, names, e-mail and phones."""

from __future__ import annotations

import json
import unicodedata

from sqlalchemy import MetaData, select

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals.models import Signature
from provisioning.audit.models import AuditEvent
from provisioning.jobs import services as jobs
from provisioning.lifecycle.models import Baja
from provisioning.people.accounts import DirectoryAccount
from provisioning.reviews.models import Campaign
from provisioning.staff.models import Role
from tests.support.documents import pdf_text
from tests.support.handoff_flow import CENTRO, Scene, activate_and_preregister, values
from tests.support.reviews import items_of, open_campaign, units_of

PASSWORD = "Ahuehuete-Verde-73"
INSTITUTIONAL_PHONE = "777 310 2020"


def fold(text: str) -> str:
    """Lower case without accents (the directory folds names to ASCII)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(ch))


def needles(request: AccountRequest, account: DirectoryAccount, phones: list[str]) -> set[str]:
    """What must not be found: CURP, every name word, e-mail and its local part, phones,
    and the account's user name, UPN and DN (made of the names)."""
    words = {w for part in (request.nombres, request.primer_apellido,
                            request.segundo_apellido or "") for w in part.split() if len(w) > 3}
    found = {request.curp, request.contact_email, request.contact_email.split("@")[0],
             account.sam_account_name, account.user_principal_name, account.dn, *words}
    for phone in phones:
        found |= {phone, phone.replace(" ", "")}
    return {fold(n) for n in found}


def signatures_of(request_id: int) -> list[tuple[str, str]]:
    """(content_sha256, content) of the request's signatures, in order."""
    return values(lambda: [tuple(row) for row in db.session().execute(
        select(Signature.content_sha256, Signature.content)
        .where(Signature.request_id == request_id).order_by(Signature.id))])


def leaks(found: set[str]) -> list[str]:
    """Every (table.column, needle) where a needle is found, case- and accent-insensitively."""
    connection = db.session().connection()
    metadata = MetaData()
    metadata.reflect(bind=connection)
    hits = []
    for table in metadata.sorted_tables:
        for row in connection.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                if isinstance(value, bytes):
                    # A stored PDF's page streams are compressed: search the text drawn too.
                    text = fold(value.decode("latin-1")
                                + (pdf_text(value) if value.startswith(b"%PDF") else ""))
                else:
                    text = fold(str(value))
                hits += [f"{table.name}.{column}: {n}" for n in found if n in text]
    # The audit details as the JSON they are (escapes undone), event by event.
    for seq, details in connection.execute(select(AuditEvent.seq, AuditEvent.details)):
        text = fold(json.dumps(json.loads(details), ensure_ascii=False))
        hits += [f"audit_events[{seq}].details: {n}" for n in found if n in text]
    return sorted(set(hits))


def test_retention_run_leaves_no_personal_data_of_a_provisioned_request(
        siempre_app, clock) -> None:
    app, _ = siempre_app
    scene = Scene(app, clock).cast()
    person = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", signed=True)
    colleague = scene.applicant("Eleuteria", "Xochitepec", "Zacualpan", ece=False)
    scene.to_holders([person, colleague])
    activate_and_preregister(scene, person, holder="responsable", password=PASSWORD,
                             telefono_institucional=INSTITUTIONAL_PHONE)
    # An access review of the centro: its head confirms his account and revokes hers (the
    # revocation's baja, whose detail names her, disables it on the DC and closes her
    # request); IT closes and signs it and downloads the report that lists both.
    assert open_campaign(scene, [CENTRO["unit_clues"]]).status_code == 302
    campaign = values(lambda: db.session().scalar(select(Campaign)))
    unit = units_of(campaign.id)[CENTRO["unit_clues"]]
    by_request = {values(lambda i=i: db.session().scalar(select(AccountRequest.id).where(
        AccountRequest.person_id == i.person_id))): i for i in items_of(unit.id)}
    kept, revoked = by_request[person.request_id], by_request[colleague.request_id]
    answered = scene.post("jefe.centro", f"/revisiones/unidades/{unit.id}/responder", {
        f"decision-{kept.id}": "confirmar", f"decision-{revoked.id}": "revocar",
        f"motivo-{revoked.id}": "otra",
        f"detalle-{revoked.id}": "Eleuteria Xochitepec ya no labora en el centro"},
        step_up=True)
    assert answered.status_code == 302, answered.get_data(as_text=True)
    jobs.run_pending()
    assert values(lambda: db.session().get(AccountRequest, colleague.request_id).closed_at)
    assert scene.post("it.dept", f"/revisiones/{campaign.id}/cerrar",
                      step_up=True).status_code == 302
    report = scene.people["it.dept"][0].get(f"/revisiones/{campaign.id}/pdf")
    assert report.status_code == 200 and "ELEUTERIA XOCHITEPEC" in pdf_text(report.data)
    # She leaves: her unit head starts and signs a baja that names her, the job runs it.
    pid = values(lambda: db.session().get(AccountRequest, person.request_id).person_id)
    started = scene.post("jefe.centro", f"/personas/{pid}/baja", {
        "motivo": "otra", "fecha_efectiva": timeutil.format_date(timeutil.local_today()),
        "detalle": "Wenceslao Tlacotalpan se incorpora al IMSS-Bienestar"}, step_up=True)
    assert started.status_code == 302, started.get_data(as_text=True)
    assert scene.people["jefe.centro"][0].get(f"/personas/{pid}").status_code == 200
    jobs.run_pending()
    assert values(lambda: list(db.session().scalars(select(Baja.status)))) == ["ejecutada"] * 2
    # Staff read the request in lists and in the auditor's history (reads are audited).
    auditor = scene.person("auditora", Role.AUDITOR)
    assert auditor.get(f"/auditoria/objeto/request/{person.folio}").status_code == 200
    found: set[str] = set()
    for applicant, phones in ((person, [INSTITUTIONAL_PHONE]), (colleague, [])):
        request = values(lambda a=applicant: db.session().get(AccountRequest, a.request_id))
        account = values(lambda a=applicant: db.session().scalar(select(DirectoryAccount)
                                                                 .where(DirectoryAccount
                                                                        .request_id
                                                                        == a.request_id)))
        found |= needles(request, account, [request.telefono, *phones])
    seen = {hit.split(":")[0] for hit in leaks(found)}
    # The scan sees the data while the records are kept, the review's and its PDF too.
    assert {"review_items.sam_account_name", "review_campaigns.content", "documents.pdf",
            "people.curp"} <= seen, sorted(seen)
    signed = signatures_of(person.request_id)
    assert len(signed) == 2 and all(content for _, content in signed)
    db.rollback()

    clock.advance(days=3 * 365 + 2)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session().expire_all()
    try:
        remaining = leaks(found)
        assert remaining == [], "\n".join(remaining)
    finally:
        db.rollback()
    # What each signature signed is gone, the evidence of it stays: the same SHA-256.
    assert signatures_of(person.request_id) == [(digest, "") for digest, _ in signed]
    # An auditor given the CURP still finds the anonymized request's whole history: the
    # search takes the CURP's keyed hash, and links and forms carry the hash, not the CURP.
    auditor = scene.sign_in_again("auditora")
    found_page = auditor.get(f"/auditoria?curp={person.curp.lower()}")
    page = found_page.get_data(as_text=True)
    assert found_page.status_code == 200, page
    for action in ("request.submitted", "directory.account_created", "request.deliver",
                   "preregistration.completed", "retention.disposed", "person.created"):
        assert action in page, action
    assert person.folio in page and person.curp not in page.upper()
    other = auditor.get("/auditoria?curp=BEML920313HMCLNS09").get_data(as_text=True)
    assert person.folio not in other
    bad = auditor.get("/auditoria?curp=BEML92")
    assert bad.status_code == 400
    assert "Escriba la CURP completa" in bad.get_data(as_text=True)
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
