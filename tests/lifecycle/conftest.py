"""Fixtures of the lifecycle tests: a person with a recorded account, with or without the
DC."""

from __future__ import annotations

import pytest

from provisioning.directory import accounts, connection
from tests.support.handoff_flow import Scene, ad_account
from tests.support.lifecycle import PASSWORD, person_id


@pytest.fixture
def with_account(app, clock):
    """The Jurisdicción I cast and one person of the centro de salud whose account is
    recorded (without the DC: what follows the job is tested against the DC below)."""
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    scene.applicant_of = applicant
    return scene, person_id(applicant.request_id)


@pytest.fixture
def on_dc(siempre_app, clock):
    """The same on the real DC: the account made by the IT step, activated (enabled with a
    password) and in the SIEMPRE group; bajas move accounts to the test's own OU."""
    app, _ = siempre_app
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    scene.create_accounts(scene.received_oficio([applicant.request_id]))
    directory = connection.current()
    guid = ad_account(applicant.request_id).guid
    accounts.set_password(directory, guid, PASSWORD)
    accounts.grant_siempre_access(directory, guid)
    return scene, applicant, person_id(applicant.request_id)
