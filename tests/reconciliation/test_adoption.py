"""An existing account the reconciliation links to a person is adopted as one of their
directory accounts (``people.accounts``, origin ``imported``, no request): bajas, reviews and
the roster reach it like the accounts Alta made; undoing the link releases it; activation and
pre-registration never see it. What the DC does with its baja: test_adoption_dc.py."""

from __future__ import annotations

from sqlalchemy import func, select

from provisioning import audit, db, timeutil
from provisioning.handoff import services as handoff
from provisioning.lifecycle import services as bajas
from provisioning.lifecycle.models import Baja
from provisioning.people.accounts import IMPORTED, DirectoryAccount
from provisioning.reconciliation import services
from provisioning.reviews import services as reviews
from provisioning.roster import services as roster
from provisioning.staff.models import Role
from tests.support.reconciliation import imported_account, person

ACTOR = audit.Actor("informatica", "informatica")


def _adopted(guid: str) -> list[DirectoryAccount]:
    return list(db.session().scalars(select(DirectoryAccount).where(
        DirectoryAccount.object_guid == guid)))


def test_a_confirmed_link_is_adopted_and_an_undone_one_released(app) -> None:
    ana = person(21, "ANA", "ORTIZ", "VELA")
    account = imported_account("aortiz", given="Ana", surname="Ortiz Vela",
                               candidates=((ana.id, 100),))
    assert bajas.current_account(ana) is None
    services.decide(account, "confirmar", actor=ACTOR, person_id=ana.id)
    [row] = _adopted(account.object_guid)
    assert (row.person_id, row.origin, row.request_id) == (ana.id, IMPORTED, None)
    assert bajas.current_account(ana) is row
    assert [s.person.id for s in reviews.accounts_in_scope(ana.unit_clues)] == [ana.id]
    assert [a.object_guid for a in roster.active_accounts_by_person()[ana.id]] == [
        account.object_guid]
    # Activation and pre-registration are for accounts handed over on a slip only.
    assert handoff.account_by_user_name("aortiz") is None
    # Linking again (a second confirmation path, a re-run) never records it twice.
    services._link(account, ana.id, "manual", 100, "prueba", row.created_at)
    assert len(_adopted(account.object_guid)) == 1

    services.decide(account, "desvincular", actor=ACTOR)
    assert _adopted(account.object_guid) == []
    assert bajas.current_account(ana) is None
    assert ana.id not in roster.active_accounts_by_person()
    assert reviews.accounts_in_scope(ana.unit_clues) == []


def test_a_service_account_is_released(app) -> None:
    ana = person(22, "ANA", "ORTIZ", "VELA")
    account = imported_account("aortiz2", candidates=((ana.id, 100),))
    services.decide(account, "confirmar", actor=ACTOR, person_id=ana.id)
    services.decide(account, "desvincular", actor=ACTOR)
    services.decide(account, "servicio", actor=ACTOR)
    assert _adopted(account.object_guid) == []


def test_an_adopted_account_disabled_or_gone_in_the_directory_is_not_active(app) -> None:
    luis, rosa = person(23, "LUIS", "ROMERO", "PAZ"), person(24, "ROSA", "ROMERO", "PAZ")
    disabled = imported_account("lromero", enabled=False, candidates=((luis.id, 100),))
    gone = imported_account("rromero", candidates=((rosa.id, 100),))
    for account, someone in ((disabled, luis), (gone, rosa)):
        services.decide(account, "confirmar", actor=ACTOR, person_id=someone.id)
    gone.deleted_at = gone.last_seen_at
    db.session().flush()
    active = roster.active_accounts_by_person()
    assert luis.id not in active and rosa.id not in active
    assert reviews.accounts_in_scope(luis.unit_clues) == []
    # The record still has them: a baja can be filed for the paperwork.
    assert bajas.current_account(luis).object_guid == disabled.object_guid


def test_it_starts_a_baja_of_a_person_known_only_by_an_imported_account(
        app, client, login_as) -> None:
    """The roster's one-click baja of an imported-only person used to end in «Alta no tiene
    registrada una cuenta del directorio de esta persona»."""
    ana = person(25, "ANA", "SOLIS", "REY")
    account = imported_account("asolis", candidates=((ana.id, 100),))
    services.decide(account, "confirmar", actor=ACTOR, person_id=ana.id)
    db.session().flush()
    login_as(Role.INFORMATICA)
    answer = client.post(f"/personas/{ana.id}/baja", {
        "motivo": "termino_contrato", "detalle": "No aparece en el padrón de personal.",
        "fecha_efectiva": timeutil.format_date(timeutil.local_today())},
        page=f"/personas/{ana.id}")
    assert answer.status_code == 302, answer.get_data(True)
    [baja] = db.session().scalars(select(Baja).where(Baja.person_id == ana.id)).all()
    assert (baja.object_guid, baja.sam_account_name) == (account.object_guid, "asolis")
    assert db.session().scalar(select(func.count()).select_from(DirectoryAccount).where(
        DirectoryAccount.person_id == ana.id)) == 1



def test_a_review_takes_adopted_accounts_in_the_siempre_group_only(app, monkeypatch) -> None:
    """«Each unit head gets the list of active accounts of their unit with SIEMPRE access»:
    an existing account is reviewed when the import saw it in the access group."""
    import json
    from types import SimpleNamespace

    inside, outside = person(26, "EVA", "LARA", "MORA"), person(27, "IRMA", "LARA", "MORA")
    member = imported_account("elara", candidates=((inside.id, 100),))
    member.groups_json = json.dumps(["CN=SIEMPRE-Usuarios,OU=Grupos,DC=ssm,DC=test"])
    other = imported_account("ilara", candidates=((outside.id, 100),))
    other.groups_json = json.dumps(["CN=Impresoras,OU=Grupos,DC=ssm,DC=test"])
    for account, someone in ((member, inside), (other, outside)):
        services.decide(account, "confirmar", actor=ACTOR, person_id=someone.id)
    assert {s.person.id for s in reviews.accounts_in_scope(inside.unit_clues)} == {
        inside.id, outside.id}  # no group configured: every active account
    for group in ("siempre-usuarios", "CN=SIEMPRE-Usuarios, OU=Grupos,DC=ssm,DC=test"):
        configured = SimpleNamespace(directory=SimpleNamespace(siempre_group=group))
        monkeypatch.setattr(services, "settings", lambda configured=configured: configured)
        assert [s.person.id for s in reviews.accounts_in_scope(inside.unit_clues)] == [
            inside.id], group
    # The roster counts both: it is about accounts, not about SIEMPRE.
    active = roster.active_accounts_by_person()
    assert inside.id in active and outside.id in active
