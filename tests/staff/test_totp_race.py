"""One TOTP code opens one sign-in, even when several requests race with it.

Each thread is its own browser with its own database connection, on a database that really
commits (PostgreSQL when the suite runs there, where read-committed transactions would each
see the code unused without a row lock).
"""

from __future__ import annotations

import threading

from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.staff import create_staff_account
from tests.support.web import Browser

RACERS = 4


def test_one_code_raced_from_several_sessions_signs_in_once(make_app) -> None:
    app = make_app()
    with app.app_context():
        account = create_staff_account("carrera", staff.Grant(Role.AUDITOR))
    browsers = [Browser(app.test_client()) for _ in range(RACERS)]
    for browser in browsers:  # an attacker who has the password and watched one code
        assert browser.post("/acceso", {"username": account.username,
                                        "password": account.password}).status_code == 302
    tokens = [b.token("/acceso/verificacion") for b in browsers]
    with app.app_context():
        code = account.code()
    barrier = threading.Barrier(RACERS)
    results: list[int | None] = [None] * RACERS

    def race(i: int) -> None:
        barrier.wait()
        response = browsers[i].client.post("/acceso/verificacion",
                                           data={"code": code, "csrf_token": tokens[i]})
        results[i] = response.status_code

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [302] + [401] * (RACERS - 1), results
    assert sum(b.get("/panel").status_code == 200 for b in browsers) == 1
