"""The signature boxes of the printed records: a long title stays inside its box (pure
layout, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provisioning.documents.pdf import Document, Letterhead

LONG = "NOMBRE COMPLETO Y FIRMA DEL RESPONSABLE JURISDICCIONAL (OBSERVACIÓN 5)"


@pytest.mark.parametrize("boxes", [2, 3])
@pytest.mark.parametrize("title", ["NOMBRE COMPLETO Y FIRMA DEL SOLICITANTE", LONG])
def test_the_title_ends_inside_its_box(boxes, title) -> None:
    doc = Document(letterhead=Letterhead(("SERVICIOS DE SALUD DE MORELOS",)), title="prueba",
                   verify_code="AAAAA-BBBBB", verify_url="http://localhost/verificar",
                   created_at=datetime(2026, 3, 4, tzinfo=UTC))
    doc.add_page()
    gap, height, top = 4, 44, 100.0
    width = (doc.w - doc.l_margin - doc.r_margin - gap * (boxes - 1)) / boxes
    doc.signature_box(doc.l_margin, top, width, height, title,
                      ["MARTHA ELENA SALGADO RÍOS", "Responsable jurisdiccional de ECE",
                       "Firmado electrónicamente el 04/03/2026 10:00:00"])
    assert doc.get_y() <= top + height, f"the title runs {doc.get_y() - top - height:.1f} mm out"
