"""An activation code cannot be burned by someone who only guesses the user name: tries with
a CURP that is not the holder's count nothing; with the holder's CURP and a wrong code the
code backs off (1, 2, 4… minutes, capped) instead of locking for good, and the holder is
told by e-mail. Against the real DC, through HTTP."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.crypto import CODE_ALPHABET
from provisioning.handoff import services as handoff
from provisioning.handoff.services import ACTIVATION_REFUSED
from provisioning.notifications.models import OutboxMessage
from tests.support.curp import person_curp, random_birth
from tests.support.handoff_flow import (
    activate,
    ad_account,
    code_row,
    delivered_scene,
    error_text,
    status_of,
    user_name,
    values,
)

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}


def random_code() -> str:
    """A well-formed activation code nobody was given."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(4))


def backoff_mail(request_id: int) -> list[OutboxMessage]:
    """The e-mails about the request's activation backoff (the holder's warning)."""
    def read() -> list[OutboxMessage]:
        folio = db.session().get(AccountRequest, request_id).folio
        return list(db.session().scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "codigo_intentos", OutboxMessage.object_id == folio)))
    return values(read)


def test_fifty_tries_with_a_guessed_user_name_and_wrong_curp_burn_nothing(dir_app,
                                                                         clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Olga", "Salinas", "Ruiz"))
    code = scene.deliver("jefe.centro", person.request_id)
    other_curp = person_curp("Olga", "Salinas", "Ruiz", born=random_birth())
    for n in range(50):
        # Wrong CURPs, wrong codes, and now and then even the right code.
        guess = code if n % 10 == 9 else random_code()
        answer = person.browser.post("/activar", {
            "usuario": user_name(person.request_id), "code": guess,
            "curp": other_curp if n % 2 else "BEML920313HMCLNS09",
            "password": "Jacaranda-Azul-2026", "password2": "Jacaranda-Azul-2026"},
            page="/activar", environ_base=ATTACKER)
        assert answer.status_code == 400 and error_text(answer) == ACTIVATION_REFUSED
    row = code_row(person.request_id)
    assert row.attempts == 0 and row.blocked_until is None
    assert backoff_mail(person.request_id) == []
    assert not ad_account(person.request_id).enabled
    # Every try is in the log, said for what it is.
    summaries = values(lambda: list(db.session().scalars(select(AuditEvent.summary).where(
        AuditEvent.action == "handoff.activation_refused"))))
    assert len(summaries) == 50 and all("CURP" in s for s in summaries)
    # The real holder, right away, with the right data.
    done = activate(person, code)
    assert done.status_code == 200, error_text(done)
    assert status_of(person.request_id) == "activada"


def test_wrong_codes_with_the_right_curp_back_off_and_the_holder_is_told(dir_app,
                                                                         clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Pablo", "Ortega", "Luna"))
    code = scene.deliver("jefe.centro", person.request_id)
    for _ in range(2):
        assert error_text(activate(person, random_code())) == ACTIVATION_REFUSED
    assert code_row(person.request_id).blocked_until is None
    assert backoff_mail(person.request_id) == []
    # The third wrong code starts the backoff: one minute, and the holder gets an e-mail.
    third = activate(person, random_code())
    assert third.status_code == 400 and error_text(third) == ACTIVATION_REFUSED
    row = code_row(person.request_id)
    assert row.attempts == 3 and row.blocked_until == clock.now + timedelta(minutes=1)
    (mail,) = backoff_mail(person.request_id)
    assert mail.recipient == values(lambda: db.session().get(
        AccountRequest, person.request_id).contact_email)
    assert "Intentos fallidos" in mail.subject and person.folio in mail.body
    assert code not in mail.body and code.replace("-", "") not in mail.body
    started = values(lambda: db.session().scalar(select(AuditEvent.summary).where(
        AuditEvent.action == "handoff.activation_backoff")))
    assert "1 minuto" in started
    # While it lasts even the right code waits: a 429 with a plain Spanish message, and
    # nothing more is counted.
    waiting = activate(person, code)
    assert waiting.status_code == 429 and error_text(waiting) == handoff.ACTIVATION_WAIT
    assert code_row(person.request_id).attempts == 3
    assert status_of(person.request_id) == "entregada"
    # Each later failure doubles the wait: 2, 4, 8 … minutes, never past the cap (60).
    waits = []
    for _ in range(8):
        clock.advance(seconds=(code_row(person.request_id).blocked_until - clock.now)
                      .total_seconds() + 1)
        assert error_text(activate(person, random_code())) == ACTIVATION_REFUSED
        waits.append(round((code_row(person.request_id).blocked_until - clock.now)
                           .total_seconds() / 60))
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]
    assert len(backoff_mail(person.request_id)) == 1  # told once, when it started
    # Never burned: after the wait the right code works.
    clock.advance(minutes=61)
    done = activate(person, code)
    assert done.status_code == 200, error_text(done)
    assert status_of(person.request_id) == "activada" and ad_account(person.request_id).enabled
