"""The Internet checksum (RFC 1071), shared by IPv4, ICMP, ICMPv6, UDP and TCP."""

from __future__ import annotations

__all__ = ["internet_checksum", "ones_complement_sum", "raw_sum", "fold"]

_from_bytes = int.from_bytes


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


def raw_sum(data: bytes | bytearray | memoryview) -> int:
    """An unfolded sum of ``data`` congruent, modulo 0xFFFF, to its 16-bit word sum.

    Why: pieces that each start on a 16-bit boundary (a pseudo-header, then a
    segment) can be added as plain integers and folded once with :func:`fold`.
    An odd tail is padded by shifting one byte left instead of copying.
    """
    n = _from_bytes(data, "big")
    return n << 8 if len(data) & 1 else n


def fold(total: int) -> int:
    """The checksum field for a :func:`raw_sum` total (one's complement of the folded sum).

    A total that is a nonzero multiple of 0xFFFF folds to "-0" (0xFFFF), whose
    complement is 0; an all-zero input gives 0xFFFF. Headers and pseudo-headers
    are never all zero, so only the first case matters in practice.
    """
    n = total % 0xFFFF
    if n == 0 and total:
        return 0
    return (~n) & 0xFFFF
