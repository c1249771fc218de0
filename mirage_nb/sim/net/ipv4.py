"""IPv4 (RFC 791): header codec, pseudo-header for transport checksums.

Twin of mirage-tcpip's ``Ipv4_packet``/``Ipv4_wire``; the machine lives beside it.
"""

from __future__ import annotations

import struct

__all__ = ["pseudo_header_v4"]

_PSEUDO = struct.Struct("!4s4sxBH")


def pseudo_header_v4(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The 12-byte pseudo-header UDP and TCP checksums cover (RFC 768, RFC 9293 §3.1)."""
    return _PSEUDO.pack(src, dst, proto, length)
