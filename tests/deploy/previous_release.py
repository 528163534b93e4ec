"""Fill a database the way the previous release did, with that release's own code.

Run by tests/deploy/test_upgrade_drill.py as ``python previous_release.py CONFIG`` inside a
``git archive`` of the release (its provisioning/, migrations/ and tests/support/ come first
on sys.path): its migrations build its schema, its pages take the requests through the
chain, and its audit code writes the events and a signed checkpoint. Prints what it made as
JSON. Today's code never imports this file.
"""

from __future__ import annotations

import json
import sys

from provisioning import create_app, db, timeutil
from provisioning.audit.services import checkpoint_now
from provisioning.catalogs import services as catalogs
from provisioning.config import load_settings
from tests.support.app import TEST_ACTOR
from tests.support.clock import Clock
from tests.support.handoff_flow import HOSPITAL, Scene, oficio_number, user_name


def main(config: str) -> None:
    settings = load_settings(config, environ={})
    db.upgrade(settings.database.url)
    app = create_app(settings)
    app.config["TESTING"] = True
    clock = Clock()
    timeutil.set_clock(clock)
    with app.app_context():
        catalogs.load_directory(actor=TEST_ACTOR)
        db.commit()
        scene = Scene(app, clock).cast()
        centro = scene.applicant("José Ángel", "Núñez", "Peña", signed=True)
        hospital = scene.applicant("María", "Ávila", None, unit=HOSPITAL, sex="M",
                                   signed=True)
        waiting = scene.applicant("Luis", "Ortega", "Ruiz")
        ids = [centro.request_id, hospital.request_id]
        oficio_id = scene.received_oficio(ids)
        scene.record_accounts(ids)
        reply_id = scene.reply(oficio_id)
        scene.acknowledge_reply(reply_id)
        assert scene.release(ids).status_code == 302
        assert scene.receive("jefe.hospital")
        scene.deliver("jefe.hospital", hospital.request_id)
        made = checkpoint_now("periodic")
        assert made is not None
        checkpoint = made.number
        db.commit()
        print(json.dumps({
            "requests": [{"id": a.request_id, "folio": a.folio, "code": a.tracking_code,
                          "nombres": a.nombres, "primer_apellido": a.primer_apellido,
                          "user": user_name(a.request_id) if a is not waiting else None}
                         for a in (centro, hospital, waiting)],
            "oficio": {"id": oficio_id, "number": oficio_number(oficio_id)},
            "reply": {"id": reply_id, "number": oficio_number(reply_id)},
            "checkpoint": checkpoint,
        }))
    app.extensions["alta.db"].engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
