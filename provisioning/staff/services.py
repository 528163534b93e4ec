"""Staff accounts: creation, roles, sign-in with password + TOTP, lockout, recovery codes.

Every function that changes state flushes and audits in the caller's transaction; the caller
commits. Nothing here ever records a password, TOTP seed or code.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import pyotp
from sqlalchemy import func, select

from provisioning import audit, timeutil
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.crypto import code_hasher, hasher, new_code, normalize_code, sealer
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import AltaError, Conflict, Forbidden, NotFound, ValidationError
from provisioning.staff.models import RecoveryCode, Role, StaffRole, StaffUser

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
_COMMON_PASSWORDS = frozenset({
    "123456789012", "contraseña123", "contrasena123", "password1234", "qwertyuiop12",
    "morelos2026!", "cuernavaca123", "administrador", "1234567890ab", "abcdefghijkl",
})
TOTP_STEP_SECONDS = 30


class AuthError(AltaError):
    """Sign-in refused; the message never says whether the user name exists."""

    status = 401


@dataclass(frozen=True)
class Grant:
    """One role with its scope."""

    role: Role
    unit_clues: str | None = None
    jurisdiction_code: str | None = None


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member as the rest of the service sees them."""

    id: int
    username: str
    full_name: str
    grants: tuple[Grant, ...]

    @property
    def roles(self) -> frozenset[Role]:
        """Every role held."""
        return frozenset(g.role for g in self.grants)

    def has(self, *roles: Role) -> bool:
        """True when any of ``roles`` is held."""
        return any(g.role in roles for g in self.grants)

    def units(self, role: Role = Role.JEFE_UNIDAD) -> frozenset[str]:
        """CLUES of the units where ``role`` is held."""
        return frozenset(g.unit_clues for g in self.grants if g.role == role and g.unit_clues)

    def jurisdictions(self, role: Role) -> frozenset[str]:
        """Codes of the jurisdictions where ``role`` is held."""
        return frozenset(
            g.jurisdiction_code for g in self.grants
            if g.role == role and g.jurisdiction_code
        )

    def actor(self, ip: str | None, role: Role | None = None) -> audit.Actor:
        """This person as an audit actor acting in ``role`` (default: all their roles)."""
        label = role.value if role else ",".join(sorted(r.value for r in self.roles))
        return audit.Actor(name=self.username, role=label or "sin_rol", ip=ip)


def principal_for(user: StaffUser) -> Principal:
    """Build the Principal of ``user``."""
    grants = tuple(Grant(r.role, r.unit_clues, r.jurisdiction_code) for r in user.roles)
    return Principal(user.id, user.username, user.full_name, grants)


def get(staff_id: int) -> StaffUser:
    """A staff account by id, or NotFound."""
    user = db_get(StaffUser, staff_id)
    if user is None:
        raise NotFound("No existe esa cuenta de personal.")
    return user


def by_username(username: str) -> StaffUser | None:
    """A staff account by user name (case-insensitive), or None."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        return None
    return session().scalar(select(StaffUser).where(StaffUser.username == username))


def list_staff() -> list[StaffUser]:
    """Every staff account, by user name."""
    return list(session().scalars(select(StaffUser).order_by(StaffUser.username)))


# ---------------------------------------------------------------------------------------------
# Passwords


def check_password_policy(password: str, *, username: str) -> None:
    """Refuse weak passwords (documented policy: length, not the user name, not common)."""
    minimum = settings().security.min_password_length
    if len(password) < minimum:
        raise ValidationError(f"La contraseña debe tener al menos {minimum} caracteres.",
                              {"password": f"Al menos {minimum} caracteres."})
    if len(password) > 128:
        raise ValidationError("La contraseña no puede pasar de 128 caracteres.",
                              {"password": "Máximo 128 caracteres."})
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise ValidationError("La contraseña no debe contener su nombre de usuario.",
                              {"password": "No incluya su usuario."})
    if len(set(password)) < 5 or lowered in _COMMON_PASSWORDS:
        raise ValidationError("La contraseña es demasiado fácil de adivinar; elija otra.",
                              {"password": "Demasiado fácil de adivinar."})


def temporary_password() -> str:
    """A random password for an administrator to hand over (shown once)."""
    return new_code(groups=4, size=4)


# ---------------------------------------------------------------------------------------------
# Accounts and roles


def create_staff(*, username: str, full_name: str, email: str, position: str = "",
                 grants: Iterable[Grant] = (), actor: audit.Actor,
                 password: str | None = None) -> tuple[StaffUser, str]:
    """Create a staff account; returns it with the initial password (shown once).

    Without ``password`` a temporary one is generated and must be changed at first sign-in.
    Audits ``staff.created`` and one ``staff.role_granted`` per role.
    """
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "El usuario debe tener de 3 a 40 caracteres: minúsculas, números, punto, guion "
            "o guion bajo, y empezar con letra.", {"username": "Usuario no válido."}
        )
    if by_username(username) is not None:
        raise Conflict(f"Ya existe una cuenta de personal «{username}».")
    initial = password or temporary_password()
    if password is not None:
        check_password_policy(password, username=username)
    user = StaffUser(
        username=username, full_name=full_name, email=email, position=position,
        password_hash=hasher().hash(initial), must_change_password=password is None,
        created_at=timeutil.now(), failed_logins=0, active=True, session_version=1,
    )
    session().add(user)
    session().flush()
    audit.record("staff.created", actor=actor, object_type="staff", object_id=username,
                 summary=f"Alta de la cuenta de personal {username} ({full_name})",
                 details={"full_name": full_name, "email": email})
    for grant in grants:
        grant_role(user, grant, actor=actor)
    return user, initial


def record_view(user: StaffUser, *, actor: audit.Actor) -> None:
    """Audit that ``actor`` opened the personal data of ``user`` (``staff.viewed``)."""
    audit.record("staff.viewed", actor=actor, object_type="staff", object_id=user.username,
                 summary=f"Consulta de los datos de la cuenta {user.username}")


def update_staff(user: StaffUser, *, full_name: str, email: str, position: str,
                 actor: audit.Actor) -> None:
    """Change a staff member's name, e-mail or position. Audits ``staff.updated``."""
    changed = {k: v for k, v in (("full_name", full_name), ("email", email),
                                 ("position", position)) if getattr(user, k) != v}
    if not changed:
        return
    for key, value in changed.items():
        setattr(user, key, value)
    session().flush()
    audit.record("staff.updated", actor=actor, object_type="staff", object_id=user.username,
                 summary=f"Datos de {user.username} modificados: {', '.join(changed)}",
                 details=changed)


def grant_role(user: StaffUser, grant: Grant, *, actor: audit.Actor) -> StaffRole:
    """Give ``user`` a role with the scope it needs. Audits ``staff.role_granted``.

    Nobody grants themselves the auditor role: the auditor is who watches the administrators.
    """
    grant = _checked_grant(grant)
    if grant.role == Role.AUDITOR and actor.name == user.username:
        raise Forbidden("Nadie puede otorgarse a sí mismo el rol de auditor; otro "
                        "administrador debe hacerlo.")
    for existing in user.roles:
        if (existing.role, existing.unit_clues, existing.jurisdiction_code) == (
                grant.role, grant.unit_clues, grant.jurisdiction_code):
            raise Conflict("La persona ya tiene ese rol con ese alcance.")
    row = StaffRole(role=grant.role, unit_clues=grant.unit_clues,
                    jurisdiction_code=grant.jurisdiction_code)
    user.roles.append(row)
    user.session_version += 1  # open sessions pick up the new scope at once
    session().flush()
    audit.record("staff.role_granted", actor=actor, object_type="staff",
                 object_id=user.username,
                 summary=f"Rol {grant.role.label}{_scope_text(grant)} otorgado a {user.username}",
                 details={"role": grant.role.value, "unit_clues": grant.unit_clues,
                          "jurisdiction": grant.jurisdiction_code})
    return row


def revoke_role(user: StaffUser, role_id: int, *, actor: audit.Actor) -> None:
    """Remove one role of ``user``. Audits ``staff.role_revoked``."""
    row = next((r for r in user.roles if r.id == role_id), None)
    if row is None:
        raise NotFound("Ese rol no existe.")
    grant = Grant(row.role, row.unit_clues, row.jurisdiction_code)
    if grant.role == Role.ADMIN and _admin_count() <= 1:
        raise Conflict("No se puede quitar el rol al último administrador activo.")
    user.roles.remove(row)
    user.session_version += 1
    session().flush()
    audit.record("staff.role_revoked", actor=actor, object_type="staff",
                 object_id=user.username,
                 summary=f"Rol {grant.role.label}{_scope_text(grant)} retirado a {user.username}",
                 details={"role": grant.role.value, "unit_clues": grant.unit_clues,
                          "jurisdiction": grant.jurisdiction_code})


def _admin_count() -> int:
    return session().scalar(
        select(func.count(func.distinct(StaffRole.staff_id)))
        .join(StaffUser, StaffUser.id == StaffRole.staff_id)
        .where(StaffRole.role == Role.ADMIN, StaffUser.active.is_(True))
    ) or 0


def _checked_grant(grant: Grant) -> Grant:
    scope = grant.role.scope
    if scope == "unit":
        if not grant.unit_clues or catalogs.unit_by_clues(grant.unit_clues) is None:
            raise ValidationError("Elija una unidad vigente del catálogo para este rol.",
                                  {"unit": "Unidad obligatoria."})
        return Grant(grant.role, grant.unit_clues, None)
    if scope == "jurisdiction":
        if (not grant.jurisdiction_code
                or catalogs.jurisdiction_by_code(grant.jurisdiction_code) is None):
            raise ValidationError("Elija una jurisdicción vigente para este rol.",
                                  {"jurisdiction": "Jurisdicción obligatoria."})
        return Grant(grant.role, None, grant.jurisdiction_code)
    return Grant(grant.role)


def _scope_text(grant: Grant) -> str:
    if grant.unit_clues:
        return f" en la unidad {grant.unit_clues}"
    if grant.jurisdiction_code:
        return f" en la jurisdicción {grant.jurisdiction_code}"
    return ""


def set_active(user: StaffUser, active: bool, *, actor: audit.Actor) -> None:
    """Enable or disable an account (disabling ends its sessions). Audits it."""
    if user.active == active:
        return
    if not active and any(r.role == Role.ADMIN for r in user.roles) and _admin_count() <= 1:
        raise Conflict("No se puede desactivar al último administrador activo.")
    user.active = active
    user.session_version += 1
    session().flush()
    audit.record("staff.enabled" if active else "staff.disabled", actor=actor,
                 object_type="staff", object_id=user.username,
                 summary=f"Cuenta {user.username} {'activada' if active else 'desactivada'}")


def unlock(user: StaffUser, *, actor: audit.Actor) -> None:
    """Clear a lockout. Audits ``staff.unlocked``."""
    user.locked_until = None
    user.failed_logins = 0
    session().flush()
    audit.record("staff.unlocked", actor=actor, object_type="staff", object_id=user.username,
                 summary=f"Cuenta {user.username} desbloqueada")


def reset_password(user: StaffUser, *, actor: audit.Actor) -> str:
    """Set a temporary password (returned once) to be changed at next sign-in. Audits it."""
    temporary = temporary_password()
    user.password_hash = hasher().hash(temporary)
    user.must_change_password = True
    user.session_version += 1
    user.locked_until, user.failed_logins = None, 0
    session().flush()
    audit.record("staff.password_reset", actor=actor, object_type="staff",
                 object_id=user.username,
                 summary=f"Contraseña temporal asignada a {user.username}")
    return temporary


def reset_totp(user: StaffUser, *, actor: audit.Actor) -> None:
    """Forget the authenticator and recovery codes; enrolment repeats at next sign-in."""
    user.totp_secret_sealed = None
    user.totp_pending_sealed = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.recovery_codes.clear()
    user.session_version += 1
    session().flush()
    audit.record("staff.totp_reset", actor=actor, object_type="staff", object_id=user.username,
                 summary=f"Autenticador de {user.username} restablecido")


# ---------------------------------------------------------------------------------------------
# Sign-in


def _lock_message(user: StaffUser) -> str:
    until = timeutil.format_datetime(user.locked_until)
    return (f"Su cuenta está bloqueada por {settings().security.max_failed_logins} intentos "
            f"fallidos. Podrá intentar de nuevo después del {until}, o pida a un "
            "administrador que la desbloquee.")


def is_locked(user: StaffUser) -> bool:
    """True while a lockout is running."""
    return user.locked_until is not None and user.locked_until > timeutil.now()


def _register_failure(user: StaffUser, ip: str | None, what: str) -> None:
    sec = settings().security
    user.failed_logins += 1
    actor = audit.Actor(user.username, "personal", ip)
    audit.record("staff.login_failed", actor=actor, object_type="staff", object_id=user.username,
                 summary=f"Intento de acceso fallido ({what})",
                 details={"factor": what, "failures": user.failed_logins})
    if user.failed_logins >= sec.max_failed_logins:
        user.locked_until = timeutil.now() + timedelta(minutes=sec.lockout_minutes)
        user.failed_logins = 0
        audit.record("staff.locked", actor=actor, object_type="staff", object_id=user.username,
                     summary=f"Cuenta bloqueada {sec.lockout_minutes} minutos por intentos "
                             "fallidos")
    session().flush()


def check_password(username: str, password: str, *, ip: str | None) -> StaffUser:
    """First factor. Returns the account or raises AuthError (failures are counted)."""
    user = by_username(username)
    if user is None or not user.active:
        hasher().verify(None, password)  # same cost as a real check
        audit.record("staff.login_failed", actor=audit.Actor("desconocido", "anonimo", ip),
                     object_type="staff", object_id="-",
                     summary="Intento de acceso con un usuario inexistente o inactivo")
        raise AuthError("Usuario o contraseña incorrectos.")
    if is_locked(user):
        hasher().verify(None, password)
        raise AuthError(_lock_message(user), status=403)
    if not hasher().verify(user.password_hash, password):
        _register_failure(user, ip, "contraseña")
        if is_locked(user):
            raise AuthError(_lock_message(user), status=403)
        raise AuthError("Usuario o contraseña incorrectos.")
    if hasher().needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
        session().flush()
    return user


def _totp_step(code: str, secret: str) -> int | None:
    """The time step at which ``code`` is valid for ``secret`` (within the window), or None."""
    totp = pyotp.TOTP(secret)
    window = settings().security.totp_valid_window
    current = int(timeutil.now().timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_second_factor(user: StaffUser, code: str, *, ip: str | None) -> str:
    """Second factor: a TOTP code (not replayed) or an unused recovery code.

    Returns 'totp' or 'recovery'. Failures count towards the lockout.
    """
    # Lock the account row and read it afresh: two requests racing with one code must not
    # both see it unused (the second waits here until the first commits its step).
    session().refresh(user, with_for_update=True)
    if is_locked(user):
        raise AuthError(_lock_message(user), status=403)
    if not user.totp_enrolled:
        raise AuthError("Primero configure su aplicación de autenticación.")
    typed = normalize_code(code)
    if typed.isdigit() and len(typed) == 6:
        step = _totp_step(typed, sealer().unseal(user.totp_secret_sealed or ""))
        if step is not None and user.totp_last_step is not None and step <= user.totp_last_step:
            _register_failure(user, ip, "código TOTP reutilizado")
            raise AuthError("Ese código ya se utilizó. Espere a que su aplicación muestre uno "
                            "nuevo.")
        if step is not None:
            user.totp_last_step = step
            session().flush()
            return "totp"
    elif len(typed) == 12:
        for recovery in user.recovery_codes:
            if recovery.used_at is None and code_hasher().verify(recovery.code_hash, typed):
                recovery.used_at = timeutil.now()
                session().flush()
                left = sum(1 for r in user.recovery_codes if r.used_at is None)
                audit.record("staff.recovery_code_used",
                             actor=audit.Actor(user.username, "personal", ip),
                             object_type="staff", object_id=user.username,
                             summary=f"Acceso con código de recuperación (quedan {left})")
                return "recovery"
    _register_failure(user, ip, "segundo factor")
    if is_locked(user):
        raise AuthError(_lock_message(user), status=403)
    raise AuthError("El código no es válido.")


class StepUpWindow(Protocol):
    """Where the last good TOTP code of this session is remembered (``staff.auth``: the
    signed session cookie, with the IP it came from)."""

    def fresh(self, user: StaffUser, ip: str | None) -> bool:
        """True while a code typed in this session, from ``ip``, is recent enough."""

    def renew(self, user: StaffUser, ip: str | None) -> None:
        """Remember that ``user`` typed a good code now, from ``ip``."""


_window: StepUpWindow | None = None  # outside a web request (CLI, jobs): none


def use_step_up_window(window: StepUpWindow | None) -> None:
    """Install the step-up window (called by ``staff.auth.init_app``)."""
    global _window
    _window = window


def code_typed(user: StaffUser, ip: str | None) -> None:
    """A good TOTP code was typed (sign-in or step-up): the window starts now."""
    if _window is not None:
        _window.renew(user, ip)


def verify_step_up(user: StaffUser, code: str, *, ip: str | None, fresh: bool = False) -> None:
    """Re-authentication for a signature: a TOTP code only (no recovery codes). An empty
    code passes while the step-up window of this session is open (audited as
    ``staff.step_up_window``); ``fresh``: always a new code (granting or restoring
    access)."""
    typed = normalize_code(code)
    if not typed and not fresh and _window is not None and _window.fresh(user, ip):
        session().refresh(user)
        if is_locked(user):  # locked meanwhile (wrong codes from elsewhere): no window
            raise AuthError(_lock_message(user), status=403)
        audit.record("staff.step_up_window", actor=audit.Actor(user.username, "personal", ip),
                     object_type="staff", object_id=user.username,
                     summary="Paso firmado dentro de la ventana de su último código TOTP")
        return
    if not (typed.isdigit() and len(typed) == 6):
        raise AuthError("Escriba el código de 6 dígitos de su aplicación de autenticación.")
    check_second_factor(user, typed, ip=ip)
    code_typed(user, ip)


def complete_login(user: StaffUser, *, ip: str | None, factor: str) -> Principal:
    """Both factors passed: reset the failure count and audit ``staff.login``."""
    user.failed_logins = 0
    user.last_login_at = timeutil.now()
    session().flush()
    audit.record("staff.login", actor=audit.Actor(user.username, "personal", ip),
                 object_type="staff", object_id=user.username,
                 summary="Inicio de sesión" + (" con código de recuperación"
                                               if factor == "recovery" else ""))
    return principal_for(user)


def record_logout(principal: Principal, *, ip: str | None, reason: str) -> None:
    """End every session of the account and audit it (``staff.logout``).

    The session version moves on, so a copy of the cookie taken before the logout (or before
    the idle timeout ended it) is refused afterwards: the cookie alone is not the session.
    """
    user = get(principal.id)
    user.session_version += 1
    session().flush()
    audit.record("staff.logout", actor=principal.actor(ip), object_type="staff",
                 object_id=principal.username, summary=f"Fin de sesión ({reason})")


# ---------------------------------------------------------------------------------------------
# TOTP enrolment and password change


def begin_enrolment(user: StaffUser) -> tuple[str, str]:
    """Offer a new TOTP seed (kept sealed until confirmed). Returns (seed, otpauth URI).

    The seed goes only to the page that shows the QR code; it is never logged or audited.
    """
    if user.totp_enrolled:
        raise Conflict("Su autenticador ya está configurado.")
    secret = (sealer().unseal(user.totp_pending_sealed) if user.totp_pending_sealed
              else pyotp.random_base32())
    user.totp_pending_sealed = sealer().seal(secret)
    session().flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username,
                                              issuer_name=settings().security.totp_issuer)
    return secret, uri


def confirm_enrolment(user: StaffUser, code: str, *, ip: str | None) -> list[str]:
    """Confirm the offered seed with a code; returns the recovery codes (shown once).

    Audits ``staff.totp_enrolled``.
    """
    if user.totp_enrolled or not user.totp_pending_sealed:
        raise Conflict("No hay una configuración de autenticador pendiente.")
    typed = normalize_code(code)
    secret = sealer().unseal(user.totp_pending_sealed)
    step = _totp_step(typed, secret) if typed.isdigit() and len(typed) == 6 else None
    if step is None:
        _register_failure(user, ip, "código de enrolamiento")
        raise AuthError("El código no coincide. Revise la hora de su teléfono e intente con "
                        "el código que aparece ahora.", status=400)
    user.totp_secret_sealed = user.totp_pending_sealed
    user.totp_pending_sealed = None
    user.totp_enrolled_at = timeutil.now()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    audit.record("staff.totp_enrolled", actor=audit.Actor(user.username, "personal", ip),
                 object_type="staff", object_id=user.username,
                 summary="Autenticador configurado y códigos de recuperación emitidos")
    return codes


def _new_recovery_codes(user: StaffUser) -> list[str]:
    user.recovery_codes.clear()
    codes = [new_code(groups=3, size=4) for _ in range(settings().security.recovery_code_count)]
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=code_hasher().hash(normalize_code(code))))
    session().flush()
    return codes


def reseal_totp_seeds(*, actor: audit.Actor) -> int:
    """Re-seal every TOTP seed (enrolled or pending) under the current data key.

    After it, [security].previous_data_keys can be emptied. Audits ``keys.rotated`` with the
    count only. Returns how many seeds were re-sealed; a seed no configured key opens stops
    the rotation (ValueError) with nothing written.
    """
    count = 0
    for user in session().scalars(select(StaffUser).order_by(StaffUser.id)):
        for column in ("totp_secret_sealed", "totp_pending_sealed"):
            sealed = getattr(user, column)
            if sealed:
                setattr(user, column, sealer().rotate(sealed))
                count += 1
    session().flush()
    audit.record("keys.rotated", actor=actor, object_type="keys", object_id="data_key",
                 summary=f"Semillas TOTP selladas de nuevo con la llave vigente ({count})",
                 details={"seeds": count})
    return count


def regenerate_recovery_codes(user: StaffUser, *, actor: audit.Actor) -> list[str]:
    """Replace every recovery code (shown once). Audits it."""
    codes = _new_recovery_codes(user)
    audit.record("staff.recovery_codes_renewed", actor=actor, object_type="staff",
                 object_id=user.username, summary="Códigos de recuperación renovados")
    return codes


def change_password(user: StaffUser, *, current: str, new: str, ip: str | None) -> None:
    """The person changes their own password. Audits ``staff.password_changed``."""
    if not hasher().verify(user.password_hash, current):
        _register_failure(user, ip, "contraseña actual")
        raise ValidationError("La contraseña actual no es correcta.",
                              {"current": "No es correcta."})
    check_password_policy(new, username=user.username)
    if hasher().verify(user.password_hash, new):
        raise ValidationError("La nueva contraseña debe ser distinta de la actual.",
                              {"password": "Debe ser distinta."})
    user.password_hash = hasher().hash(new)
    user.must_change_password = False
    user.session_version += 1
    session().flush()
    audit.record("staff.password_changed", actor=audit.Actor(user.username, "personal", ip),
                 object_type="staff", object_id=user.username,
                 summary="La persona cambió su contraseña")


def emails_of(role: Role, *, unit_clues: str | None = None,
              jurisdiction_code: str | None = None) -> list[str]:
    """E-mail addresses of the active staff holding ``role`` (in that unit / jurisdiction)."""
    query = (select(StaffUser.email).join(StaffRole, StaffRole.staff_id == StaffUser.id)
             .where(StaffRole.role == role, StaffUser.active.is_(True)))
    if unit_clues is not None:
        query = query.where(StaffRole.unit_clues == unit_clues)
    if jurisdiction_code is not None:
        query = query.where(StaffRole.jurisdiction_code == jurisdiction_code)
    return sorted(set(session().scalars(query)))


def it_emails() -> list[str]:
    """Everyone of the Departamento de Informática (staff and head)."""
    return emails_of(Role.INFORMATICA) + emails_of(Role.JEFE_INFORMATICA)
