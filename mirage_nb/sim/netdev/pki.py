"""Throw-away certificates for experiments and tests: a self-signed CA and a server certificate it signs.

Why here: the TLS examples read ``server.pem``/``server.key`` from a kv_ro
directory, and no private key is ever shipped with mirage_nb. A notebook or
a test calls :func:`write_test_pki` to make one, valid for the names and
addresses given, and trusts ``ca.pem`` in its client (curl ``--cacert``, the
HTTP peer's ``ca=``). Keys are ECDSA P-256 (or RSA 2048 with ``key_type="rsa"``),
fresh on each call.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from mirage_nb.errors import SimulationError

__all__ = ["TestPki", "make_test_pki", "write_test_pki"]


@dataclass(frozen=True)
class TestPki:
    """PEM bytes of the CA certificate, the server certificate and the server's private key."""

    __test__ = False  # not a pytest class

    ca: bytes
    cert: bytes
    key: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key(key_type: str) -> Any:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise SimulationError(f"key type {key_type!r}: expected 'ec' (P-256) or 'rsa' (2048 bits)")


def make_test_pki(names: Iterable[str] = ("localhost", "10.0.0.2"), *, key_type: str = "ec") -> TestPki:
    """A CA and a server certificate for ``names`` (DNS names or IP addresses), valid for a day."""
    names = list(names)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=1)
    ca_key = _key(key_type)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("mirage_nb test CA"))
        .issuer_name(_name("mirage_nb test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = _key(key_type)
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0] if names else "server"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # server and client: the same pair serves a website and authenticates a syslog sender (syslog_tls)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return TestPki(
        ca.public_bytes(pem),
        cert.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def write_test_pki(
    directory: str, names: Iterable[str] = ("localhost", "10.0.0.2"), *, key_type: str = "ec"
) -> TestPki:
    """Write ``server.pem``, ``server.key`` and ``ca-roots.crt`` (the CA) into ``directory`` for tls-mirage."""
    pki = make_test_pki(names, key_type=key_type)
    os.makedirs(directory, exist_ok=True)
    for fname, data in (("server.pem", pki.cert), ("server.key", pki.key), ("ca-roots.crt", pki.ca)):
        path = os.path.join(directory, fname)
        with open(path, "wb") as f:
            f.write(data)
        if fname.endswith(".key"):
            os.chmod(path, 0o600)
    return pki
