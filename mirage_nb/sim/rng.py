"""Randomness from the run's seed: ``Mirage_crypto_rng.generate`` and ``Randomconv``.

The real unikernel draws from Fortuna seeded by entropy; the simulation draws
from ``random.Random(seed)`` owned by the run, so the same seed gives the same
bytes, and so the same run. ``Randomconv`` turns bytes into numbers with the
same algorithm as the OCaml library (little-endian reads, a bit mask, then
rejection until the value is below the bound), so a unikernel consumes the
same number of bytes as the real one would.
"""

from __future__ import annotations

from collections.abc import Callable

from mirage_nb.errors import SimulationError
from mirage_nb.sim.crypto import Entropy
from mirage_nb.sim.run import current_run

__all__ = ["Mirage_crypto_rng", "Randomconv"]

_MAX_INT = (1 << 62) - 1  # OCaml's max_int on 64-bit


class Mirage_crypto_rng:
    """Twin of ``Mirage_crypto_rng``: ``generate n`` gives n bytes from the run's seeded generator."""

    Entropy = Entropy

    @staticmethod
    def generate(n: int) -> bytes:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise SimulationError(f"Mirage_crypto_rng.generate expects a length >= 0, got {n!r}")
        return current_run().rng.randbytes(n)


Gen = Callable[[int], bytes]


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _to_ocaml_int(v: int) -> int:
    """Int64.to_int on 64-bit: keep the low 63 bits, signed."""
    v &= (1 << 63) - 1
    return v - (1 << 63) if v >= 1 << 62 else v


class Randomconv:
    """Twin of the ``randomconv`` library."""

    @staticmethod
    def int8(g: Gen) -> int:
        return g(1)[0]

    @staticmethod
    def int16(g: Gen) -> int:
        return int.from_bytes(g(2)[:2], "little")

    @staticmethod
    def int32(g: Gen) -> int:
        return _signed(int.from_bytes(g(4)[:4], "little"), 32)

    @staticmethod
    def int64(g: Gen) -> int:
        return _signed(int.from_bytes(g(8)[:8], "little"), 64)

    @staticmethod
    def int(g: Gen, bound: int = _MAX_INT) -> int:
        """A number in [0, bound), by masking then rejecting, as ``Randomconv.int ~bound g``."""
        if bound <= 0:
            raise SimulationError("Randomconv.int: bound smaller or equal 0 not supported")
        if bound == 1:
            return 0
        mask = (1 << (bound - 1).bit_length()) - 1
        while True:
            if bound <= 256:
                r = Randomconv.int8(g)
            elif bound <= 65536:
                r = Randomconv.int16(g)
            else:
                r = _to_ocaml_int(Randomconv.int64(g))
            r &= mask
            if r < bound:
                return r
