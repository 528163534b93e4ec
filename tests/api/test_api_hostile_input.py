"""Hostile input on every parameter, JSON body field and header the status API takes, found
in its own OpenAPI document (a new parameter or operation is covered without touching this
file).

Every corpus entry goes into every parameter and body field with a valid token (in a body:
as the field's value, as the whole body and as an unknown field beside a valid one; JSON
values of other types too), and into the token itself. Never a 5xx; always JSON (never a
page a browser would render), with a Spanish message when refused; a refusal writes nothing,
an answer writes only what a read must (one audit event and the client's last use); the
input is never reflected.

The PostgreSQL pass, which repeats the same code on another engine, sends each entry one of
those ways in turn instead of all of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import select

from provisioning import audit, db
from provisioning.api import services as api
from provisioning.api.models import ApiClient
from provisioning.audit.models import AuditEvent
from tests.support.app import PG_URL
from tests.support.hostile_corpus import RAW_BYTES, SPANISH, corpus, domain_counts

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
AUDIT_TABLES = frozenset({"audit_events", "audit_head", "audit_checkpoints"})
# The rate-limit counters count refused calls too (a client's quota): not a write by them.
UNCHANGED_ON_REFUSAL = AUDIT_TABLES | {"rate_limit_hits"}
# Valid values the API must answer (200), however they are written: the read is audited.
ACCEPTED = ["beml920313hmclns09", " BEML920313HMCLNS09 ", "BEML 920313 HMCLNS09"]
# JSON values of other types for a body field (a CURP is a string).
JSON_VALUES = [None, 0, -1, 1.5, 1e308, True, False, [], {}, ["BEML920313HMCLNS09"],
               {"curp": "BEML920313HMCLNS09"}, [[[[[[[[[[[]]]]]]]]]]]]


@dataclass(frozen=True)
class Input:
    """One place the API reads: a parameter of an operation, or its credential header."""

    method: str
    path: str  # template, e.g. /api/v1/personal/estado
    location: str  # path, query, header, or body (a property of a JSON object body)
    name: str
    credential: bool = False


def discover(doc: dict[str, Any]) -> list[Input]:
    """Every parameter and security header of every operation in the document."""
    base = urlsplit(doc["servers"][0]["url"]).path.rstrip("/")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for param in item.get("parameters", []) + operation.get("parameters", []):
                found.append(Input(method, base + path, param["in"], param["name"]))
            content = operation.get("requestBody", {}).get("content", {})
            assert set(content) <= {"application/json"}, content  # others: extend here
            for name in content.get("application/json", {}).get("schema", {}).get(
                    "properties", {}):
                found.append(Input(method, base + path, "body", name))
            for requirement in operation.get("security", doc.get("security", [])):
                for name in requirement:
                    scheme = schemes[name]
                    assert scheme["type"] in ("http", "apiKey"), scheme  # others: extend here
                    where = ("header", "Authorization") if scheme["type"] == "http" else (
                        scheme["in"], scheme["name"])
                    found.append(Input(method, base + path, *where, credential=True))
    return found


def defaults(doc: dict[str, Any], target: Input, token: str) -> dict[tuple[str, str], str]:
    """A valid value for every input of ``target``'s operation (its examples, the token)."""
    values = {}
    for other in discover(doc):
        if (other.method, other.path) != (target.method, target.path):
            continue
        if other.credential:
            values[other.location, other.name] = f"Bearer {token}"
        else:
            path = other.path.removeprefix(urlsplit(doc["servers"][0]["url"]).path)
            operation = doc["paths"][path][other.method]
            if other.location == "body":
                values[other.location, other.name] = operation["requestBody"]["content"][
                    "application/json"]["example"][other.name]
                continue
            values[other.location, other.name] = next(
                p["example"] for p in operation.get("parameters", []) if p["name"] == other.name)
    return values


@dataclass(frozen=True)
class Raw:
    """The whole request body, as these bytes (the body field's payload alone)."""

    data: bytes


@dataclass(frozen=True)
class Beside:
    """The field with its valid value, and beside it one the API does not know (``value``)."""

    example: str
    value: str


def wire(value: str | bytes) -> str:
    """A header value as a server hands it to the app (bytes read as Latin-1)."""
    return (value if isinstance(value, bytes) else value.encode()).decode("latin-1")


def body_bytes(values: dict[str, Any]) -> bytes:
    """A JSON object with these fields; a Raw value is the whole body instead, and bytes go
    in as they are between the quotes (invalid UTF-8 on the wire, not JSON escapes)."""
    parts = []
    for name, value in values.items():
        if isinstance(value, Raw):
            return value.data
        if isinstance(value, Beside):
            parts += [json.dumps(name) + ": " + json.dumps(value.example),
                      '"x": ' + json.dumps(value.value)]
            continue
        encoded = (b'"' + value + b'"' if isinstance(value, bytes)
                   else json.dumps(value).encode())
        parts.append(json.dumps(name).encode() + b": " + encoded)
    return b"{" + b", ".join(p if isinstance(p, bytes) else p.encode() for p in parts) + b"}"


def send(client: Any, target: Input, values: dict[tuple[str, str], Any]) -> Any:
    path = target.path
    query, headers, body = [], {}, {}
    for (location, name), value in values.items():
        if location == "body":
            body[name] = value
        elif location == "path":
            # Percent-encoded UTF-8 (or raw bytes), "/" included, so the app gets the value.
            path = path.replace("{" + name + "}", quote(value, safe=""))
        elif location == "query":
            query.append((name, value))
        else:
            headers[name] = wire(value)
    if query:
        path += "?" + urlencode(query)
    if body:
        headers["Content-Type"] = "application/json"
        return client.open(path, method=target.method.upper(), headers=headers,
                           data=body_bytes(body))
    return client.open(path, method=target.method.upper(), headers=headers)


def variants(target: Input, payload: Any, token: str, example: str) -> Iterator[Any]:
    """What to put in ``target`` (whose valid value is ``example``) for one corpus entry."""
    if target.location == "body":
        yield payload  # the field's value (bytes: raw, inside the JSON quotes)
        if isinstance(payload, str | bytes):
            yield Raw(payload if isinstance(payload, bytes) else payload.encode())
        if isinstance(payload, str):
            yield Beside(example, payload)
        return
    if not target.credential:
        yield payload
        return
    if isinstance(payload, str) and ("\r" in payload or "\n" in payload):
        return  # a header cannot carry CR/LF: the server refuses the request before the app
    prefix = b"Bearer " if isinstance(payload, bytes) else "Bearer "
    yield prefix + payload  # the token replaced
    yield payload  # the whole header
    yield prefix + token.encode() + payload if isinstance(payload, bytes) else (
        f"Bearer {token}{payload}")  # a real token with something after it


def valid_request(target: Input, value: str | bytes, token: str) -> bool:
    """Whether the API must answer this value: a valid CURP, or the token itself (with the
    optional white space HTTP allows around a header value)."""
    if target.credential:
        return isinstance(value, str) and value.strip(" \t") == f"Bearer {token}"
    return value in ACCEPTED


def state() -> tuple[dict[str, int], int, list[Any]]:
    """Rows per table (the audit trail and rate limits apart), audit events, and each
    client's last use."""
    db.session().expire_all()
    counts = domain_counts(exclude=UNCHANGED_ON_REFUSAL)
    events = db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())
                                 .limit(1)) or 0
    last_use = list(db.session().scalars(select(ApiClient.last_used_at).order_by(ApiClient.id)))
    return counts, events, last_use


def check(response: Any, payload: Any, where: str,
          before: tuple[dict[str, int], int, list[Any]]) -> None:
    status = response.status_code
    assert status < 500, where
    assert response.content_type == "application/json", where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    body = response.get_data(as_text=True)
    counts, events, last_use = state()
    if status == 200:
        # A read: its audit event and the client's last use, nothing else.
        assert counts == before[0] and events == before[1] + 1, where
        latest = db.session().scalar(select(AuditEvent)
                                     .where(AuditEvent.seq == events))
        assert latest.action == "api.person_status", where
        return
    assert 400 <= status < 500, where
    error = response.get_json()
    assert set(error) == {"error", "status"} and error["status"] == status, where
    assert SPANISH.search(error["error"]), where
    assert (counts, events, last_use) == before, f"written on a refusal: {where}"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
    if isinstance(payload, str) and len(payload.strip()) >= 4:
        assert payload not in body and payload not in error["error"], f"reflected: {where}"


def test_hostile_input_on_every_api_parameter_and_header(client) -> None:
    _, token = api.create_client("SIEMPRE", scopes=list(api.SCOPES),
                                 actor=audit.Actor("admin", "admin"))
    db.commit()
    doc = client.get("/api/v1/openapi.json").get_json()
    targets = discover(doc)
    assert {(t.location, t.name) for t in targets} >= {("body", "curp"),
                                                        ("header", "Authorization")}
    payloads: list[str | bytes] = [*corpus(), *RAW_BYTES]
    sent = accepted = turn = expected = 0
    before = state()
    for target in targets:
        valid = defaults(doc, target, token)
        extra = [] if target.credential else [*ACCEPTED] + (
            JSON_VALUES if target.location == "body" else [])
        for payload in [*payloads, *extra]:
            example = valid[target.location, target.name]
            ways = list(variants(target, payload, token, example))
            if PG_URL and ways and payload not in ACCEPTED:
                ways, turn = [ways[turn % len(ways)]], turn + 1
            expected += len(ways)
            for value in ways:
                response = send(client.client, target, {**valid,
                                                        (target.location, target.name): value})
                where = f"{target.method.upper()} {target.path} {target.name}={value!r:.80}"
                check(response, payload, where, before)
                assert (response.status_code == 200) == valid_request(target, value, token), where
                if response.status_code == 200:
                    accepted += 1
                    before = state()
                sent += 1
    # Each text three ways in the body, raw bytes two (no unknown field of them), the other
    # JSON types once; each corpus entry three ways in the header (less the CR/LF ones).
    texts = [p for p in [*payloads, *ACCEPTED] if isinstance(p, str)]
    crlf = sum(1 for p in texts if "\r" in p or "\n" in p)
    assert sent == expected
    if not PG_URL:
        assert sent == (3 * len(texts) + 2 * len(RAW_BYTES) + len(JSON_VALUES)
                        + 3 * (len(payloads) - crlf))
    assert accepted >= len(ACCEPTED) + (0 if PG_URL else 1)
