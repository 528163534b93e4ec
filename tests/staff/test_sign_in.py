"""Staff sign-in: argon2 password + TOTP, enrolment, lockout, replay, idle timeout."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from tests.support.staff import STAFF_PASSWORD, create_staff_account, login

ADMIN = staff.Grant(Role.ADMIN)


def alerts(response) -> str:
    return " ".join(re.findall(r'role="alert">([^<]+)<', response.get_data(as_text=True)))


def actions() -> list[str]:
    return list(db.session().scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_password_and_totp_sign_in(client, clock) -> None:
    account = create_staff_account("ana", ADMIN)
    first = client.post("/acceso", {"username": "ana", "password": STAFF_PASSWORD})
    assert first.headers["Location"].endswith("/acceso/continuar")
    assert client.get("/panel").status_code == 302  # not in yet
    login_page = client.get("/acceso/verificacion")
    assert "Verificación en dos pasos" in login_page.get_data(as_text=True)
    done = client.post("/acceso/verificacion", {"code": account.code()},
                       page="/acceso/verificacion")
    assert done.headers["Location"].endswith("/panel")
    home = client.get("/panel")
    assert home.status_code == 200 and "Administrador(a)" in home.get_data(as_text=True)
    assert "staff.login" in actions()


def test_password_hash_is_argon2id_and_upgraded_when_parameters_change(app, make_app) -> None:
    create_staff_account("beto", ADMIN)
    user = staff.by_username("beto")
    assert user.password_hash.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    stronger = make_app(security={"argon2_time_cost": 2})
    with stronger.app_context():
        create_staff_account("beto", ADMIN)
        db.session().execute(
            StaffUser.__table__.update().values(password_hash=user.password_hash))
        db.commit()
        staff.check_password("beto", STAFF_PASSWORD, ip=None)
        db.commit()
        assert staff.by_username("beto").password_hash.startswith("$argon2id$v=19$m=256,t=2")


def test_wrong_password_and_unknown_user_get_the_same_message(client) -> None:
    create_staff_account("carla", ADMIN)
    wrong = client.post("/acceso", {"username": "carla", "password": "nope"})
    unknown = client.post("/acceso", {"username": "nadie", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert alerts(wrong) == alerts(unknown) == "Usuario o contraseña incorrectos."


def test_lockout_after_five_failures_with_clear_message(client, clock) -> None:
    account = create_staff_account("dora", ADMIN)
    for _ in range(4):
        assert client.post("/acceso", {"username": "dora", "password": "x"}).status_code == 401
    fifth = client.post("/acceso", {"username": "dora", "password": "x"})
    assert fifth.status_code == 403
    assert "bloqueada por 5 intentos fallidos" in alerts(fifth)
    # Even the right password is refused while locked.
    right = client.post("/acceso", {"username": "dora", "password": account.password})
    assert right.status_code == 403
    assert "staff.locked" in actions()
    clock.advance(minutes=16)
    login(client, account, clock)
    assert client.get("/panel").status_code == 200


def test_totp_failures_count_towards_lockout(client, clock) -> None:
    account = create_staff_account("eva", ADMIN)
    client.post("/acceso", {"username": "eva", "password": account.password})
    for _ in range(4):
        bad = client.post("/acceso/verificacion", {"code": "000000"},
                          page="/acceso/verificacion")
        assert bad.status_code == 401
    locked = client.post("/acceso/verificacion", {"code": "000000"},
                         page="/acceso/verificacion")
    assert locked.status_code == 403 and "bloqueada" in alerts(locked)


def test_used_totp_code_cannot_be_replayed(client, clock) -> None:
    account = create_staff_account("fer", ADMIN)
    login(client, account)
    code = account.code()
    client.post("/salir", {}, page="/panel")
    client.post("/acceso", {"username": "fer", "password": account.password})
    replay = client.post("/acceso/verificacion", {"code": code}, page="/acceso/verificacion")
    assert replay.status_code == 401
    assert "ya se utilizó" in alerts(replay)
    # An older code (previous step, inside the window) is a replay too.
    previous = pyotp.TOTP(account.seed).at(clock.now.timestamp() - 30)
    older = client.post("/acceso/verificacion", {"code": previous}, page="/acceso/verificacion")
    assert older.status_code == 401
    clock.advance(seconds=30)
    fresh = client.post("/acceso/verificacion", {"code": account.code()},
                        page="/acceso/verificacion")
    assert fresh.status_code == 302


def test_first_sign_in_enrols_totp_with_qr_and_recovery_codes(client, clock) -> None:
    create_staff_account("gil", ADMIN, enrolled=False)
    response = client.post("/acceso", {"username": "gil", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    page = client.get("/acceso/configurar-autenticador").get_data(as_text=True)
    assert "<svg" in page
    seed = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    # Reloading offers the same seed (the person may be halfway through scanning).
    again = client.get("/acceso/configurar-autenticador").get_data(as_text=True)
    assert seed in again
    wrong = client.post("/acceso/configurar-autenticador", {"code": "123456"},
                        page="/acceso/configurar-autenticador")
    assert wrong.status_code == 400
    done = client.post("/acceso/configurar-autenticador",
                       {"code": pyotp.TOTP(seed).at(clock.now)},
                       page="/acceso/configurar-autenticador")
    codes = re.findall(r"<li>([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})</li>",
                       done.get_data(as_text=True))
    assert len(codes) == 10
    token = re.search(r'name="csrf_token" value="([^"]+)"', done.get_data(as_text=True))[1]
    finish = client.client.post("/acceso/autenticador-listo", data={"csrf_token": token})
    assert finish.headers["Location"].endswith("/panel")
    assert client.get("/panel").status_code == 200
    # A recovery code works once.
    client.post("/salir", {}, page="/panel")
    client.post("/acceso", {"username": "gil", "password": STAFF_PASSWORD})
    used = client.post("/acceso/verificacion", {"code": codes[3].lower()},
                       page="/acceso/verificacion")
    assert used.status_code == 302
    client.post("/salir", {}, page="/panel")
    client.post("/acceso", {"username": "gil", "password": STAFF_PASSWORD})
    reused = client.post("/acceso/verificacion", {"code": codes[3]}, page="/acceso/verificacion")
    assert reused.status_code == 401


def test_idle_session_times_out(client, clock) -> None:
    account = create_staff_account("hugo", ADMIN)
    login(client, account)
    clock.advance(minutes=14)
    assert client.get("/panel").status_code == 200
    clock.advance(minutes=14)  # 14 minutes since the last request: still fine
    assert client.get("/panel").status_code == 200
    clock.advance(minutes=15, seconds=1)
    expired = client.get("/panel")
    assert expired.status_code == 302 and "/acceso" in expired.headers["Location"]
    page = client.get(expired.headers["Location"]).get_data(as_text=True)
    assert "inactividad" in page
    assert client.get("/panel").status_code == 302
    assert "staff.logout" in actions()


def test_administrator_set_password_must_be_changed(client, clock) -> None:
    account = create_staff_account("iris", ADMIN)
    user = staff.by_username("iris")
    user.must_change_password = True
    db.commit()
    login(client, account)
    assert client.get("/panel").headers["Location"].endswith("/acceso/continuar")
    weak = client.post("/acceso/cambiar-contrasena",
                       {"current": account.password, "password": "corta", "password2": "corta"},
                       page="/acceso/cambiar-contrasena")
    assert weak.status_code == 400 and "al menos 12" in weak.get_data(as_text=True).lower()
    good = client.post("/acceso/cambiar-contrasena",
                       {"current": account.password, "password": "una frase bastante larga",
                        "password2": "una frase bastante larga"},
                       page="/acceso/cambiar-contrasena")
    assert good.headers["Location"].endswith("/panel")
    assert client.get("/panel").status_code == 200
    db.session().expire_all()
    assert not staff.by_username("iris").must_change_password


def test_disabling_an_account_ends_its_open_sessions(client, app, clock) -> None:
    account = create_staff_account("juan", staff.Grant(Role.AUDITOR))
    login(client, account)
    assert client.get("/panel").status_code == 200
    staff.set_active(staff.by_username("juan"), False,
                     actor=staff.principal_for(staff.by_username("juan")).actor(None))
    db.commit()
    assert client.get("/panel").status_code == 302


def test_sign_in_form_needs_csrf(client) -> None:
    create_staff_account("kim", ADMIN)
    response = client.client.post("/acceso", data={"username": "kim",
                                                   "password": STAFF_PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_off_site(client, clock) -> None:
    account = create_staff_account("lia", ADMIN)
    client.post("/acceso?next=https://evil.example/", {"username": "lia",
                                                       "password": account.password})
    done = client.post("/acceso/verificacion", {"code": account.code()},
                       page="/acceso/verificacion")
    assert done.headers["Location"].endswith("/panel")
    client.post("/salir", {}, page="/panel")
    clock.advance(seconds=30)
    client.post("/acceso?next=/admin/personal", {"username": "lia",
                                                 "password": account.password})
    done = client.post("/acceso/verificacion", {"code": account.code()},
                       page="/acceso/verificacion")
    assert done.headers["Location"].endswith("/admin/personal")
