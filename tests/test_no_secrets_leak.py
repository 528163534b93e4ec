"""No password, tracking or recovery code, or TOTP seed reaches the logs, the audit table or
the database in clear — not even in the SQL parameters sent to the database."""

from __future__ import annotations

import json
import logging
import re

import pyotp
from sqlalchemy import text

from provisioning import db
from provisioning.observability.logs import JsonFormatter
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.forms import folio_and_code, submit
from tests.support.secrets import all_database_text, variants
from tests.support.staff import STAFF_PASSWORD, create_staff_account, login
from tests.support.web import Browser


def test_secrets_never_stored_or_logged(make_app, clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    # Set before any connection exists: SQLAlchemy decides per connection whether to log.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    app = make_app()
    context = app.app_context()
    context.push()
    client = Browser(app.test_client())
    try:
        secrets: set[str] = {STAFF_PASSWORD}
        # Applicant: tracking code.
        folio, code = folio_and_code(submit(client))
        secrets |= variants(code)
        client.post("/seguimiento", {"folio": folio, "code": code}, page="/seguimiento")
        client.post("/seguimiento", {"folio": folio, "code": "WRONG-CODE-XXXX"},
                    page="/seguimiento")
        # Staff: enrolment (seed, recovery codes), failed and good sign-ins.
        create_staff_account("sol", staff.Grant(Role.ADMIN), enrolled=False)
        client.post("/acceso", {"username": "sol", "password": "contraseña-equivocada"})
        secrets.add("contraseña-equivocada")
        client.post("/acceso", {"username": "sol", "password": STAFF_PASSWORD})
        page = client.get("/acceso/configurar-autenticador").get_data(as_text=True)
        seed = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
        secrets.add(seed)
        done = client.post("/acceso/configurar-autenticador",
                           {"code": pyotp.TOTP(seed).at(clock.now)},
                           page="/acceso/configurar-autenticador")
        codes = re.findall(r"<li>([2-9A-Z-]{14})</li>", done.get_data(as_text=True))
        for recovery in codes:
            secrets |= variants(recovery)
        # Admin: a temporary password.
        admin = create_staff_account("root.admin", staff.Grant(Role.ADMIN))
        clock.advance(seconds=30)
        other = Browser(app.test_client())
        login(other, admin, clock)
        clock.advance(seconds=30)
        step_up = admin.code()  # six digits: too short to search logs for without noise
        created = other.post("/admin/personal/nuevo",
                             {"username": "nuevo.usuario", "full_name": "Nuevo Usuario",
                              "email": "n@ssm.test", "role": "auditor", "code": step_up},
                             page="/admin/personal/nuevo")
        temporary = re.search(r'class="secret">([^<]+)<', created.get_data(as_text=True))[1]
        secrets |= variants(temporary)
        secrets.add(admin.seed)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    # The same records as [observability].log_format = "json" writes them: one object a line.
    as_json = [JsonFormatter().format(record) for record in caplog.records]
    assert all(isinstance(json.loads(line), dict) and "\n" not in line for line in as_json)
    logged = caplog.text + "\n" + "\n".join(as_json)
    try:
        check(secrets, logged, codes, folio)
    finally:
        context.pop()


def check(secrets: set[str], logged: str, codes: list[str], folio: str) -> None:
    assert "INSERT INTO" in logged  # the SQL was really captured
    stored = all_database_text()
    audit_rows = "\n".join(str(r) for r in db.session().execute(
        text("SELECT * FROM audit_events")))
    for secret in secrets:
        assert secret not in logged, secret
        assert secret not in stored, secret
        assert secret not in audit_rows, secret
    assert len(codes) == 10 and folio in stored
