"""PDF downloads for staff in scope and the public /verificar pages (the applicant's own
PDF is served by ``provisioning.applicant``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from provisioning import db
from provisioning.approvals import services as approvals
from provisioning.documents import services
from provisioning.documents.models import OFICIO, SOLICITUD, IssuedDocument
from provisioning.errors import AltaError
from provisioning.oficios import services as oficios
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.web import client_ip, rate_limited

bp = Blueprint("documents", __name__)
MAX_UPLOAD = 5 * 1024 * 1024


def pdf_response(document: IssuedDocument) -> Response:
    """The issued PDF as a download."""
    response = Response(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{services.filename(document)}"')
    return response


@bp.route("/solicitudes/<int:request_id>/pdf")
@auth.roles_required(*Role)
def request_pdf(request_id: int) -> Any:
    """The solicitud as filled and signed (staff in scope)."""
    account_request = approvals.get_for(g.principal, request_id)
    document = services.download(SOLICITUD, account_request,
                                 actor=g.principal.actor(client_ip()))
    db.commit()
    return pdf_response(document)


@bp.route("/oficios/<int:oficio_id>/pdf")
@auth.roles_required(Role.ENLACE, *oficios.SERVICE_WIDE)
def oficio_pdf(oficio_id: int) -> Any:
    """The oficio with its annex (liaison of the jurisdiction, IT, audit)."""
    oficio = oficios.get_for(g.principal, oficio_id)
    document = services.download(OFICIO, oficio, actor=g.principal.actor(client_ip()))
    db.commit()
    return pdf_response(document)


@bp.route("/verificar", methods=["GET", "POST"])
def verify_form() -> Any:
    """Type the code printed on a document."""
    if request.method == "POST":
        code = services.normalize(request.form.get("code", ""))
        if code:
            return redirect(url_for("documents.verify", code=code))
        return render_template("documents/verify_form.html",
                               error="Escriba el código de 10 caracteres impreso en el "
                                     "documento."), 400
    return render_template("documents/verify_form.html", error=None)


@bp.route("/verificar/<code>", methods=["GET", "POST"])
@rate_limited("seguimiento")
def verify(code: str) -> Any:
    """Is the document authentic and unchanged? Optionally compare a PDF file."""
    uploaded = None
    if request.method == "POST":
        upload = request.files.get("archivo")
        if upload is None or not upload.filename:
            raise AltaError("Elija el archivo PDF que desea comparar.")
        uploaded = upload.stream.read(MAX_UPLOAD + 1)[:MAX_UPLOAD]
    result = services.verify(code, uploaded=uploaded)
    db.rollback()
    status = 200 if result.authentic else 409
    return render_template("documents/verify.html", result=result), status
