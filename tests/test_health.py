"""/healthz checks the database."""

from provisioning import db


def test_healthz_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_dead_database(make_app, tmp_path) -> None:
    app = make_app(database={"url": f"sqlite:///{tmp_path}/missing/nope.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
    app.extensions["alta.db"].engine.dispose()
    assert db is not None
