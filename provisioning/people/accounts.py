"""The person's Active Directory account as Alta recorded it (identified by objectGUID).

Written by the IT step when it creates or links the account of a request, and by the
reconciliation when it links an account the directory import found to a person (an
*adopted* account: no request explains it). Read by the hand-off, activation,
pre-registration (accounts of requests only), the lifecycle, reviews and roster (every
account of the person), privacy and retention. No LDAP here: what the DC says now is
``provisioning.directory``'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from provisioning import db, timeutil
from provisioning.db import Base

# created: made by Alta for a request; linked: the request's CURP already had an account;
# imported: an existing account the reconciliation linked to the person (no request).
CREATED, LINKED, IMPORTED = "created", "linked", "imported"
ORIGIN_LABELS = {CREATED: "creada por Alta", LINKED: "ya existía con su CURP y se vinculó",
                 IMPORTED: "importada del directorio y vinculada a la persona"}


class Case(Protocol):
    """Anything of the person's with an id that an account was made for (a request)."""

    id: int


class DirectoryAccount(Base):
    """A person's Active Directory account, as the DC reported it: the account of a
    request, or one the directory import found and the reconciliation linked (no request)."""

    __tablename__ = "directory_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"), unique=True,
        comment="One account per request; a second recording is refused. "
                "NULL: adopted from the directory import")
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id"), index=True, comment="Whose account (from the request)")
    # Indexed: people type it on the public activation and pre-registration pages.
    sam_account_name: Mapped[str] = mapped_column(String(20), index=True)
    user_principal_name: Mapped[str] = mapped_column(String(300))
    object_guid: Mapped[str] = mapped_column(
        String(36), index=True, comment="The account's identity; the DN may change")
    dn: Mapped[str] = mapped_column(String(1000), comment="As returned; never compared")
    origin: Mapped[str] = mapped_column(
        String(10), comment="created: made by Alta; linked: the CURP already had an account; "
                            "imported: adopted from the directory import")
    created_at: Mapped[datetime]

    @property
    def created(self) -> bool:
        """True when Alta made the account (False: it existed and was linked)."""
        return self.origin == CREATED


def forget_names(request_ids: list[int]) -> int:
    """Blank the DN, user name and UPN recorded for these requests' accounts (retention:
    they spell out the person's names). The GUID stays: it names no one and still ties the
    tombstone to the account in the directory. Returns how many."""
    result = db.session().execute(
        update(DirectoryAccount).where(DirectoryAccount.request_id.in_(request_ids))
        .values(dn="", sam_account_name="", user_principal_name="")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def export_rows(request: Case) -> list[dict[str, str]]:
    """The request's directory account for the person's data export (never a password)."""
    account = account_of(request)
    if account is None:
        return []
    return [{"usuario": account.sam_account_name,
             "nombre_principal_upn": account.user_principal_name,
             "nombre_distinguido_dn": account.dn,
             "origen": ORIGIN_LABELS.get(account.origin, account.origin),
             "registrada_el": timeutil.format_datetime(account.created_at, seconds=True)}]


def account_of(request: Case) -> DirectoryAccount | None:
    """The request's recorded AD account, if any."""
    return db.session().scalar(
        select(DirectoryAccount).where(DirectoryAccount.request_id == request.id))


def adopt(*, person_id: int, object_guid: str, sam_account_name: str, dn: str,
          at: datetime) -> DirectoryAccount:
    """Record an existing account the reconciliation linked to a person (origin
    ``imported``, no request), so that bajas, cambios, reviews and the roster reach it like
    the accounts Alta made. Idempotent: the person's row for that objectGUID is returned if
    there is one (one Alta made or linked for a request is never duplicated)."""
    session = db.session()
    existing = session.scalar(select(DirectoryAccount).where(
        DirectoryAccount.object_guid == object_guid, DirectoryAccount.person_id == person_id)
        .order_by(DirectoryAccount.id).limit(1))
    if existing is not None:
        return existing
    row = DirectoryAccount(request_id=None, person_id=person_id, object_guid=object_guid,
                           sam_account_name=sam_account_name[:20], user_principal_name="",
                           dn=dn[:1000], origin=IMPORTED, created_at=at)
    session.add(row)
    session.flush()
    return row


def release(object_guid: str) -> int:
    """Undo ``adopt`` for an account whose link was undone (or which was marked a service or
    shared account): its ``imported`` rows go; accounts of requests stay. How many went."""
    result = db.session().execute(
        delete(DirectoryAccount).where(DirectoryAccount.object_guid == object_guid,
                                       DirectoryAccount.origin == IMPORTED)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
