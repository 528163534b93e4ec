"""What the rest of Alta may ask of the directory: a small Protocol over plain values.

The IT step, the activation, the pre-registration (and the lifecycle work to come) depend on
``DirectoryPort`` only; ``LdapDirectory`` is the one implementation, over ldap3
(``connection`` and ``accounts``). Values in and out are the adapter's own dataclasses
(``Person``, ``Account``, ``Outcome``, ``LinkApproval``) and strings: never a database model.
Errors are ``directory.errors`` (each says whether a retry may help).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from provisioning.directory import accounts, connection
from provisioning.directory.accounts import (
    Account,
    LinkApproval,
    Outcome,
    Person,
    Relocation,
    Retirement,
)


class DirectoryPort(Protocol):
    """The directory operations Alta's workflows use."""

    def provision(self, person: Person, approved: LinkApproval | None = None) -> Outcome:
        """Make sure ``person`` has exactly one account (create or link); idempotent."""
        ...

    def account(self, guid: str) -> Account | None:
        """The account with this objectGUID as the DC shows it now, or None."""
        ...

    def set_password(self, guid: str, password: str, *, enable: bool = True) -> None:
        """Set the account's password (the person's own choice) and enable it."""
        ...

    def verify_password(self, guid: str | None, password: str) -> None:
        """Bind as the account (BindRefused when wrong; a dummy bind when ``guid`` is None,
        so unknown and known names take the same time)."""
        ...

    def grant_siempre_access(self, guid: str) -> Account:
        """Add the account to the SIEMPRE group; idempotent."""
        ...

    def retire(self, guid: str, *, expires_at: datetime) -> Retirement:
        """The baja: out of Alta's groups (SIEMPRE first), disabled, accountExpires set,
        moved to the disabled-users OU; idempotent. Never deletes the account."""
        ...

    def set_expiry(self, guid: str, moment: datetime | None) -> Account:
        """Set (or clear, with None) the account's accountExpires; idempotent."""
        ...

    def relocate(self, guid: str, person: Person) -> Relocation:
        """The cambio de adscripción: the new unit's OU, attributes and groups; idempotent."""
        ...


class LdapDirectory:
    """``DirectoryPort`` over the configured Active Directory (ldap3)."""

    def __init__(self, directory: connection.Directory) -> None:
        self._directory = directory

    def provision(self, person: Person, approved: LinkApproval | None = None) -> Outcome:
        return accounts.provision(self._directory, person, approved)

    def account(self, guid: str) -> Account | None:
        return accounts.get(self._directory, guid)

    def set_password(self, guid: str, password: str, *, enable: bool = True) -> None:
        accounts.set_password(self._directory, guid, password, enable=enable)

    def verify_password(self, guid: str | None, password: str) -> None:
        accounts.verify_password(self._directory, guid, password)

    def grant_siempre_access(self, guid: str) -> Account:
        return accounts.grant_siempre_access(self._directory, guid)

    def retire(self, guid: str, *, expires_at: datetime) -> Retirement:
        return accounts.retire(self._directory, guid, expires_at=expires_at,
                               disabled_ou=self._directory.settings.disabled_ou)

    def set_expiry(self, guid: str, moment: datetime | None) -> Account:
        return accounts.set_expiry(self._directory, guid, moment)

    def relocate(self, guid: str, person: Person) -> Relocation:
        return accounts.relocate(self._directory, guid, person)


def current() -> DirectoryPort:
    """The application's directory (DirectoryNotConfigured when there is none)."""
    return LdapDirectory(connection.current())
