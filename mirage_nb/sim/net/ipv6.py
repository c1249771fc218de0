"""IPv6 (RFC 8200): header codec, pseudo-header for upper-layer checksums."""

from __future__ import annotations

import struct

__all__ = ["pseudo_header_v6"]

_PSEUDO = struct.Struct("!16s16sI3xB")


def pseudo_header_v6(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The 40-byte pseudo-header of RFC 8200 §8.1 (upper-layer length is 32 bits)."""
    return _PSEUDO.pack(src, dst, length, proto)
