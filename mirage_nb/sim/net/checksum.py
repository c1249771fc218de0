"""The Internet checksum (RFC 1071), shared by IPv4, ICMP, ICMPv6, UDP and TCP."""

from __future__ import annotations

__all__ = ["internet_checksum", "ones_complement_sum"]


def ones_complement_sum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """The folded 16-bit one's-complement sum of ``data`` (odd lengths padded with a zero byte).

    Why a big integer: 2**16 is 1 modulo 0xFFFF, so the sum of the big-endian
    16-bit words is the whole buffer read as one integer, modulo 0xFFFF
    (RFC 1071 §2). One C-level conversion beats a Python loop over words.
    """
    b = bytes(data)
    if len(b) & 1:
        b += b"\x00"
    n = (int.from_bytes(b, "big") + initial) % 0xFFFF
    # A one's-complement sum is 0 only when everything summed is zero ("+0");
    # a nonzero multiple of 0xFFFF is "-0", written 0xFFFF.
    if n == 0 and (initial or any(b)):
        return 0xFFFF
    return n


def internet_checksum(data: bytes | bytearray | memoryview, initial: int = 0) -> int:
    """The value to put in a header's checksum field: the complement of the folded sum."""
    return (~ones_complement_sum(data, initial)) & 0xFFFF
