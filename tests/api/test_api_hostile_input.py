"""Hostile input on every parameter and header the status API takes, found in its own
OpenAPI document (a new parameter or operation is covered without touching this file).

Every corpus entry goes into every parameter with a valid token, and into the token itself.
Never a 5xx; always JSON (never a page a browser would render), with a Spanish message when
refused; a refusal writes nothing, an answer writes only what a read must (one audit event
and the client's last use); the input is never reflected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import select

from provisioning import audit, db
from provisioning.api import services as api
from provisioning.api.models import ApiClient
from provisioning.audit.models import AuditEvent
from tests.hostile_corpus import RAW_BYTES, SPANISH, corpus, domain_counts

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
AUDIT_TABLES = frozenset({"audit_events", "audit_head", "audit_checkpoints"})
# Valid values the API must answer (200), however they are written: the read is audited.
ACCEPTED = ["beml920313hmclns09", " BEML920313HMCLNS09 ", "BEML 920313 HMCLNS09"]


@dataclass(frozen=True)
class Input:
    """One place the API reads: a parameter of an operation, or its credential header."""

    method: str
    path: str  # template, e.g. /api/v1/personal/{curp}
    location: str  # path, query or header
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
            params = doc["paths"][path][other.method].get("parameters", [])
            values[other.location, other.name] = next(
                p["example"] for p in params if p["name"] == other.name)
    return values


def wire(value: str | bytes) -> str:
    """A header value as a server hands it to the app (bytes read as Latin-1)."""
    return (value if isinstance(value, bytes) else value.encode()).decode("latin-1")


def send(client: Any, target: Input, values: dict[tuple[str, str], str | bytes]) -> Any:
    path = target.path
    query, headers = [], {}
    for (location, name), value in values.items():
        if location == "path":
            # Percent-encoded UTF-8 (or raw bytes), "/" included, so the app gets the value.
            path = path.replace("{" + name + "}", quote(value, safe=""))
        elif location == "query":
            query.append((name, value))
        else:
            headers[name] = wire(value)
    if query:
        path += "?" + urlencode(query)
    return client.open(path, method=target.method.upper(), headers=headers)


def variants(target: Input, payload: str | bytes, token: str) -> Iterator[str | bytes]:
    """What to put in ``target`` for one corpus entry."""
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
    """Rows per table (the audit trail apart), audit events, and each client's last use."""
    db.session().expire_all()
    counts = domain_counts(exclude=AUDIT_TABLES)
    events = db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())
                                 .limit(1)) or 0
    last_use = list(db.session().scalars(select(ApiClient.last_used_at).order_by(ApiClient.id)))
    return counts, events, last_use


def check(response: Any, payload: str | bytes, where: str,
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
    _, token = api.create_client("SIEMPRE", actor=audit.Actor("admin", "admin"))
    db.commit()
    doc = client.get("/api/v1/openapi.json").get_json()
    targets = discover(doc)
    assert {(t.location, t.name) for t in targets} >= {("path", "curp"),
                                                        ("header", "Authorization")}
    payloads: list[str | bytes] = [*corpus(), *RAW_BYTES]
    sent = accepted = 0
    before = state()
    for target in targets:
        valid = defaults(doc, target, token)
        extra = [] if target.credential else ACCEPTED
        for payload in [*payloads, *extra]:
            for value in variants(target, payload, token):
                response = send(client.client, target, {**valid,
                                                        (target.location, target.name): value})
                where = f"{target.method.upper()} {target.path} {target.name}={value[:60]!r}"
                check(response, payload, where, before)
                assert (response.status_code == 200) == valid_request(target, value, token), where
                if response.status_code == 200:
                    accepted += 1
                    before = state()
                sent += 1
    # Every corpus entry in the CURP, and three ways in the header (less the CR/LF ones).
    assert sent == 4 * len(payloads) + len(ACCEPTED) - sum(
        1 for p in payloads if isinstance(p, str) and ("\r" in p or "\n" in p)) * 3
    assert accepted >= len(ACCEPTED) + 1
