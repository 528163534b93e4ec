"""Authorization matrix built from the application's route table: every route, called as
anonymous and as every role, is allowed or refused exactly as the policy below says.

A new route without a line here fails ``test_every_route_has_a_policy``, so nobody adds a
page without deciding who may use it. Then every route that names an object is called by
every role, scoped to one unit or jurisdiction and to another, on real objects inside and
outside that scope (``test_objects_inside_and_outside_each_scope``); a new object route
without objects there fails ``test_every_object_route_has_objects``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import url_for
from sqlalchemy import select, update

from provisioning import audit, db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.handoff.models import CustodyTransfer
from provisioning.it.models import LinkReview, ProvisioningBatch
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.chain import CENTRO_I, CENTRO_I_OTHER, CENTRO_II, hypothetical_curp, new_request
from tests.support.handoff_flow import Scene, values
from tests.support.reconciliation import imported_account
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser

PUBLIC = "public"  # anyone, signed in or not
SIGNING_IN = "signing-in"  # only mid sign-in (redirects everyone else)
STAFF = "staff"  # any signed-in staff member
APPLICANT = "applicant"  # only with a session verified by folio + tracking code
PERSON = "person"  # only after signing in with the new domain account (pre-registration)
TOKEN = "token"  # only with an API client's bearer token; a session gives nothing (401)
ALL_ROLES = list(Role)
SIGNERS = {Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL}
IT = {Role.INFORMATICA, Role.JEFE_INFORMATICA}
SERVICE_WIDE = {r for r in Role if r.scope is None}
RECORDS = {Role.AUDITOR, Role.JEFE_INFORMATICA}  # the log's readers; admins are not
DELIVERERS = {Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL}  # deliver in person
LIFECYCLE = {Role.JEFE_UNIDAD, Role.ENLACE, *IT}  # start bajas, see people of their scope
# Access reviews: unit heads answer, responsables follow their jurisdiction, IT and audit all.
REVIEWERS = {Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL, Role.AUDITOR, *IT}

# endpoint → who may use it (PUBLIC, SIGNING_IN, STAFF or a set of roles)
POLICY: dict[str, Any] = {
    "public.index": PUBLIC,
    "public.request_form": PUBLIC,
    "public.tracking": PUBLIC,
    "public.resend_code": PUBLIC,
    "health.healthz": PUBLIC,
    "observability.live": PUBLIC,
    "observability.ready": PUBLIC,
    "observability.metrics": TOKEN,  # tests/observability checks the token itself
    "staff.login": PUBLIC,
    "staff.continue_login": PUBLIC,
    "staff.second_factor": SIGNING_IN,
    "staff.enrol": SIGNING_IN,
    "staff.after_enrolment": SIGNING_IN,
    "staff.change_password": STAFF,  # also during a forced change at sign-in
    "staff.logout": PUBLIC,
    "staff.home": STAFF,
    "staff.account": STAFF,
    "staff.renew_recovery_codes": STAFF,
    "staff.staff_list": {Role.ADMIN},
    "staff.staff_new": {Role.ADMIN},
    "staff.staff_detail": {Role.ADMIN},
    "staff.staff_grant": {Role.ADMIN},
    "staff.staff_revoke": {Role.ADMIN},
    "staff.staff_action": {Role.ADMIN},
    # The applicant's pages after folio + code (their own session, no staff role).
    "public.correct": APPLICANT,
    "public.cancel": APPLICANT,
    "public.tracked_pdf": APPLICANT,
    "documents.verify": PUBLIC,
    "documents.verify_form": PUBLIC,
    "approvals.inbox": SIGNERS,
    "approvals.sign": SIGNERS,
    "approvals.sign_batch": SIGNERS,
    "approvals.return_request": SIGNERS,
    "approvals.reject": SIGNERS,
    "approvals.detail": STAFF,  # every role, each within its own scope
    "documents.request_pdf": STAFF,
    "dashboard.index": STAFF,
    "oficios.index": {Role.ENLACE, *SERVICE_WIDE},
    "oficios.detail": {Role.ENLACE, *SERVICE_WIDE},
    "documents.oficio_pdf": {Role.ENLACE, *SERVICE_WIDE},
    "oficios.issue": {Role.ENLACE},
    "oficios.cancel": {Role.ENLACE},
    "it.oficios_inbox": IT,
    "oficios.acknowledge": IT,
    "it.acknowledge_oficios": IT,  # batch acuse: the oficios in the form (BATCH_FORMS)
    "it.provision_oficios": IT,
    "audit.search": RECORDS,
    "audit.history": RECORDS,
    "audit.download": RECORDS,
    "retention.custody": RECORDS,
    "retention.set_hold": {Role.JEFE_INFORMATICA},
    "retention.lift_hold": {Role.JEFE_INFORMATICA},
    "privacy.notice": PUBLIC,
    "privacy.mine": PUBLIC,
    "privacy.leave": PUBLIC,
    "privacy.download": APPLICANT,
    "privacy.rectification": APPLICANT,
    "privacy.cancellation": APPLICANT,
    "privacy.tasks": {Role.JEFE_INFORMATICA},
    "privacy.task": {Role.JEFE_INFORMATICA},
    "api.person_status": TOKEN,  # tests/api checks the token itself
    "api.openapi_document": PUBLIC,
    "api.clients": {Role.ADMIN},
    "api.revoke": {Role.ADMIN},
    "api.rotate": {Role.ADMIN},
    "it.queue_page": IT,
    "it.troubles_page": IT,
    "it.trouble_action": IT,
    "it.queue_selected": IT,
    "it.batch_page": IT,
    "it.request_action": IT,
    "it.link_review": IT,
    "it.link_decision": IT,
    "handoff.acknowledge_reply": {Role.ENLACE},
    "it.oficio_accounts": IT,
    "it.oficio_accounts_csv": IT,
    "it.provision_oficio": IT,
    "it.reply_form": IT,
    "it.reply_sign": {Role.JEFE_INFORMATICA},
    "handoff.inbox": {Role.ENLACE, *DELIVERERS},
    "handoff.release": {Role.ENLACE},
    "handoff.receive": DELIVERERS,
    "handoff.receive_batch": DELIVERERS,
    "handoff.acknowledge_replies": {Role.ENLACE},
    "handoff.delivery": DELIVERERS,
    "handoff.deliver": DELIVERERS,
    "handoff.reissue": DELIVERERS,
    "handoff.sheet": DELIVERERS,
    "handoff.close_sheet": DELIVERERS,
    "handoff.activate": PUBLIC,
    "preregistration.sign_in": PUBLIC,
    "preregistration.sign_out": PUBLIC,
    "preregistration.form": PERSON,
    "preregistration.confirmation": PERSON,
    "lifecycle.people": LIFECYCLE,
    "lifecycle.person": LIFECYCLE,
    "lifecycle.start": LIFECYCLE,
    "lifecycle.urgent": IT,
    "lifecycle.bajas": LIFECYCLE,
    "lifecycle.baja": LIFECYCLE,
    "lifecycle.sign": {Role.JEFE_UNIDAD},
    "lifecycle.cancel": LIFECYCLE,
    "lifecycle.start_cambio": LIFECYCLE,
    "lifecycle.cambios_list": LIFECYCLE,
    "lifecycle.cambio": LIFECYCLE,
    "lifecycle.sign_cambio": {Role.JEFE_UNIDAD},
    "lifecycle.cancel_cambio": LIFECYCLE,
    "lifecycle.extend": {Role.JEFE_UNIDAD},
    "lifecycle.baja_pdf": LIFECYCLE,
    "lifecycle.cambio_pdf": LIFECYCLE,
    "lifecycle.extension_pdf": LIFECYCLE,
    "reviews.index": REVIEWERS,
    "reviews.open_campaign": IT,
    "reviews.campaign": REVIEWERS,
    "reviews.close": IT,
    "reviews.report_pdf": {Role.AUDITOR, *IT},
    "reviews.unit": REVIEWERS,
    "reviews.answer": {Role.JEFE_UNIDAD},
    # The staff roster: Informática only (Alta has no RH role).
    "roster.index": IT,
    "roster.upload": IT,
    "roster.report": IT,
    # The existing directory: import, reconciliation, orphans (IT only).
    "reconciliation.import_page": IT,
    "reconciliation.start_import": IT,
    "reconciliation.reconcile_page": IT,
    "reconciliation.decide_account": IT,
    "reconciliation.bulk_confirm": IT,
    "reconciliation.orphans_page": IT,
    "reconciliation.orphans_csv": IT,
}

SCOPES = {
    Role.JEFE_UNIDAD: {"unit_clues": "MSSSA000120"},
    Role.RESPONSABLE_JURISDICCIONAL: {"jurisdiction_code": "I"},
    Role.ENLACE: {"jurisdiction_code": "I"},
}


def url_args(endpoint: str, objects: dict[str, Any]) -> dict[str, Any]:
    """Values for the route's variables: real objects created for the test."""
    # Ids of objects that do not exist: an allowed role gets 404, a refused one 403, because
    # the role is checked before anything is looked up. Real objects, inside and outside
    # each scope: test_objects_inside_and_outside_each_scope.
    missing = 987654
    return {
        "approvals.detail": {"request_id": missing},
        "approvals.sign": {"request_id": missing},
        "approvals.return_request": {"request_id": missing},
        "approvals.reject": {"request_id": missing},
        "documents.request_pdf": {"request_id": missing},
        "documents.oficio_pdf": {"oficio_id": missing},
        "documents.verify": {"code": "ABCDEFGHJK"},
        "oficios.detail": {"oficio_id": missing},
        "oficios.cancel": {"oficio_id": missing},
        "oficios.acknowledge": {"oficio_id": missing},
        "audit.history": {"object_type": "request", "object_id": "MSSSA000120-2026-00001"},
        "retention.lift_hold": {"hold_id": missing},
        "privacy.download": {"fmt": "json"},
        "privacy.task": {"arco_id": missing},
        "it.batch_page": {"batch_id": missing},
        "it.trouble_action": {"job_id": missing, "action": "reintentar"},
        "api.revoke": {"client_id": missing},
        "api.rotate": {"client_id": missing},
        "it.request_action": {"request_id": missing, "action": "reintentar"},
        "it.link_review": {"request_id": missing},
        "reconciliation.decide_account": {"account_id": missing, "decision": "servicio"},
        "it.link_decision": {"request_id": missing, "decision": "confirmar"},
        "handoff.acknowledge_reply": {"oficio_id": missing},
        "it.oficio_accounts": {"oficio_id": missing},
        "it.oficio_accounts_csv": {"oficio_id": missing},
        "it.provision_oficio": {"oficio_id": missing},
        "it.reply_form": {"oficio_id": missing},
        "it.reply_sign": {"oficio_id": missing},
        "handoff.receive": {"transfer_id": missing},
        "handoff.delivery": {"request_id": missing},
        "handoff.deliver": {"request_id": missing},
        "handoff.reissue": {"request_id": missing},
        "handoff.sheet": {"request_id": missing},
        "handoff.close_sheet": {"request_id": missing},
        **{e: {"person_id": missing} for e in ("lifecycle.person", "lifecycle.start",
                                                "lifecycle.urgent", "lifecycle.extend")},
        **{e: {"baja_id": missing} for e in ("lifecycle.baja", "lifecycle.sign",
                                              "lifecycle.cancel", "lifecycle.baja_pdf")},
        "lifecycle.extension_pdf": {"extension_id": missing},
        "lifecycle.start_cambio": {"person_id": missing},
        **{e: {"cambio_id": missing} for e in ("lifecycle.cambio", "lifecycle.sign_cambio",
                                                "lifecycle.cancel_cambio",
                                                "lifecycle.cambio_pdf")},
        **{e: {"campaign_id": missing} for e in ("reviews.campaign", "reviews.close",
                                                  "reviews.report_pdf")},
        **{e: {"review_unit_id": missing} for e in ("reviews.unit", "reviews.answer")},
        "roster.report": {"upload_id": missing},
        "staff.staff_detail": {"staff_id": objects["staff_id"]},
        "staff.staff_grant": {"staff_id": objects["staff_id"]},
        "staff.staff_revoke": {"staff_id": objects["staff_id"], "role_id": objects["role_id"]},
        "staff.staff_action": {"staff_id": objects["staff_id"], "action": "desbloquear"},
    }.get(endpoint, {})


def test_every_route_has_a_policy(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - set(POLICY) == set(), "routes without an authorization policy"
    assert set(POLICY) - endpoints == set(), "policy lines for routes that no longer exist"


def _routes(app) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return out


def _call(browser: Browser, app, endpoint: str, method: str, objects: dict[str, Any],
          token_page: str) -> Any:
    with app.test_request_context():
        path = url_for(endpoint, **url_args(endpoint, objects))
    if method == "GET":
        return browser.get(path)
    return browser.post(path, {}, page=token_page)


def _allowed(policy: Any, role: Role | None) -> bool:
    if policy == PUBLIC:
        return True
    if policy in (STAFF,):
        return role is not None
    if policy in (SIGNING_IN, APPLICANT, PERSON, TOKEN):
        return False
    return role in policy


def assert_refused(policy: Any, role: Role | None, response: Any, where: str) -> None:
    """The answer to someone the policy does not let in (by role, before any object)."""
    status, location = response.status_code, response.headers.get("Location", "")
    if policy in (APPLICANT, PERSON):
        # Staff roles give no access to a person's request: folio + tracking code, or
        # the person's own domain credentials, only.
        assert status == 403, where
    elif policy == TOKEN:
        assert status == 401 and response.is_json, where
    elif policy == SIGNING_IN:
        # Outside a sign-in these pages only send people on: never show or act.
        assert status in (302, 400), where
    elif role is None:
        assert status == 302 and "/acceso" in location, where
    else:
        assert status == 403, where


@pytest.mark.parametrize("role", [None, *ALL_ROLES], ids=lambda r: r.value if r else "anonimo")
def test_matrix(app, clock, role: Role | None) -> None:
    target = create_staff_account("objetivo", staff.Grant(Role.AUDITOR))
    objects = {"staff_id": target.id,
               "role_id": staff.get(target.id).roles[0].id}
    browser = Browser(app.test_client())
    if role is not None:
        grant = staff.Grant(role, **SCOPES.get(role, {}))
        account = create_staff_account(f"rol.{role.value}", grant)
        login(browser, account, clock)
    for endpoint, method, rule in _routes(app):
        policy = POLICY[endpoint]
        if endpoint == "staff.logout":
            continue  # would end the session the rest of the loop needs
        response = _call(browser, app, endpoint, method, objects,
                         "/cuenta" if role else "/acceso")
        status, location = response.status_code, response.headers.get("Location", "")
        where = f"{method} {rule} as {role.value if role else 'anonimo'}"
        # Readiness answers 503 by design here: the test app has no worker and no SMTP.
        assert status < 500 or (endpoint == "observability.ready" and status == 503), where
        if _allowed(policy, role):
            # 401 here is a failed sign-in (empty form), not a refusal of the page.
            assert status != 403, where
            assert "/acceso" not in location or endpoint.startswith("staff."), where
        else:
            assert_refused(policy, role, response, where)


# ---------------------------------------------------------------------------------------------
# Objects inside and outside each scope


@dataclass(frozen=True)
class Owner:
    """Who reaches an object, among the roles its route lets in: a holder's role (None: any)
    over a unit or jurisdiction (None: any); ``nobody`` for an object of the wrong kind."""

    role: Role | None = None
    unit: str | None = None
    jurisdiction: str | None = None
    nobody: bool = False
    also: tuple[tuple[str, str], ...] = ()  # more (unit, jurisdiction) that reach it


@dataclass(frozen=True)
class Target:
    """A real object a route is called on and who reaches it. Anyone else gets 404 (its
    existence is not revealed), or 403 when they may see it (``viewer``) but not do this."""

    label: str
    args: dict[str, Any]
    owner: Owner = Owner()
    viewer: Owner | None = None

    def deny(self, grant: staff.Grant) -> int:
        """The refusal ``grant``'s holder gets."""
        return 403 if self.viewer is not None and reaches(grant, self.viewer) else 404


def reaches(grant: staff.Grant, owner: Owner) -> bool:
    """Whether the holder of ``grant`` reaches an object of ``owner``."""
    if owner.nobody or owner.role not in (None, grant.role):
        return False
    if grant.role.scope == "unit":
        return owner.unit in (None, grant.unit_clues) or any(
            unit == grant.unit_clues for unit, _ in owner.also)
    if grant.role.scope == "jurisdiction":
        return owner.jurisdiction in (None, grant.jurisdiction_code) or any(
            jurisdiction == grant.jurisdiction_code for _, jurisdiction in owner.also)
    return True


# Principals: each scoped role over two different scopes, and the service-wide roles.
PRINCIPALS = [
    None,
    staff.Grant(Role.JEFE_UNIDAD, unit_clues=CENTRO_I["unit_clues"]),
    staff.Grant(Role.JEFE_UNIDAD, unit_clues=CENTRO_II["unit_clues"]),
    staff.Grant(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="I"),
    staff.Grant(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="II"),
    staff.Grant(Role.ENLACE, jurisdiction_code="I"),
    staff.Grant(Role.ENLACE, jurisdiction_code="II"),
    *(staff.Grant(role) for role in sorted(SERVICE_WIDE)),
]

# Routes whose URL names something that is not an object in anyone's scope.
NOT_SCOPED = {
    "documents.verify": "a public verification code (tests/documents)",
    "privacy.download": "the applicant's own export format (tests/privacy)",
}


def _unit(clues: str, jurisdiction: str, role: Role | None = None) -> Owner:
    return Owner(role, unit=clues, jurisdiction=jurisdiction)


def build_objects(app: Any, clock: Any) -> dict[str, list[Target]]:
    """Real objects in Jurisdicción I (two units) and II, without the DC: requests waiting
    for signatures; oficios and reply oficios; accounts received by each kind of holder and
    accounts still in transit to them; a batch, a legal hold, an ARCO request, an API client
    and a staff member. Returns the objects each object route is called on."""
    from provisioning.api import services as api
    from provisioning.jobs import services as jobs
    from provisioning.lifecycle import cambios
    from provisioning.lifecycle import services as lifecycle
    from provisioning.lifecycle.models import Baja, Extension
    from provisioning.people.models import Person
    from provisioning.privacy import services as privacy
    from provisioning.retention import services as retention

    scene = Scene(app, clock)
    scene.person("it.dept", Role.INFORMATICA)
    scene.person("jefe.it", Role.JEFE_INFORMATICA)
    units = {"I": CENTRO_I["unit_clues"], "II": CENTRO_II["unit_clues"]}
    other_unit = CENTRO_I_OTHER["unit_clues"]  # a second unit of Jurisdicción I
    scene.person("jefe.other", Role.JEFE_UNIDAD, unit_clues=other_unit)

    # Requests waiting for the unit head's signature (expediente electrónico of a centro de
    # salud: the responsable jurisdiccional signs them too).
    signing = []
    for n, (clues, jurisdiction) in enumerate(((units["I"], "I"), (other_unit, "I"),
                                               (units["II"], "II"))):
        request, folio, _ = new_request(Browser(app.test_client()),
                                        curp=hypothetical_curp(15 + n), unit_clues=clues)
        signing.append(Target(f"solicitud {clues}", {"request_id": request.id, "folio": folio},
                              Owner(unit=clues, jurisdiction=jurisdiction)))

    # Per jurisdiction: an oficio, its accounts and the reply, acknowledged; accounts each
    # holder received (observación 6: expediente electrónico of a centro de salud goes to
    # the responsable, the rest to the unit head) and accounts released but not received.
    held, envios, replies, people = [], [], [], []
    for jurisdiction in ("I", "II"):
        liaison, unit = f"enlace.{jurisdiction}", units[jurisdiction]
        scene.person(liaison, Role.ENLACE, jurisdiction_code=jurisdiction)
        responsable, head = f"resp.{jurisdiction}", f"jefe.{jurisdiction}"
        scene.person(responsable, Role.RESPONSABLE_JURISDICCIONAL,
                     jurisdiction_code=jurisdiction)
        scene.person(head, Role.JEFE_UNIDAD, unit_clues=unit)
        to_hold = [
            (scene.applicant("Rosa", "Quintero", "Salas", unit={"unit_clues": unit}),
             responsable, Owner(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction=jurisdiction)),
            (scene.applicant("Iván", "Zúñiga", "Ortega", unit={"unit_clues": unit}, ece=False),
             head, Owner(Role.JEFE_UNIDAD, unit=unit))]
        if jurisdiction == "I":
            to_hold.append((scene.applicant("Gerardo", "Pineda", "Luna", ece=False,
                                            unit={"unit_clues": other_unit}),
                            "jefe.other", Owner(Role.JEFE_UNIDAD, unit=other_unit)))
        later = [scene.applicant("Óscar", "Velázquez", None, unit={"unit_clues": unit}),
                 scene.applicant("Hilda", "Campos", "Vera", unit={"unit_clues": unit},
                                 ece=False)]
        ids = [a.request_id for a, _, _ in to_hold] + [a.request_id for a in later]
        oficio_id = scene.received_oficio(ids, liaison=liaison)
        scene.record_accounts(ids)
        reply_id = scene.reply(oficio_id)
        scene.acknowledge_reply(reply_id, liaison=liaison)
        assert scene.release(ids[:len(to_hold)], liaison=liaison).status_code == 302
        people += [(a.request_id, a_unit, jurisdiction) for (a, _, _), a_unit in zip(
            to_hold, [unit, unit, other_unit], strict=False)]
        for applicant, holder, owner in to_hold:
            assert scene.receive(holder), holder
            held.append(Target(f"cuenta en manos de {holder}",
                               {"request_id": applicant.request_id}, owner))
        assert scene.release(ids[len(to_hold):], liaison=liaison).status_code == 302
        envios.append((jurisdiction, oficio_id))
        replies.append((jurisdiction, reply_id))
    in_transit = [Target(f"entrega en tránsito a {t.to_role}", {"transfer_id": t.id},
                         Owner(Role(t.to_role), t.to_unit_clues, t.to_jurisdiction_code))
                  for t in values(lambda: list(db.session().scalars(select(CustodyTransfer)
                                  .where(CustodyTransfer.stage == "enlace_entrega",
                                         CustodyTransfer.received_at.is_(None)))))]
    assert len(in_transit) == 4

    actor = audit.Actor("prueba", "prueba")
    batch = ProvisioningBatch(created_at=clock.now, created_by="prueba",
                              request_ids_json=json.dumps([signing[0].args["request_id"]]))
    db.session().add(batch)
    # An existing account provisioning did not link on its own, waiting for IT.
    db.session().add(LinkReview(
        request_id=signing[0].args["request_id"], object_guid=str(uuid.uuid4()),
        sam_account_name="cuenta.previa", dn="CN=Cuenta Previa,OU=Otra,DC=ssm,DC=test",
        user_account_control=514, admin_count=0, reasons="disabled,outside_ou",
        found_at=clock.now, status="pending"))
    reviewed = [Target(signing[0].label, {"request_id": signing[0].args["request_id"]})]
    hold = retention.set_hold("solicitud", signing[0].args["folio"], "Juicio laboral",
                              actor=actor)
    arco = privacy.request_rectification(db.get(AccountRequest, later[0].request_id),
                                         "Mi teléfono cambió", ip=None)
    client, _ = api.create_client("SIEMPRE", scopes=[api.STATUS_READ], actor=actor)
    target = create_staff_account("objetivo", staff.Grant(Role.AUDITOR))
    job = jobs.enqueue("matrix.nothing", {}, object_type="request", object_id="0")
    imported = imported_account("matriz.importada")
    # People with a recorded account, each in its unit; a baja waiting for the unit head's
    # signature for each of them.
    it_principal = staff.principal_for(staff.get(scene.people["it.dept"][1].id))
    persons, bajas, extensions = [], [], []
    for request_id, clues, jurisdiction in people:
        person = db.get(Person, db.get(AccountRequest, request_id).person_id)
        owner = Owner(unit=clues, jurisdiction=jurisdiction)
        persons.append(Target(f"persona {clues}", {"person_id": person.id}, owner))
        # A prórroga of each (a row as the unit head's signature leaves it).
        extension = Extension(
            folio=f"PRORROGA-2026-{person.id:05d}", person_id=person.id,
            object_guid=str(uuid.uuid4()), unit_clues=clues, jurisdiction_code=jurisdiction,
            old_end_date=timeutil.local_today(), new_end_date=timeutil.local_today(),
            signer_username="jefe", signer_name="Jefe", signer_position="Jefe",
            signed_at=timeutil.now(), content_sha256="0" * 64, content="{}")
        db.session().add(extension)
        db.session().flush()
        extensions.append(Target(f"prórroga {clues}", {"extension_id": extension.id}, owner))
        baja = lifecycle.start(it_principal, person, lifecycle.BajaInput(
            "renuncia", None, timeutil.local_today()), ip=None)
        bajas.append(Target(f"baja {clues}", {"baja_id": baja.id}, owner))
    # A cambio from each of those units to the other jurisdiction's unit: both sides see
    # it (the receiving unit head signs it).
    cambio_targets = []
    for request_id, clues, jurisdiction in people[:2] + people[-1:]:
        person = db.get(Person, db.get(AccountRequest, request_id).person_id)
        other = units["II"] if jurisdiction == "I" else units["I"]
        other_jurisdiction = "II" if jurisdiction == "I" else "I"
        db.session().execute(update(Baja).where(Baja.person_id == person.id)
                             .values(status="cancelada"))
        cambio = cambios.start(it_principal, person, cambios.CambioInput(
            other, None, timeutil.local_today()), ip=None)
        cambio_targets.append(Target(f"cambio {clues} → {other}", {"cambio_id": cambio.id},
                                     Owner(unit=clues, jurisdiction=jurisdiction,
                                           also=((other, other_jurisdiction),))))
    db.commit()
    # An access review of every unit: those of the people above with an account and no
    # open baja (both centros de salud), each unit seen by its head and its responsable.
    from provisioning.reviews import services as reviews
    from provisioning.reviews.models import ReviewUnit

    campaign = reviews.open_campaign(it_principal, reviews.CampaignInput(
        None, timeutil.local_today() + timedelta(days=10), None), ip=None)
    review_units = [Target(f"revisión {u.unit_clues}", {"review_unit_id": u.id},
                           Owner(unit=u.unit_clues, jurisdiction=u.jurisdiction_code))
                    for u in db.session().scalars(select(ReviewUnit).where(
                        ReviewUnit.campaign_id == campaign.id).order_by(ReviewUnit.id))]
    assert {t.owner.unit for t in review_units} == set(units.values())
    campaign_target = Target("revisión de acceso", {"campaign_id": campaign.id}, Owner(
        unit=units["I"], jurisdiction="I", also=((units["II"], "II"),)))
    # A staff roster: service-wide (Informática only), whoever uploaded it.
    from provisioning.roster.models import RosterUpload

    roster = RosterUpload(filename="padron.csv", sha256="0" * 64, line_count=0,
                          uploaded_by="matriz", uploaded_at=timeutil.now())
    db.session().add(roster)
    db.session().flush()
    roster_target = Target("padrón de personal", {"upload_id": roster.id})
    db.commit()

    def oficios(numbered: list[tuple[str, int]], label: str, owner: Owner | None = None,
                seen: bool = False) -> list[Target]:
        """The oficios, reached by their jurisdiction unless ``owner`` is given; ``seen``:
        those who may see them get 403 rather than 404."""
        return [Target(f"{label} JS {j}", {"oficio_id": i}, owner or Owner(jurisdiction=j),
                       Owner(jurisdiction=j) if seen else None) for j, i in numbered]

    anyone, wrong_kind = Owner(), Owner(nobody=True)
    request_ids = [Target(t.label, {"request_id": t.args["request_id"]}, t.owner)
                   for t in signing]
    it_envio = oficios(envios, "oficio", anyone) + oficios(replies, "respuesta", wrong_kind)
    return {
        **{e: request_ids for e in ("approvals.detail", "approvals.sign",
                                    "approvals.return_request", "approvals.reject",
                                    "documents.request_pdf")},
        "it.request_action": [Target(t.label, {**t.args, "action": "reintentar"},
                                            t.owner) for t in request_ids],
        "audit.history": [Target(t.label, {"object_type": "request",
                                           "object_id": t.args["folio"]}, t.owner)
                          for t in signing],
        **{e: held for e in ("handoff.delivery", "handoff.deliver", "handoff.reissue",
                             "handoff.sheet", "handoff.close_sheet")},
        "handoff.receive": in_transit,
        **{e: oficios(envios, "oficio") + oficios(replies, "respuesta")
           for e in ("oficios.detail", "documents.oficio_pdf")},
        # The wrong kind of oficio: 403 for whoever may see it (the service refuses).
        "oficios.cancel": oficios(envios, "oficio")
        + oficios(replies, "respuesta", wrong_kind, seen=True),
        "oficios.acknowledge": oficios(envios, "oficio", anyone)
        + oficios(replies, "respuesta", wrong_kind, seen=True),
        "handoff.acknowledge_reply": oficios(replies, "respuesta")
        + oficios(envios, "oficio", wrong_kind, seen=True),
        **{e: it_envio for e in ("it.oficio_accounts", "it.oficio_accounts_csv",
                                 "it.provision_oficio",
                                 "it.reply_form", "it.reply_sign")},
        "it.batch_page": [Target("lote", {"batch_id": batch.id})],
        "it.trouble_action": [Target("tarea", {"job_id": job.id, "action": action})
                              for action in ("reintentar", "descartar")],
        "it.link_review": reviewed,
        "reconciliation.decide_account": [
            Target("cuenta importada", {"account_id": imported.id, "decision": decision})
            for decision in ("servicio", "desvincular")],
        "it.link_decision": [Target(t.label, {**t.args, "decision": decision})
                                    for t in reviewed for decision in ("confirmar", "rechazar")],
        "retention.lift_hold": [Target("conservación", {"hold_id": hold.id})],
        "privacy.task": [Target("solicitud ARCO", {"arco_id": arco.id})],
        **{e: [Target("cliente de la API", {"client_id": client.id})]
           for e in ("api.revoke", "api.rotate")},
        **{e: [Target("personal", {"staff_id": target.id})]
           for e in ("staff.staff_detail", "staff.staff_grant")},
        "staff.staff_action": [Target("personal", {"staff_id": target.id,
                                                   "action": "desbloquear"})],
        **{e: persons for e in ("lifecycle.person", "lifecycle.start", "lifecycle.urgent",
                                "lifecycle.extend")},
        **{e: bajas for e in ("lifecycle.baja", "lifecycle.sign", "lifecycle.cancel",
                              "lifecycle.baja_pdf")},
        "lifecycle.extension_pdf": extensions,
        "lifecycle.start_cambio": persons,
        **{e: cambio_targets for e in ("lifecycle.cambio", "lifecycle.cancel_cambio",
                                       "lifecycle.cambio_pdf")},
        # Only the head of the receiving unit signs; the old unit's sees it (403).
        "lifecycle.sign_cambio": [Target(t.label, t.args, Owner(
            Role.JEFE_UNIDAD, unit=t.owner.also[0][0]), viewer=Owner(
                unit=t.owner.unit, jurisdiction=t.owner.jurisdiction, also=t.owner.also))
            for t in cambio_targets],
        **{e: [campaign_target] for e in ("reviews.campaign", "reviews.close",
                                          "reviews.report_pdf")},
        **{e: review_units for e in ("reviews.unit", "reviews.answer")},
        "roster.report": [roster_target],
        "staff.staff_revoke": [Target("rol de personal", {
            "staff_id": target.id, "role_id": staff.get(target.id).roles[0].id})],
    }


def _who(grant: staff.Grant | None) -> str:
    if grant is None:
        return "anonimo"
    return " ".join(filter(None, (grant.role.value, grant.unit_clues, grant.jurisdiction_code)))


# Batch routes name their objects in the form, not the URL: each is called with every
# object of its one-object route in the form field, and must answer as that route does.
BATCH_FORMS = {  # batch endpoint → (the one-object endpoint, its URL argument, form field)
    "it.acknowledge_oficios": ("oficios.acknowledge", "oficio_id", "oficio_id"),
    "it.provision_oficios": ("it.provision_oficio", "oficio_id", "oficio_id"),
    "handoff.acknowledge_replies": ("handoff.acknowledge_reply", "oficio_id", "oficio_id"),
    "handoff.receive_batch": ("handoff.receive", "transfer_id", "transfer_id"),
}


def test_objects_inside_and_outside_each_scope(app, clock) -> None:
    objects = build_objects(app, clock)
    named = {r.endpoint for r in app.url_map.iter_rules() if r.arguments} - {"static"}
    assert named - set(NOT_SCOPED) == set(objects), "object routes without objects here"
    routes = [route for route in _routes(app) if route[0] in objects]
    with app.test_request_context():
        paths = {endpoint: [(target, url_for(endpoint, **target.args))
                            for target in objects[endpoint]] for endpoint in objects}
    for n, grant in enumerate(PRINCIPALS):
        browser = Browser(app.test_client())
        if grant is not None:
            login(browser, create_staff_account(f"p{n}.{grant.role.value}", grant), clock)
        token = browser.token("/cuenta" if grant else "/acceso")
        role = grant.role if grant else None
        for endpoint, method, rule in routes:
            policy = POLICY[endpoint]
            for target, path in paths[endpoint]:
                response = (browser.get(path) if method == "GET"
                            else browser.post(path, {"csrf_token": token}))
                status = response.status_code
                where = f"{method} {rule} on {target.label} as {_who(grant)}: {status}"
                assert status < 500, where
                if not _allowed(policy, role):
                    assert_refused(policy, role, response, where)
                elif not reaches(grant, target.owner):
                    assert status == target.deny(grant), where
                elif method == "GET":
                    assert status == 200, where
                else:
                    # Allowed: whatever the empty form gets (400, 401 for a missing code,
                    # 409 for the object's state, a redirect), never a refusal.
                    assert status not in (403, 404), where
                    assert "/acceso" not in response.headers.get("Location", ""), where
        for endpoint, (single, arg, field) in BATCH_FORMS.items():
            policy = POLICY[endpoint]
            with app.test_request_context():
                path = url_for(endpoint)
            for target in objects[single]:
                response = browser.post(path, {"csrf_token": token,
                                               field: str(target.args[arg])})
                status = response.status_code
                where = f"POST {path} [{field}] {target.label} as {_who(grant)}: {status}"
                assert status < 500, where
                if not _allowed(policy, role):
                    assert_refused(policy, role, response, where)
                elif not reaches(grant, target.owner):
                    assert status == target.deny(grant), where
                else:
                    assert status not in (403, 404), where
