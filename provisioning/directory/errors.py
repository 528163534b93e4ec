"""What can go wrong with the directory, as domain errors carrying a Spanish message.

ldap3 results and exceptions never leave ``provisioning.directory``: the adapter turns each
into one of these. ``retryable`` tells the job layer whether waiting can help (the DC is down,
the network failed) or a person must act (a name is taken, a password is too weak).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioning.errors import AltaError

if TYPE_CHECKING:
    from provisioning.directory.accounts import Account


class DirectoryError(AltaError):
    """The directory refused or failed an operation."""

    status = 502
    retryable = False

    def __init__(self, message: str, *, ldap_result: str | None = None) -> None:
        super().__init__(message)
        # The DC's result name (e.g. "constraintViolation"), for logs and audit details.
        self.ldap_result = ldap_result


class DirectoryNotConfigured(DirectoryError):
    """No [directory] section (or enabled = false).

    Retryable for queued work: it goes on once the directory is configured again.
    """

    status = 409
    retryable = True

    def __init__(self) -> None:
        super().__init__("No hay directorio configurado: Alta no puede crear ni consultar "
                         "cuentas de Active Directory. Pida al administrador que complete la "
                         "sección [directory] de la configuración.")


class DirectoryUnavailable(DirectoryError):
    """The DC cannot be reached, the TLS handshake failed, or it did not answer in time."""

    status = 503
    retryable = True


class ServiceAccountRejected(DirectoryError):
    """The DC refused the service account's own bind (wrong password, disabled, expired).

    Retryable: the fix happens outside Alta (a new password file, an unlocked account), and
    the queued work should then go on by itself.
    """

    status = 503
    retryable = True


class AccessDenied(DirectoryError):
    """The service account lacks a permission (e.g. to create users in an OU)."""


class NameTaken(DirectoryError):
    """The sAMAccountName, the UPN or the DN already exists."""

    status = 409

    def __init__(self, message: str, *, what: str, ldap_result: str | None = None) -> None:
        super().__init__(message, ldap_result=ldap_result)
        self.what = what  # "sam", "upn" or "dn"


class NoSuchEntry(DirectoryError):
    """The object (or the parent of a new one) does not exist."""

    status = 404


class PasswordRejected(DirectoryError):
    """The DC's password policy refused a password; ``reason`` says which rule."""

    status = 400

    def __init__(self, message: str, *, reason: str, ldap_result: str | None = None) -> None:
        super().__init__(message, ldap_result=ldap_result)
        # too_short | complexity | history | too_young | wrong_old_password | policy
        self.reason = reason


class BindRefused(DirectoryError):
    """A person's credentials were refused; ``reason`` is the AD 'data' code meaning."""

    status = 401

    def __init__(self, message: str, *, reason: str, ldap_result: str | None = None) -> None:
        super().__init__(message, ldap_result=ldap_result)
        # bad_credentials | must_change | disabled | locked | expired | password_expired |
        # not_permitted
        self.reason = reason


class InvalidValue(DirectoryError):
    """The DC refused an attribute value (syntax, length) or the request itself."""

    status = 400


class LinkNeedsConfirmation(DirectoryError):
    """The person's CURP is on an existing account that Alta must not take over on its own
    (disabled, adminCount=1, or outside the OUs Alta manages): nothing was linked or
    written; IT must confirm the link first. ``concerns`` holds ``accounts.CONCERNS`` keys."""

    status = 409

    def __init__(self, account: Account, concerns: frozenset[str]) -> None:
        super().__init__(f"La cuenta existente {account.sam_account_name} necesita la "
                         "confirmación de Informática antes de vincularse.")
        self.account = account
        self.concerns = concerns
