"""Exporting the audit log (JSON Lines, CSV) and forwarding it to syslog."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import ssl
from datetime import timedelta
from hashlib import sha256

import pytest
from sqlalchemy import select

from provisioning import audit, db
from provisioning.audit.models import AuditCheckpoint, AuditEvent
from provisioning.config import AuditSettings, ConfigError
from tests.support.forms import folio_and_code, submit
from tests.support.tls import make_certificates
from tests.support.web import Browser

ACTOR = audit.Actor("exportadora", "auditor", "10.0.0.9")


def record(n: int, *, actor: audit.Actor = ACTOR, action: str = "prueba.exportar",
           object_id: str = "OBJ-1", summary: str = "evento {i}") -> None:
    for i in range(n):
        audit.record(action, actor=actor, object_type="prueba", object_id=object_id,
                     summary=summary.format(i=i), details={"i": i, "texto": "ñ \"comillas\""})
    db.commit()


def export(app, tmp_path, *args: str) -> tuple[str, str]:
    out = tmp_path / "export.out"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--output", str(out), *args])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8"), result.output


def test_jsonl_export_lets_anyone_recompute_each_hash(app, tmp_path) -> None:
    record(5)
    body, message = export(app, tmp_path, "--format", "jsonl")
    lines = [json.loads(line) for line in body.splitlines()]
    head_seq = db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
    assert [line["seq"] for line in lines] == list(range(lines[0]["seq"], head_seq + 1))
    for line in lines:
        fields = {k: v for k, v in line.items() if k != "hash"}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        assert sha256(canonical.encode()).hexdigest() == line["hash"]
    for previous, current in zip(lines, lines[1:], strict=False):
        assert current["prev_hash"] == previous["hash"]
    # The export is itself audited, and ends at the checkpoint its commit signed.
    assert lines[-1]["action"] == "audit.exported" and lines[-1]["actor_role"] == "cli"
    assert lines[-1]["details"] == {"filter": {}, "format": "jsonl"}
    mark = db.session().scalars(select(AuditCheckpoint).order_by(
        AuditCheckpoint.number.desc())).first()
    assert (mark.reason, mark.seq, mark.hash) == ("export", head_seq, lines[-1]["hash"])
    assert f"punto de control {mark.number}" in message


def test_filters_select_events(app, clock, tmp_path) -> None:
    record(2, actor=audit.Actor("ana.ruiz", "auditor"), action="request.viewed",
           object_id="MSSSA000120-2026-00001")
    clock.advance(days=2)
    record(1, actor=audit.Actor("otro", "auditor"), action="staff.login", object_id="otro")

    def seqs(*args: str) -> list[str]:
        body, _ = export(app, tmp_path, *args)
        # Only this test's events (the template database has some of its own).
        return [json.loads(line)["action"] for line in body.splitlines()
                if json.loads(line)["action"] in ("request.viewed", "staff.login")]

    assert seqs("--actor", "ANA.RUIZ") == ["request.viewed"] * 2
    assert seqs("--action", "request.") == ["request.viewed"] * 2
    assert seqs("--object", "msssa000120-2026-00001", "--object-type", "request") == []
    assert seqs("--object", "msssa000120-2026-00001", "--object-type", "prueba") == [
        "request.viewed"] * 2
    today = (clock.now - timedelta(hours=6)).date().isoformat()  # Mexico City date
    assert seqs("--since", today, "--until", today) == ["staff.login"]
    assert seqs("--until", (clock.now - timedelta(days=1)).date().isoformat()) == [
        "request.viewed"] * 2
    bad = app.test_cli_runner().invoke(args=["audit", "export", "--since", "ayer"])
    assert bad.exit_code == 1 and "AAAA-MM-DD" in bad.output


def test_csv_export_has_spanish_columns_and_defuses_formulas(app, tmp_path) -> None:
    record(1, summary="=HYPERLINK(\"http://x\")", object_id="+33")
    body, _ = export(app, tmp_path, "--format", "csv", "--action", "prueba.")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:6] == ["secuencia", "fecha_hora_utc", "fecha_hora_local", "usuario", "rol",
                           "ip"]
    event = dict(zip(rows[0], rows[1], strict=True))
    assert event["resumen"] == "'=HYPERLINK(\"http://x\")" and event["objeto"] == "'+33"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", event["fecha_hora_local"])
    assert event["usuario"] == "exportadora" and len(event["hash"]) == 64
    assert len(rows) == 2


def listener(kind: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(10)
    if kind == socket.SOCK_STREAM:
        sock.listen(1)
    return sock


SYSLOG_LINE = re.compile(
    rb'^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ alta \d+ request\.submitted '
    rb'\[alta@32473 seq="(\d+)" hash="([0-9a-f]{64})" actor="solicitante" '
    rb'role="solicitante" ip="127\.0\.0\.1" object_type="request" object_id="([A-Z0-9-]+)"\] '
    rb"\xef\xbb\xbfSolicitud [A-Z0-9-]+ registrada")


def check_forwarded(message: bytes, app) -> None:
    found = SYSLOG_LINE.match(message)
    assert found, message
    with app.app_context():
        event = db.session().get(AuditEvent, int(found.group(1)))
        assert event.hash == found.group(2).decode() and event.object_id == found.group(3).decode()


def test_events_are_forwarded_to_syslog_over_udp(make_app) -> None:
    sock = listener(socket.SOCK_DGRAM)
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": sock.getsockname()[1]})
    try:
        folio, _ = folio_and_code(submit(Browser(app.test_client())))
        message = b""
        while b" request.submitted " not in message:  # person.created comes first
            message, _ = sock.recvfrom(65535)
        check_forwarded(message, app)
        assert folio.encode() in message
    finally:
        app.extensions["alta.syslog"].close()
        sock.close()


def test_events_are_forwarded_to_syslog_over_tcp_with_octet_counting(make_app) -> None:
    server = listener(socket.SOCK_STREAM)
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": server.getsockname()[1],
                          "syslog_transport": "tcp"})
    try:
        submit(Browser(app.test_client()))
        connection, _ = server.accept()
        with connection:
            connection.settimeout(10)
            # Each frame is "<length> <message>"; person.created comes before the request's.
            message = FrameReader(connection).until(b" request.submitted ")
        check_forwarded(message, app)
    finally:
        app.extensions["alta.syslog"].close()
        server.close()


CHECKPOINT_LINE = re.compile(
    rb'^<110>1 (\S+) \S+ alta \d+ audit\.checkpoint \[alta@32473 number="(\d+)" '
    rb'seq="(\d+)" hash="([0-9a-f]{64})" created_at="(\S+)" reason="(\w+)" '
    rb'key_id="([0-9a-f]{16})" prev_mac="([0-9a-f]{64})" mac="([0-9a-f]{64})"\] '
    rb'\xef\xbb\xbfPunto de control \d+ de la bit\xc3\xa1cora: evento \d+$')


class FrameReader:
    """Octet-counted frames (RFC 6587/5425) from a stream, keeping what is left between
    reads; fails on a timeout."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection, self.data = connection, b""

    def until(self, needle: bytes) -> bytes:
        """Read frames up to the first that contains ``needle``; that frame."""
        while True:
            while b" " in self.data:
                length, rest = self.data.split(b" ", 1)
                if len(rest) < int(length):
                    break
                frame, self.data = rest[:int(length)], rest[int(length):]
                if needle in frame:
                    return frame
            chunk = self.connection.recv(65535)
            assert chunk, "the stream ended"
            self.data += chunk


def check_checkpoint_forwarded(message: bytes, app) -> AuditCheckpoint:
    """The forwarded checkpoint is the stored one, field by field (mac included)."""
    found = CHECKPOINT_LINE.match(message)
    assert found, message
    with app.app_context():
        row = db.session().get(AuditCheckpoint, int(found.group(2)))
        assert row is not None
        assert (row.seq, row.hash, row.reason, row.key_id, row.prev_mac, row.mac) == (
            int(found.group(3)), found.group(4).decode(), found.group(6).decode(),
            found.group(7).decode(), found.group(8).decode(), found.group(9).decode())
        assert row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode() == found.group(5)
        return row


def test_checkpoints_are_forwarded_to_syslog_too(make_app) -> None:
    sock = listener(socket.SOCK_DGRAM)
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": sock.getsockname()[1]})
    try:
        checkpoints = []
        for _ in range(2):
            with app.app_context():
                record(1)
                result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
            assert result.exit_code == 0, result.output
            assert "Punto de control" in result.output
            message = b""
            while b" audit.checkpoint " not in message:
                message = sock.recvfrom(65535)[0]
            checkpoints.append(check_checkpoint_forwarded(message, app))
        first, second = checkpoints
        assert second.number == first.number + 1 and second.seq > first.seq
        assert second.prev_mac == first.mac
    finally:
        app.extensions["alta.syslog"].close()
        sock.close()


def tls_listener(certs) -> tuple[socket.socket, ssl.SSLContext]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert, certs.key)
    return listener(socket.SOCK_STREAM), context


def test_events_and_checkpoints_are_forwarded_over_tls(make_app, tmp_path) -> None:
    certs = make_certificates(tmp_path)
    server, context = tls_listener(certs)
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": server.getsockname()[1],
                          "syslog_transport": "tls", "syslog_ca_file": str(certs.ca)})
    try:
        submit(Browser(app.test_client()))
        raw, _ = server.accept()
        with context.wrap_socket(raw, server_side=True) as connection:
            connection.settimeout(10)
            assert connection.version() in ("TLSv1.2", "TLSv1.3")
            reader = FrameReader(connection)
            check_forwarded(reader.until(b" request.submitted "), app)
            with app.app_context():
                result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
            assert result.exit_code == 0, result.output
            checkpoint = reader.until(b" audit.checkpoint ")
        check_checkpoint_forwarded(checkpoint, app)
    finally:
        app.extensions["alta.syslog"].close()
        server.close()


def test_tls_refuses_a_collector_whose_certificate_it_cannot_verify(make_app, tmp_path) -> None:
    # The collector's certificate is signed by a CA the forwarder was not told to trust (the
    # system store does not hold it): nothing is sent, the request still succeeds.
    certs = make_certificates(tmp_path)
    server, context = tls_listener(certs)
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": server.getsockname()[1],
                          "syslog_transport": "tls"})
    forwarder = app.extensions["alta.syslog"]
    try:
        assert submit(Browser(app.test_client())).status_code == 200
        raw, _ = server.accept()
        with pytest.raises(ssl.SSLError), context.wrap_socket(raw, server_side=True) as tls:
            tls.settimeout(10)
            tls.recv(65535)
        forwarder.close()
        assert forwarder.dropped >= 1
    finally:
        forwarder.close()
        server.close()


def test_tls_settings_are_checked(tmp_path) -> None:
    base = {"syslog_host": "collector.ssm.gob.mx"}
    with pytest.raises(ConfigError, match="syslog_transport"):
        AuditSettings(**base, syslog_transport="tcp+tls").validate()
    with pytest.raises(ConfigError, match="is not a file"):
        AuditSettings(**base, syslog_transport="tls",
                      syslog_ca_file=str(tmp_path / "missing.pem")).validate()
    with pytest.raises(ConfigError, match="need"):
        AuditSettings(**base, syslog_transport="tcp",
                      syslog_tls_server_name="collector").validate()
    AuditSettings(**base, syslog_transport="tls").validate()


def test_a_down_collector_never_fails_the_request(make_app) -> None:
    closed = listener(socket.SOCK_STREAM)
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    app = make_app(audit={"syslog_host": "127.0.0.1", "syslog_port": port,
                          "syslog_transport": "tcp"})
    forwarder = app.extensions["alta.syslog"]
    browser = Browser(app.test_client())
    first = submit(browser)
    second = submit(browser, curp="HEGG560427MVZRRL04")
    assert first.status_code == 200 and second.status_code == 200
    forwarder.close()
    assert forwarder.dropped >= 1
    with app.app_context():
        assert db.session().scalar(select(AuditEvent).where(
            AuditEvent.action == "request.submitted").order_by(AuditEvent.seq.desc())) is not None


def test_export_by_curp_has_only_that_persons_requests(app, client, tmp_path) -> None:
    mine, _ = folio_and_code(submit(client))  # the form's CURP, BEML920313HMCLNS09
    theirs, _ = folio_and_code(submit(client, curp="HEGG560427MVZRRL04"))
    audit.record("request.viewed", actor=ACTOR, object_type="request", object_id=mine,
                 summary=f"Consulta de la solicitud {mine}")
    db.commit()
    body, _ = export(app, tmp_path, "--curp", "beml920313hmclns09")
    lines = [json.loads(line) for line in body.splitlines()]
    # The person's own events (found by the same keyed hash) come with their requests'.
    assert [(e["action"], e["object_type"]) for e in lines if e["action"] != "audit.exported"
            ] == [("person.created", "person"), ("request.submitted", "request"),
                  ("request.viewed", "request")]
    assert {e["object_id"] for e in lines if e["object_type"] == "request"} == {mine}
    assert theirs not in body and "BEML920313HMCLNS09" not in body
    bad = app.test_cli_runner().invoke(args=["audit", "export", "--curp", "BEML"])
    assert bad.exit_code == 1 and "CURP completa" in bad.output
