"""The cryptography a unikernel reaches through mirage-crypto and digestif, fed by the run's seeded RNG.

- ``Entropy``: the sources ``Mirage_crypto_rng_mirage.initialize`` registers
  (``rdrand``, then ``timer``), listed sorted by name as mirage-crypto does,
  as on an x86 CPU with RDRAND.
- ``Digestif``: MD5, SHA1, SHA256, SHA384, SHA512 (hashlib).
- ``Chacha20``: ChaCha20-Poly1305 AEAD written from RFC 8439.
- ``Rsa``: key generation from the run's RNG (so a seed gives the same key),
  PKCS#1 v1.5 signatures with a DigestInfo prefix (RFC 8017 §9.2). Pure
  Python: a 4096-bit key takes seconds.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.run import current_run

__all__ = ["Entropy", "Digestif", "Chacha20", "Rsa", "Mirage_crypto", "Mirage_crypto_pk", "chacha20_poly1305_encrypt"]


class Entropy:
    """Twin of ``Mirage_crypto_rng.Entropy``'s listing of sources."""

    @staticmethod
    def sources() -> list[tuple[int, str]]:
        # registered in this order by initialize (rdrand task, then the timer accumulator), listed by name
        return sorted([(0, "rdrand"), (1, "timer")], key=lambda s: s[1])

    @staticmethod
    def pp_source(ppf: Any, source: tuple[int, str]) -> None:
        ppf.fprintf("[%d] %s", source[0], source[1])


@dataclass(frozen=True)
class _Hash:
    name: str

    def digest_string(self, s: str | bytes) -> bytes:
        data = s.encode("latin-1") if isinstance(s, str) else s
        return hashlib.new(self.name, data).digest()

    @staticmethod
    def to_raw_string(d: bytes) -> str:
        return d.decode("latin-1")


class Digestif:
    """Twin of ``Digestif.MD5`` ... ``Digestif.SHA512`` (``digest_string``, ``to_raw_string``)."""

    MD5 = _Hash("md5")
    SHA1 = _Hash("sha1")
    SHA256 = _Hash("sha256")
    SHA384 = _Hash("sha384")
    SHA512 = _Hash("sha512")


# -- ChaCha20-Poly1305 (RFC 8439) -------------------------------------------------

_MASK = 0xFFFFFFFF


def _rotl(v: int, c: int) -> int:
    return ((v << c) & _MASK) | (v >> (32 - c))


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & _MASK
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _MASK
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _MASK
    s[b] = _rotl(s[b] ^ s[c], 7)


def _chacha_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    """RFC 8439 §2.3: one 64-byte block of key stream."""
    state = [
        0x61707865,
        0x3320646E,
        0x79622D32,
        0x6B206574,
        *struct.unpack("<8I", key),
        counter,
        *struct.unpack("<3I", nonce),
    ]
    w = list(state)
    for _ in range(10):
        _quarter(w, 0, 4, 8, 12)
        _quarter(w, 1, 5, 9, 13)
        _quarter(w, 2, 6, 10, 14)
        _quarter(w, 3, 7, 11, 15)
        _quarter(w, 0, 5, 10, 15)
        _quarter(w, 1, 6, 11, 12)
        _quarter(w, 2, 7, 8, 13)
        _quarter(w, 3, 4, 9, 14)
    return struct.pack("<16I", *((x + y) & _MASK for x, y in zip(w, state, strict=True)))


def _chacha20(key: bytes, counter: int, nonce: bytes, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = _chacha_block(key, counter + i // 64, nonce)
        out += bytes(a ^ b for a, b in zip(data[i : i + 64], ks, strict=False))
    return bytes(out)


def _poly1305(key: bytes, msg: bytes) -> bytes:
    """RFC 8439 §2.5."""
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i : i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def chacha20_poly1305_encrypt(key: bytes, nonce: bytes, plaintext: bytes, adata: bytes = b"") -> bytes:
    """RFC 8439 §2.8: ciphertext followed by the 16-byte tag."""
    if len(key) != 32 or len(nonce) != 12:
        raise SimulationError("ChaCha20-Poly1305 needs a 32-byte key and a 12-byte nonce")
    otk = _chacha_block(key, 0, nonce)[:32]
    ct = _chacha20(key, 1, nonce, plaintext)

    def pad16(b: bytes) -> bytes:
        return b + bytes(-len(b) % 16)

    mac_data = pad16(adata) + pad16(ct) + struct.pack("<QQ", len(adata), len(ct))
    return ct + _poly1305(otk, mac_data)


class Chacha20:
    """Twin of ``Mirage_crypto.Chacha20`` (``of_secret``, ``authenticate_encrypt``)."""

    @staticmethod
    def of_secret(s: str | bytes) -> bytes:
        return s.encode("latin-1") if isinstance(s, str) else bytes(s)

    @staticmethod
    def authenticate_encrypt(key: bytes, nonce: str | bytes, data: str | bytes, adata: str | bytes = b"") -> str:
        def b(x: str | bytes) -> bytes:
            return x.encode("latin-1") if isinstance(x, str) else bytes(x)

        return chacha20_poly1305_encrypt(key, b(nonce), b(data), b(adata)).decode("latin-1")


# -- RSA ---------------------------------------------------------------------------


def _small_primes(n: int) -> list[int]:
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b"\0\0"
    for i in range(2, int(n**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(n + 1) if sieve[i]]


_SMALL_PRODUCT = math.prod(_small_primes(5000))


def _miller_rabin(n: int, a: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    x = pow(a, d, n)
    if x in (1, n - 1):
        return True
    for _ in range(s - 1):
        x = x * x % n
        if x == n - 1:
            return True
    return False


def _prime(bits: int, randbits: Callable[[int], int], e: int) -> int:
    while True:
        # the two top bits set, so that the product of two such primes has exactly 2*bits bits
        c = randbits(bits) | (3 << (bits - 2)) | 1
        if math.gcd(c, _SMALL_PRODUCT) != 1 or math.gcd(c - 1, e) != 1:
            continue
        if _miller_rabin(c, 2) and all(_miller_rabin(c, 2 + randbits(32) % (c - 4)) for _ in range(6)):
            return c


@dataclass(frozen=True)
class RsaPub:
    e: int
    n: int


@dataclass(frozen=True)
class RsaPriv:
    e: int
    d: int
    n: int
    p: int
    q: int


_DIGEST_INFO = {"SHA256": bytes.fromhex("3031300d060960864801650304020105000420")}


def _emsa_pkcs1(hash_name: str, message: bytes, k: int) -> bytes:
    if hash_name not in _DIGEST_INFO:
        raise SimulationError(f"PKCS1 signatures here support SHA256, not {hash_name}")
    t = _DIGEST_INFO[hash_name] + hashlib.sha256(message).digest()
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def _msg(m: Any) -> bytes:
    if isinstance(m, tuple) and m and m[0] == "Message":
        m = m[1]
    return m.encode("latin-1") if isinstance(m, str) else bytes(m)


class _Pkcs1:
    """Twin of ``Mirage_crypto_pk.Rsa.PKCS1``: ``sign`` and ``verify`` (messages as ``("Message", s)``)."""

    @staticmethod
    def sign(hash: str, key: RsaPriv, message: Any) -> str:
        k = (key.n.bit_length() + 7) // 8
        em = int.from_bytes(_emsa_pkcs1(hash, _msg(message), k), "big")
        return pow(em, key.d, key.n).to_bytes(k, "big").decode("latin-1")

    @staticmethod
    def verify(hashp: Callable[[str], bool], key: RsaPub, signature: str | bytes, message: Any) -> bool:
        if not hashp("SHA256"):
            return False
        sig = signature.encode("latin-1") if isinstance(signature, str) else bytes(signature)
        k = (key.n.bit_length() + 7) // 8
        em = pow(int.from_bytes(sig, "big"), key.e, key.n).to_bytes(k, "big")
        return em == _emsa_pkcs1("SHA256", _msg(message), k)


class Rsa:
    """Twin of ``Mirage_crypto_pk.Rsa``: keys come from the run's seeded RNG."""

    PKCS1 = _Pkcs1

    @staticmethod
    def generate(bits: int = 4096, e: int = 65537) -> RsaPriv:
        if bits < 64:
            raise SimulationError(f"Rsa.generate: {bits} bits is too small")
        rng = current_run().rng
        half = bits // 2
        while True:
            p = _prime(bits - half, rng.getrandbits, e)
            q = _prime(half, rng.getrandbits, e)
            if p != q and (p * q).bit_length() == bits:
                break
        d = pow(e, -1, (p - 1) * (q - 1))
        return RsaPriv(e, d, p * q, p, q)

    @staticmethod
    def pub_of_priv(key: RsaPriv) -> RsaPub:
        return RsaPub(key.e, key.n)

    @staticmethod
    def priv_bits(key: RsaPriv) -> int:
        return key.n.bit_length()


class Mirage_crypto:
    """Twin of the part of ``Mirage_crypto`` unikernels use here."""

    Chacha20 = Chacha20


class Mirage_crypto_pk:
    """Twin of ``Mirage_crypto_pk`` (RSA)."""

    Rsa = Rsa
