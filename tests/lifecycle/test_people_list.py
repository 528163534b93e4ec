"""The people list at scale: counted up to a cap, read in index order."""

from __future__ import annotations

from provisioning import db
from provisioning.lifecycle import services as bajas
from provisioning.staff.models import Role
from tests.support.reconciliation import person


def test_the_people_list_counts_up_to_a_cap(app, client, login_as, monkeypatch) -> None:
    """Counting a million people took longer than drawing the page: the heading counts up
    to ``COUNT_CAP`` and says «más de» past it; the pages stay browsable."""
    monkeypatch.setattr(bajas, "COUNT_CAP", 3)
    monkeypatch.setattr(bajas, "PER_PAGE", 2)
    for n in range(5):
        person(30 + n, "ANA", f"CONTEO{n}", None)
    db.session().flush()
    login_as(Role.INFORMATICA)
    first = client.get("/personas").get_data(True)
    assert "Más de 3 personas" in first and "página 1 de 2 o más" in first
    assert first.index("CONTEO0") < first.index("CONTEO1") and "CONTEO2" not in first
    second = client.get("/personas?pagina=2").get_data(True)
    assert "CONTEO2" in second and "CONTEO3" in second
    exact = client.get("/personas?q=CONTEO4").get_data(True)
    assert "1 persona con «CONTEO4»" in exact and "Más de" not in exact
