"""Reading every user account under a base for the directory import: a paged search that
streams entries (a few pages of the DC's answer in memory at a time, never the whole list).

The search runs in a reader thread of its own, so the DC prepares the next page while the
caller stores the last one: the two sides work at once instead of taking turns (the DC and
Alta each took about half of an import's time when they waited for each other).

Values only (``ImportedEntry``); what Alta keeps of them is ``provisioning.reconciliation``'s.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from provisioning.directory.accounts import ACCOUNTDISABLE, from_filetime
from provisioning.directory.connection import Directory, normalized_dn
from provisioning.directory.errors import InvalidValue

USER_FILTER = "(&(objectCategory=person)(objectClass=user))"
# Characters that need the full DN parser (escapes, quotes, multi-valued RDNs).
_SPECIAL = frozenset('\\"+;<>#')
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

    Iterating yields ``ImportedEntry`` values. The search runs in a reader thread on that
    thread's own connection to the DC, at most ``AHEAD`` pages ahead of the caller (memory
    stays bounded whatever the size of the directory). A DC that stops answering or refuses
    the search raises its ``DirectoryError`` in the caller (``complete`` stays False); a
    caller that stops early stops the reader too.
    """

    AHEAD = 2  # pages read and waiting for the caller

    def __init__(self, directory: Directory, base: str | None = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.directory = directory
        self.base = directory.absolute(base) if base else directory.base_dn
        self.page_size = page_size
        self.complete = False

    def __iter__(self) -> Iterator[ImportedEntry]:
        pages: queue.Queue[list[ImportedEntry] | BaseException | None] = queue.Queue(
            maxsize=self.AHEAD)
        stop = threading.Event()
        reader = threading.Thread(target=self._read, args=(pages, stop), daemon=True,
                                  name="alta-directory-import")
        reader.start()
        try:
            while (page := pages.get()) is not None:
                if isinstance(page, BaseException):
                    raise page
                yield from page
            self.complete = True
        finally:
            stop.set()
            while reader.is_alive():  # unblock a reader waiting to hand over a page
                with contextlib.suppress(queue.Empty):
                    pages.get(timeout=0.1)
            reader.join()

    def _read(self, pages: queue.Queue[list[ImportedEntry] | BaseException | None],
              stop: threading.Event) -> None:
        """The reader thread: every page of the search into ``pages``, then None (or the
        error that ended it); its connection to the DC is closed when it ends."""

        def hand_over(item: list[ImportedEntry] | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        curp_attribute = self.directory.settings.curp_attribute
        page: list[ImportedEntry] = []
        try:
            for entry in self.directory.paged_search(
                    USER_FILTER, base=self.base, attributes=attributes(curp_attribute),
                    page_size=self.page_size):
                page.append(_entry(entry.dn, entry.raw, curp_attribute))
                if len(page) >= self.page_size:
                    if not hand_over(page):
                        return
                    page = []
            if page and not hand_over(page):
                return
            hand_over(None)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            hand_over(exc)
        finally:
            self.directory.close_thread()


def _lowered(raw: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """The attributes by lower-case name (the DC spells names as its schema does)."""
    return {key.lower(): values for key, values in raw.items()}


def _first(attrs: dict[str, list[bytes]], name: str) -> str | None:
    values = attrs.get(name.lower())
    return values[0].decode("utf-8", errors="replace") if values else None


def _entry(dn: str, raw: dict[str, list[bytes]], curp_attribute: str) -> ImportedEntry:
    attrs = _lowered(raw)
    guid = str(uuid.UUID(bytes_le=attrs["objectguid"][0]))
    control = int(_first(attrs, "userAccountControl") or 0)
    logon = _first(attrs, "lastLogonTimestamp")
    expires = _first(attrs, "accountExpires")
    curp = (_first(attrs, curp_attribute) or "").strip().upper() or None
    return ImportedEntry(
        guid=guid, sam_account_name=_first(attrs, "sAMAccountName") or "", dn=dn,
        enabled=not control & ACCOUNTDISABLE,
        groups=tuple(v.decode("utf-8", errors="replace") for v in attrs.get("memberof", ())),
        created_at=generalized_time(_first(attrs, "whenCreated")),
        last_logon_at=from_filetime(int(logon)) if logon else None,
        expires_at=from_filetime(int(expires)) if expires else None,
        curp=curp, given_name=_first(attrs, "givenName"), surname=_first(attrs, "sn"),
        display_name=_first(attrs, "displayName"))


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
    if not any(ch in dn for ch in _SPECIAL):  # the usual DN: split it (a tenth of the cost)
        pairs = [rdn.split("=", 1) for rdn in dn.split(",")]
        if all(len(pair) == 2 and pair[0].strip() and pair[1].strip() for pair in pairs):
            return ",".join(f"{a.strip().lower()}={v.strip().lower()}" for a, v in pairs)
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
