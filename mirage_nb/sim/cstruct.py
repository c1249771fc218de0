"""A few ``Cstruct`` functions over ``bytearray``/``memoryview`` (buffers shared, as Cstruct views are)."""

from __future__ import annotations

from typing import Any

from mirage_nb.errors import SimulationError

__all__ = ["Cstruct"]


class Cstruct:
    """Twin of the part of ``Cstruct`` unikernels use; a cstruct is a ``memoryview`` of a ``bytearray``."""

    @staticmethod
    def create(n: int) -> memoryview:
        """A zero-filled buffer of ``n`` bytes."""
        return memoryview(bytearray(n))

    create_unsafe = create

    @staticmethod
    def of_string(s: str | bytes) -> memoryview:
        return memoryview(bytearray(s.encode("latin-1") if isinstance(s, str) else s))

    @staticmethod
    def to_string(b: Any, off: int = 0, len: int | None = None) -> str:
        data = bytes(b)
        end = None if len is None else off + len
        return data[off:end].decode("latin-1")

    @staticmethod
    def length(b: Any) -> int:
        return memoryview(b).nbytes

    @staticmethod
    def sub(b: Any, off: int, len: int) -> memoryview:
        mv = memoryview(b)
        if off < 0 or len < 0 or off + len > mv.nbytes:
            raise SimulationError(f"Cstruct.sub: [{off}, {off + len}) is outside a buffer of {mv.nbytes} bytes")
        return mv[off : off + len]

    @staticmethod
    def shift(b: Any, n: int) -> memoryview:
        return Cstruct.sub(b, n, memoryview(b).nbytes - n)

    @staticmethod
    def equal(a: Any, b: Any) -> bool:
        return bytes(a) == bytes(b)

    @staticmethod
    def blit_from_string(s: str, srcoff: int, dst: Any, dstoff: int, n: int) -> None:
        memoryview(dst)[dstoff : dstoff + n] = s[srcoff : srcoff + n].encode("latin-1")

    @staticmethod
    def memset(b: Any, v: int) -> None:
        mv = memoryview(b)
        mv[:] = bytes([v]) * mv.nbytes

    @staticmethod
    def get_uint32_be(b: Any, off: int) -> int:
        return int.from_bytes(bytes(memoryview(b)[off : off + 4]), "big")

    @staticmethod
    def set_uint32_be(b: Any, off: int, v: int) -> None:
        memoryview(b)[off : off + 4] = (v & 0xFFFFFFFF).to_bytes(4, "big")
