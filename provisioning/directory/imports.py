"""Reading every user account under a base for the directory import: a paged search that
streams entries (one page of the DC's answer in memory at a time, never the whole list).

Values only (``ImportedEntry``); what Alta keeps of them is ``provisioning.reconciliation``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from provisioning.directory.accounts import ACCOUNTDISABLE, from_filetime
from provisioning.directory.connection import Directory, normalized_dn
from provisioning.directory.errors import InvalidValue

USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
PAGE_SIZE = 500


@dataclass(frozen=True)
class ImportedEntry:
    """One user account as the import reads it."""

    guid: str
    sam_account_name: str
    dn: str  # as the DC returned it; for display and OU filters, never an identity
    enabled: bool
    groups: tuple[str, ...]  # memberOf DNs
    created_at: datetime | None  # whenCreated
    last_logon_at: datetime | None  # lastLogonTimestamp (replicated, ~14 days late at most)
    expires_at: datetime | None  # accountExpires (None: never)
    curp: str | None
    given_name: str | None
    surname: str | None
    display_name: str | None

    @property
    def ou(self) -> str:
        """The DN of the container the account is in."""
        return parent_dn(self.dn)


def attributes(curp_attribute: str) -> list[str]:
    """The attributes the import reads of each account."""
    return ["objectGUID", "sAMAccountName", "userAccountControl", "memberOf", "whenCreated",
            "lastLogonTimestamp", "accountExpires", "givenName", "sn", "displayName",
            curp_attribute]


class Stream:
    """The accounts under ``base``, read page by page; ``complete`` once all were read.

    Iterating yields ``ImportedEntry`` values. The search runs on the directory's
    connection of this thread; a DC that stops answering or refuses the search raises a
    ``DirectoryError`` (``complete`` stays False).
    """

    def __init__(self, directory: Directory, base: str | None = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.directory = directory
        self.base = directory.absolute(base) if base else directory.base_dn
        self.page_size = page_size
        self.complete = False

    def __iter__(self) -> Iterator[ImportedEntry]:
        curp_attribute = self.directory.settings.curp_attribute
        for entry in self.directory.paged_search(
                USER_FILTER, base=self.base, attributes=attributes(curp_attribute),
                page_size=self.page_size):
            yield _entry(entry.dn, entry.raw, curp_attribute)
        self.complete = True


def _first(raw: dict[str, list[bytes]], name: str) -> str | None:
    for key, values in raw.items():
        if key.lower() == name.lower() and values:
            return values[0].decode("utf-8", errors="replace")
    return None


def _all(raw: dict[str, list[bytes]], name: str) -> tuple[str, ...]:
    for key, values in raw.items():
        if key.lower() == name.lower():
            return tuple(v.decode("utf-8", errors="replace") for v in values)
    return ()


def _entry(dn: str, raw: dict[str, list[bytes]], curp_attribute: str) -> ImportedEntry:
    guid = next(str(uuid.UUID(bytes_le=values[0])) for key, values in raw.items()
                if key.lower() == "objectguid" and values)
    control = int(_first(raw, "userAccountControl") or 0)
    logon = _first(raw, "lastLogonTimestamp")
    expires = _first(raw, "accountExpires")
    curp = (_first(raw, curp_attribute) or "").strip().upper() or None
    return ImportedEntry(
        guid=guid, sam_account_name=_first(raw, "sAMAccountName") or "", dn=dn,
        enabled=not control & ACCOUNTDISABLE, groups=_all(raw, "memberOf"),
        created_at=generalized_time(_first(raw, "whenCreated")),
        last_logon_at=from_filetime(int(logon)) if logon else None,
        expires_at=from_filetime(int(expires)) if expires else None,
        curp=curp, given_name=_first(raw, "givenName"), surname=_first(raw, "sn"),
        display_name=_first(raw, "displayName"))


def generalized_time(value: str | None) -> datetime | None:
    """An LDAP GeneralizedTime (``20261207045300.0Z``) as an aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parent_dn(dn: str) -> str:
    """The DN without its first RDN (as written by the DC)."""
    end = _first_rdn_end(dn)
    return dn[end + 1:].strip() if end >= 0 else ""


def _first_rdn_end(dn: str) -> int:
    """Index of the comma that ends the first RDN (escaped commas skipped)."""
    escaped = False
    for index, ch in enumerate(dn):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            return index
    return -1


def dn_key(dn: str) -> str:
    """``dn`` as one comparable string: parsed, lower-case, without spaces around the
    separators (two spellings of one DN give the same key; an unparsable DN is kept
    lower-case)."""
    try:
        return ",".join(f"{a}={v}" for a, v in normalized_dn(dn))
    except InvalidValue:
        return dn.strip().lower()


def within(dn: str, base: str) -> bool:
    """Whether ``dn`` is ``base`` or below it (compared parsed and without case)."""
    try:
        inner, outer = normalized_dn(dn), normalized_dn(base)
    except InvalidValue:  # an unparsable DN is not inside anything
        return False
    return len(inner) >= len(outer) and inner[len(inner) - len(outer):] == outer
