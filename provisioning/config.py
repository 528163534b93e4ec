"""Settings: the only reader of the TOML file named by ALTA_CONFIG and of the environment.

Every section is a frozen dataclass; unknown sections or keys are refused so a typo in the
file is an error at start-up, not a silently ignored option. Any text setting ``x`` may be
given as ``x_file`` instead: the value is then read from that file (for secrets kept out of
the configuration file).
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import tomllib
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """The configuration file or environment is invalid."""


# Every key (sessions, TOTP seeds, checkpoints) is at least this many characters.
MIN_KEY_LENGTH = 32
ENVIRONMENTS = ("production", "development")


@dataclass(frozen=True)
class AppSettings:
    """General service settings."""

    secret_key: str = ""  # empty: generated once and kept in <instance_dir>/secret_key
    base_url: str = "http://127.0.0.1:5000"
    instance_dir: str = "instance"
    timezone: str = "America/Mexico_City"
    log_level: str = "INFO"
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    # "production" refuses to start without its own [security].data_key and
    # [audit].checkpoint_key; "development" (the demo, the tests) derives them.
    environment: str = "development"

    @property
    def is_production(self) -> bool:
        """True for a production instance (every key given, none shared)."""
        return self.environment == "production"

    def validate(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ConfigError("[app].environment must be \"production\" or \"development\"")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"[app].timezone: unknown time zone {self.timezone!r}") from exc
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError("[app].base_url must start with http:// or https://")
        if self.trusted_proxies < 0:
            raise ConfigError("[app].trusted_proxies must be >= 0")


@dataclass(frozen=True)
class DatabaseSettings:
    """Database connection."""

    url: str = ""  # empty: SQLite file <instance_dir>/alta.db
    echo: bool = False


@dataclass(frozen=True)
class SecuritySettings:
    """Sign-in, password hashing and session policy (documented values, see README)."""

    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 2
    # Random codes (tracking, recovery, activation: 60+ bits) need far less work than
    # passwords: a cheaper argon2id keeps public pages fast.
    code_argon2_time_cost: int = 1
    code_argon2_memory_cost_kib: int = 8192
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    idle_timeout_minutes: int = 15
    session_cookie_secure: bool = True
    totp_issuer: str = "SSM Alta"
    # Accepted clock drift in 30-second steps either side of now.
    totp_valid_window: int = 1
    recovery_code_count: int = 10
    min_password_length: int = 12
    # After a TOTP code, the signatures and custody steps of the next this-many seconds in
    # the same session and from the same IP need no new code (0: every step asks for one).
    # Actions that grant or restore access (admin, recovery codes) always ask.
    step_up_window_seconds: int = 300
    # Key sealing TOTP seeds at rest (at least 32 characters, apart from [app].secret_key);
    # empty: derived from [app].secret_key (development only).
    data_key: str = ""
    # Earlier data keys, still accepted to open seeds until `alta keys rotate` re-seals them
    # under data_key; then remove them.
    previous_data_keys: tuple[str, ...] = ()

    def validate(self) -> None:
        for name in ("argon2_time_cost", "argon2_memory_cost_kib", "argon2_parallelism",
                     "code_argon2_time_cost", "code_argon2_memory_cost_kib",
                     "max_failed_logins", "lockout_minutes", "idle_timeout_minutes",
                     "recovery_code_count", "min_password_length"):
            if getattr(self, name) < 1:
                raise ConfigError(f"[security].{name} must be >= 1")
        if self.argon2_memory_cost_kib < 8 * self.argon2_parallelism:
            raise ConfigError("[security].argon2_memory_cost_kib must be >= 8 * parallelism")
        if not 0 <= self.totp_valid_window <= 2:
            raise ConfigError("[security].totp_valid_window must be between 0 and 2")
        if not 0 <= self.step_up_window_seconds <= 900:
            raise ConfigError("[security].step_up_window_seconds must be between 0 and 900")
        if self.data_key and len(self.data_key) < MIN_KEY_LENGTH:
            raise ConfigError(f"[security].data_key must be at least {MIN_KEY_LENGTH} characters")
        if self.previous_data_keys and not self.data_key:
            raise ConfigError("[security].previous_data_keys needs [security].data_key (the key "
                              "that seals from now on)")
        for i, key in enumerate(self.previous_data_keys):
            if len(key) < MIN_KEY_LENGTH:
                raise ConfigError(f"[security].previous_data_keys[{i}] must be at least "
                                  f"{MIN_KEY_LENGTH} characters")
            if key == self.data_key:
                raise ConfigError(f"[security].previous_data_keys[{i}] is already the current "
                                  "data_key")


@dataclass(frozen=True)
class RateLimitSettings:
    """Per-IP limits on the public and sign-in endpoints (requests per window)."""

    enabled: bool = True
    window_seconds: int = 60
    solicitud: int = 5
    seguimiento: int = 10
    acceso: int = 20
    activar: int = 10
    preregistro: int = 10

    def validate(self) -> None:
        if self.window_seconds < 1 or min(self.solicitud, self.seguimiento, self.acceso,
                                          self.activar, self.preregistro) < 1:
            raise ConfigError("[rate_limit] values must be >= 1")


# A token for longer than this is a token that never expires.
MAX_TOKEN_VALIDITY_DAYS = 3 * 366


@dataclass(frozen=True)
class ApiSettings:
    """Status API clients: token lifetime, rotation and per-client quota (README)."""

    # A token stops working this many days after it is issued (`alta api-client create
    # --days N` and `rotate --days N` choose another value for one token).
    token_validity_days: int = 365
    # After a rotation the old token keeps working this long, so the calling system can
    # switch without an outage (0: it stops at once; `rotate --no-grace` does that once).
    rotation_grace_hours: int = 24
    # Calls each client may make per window (every authenticated call counts, answered or
    # refused); over it: 429 with Retry-After. Per client, whatever its IP.
    quota_requests: int = 120
    quota_window_seconds: int = 60

    def validate(self) -> None:
        if not 1 <= self.token_validity_days <= MAX_TOKEN_VALIDITY_DAYS:
            raise ConfigError(f"[api].token_validity_days must be between 1 and "
                              f"{MAX_TOKEN_VALIDITY_DAYS}")
        if not 0 <= self.rotation_grace_hours <= 168:
            raise ConfigError("[api].rotation_grace_hours must be between 0 and 168")
        if self.quota_requests < 1:
            raise ConfigError("[api].quota_requests must be >= 1")
        if not 1 <= self.quota_window_seconds <= 86400:
            raise ConfigError("[api].quota_window_seconds must be between 1 and 86400")


@dataclass(frozen=True)
class FormSettings:
    """Rules of form FO-DPE-STI-DI-04 that depend on catalog codes."""

    # Observación 3: an expediente electrónico account requires this dirección ...
    ece_direccion: str = "DAM"
    # ... and one of these subdirecciones.
    ece_subdirecciones: tuple[str, ...] = ("SAPS", "SH")
    # ... which one, by the unit's catalog type: the only valid combination there, so the
    # form fills it (types not listed choose among ece_subdirecciones).
    ece_subdireccion_by_unit_type: dict[str, str] = field(default_factory=lambda: {
        "centro_de_salud": "SAPS", "hospital": "SH"})
    # Observación 4: units of this type fill Departamento; everyone else writes N/A.
    central_unit_type: str = "oficinas_centrales"
    # CURP sex "X" (non-binary) is not confirmed by RENAPO documents; off by default.
    allow_sex_x: bool = False


_AVISO_INTEGRAL = """\
Servicios de Salud de Morelos (SSM), a través de su Departamento de Informática, es el \
responsable del tratamiento de los datos personales que usted proporciona al solicitar una \
cuenta de acceso al expediente clínico electrónico SIEMPRE, y los protege conforme a la Ley \
General de Protección de Datos Personales en Posesión de Sujetos Obligados.

Datos que se recaban: CURP, nombre y apellidos, unidad de adscripción (CLUES), dirección, \
subdirección y departamento, tipo de personal, teléfono y extensión institucionales y correo \
electrónico de contacto. No se recaban datos personales sensibles. Además, el sistema registra \
en su bitácora la fecha, la hora y la dirección IP de cada operación.

Finalidades: tramitar su solicitud (formato FO-DPE-STI-DI-04), recabar las firmas de \
autorización, crear su cuenta en el directorio institucional, entregarle su credencial, avisarle \
del avance y auditar el procedimiento (sistema de gestión de seguridad de la información exigido \
por la NOM-024-SSA3-2012). No se usan para ninguna otra finalidad.

Fundamento: el procedimiento para la alta de usuarios del SIEMPRE de los Servicios de Salud de \
Morelos y la NOM-024-SSA3-2012.

Transferencias: sus datos no se transfieren a terceros, salvo las previstas en la ley o las que \
pida una autoridad competente de forma fundada y motivada.

Conservación: la solicitud y el oficio son registros de calidad que se conservan 3 años desde \
el cierre de la solicitud; después se eliminan o anonimizan y la eliminación queda registrada.

Derechos ARCO: en la página "Mis datos" de este sistema, con su folio y código de seguimiento, \
puede descargar todo lo que el sistema guarda sobre usted (incluidos los accesos del personal a \
sus datos), pedir la rectificación de un dato o la cancelación. También puede ejercer sus \
derechos de acceso, rectificación, cancelación y oposición ante la Unidad de Transparencia de \
los Servicios de Salud de Morelos.

Cambios a este aviso: se publicarán en esta misma página."""


@dataclass(frozen=True)
class PrivacySettings:
    """Aviso de privacidad shown where personal data is collected (LGPDPPSO)."""

    responsable: str = "Servicios de Salud de Morelos"
    aviso_simplificado: str = (
        "Servicios de Salud de Morelos es responsable del tratamiento de los datos personales "
        "que proporcione en esta solicitud. Sus datos se utilizarán únicamente para crear, "
        "administrar y auditar su cuenta institucional de acceso al expediente clínico "
        "electrónico SIEMPRE. No se transfieren a terceros salvo las excepciones previstas en "
        "la ley. Puede ejercer sus derechos de acceso, rectificación, cancelación y oposición "
        "(ARCO) ante la Unidad de Transparencia de los Servicios de Salud de Morelos."
    )
    # The full aviso de privacidad (page /aviso-de-privacidad); paragraphs separated by a
    # blank line. The default is a draft for the legal area to review.
    aviso_integral: str = _AVISO_INTEGRAL
    # Where ARCO requests that Alta cannot take (opposition, appeals) are filed.
    contacto_arco: str = ("Unidad de Transparencia de los Servicios de Salud de Morelos, "
                          "en su domicilio oficial o por la Plataforma Nacional de "
                          "Transparencia.")


@dataclass(frozen=True)
class AuditSettings:
    """Signed checkpoints of the audit chain and optional forwarding to syslog."""

    # HMAC-SHA256 key that signs checkpoints; keep it out of the database and its backups.
    # Empty: derived from [app].secret_key (development only; production requires one).
    checkpoint_key: str = ""
    # Earlier checkpoint keys, only read by `alta audit resign` (which checks the existing
    # checkpoints with them and signs them again with checkpoint_key); then remove them.
    previous_checkpoint_keys: tuple[str, ...] = ()
    # A checkpoint is added at commit time when the newest is older than this.
    checkpoint_interval_minutes: int = 60
    # `alta audit verify` fails when events older than this are not covered by a checkpoint
    # (the periodic checkpoint is not running, or checkpoints were deleted); 0 turns it off.
    checkpoint_max_age_hours: int = 24
    # RFC 5424 forwarding of every event after commit; empty host: off.
    syslog_host: str = ""
    syslog_port: int = 514
    syslog_transport: str = "udp"  # "udp", "tcp" or "tls"
    # TLS only: the CA file that signed the collector's certificate (empty: the system's
    # CAs) and the name to check it against (empty: syslog_host).
    syslog_ca_file: str = ""
    syslog_tls_server_name: str = ""
    syslog_facility: int = 13  # 13 = log audit
    syslog_app_name: str = "alta"

    def validate(self) -> None:
        if self.checkpoint_key and len(self.checkpoint_key) < MIN_KEY_LENGTH:
            raise ConfigError(f"[audit].checkpoint_key must be at least {MIN_KEY_LENGTH} "
                              "characters")
        if self.previous_checkpoint_keys and not self.checkpoint_key:
            raise ConfigError("[audit].previous_checkpoint_keys needs [audit].checkpoint_key "
                              "(the key that signs from now on)")
        for i, key in enumerate(self.previous_checkpoint_keys):
            if len(key) < MIN_KEY_LENGTH:
                raise ConfigError(f"[audit].previous_checkpoint_keys[{i}] must be at least "
                                  f"{MIN_KEY_LENGTH} characters")
            if key == self.checkpoint_key:
                raise ConfigError(f"[audit].previous_checkpoint_keys[{i}] is already the "
                                  "current checkpoint_key")
        if self.checkpoint_interval_minutes < 1:
            raise ConfigError("[audit].checkpoint_interval_minutes must be >= 1")
        if self.checkpoint_max_age_hours < 0:
            raise ConfigError("[audit].checkpoint_max_age_hours must be >= 0")
        if self.syslog_transport not in ("udp", "tcp", "tls"):
            raise ConfigError("[audit].syslog_transport must be \"udp\", \"tcp\" or \"tls\"")
        if self.syslog_ca_file and not Path(self.syslog_ca_file).is_file():
            raise ConfigError(f"[audit].syslog_ca_file: {self.syslog_ca_file} is not a file")
        if (self.syslog_ca_file or self.syslog_tls_server_name) and \
                self.syslog_transport != "tls":
            raise ConfigError("[audit].syslog_ca_file and syslog_tls_server_name need "
                              "syslog_transport = \"tls\"")
        if not 0 < self.syslog_port < 65536:
            raise ConfigError("[audit].syslog_port must be between 1 and 65535")
        if not 0 <= self.syslog_facility <= 23:
            raise ConfigError("[audit].syslog_facility must be between 0 and 23")
        if not re.fullmatch(r"[!-~]{1,48}", self.syslog_app_name):
            raise ConfigError("[audit].syslog_app_name: 1 to 48 printable ASCII characters")


@dataclass(frozen=True)
class RetentionSettings:
    """How long each record class is kept (years) before it is deleted or anonymized."""

    # Solicitud FO-DPE-STI-DI-04: years from the request's closure (procedure, section 7).
    solicitud_years: int = 3
    # Oficio: years from its issue (procedure, section 7); used by the oficio record class.
    oficio_years: int = 3
    # Baja: years from its execution or cancellation (the same paperwork as the alta).
    baja_years: int = 3
    # Cambio de adscripción: years from its execution or cancellation.
    cambio_years: int = 3
    # Prórroga of temporary staff: years from its signature.
    prorroga_years: int = 3
    # Access review campaign: years from its closure (its signed report and answers).
    revision_years: int = 3
    # Staff roster (padrón) uploaded for reconciliation: years from its upload.
    padron_years: int = 1
    # Audit events: years from the event; longer than the records they document.
    audit_events_years: int = 6
    # The custodian's page lists records whose retention ends within this many days.
    expiring_window_days: int = 90

    def validate(self) -> None:
        for name in ("solicitud_years", "oficio_years", "baja_years", "cambio_years",
                     "prorroga_years", "revision_years", "padron_years", "audit_events_years",
                     "expiring_window_days"):
            if getattr(self, name) < 1:
                raise ConfigError(f"[retention].{name} must be >= 1")
        if self.audit_events_years <= max(self.solicitud_years, self.oficio_years,
                                          self.revision_years):
            raise ConfigError("[retention].audit_events_years must be longer than the periods "
                              "of the records the events document")


# The 2026 Mexican statutory rest days (Ley Federal del Trabajo, art. 74): 1 January, first
# Monday of February, third Monday of March, 1 May, 16 September, third Monday of November,
# 25 December. Offices that also close on other days (Holy Thursday and Friday, 2 November,
# 12 December…) add them in [calendar].holidays.
MEXICAN_HOLIDAYS_2026 = (
    "2026-01-01", "2026-02-02", "2026-03-16", "2026-05-01", "2026-09-16", "2026-11-16",
    "2026-12-25",
)


@dataclass(frozen=True)
class CalendarSettings:
    """Business days for ageing and reminders: Monday to Friday minus these holidays."""

    holidays: tuple[str, ...] = MEXICAN_HOLIDAYS_2026

    def validate(self) -> None:
        for value in self.holidays:
            try:
                date.fromisoformat(value)
            except ValueError as exc:
                raise ConfigError(f"[calendar].holidays: {value!r} is not a date "
                                  "AAAA-MM-DD") from exc

    @cached_property
    def holiday_dates(self) -> frozenset[date]:
        """The holidays as dates (parsed once: the dashboard ages hundreds of rows)."""
        return frozenset(date.fromisoformat(v) for v in self.holidays)

    @cached_property
    def weekday_holidays(self) -> tuple[date, ...]:
        """The holidays that fall Monday to Friday, in order."""
        return tuple(sorted(d for d in self.holiday_dates if d.weekday() < 5))


@dataclass(frozen=True)
class OficioSettings:
    """Oficios: numbering per issuing area and year, letterhead, addressee (DOMAIN.md §6)."""

    # Placeholders: {jurisdiction} (I, II, III), {seq} (consecutive per area and year), {year}.
    envio_number_format: str = "SSM/JS-{jurisdiction}/{seq:04d}/{year}"
    # The Departamento de Informática's reply oficios (numbered per year, one area).
    respuesta_number_format: str = "SSM/DI/{seq:04d}/{year}"
    institution: str = "Servicios de Salud de Morelos"
    subject: str = "Solicitudes de alta de usuarios del expediente clínico electrónico SIEMPRE"
    # Subject of the Departamento de Informática's reply oficios (editable when signing).
    respuesta_subject: str = ("Cuentas de usuario creadas para el expediente clínico "
                              "electrónico SIEMPRE")
    addressee_name: str = "TITULAR DEL DEPARTAMENTO DE INFORMÁTICA"
    addressee_position: str = "Jefe(a) del Departamento de Informática"
    addressee_area: str = "Subdirección de Tecnologías de Información en Salud"
    # Where the Departamento de Informática dates its reply oficios.
    it_place: str = "Cuernavaca, Mor."
    it_area_name: str = "Departamento de Informática"
    ccp: tuple[str, ...] = ("Subdirección de Tecnologías de Información en Salud.",
                            "Archivo.")

    def validate(self) -> None:
        for name in ("envio_number_format", "respuesta_number_format"):
            template = getattr(self, name)
            if "{seq" not in template:
                raise ConfigError(f"[oficios].{name} must contain {{seq}}")
            try:
                template.format(jurisdiction="I", seq=1, year=2026)
            except (KeyError, ValueError, IndexError) as exc:
                raise ConfigError(f"[oficios].{name}: invalid format ({exc})") from exc


@dataclass(frozen=True)
class MailSettings:
    """Outgoing e-mail (SMTP). Messages wait in the outbox until the server takes them."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str = ""
    password: str = ""  # give password_file in production
    sender: str = "Alta SSM <alta@localhost>"
    timeout_seconds: int = 20
    # Daily reminder for items waiting longer than this many business days.
    reminder_after_business_days: int = 3

    def validate(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ConfigError("[mail].security must be none, starttls or tls")
        if not 0 < self.port < 65536:
            raise ConfigError("[mail].port must be between 1 and 65535")
        if self.timeout_seconds < 1 or self.reminder_after_business_days < 1:
            raise ConfigError("[mail].timeout_seconds and reminder_after_business_days "
                              "must be >= 1")


@dataclass(frozen=True)
class DirectorySettings:
    """Active Directory: connection, naming policy and where accounts go (README).

    DNs of OUs and groups may be written relative to ``base_dn`` (``OU=SIEMPRE``) or in full;
    a group may also be named by its sAMAccountName.
    """

    enabled: bool = True  # false: keep the settings but create no accounts
    # Connection. ldaps://host:636, or ldap://host:389 with start_tls; never unencrypted.
    url: str = ""
    start_tls: bool = False
    ca_file: str = ""  # PEM file of the CA that signed the DC's certificate
    tls_server_name: str = ""  # name the certificate must carry (empty: the URL's host)
    bind_dn: str = ""  # the service account
    bind_password: str = ""
    base_dn: str = ""  # the domain: searches for CURP and names cover all of it
    upn_suffix: str = ""
    connect_timeout: float = 5.0  # seconds
    operation_timeout: float = 30.0  # seconds for any one LDAP answer
    # Naming policy (naming.py): placeholders {nombre} {nombre2} {apellido1} {apellido2}
    # and their initials {n} {n2} {a1} {a2}, separated by at most one of . _ -
    naming_pattern: str = "{nombre}.{apellido1}"
    naming_max_length: int = 20
    # Where the CURP goes. employeeID would be the natural choice, but AD limits it to 16
    # characters and the CURP has 18 (invalidAttributeSyntax); employeeNumber holds it.
    curp_attribute: str = "employeeNumber"
    unit_attribute: str = "physicalDeliveryOfficeName"  # unit name ("" = not written)
    clues_attribute: str = "departmentNumber"  # unit CLUES ("" = not written)
    # OU of a new account: by unit type first, then by jurisdiction, else users_ou.
    users_ou: str = "OU=SIEMPRE"
    ou_by_unit_type: dict[str, str] = field(default_factory=dict)
    ou_by_jurisdiction: dict[str, str] = field(default_factory=dict)
    # Alta's OUs are the three above plus these (e.g. where IT kept SIEMPRE accounts before
    # Alta). An existing account with the person's CURP outside all of them, disabled, or
    # with adminCount=1 is not linked until IT confirms it (README, "Cuentas existentes").
    managed_ous: tuple[str, ...] = ()
    # Groups of every new account, and by tipo de personal (catalog code).
    groups: tuple[str, ...] = ()
    groups_by_staff_type: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # mail = <sAMAccountName>@mail_domain when the request asked for an e-mail account.
    mail_domain: str = ""
    # The group that grants SIEMPRE access, added when the person completes activation.
    siempre_group: str = ""
    # Where a baja moves the disabled account ("" = it stays where it is). Alta's: an
    # account there is linked again (re-ingreso) only after IT confirms it.
    disabled_ou: str = "OU=Bajas,OU=SIEMPRE"
    # The orphans report: an enabled account unused this many days is dormant.
    dormant_days: int = 90

    @property
    def active(self) -> bool:
        """True when Alta should create accounts (enabled and a URL given)."""
        return self.enabled and bool(self.url)

    def validate(self) -> None:
        from provisioning.naming import NamingError, NamingPolicy

        try:
            NamingPolicy(pattern=self.naming_pattern, max_length=self.naming_max_length)
        except NamingError as exc:
            raise ConfigError(f"[directory]: {exc.message}") from exc
        if not self.curp_attribute:
            raise ConfigError("[directory].curp_attribute must name an attribute")
        if not self.active:
            return
        for name in ("ca_file", "bind_dn", "bind_password", "base_dn", "upn_suffix"):
            if not getattr(self, name):
                raise ConfigError(f"[directory].{name} is required when url is set")
        scheme = self.url.split("://", 1)[0].lower()
        if scheme not in ("ldap", "ldaps"):
            raise ConfigError("[directory].url must start with ldaps:// or ldap://")
        if scheme == "ldap" and not self.start_tls:
            raise ConfigError("[directory]: ldap:// needs start_tls = true (passwords travel "
                              "to the DC; an unencrypted connection is refused)")
        if scheme == "ldaps" and self.start_tls:
            raise ConfigError("[directory]: start_tls is for ldap:// URLs, not ldaps://")
        if self.connect_timeout <= 0 or self.operation_timeout <= 0:
            raise ConfigError("[directory] timeouts must be > 0")


_POLICY_TEXT = (
    "Elija una contraseña que solo usted conozca: de al menos 8 caracteres, que combine al "
    "menos tres de estos tipos: mayúsculas, minúsculas, números y símbolos, y que no incluya "
    "su nombre de usuario ni partes de su nombre. El directorio institucional revisa estas "
    "reglas al guardarla.")


@dataclass(frozen=True)
class HandoffSettings:
    """Credential hand-off: activation codes, activation and pre-registration (README)."""

    # An activation code expires this many days after it is delivered in person.
    code_validity_days: int = 15
    # Wrong codes typed with the holder's own user name and CURP before the code backs off
    # (a try with another CURP never counts: whoever guesses a user name cannot burn a code).
    code_backoff_after: int = 3
    # The first wait, doubled with each further wrong code, up to the cap; never a lock.
    code_backoff_minutes: int = 1
    code_backoff_max_minutes: int = 60
    # The printable activation sheet: its holder may reopen it (refresh, back, print again)
    # for this many minutes after the delivery; meanwhile the code is kept sealed with
    # [security].data_key, then wiped (also when used, replaced or closed). 0: shown once.
    sheet_minutes: int = 15
    # How long the person may fill the pre-registration after signing in with the new
    # domain credentials (Alta never keeps their password; only this window).
    preregistration_session_minutes: int = 15
    # Wrong pre-registration sign-ins of one user name (known or not) before it must wait;
    # each further failure doubles the wait (1, 2, 4… minutes) up to the maximum. Keep it
    # below the domain's lockoutThreshold: Alta's wait then comes before an AD lockout.
    preregistration_max_failures: int = 3
    preregistration_max_wait_minutes: int = 60
    # Tipos de personal (catalog codes) that must give their cédula profesional.
    cedula_required_for: tuple[str, ...] = ("medico", "enfermeria")
    # Shown next to the password fields on /activar; the domain controller has the last word.
    password_policy: str = _POLICY_TEXT
    # SIEMPRE's sign-in page, shown once access is active ("" = not shown).
    siempre_url: str = ""

    def validate(self) -> None:
        for name in ("code_validity_days", "code_backoff_after", "code_backoff_minutes",
                     "code_backoff_max_minutes", "preregistration_session_minutes",
                     "preregistration_max_failures", "preregistration_max_wait_minutes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"[handoff].{name} must be >= 1")
        if self.code_backoff_max_minutes < self.code_backoff_minutes:
            raise ConfigError("[handoff].code_backoff_max_minutes must be >= "
                              "code_backoff_minutes")
        if self.preregistration_max_wait_minutes > 24 * 60:
            # A day without attempts forgets a name's failures: a longer wait would not hold.
            raise ConfigError("[handoff].preregistration_max_wait_minutes must be <= 1440")
        if self.siempre_url and not self.siempre_url.startswith(("http://", "https://")):
            raise ConfigError("[handoff].siempre_url must start with http:// or https://")


@dataclass(frozen=True)
class ObservabilitySettings:
    """Health probes, the Prometheus /metrics endpoint and the log format (README, Operación)."""

    # Bearer token /metrics requires (give metrics_token_file); empty: /metrics answers 403.
    metrics_token: str = ""
    # /healthz/ready: each dependency check's timeout, and how long a result is reused so a
    # storm of probes does not hammer the DC or the SMTP server.
    check_timeout_seconds: float = 2.0
    ready_cache_seconds: float = 5.0
    heartbeat_max_age_seconds: int = 60  # no worker beat for longer: not ready
    backlog_max_age_seconds: int = 900  # a job ready to run waiting longer: not ready
    log_format: str = "text"  # text | json (one object per line)

    def validate(self) -> None:
        if self.metrics_token and len(self.metrics_token) < MIN_KEY_LENGTH:
            raise ConfigError(f"[observability].metrics_token must be at least "
                              f"{MIN_KEY_LENGTH} characters")
        if not 0 < self.check_timeout_seconds <= 30 or self.ready_cache_seconds < 0:
            raise ConfigError("[observability].check_timeout_seconds must be between 0 and 30 "
                              "and ready_cache_seconds >= 0")
        if self.heartbeat_max_age_seconds < 1 or self.backlog_max_age_seconds < 1:
            raise ConfigError("[observability].heartbeat_max_age_seconds and "
                              "backlog_max_age_seconds must be >= 1")
        if self.log_format not in ("text", "json"):
            raise ConfigError("[observability].log_format must be \"text\" or \"json\"")


@dataclass(frozen=True)
class Settings:
    """All settings of one Alta instance."""

    app: AppSettings = field(default_factory=AppSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    form: FormSettings = field(default_factory=FormSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    oficios: OficioSettings = field(default_factory=OficioSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    directory: DirectorySettings = field(default_factory=DirectorySettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    observability: ObservabilitySettings = field(default_factory=ObservabilitySettings)

    @property
    def tz(self) -> ZoneInfo:
        """The local time zone for everything a user reads."""
        return ZoneInfo(self.app.timezone)

    @property
    def instance_path(self) -> Path:
        """Absolute path of the instance folder (SQLite file, generated secrets)."""
        return Path(self.app.instance_dir).resolve()


def current() -> Settings:
    """The settings of the current Flask application."""
    from flask import current_app

    return current_app.extensions["alta.settings"]


def load_settings(
    path: str | os.PathLike[str] | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    environ: typing.Mapping[str, str] | None = None,
) -> Settings:
    """Read the TOML file (``path`` or ALTA_CONFIG), apply overrides and return Settings.

    Environment: ALTA_CONFIG names the file; ALTA_DATABASE_URL replaces [database].url.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = path if path is not None else env.get("ALTA_CONFIG") or None
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    if overrides:
        data = _deep_merge(data, overrides)
    if env.get("ALTA_DATABASE_URL"):
        data = _deep_merge(data, {"database": {"url": env["ALTA_DATABASE_URL"]}})
    settings = _build(Settings, data, "")
    return _finish(settings)


def _finish(settings: Settings) -> Settings:
    """Fill derived defaults: the SQLite path and a persistent generated secret key."""
    app, database = settings.app, settings.database
    if not database.url:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        database = dataclasses.replace(
            database, url=f"sqlite:///{settings.instance_path / 'alta.db'}"
        )
    if not app.secret_key:
        app = dataclasses.replace(app, secret_key=_instance_secret(settings.instance_path))
    elif len(app.secret_key) < MIN_KEY_LENGTH:
        raise ConfigError(f"[app].secret_key must be at least {MIN_KEY_LENGTH} characters")
    _check_keys_apart(app, settings.security, settings.audit)
    return dataclasses.replace(settings, app=app, database=database)


def _check_keys_apart(app: AppSettings, security: SecuritySettings,
                      audit: AuditSettings) -> None:
    """Each key does one job: sessions, TOTP seeds, audit checkpoints. Production gives all
    three; no environment lets two of them be the same key."""
    if app.is_production:
        if not security.data_key:
            raise ConfigError("[security].data_key is required in production (TOTP seeds are "
                              "not sealed with a key derived from [app].secret_key)")
        if not audit.checkpoint_key:
            raise ConfigError("[audit].checkpoint_key is required in production (kept apart "
                              "from [app].secret_key and from the database's backups)")
    if security.data_key and security.data_key == app.secret_key:
        raise ConfigError("[security].data_key must differ from [app].secret_key: one key "
                          "signs sessions, the other seals TOTP seeds")
    if audit.checkpoint_key and audit.checkpoint_key == app.secret_key:
        raise ConfigError("[audit].checkpoint_key must differ from [app].secret_key: whoever "
                          "signs sessions must not be able to sign audit checkpoints")
    if audit.checkpoint_key and audit.checkpoint_key == security.data_key:
        raise ConfigError("[audit].checkpoint_key must differ from [security].data_key: one "
                          "key seals TOTP seeds, the other signs audit checkpoints")


def _instance_secret(instance: Path) -> str:
    """Return the secret kept in the instance folder, creating it (mode 0600) once."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into a copy of ``base``, table by table."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a TOML table, refusing unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"[{where}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, raw in data.items():
        name, value = key, raw
        if key not in known and key.endswith("_file") and key[:-5] in known:
            name = key[:-5]
            if hints[name] is not str:
                raise ConfigError(f"{_label(where, key)}: only text settings can come from a file")
            value = _read_secret_file(raw, _label(where, key))
            if name in data:
                raise ConfigError(f"{_label(where, key)}: give {name} or {key}, not both")
        elif key not in known:
            raise ConfigError(f"{_label(where, key)}: unknown setting")
        values[name] = _coerce(hints[name], value, _label(where, name))
    obj = cls(**values)
    validate = getattr(obj, "validate", None)
    if validate is not None:
        validate()
    return obj


def _label(where: str, key: str) -> str:
    return f"[{where}].{key}" if where else f"[{key}]"


def _read_secret_file(path: Any, label: str) -> str:
    if not isinstance(path, str):
        raise ConfigError(f"{label}: expected a file path")
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {path}: {exc.strerror}") from exc


def _coerce(hint: Any, value: Any, label: str) -> Any:
    """Check ``value`` against the annotation ``hint``; lists become tuples."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, label.strip("[]").replace("].", "."))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{label}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{label}: expected an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{label}: expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{label}: expected text")
        return value
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{label}: expected a list")
        return tuple(_coerce(item, v, f"{label}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        key_type, item = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{label}: expected a table")
        return {
            _coerce(key_type, k, label): _coerce(item, v, f"{label}.{k}")
            for k, v in value.items()
        }
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, label)
            except ConfigError:
                continue
        raise ConfigError(f"{label}: unexpected value")
    raise ConfigError(f"{label}: unsupported setting type {hint!r}")  # pragma: no cover
