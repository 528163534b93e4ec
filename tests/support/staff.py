"""Staff accounts for tests: create one with a known password and TOTP, sign in."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pyotp

from provisioning import db, timeutil
from provisioning.crypto import sealer
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.app import TEST_ACTOR
from tests.support.clock import Clock
from tests.support.web import Browser

STAFF_PASSWORD = "Clave-de-prueba-2026"


@dataclasses.dataclass
class StaffAccount:
    username: str
    password: str
    seed: str
    id: int

    def code(self, at: datetime | None = None) -> str:
        return pyotp.TOTP(self.seed).at(at or timeutil.now())


def create_staff_account(username: str, *grants: staff.Grant,
                         enrolled: bool = True) -> StaffAccount:
    """A committed staff account with a known password and (optionally) an enrolled TOTP."""
    user, _ = staff.create_staff(username=username, full_name=f"PERSONA {username.upper()}",
                                 email=f"{username}@ssm.test", grants=grants,
                                 actor=TEST_ACTOR, password=STAFF_PASSWORD)
    user.must_change_password = False
    seed = pyotp.random_base32()
    if enrolled:
        user.totp_secret_sealed = sealer().seal(seed)
        user.totp_enrolled_at = timeutil.now()
    db.commit()
    return StaffAccount(username, STAFF_PASSWORD, seed, user.id)


def login(browser: Browser, account: StaffAccount, clock: Clock | None = None) -> Any:
    """Sign in through the pages with password and a fresh TOTP code."""
    response = browser.post("/acceso", {"username": account.username,
                                        "password": account.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if clock is not None:
        clock.advance(seconds=30)  # a new step, so the code is not a replay
    response = browser.post("/acceso/verificacion", {"code": account.code()},
                            page="/acceso/verificacion")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


_SCOPES = {
    Role.JEFE_UNIDAD: {"unit_clues": "MSSSA000120"},
    Role.RESPONSABLE_JURISDICCIONAL: {"jurisdiction_code": "I"},
    Role.ENLACE: {"jurisdiction_code": "I"},
}
