"""Alta: digital *alta de usuarios* for SIEMPRE (Servicios de Salud de Morelos)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from provisioning.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application: settings, database, security, blueprints and CLI."""
    from flask_wtf.csrf import CSRFProtect

    from provisioning import cli, db, timeutil, web
    from provisioning.api.views import bp as api_bp
    from provisioning.api.views import person_status as api_person_status
    from provisioning.applicant.views import bp as public_bp
    from provisioning.approvals.views import bp as approvals_bp
    from provisioning.audit import hooks as audit_hooks
    from provisioning.audit.services import CheckpointSigner
    from provisioning.audit.syslog import SyslogForwarder
    from provisioning.auditor.views import bp as audit_bp
    from provisioning.crypto import Hasher, Pseudonymizer, Sealer
    from provisioning.dashboard import work
    from provisioning.dashboard.views import bp as dashboard_bp
    from provisioning.documents.views import bp as documents_bp
    from provisioning.handoff.views import bp as handoff_bp
    from provisioning.it.views import bp as it_bp
    from provisioning.lifecycle.views import bp as lifecycle_bp
    from provisioning.observability import logs
    from provisioning.observability.views import bp as observability_bp
    from provisioning.oficios.views import bp as oficios_bp
    from provisioning.preregistration.views import bp as preregistration_bp
    from provisioning.privacy.views import bp as privacy_bp
    from provisioning.reconciliation.views import bp as reconciliation_bp
    from provisioning.records import classes as records
    from provisioning.retention import services as retention
    from provisioning.retention.views import bp as retention_bp
    from provisioning.reviews.views import bp as reviews_bp
    from provisioning.roster.views import bp as roster_bp
    from provisioning.staff import auth
    from provisioning.staff.views import bp as staff_bp
    from provisioning.web import health

    settings = settings or load_settings()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(settings.instance_path),
    )
    app.config.update(
        SECRET_KEY=settings.app.secret_key,
        SESSION_COOKIE_NAME="alta_sesion",
        SESSION_COOKIE_SECURE=settings.security.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1024 * 1024,
        # A long form may stay open a while; the token is still bound to the session.
        WTF_CSRF_TIME_LIMIT=4 * 3600,
        WTF_CSRF_SSL_STRICT=settings.app.base_url.startswith("https://"),
    )
    logs.configure(settings.app.log_level, settings.observability.log_format)
    app.extensions["alta.settings"] = settings
    timeutil.set_local_timezone(settings.tz)
    db.init_app(app, settings)
    audit_hooks.install()
    app.extensions["alta.checkpoints"] = CheckpointSigner(settings)
    if settings.audit.syslog_host:
        app.extensions["alta.syslog"] = SyslogForwarder(settings.audit)
    app.extensions["alta.hasher"] = Hasher.for_passwords(settings)
    app.extensions["alta.code_hasher"] = Hasher.for_codes(settings)
    app.extensions["alta.sealer"] = Sealer(settings)
    app.extensions["alta.pseudonymizer"] = Pseudonymizer(settings)
    csrf = CSRFProtect(app)
    # The API authenticates every call with a bearer token, never a cookie: nothing to forge.
    csrf.exempt(api_person_status)
    web.init_app(app, settings)
    auth.init_app(app)
    logs.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(it_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(observability_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(approvals_bp)
    app.register_blueprint(oficios_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(retention_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(handoff_bp)
    app.register_blueprint(preregistration_bp)
    app.register_blueprint(lifecycle_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(reconciliation_bp)
    cli.register(app)
    register_jobs()
    register_documents()
    app.extensions["alta.panel"] = work.items  # the panel's counts (staff serves /panel)
    retention.register_classes(records.CLASSES)
    return app


def register_documents() -> None:
    """The printed records other domains add to the solicitud and the oficio."""
    from provisioning.lifecycle import documents as lifecycle_documents
    from provisioning.reviews import documents as review_documents

    lifecycle_documents.register()
    review_documents.register()


def register_jobs() -> None:
    """Every background job kind this app runs, with its retry policy (see each module)."""
    from provisioning.dashboard import reminders
    from provisioning.handoff import tasks as handoff_tasks
    from provisioning.it import tasks as it_tasks
    from provisioning.lifecycle import tasks as lifecycle_tasks
    from provisioning.notifications import services as notifications
    from provisioning.preregistration import tasks as preregistration_tasks
    from provisioning.reconciliation import tasks as reconciliation_tasks
    from provisioning.reviews import tasks as review_tasks

    it_tasks.register()
    preregistration_tasks.register()
    notifications.register()
    reminders.register()
    lifecycle_tasks.register()
    handoff_tasks.register()
    review_tasks.register()
    reconciliation_tasks.register()
