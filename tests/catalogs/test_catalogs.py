"""Catalogs are data: versioned loads, DGIS CLUES import, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.catalogs import services as catalogs
from provisioning.catalogs.models import Unit
from provisioning.errors import ValidationError
from tests.support.app import TEST_ACTOR


def write_units(tmp_path: Path, version: str, rows: list[dict]) -> Path:
    path = tmp_path / f"units-{version}.json"
    path.write_text(json.dumps({"catalog": "units", "version": version, "rows": rows}),
                    encoding="utf-8")
    return path


def current_units() -> dict[str, Unit]:
    return {u.clues: u for u in catalogs.units()}


def shipped_units() -> list[dict]:
    doc = json.loads((catalogs.DATA_DIR / "units.json").read_text(encoding="utf-8"))
    return doc["rows"]


def test_shipped_demo_catalogs_are_loaded(app) -> None:
    assert [j.code for j in catalogs.jurisdictions()] == ["I", "II", "III"]
    units = current_units()
    assert units["MSSSA001270"].unit_type == "hospital"
    assert units["MSSSA000611"].jurisdiction_code == "II"
    assert {o.code for o in catalogs.org_units("subdireccion")} >= {"SAPS", "SH"}
    assert [t.code for t in catalogs.staff_types()][:3] == ["medico", "enfermeria",
                                                            "administrativo"]


def test_new_version_closes_changed_and_missing_rows(app, tmp_path, clock) -> None:
    rows = shipped_units()
    renamed = [dict(r, name="Centro de Salud Jiutepec (renovado)")
               if r["clues"] == "MSSSA000342" else r for r in rows
               if r["clues"] != "MSSSA000925"]
    result = catalogs.load(catalogs.read_file(write_units(tmp_path, "2026-02-01", renamed)),
                           actor=TEST_ACTOR)
    db.commit()
    assert (result.added, result.closed, result.unchanged) == (1, 2, len(rows) - 2)
    units = current_units()
    assert units["MSSSA000342"].name.endswith("(renovado)")
    assert "MSSSA000925" not in units
    history = db.session().scalars(select(Unit).where(Unit.clues == "MSSSA000342")
                                   .order_by(Unit.valid_from)).all()
    assert [(u.valid_from, u.valid_to) for u in history] == [
        (date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 2, 1), None)]


def test_same_version_twice_changes_nothing(app, tmp_path) -> None:
    path = write_units(tmp_path, "2026-01-01", shipped_units())
    result = catalogs.load(catalogs.read_file(path), actor=TEST_ACTOR)
    assert (result.added, result.closed) == (0, 0)


def test_older_version_and_bad_rows_are_refused(app, tmp_path) -> None:
    with pytest.raises(ValidationError, match="anterior"):
        catalogs.load(catalogs.read_file(write_units(tmp_path, "2025-01-01", shipped_units())),
                      actor=TEST_ACTOR)
    bad = [dict(shipped_units()[0], clues="MS123")]
    with pytest.raises(ValidationError, match="CLUES inválida"):
        catalogs.load(catalogs.read_file(write_units(tmp_path, "2026-05-01", bad)),
                      actor=TEST_ACTOR)
    unknown_jur = [dict(shipped_units()[0], jurisdiction_code="IX")]
    with pytest.raises(ValidationError, match="jurisdicción"):
        catalogs.load(catalogs.read_file(write_units(tmp_path, "2026-05-01", unknown_jur)),
                      actor=TEST_ACTOR)


def test_dgis_clues_csv(app, tmp_path, clock) -> None:
    csv_text = (
        "CLUES,NOMBRE DE LA UNIDAD,CLAVE DE LA ENTIDAD,CLAVE DE LA JURISDICCIÓN,"
        "CLAVE DEL MUNICIPIO,NOMBRE DEL MUNICIPIO,NOMBRE TIPO ESTABLECIMIENTO,"
        "ESTATUS DE OPERACIÓN\n"
        "MSSSA002345,CENTRO DE SALUD TLALTIZAPÁN,17,02,024,TLALTIZAPÁN,DE CONSULTA EXTERNA,"
        "EN OPERACIÓN\n"
        "MSSSA002346,CS CERRADO,17,02,024,TLALTIZAPÁN,DE CONSULTA EXTERNA,FUERA DE OPERACIÓN\n"
        "MSSSA001270,HOSPITAL GENERAL DE CUERNAVACA,17,01,007,CUERNAVACA,DE HOSPITALIZACIÓN,"
        "EN OPERACIÓN\n")
    path = tmp_path / "ESTABLECIMIENTO_SALUD.csv"
    path.write_text(csv_text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(path), "--version",
                                                "2026-03-01"])
    assert result.exit_code == 0, result.output
    units = current_units()
    assert set(units) == {"MSSSA002345", "MSSSA001270"}
    assert units["MSSSA002345"].jurisdiction_code == "II"
    assert units["MSSSA002345"].municipio_code == "17024"
    assert units["MSSSA002345"].unit_type == "centro_de_salud"


def test_cli_needs_version_for_csv(app, tmp_path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("clues,name\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(path)])
    assert result.exit_code == 1 and "versión" in result.output


def test_nationalities_are_a_catalog_with_renapo_keys(app, tmp_path) -> None:
    codes = [n.code for n in catalogs.nationalities()]
    assert codes[0] == "MEX" and "GTM" in codes and len(codes) == len(set(codes))
    path = tmp_path / "nationalities.json"
    path.write_text(json.dumps({"catalog": "nationalities", "version": "2026-02-01",
                                "rows": [{"code": "Mexico", "name": "Mexicana"}]}),
                    encoding="utf-8")
    with pytest.raises(ValidationError, match="3 letras"):
        catalogs.load(catalogs.read_file(path), actor=TEST_ACTOR)


DGIS_HEADER = ["CLUES", "CLAVE DE LA ENTIDAD", "ENTIDAD", "CLAVE DEL MUNICIPIO", "MUNICIPIO",
               "CLAVE DE LA JURISDICCION", "JURISDICCION", "NOMBRE TIPO ESTABLECIMIENTO",
               "NOMBRE DE LA UNIDAD", "ESTATUS DE OPERACION"]


def write_dgis_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A DGIS-like CLUES workbook (the published file has more columns; these are read)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(DGIS_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_dgis_clues_xlsx_of_one_state_with_a_dry_run_then_retiring(app, tmp_path) -> None:
    shipped = set(current_units())
    path = write_dgis_xlsx(tmp_path / "ESTABLECIMIENTO_SALUD_202603.xlsx", [
        ["MSSSA002345", 17, "MORELOS", 24, "TLALTIZAPÁN", "02", "JS II",
         "DE CONSULTA EXTERNA", "CENTRO DE SALUD TLALTIZAPÁN", "EN OPERACIÓN"],
        ["MSSSA001270", 17, "MORELOS", 7, "CUERNAVACA", "01", "JS I",
         "DE HOSPITALIZACIÓN", "HOSPITAL GENERAL DE CUERNAVACA", "EN OPERACIÓN"],
        ["DFSSA000001", 9, "CIUDAD DE MÉXICO", 15, "CUAUHTÉMOC", "01", "X",
         "DE CONSULTA EXTERNA", "CENTRO DE SALUD DE OTRO ESTADO", "EN OPERACIÓN"],
    ])
    runner = app.test_cli_runner()
    args = ["catalog", "load", str(path), "--version", "2026-03-01"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "units 2026-03-01: 2 altas, 14 cerradas" in dry.output  # what would change
    assert "Simulación: no se cambió nada." in dry.output
    db.session().expire_all()
    assert set(current_units()) == shipped  # nothing changed
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    units = current_units()
    assert set(units) == {"MSSSA002345", "MSSSA001270"}  # the other state is not read
    assert units["MSSSA002345"].municipio_code == "17024"
    assert units["MSSSA002345"].municipio_name == "TLALTIZAPÁN"
    # Units the file no longer lists are retired, never deleted (requests point at them).
    retired = db.session().scalars(select(Unit).where(Unit.clues.in_(shipped - set(units)))
                                   ).all()
    assert retired and all(u.valid_to == date(2026, 3, 1) for u in retired)


def test_a_broken_xlsx_gets_a_spanish_message(app, tmp_path) -> None:
    path = tmp_path / "ESTABLECIMIENTO_SALUD.xlsx"
    path.write_bytes(b"PK\x03\x04 no es un libro")
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(path), "--version",
                                                "2026-03-01"])
    assert result.exit_code == 1 and "no es un archivo XLSX legible" in result.output
