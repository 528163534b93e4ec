"""The connection to Active Directory: the only place that talks ldap3.

One service-account connection per thread, opened on first use and reused (a TLS connect and
bind costs ~100 ms; an LDAP operation ~0.5 ms). Certificates are always verified against the
configured CA and server name. Referrals are not chased. Every ldap3 result and exception is
turned into a ``provisioning.directory.errors`` error with a Spanish message.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core import exceptions as ldap_exc
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from provisioning.config import DirectorySettings
from provisioning.directory.errors import (
    AccessDenied,
    BindRefused,
    DirectoryError,
    DirectoryNotConfigured,
    DirectoryUnavailable,
    InvalidValue,
    NameTaken,
    NoSuchEntry,
    PasswordRejected,
    ServiceAccountRejected,
)

log = logging.getLogger(__name__)

__all__ = ["Directory", "Entry", "current", "escape_filter_chars", "escape_rdn"]

TREE_DELETE_CONTROL = ("1.2.840.113556.1.4.805", True, None)
# Alta reads attributes by name without case itself (Entry, directory.imports): ldap3's
# case-insensitive dictionaries were a quarter of the time spent decoding a big search.
ldap3.set_config_parameter("CASE_INSENSITIVE_ATTRIBUTE_NAMES", False)

# The "data XXX" code in an AD bind failure: why the DC refused the credentials.
_BIND_DATA = re.compile(r"data ([0-9a-f]{3,4})", re.IGNORECASE)
BIND_REASONS = {
    "525": ("bad_credentials", "Usuario o contraseña incorrectos."),
    "52e": ("bad_credentials", "Usuario o contraseña incorrectos."),
    "530": ("not_permitted", "La cuenta no tiene permitido iniciar sesión en este horario."),
    "531": ("not_permitted", "La cuenta no tiene permitido iniciar sesión desde este equipo."),
    "532": ("password_expired", "La contraseña de la cuenta expiró."),
    "533": ("disabled", "La cuenta está deshabilitada."),
    "701": ("expired", "La cuenta expiró."),
    "773": ("must_change", "La contraseña de la cuenta debe cambiarse antes de iniciar "
                           "sesión."),
    "775": ("locked", "La cuenta está bloqueada por intentos fallidos. Espere o pida al "
                      "Departamento de Informática que la desbloquee."),
}

_MIN_LENGTH = re.compile(r"longer than (\d+) characters")
_ATTRIBUTE = re.compile(r"attribute '([^']+)'")


@dataclass(frozen=True)
class Entry:
    """One object read from the directory: its DN as the DC wrote it and its attributes."""

    dn: str
    raw: dict[str, list[bytes]]

    def values(self, name: str) -> list[str]:
        """Every value of a text attribute (names compared without case, as AD does)."""
        for key, values in self.raw.items():
            if key.lower() == name.lower():
                return [v.decode("utf-8", errors="replace") for v in values]
        return []

    def first(self, name: str) -> str | None:
        """The first value of a text attribute, or None."""
        values = self.values(name)
        return values[0] if values else None

    @property
    def guid(self) -> str:
        """objectGUID in its canonical text form (AD stores the first fields little-endian)."""
        for key, values in self.raw.items():
            if key.lower() == "objectguid" and values:
                return str(uuid.UUID(bytes_le=values[0]))
        raise KeyError("objectGUID was not read")


class Directory:
    """A service-account session with one Active Directory domain (thread-safe).

    Each thread gets its own connection, opened on first use and kept until ``close``.
    """

    def __init__(self, settings: DirectorySettings) -> None:
        if not settings.active:
            raise DirectoryNotConfigured()
        self.settings = settings
        self.base_dn = settings.base_dn
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[ldap3.Connection] = set()
        # Caches of things that exist (OUs, resolved groups): they save a round trip per
        # account. Forgotten when the DC says otherwise.
        self.known_dns: dict[str, str] = {}
        # Called with the DN (or UPN) of each bind that checks a person's password, before
        # it is sent; never given the password. Tests count binds on the real DC with it.
        self.bind_observers: list[Callable[[str], None]] = []
        host = urlsplit(settings.url).hostname or ""
        self._server_name = settings.tls_server_name or host
        self._server = self._make_server()

    # -- plumbing ------------------------------------------------------------------------

    def _make_server(self) -> ldap3.Server:
        s = self.settings
        tls = _VerifiedTls(s.ca_file, self._server_name)
        return ldap3.Server(s.url, use_ssl=not s.start_tls, tls=tls,
                            get_info=ldap3.NONE, connect_timeout=s.connect_timeout)

    def _new_connection(self, user: str, password: str) -> ldap3.Connection:
        """Open (TLS) and return an unbound connection, or raise DirectoryUnavailable."""
        conn = ldap3.Connection(self._server, user=user, password=password,
                                auto_bind=ldap3.AUTO_BIND_NONE, auto_referrals=False,
                                check_names=False,
                                raise_exceptions=False, read_only=False,
                                # ldap3 packs it into SO_RCVTIMEO: whole seconds only.
                                receive_timeout=math.ceil(self.settings.operation_timeout),
                                authentication=ldap3.SIMPLE)
        try:
            conn.open(read_server_info=False)
            if self.settings.start_tls and not conn.start_tls(read_server_info=False):
                raise DirectoryUnavailable(self._unreachable("no aceptó StartTLS"))
        except ldap_exc.LDAPException as exc:
            _quietly_close(conn)
            raise DirectoryUnavailable(self._unreachable(_network_reason(exc))) from None
        except DirectoryError:
            _quietly_close(conn)
            raise
        return conn

    def _unreachable(self, reason: str) -> str:
        return f"No hay conexión con el controlador de dominio ({self.settings.url}): {reason}."

    def _connection(self) -> ldap3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and conn.bound:
            return conn
        conn = self._service_connection()
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn

    def _service_connection(self) -> ldap3.Connection:
        """A new connection bound as Alta's service account."""
        conn = self._new_connection(self.settings.bind_dn, self.settings.bind_password)
        try:
            ok = conn.bind()
        except ldap_exc.LDAPException as exc:
            _quietly_close(conn)
            raise DirectoryUnavailable(self._unreachable(_network_reason(exc))) from None
        if not ok:
            result = dict(conn.result)
            _quietly_close(conn)
            if result.get("description") == "invalidCredentials":
                _, why = _bind_reason(result)
                raise ServiceAccountRejected(
                    "El controlador de dominio rechazó la cuenta de servicio de Alta "
                    f"({self.settings.bind_dn}): {why} Revise [directory].bind_dn y su "
                    "contraseña.", ldap_result="invalidCredentials")
            raise _error_for(result, "iniciar la sesión de la cuenta de servicio", None)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                self._open.discard(conn)
            _quietly_close(conn)

    def _call(self, what: str, dn: str | None, operation: Any, *, retry: bool) -> Any:
        """Run ``operation(conn)`` and return the connection's result dict.

        A broken connection is dropped; reads (``retry``) are tried once more on a new one,
        since a connection idle while the DC restarted only fails when next used.
        """
        for attempt in (1, 2):
            conn = self._connection()
            try:
                operation(conn)
            except ldap_exc.LDAPCommunicationError as exc:
                self._drop()
                log.warning("directory connection lost during %s (%s): %s", what, dn,
                            type(exc).__name__)
                if retry and attempt == 1:
                    continue
                raise DirectoryUnavailable(self._unreachable(_network_reason(exc))) from None
            except ldap_exc.LDAPResponseTimeoutError:
                self._drop()
                log.warning("directory timed out during %s (%s)", what, dn)
                raise DirectoryUnavailable(self._unreachable("no respondió a tiempo")) from None
            return conn.result
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Unbind every connection this directory opened (in any thread)."""
        with self._lock:
            connections, self._open = list(self._open), set()
        for conn in connections:
            _quietly_close(conn)
        self._local = threading.local()

    # -- names ---------------------------------------------------------------------------

    def absolute(self, dn: str) -> str:
        """``dn`` itself when it already ends with base_dn, else ``dn,base_dn``."""
        if not dn:
            return self.base_dn
        base = _normalized(self.base_dn)
        if _normalized(dn)[-len(base):] == base:
            return dn
        return f"{dn},{self.base_dn}"

    # -- operations ----------------------------------------------------------------------

    def search(self, ldap_filter: str, *, base: str | None = None,
               attributes: Sequence[str] = (), scope: str = "subtree",
               size_limit: int = 0) -> list[Entry]:
        """Entries under ``base`` (default: the domain) matching ``ldap_filter``.

        Referrals the DC returns for other partitions are skipped. A missing ``base`` gives
        an empty list.
        """
        scopes = {"subtree": ldap3.SUBTREE, "base": ldap3.BASE, "one": ldap3.LEVEL}
        where = base or self.base_dn
        holder: dict[str, Any] = {}

        def run(conn: ldap3.Connection) -> None:
            conn.search(where, ldap_filter, search_scope=scopes[scope],
                        attributes=list(attributes) or ldap3.NO_ATTRIBUTES,
                        size_limit=size_limit)
            holder["response"] = conn.response or []

        result = self._call("buscar en el directorio", where, run, retry=True)
        if result.get("description") == "noSuchObject":
            return []
        if result.get("description") not in ("success", "sizeLimitExceeded"):
            raise _error_for(result, "buscar en el directorio", where)
        return [Entry(item["dn"], dict(item.get("raw_attributes") or {}))
                for item in holder["response"] if item.get("type") == "searchResEntry"]

    def paged_search(self, ldap_filter: str, *, base: str | None = None,
                     attributes: Sequence[str] = (), page_size: int = 500) -> Iterator[Entry]:
        """Entries under ``base`` matching ``ldap_filter``, read page by page (one page of
        the DC's answer in memory at a time) on this thread's connection. Referrals are
        skipped. A lost connection raises ``DirectoryUnavailable``; a refused search (or a
        missing base) raises the matching ``DirectoryError`` once the entries it did return
        are consumed."""
        where = base or self.base_dn
        conn = self._connection()
        found = conn.extend.standard.paged_search(
            where, ldap_filter, attributes=list(attributes) or ldap3.NO_ATTRIBUTES,
            paged_size=page_size, generator=True)
        try:
            for item in found:
                if item.get("type") == "searchResEntry":
                    yield Entry(item["dn"], dict(item.get("raw_attributes") or {}))
        except (ldap_exc.LDAPCommunicationError, ldap_exc.LDAPResponseTimeoutError):
            self._drop()
            raise DirectoryUnavailable(self._unreachable(
                "se perdió la comunicación durante la búsqueda paginada")) from None
        # ldap3 ends a failed paged search quietly: its last result says whether it did.
        result = dict(conn.result or {})
        if result.get("description") != "success":
            raise _error_for(result, "leer las cuentas", where)

    def close_thread(self) -> None:
        """Unbind this thread's connection, if it has one (a thread that is about to end)."""
        self._drop()

    def read(self, dn: str, attributes: Sequence[str]) -> Entry | None:
        """The entry at ``dn`` (or ``<GUID=…>``), or None when it does not exist."""
        found = self.search("(objectClass=*)", base=dn, attributes=attributes, scope="base")
        return found[0] if found else None

    def add(self, dn: str, object_classes: Iterable[str], attributes: dict[str, Any]) -> None:
        """Create ``dn`` with ``attributes`` in one operation (all or nothing on the DC)."""
        classes = list(object_classes)
        result = self._call("crear", dn, lambda c: c.add(dn, classes, attributes), retry=False)
        if result.get("description") != "success":
            raise _error_for(result, "crear", dn)

    def modify(self, dn: str, changes: dict[str, list[tuple[str, list[Any]]]]) -> None:
        """Apply ``changes`` ({attribute: [("replace"|"add"|"delete", values)]}) to ``dn``."""
        ops = {"replace": ldap3.MODIFY_REPLACE, "add": ldap3.MODIFY_ADD,
               "delete": ldap3.MODIFY_DELETE}
        native = {attr: [(ops[op], values) for op, values in items]
                  for attr, items in changes.items()}
        result = self._call("modificar", dn, lambda c: c.modify(dn, native), retry=False)
        if result.get("description") != "success":
            raise _error_for(result, "modificar", dn)

    def move(self, dn: str, new_rdn: str, new_superior: str) -> None:
        """Move ``dn`` below ``new_superior`` with the RDN ``new_rdn`` (its objectGUID stays)."""
        result = self._call("mover", dn, lambda c: c.modify_dn(
            dn, new_rdn, delete_old_dn=True, new_superior=new_superior), retry=False)
        if result.get("description") != "success":
            raise _error_for(result, "mover", dn)

    def delete(self, dn: str, *, tree: bool = False) -> bool:
        """Delete ``dn`` (with ``tree``, everything under it); False if it did not exist."""
        controls = [TREE_DELETE_CONTROL] if tree else None
        result = self._call("borrar", dn, lambda c: c.delete(dn, controls=controls),
                            retry=False)
        if result.get("description") == "noSuchObject":
            return False
        if result.get("description") != "success":
            raise _error_for(result, "borrar", dn)
        return True

    def check_credentials(self, user: str, password: str) -> None:
        """Bind as ``user`` (DN or UPN) with ``password`` on a fresh connection.

        Returns when the DC accepts them; raises BindRefused with the DC's reason otherwise
        (wrong password, must change it, disabled, locked…).
        """
        if not user or not password:
            # An empty password is an anonymous bind to LDAP, which "succeeds": refuse it.
            raise BindRefused(BIND_REASONS["52e"][1], reason="bad_credentials")
        for observe in self.bind_observers:
            observe(user)
        conn = self._new_connection(user, password)
        try:
            ok = conn.bind()
            result = dict(conn.result)
        except ldap_exc.LDAPException as exc:
            raise DirectoryUnavailable(self._unreachable(_network_reason(exc))) from None
        finally:
            _quietly_close(conn)
        if ok:
            return
        if result.get("description") == "invalidCredentials":
            reason, message = _bind_reason(result)
            raise BindRefused(message, reason=reason, ldap_result="invalidCredentials")
        raise _error_for(result, "verificar la contraseña", user)


class _VerifiedTls(ldap3.Tls):
    """TLS whose certificate check (CA and name) is the ssl module's own, in the handshake.

    ldap3 turns the ssl module's name check off and checks the name after the handshake with
    the deprecated ``ssl.match_hostname``, leaking the socket when the name is wrong. Here
    the standard context checks both, and a failed handshake closes its socket.
    """

    def __init__(self, ca_file: str, server_name: str) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file,
                         valid_names=[server_name])
        self.server_name = server_name
        self._context: ssl.SSLContext | None = None

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        """Wrap ``connection.socket`` (called by ldap3 for LDAPS and for StartTLS)."""
        if self._context is None:
            # Verifies the chain up to ca_file and that the certificate names server_name.
            self._context = ssl.create_default_context(cafile=self.ca_certs_file)
        connection.socket = self._context.wrap_socket(
            connection.socket, server_hostname=self.server_name,
            do_handshake_on_connect=do_handshake)


def normalized_dn(dn: str) -> list[tuple[str, str]]:
    """``dn`` parsed into (attribute, value) pairs without case or spaces, for comparing
    DNs (``InvalidValue`` when it does not parse)."""
    return _normalized(dn)


def _normalized(dn: str) -> list[tuple[str, str]]:
    try:
        # strip: spaces around «=» and «,» are allowed (RFC 2253) and mean nothing.
        return [(a.strip().lower(), v.strip().lower())
                for a, v, _sep in parse_dn(dn, strip=True)]
    except ldap_exc.LDAPInvalidDnError as exc:
        raise InvalidValue(f"El DN «{dn}» no es válido.") from exc


def _quietly_close(conn: ldap3.Connection) -> None:
    with suppress(ldap_exc.LDAPException):
        conn.unbind()
    # unbind() leaves the socket to the garbage collector when the DC already closed it.
    sock = getattr(conn, "socket", None)
    if sock is not None:
        with suppress(OSError):
            sock.close()


def _network_reason(exc: BaseException) -> str:
    """What went wrong on the wire, in Spanish."""
    text = str(exc)
    if "Hostname mismatch" in text or "doesn't match" in text:
        return "su certificado no corresponde al nombre esperado (tls_server_name)"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "su certificado no es válido para la CA configurada (ca_file)"
    if "No such file" in text or "FileNotFoundError" in text:
        return "no se puede leer el archivo de la CA (ca_file)"
    if "refused" in text.lower():
        return "la conexión fue rechazada (¿está detenido?)"
    if "timed out" in text.lower() or "timeout" in text.lower():
        return "no respondió a tiempo"
    return "se perdió la comunicación de red"


def _bind_reason(result: dict[str, Any]) -> tuple[str, str]:
    found = _BIND_DATA.search(result.get("message") or "")
    code = found.group(1).lower() if found else "52e"
    return BIND_REASONS.get(code, ("bad_credentials", BIND_REASONS["52e"][1]))


def _password_error(message: str, result_name: str) -> PasswordRejected:
    lowered = message.lower()
    if "too short" in lowered:
        found = _MIN_LENGTH.search(message)
        minimum = f" debe tener al menos {found.group(1)} caracteres" if found else ""
        return PasswordRejected(f"La contraseña es demasiado corta:{minimum}."
                                if minimum else "La contraseña es demasiado corta.",
                                reason="too_short", ldap_result=result_name)
    if "complexity" in lowered:
        return PasswordRejected(
            "La contraseña no cumple los requisitos de complejidad del dominio: combine al "
            "menos tres de estos tipos de caracteres: mayúsculas, minúsculas, dígitos y "
            "símbolos, y no incluya su nombre de usuario ni partes de su nombre.",
            reason="complexity", ldap_result=result_name)
    if "history" in lowered:
        return PasswordRejected("Esa contraseña ya se usó antes: elija una que no haya usado "
                                "recientemente.", reason="history", ldap_result=result_name)
    if "too young" in lowered:
        return PasswordRejected("La contraseña se cambió hace muy poco y el dominio todavía no "
                                "permite cambiarla de nuevo.", reason="too_young",
                                ldap_result=result_name)
    if "old password" in lowered:
        return PasswordRejected("La contraseña actual no es correcta.",
                                reason="wrong_old_password", ldap_result=result_name)
    # Windows AD gives no detail (0000052D ... WILL_NOT_PERFORM).
    return PasswordRejected("La contraseña no cumple la política del dominio (longitud, "
                            "complejidad o historial).", reason="policy",
                            ldap_result=result_name)


def _error_for(result: dict[str, Any], operation: str, dn: str | None) -> DirectoryError:
    """The domain error for a failed LDAP result."""
    name = str(result.get("description") or "desconocido")
    message = str(result.get("message") or "")
    target = f" «{dn}»" if dn else ""
    if "0000052D" in message or "check_password_restrictions" in message:
        return _password_error(message, name)
    if name == "entryAlreadyExists":
        if "samaccountname" in message.lower():
            return NameTaken("El nombre de cuenta ya está en uso en el directorio.",
                             what="sam", ldap_result=name)
        return NameTaken(f"Ya existe un objeto con el nombre{target} en el directorio.",
                         what="dn", ldap_result=name)
    if name == "constraintViolation" and "userprincipalname" in message.lower():
        return NameTaken("El nombre principal (UPN) ya está en uso en el directorio.",
                         what="upn", ldap_result=name)
    if name == "noSuchObject":
        return NoSuchEntry(f"No existe{target} en el directorio (o no existe el contenedor "
                           "donde se quería crear).", ldap_result=name)
    if name == "insufficientAccessRights":
        return AccessDenied(f"La cuenta de servicio de Alta no tiene permiso para {operation}"
                            f"{target} en el directorio.", ldap_result=name)
    if name in ("invalidAttributeSyntax", "undefinedAttributeType", "objectClassViolation",
                "constraintViolation", "namingViolation", "invalidDNSyntax",
                "attributeOrValueExists", "noSuchAttribute"):
        found = _ATTRIBUTE.search(message)
        what = f" en el atributo {found.group(1)}" if found else ""
        return InvalidValue(f"El directorio rechazó un valor{what} al {operation}{target} "
                            f"({name}).", ldap_result=name)
    if name in ("busy", "unavailable", "timeLimitExceeded", "adminLimitExceeded", "other"):
        return DirectoryUnavailable(f"El controlador de dominio no pudo {operation}{target} en "
                                    f"este momento ({name}).", ldap_result=name)
    return DirectoryError(f"El controlador de dominio respondió «{name}» al {operation}"
                          f"{target}.", ldap_result=name)


def current() -> Directory:
    """The directory of the current application; DirectoryNotConfigured when there is none.

    One Directory per application (its connections are per thread); ``close_for`` ends it.
    """
    from flask import current_app

    from provisioning.config import current as settings

    config = settings().directory
    if not config.active:
        raise DirectoryNotConfigured()
    extensions = current_app.extensions
    directory = extensions.get("alta.directory")
    if directory is None:
        with _APP_LOCK:
            directory = extensions.get("alta.directory")
            if directory is None:
                directory = extensions["alta.directory"] = Directory(config)
    return directory


def probe(settings: DirectorySettings, timeout: float) -> None:
    """Open, bind and close one fresh service-account connection within ``timeout`` seconds.

    For readiness: raises a DirectoryError (DirectoryUnavailable, ServiceAccountRejected...)
    when the DC cannot be reached or refuses the service account.
    """
    fresh = Directory(dataclasses.replace(settings, connect_timeout=timeout,
                                          operation_timeout=timeout))
    try:
        fresh._connection()
    finally:
        fresh.close()


def close_for(app: Any) -> None:
    """Close the application's directory connections, if it opened any."""
    directory = app.extensions.pop("alta.directory", None)
    if directory is not None:
        directory.close()


_APP_LOCK = threading.Lock()
