"""Forwarding audit events and checkpoints to a syslog collector as RFC 5424 messages.

A copy of the log outside the database makes deleting recent events (after the newest
checkpoint) visible too, and a copy of every signed checkpoint lets an auditor check the
database's checkpoints against one the database owner could not rewrite. Transports: UDP,
TCP (RFC 6587 octet counting) or TLS (RFC 5425: the collector's certificate is verified
against the system's CAs or ``syslog_ca_file``). Messages are queued after the commit
(``db.after_commit``) and sent by one background thread, so a slow or unreachable
collector never delays or fails a request: when the queue is full or the collector is down,
messages are dropped, counted and logged (the database stays the authoritative log).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import ssl
import threading
import time

from provisioning.audit.models import AuditCheckpoint, AuditEvent
from provisioning.config import AuditSettings

log = logging.getLogger(__name__)

# RFC 5612 documentation enterprise number: an SD-ID of our own needs a private one.
SD_ID = "alta@32473"
QUEUE_SIZE = 10000
RETRY_SECONDS = 30.0
_SEVERITY_INFO, _SEVERITY_WARNING = 6, 4


def _header_token(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, or the NILVALUE '-'."""
    token = "".join(c for c in text if "!" <= c <= "~")[:limit]
    return token or "-"


def _param(value: object) -> str:
    """An SD-PARAM value: '"', '\\' and ']' escaped (RFC 5424 section 6.3.3)."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


class SyslogForwarder:
    """Formats events and checkpoints as RFC 5424 lines and sends them in the background."""

    def __init__(self, settings: AuditSettings) -> None:
        self.address = (settings.syslog_host, settings.syslog_port)
        self.transport = settings.syslog_transport
        self.facility = settings.syslog_facility
        self.tls: ssl.SSLContext | None = None
        self.server_name = settings.syslog_tls_server_name or settings.syslog_host
        if self.transport == "tls":
            self.tls = ssl.create_default_context(cafile=settings.syslog_ca_file or None)
        self.app_name = _header_token(settings.syslog_app_name, 48)
        self.hostname = _header_token(socket.gethostname(), 255)
        self.dropped = 0
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._down_until = 0.0

    def format(self, event: AuditEvent) -> bytes:
        """One event as an RFC 5424 message (without transport framing)."""
        warning = event.action.endswith(("_failed", ".locked"))
        pri = self.facility * 8 + (_SEVERITY_WARNING if warning else _SEVERITY_INFO)
        timestamp = event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        params = {"seq": event.seq, "hash": event.hash, "actor": event.actor,
                  "role": event.actor_role, "ip": event.ip or "-",
                  "object_type": event.object_type, "object_id": event.object_id}
        data = " ".join(f'{k}="{_param(v)}"' for k, v in params.items())
        header = (f"<{pri}>1 {timestamp} {self.hostname} {self.app_name} {os.getpid()} "
                  f"{_header_token(event.action, 32)} [{SD_ID} {data}] ")
        return header.encode() + b"\xef\xbb\xbf" + event.summary.encode()

    def format_checkpoint(self, checkpoint: AuditCheckpoint) -> bytes:
        """One signed checkpoint as an RFC 5424 message: every field ``verify`` checks."""
        pri = self.facility * 8 + _SEVERITY_INFO
        created = checkpoint.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        params = {"number": checkpoint.number, "seq": checkpoint.seq, "hash": checkpoint.hash,
                  "created_at": created, "reason": checkpoint.reason,
                  "key_id": checkpoint.key_id, "prev_mac": checkpoint.prev_mac,
                  "mac": checkpoint.mac}
        data = " ".join(f'{k}="{_param(v)}"' for k, v in params.items())
        header = (f"<{pri}>1 {created} {self.hostname} {self.app_name} {os.getpid()} "
                  f"audit.checkpoint [{SD_ID} {data}] ")
        summary = (f"Punto de control {checkpoint.number} de la bitácora: evento "
                   f"{checkpoint.seq}")
        return header.encode() + b"\xef\xbb\xbf" + summary.encode()

    def send(self, lines: list[bytes]) -> None:
        """Queue ``lines`` for the sender thread; never blocks, never raises."""
        self._ensure_thread()
        try:
            self._queue.put_nowait(lines)
        except queue.Full:
            self._drop(len(lines), "cola llena")

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued, then stop the thread (tests, orderly shutdown)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)
        self._thread = None

    def _ensure_thread(self) -> None:
        # A forked worker (gunicorn) inherits no running thread: start one per process.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._socket = None
                self._thread = threading.Thread(target=self._run, name="alta-syslog",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            lines = self._queue.get()
            if lines is None:
                break
            if time.monotonic() < self._down_until:
                self._drop(len(lines), "colector caído")
                continue
            try:
                self._deliver(lines)
            except OSError as exc:
                self._close_socket()
                self._down_until = time.monotonic() + RETRY_SECONDS
                self._drop(len(lines), f"{type(exc).__name__}: {exc}")
        self._close_socket()

    def _deliver(self, lines: list[bytes]) -> None:
        if self._socket is None:
            if self.transport in ("tcp", "tls"):
                raw = socket.create_connection(self.address, timeout=5)
                if self.tls is not None:
                    try:
                        raw = self.tls.wrap_socket(raw, server_hostname=self.server_name)
                    except OSError:
                        raw.close()
                        raise
                self._socket = raw
            else:
                family, kind, proto, _name, target = socket.getaddrinfo(
                    *self.address, type=socket.SOCK_DGRAM)[0]
                self._socket = socket.socket(family, kind, proto)
                self._socket.settimeout(5)
                self._socket.connect(target)
        for line in lines:
            if self.transport in ("tcp", "tls"):
                # Octet counting (RFC 6587, RFC 5425): messages may contain newlines.
                self._socket.sendall(str(len(line)).encode() + b" " + line)
            else:
                self._socket.send(line)

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        log.warning("syslog: eventos de bitácora no enviados (este intento: %d) a %s:%s (%s); "
                    "total %d",
                    count, *self.address, why, self.dropped)
