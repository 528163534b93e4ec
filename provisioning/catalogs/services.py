"""Loading catalog files and reading the rows valid today."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from hashlib import sha256
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, or_, select

from provisioning import audit, timeutil
from provisioning.catalogs.models import (
    CatalogLoad,
    Jurisdiction,
    Nationality,
    OrgUnit,
    StaffType,
    Unit,
)
from provisioning.db import session
from provisioning.errors import ValidationError
from provisioning.spreadsheet import read_xlsx

DATA_DIR = Path(__file__).resolve().parent / "data"

UNIT_TYPES = {
    "centro_de_salud": "Centro de salud",
    "hospital": "Hospital",
    "oficinas_centrales": "Oficinas centrales",
}
CLUES_RE = re.compile(r"^[A-Z]{5}[0-9]{6}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_]{1,40}$")


@dataclass(frozen=True)
class Kind:
    """How one catalog maps to its table."""

    model: type
    key: tuple[str, ...]
    fields: tuple[str, ...]
    optional: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "jurisdictions": Kind(Jurisdiction, ("code",), ("code", "name", "dgis_code", "seat"),
                          ("dgis_code", "seat")),
    "units": Kind(Unit, ("clues",), ("clues", "name", "unit_type", "jurisdiction_code",
                                     "municipio_code", "municipio_name")),
    "org_units": Kind(OrgUnit, ("kind", "code"), ("kind", "code", "name", "parent_code"),
                      ("parent_code",)),
    "staff_types": Kind(StaffType, ("code",), ("code", "name")),
    "nationalities": Kind(Nationality, ("code",), ("code", "name")),
}
# Load order when several kinds come together: references point backwards.
LOAD_ORDER = ("jurisdictions", "org_units", "staff_types", "nationalities", "units")


@dataclass(frozen=True)
class CatalogFile:
    """A parsed catalog file."""

    kind: str
    version: date
    source: str
    sha256: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class LoadResult:
    """What a load changed."""

    kind: str
    version: date
    added: int
    closed: int
    unchanged: int


# The DGIS CLUES file covers the whole country: only this state's establishments are read
# (CLAVE DE LA ENTIDAD; Morelos is 17).
DEFAULT_ENTITY = "17"


def read_file(path: str | Path, *, kind: str | None = None, version: date | None = None,
              entity: str = DEFAULT_ENTITY) -> CatalogFile:
    """Parse a JSON catalog file, a CSV or XLSX with Alta's columns, or the DGIS CLUES file
    (CSV or XLSX; only establishments of ``entity``)."""
    path = Path(path)
    raw = path.read_bytes()
    digest = sha256(raw).hexdigest()
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"{path.name}: JSON inválido ({exc})") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
            raise ValidationError(f"{path.name}: se esperaba un objeto con 'catalog', "
                                  "'version' y 'rows'")
        kind = kind or doc.get("catalog")
        version = version or _parse_date(doc.get("version"), path.name)
        rows = doc["rows"]
    elif path.suffix.lower() in (".csv", ".xlsx"):
        if path.suffix.lower() == ".csv":
            try:
                text = raw.decode("utf-8-sig", errors="strict")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")  # the DGIS CSV is often saved by Excel
            table = [dict(r) for r in csv.DictReader(io.StringIO(text))]
        else:
            table = read_xlsx(raw, path.name)
        headers = {_fold_header(h) for row in table[:1] for h in row}
        if "CLUES" in headers and "NOMBRE DE LA UNIDAD" in headers:
            kind = kind or "units"
            rows = list(_dgis_rows(table, entity=entity))
        else:
            kind = kind or _kind_from_name(path.name)
            rows = table
        if version is None:
            raise ValidationError(f"{path.name}: indique la versión (fecha) del catálogo")
    else:
        raise ValidationError(f"{path.name}: formato no reconocido (use .json, .csv o .xlsx)")
    if kind not in KINDS:
        raise ValidationError(f"{path.name}: catálogo desconocido {kind!r}; "
                              f"use uno de {', '.join(KINDS)}")
    return CatalogFile(kind, version, path.name, digest, rows)


def _parse_date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError(f"{where}: versión inválida {value!r} (use AAAA-MM-DD)") from exc


def _kind_from_name(name: str) -> str | None:
    return next((k for k in KINDS if name.startswith(k)), None)


def _fold_header(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in folded if not unicodedata.combining(c)).strip().upper()


# DGIS "NOMBRE TIPO ESTABLECIMIENTO" → Alta unit type.
_DGIS_TYPES = {
    "DE CONSULTA EXTERNA": "centro_de_salud",
    "DE HOSPITALIZACION": "hospital",
    "DE APOYO": "oficinas_centrales",
}


def _dgis_rows(table: list[dict[str, str]], *, entity: str) -> Any:
    """Rows of a DGIS CLUES file of ``entity``, in operation, mapped to Alta's columns."""
    dgis_to_code = {j.dgis_code: j.code for j in jurisdictions() if j.dgis_code}
    for raw in table:
        row = {_fold_header(k): (v or "").strip() for k, v in raw.items() if k}
        if row.get("CLAVE DE LA ENTIDAD", entity).zfill(2) != entity.zfill(2):
            continue
        if _fold_header(row.get("ESTATUS DE OPERACION", "EN OPERACION")) != "EN OPERACION":
            continue
        kind = _DGIS_TYPES.get(_fold_header(row.get("NOMBRE TIPO ESTABLECIMIENTO", "")))
        if kind is None:
            continue
        entity = row.get("CLAVE DE LA ENTIDAD", "").zfill(2)
        yield {
            "clues": row["CLUES"],
            "name": row["NOMBRE DE LA UNIDAD"],
            "unit_type": kind,
            "jurisdiction_code": dgis_to_code.get(row.get("CLAVE DE LA JURISDICCION", ""), ""),
            "municipio_code": entity + row.get("CLAVE DEL MUNICIPIO", "").zfill(3),
            "municipio_name": row.get("NOMBRE DEL MUNICIPIO") or row.get("MUNICIPIO", ""),
        }


def load(catalog: CatalogFile, *, actor: audit.Actor) -> LoadResult:
    """Apply a catalog version: close changed or missing rows, add new ones.

    Loading the same version twice changes nothing. Audits ``catalog.loaded``.
    """
    spec = KINDS[catalog.kind]
    rows = [_clean_row(catalog.kind, spec, r, i) for i, r in enumerate(catalog.rows, start=1)]
    _check_references(catalog.kind, rows)
    keys = [tuple(r[k] for k in spec.key) for r in rows]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValidationError(f"{catalog.source}: clave repetida {'/'.join(dup)}")
    model = spec.model
    db = session()
    live = db.scalars(select(model).where(model.valid_to.is_(None))).all()
    newest = max((r.valid_from for r in live), default=None)
    if newest is not None and catalog.version < newest:
        raise ValidationError(
            f"{catalog.source}: la versión {timeutil.format_date(catalog.version)} es anterior "
            f"a la vigente ({timeutil.format_date(newest)})"
        )
    by_key = {tuple(getattr(r, k) for k in spec.key): r for r in live}
    version_label = catalog.version.isoformat()
    added = closed = unchanged = 0
    incoming = dict(zip(keys, rows, strict=True))
    for key, current_row in by_key.items():
        new = incoming.get(key)
        if new is not None and all(getattr(current_row, f) == new[f] for f in spec.fields):
            unchanged += 1
            incoming.pop(key)
            continue
        if current_row.valid_from >= catalog.version:
            raise ValidationError(
                f"{catalog.source}: la versión {version_label} ya se cargó con otro contenido "
                f"({'/'.join(key)}); use una fecha de versión nueva"
            )
        current_row.valid_to = catalog.version
        closed += 1
    for row in incoming.values():
        db.add(model(**row, valid_from=catalog.version, valid_to=None, version=version_label))
        added += 1
    db.add(CatalogLoad(kind=catalog.kind, version=version_label, source=catalog.source[:300],
                       sha256=catalog.sha256, added=added, closed=closed, unchanged=unchanged,
                       loaded_by=actor.name, loaded_at=timeutil.now()))
    db.flush()
    audit.record("catalog.loaded", actor=actor, object_type="catalog", object_id=catalog.kind,
                 summary=f"Catálogo {catalog.kind} versión {version_label}: {added} altas, "
                         f"{closed} bajas/cambios, {unchanged} sin cambio",
                 details={"version": version_label, "source": catalog.source,
                          "sha256": catalog.sha256, "added": added, "closed": closed,
                          "unchanged": unchanged})
    return LoadResult(catalog.kind, catalog.version, added, closed, unchanged)


def _clean_row(kind: str, spec: Kind, raw: Any, line: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError(f"{kind}, fila {line}: se esperaba un objeto")
    unknown = set(raw) - set(spec.fields)
    if unknown:
        raise ValidationError(f"{kind}, fila {line}: columnas desconocidas {sorted(unknown)}")
    row: dict[str, Any] = {}
    for name in spec.fields:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if not value and name not in spec.optional:
            raise ValidationError(f"{kind}, fila {line}: falta {name}")
        if len(value) > 200 or any(unicodedata.category(c) == "Cc" for c in value):
            raise ValidationError(f"{kind}, fila {line}: valor inválido en {name}")
        row[name] = value or None
    if kind == "units":
        if not CLUES_RE.match(row["clues"]):
            raise ValidationError(f"units, fila {line}: CLUES inválida {row['clues']!r}")
        if row["unit_type"] not in UNIT_TYPES:
            raise ValidationError(f"units, fila {line}: tipo de unidad desconocido "
                                  f"{row['unit_type']!r}")
        if not re.fullmatch(r"\d{5}", row["municipio_code"]):
            raise ValidationError(f"units, fila {line}: clave de municipio INEGI inválida")
    if kind == "nationalities" and not re.fullmatch(r"[A-Z]{3}", row["code"]):
        raise ValidationError(f"nationalities, fila {line}: la clave debe tener 3 letras "
                              f"mayúsculas (RENAPO), no {row['code']!r}")
    if kind == "org_units" and row["kind"] not in ("direccion", "subdireccion"):
        raise ValidationError(f"org_units, fila {line}: kind debe ser direccion o subdireccion")
    for name in ("code",):
        if name in row and not CODE_RE.match(row[name]):
            raise ValidationError(f"{kind}, fila {line}: clave inválida {row[name]!r}")
    return row


def _check_references(kind: str, rows: list[dict[str, Any]]) -> None:
    if kind == "units":
        known = {j.code for j in jurisdictions()}
        for row in rows:
            if row["jurisdiction_code"] not in known:
                raise ValidationError(
                    f"units: la unidad {row['clues']} cita la jurisdicción "
                    f"{row['jurisdiction_code']!r}, que no está en el catálogo vigente"
                )
    if kind == "org_units":
        direcciones = {r["code"] for r in rows if r["kind"] == "direccion"}
        for row in rows:
            if row["kind"] == "subdireccion" and row["parent_code"] not in direcciones:
                raise ValidationError(f"org_units: la subdirección {row['code']} cita una "
                                      "dirección inexistente")


def _valid_today(model: Any, query: Select[Any]) -> Select[Any]:
    today = timeutil.local_today()
    return query.where(model.valid_from <= today,
                       or_(model.valid_to.is_(None), model.valid_to > today))


def _per_request(key: object, load: Callable[[], Sequence[Any]]) -> Sequence[Any]:
    """``load()`` once per HTTP request (pages read the catalog three or four times: the
    filters, the labels, the form); outside a request (CLI, worker) every call reads it.
    The catalog only changes through the CLI, never within a request."""
    if not has_request_context():
        return load()
    cache = g.setdefault("_alta_catalogs", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


def jurisdictions() -> Sequence[Jurisdiction]:
    """Jurisdictions valid today, by code."""
    return _per_request("jurisdictions", lambda: session().scalars(
        _valid_today(Jurisdiction, select(Jurisdiction)).order_by(Jurisdiction.id)).all())


def units(jurisdiction_code: str | None = None) -> Sequence[Unit]:
    """Units valid today, by name (optionally of one jurisdiction)."""
    def load() -> Sequence[Unit]:
        query = _valid_today(Unit, select(Unit))
        if jurisdiction_code:
            query = query.where(Unit.jurisdiction_code == jurisdiction_code)
        return session().scalars(query.order_by(Unit.name)).all()

    return _per_request(("units", jurisdiction_code), load)


def unit_by_clues(clues: str) -> Unit | None:
    """The unit with this CLUES valid today, or None (also for text that is no CLUES)."""
    if not isinstance(clues, str) or not CLUES_RE.match(clues):
        return None
    return session().scalars(_valid_today(Unit, select(Unit)).where(Unit.clues == clues)).first()


def jurisdiction_by_code(code: str) -> Jurisdiction | None:
    """The jurisdiction with this code valid today, or None (also for malformed codes)."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        return None
    return session().scalars(
        _valid_today(Jurisdiction, select(Jurisdiction)).where(Jurisdiction.code == code)
    ).first()


def org_units(kind: str) -> Sequence[OrgUnit]:
    """Direcciones or subdirecciones valid today, by name."""
    return session().scalars(
        _valid_today(OrgUnit, select(OrgUnit)).where(OrgUnit.kind == kind).order_by(OrgUnit.name)
    ).all()


def staff_types() -> Sequence[StaffType]:
    """Tipos de personal valid today, in catalog order."""
    return session().scalars(
        _valid_today(StaffType, select(StaffType)).order_by(StaffType.id)
    ).all()


def request_labels(account_request: Any) -> dict[str, str]:
    """Catalog names of a request's coded fields (the code itself if it left the catalog)."""
    direcciones = {o.code: o.name for o in org_units("direccion")}
    subdirecciones = {o.code: o.name for o in org_units("subdireccion")}
    types = {t.code: t.name for t in staff_types()}
    return {
        "direccion": direcciones.get(account_request.direccion_code,
                                     account_request.direccion_code),
        "subdireccion": subdirecciones.get(account_request.subdireccion_code,
                                           account_request.subdireccion_code),
        "staff_type": types.get(account_request.staff_type_code, account_request.staff_type_code),
    }


def nationalities() -> Sequence[Nationality]:
    """Nacionalidades valid today, in catalog order (Mexican first in the shipped file)."""
    return session().scalars(
        _valid_today(Nationality, select(Nationality)).order_by(Nationality.id)
    ).all()


def load_directory(directory: Path = DATA_DIR, *, actor: audit.Actor) -> list[LoadResult]:
    """Load every JSON catalog of ``directory`` in reference order (the shipped demo set)."""
    files = {read_file(p).kind: read_file(p) for p in sorted(directory.glob("*.json"))}
    results = []
    for kind in LOAD_ORDER:
        if kind in files:
            results.append(load(files[kind], actor=actor))
            session().flush()
    return results
