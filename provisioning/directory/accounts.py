"""Account operations on Active Directory: find, name, create, link, enable, verify.

No database here: the IT step's job (``it.tasks``) reads the request, calls ``provision``
and records what it returns. ``provision`` is idempotent: it first looks for an account that
already carries the person's CURP, so a retry after a crash (the DC created the account but
Alta never recorded it) finds that account instead of making a second one. An existing
account that is disabled, has adminCount=1 or lives outside Alta's OUs is not linked or
touched (``LinkNeedsConfirmation``) until IT confirms it (``LinkApproval``).

Accounts are identified by objectGUID, never by comparing DN strings: the DC may escape a DN
differently from how it was written.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ldap3.utils.dn import parse_dn, to_dn

from provisioning import naming
from provisioning.config import DirectorySettings
from provisioning.directory.connection import (
    BIND_REASONS,
    Directory,
    Entry,
    escape_filter_chars,
    escape_rdn,
)
from provisioning.directory.errors import (
    BindRefused,
    DirectoryError,
    InvalidValue,
    LinkNeedsConfirmation,
    NameTaken,
    NoSuchEntry,
)

USER_CLASSES = ("top", "person", "organizationalPerson", "user")
# userAccountControl bits.
ACCOUNTDISABLE = 0x2
NORMAL_ACCOUNT = 0x200
# pwdLastSet: 0 = must change at next logon; -1 = "now" (the password is in use).
MUST_CHANGE, PASSWORD_IN_USE = 0, -1
# Lengths the AD schema allows (rangeUpper).
CN_MAX, NAME_MAX, DISPLAY_NAME_MAX, UNIT_MAX = 64, 64, 256, 128

PASSWORD_LENGTH = 32
_SYMBOLS = "-_.!#%+=:@"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + _SYMBOLS
# Why an existing account with the person's CURP waits for IT instead of being linked: Alta
# would hand it to whoever activates it (a new password, enabled). Spanish, for IT's page.
DISABLED, ADMIN, OUTSIDE_OU = "disabled", "admin", "outside_ou"
CONCERNS = {
    DISABLED: "está deshabilitada: al vincularla, quedaría habilitada de nuevo cuando la "
              "persona la active",
    ADMIN: "tiene adminCount=1: es o fue una cuenta con privilegios de administración",
    OUTSIDE_OU: "está fuera de las unidades organizativas que administra Alta",
}
# Windows AD refuses a password containing the account name or any 3+ character piece of
# the display name, split at these characters.
_NAME_TOKEN_SPLIT = re.compile(r"[,.\-_#\s\t]+")


@dataclass(frozen=True)
class Person:
    """What the directory needs to know about the person whose account is made."""

    curp: str
    given_names: str
    first_surname: str
    second_surname: str | None
    folio: str  # written to description: it marks the accounts Alta created, and for whom
    unit_name: str
    unit_clues: str
    unit_type: str
    jurisdiction_code: str
    staff_type_code: str
    wants_email: bool = False
    expires_at: datetime | None = None  # temporary staff: accountExpires (None: never)

    @property
    def surnames(self) -> str:
        """Both surnames, as on the form."""
        return " ".join(p for p in (self.first_surname, self.second_surname) if p)

    @property
    def full_name(self) -> str:
        """Given names and surnames, as on the form."""
        return f"{self.given_names} {self.surnames}"


@dataclass(frozen=True)
class Account:
    """An account as read from the directory."""

    guid: str
    dn: str  # as the DC returned it; for display and member values, never for comparison
    sam_account_name: str
    user_principal_name: str | None
    user_account_control: int
    pwd_last_set: int | None
    description: tuple[str, ...]
    curp: str | None
    display_name: str | None
    groups: tuple[str, ...]  # memberOf DNs
    admin_count: int = 0  # 1: protected by AdminSDHolder (is or was privileged)
    account_expires: int | None = None  # FILETIME; 0 or NEVER_EXPIRES: never

    @property
    def expires_at(self) -> datetime | None:
        """When the account stops accepting sign-ins (accountExpires), or None: never."""
        return from_filetime(self.account_expires)

    @property
    def enabled(self) -> bool:
        """True unless ACCOUNTDISABLE is set."""
        return not self.user_account_control & ACCOUNTDISABLE

    @property
    def must_change_password(self) -> bool:
        """True when the next logon must change the password (pwdLastSet = 0)."""
        return self.pwd_last_set == 0


@dataclass(frozen=True)
class Outcome:
    """What ``provision`` did: created a new account, or linked one that existed."""

    account: Account
    created: bool


@dataclass(frozen=True)
class LinkApproval:
    """IT confirmed linking the account ``guid`` although it showed ``concerns``."""

    guid: str
    concerns: frozenset[str]


def _attributes(directory: Directory) -> list[str]:
    return ["objectGUID", "sAMAccountName", "userPrincipalName", "userAccountControl",
            "pwdLastSet", "description", "displayName", "memberOf", "adminCount",
            "accountExpires", directory.settings.curp_attribute]


def _account(directory: Directory, entry: Entry) -> Account:
    pwd_last_set = entry.first("pwdLastSet")
    return Account(
        guid=entry.guid, dn=entry.dn, sam_account_name=entry.first("sAMAccountName") or "",
        user_principal_name=entry.first("userPrincipalName"),
        user_account_control=int(entry.first("userAccountControl") or 0),
        pwd_last_set=int(pwd_last_set) if pwd_last_set is not None else None,
        description=tuple(entry.values("description")),
        curp=entry.first(directory.settings.curp_attribute),
        display_name=entry.first("displayName"),
        groups=tuple(entry.values("memberOf")),
        admin_count=int(entry.first("adminCount") or 0),
        account_expires=_int_or_none(entry.first("accountExpires")))


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


# accountExpires counts 100-nanosecond intervals since 1601-01-01 UTC; 0 and the largest
# 64-bit value both mean "never".
NEVER_EXPIRES = 0x7FFFFFFFFFFFFFFF
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def filetime(moment: datetime) -> int:
    """``moment`` (aware, or naive UTC) as an accountExpires value."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_filetime(value: int | None) -> datetime | None:
    """An accountExpires value as an aware UTC datetime (None: never expires)."""
    if value in (None, 0, NEVER_EXPIRES):
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=value // 10)


# ---------------------------------------------------------------------------------------------
# Reading


def find_by_curp(directory: Directory, curp: str) -> list[Account]:
    """Every user account in the domain whose CURP attribute holds ``curp``."""
    attr = directory.settings.curp_attribute
    found = directory.search(f"(&(objectCategory=person)(objectClass=user)"
                             f"({attr}={escape_filter_chars(curp)}))",
                             attributes=_attributes(directory))
    return [_account(directory, e) for e in found]


def get(directory: Directory, guid: str) -> Account | None:
    """The account with this objectGUID, or None."""
    entry = directory.read(f"<GUID={guid}>", _attributes(directory))
    return _account(directory, entry) if entry is not None else None


def _require(directory: Directory, guid: str) -> Account:
    account = get(directory, guid)
    if account is None:
        raise NoSuchEntry("La cuenta ya no existe en el directorio (objectGUID "
                          f"{guid}).")
    return account


def name_is_free(directory: Directory, sam: str) -> bool:
    """True when neither the sAMAccountName nor its UPN exists anywhere in the domain."""
    return not directory.search(_name_filter(directory, [sam]), attributes=["objectGUID"],
                                size_limit=1)


def _name_filter(directory: Directory, names: Iterable[str]) -> str:
    return f"(|{_name_terms(directory, names)})"


def _name_terms(directory: Directory, names: Iterable[str]) -> str:
    suffix = escape_filter_chars(directory.settings.upn_suffix.lower())
    return "".join(f"(sAMAccountName={escape_filter_chars(n)})"
                   f"(userPrincipalName={escape_filter_chars(n)}@{suffix})" for n in names)


# ---------------------------------------------------------------------------------------------
# Where accounts go


def policy(directory: Directory) -> naming.NamingPolicy:
    """The configured naming policy."""
    s = directory.settings
    return naming.NamingPolicy(pattern=s.naming_pattern, max_length=s.naming_max_length)


def candidate_names(directory: Directory, person: Person) -> Iterator[str]:
    """sAMAccountName candidates for ``person`` in order of preference."""
    try:
        return naming.candidates(person.given_names, person.first_surname,
                                 person.second_surname, policy(directory))
    except naming.NamingError as exc:
        raise InvalidValue(exc.message) from None


def ou_for(directory: Directory, person: Person) -> str:
    """The OU of a new account: by unit type, else by jurisdiction, else users_ou."""
    s = directory.settings
    relative = (s.ou_by_unit_type.get(person.unit_type)
                or s.ou_by_jurisdiction.get(person.jurisdiction_code) or s.users_ou)
    return directory.absolute(relative)


def managed_ous(directory: Directory) -> list[str]:
    """Alta's OUs (absolute DNs): users_ou, the OUs by unit type and jurisdiction, and
    ``managed_ous``; the accounts below them are Alta's to link."""
    s = directory.settings
    relative = [s.users_ou, *s.ou_by_unit_type.values(), *s.ou_by_jurisdiction.values(),
                *s.managed_ous, s.disabled_ou]
    return list({directory.absolute(ou).lower(): directory.absolute(ou)
                 for ou in relative if ou}.values())


def in_managed_ou(directory: Directory, account: Account) -> bool:
    """True when the account lives below one of Alta's OUs (the DC matches the DN)."""
    dn = escape_filter_chars(account.dn)
    return any(directory.search(f"(distinguishedName={dn})", base=ou, attributes=["objectGUID"],
                                size_limit=1) for ou in managed_ous(directory))


def link_concerns(directory: Directory, person: Person, account: Account) -> frozenset[str]:
    """Why linking ``account`` to ``person``'s request needs IT first (empty: it does not).

    An account this very request's job made (its folio in description: a retry after a
    crash) is disabled by design, so only its privileges and OU count.
    """
    found = set()
    if not account.enabled and person.folio not in account.description:
        found.add(DISABLED)
    if account.admin_count:
        found.add(ADMIN)
    if not in_managed_ou(directory, account):
        found.add(OUTSIDE_OU)
    return frozenset(found)


def ensure_ou(directory: Directory, dn: str) -> None:
    """Create the organizational units of ``dn`` that do not exist yet (top down)."""
    if directory.known_dns.get(dn.lower()) == "ou":
        return
    rdns = to_dn(dn)
    depth = len(to_dn(directory.base_dn))
    for i in range(len(rdns) - depth - 1, -1, -1):
        partial = ",".join(rdns[i:])
        if directory.known_dns.get(partial.lower()) == "ou":
            continue
        if directory.read(partial, ["objectClass"]) is None:
            if not rdns[i].upper().startswith("OU="):
                raise NoSuchEntry(f"No existe el contenedor «{partial}» en el directorio y "
                                  "Alta solo crea unidades organizativas (OU=).")
            with suppress(NameTaken):  # created meanwhile by another worker
                directory.add(partial, ["top", "organizationalUnit"], {})
        directory.known_dns[partial.lower()] = "ou"


def ensure_group(directory: Directory, name: str, parent_dn: str) -> str:
    """The DN of the group whose sAMAccountName is ``name``: the existing one wherever it
    is, else a new global security group ``CN=name`` under ``parent_dn`` (created with its
    OUs). Idempotent; used to give the demo's throwaway DC its SIEMPRE access group."""
    try:
        return resolve_group(directory, name)
    except NoSuchEntry:
        pass
    parent = directory.absolute(parent_dn)
    ensure_ou(directory, parent)
    dn = f"CN={escape_rdn(name)},{parent}"
    with suppress(NameTaken):  # created meanwhile
        directory.add(dn, ["top", "group"], {"sAMAccountName": name})
    return resolve_group(directory, name)


def forget_ou(directory: Directory, dn: str) -> None:
    """Forget what is known about ``dn`` and the OUs below the domain on its path."""
    rdns = to_dn(dn)
    for i in range(len(rdns)):
        directory.known_dns.pop(",".join(rdns[i:]).lower(), None)


def resolve_group(directory: Directory, name_or_dn: str) -> str:
    """The DN of a group given by DN (relative to the domain or full) or by its name."""
    key = f"group:{name_or_dn.lower()}"
    if key in directory.known_dns:
        return directory.known_dns[key]
    if "=" in name_or_dn:
        entry = directory.read(directory.absolute(name_or_dn), ["objectClass"])
    else:
        found = directory.search(f"(&(objectClass=group)"
                                 f"(sAMAccountName={escape_filter_chars(name_or_dn)}))",
                                 attributes=["objectClass"])
        entry = found[0] if found else None
    if entry is None or "group" not in [v.lower() for v in entry.values("objectClass")]:
        raise NoSuchEntry(f"El grupo «{name_or_dn}» de la configuración no existe en el "
                          "directorio.")
    directory.known_dns[key] = entry.dn
    return entry.dn


def groups_for(directory: Directory, person: Person) -> list[str]:
    """DNs of the groups a new account joins: everyone's, plus its tipo de personal's."""
    s = directory.settings
    names = [*s.groups, *s.groups_by_staff_type.get(person.staff_type_code, ())]
    return list(dict.fromkeys(resolve_group(directory, n) for n in names))


def add_to_groups(directory: Directory, account: Account, group_dns: Iterable[str]) -> Account:
    """Make the account a member of each group (already being one is fine); returns it with
    its new groups."""
    current = {g.lower() for g in account.groups}
    added: list[str] = []
    for group in group_dns:
        if group.lower() in current:
            continue
        try:
            directory.modify(group, {"member": [("add", [account.dn])]})
        except (NameTaken, InvalidValue) as exc:
            if exc.ldap_result not in ("entryAlreadyExists", "attributeOrValueExists"):
                raise
        except NoSuchEntry:
            directory.known_dns = {k: v for k, v in directory.known_dns.items()
                                   if v.lower() != group.lower()}
            raise
        added.append(group)
    return replace(account, groups=account.groups + tuple(added))


# ---------------------------------------------------------------------------------------------
# Creating


def random_password(avoid: Iterable[str] = (), length: int = PASSWORD_LENGTH) -> str:
    """A password nobody will see: every character class, none of the ``avoid`` words."""
    banned = [w.lower() for w in avoid if len(w) >= 3]
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        lowered = password.lower()
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)
                and any(c in _SYMBOLS for c in password)
                and not any(word in lowered for word in banned)):
            return password


def encode_password(password: str) -> bytes:
    """unicodePwd's form: the password in double quotes, UTF-16-LE."""
    return f'"{password}"'.encode("utf-16-le")


def _cut(text: str, limit: int) -> str:
    return text.strip()[:limit].rstrip()


def user_attributes(s: DirectorySettings, person: Person, sam: str, cn: str) -> dict:
    """Every attribute of a new account, its random password and disabled state included."""
    display = _cut(person.full_name, DISPLAY_NAME_MAX)
    attributes: dict[str, object] = {
        "cn": cn,
        "sAMAccountName": sam,
        "userPrincipalName": naming.user_principal_name(sam, s.upn_suffix),
        "givenName": _cut(person.given_names, NAME_MAX),
        "sn": _cut(person.surnames, NAME_MAX),
        "displayName": display,
        "description": person.folio,
        s.curp_attribute: person.curp,
        # Disabled, with a random password nobody sees, to be changed at first logon: the
        # credential hand-off sets the person's own password and enables the account.
        "userAccountControl": NORMAL_ACCOUNT | ACCOUNTDISABLE,
        "pwdLastSet": MUST_CHANGE,
        "unicodePwd": encode_password(random_password(
            [sam, *_NAME_TOKEN_SPLIT.split(display)])),
    }
    if s.unit_attribute:
        attributes[s.unit_attribute] = _cut(person.unit_name, UNIT_MAX)
    if s.clues_attribute:
        attributes[s.clues_attribute] = person.unit_clues
    if person.wants_email and s.mail_domain:
        attributes["mail"] = f"{sam}@{s.mail_domain.lower()}"
    if person.expires_at is not None:
        attributes["accountExpires"] = str(filetime(person.expires_at))
    return attributes


def create(directory: Directory, person: Person, sam: str, ou_dn: str, *,
           cn_taken: bool = False) -> Account:
    """Add the user in one operation: attributes, random password and disabled state.

    If the DC refuses, nothing was created. The CN is the person's name; when another entry
    of the OU already has it (``cn_taken``, or the DC says so) it is "NAME (sam)".
    """
    for attempt in (1, 2, 3):
        cn = _common_name(person, sam if cn_taken else None)
        dn = f"CN={escape_rdn(cn)},{ou_dn}"
        try:
            directory.add(dn, USER_CLASSES, user_attributes(directory.settings, person, sam, cn))
        except NameTaken as exc:
            if exc.what != "dn" or cn_taken:
                raise
            cn_taken = True
            continue
        except NoSuchEntry:
            if attempt > 2:
                raise
            # The OU vanished since it was cached: create it again.
            forget_ou(directory, ou_dn)
            ensure_ou(directory, ou_dn)
            continue
        entry = directory.read(dn, _attributes(directory))
        if entry is None:
            raise DirectoryError(f"El controlador de dominio aceptó la cuenta {sam} pero no la "
                                 "devuelve al leerla; se reintentará.")
        return _account(directory, entry)
    raise AssertionError("unreachable")  # pragma: no cover


def _common_name(person: Person, sam: str | None) -> str:
    """The CN: the person's name, with "(sam)" when a namesake already has that CN."""
    if sam is None:
        return _cut(person.full_name, CN_MAX)
    suffix = f" ({sam})"
    return _cut(person.full_name, CN_MAX - len(suffix)) + suffix


# How many candidate names one search checks once the preferred one is taken.
NAME_PROBE = 10


def _free_names(directory: Directory, names: list[str], first_free: bool) -> Iterator[str]:
    """The candidates that neither a sAMAccountName nor a UPN uses, in order."""
    if first_free:
        yield names[0]
    rest = names[1:]
    suffix = "@" + directory.settings.upn_suffix.lower()
    for start in range(0, len(rest), NAME_PROBE):
        chunk = rest[start:start + NAME_PROBE]
        taken: set[str] = set()
        for entry in directory.search(_name_filter(directory, chunk),
                                      attributes=["sAMAccountName", "userPrincipalName"]):
            taken.add((entry.first("sAMAccountName") or "").lower())
            upn = (entry.first("userPrincipalName") or "").lower()
            if upn.endswith(suffix):
                taken.add(upn[: -len(suffix)])
        yield from (name for name in chunk if name not in taken)


def provision(directory: Directory, person: Person,
              approved: LinkApproval | None = None) -> Outcome:
    """Make sure ``person`` has exactly one account; idempotent.

    1. An account with the person's CURP exists: link it (``created`` is True when its
       description is this request's folio, i.e. an earlier run of this job made it). If
       it is disabled, has adminCount=1 or lives outside Alta's OUs, nothing is written and
       LinkNeedsConfirmation is raised, unless ``approved`` names it and covers every one
       of those concerns.
    2. Otherwise take the first candidate name whose sAMAccountName and UPN are both free,
       and create the account in one add (disabled, random password) in the configured OU,
       then add it to the configured groups.
    One search answers the usual case: the CURP, the preferred name and the CN together. A
    name taken between the check and the add (another worker, another run of this job)
    makes it look for the CURP again before trying the next name.
    """
    names = list(candidate_names(directory, person))
    first = names[0]
    ou_dn = ou_for(directory, person)
    cn = _common_name(person, None)
    attr = directory.settings.curp_attribute
    curp = escape_filter_chars(person.curp)
    dn = escape_filter_chars(f"CN={escape_rdn(cn)},{ou_dn}")
    found = directory.search(
        f"(|(&(objectCategory=person)(objectClass=user)({attr}={curp}))"
        f"{_name_terms(directory, [first])}(distinguishedName={dn}))",
        attributes=[*_attributes(directory), "cn"])
    accounts = [_account(directory, e) for e in found]
    mine = [a for a in accounts if (a.curp or "").upper() == person.curp]
    if mine:
        return _link(directory, person, mine, approved)
    upn = f"{first}@{directory.settings.upn_suffix.lower()}"
    first_free = not any(a.sam_account_name.lower() == first
                         or (a.user_principal_name or "").lower() == upn for a in accounts)
    cn_taken = any((e.first("cn") or "").lower() == cn.lower() for e in found)
    group_dns = groups_for(directory, person)  # before any write: a bad group stops here
    ensure_ou(directory, ou_dn)
    for sam in _free_names(directory, names, first_free):
        try:
            account = create(directory, person, sam, ou_dn, cn_taken=cn_taken)
        except NameTaken:
            again = find_by_curp(directory, person.curp)
            if again:
                return _link(directory, person, again, approved)
            continue
        return Outcome(add_to_groups(directory, account, group_dns), created=True)
    raise InvalidValue(f"No queda ningún nombre de cuenta libre para {person.full_name}: "
                       f"del «{first}» al {naming.MAX_SUFFIX} ya existen. Revise el directorio.")


def _link(directory: Directory, person: Person, accounts: list[Account],
          approved: LinkApproval | None) -> Outcome:
    if len(accounts) > 1:
        names = ", ".join(sorted(a.sam_account_name for a in accounts))
        raise DirectoryError(f"Hay {len(accounts)} cuentas con la CURP {person.curp} en el "
                             f"directorio ({names}). Deje solo una y reintente.")
    existing = accounts[0]
    concerns = link_concerns(directory, person, existing)
    if concerns and not (approved is not None and approved.guid == existing.guid
                         and concerns <= approved.concerns):
        raise LinkNeedsConfirmation(existing, concerns)  # before any write
    if DISABLED in concerns:
        existing = _bring_back(directory, person, existing)
    elif person.expires_at is not None and existing.expires_at != person.expires_at:
        existing = set_expiry(directory, existing.guid, person.expires_at)
    account = add_to_groups(directory, existing, groups_for(directory, person))
    return Outcome(account, created=person.folio in account.description)


def _bring_back(directory: Directory, person: Person, account: Account) -> Account:
    """Re-ingreso: a disabled account IT confirmed for this person leaves the bajas OU for
    the person's OU and its expiry becomes the new request's (none, or a temporary
    person's end), so the activation that enables it gives a working account. Still
    disabled: only the person's activation enables it."""
    disabled_ou = directory.settings.disabled_ou
    if disabled_ou and below(directory, account, directory.absolute(disabled_ou)):
        account = move(directory, account.guid, ou_for(directory, person))
    if account.expires_at != person.expires_at:
        account = set_expiry(directory, account.guid, person.expires_at)
    return account


# ---------------------------------------------------------------------------------------------
# Later stages (credential hand-off, SIEMPRE access)


def set_password(directory: Directory, guid: str, password: str, *, enable: bool = True,
                 must_change: bool = False, old_password: str | None = None) -> Account:
    """Set the account's password and (by default) enable it, in one modification.

    Without ``old_password`` this is an administrator's reset; with it, a change that the DC
    checks like the user's own (history, minimum age, the old password). If the DC refuses
    the password (PasswordRejected: too short, complexity, history…) nothing changes.
    ``must_change`` asks for a new password at the next logon.
    """
    account = _require(directory, guid)
    if old_password is not None:
        pwd_changes = [("delete", [encode_password(old_password)]),
                       ("add", [encode_password(password)])]
    else:
        pwd_changes = [("replace", [encode_password(password)])]
    uac = account.user_account_control
    uac = (uac & ~ACCOUNTDISABLE) if enable else uac
    directory.modify(account.dn, {
        "unicodePwd": pwd_changes,
        "userAccountControl": [("replace", [uac])],
        "pwdLastSet": [("replace", [MUST_CHANGE if must_change else PASSWORD_IN_USE])],
    })
    return _require(directory, guid)


def set_enabled(directory: Directory, guid: str, enabled: bool) -> Account:
    """Enable or disable the account."""
    account = _require(directory, guid)
    uac = account.user_account_control
    uac = (uac & ~ACCOUNTDISABLE) if enabled else (uac | ACCOUNTDISABLE)
    directory.modify(account.dn, {"userAccountControl": [("replace", [uac])]})
    return _require(directory, guid)


# What ``verify_password`` reads and binds for no account: no entry has this GUID, and none
# this common name in the users OU (Alta never names an account so: it has no dot).
NO_ACCOUNT_GUID = "00000000-0000-0000-0000-000000000000"
NO_ACCOUNT_CN = "alta-sin-cuenta"


def no_account_dn(directory: Directory) -> str:
    """A DN that names no entry, bound when a user name names no account that may sign in."""
    return f"CN={NO_ACCOUNT_CN},{directory.absolute(directory.settings.users_ou)}"


def verify_password(directory: Directory, guid: str | None, password: str) -> None:
    """Check that the account can sign in with ``password``; BindRefused says why not.

    Without ``guid`` (a user name that may not sign in), or for an account the DC no longer
    has, the same read and bind happen for an entry that does not exist and the answer is a
    wrong password: that answer costs what a real account's costs, so neither its words nor
    its time tell whether the account exists.
    """
    account = get(directory, guid or NO_ACCOUNT_GUID)
    directory.check_credentials(account.dn if account else no_account_dn(directory), password)
    if account is None:  # only if someone made that entry: still no account of Alta's
        raise BindRefused(BIND_REASONS["52e"][1], reason="bad_credentials")


def grant_siempre_access(directory: Directory, guid: str) -> Account:
    """Add the account to the configured SIEMPRE access group."""
    group = directory.settings.siempre_group
    if not group:
        raise InvalidValue("No hay grupo de acceso a SIEMPRE configurado "
                           "([directory].siempre_group).")
    return add_to_groups(directory, _require(directory, guid), [resolve_group(directory, group)])


# ---------------------------------------------------------------------------------------------
# The end of an account (baja) and its moves (cambio de adscripción)


@dataclass(frozen=True)
class Retirement:
    """What ``retire`` left: the account as the DC shows it afterwards and the groups it
    was taken out of in this run (an account already retired gives an empty tuple)."""

    account: Account
    removed_groups: tuple[str, ...]


def granted_groups(directory: Directory) -> list[str]:
    """DNs of every group Alta grants, SIEMPRE's first: the groups a baja takes away. A
    configured group the DC no longer has is skipped (nobody can be in it)."""
    s = directory.settings
    names = [s.siempre_group, *s.groups,
             *(g for groups in s.groups_by_staff_type.values() for g in groups)]
    found: list[str] = []
    for name in dict.fromkeys(n for n in names if n):
        with suppress(NoSuchEntry):
            found.append(resolve_group(directory, name))
    return list(dict.fromkeys(found))


def remove_from_groups(directory: Directory, account: Account,
                       group_dns: Iterable[str]) -> tuple[str, ...]:
    """Take the account out of each of ``group_dns`` it is a member of, in that order;
    returns the groups it left (not being a member is fine)."""
    member_of = {g.lower() for g in account.groups}
    removed: list[str] = []
    for group in group_dns:
        if group.lower() not in member_of:
            continue
        try:
            directory.modify(group, {"member": [("delete", [account.dn])]})
        except InvalidValue as exc:  # removed meanwhile (another run of the same job)
            if exc.ldap_result not in ("noSuchAttribute", "unwillingToPerform"):
                raise
            continue
        removed.append(group)
    return tuple(removed)


def below(directory: Directory, account: Account, ou_dn: str) -> bool:
    """True when the account lives directly in ``ou_dn`` (the DC compares the DNs)."""
    dn = escape_filter_chars(account.dn)
    return bool(directory.search(f"(distinguishedName={dn})", base=ou_dn, scope="one",
                                 attributes=["objectGUID"], size_limit=1))


def move(directory: Directory, guid: str, ou_dn: str) -> Account:
    """Move the account into ``ou_dn`` (created if missing), keeping its objectGUID; a
    namesake there makes its CN "NAME (sam)" (or "NAME (sam guid8)" when the CN carried the
    sam already). Already there: nothing changes."""
    account = _require(directory, guid)
    ensure_ou(directory, ou_dn)
    if below(directory, account, ou_dn):
        return account
    cn = parse_dn(account.dn)[0][1]
    name = _rdn_value(cn)
    tags = (account.sam_account_name, f"{account.sam_account_name} {guid[:8]}")
    for rdn in dict.fromkeys([f"CN={cn}", *(f"CN={escape_rdn(_with_suffix(name, tag))}"
                                            for tag in tags)]):
        try:
            directory.move(account.dn, rdn, ou_dn)
        except NameTaken:
            continue
        return _require(directory, guid)
    raise NameTaken(f"Ya existen en «{ou_dn}» cuentas con el nombre de "
                    f"{account.sam_account_name}.", what="dn")


def _rdn_value(escaped: str) -> str:
    """An RDN value as text (ldap3 returns it escaped)."""
    out, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\" and i + 1 < len(escaped):
            out.append(escaped[i + 1])
            i += 2
            continue
        out.append(escaped[i])
        i += 1
    return "".join(out)


def _with_suffix(name: str, tag: str) -> str:
    """``name`` with " (tag)" (an earlier " (…)" suffix replaced), within the CN's length."""
    base = re.sub(r" \([^()]*\)$", "", name)
    suffix = f" ({tag})"
    return _cut(base, CN_MAX - len(suffix)) + suffix


def set_expiry(directory: Directory, guid: str, moment: datetime | None) -> Account:
    """Set accountExpires (None: never). Idempotent."""
    account = _require(directory, guid)
    value = filetime(moment) if moment is not None else NEVER_EXPIRES
    if account.account_expires != value:
        directory.modify(account.dn, {"accountExpires": [("replace", [str(value)])]})
        account = _require(directory, guid)
    return account


def retire(directory: Directory, guid: str, *, expires_at: datetime,
           disabled_ou: str | None) -> Retirement:
    """The baja on the DC; idempotent, and safe to run again after a failure midway.

    In this order: out of every group Alta grants (SIEMPRE first, so access to the record
    ends before anything else), disabled (userAccountControl) with accountExpires at
    ``expires_at`` (kept when the account already expired earlier), then moved into
    ``disabled_ou``. The account is never deleted here.
    """
    account = _require(directory, guid)
    removed = remove_from_groups(directory, account, granted_groups(directory))
    account = _require(directory, guid)
    expires = filetime(expires_at)
    if account.expires_at is not None and account.account_expires < expires:
        expires = account.account_expires
    uac = account.user_account_control | ACCOUNTDISABLE
    if uac != account.user_account_control or account.account_expires != expires:
        directory.modify(account.dn, {"userAccountControl": [("replace", [uac])],
                                      "accountExpires": [("replace", [str(expires)])]})
    if disabled_ou:
        account = move(directory, guid, directory.absolute(disabled_ou))
    return Retirement(_require(directory, guid), removed)


@dataclass(frozen=True)
class Relocation:
    """What ``relocate`` left: the account afterwards and the groups it joined and left."""

    account: Account
    added_groups: tuple[str, ...]
    removed_groups: tuple[str, ...]


def relocate(directory: Directory, guid: str, person: Person) -> Relocation:
    """The cambio de adscripción on the DC; idempotent.

    The account moves to the OU of ``person``'s new unit (same objectGUID), its unit and
    CLUES attributes take the new unit's, and its groups are recomputed: it joins those a new
    account of that unit and staff type would get, and leaves the other groups Alta grants,
    except SIEMPRE's (access to the record follows the person, not the unit).
    """
    account = move(directory, guid, ou_for(directory, person))
    s = directory.settings
    changes: dict[str, list[tuple[str, list[object]]]] = {}
    if s.unit_attribute:
        changes[s.unit_attribute] = [("replace", [_cut(person.unit_name, UNIT_MAX)])]
    if s.clues_attribute:
        changes[s.clues_attribute] = [("replace", [person.unit_clues])]
    if changes:
        directory.modify(account.dn, changes)
    wanted = groups_for(directory, person)
    siempre = {resolve_group(directory, s.siempre_group).lower()} if s.siempre_group else set()
    keep = {g.lower() for g in wanted} | siempre
    removed = remove_from_groups(directory, account, [
        g for g in granted_groups(directory) if g.lower() not in keep])
    before = {g.lower() for g in _require(directory, guid).groups}
    account = add_to_groups(directory, _require(directory, guid), wanted)
    added = tuple(g for g in wanted if g.lower() not in before)
    return Relocation(_require(directory, guid), added, removed)
