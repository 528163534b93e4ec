"""The people list at scale: counted up to a cap, read in index order."""

from __future__ import annotations

from provisioning import db
from provisioning.lifecycle import services as bajas
from provisioning.people import services as people
from provisioning.people.models import Person
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


def test_search_ignores_accents_and_case_and_reads_curp_fragments(app, client,
                                                                  login_as) -> None:
    """«nunez» finds NÚÑEZ (the old search compared the names as typed, accents and all), a
    piece of the CURP finds its person, and % or _ are letters, not wildcards."""
    nunez = person(40, "MARÍA JOSÉ", "NÚÑEZ", "O'BRIEN")
    person(41, "JOSÉ", "PÉREZ", None)
    person(42, "ANA", "PORCENTAJE_100%", None)
    db.session().flush()
    assert nunez.search_text == f"{nunez.curp.lower()} maria jose nunez obrien"
    login_as(Role.INFORMATICA)

    def found(query: str) -> str:
        response = client.get("/personas", query_string={"q": query})
        assert response.status_code == 200
        return response.get_data(True)

    page = found("nunez jose")
    assert "NÚÑEZ" in page and "PÉREZ" not in page and "1 persona con" in page
    assert "NÚÑEZ" in found("Núñez") and "NÚÑEZ" in found("obrien")
    assert "NÚÑEZ" in found(nunez.curp[4:10].lower())
    assert "PÉREZ" in found("jose") and "NÚÑEZ" in found("jose")
    assert "PORCENTAJE" in found("100%") and "NÚÑEZ" not in found("%")
    assert "NÚÑEZ" not in found("_")


def test_a_renamed_person_is_found_by_the_new_name_and_an_anonymized_one_not_at_all(
        app, client, login_as) -> None:
    renamed = person(43, "LUCÍA", "GÓMEZ", None)
    db.session().flush()
    renamed.primer_apellido = "SALDAÑA"
    db.session().flush()
    assert "gomez" not in renamed.search_text and "saldana" in renamed.search_text
    gone = person(44, "ROSA", "ESPINOZA", None)
    db.session().flush()
    people.anonymize([gone.id])
    db.session().expire_all()
    assert db.session().get(Person, gone.id).search_text == ""
