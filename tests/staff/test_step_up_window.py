"""The step-up window: right after a good TOTP code (signing in or signing), the signatures
of the next [security].step_up_window_seconds in the same session and from the same IP
need no new code; each such step is audited. Past the window, from another IP, in another
session, or for actions that grant or restore access, a new code is asked again — and a
code is still never accepted twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals.models import Signature
from provisioning.audit.models import AuditEvent
from provisioning.staff.models import Role, StaffUser
from tests.support.curp import hypothetical_curp
from tests.support.forms import submit
from tests.support.handoff_flow import Scene, values
from tests.support.web import Browser

WINDOW = 300


def _requests(app, n: int) -> list[int]:
    browser = Browser(app.test_client())
    for i in range(n):
        assert submit(browser, curp=hypothetical_curp(40 + i),
                      expediente_electronico="no").status_code == 200
    return values(lambda: list(db.session().scalars(
        select(AccountRequest.id).order_by(AccountRequest.id))))


def _signed(request_id: int) -> int:
    return values(lambda: db.session().scalar(select(func.count()).select_from(Signature)
                                              .where(Signature.request_id == request_id)))


def _window_events() -> int:
    return values(lambda: db.session().scalar(select(func.count()).select_from(AuditEvent)
                                              .where(AuditEvent.action ==
                                                     "staff.step_up_window")))


def test_signing_right_after_signing_in_needs_no_new_code(make_app, clock) -> None:
    app = make_app(security={"step_up_window_seconds": WINDOW})
    with app.app_context():
        scene = Scene(app, clock).cast()
        first, second, third, fourth = _requests(app, 4)
        head = scene.people["jefe.centro"][0]
        page = head.get(f"/solicitudes/{first}").get_data(as_text=True)
        assert "Opcional hasta las" in page and 'name="code" inputmode="numeric" ' \
            'maxlength="6" autocomplete' in page  # not required

        # Within the window: signed without typing a code, and audited as such.
        done = head.post(f"/solicitudes/{first}/firmar", {"code": ""}, page="/panel")
        assert done.status_code == 302 and _signed(first) == 1
        assert _window_events() == 1

        # From another IP the window does not apply.
        elsewhere = head.post(f"/solicitudes/{second}/firmar", {"code": ""}, page="/panel",
                              environ_overrides={"REMOTE_ADDR": "10.9.8.7"})
        assert elsewhere.status_code == 401 and _signed(second) == 0

        # Past the window: a code again; typing one opens a new window.
        clock.advance(seconds=WINDOW + 1)
        late = head.post(f"/solicitudes/{second}/firmar", {"code": ""}, page="/panel")
        assert late.status_code == 401 and "código de 6 dígitos" in late.get_data(as_text=True)
        assert _signed(second) == 0
        code = scene.totp("jefe.centro")
        assert head.post(f"/solicitudes/{second}/firmar", {"code": code},
                         page="/panel").status_code == 302
        assert head.post(f"/solicitudes/{third}/firmar", {"code": ""},
                         page="/panel").status_code == 302
        # The code-reuse rule stays: the code just typed is refused if typed again.
        replay = head.post(f"/solicitudes/{fourth}/firmar", {"code": code}, page="/panel")
        assert replay.status_code == 401 and _signed(fourth) == 0

        # Another session (a new sign-in is its own window; a copied old cookie is dead).
        other = scene.sign_in_again("jefe.centro")
        assert other.post(f"/solicitudes/{fourth}/firmar", {"code": ""},
                          page="/panel").status_code == 302

        # An account locked meanwhile (wrong codes typed elsewhere) gets no window.
        fifth = _requests(app, 5)[-1]
        db.session().execute(update(StaffUser).where(StaffUser.username == "jefe.centro")
                             .values(locked_until=timeutil.now() + timedelta(minutes=15)))
        db.commit()
        locked = other.post(f"/solicitudes/{fifth}/firmar", {"code": ""}, page="/panel")
        assert locked.status_code == 403 and _signed(fifth) == 0

        # Granting access always asks for a new code, window or not.
        admin = scene.person("admin", Role.ADMIN)
        created = values(lambda: db.session().scalar(select(func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "staff.created")))
        form = {"username": "nuevo.usuario", "full_name": "NUEVO USUARIO",
                "email": "nuevo@ssm.test", "position": "Analista", "role": "auditor"}
        refused = admin.post("/admin/personal/nuevo", {**form, "code": ""}, page="/panel")
        assert refused.status_code == 401
        assert "código de 6 dígitos" in refused.get_data(as_text=True)
        assert values(lambda: db.session().scalar(select(func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "staff.created"))) == created
        assert values(lambda: db.session().scalar(select(func.count()).select_from(
            AuditEvent).where(AuditEvent.action == "staff.step_up_window"))) == 3
