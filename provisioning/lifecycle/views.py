"""Pages of the person's record and of the baja: /personas, /personas/<id>, the baja form,
the urgent baja (IT), /bajas and each baja with its signature and cancellation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db, timeutil
from provisioning.account_requests.services import person_timeline, requests_of
from provisioning.catalogs import services as catalogs
from provisioning.directory import port
from provisioning.directory.errors import DirectoryError
from provisioning.documents import services as documents
from provisioning.documents.views import pdf_response
from provisioning.errors import ValidationError
from provisioning.jobs import services as jobs
from provisioning.lifecycle import cambios, rules, services, temporary
from provisioning.lifecycle import documents as lifecycle_documents
from provisioning.lifecycle.models import Baja
from provisioning.people.models import Person
from provisioning.reconciliation import services as reconciliation
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, rate_limited

bp = Blueprint("lifecycle", __name__)

VIEWERS = rules.STARTERS


def _field(name: str, limit: int = 600) -> str:
    return request.form.get(name, "")[:limit]


def _form() -> dict[str, str]:
    return {k: _field(k) for k in ("motivo", "detalle", "fecha_efectiva")}


# ---------------------------------------------------------------------------------------------
# People


@bp.route("/personas")
@auth.roles_required(*VIEWERS)
def people() -> Any:
    """The people of the viewer's scope, searchable by name or CURP."""
    text = request.args.get("q", "")[:80]
    try:
        page = int(request.args.get("pagina", "1"))
    except ValueError:
        page = 1
    found = services.people_for(g.principal, text=text, page=page)
    services.record_people_list(found.rows, actor=g.principal.actor(client_ip()),
                                search=bool(text.strip()))
    db.commit()
    return render_template("lifecycle/people.html", found=found, q=text)


def _live_accounts(person: Person) -> list[dict[str, Any]]:
    """Each recorded account with what the DC says of it now (or why it could not say)."""
    out = []
    for account in services.accounts_of(person):
        live, error = None, None
        try:
            live = port.current().account(account.object_guid)
        except DirectoryError as exc:
            error = exc.message
        if live is None and error is None:
            error = "La cuenta ya no existe en el directorio."
        out.append({"recorded": account, "live": live, "error": error})
    return out


def _person_page(person: Person, *, errors: dict[str, str] | None = None,
                 error: str | None = None, form: dict[str, str] | None = None,
                 status: int = 200) -> Any:
    principal = g.principal
    services.record_person_view(person, actor=principal.actor(client_ip()))
    db.commit()
    requests = requests_of(person)
    bajas = services.bajas_of(person)
    timeline = person_timeline(person, [*(("baja", b.folio) for b in bajas),
                                        *(("cambio", c.folio) for c in cambios.cambios_of(person))])
    return render_template(
        "lifecycle/person.html", person=person, requests=requests, bajas=bajas,
        accounts=_live_accounts(person),
        imported={a.object_guid: a for a in reconciliation.linked_accounts(person)},
        timeline=timeline, reasons=rules.REASONS,
        open_baja=services.open_baja(person), may_start=services.may_start(principal, person),
        cambios=cambios.cambios_of(person), open_cambio=cambios.open_cambio(person),
        units=sorted(catalogs.units(), key=lambda u: (u.jurisdiction_code, u.name)),
        unit_label=cambios.unit_label,
        may_urgent=principal.has(*rules.URGENT_ROLES),
        signs=person.unit_clues in principal.units(Role.JEFE_UNIDAD),
        extensions=temporary.extensions_of(person),
        may_extend=temporary.may_extend(principal, person),
        today=timeutil.local_today(), errors=errors or {}, error=error, form=form or {}), status


@bp.route("/personas/<int:person_id>")
@auth.roles_required(*VIEWERS)
def person(person_id: int) -> Any:
    """One person: requests, bajas, accounts as the DC shows them now, and the history.
    ``?accion=baja`` or ``?unidad_destino=<CLUES>`` (the roster report's links) prefill the
    baja or the cambio form."""
    return _person_page(services.get_person_for(g.principal, person_id), form=_prefill())


def _prefill() -> dict[str, str]:
    """The form values a link asks for (nothing is started until the form is sent)."""
    form = {}
    if request.args.get("accion") == "baja":
        form["detalle"] = "No aparece en el padrón de personal."
    destination = request.args.get("unidad_destino", "")[:20]
    if destination:
        form["unidad_destino-cambio"] = destination
        form["detalle-cambio"] = "Su unidad en el padrón de personal es otra."
    return form


@bp.route("/personas/<int:person_id>/baja", methods=["POST"])
@auth.roles_required(*rules.STARTERS)
@rate_limited("acceso")
def start(person_id: int) -> Any:
    """Start a baja; a unit head of the person's unit signs it at once with a TOTP code."""
    principal = g.principal
    target = services.get_person_for(principal, person_id)
    form = _form()
    try:
        data = services.read_form(form)
        if services.signs_at_start(principal, target, data):
            baja = services.start_signed(principal, auth.current_user(), target, data,
                                         code=_field("code", 20), ip=client_ip())
        else:
            baja = services.start(principal, target, data, ip=client_ip())
    except staff.AuthError as exc:
        # Nothing but the failure count was written: keep it (the lockout).
        return auth.step_up_refused(exc) or _person_page(
            target, error=exc.message, errors={"code": exc.message}, form=form,
            status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _person_page(target, error=exc.message, errors=exc.fields, form=form,
                            status=400)
    db.commit()
    flash(f"Baja {baja.folio} registrada: {baja.status_label.lower()}.", "ok")
    return redirect(url_for("lifecycle.baja", baja_id=baja.id))


@bp.route("/personas/<int:person_id>/baja-urgente", methods=["POST"])
@auth.roles_required(*rules.URGENT_ROLES)
@rate_limited("acceso")
def urgent(person_id: int) -> Any:
    """IT's urgent baja: executed at once, with a TOTP code and a mandatory reason."""
    principal = g.principal
    target = services.get_person_for(principal, person_id)
    form = _form()
    try:
        data = services.read_form(form, urgent=True)
        baja = services.urgent(principal, auth.current_user(), target, data,
                               code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:  # checked before any write: keep its failure count
        return auth.step_up_refused(exc) or _person_page(
            target, error=exc.message, errors={"code-urgente": exc.message}, form=form,
            status=exc.status)
    except ValidationError as exc:
        db.rollback()
        errors = {f"{k}-urgente": v for k, v in exc.fields.items()}
        return _person_page(target, error=exc.message, errors=errors, form=form, status=400)
    db.commit()
    flash(f"Baja urgente {baja.folio} en ejecución; se avisó al jefe de la unidad.", "ok")
    return redirect(url_for("lifecycle.baja", baja_id=baja.id))


@bp.route("/personas/<int:person_id>/prorroga", methods=["POST"])
@auth.roles_required(Role.JEFE_UNIDAD)
@rate_limited("acceso")
def extend(person_id: int) -> Any:
    """The unit head signs a later last day for temporary staff (TOTP)."""
    principal = g.principal
    target = services.get_person_for(principal, person_id)
    form = {k: _field(k) for k in ("nueva_fecha", "detalle")}
    shown = {"nueva_fecha": form["nueva_fecha"], "detalle-prorroga": form["detalle"]}
    try:
        data = temporary.read_form(form, target)
        extension = temporary.extend(principal, auth.current_user(), target, data,
                                     code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:  # checked before any write: keep its failure count
        return auth.step_up_refused(exc) or _person_page(
            target, error=exc.message, errors={"code-prorroga": exc.message}, form=shown,
            status=exc.status)
    except ValidationError as exc:
        db.rollback()
        errors = {("detalle-prorroga" if k == "detalle" else k): v
                  for k, v in exc.fields.items()}
        return _person_page(target, error=exc.message, errors=errors, form=shown, status=400)
    db.commit()
    flash(f"Prórroga {extension.folio} firmada: acceso hasta el "
          f"{timeutil.format_date(extension.new_end_date)}.", "ok")
    return redirect(url_for("lifecycle.person", person_id=target.id))


# ---------------------------------------------------------------------------------------------
# Bajas


@bp.route("/bajas")
@auth.roles_required(*VIEWERS)
def bajas() -> Any:
    """The bajas of the viewer's scope, those to sign first."""
    principal = g.principal
    to_sign = services.to_sign(principal)
    rows = [b for b in services.bajas_for(principal) if b not in to_sign]
    db.commit()
    return render_template("lifecycle/bajas.html", to_sign=to_sign, rows=rows,
                           reasons=rules.REASONS, person_of=services.person_of)


def _baja_page(baja: Baja, *, errors: dict[str, str] | None = None, error: str | None = None,
               status: int = 200) -> Any:
    principal = g.principal
    target = services.person_of(baja)
    services.record_person_view(target, actor=principal.actor(client_ip()))
    db.commit()
    job = jobs.latest_for("baja", baja.folio, services.KIND)
    return render_template(
        "lifecycle/baja.html", baja=baja, person=target, reasons=rules.REASONS,
        chain=(rules.URGENT,) if baja.urgent else rules.chain(baja.reason_code),
        signatures=services.signatures(baja), turn=services.my_step(principal, baja),
        job=job, job_status=jobs.status_text(job) if job else None,
        removed_groups=services.removed_groups(baja), errors=errors or {}, error=error), status


@bp.route("/bajas/<int:baja_id>")
@auth.roles_required(*VIEWERS)
def baja(baja_id: int) -> Any:
    """One baja: its data, signatures, job and what the DC was told."""
    return _baja_page(services.get_for(g.principal, baja_id))


@bp.route("/bajas/<int:baja_id>/pdf")
@auth.roles_required(*VIEWERS)
def baja_pdf(baja_id: int) -> Any:
    """The baja as a printed record with its QR (a new version when it is signed, executed
    or cancelled)."""
    return _download(lifecycle_documents.BAJA, services.get_for(g.principal, baja_id))


def _download(kind: str, obj: Any) -> Any:
    document = documents.download(kind, obj, actor=g.principal.actor(client_ip()))
    db.commit()
    return pdf_response(document)


@bp.route("/bajas/<int:baja_id>/firmar", methods=["POST"])
@auth.roles_required(Role.JEFE_UNIDAD)
@rate_limited("acceso")
def sign(baja_id: int) -> Any:
    """The unit head signs the baja (TOTP); the last signature schedules it."""
    target = services.get_for(g.principal, baja_id)
    try:
        services.sign(target, principal=g.principal, user=auth.current_user(),
                      code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _baja_page(
            target, error=exc.message, errors={"code": exc.message}, status=exc.status)
    db.commit()
    flash(f"Baja {target.folio} firmada y programada para el "
          f"{timeutil.format_date(target.effective_date)}.", "ok")
    return redirect(url_for("lifecycle.baja", baja_id=target.id))


@bp.route("/bajas/<int:baja_id>/cancelar", methods=["POST"])
@auth.roles_required(*rules.STARTERS)
def cancel(baja_id: int) -> Any:
    """Withdraw a baja that has not run, with a reason."""
    target = services.get_for(g.principal, baja_id)
    try:
        services.cancel(target, principal=g.principal, reason=_field("motivo_cancelacion"),
                        ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _baja_page(target, error=exc.message, errors=exc.fields, status=400)
    db.commit()
    flash(f"Baja {target.folio} cancelada.", "ok")
    return redirect(url_for("lifecycle.baja", baja_id=target.id))


# ---------------------------------------------------------------------------------------------
# Cambios de adscripción


@bp.route("/personas/<int:person_id>/cambio", methods=["POST"])
@auth.roles_required(*rules.STARTERS)
@rate_limited("acceso")
def start_cambio(person_id: int) -> Any:
    """Start a cambio de adscripción; the receiving unit head signs it."""
    principal = g.principal
    target = services.get_person_for(principal, person_id)
    form = {k: _field(k) for k in ("unidad_destino", "detalle", "fecha_efectiva")}
    try:
        data = cambios.read_form(form, target)
        cambio = cambios.start(principal, target, data, ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        errors = {f"{k}-cambio": v for k, v in exc.fields.items()}
        return _person_page(target, error=exc.message, errors=errors,
                            form={f"{k}-cambio": v for k, v in form.items()}, status=400)
    db.commit()
    flash(f"Cambio de adscripción {cambio.folio} registrado: lo firma el jefe de la unidad "
          "que recibe a la persona.", "ok")
    return redirect(url_for("lifecycle.cambio", cambio_id=cambio.id))


@bp.route("/cambios")
@auth.roles_required(*VIEWERS)
def cambios_list() -> Any:
    """The cambios of the viewer's scope (either side)."""
    rows = cambios.cambios_for(g.principal)
    db.commit()
    return render_template("lifecycle/cambios.html", rows=rows, person_of=cambios.person_of,
                           may_sign=lambda c: cambios.may_sign(g.principal, c))


def _cambio_page(cambio_row: Any, *, errors: dict[str, str] | None = None,
                 error: str | None = None, status: int = 200) -> Any:
    principal = g.principal
    target = cambios.person_of(cambio_row)
    services.record_person_view(target, actor=principal.actor(client_ip()))
    db.commit()
    job = jobs.latest_for("cambio", cambio_row.folio, cambios.KIND)
    return render_template(
        "lifecycle/cambio.html", cambio=cambio_row, person=target,
        unit_label=cambios.unit_label, may_sign=cambios.may_sign(principal, cambio_row),
        job_status=jobs.status_text(job) if job else None, errors=errors or {},
        error=error), status


@bp.route("/cambios/<int:cambio_id>")
@auth.roles_required(*VIEWERS)
def cambio(cambio_id: int) -> Any:
    """One cambio de adscripción: both units, the signature, the job."""
    return _cambio_page(cambios.get_for(g.principal, cambio_id))


@bp.route("/cambios/<int:cambio_id>/pdf")
@auth.roles_required(*VIEWERS)
def cambio_pdf(cambio_id: int) -> Any:
    """The cambio de adscripción as a printed record with its QR."""
    return _download(lifecycle_documents.CAMBIO, cambios.get_for(g.principal, cambio_id))


@bp.route("/prorrogas/<int:extension_id>/pdf")
@auth.roles_required(*VIEWERS)
def extension_pdf(extension_id: int) -> Any:
    """A prórroga as a printed record with its QR (whoever sees the person)."""
    return _download(lifecycle_documents.PRORROGA,
                     temporary.get_for(g.principal, extension_id))


@bp.route("/cambios/<int:cambio_id>/firmar", methods=["POST"])
@auth.roles_required(Role.JEFE_UNIDAD)
@rate_limited("acceso")
def sign_cambio(cambio_id: int) -> Any:
    """The receiving unit head signs (TOTP)."""
    target = cambios.get_for(g.principal, cambio_id)
    try:
        cambios.sign(target, principal=g.principal, user=auth.current_user(),
                     code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _cambio_page(
            target, error=exc.message, errors={"code": exc.message}, status=exc.status)
    db.commit()
    flash(f"Cambio {target.folio} firmado y programado para el "
          f"{timeutil.format_date(target.effective_date)}.", "ok")
    return redirect(url_for("lifecycle.cambio", cambio_id=target.id))


@bp.route("/cambios/<int:cambio_id>/cancelar", methods=["POST"])
@auth.roles_required(*rules.STARTERS)
def cancel_cambio(cambio_id: int) -> Any:
    """Withdraw a cambio that has not run, with a reason."""
    target = cambios.get_for(g.principal, cambio_id)
    try:
        cambios.cancel(target, principal=g.principal, reason=_field("motivo_cancelacion"),
                       ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _cambio_page(target, error=exc.message, errors=exc.fields, status=400)
    db.commit()
    flash(f"Cambio {target.folio} cancelado.", "ok")
    return redirect(url_for("lifecycle.cambio", cambio_id=target.id))
