"""Secrets handling shared by every domain: argon2id hashing, one-time codes, sealed seeds.

Nothing here logs or returns a secret except the freshly generated value to its caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from provisioning.config import Settings

# Codes read aloud or typed from paper: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class Hasher:
    """argon2id with a given cost; tells when a stored hash needs an upgrade."""

    def __init__(self, *, time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
        self._ph = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib,
                                  parallelism=parallelism, type=Type.ID)
        self._dummy_hash: str | None = None

    @classmethod
    def for_passwords(cls, settings: Settings) -> Hasher:
        """The slow hash for what people choose (guessable): [security].argon2_*."""
        sec = settings.security
        return cls(time_cost=sec.argon2_time_cost, memory_cost_kib=sec.argon2_memory_cost_kib,
                   parallelism=sec.argon2_parallelism)

    @classmethod
    def for_codes(cls, settings: Settings) -> Hasher:
        """A cheaper argon2id for random codes (60+ bits): guessing them is hopeless anyway,
        so the cost only has to stop a fast offline sweep: [security].code_argon2_*."""
        sec = settings.security
        return cls(time_cost=sec.code_argon2_time_cost,
                   memory_cost_kib=sec.code_argon2_memory_cost_kib, parallelism=1)

    @property
    def _dummy(self) -> str:
        # Verifying against this when a user does not exist keeps timing uniform. Made on
        # first use, so commands that never check a password do not pay for it.
        if self._dummy_hash is None:
            self._dummy_hash = self._ph.hash(secrets.token_hex(16))
        return self._dummy_hash

    def hash(self, secret: str) -> str:
        """Hash ``secret`` for storage."""
        return self._ph.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        """True when ``secret`` matches ``stored``; a missing hash costs the same time."""
        try:
            return self._ph.verify(stored or self._dummy, secret) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than the configured ones."""
        try:
            return self._ph.check_needs_rehash(stored)
        except InvalidHashError:
            return True


class Sealer:
    """Authenticated symmetric encryption for the few secrets that must be read back.

    Only TOTP seeds use it: the server must recompute codes, so a hash will not do. Seals
    under [security].data_key; also opens what [security].previous_data_keys sealed, until
    ``rotate`` has re-sealed it (MultiFernet).
    """

    def __init__(self, settings: Settings) -> None:
        sec = settings.security
        keys = [sec.data_key or settings.app.secret_key, *sec.previous_data_keys]
        self._fernet = MultiFernet([Fernet(_fernet_key(k)) for k in keys])

    def seal(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` under the current key."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def unseal(self, token: str) -> str:
        """Decrypt a value made by seal; raises ValueError when it was tampered with."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value is invalid or the key changed") from exc

    def rotate(self, token: str) -> str:
        """The same secret sealed under the current key (ValueError if no key opens it)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed value is invalid or the key changed") from exc


def _fernet_key(material: str) -> bytes:
    """A Fernet key from a configured key of any form (at least 32 characters)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"alta-sealer",
               info=b"totp-seed").derive(material.encode())
    return base64.urlsafe_b64encode(key)


class Pseudonymizer:
    """Keyed hashes of identifiers (CURP, DN, user name) for the audit log.

    The log is hash-chained and kept longer than the request, so it must not hold the
    person's identifiers in clear; an HMAC lets whoever can run Alta (and so holds the key)
    find the events of a CURP they are given, while the log alone reveals nothing (a CURP
    is guessable, so a plain hash would not do). The key is derived like the Sealer's:
    changing ``[security].data_key`` (or ``[app].secret_key`` without it) makes the hashes
    already in the log unfindable.
    """

    KINDS = ("curp", "dn", "user")

    def __init__(self, settings: Settings) -> None:
        material = (settings.security.data_key or settings.app.secret_key).encode()
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"alta-pseudonym",
            info=b"audit-identifiers").derive(material)

    def digest(self, kind: str, value: str) -> str:
        """Hex HMAC-SHA256 of the normalized ``value`` (CURP upper case, DN and user name
        lower case, all without spaces at either end), bound to its ``kind``."""
        assert kind in self.KINDS
        text = value.strip()
        text = "".join(text.split()).upper() if kind == "curp" else text.lower()
        return hmac_sha256_hex(self._key, f"{kind}:{text}".encode())


def hasher() -> Hasher:
    """The current application's Hasher."""
    return current_app.extensions["alta.hasher"]


def code_hasher() -> Hasher:
    """The current application's Hasher for random codes (tracking, recovery, activation)."""
    return current_app.extensions["alta.code_hasher"]


def sealer() -> Sealer:
    """The current application's Sealer."""
    return current_app.extensions["alta.sealer"]


def pseudonym(kind: str, value: str) -> str:
    """The current application's keyed hash of an identifier (see Pseudonymizer)."""
    return current_app.extensions["alta.pseudonymizer"].digest(kind, value)


def new_code(groups: int = 4, size: int = 4) -> str:
    """A random code like ``7KQ2-M9XD-...`` from CODE_ALPHABET (about 5 bits a character)."""
    chars = [secrets.choice(CODE_ALPHABET) for _ in range(groups * size)]
    return "-".join("".join(chars[i : i + size]) for i in range(0, len(chars), size))


def normalize_code(text: str) -> str:
    """Canonical form of a typed code: upper case, without spaces or hyphens."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hmac_sha256_hex(key: bytes, data: bytes) -> str:
    """Hex HMAC-SHA256 of ``data``."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def canonical_json(value: object) -> bytes:
    """The bytes a content hash is taken over: sorted keys, compact, UTF-8 (not ASCII-escaped)."""
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
