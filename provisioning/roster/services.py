"""Uploading the staff roster (padrón de personal) and comparing it with Alta's people.

The file (CSV or XLSX) is checked row by row; one bad row and nothing is stored, and every
error is listed with its row and column. The comparison is by CURP: active accounts of
people not on the roster (candidates for baja), people on the roster with no active account,
and people whose roster unit is not their current one (candidates for cambio de adscripción).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, select

from provisioning import audit, curp, timeutil, wording
from provisioning.catalogs import services as catalogs
from provisioning.crypto import sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import NotFound, ValidationError
from provisioning.lifecycle.models import EJECUTADA, Baja
from provisioning.people.accounts import IMPORTED, DirectoryAccount
from provisioning.people.models import Person
from provisioning.reconciliation import services as reconciliation
from provisioning.roster.models import RosterLine, RosterUpload
from provisioning.spreadsheet import read_xlsx
from provisioning.staff.models import Role
from provisioning.textcheck import TextError, person_name

# Who uploads and reads rosters. Alta has no RH role yet: Informática only.
ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
# The application refuses bodies over 1 MB (MAX_CONTENT_LENGTH): about 10,000 CSV rows.
MAX_BYTES = 1024 * 1024 - 16 * 1024
MAX_ROWS = 10_000
# Errors listed on the page at most (the count says how many there were).
MAX_ERRORS_SHOWN = 200

# folded header → (field, Spanish column name)
COLUMNS = {
    "CURP": ("curp", "CURP"),
    "NOMBRES": ("nombres", "nombres"),
    "NOMBRE": ("nombres", "nombres"),
    "PRIMER APELLIDO": ("primer_apellido", "primer apellido"),
    "SEGUNDO APELLIDO": ("segundo_apellido", "segundo apellido"),
    "CLUES DE LA UNIDAD": ("unit_clues", "CLUES de la unidad"),
    "CLUES": ("unit_clues", "CLUES de la unidad"),
    "TIPO DE PERSONAL": ("staff_type_code", "tipo de personal"),
    "FECHA DE TERMINO": ("end_date", "fecha de término"),
}
REQUIRED = {"curp": "CURP", "nombres": "nombres", "primer_apellido": "primer apellido",
            "unit_clues": "CLUES de la unidad", "staff_type_code": "tipo de personal"}


class RosterError(ValidationError):
    """The file was refused; ``errors`` lists every problem found (Spanish, row + column)."""

    def __init__(self, errors: list[str]) -> None:
        total = len(errors)
        super().__init__(f"No se importó el padrón: se encontró "
                         f"{wording.count(total, 'error', 'errores')}; corríjalos y vuelva a "
                         "subir el archivo.")
        self.errors = errors[:MAX_ERRORS_SHOWN]
        self.total = total


@dataclass
class RosterRow:
    """One valid row of the file."""

    row_number: int
    curp: str
    nombres: str
    primer_apellido: str
    segundo_apellido: str | None
    unit_clues: str
    staff_type_code: str
    end_date: date | None


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in folded if not unicodedata.combining(c))
                    .replace("_", " ").upper().split())


def read_table(raw: bytes, filename: str) -> list[dict[str, str]]:
    """The file's rows keyed by its header (CSV in UTF-8 or Windows-1252, or XLSX)."""
    name = filename.lower()
    if len(raw) > MAX_BYTES:
        raise RosterError(["El archivo pesa más de 1 MB; divídalo o súbalo como XLSX."])
    if not raw:
        raise RosterError(["El archivo está vacío."])
    if name.endswith(".xlsx"):
        try:
            return read_xlsx(raw, "El archivo", max_rows=MAX_ROWS)
        except ValidationError as exc:
            raise RosterError([str(exc)]) from exc
    if name.endswith(".csv"):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        try:
            return [{k or "": (v if isinstance(v, str) else "") for k, v in r.items()}
                    for r in csv.DictReader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise RosterError([f"El CSV no se pudo leer: {exc}."]) from exc
    raise RosterError(["Formato no reconocido: suba un archivo .csv o .xlsx."])


def validate(table: list[dict[str, str]]) -> list[RosterRow]:
    """Every row checked; RosterError listing each problem (row and column) if any."""
    if not table:
        raise RosterError(["El archivo no tiene filas de personal."])
    if len(table) > MAX_ROWS:
        raise RosterError([f"El archivo tiene {len(table)} filas; el máximo es {MAX_ROWS}."])
    headers = {h: COLUMNS[_fold(h)] for h in table[0] if _fold(h) in COLUMNS}
    present = {f for f, _ in headers.values()}
    missing = [label for f, label in REQUIRED.items() if f not in present]
    if missing:
        raise RosterError([f"Falta la columna «{label}»." for label in missing])
    units = {u.clues for u in catalogs.units()}
    types = {t.code for t in catalogs.staff_types()}
    errors: list[str] = []
    rows: list[RosterRow] = []
    first_row: dict[str, int] = {}
    for index, raw in enumerate(table, start=2):
        values = {f: (raw.get(h) or "").strip() for h, (f, _) in headers.items()}
        problems: list[str] = []

        def bad(column: str, message: str, n: int = index, out: list[str] = problems) -> None:
            out.append(f"Fila {n}, columna «{column}»: {message}")

        try:
            person_curp = curp.validate(values["curp"]).curp
        except curp.CurpError as exc:
            bad("CURP", exc.message)
            person_curp = None
        if person_curp is not None:
            if person_curp in first_row:
                bad("CURP", f"la CURP {person_curp} ya aparece en la fila "
                            f"{first_row[person_curp]}.")
            else:
                first_row[person_curp] = index
        names: dict[str, str | None] = {}
        for column, label, required in (("nombres", "nombres", True),
                                        ("primer_apellido", "primer apellido", True),
                                        ("segundo_apellido", "segundo apellido", False)):
            try:
                names[column] = person_name(values.get(column), required=required) or None
            except TextError as exc:
                bad(label, exc.message)
        clues = values["unit_clues"].upper()
        if clues not in units:
            bad("CLUES de la unidad", f"la CLUES «{clues[:20]}» no está en el catálogo de "
                                      "unidades." if clues else "falta la CLUES.")
        staff_type = values["staff_type_code"].lower()
        if staff_type not in types:
            bad("tipo de personal", f"«{staff_type[:40]}» no está en el catálogo de tipos de "
                                    "personal." if staff_type else "falta el tipo de personal.")
        end_date = None
        if values.get("end_date"):
            try:
                end_date = _parse_end_date(values["end_date"])
            except ValueError:
                bad("fecha de término", f"«{values['end_date'][:20]}» no es una fecha "
                                        "dd/mm/aaaa.")
        if problems:
            errors.extend(problems)
            continue
        rows.append(RosterRow(index, person_curp or "", names["nombres"] or "",
                              names["primer_apellido"] or "", names.get("segundo_apellido"),
                              clues, staff_type, end_date))
    if errors:
        raise RosterError(errors)
    return rows


def _parse_end_date(text: str) -> date:
    # XLSX date cells arrive as «2027-01-31 00:00:00».
    return timeutil.parse_date(text[:10] if len(text) == 19 and text[10] == " " else text)


def upload(raw: bytes, filename: str, *, actor: audit.Actor) -> RosterUpload:
    """Store a roster if every row is valid (RosterError otherwise, nothing written).

    Audits ``roster.uploaded`` with the file's hash and its count of lines."""
    rows = validate(read_table(raw, filename))
    roster = RosterUpload(filename=_display_name(filename), sha256=sha256_hex(raw),
                          line_count=len(rows), uploaded_by=actor.name[:40],
                          uploaded_at=timeutil.now())
    roster.lines = [RosterLine(row_number=r.row_number, curp=r.curp, nombres=r.nombres,
                               primer_apellido=r.primer_apellido,
                               segundo_apellido=r.segundo_apellido, unit_clues=r.unit_clues,
                               staff_type_code=r.staff_type_code, end_date=r.end_date)
                    for r in rows]
    session().add(roster)
    session().flush()
    audit.record("roster.uploaded", actor=actor, object_type="roster", object_id=roster.id,
                 summary=f"Padrón de personal subido: "
                         f"{wording.count(len(rows), 'persona')}",
                 details={"sha256": roster.sha256, "lines": len(rows)})
    return roster


def _display_name(filename: str) -> str:
    """The file's name as shown on the list: no folders, no control or invisible characters
    (PostgreSQL refuses NUL), at most 200 characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if not unicodedata.category(c).startswith("C")).strip()
    return kept[:200] or "padron"


def uploads() -> list[RosterUpload]:
    """Every roster uploaded, newest first (no lines: they are read with the report)."""
    return list(session().scalars(select(RosterUpload).order_by(RosterUpload.id.desc())))


def get(upload_id: int) -> RosterUpload:
    """One roster; NotFound if it does not exist."""
    roster = db_get(RosterUpload, upload_id)
    if roster is None:
        raise NotFound("No encontramos ese padrón.")
    return roster


def active_accounts_by_person() -> dict[int, list[DirectoryAccount]]:
    """The active directory accounts Alta knows, by person id (one per objectGUID): those
    recorded in ``people.accounts`` (made or linked for a request, or adopted by the
    reconciliation) that no executed baja retired since; an adopted one also had to be
    enabled and present at the last import.

    The one place that says which accounts are active for the roster."""
    recorded = exists().where(and_(Baja.object_guid == DirectoryAccount.object_guid,
                                   Baja.status == EJECUTADA,
                                   Baja.executed_at >= DirectoryAccount.created_at))
    rows = list(session().scalars(select(DirectoryAccount).where(
        DirectoryAccount.person_id.is_not(None), ~recorded)
        .order_by(DirectoryAccount.created_at.desc(), DirectoryAccount.id.desc())))
    inactive = reconciliation.inactive_guids(a.object_guid for a in rows if a.origin == IMPORTED)
    out: dict[int, dict[str, DirectoryAccount]] = defaultdict(dict)
    for account in rows:
        if not (account.origin == IMPORTED and account.object_guid in inactive):
            out[account.person_id or 0].setdefault(account.object_guid, account)
    return {person_id: list(by_guid.values()) for person_id, by_guid in out.items()}


@dataclass
class Finding:
    """One line of the report: a person (if Alta knows them), the roster line (if any)."""

    person: Person | None
    line: RosterLine | None
    accounts: list[DirectoryAccount] = field(default_factory=list)


@dataclass
class Report:
    """What the roster and Alta disagree on."""

    roster: RosterUpload
    leavers: list[Finding]  # active account, not on the roster: candidates for baja
    without_account: list[Finding]  # on the roster, no active account
    movers: list[Finding]  # roster unit ≠ current unit: candidates for cambio
    end_dates: list[Finding]  # temporary staff whose end date differs

    @property
    def total(self) -> int:
        """How many findings."""
        return (len(self.leavers) + len(self.without_account) + len(self.movers)
                + len(self.end_dates))


def report(roster: RosterUpload, *, actor: audit.Actor) -> Report:
    """Compare ``roster`` with Alta's people and their active accounts, by CURP.

    Audits ``roster.report_viewed`` (the report shows the roster's personal data)."""
    lines = {line.curp: line for line in roster.lines}
    accounts = active_accounts_by_person()
    people = {p.curp: p for p in session().scalars(select(Person).where(
        Person.curp.is_not(None)))}
    by_id = {p.id: p for p in people.values()}
    leavers, without, movers, end_dates = [], [], [], []
    for person_id, owned in sorted(accounts.items()):
        person = by_id.get(person_id)
        if person is not None and person.curp not in lines:
            leavers.append(Finding(person, None, owned))
    for person_curp, line in sorted(lines.items(), key=lambda kv: kv[1].row_number):
        person = people.get(person_curp)
        owned = accounts.get(person.id, []) if person is not None else []
        if not owned:
            without.append(Finding(person, line))
            continue
        if person is not None and person.unit_clues != line.unit_clues:
            movers.append(Finding(person, line, owned))
        if person is not None and person.end_date != line.end_date and (
                person.end_date is not None or line.end_date is not None):
            end_dates.append(Finding(person, line, owned))
    result = Report(roster, leavers, without, movers, end_dates)
    audit.record("roster.report_viewed", actor=actor, object_type="roster", object_id=roster.id,
                 summary=f"Conciliación del padrón consultada: "
                         f"{wording.count(result.total, 'diferencia')}",
                 details={"leavers": len(leavers), "without_account": len(without),
                          "movers": len(movers), "end_dates": len(end_dates)})
    return result
