"""The PDF of a person's data export (what privacy.services.personal_data returns)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

# Core fonts are Latin-1: enough for Spanish once typographic marks are folded.
_FOLD = str.maketrans({"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'",
                       "…": "...", "•": "-", "\u00a0": " "})


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.translate(_FOLD).encode("latin-1", "replace").decode("latin-1")


# JSON keys are ASCII identifiers; these are the ones that need accents or capitals.
_LABELS = {
    "curp": "CURP", "jurisdiccion": "Jurisdicción", "direccion": "Dirección",
    "subdireccion": "Subdirección", "telefono": "Teléfono", "extension": "Extensión",
    "correo_electronico": "Correo electrónico", "expediente_electronico": "Expediente electrónico",
    "aviso_de_privacidad_aceptado_sha256": "Aviso de privacidad aceptado (SHA-256)",
    "plazo_en_anios": "Plazo en años", "explicacion": "Explicación", "accion": "Acción",
    "descripcion": "Descripción", "ip": "IP", "concluida_el": "Concluida el",
    "libero": "Liberó", "recibio": "Recibió", "entrego": "Entregó",
    "identificacion": "Identificación", "cedula_profesional": "Cédula profesional",
    "telefono_institucional": "Teléfono institucional",
}


def _label(key: str) -> str:
    return _LABELS.get(key, key.replace("_", " ").capitalize())


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 5, _text(f"Página {self.page_no()} de {{nb}}"), align="C")


def render(data: dict[str, Any]) -> bytes:
    """A PDF with every section of the export, in the order of the JSON."""
    pdf = _Document(format="Letter")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, _text(f"Sus datos personales en Alta - {data['responsable']}"),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 5, _text(f"Generado el {data['generado_el']}. Contiene su solicitud, "
                               "las acciones y consultas del personal sobre ella, su bitácora "
                               "y sus solicitudes de derechos ARCO."),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(title: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, _text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=8)

    def facts(values: dict[str, Any]) -> None:
        with pdf.table(col_widths=(35, 65), first_row_as_headings=False) as table:
            for key, value in values.items():
                row = table.row()
                row.cell(_text(_label(key)))
                row.cell(_text(value))

    def rows(items: list[dict[str, Any]], empty: str) -> None:
        if not items:
            pdf.cell(0, 6, _text(empty), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        keys = list(items[0])
        with pdf.table() as table:
            header = table.row()
            for key in keys:
                header.cell(_text(_label(key)))
            for item in items:
                row = table.row()
                for key in keys:
                    row.cell(_text(item[key]))

    heading("Solicitud")
    facts(data["solicitud"])
    heading("Conservación")
    facts(data["conservacion"])
    heading("Accesos y acciones del personal")
    rows(data["accesos_y_acciones_del_personal"], "Ninguno.")
    heading("Bitácora de su solicitud")
    rows([{k: v for k, v in e.items() if k != "detalles"}
          for e in data["bitacora_de_su_solicitud"]], "Sin eventos.")
    heading("Solicitudes de derechos ARCO")
    rows(data["solicitudes_arco"], "Ninguna.")
    for section in data["otras_secciones"]:
        heading(section["titulo"])
        rows(section["filas"], "Sin datos.")
    return bytes(pdf.output())
