"""Separate keys: TOTP seeds sealed under [security].data_key, rotated with `alta keys rotate`
(MultiFernet: the previous keys still open what they sealed until the rotation re-seals it)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provisioning import create_app, db
from provisioning.audit.models import AuditEvent
from provisioning.config import ConfigError
from provisioning.directory.connection import close_for
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from tests.support.app import _settings
from tests.support.staff import create_staff_account
from tests.support.web import Browser

OLD_KEY = "k" * 40
NEW_KEY = "n" * 40


def _same_database(first, tmp_path, **security):
    """Another app on ``first``'s database, with other [security] keys."""
    url = first.extensions["alta.settings"].database.url
    app = create_app(_settings(url, tmp_path, security=security))
    app.config["TESTING"] = True
    return app


def _sign_in_works(app, account, clock) -> bool:
    with app.app_context():
        browser = Browser(app.test_client())
        clock.advance(seconds=30)
        browser.post("/acceso", {"username": account.username, "password": account.password})
        clock.advance(seconds=30)
        response = browser.post("/acceso/verificacion", {"code": account.code()},
                                page="/acceso/verificacion")
        return response.status_code == 302 and browser.get("/panel").status_code == 200


def test_rotation_re_seals_every_seed_under_the_new_key(make_app, tmp_path, clock) -> None:
    first = make_app(security={"data_key": OLD_KEY})
    with first.app_context():
        account = create_staff_account("semilla", staff.Grant(Role.AUDITOR))
        sealed_before = db.session().get(StaffUser, account.id).totp_secret_sealed
    # The new key in front, the old one kept only to read: sign-in works before the rotation.
    rotating = _same_database(first, tmp_path / "b", data_key=NEW_KEY,
                              previous_data_keys=[OLD_KEY])
    try:
        assert _sign_in_works(rotating, account, clock)
        with rotating.app_context():
            result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "1 semilla" in result.output
        with rotating.app_context():
            user = db.session().get(StaffUser, account.id)
            assert user.totp_secret_sealed != sealed_before
            event = db.session().scalars(select(AuditEvent).where(
                AuditEvent.action == "keys.rotated")).one()
            assert OLD_KEY not in str(event.details) and NEW_KEY not in str(event.details)
            assert account.seed not in str(event.details)
    finally:
        close_for(rotating)
        rotating.extensions["alta.db"].engine.dispose()
    # The old key can now go: sign-in works with the new key alone...
    new_only = _same_database(first, tmp_path / "c", data_key=NEW_KEY)
    try:
        assert _sign_in_works(new_only, account, clock)
    finally:
        close_for(new_only)
        new_only.extensions["alta.db"].engine.dispose()


def test_without_the_rotation_dropping_the_old_key_locks_seeds_out(make_app, tmp_path,
                                                                   clock) -> None:
    """What the rotation is for: a seed sealed under a key that is gone cannot be read."""
    first = make_app(security={"data_key": OLD_KEY})
    with first.app_context():
        account = create_staff_account("sinrotar", staff.Grant(Role.AUDITOR))
    new_only = _same_database(first, tmp_path / "d", data_key=NEW_KEY)
    try:
        with new_only.app_context(), pytest.raises(ValueError):
            staff.check_second_factor(db.session().get(StaffUser, account.id), account.code(),
                                      ip=None)
    finally:
        close_for(new_only)
        new_only.extensions["alta.db"].engine.dispose()


@pytest.mark.parametrize(("security", "app", "message"), [
    ({"data_key": "corta"}, {}, "data_key must be at least 32"),
    ({"data_key": OLD_KEY, "previous_data_keys": ["corta"]}, {},
     "previous_data_keys[0] must be at least 32"),
    ({"previous_data_keys": [OLD_KEY]}, {}, "previous_data_keys needs [security].data_key"),
    ({"data_key": "s" * 48}, {}, "must differ from [app].secret_key"),
    ({"data_key": OLD_KEY, "previous_data_keys": [OLD_KEY]}, {}, "already the current"),
])
def test_weak_or_shared_keys_are_refused(tmp_path, security, app, message) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _settings("sqlite://", tmp_path, security=security, app=app)


def test_rotation_with_nothing_sealed(app) -> None:
    """A rotation with nothing sealed says so and changes nothing."""
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "0 semillas" in result.output


def test_generated_key_is_long_enough(app) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0 and len(result.output.strip()) >= 43
