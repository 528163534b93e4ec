"""Liveness and readiness: /healthz answers JSON and checks the database."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from provisioning import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    """200 when the database answers, 503 otherwise."""
    try:
        db.session().execute(text("SELECT 1"))
        db.rollback()
    except SQLAlchemyError:
        return jsonify({"status": "error", "database": "sin conexión"}), 503
    return jsonify({"status": "ok", "database": "ok"})
