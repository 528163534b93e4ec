"""The OpenAPI 3 description of the status API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

CURP_PATTERN = (r"^[A-ZÑ][AEIOUX][A-ZÑ]{2}[0-9]{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-ZÑ]{3}[0-9A-Z]"
                r"[0-9]$")
# What the path takes: the same shape in either case (the answer gives it in upper case).
CURP_PARAMETER_PATTERN = (r"^[A-ZÑa-zñ][AEIOUXaeioux][A-ZÑa-zñ]{2}[0-9]{6}[HMXhmx][A-Za-z]{2}"
                          r"[B-DF-HJ-NP-TV-ZÑb-df-hj-np-tv-zñ]{3}[0-9A-Za-z][0-9]$")


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI document; ``base_url`` is the public address of this Alta."""
    error = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Alta — estado de cuentas de personal",
            "version": "1.0.0",
            "description": (
                "Consulta, por CURP y de una persona a la vez, si el personal de salud de los "
                "Servicios de Salud de Morelos tiene acceso activo a SIEMPRE, está en trámite "
                "o no se encuentra. Cada consulta queda registrada en la bitácora."),
        },
        "servers": [{"url": base_url.rstrip("/") + "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/personal/{curp}": {
                "get": {
                    "operationId": "estadoPersonal",
                    "summary": "Estado de la cuenta de una persona por su CURP",
                    "parameters": [{
                        "name": "curp", "in": "path", "required": True,
                        "description": (
                            "CURP de 18 caracteres, en mayúsculas o minúsculas. Además de la "
                            "forma se validan la fecha, la entidad, el sexo (H o M) y el dígito "
                            "verificador: una CURP con esta forma puede recibir 400."),
                        "schema": {"type": "string", "format": "curp",
                                   "pattern": CURP_PARAMETER_PATTERN},
                        "example": "BEML920313HMCLNS09",
                    }],
                    "responses": {
                        "200": {"description": "Respuesta",
                                "content": {"application/json": {"schema": {"oneOf": [
                                    {"$ref": "#/components/schemas/NoEncontrado"},
                                    {"$ref": "#/components/schemas/EnTramite"},
                                    {"$ref": "#/components/schemas/Activo"},
                                ]}}}},
                        "400": {"description": "CURP mal formada",
                                "content": {"application/json": {"schema": error}}},
                        "401": {"description": "Sin credencial válida",
                                "headers": {"WWW-Authenticate": {
                                    "description": "Bearer realm=\"alta\"",
                                    "schema": {"type": "string"}}},
                                "content": {"application/json": {"schema": error}}},
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Base": {
                    "type": "object",
                    "required": ["curp", "estado", "fecha_respuesta"],
                    "properties": {
                        "curp": {"type": "string", "pattern": CURP_PATTERN},
                        "fecha_respuesta": {
                            "type": "string", "description": "dd/mm/aaaa HH:MM:SS (hora de "
                                                             "la Ciudad de México)",
                            "pattern": r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$"},
                    },
                },
                "NoEncontrado": {"allOf": [{"$ref": "#/components/schemas/Base"}, {
                    "type": "object",
                    "properties": {"estado": {"type": "string", "enum": ["no_encontrado"]}}}]},
                "EnTramite": {"allOf": [{"$ref": "#/components/schemas/Base"}, {
                    "type": "object", "required": ["etapa", "folio"],
                    "properties": {
                        "estado": {"type": "string", "enum": ["en_tramite"]},
                        "etapa": {"type": "string"},
                        "etapa_descripcion": {"type": "string"},
                        "folio": {"type": "string"}}}]},
                "Activo": {"allOf": [{"$ref": "#/components/schemas/Base"}, {
                    "type": "object",
                    "required": ["usuario", "nombres", "primer_apellido", "clues"],
                    "properties": {
                        "estado": {"type": "string", "enum": ["activo"]},
                        "usuario": {"type": "string"},
                        "nombres": {"type": "string"},
                        "primer_apellido": {"type": "string"},
                        "segundo_apellido": {"type": "string", "nullable": True},
                        "clues": {"type": "string"}}}]},
                "Error": {"type": "object", "required": ["error", "status"],
                          "properties": {"error": {"type": "string"},
                                         "status": {"type": "integer"}}},
            },
        },
    }
