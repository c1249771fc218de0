"""The crypto twins against published test vectors (and the cryptography package where installed)."""

from __future__ import annotations

from mirage_nb.sim.crypto import Rsa, chacha20_poly1305_encrypt
from mirage_nb.sim.fmt import asprintf
from mirage_nb.sim.hexdump import Ohex
from mirage_nb.sim.run import Run


def test_chacha20_poly1305_rfc8439_section_2_8_2() -> None:
    key = bytes(range(0x80, 0xA0))
    nonce = bytes.fromhex("070000004041424344454647")
    aad = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
    pt = (
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
        b"sunscreen would be it."
    )
    out = chacha20_poly1305_encrypt(key, nonce, pt, aad)
    assert out[:16] == bytes.fromhex("d31a8d34648e60db7b86afbc53ef7ec2")
    assert out[-16:] == bytes.fromhex("1ae10b594f09e26a7e902ecbd0600691")


def test_chacha20_poly1305_agrees_with_cryptography() -> None:
    from cryptography.hazmat.primitives.ciphers import aead

    for n in (0, 1, 15, 16, 17, 64, 200):
        key, nonce, msg = bytes(range(32)), bytes(range(12)), bytes(range(n))
        assert chacha20_poly1305_encrypt(key, nonce, msg, b"hdr") == aead.ChaCha20Poly1305(key).encrypt(
            nonce, msg, b"hdr"
        )


def test_rsa_keys_come_from_the_seed_and_signatures_verify() -> None:
    keys: list[tuple[int, int, bool, bool]] = []

    async def main() -> None:
        k = Rsa.generate(bits=512)
        sig = Rsa.PKCS1.sign("SHA256", k, ("Message", "hi"))
        pub = Rsa.pub_of_priv(k)
        keys.append(
            (
                k.n,
                Rsa.priv_bits(k),
                Rsa.PKCS1.verify(lambda h: True, pub, sig, ("Message", "hi")),
                Rsa.PKCS1.verify(lambda h: True, pub, sig, ("Message", "ho")),
            )
        )

    Run(seed=4).run(main)
    Run(seed=4).run(main)
    assert keys[0] == keys[1]
    n, bits, ok, forged = keys[0]
    assert bits == 512 and ok and not forged


def test_ohex_hexdump_layout() -> None:
    # checked against ohex's pp_hexdump in the OCaml toplevel
    assert asprintf("%a", Ohex.pp_hexdump(), "ABC") == "000000  4142 43" + " " * 35 + "ABC\n"
    assert asprintf("%a", Ohex.pp_hexdump(), "0123456789abcdef") == (
        "000000  3031 3233 3435 3637  3839 6162 6364 6566  0123456789abcdef\n"
    )
