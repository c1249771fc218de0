"""Twin of mirage-skeleton applications/crypto: random numbers, hashes, an AEAD and an RSA signature.

The random parts come from the run's seed. OCaml evaluates a function's
arguments right to left, so the four random numbers are drawn int64 first.
"""

from mirage_nb.unikernel import (
    Digestif,
    Fmt,
    Logs,
    Mirage_crypto,
    Mirage_crypto_pk,
    Mirage_crypto_rng,
    Ohex,
    Randomconv,
)

Chacha20 = Mirage_crypto.Chacha20
Rsa = Mirage_crypto_pk.Rsa


async def start() -> None:
    g = Mirage_crypto_rng.generate
    Logs.info(
        "using Fortuna, entropy sources: %a",
        Fmt.list(Mirage_crypto_rng.Entropy.pp_source, sep=Fmt.any(", ")),
        Mirage_crypto_rng.Entropy.sources(),
    )
    i64 = Randomconv.int64(g)
    i32 = Randomconv.int32(g)
    i16 = Randomconv.int16(g)
    i8 = Randomconv.int8(g)
    Logs.info("Random numbers: 0x%02X 0x%04X 0x%08lX 0x%016LX", i8, i16, i32, i64)
    Logs.info("64 byte random:@ %a", Ohex.pp_hexdump(), g(64))
    for name in ("MD5", "SHA1", "SHA256", "SHA384", "SHA512"):
        h = getattr(Digestif, name)
        Logs.info(f"{name} of the empty string %a", Ohex.pp_hexdump(), h.to_raw_string(h.digest_string("")))
    n = "\x00" * 32
    key = Chacha20.of_secret(n)
    nonce = "\x00" * 12
    Logs.info(
        "Chacha20/Poly1305 of 32*0, key 32*0, nonce 12*0: %a",
        Ohex.pp_hexdump(),
        Chacha20.authenticate_encrypt(key, nonce, n),
    )
    priv = Rsa.generate(bits=4096)
    signature = Rsa.PKCS1.sign("SHA256", priv, ("Message", n))
    verified = Rsa.PKCS1.verify(lambda h: h == "SHA256", Rsa.pub_of_priv(priv), signature, ("Message", n))
    Logs.info("Generated a RSA key of %d bits (sign + verify %B)", Rsa.priv_bits(priv), verified)
