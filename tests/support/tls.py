"""TLS for tests: a throwaway certificate authority and a server certificate for 127.0.0.1,
and what a browser sends as Referer and Origin under a Referrer-Policy."""

from __future__ import annotations

import dataclasses
import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass(frozen=True)
class Certificates:
    ca: Path  # the CA certificate a client trusts
    cert: Path  # the server's certificate (for 127.0.0.1 and localhost)
    key: Path  # the server's private key


def make_certificates(folder: Path) -> Certificates:
    """A CA made for this test and a server certificate it signed (ECDSA P-256, one day)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Alta test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    found.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    found.key.chmod(0o600)
    return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def browser_referer(policy: str | None, document: str, target: str) -> str | None:
    """The Referer a browser sends from ``document`` to ``target`` (W3C Referrer Policy).

    ``policy`` is the Referrer-Policy header the document came with; without one, browsers
    use strict-origin-when-cross-origin.
    """
    policy = (policy or "strict-origin-when-cross-origin").split(",")[-1].strip().lower()
    parts = urlsplit(document)
    full = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    same_origin = _origin(document) == _origin(target)
    downgrade = parts.scheme == "https" and urlsplit(target).scheme != "https"
    if policy == "no-referrer":
        return None
    if policy == "same-origin":
        return full if same_origin else None
    if policy == "origin":
        return _origin(document) + "/"
    if policy == "strict-origin":
        return None if downgrade else _origin(document) + "/"
    if policy == "origin-when-cross-origin":
        return full if same_origin else _origin(document) + "/"
    if policy == "unsafe-url":
        return full
    if policy == "no-referrer-when-downgrade":
        return None if downgrade else full
    # strict-origin-when-cross-origin
    if same_origin:
        return full
    return None if downgrade else _origin(document) + "/"


def browser_origin(policy: str | None, document: str, target: str) -> str:
    """The Origin header a browser sends on a form POST (Fetch: "serializing a request
    origin"): "null" when the policy withholds the referrer from this request."""
    policy = (policy or "strict-origin-when-cross-origin").split(",")[-1].strip().lower()
    downgrade = urlsplit(document).scheme == "https" and urlsplit(target).scheme != "https"
    if policy == "no-referrer":
        return "null"
    if policy == "same-origin" and _origin(document) != _origin(target):
        return "null"
    if downgrade and policy in ("no-referrer-when-downgrade", "strict-origin",
                                "strict-origin-when-cross-origin"):
        return "null"
    return _origin(document)
