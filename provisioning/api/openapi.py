"""The OpenAPI 3.1 description of the status API (served at /api/v1/openapi.json).

3.1 because it names the scopes an operation needs in its security requirement for any
kind of scheme (3.0 allows that only for OAuth 2, and these tokens are not OAuth's).
"""

from __future__ import annotations

from typing import Any

from provisioning.api.services import SCOPES, STATUS_READ
from provisioning.config import ApiSettings

CURP_PATTERN = (r"^[A-ZÑ][AEIOUX][A-ZÑ]{2}[0-9]{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-ZÑ]{3}[0-9A-Z]"
                r"[0-9]$")
# What the body takes: the same shape in either case (the answer gives it in upper case).
CURP_PARAMETER_PATTERN = (r"^[A-ZÑa-zñ][AEIOUXaeioux][A-ZÑa-zñ]{2}[0-9]{6}[HMXhmx][A-Za-z]{2}"
                          r"[B-DF-HJ-NP-TV-ZÑb-df-hj-np-tv-zñ]{3}[0-9A-Za-z][0-9]$")


def _refusals(quota: ApiSettings) -> dict[str, Any]:
    """The answers every operation may give besides its own: 401, 403 and 429."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "401": {"description": (
                    "Sin credencial válida: ausente, equivocada o revocada (mismo mensaje), o "
                    "una credencial que ya venció (cada una vence en la fecha fijada al "
                    "emitirla) o que una rotación reemplazó y cuyo periodo de gracia terminó "
                    "(el mensaje lo dice)."),
                "headers": {"WWW-Authenticate": {"description": "Bearer realm=\"alta\"",
                                                 "schema": {"type": "string"}}},
                "content": error},
        "403": {"description": "La credencial es válida pero el cliente no tiene el alcance "
                               "que la operación pide.",
                "headers": {"WWW-Authenticate": {
                    "description": "Bearer realm=\"alta\", error=\"insufficient_scope\", "
                                   "scope=\"<alcance>\"",
                    "schema": {"type": "string"}}},
                "content": error},
        "429": {"description": (
                    f"El cliente superó su cuota: {quota.quota_requests} llamadas cada "
                    f"{quota.quota_window_seconds} segundos por cliente (cuenta cada llamada "
                    "con credencial válida, respondida o no)."),
                "headers": {"Retry-After": {
                    "description": "Segundos que faltan para que termine la ventana.",
                    "schema": {"type": "integer", "minimum": 1}}},
                "content": error},
    }


def document(base_url: str, quota: ApiSettings | None = None) -> dict[str, Any]:
    """The OpenAPI document; ``base_url`` is the public address of this Alta, ``quota`` the
    configured per-client quota (``[api]``)."""
    quota = quota or ApiSettings()
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    scopes = "".join(f"\n- `{name}`: {text}" for name, text in SCOPES.items())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Alta — estado de cuentas de personal",
            "version": "1.1.0",
            "description": (
                "Consulta, por CURP y de una persona a la vez, si el personal de salud de los "
                "Servicios de Salud de Morelos tiene acceso activo a SIEMPRE, está en trámite "
                "o no se encuentra. La CURP va en el cuerpo de la petición, nunca en la "
                "dirección (así no queda en las bitácoras de acceso de servidores y proxies). "
                "Cada consulta queda registrada en la bitácora."),
        },
        "servers": [{"url": base_url.rstrip("/") + "/api/v1"}],
        "paths": {
            "/personal/estado": {
                "post": {
                    "operationId": "estadoPersonal",
                    "summary": "Estado de la cuenta de una persona por su CURP",
                    "security": [{"bearer": [STATUS_READ]}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {
                            "schema": {
                                "type": "object", "required": ["curp"],
                                "additionalProperties": False,
                                "properties": {"curp": {
                                    "type": "string", "format": "curp",
                                    "pattern": CURP_PARAMETER_PATTERN,
                                    "description": (
                                        "CURP de 18 caracteres, en mayúsculas o minúsculas. "
                                        "Además de la forma se validan la fecha, la entidad, "
                                        "el sexo (H o M) y el dígito verificador: una CURP "
                                        "con esta forma puede recibir 400.")}},
                            },
                            "example": {"curp": "BEML920313HMCLNS09"},
                        }},
                    },
                    "responses": {
                        "200": {"description": "Respuesta",
                                "content": {"application/json": {"schema": {"oneOf": [
                                    {"$ref": "#/components/schemas/NoEncontrado"},
                                    {"$ref": "#/components/schemas/EnTramite"},
                                    {"$ref": "#/components/schemas/Activo"},
                                ]}}}},
                        "400": {"description": "Cuerpo que no es un objeto JSON con solo la "
                                               "CURP, o CURP mal formada",
                                "content": error},
                        **_refusals(quota),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": (
                    "Credencial `alta_…` que emite el administrador de Alta (se muestra una "
                    "sola vez), en `Authorization: Bearer <credencial>`. Vence en la fecha "
                    "fijada al emitirla; al rotarla, la anterior sigue valiendo un periodo de "
                    "gracia. Cada cliente tiene sus alcances; cada operación pide los suyos "
                    "en `security`. Alcances:" + scopes)}},
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
                        "segundo_apellido": {"type": ["string", "null"]},
                        "clues": {"type": "string"}}}]},
                "Error": {"type": "object", "required": ["error", "status"],
                          "properties": {"error": {"type": "string"},
                                         "status": {"type": "integer"}}},
            },
        },
    }
