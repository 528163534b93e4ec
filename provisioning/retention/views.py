"""The records custodian's page: what expires soon, legal holds, recent disposals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db, timeutil
from provisioning.config import current as settings
from provisioning.errors import ValidationError
from provisioning.retention import services
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.textcheck import TextError, clean
from provisioning.web import client_ip

bp = Blueprint("retention", __name__)


def _page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Any:
    window = settings().retention.expiring_window_days
    now = timeutil.now()
    expiring = services.due(now + timedelta(days=window))
    return render_template(
        "retention/custody.html", expiring=expiring, window=window, now=now,
        holds=services.active_holds(), disposals=services.recent_disposals(),
        classes={c.name: c for c in services.record_classes()},
        holdable=[c for c in services.record_classes() if c.exists is not None],
        can_act=g.principal.has(Role.JEFE_INFORMATICA), errors=errors or {},
        values=values or {}), status


@bp.route("/custodia")
@auth.roles_required(Role.JEFE_INFORMATICA, Role.AUDITOR)
def custody() -> Any:
    """Records whose retention ends in the next days, holds in force, recent disposals."""
    return _page()


def _reason() -> str:
    try:
        return clean(request.form.get("reason", "")[:1000], max_length=500)
    except TextError as exc:
        raise ValidationError(f"Motivo: {exc.message}", {"reason": exc.message}) from None


def _actor() -> Any:
    return g.principal.actor(client_ip(), Role.JEFE_INFORMATICA)


@bp.route("/custodia/conservaciones", methods=["POST"])
@auth.roles_required(Role.JEFE_INFORMATICA)
def set_hold() -> Any:
    """Put a record under legal hold, with a reason."""
    values = {k: request.form.get(k, "")[:500] for k in ("record_class", "record_key", "reason")}
    try:
        hold = services.set_hold(values["record_class"], values["record_key"][:80], _reason(),
                                 actor=_actor())
    except ValidationError as exc:
        db.rollback()
        flash(exc.message, "error")
        return _page(exc.fields, values, 400)
    db.commit()
    flash(f"El registro {hold.record_key} quedó en conservación por motivo legal.", "ok")
    return redirect(url_for("retention.custody"))


@bp.route("/custodia/conservaciones/<int:hold_id>/levantar", methods=["POST"])
@auth.roles_required(Role.JEFE_INFORMATICA)
def lift_hold(hold_id: int) -> Any:
    """Lift a legal hold, with a reason."""
    try:
        hold = services.lift_hold(hold_id, _reason(), actor=_actor())
    except ValidationError as exc:
        db.rollback()
        flash(exc.message, "error")
        return redirect(url_for("retention.custody"))
    db.commit()
    flash(f"Se levantó la conservación de {hold.record_key}.", "ok")
    return redirect(url_for("retention.custody"))
