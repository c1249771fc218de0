"""IPv6 (RFC 8200): header codec with extension-header skipping, pseudo-header, addresses.

Twin of mirage-tcpip's ``Ipv6_wire`` parsing as ``Ndpv6`` needs it: the fixed
header is decoded, then hop-by-hop, routing, destination-options and fragment
headers are walked to find the upper-layer protocol (ICMPv6, UDP, TCP).
Fragmented IPv6 packets are reported (``fragment`` set) but not reassembled:
Neighbour Discovery and ping never need it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import FrameError, record_maker

__all__ = [
    "pseudo_header_v6",
    "Ipv6Packet",
    "decode_ipv6",
    "encode_ipv6",
    "multicast_dst",
    "NEXT_HOPOPT",
    "NEXT_ROUTING",
    "NEXT_FRAGMENT",
    "NEXT_DSTOPTS",
    "NEXT_NONE",
    "NEXT_ICMPV6",
    "link_local_from_mac",
    "solicited_node",
    "multicast_mac",
    "ALL_NODES",
    "ALL_ROUTERS",
]

NEXT_HOPOPT = 0
NEXT_ROUTING = 43
NEXT_FRAGMENT = 44
NEXT_DSTOPTS = 60
NEXT_NONE = 59
NEXT_ICMPV6 = 58
_EXTENSIONS = frozenset({NEXT_HOPOPT, NEXT_ROUTING, NEXT_DSTOPTS})

ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
ALL_ROUTERS = bytes.fromhex("ff020000000000000000000000000002")

_PSEUDO = struct.Struct("!16s16sI3xB")
_HDR = struct.Struct("!IHBB16s16s")


def pseudo_header_v6(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The 40-byte pseudo-header of RFC 8200 §8.1 (upper-layer length is 32 bits)."""
    return _PSEUDO.pack(src, dst, length, proto)


@dataclass(frozen=True, slots=True)
class Ipv6Packet:
    """A decoded IPv6 packet: ``next_header`` is the upper-layer protocol after any extension
    headers, ``payload`` the upper-layer bytes. ``fragment`` is (offset, more, ident) when a
    fragment header was present, else ``None``."""

    src: bytes
    dst: bytes
    next_header: int
    hop_limit: int
    traffic_class: int
    flow_label: int
    payload: bytes
    fragment: tuple[int, bool, int] | None = None


_make_packet = record_maker(Ipv6Packet)


def multicast_dst(data: bytes) -> bytes | None:
    """The destination of a well-formed IPv6 packet to a multicast group (no extension header), else None.

    What a receive filter needs (is it a group we joined?) without decoding the packet.
    """
    n = len(data)
    if n < 40 or data[0] >> 4 != 6 or data[24] != 0xFF or 40 + ((data[4] << 8) | data[5]) > n:
        return None
    nh = data[6]
    if nh in _EXTENSIONS or nh == NEXT_FRAGMENT:
        return None
    return data[24:40]


def decode_ipv6(data: bytes) -> Ipv6Packet:
    """Decode an IPv6 packet, skipping extension headers (trailing bytes past the payload length ignored)."""
    n = len(data)
    if n < 40:
        raise FrameError("ipv6", "header length", f"at least 40 bytes, got {n}")
    vtcfl, plen, nh, hlim, src, dst = _HDR.unpack_from(data)
    if vtcfl >> 28 != 6:
        raise FrameError("ipv6", "version", f"6, got {vtcfl >> 28}")
    end = 40 + plen
    if end > n:
        raise FrameError("ipv6", "payload length", f"at most {n - 40} (bytes present), got {plen}")
    pos = 40
    frag = None
    while nh in _EXTENSIONS or nh == NEXT_FRAGMENT:
        if pos + 8 > end:
            raise FrameError("ipv6", f"extension header {nh}", "at least 8 bytes within the payload")
        nxt = data[pos]
        if nh == NEXT_FRAGMENT:
            offres, ident = struct.unpack_from("!HI", data, pos + 2)
            frag = (offres & 0xFFF8, bool(offres & 1), ident)
            hl = 8
        else:
            hl = (data[pos + 1] + 1) * 8
        if pos + hl > end:
            raise FrameError("ipv6", f"extension header {nh} length", f"at most {end - pos} bytes, got {hl}")
        pos += hl
        nh = nxt
    return Ipv6Packet(src, dst, nh, hlim, (vtcfl >> 20) & 0xFF, vtcfl & 0xFFFFF, bytes(data[pos:end]), frag)


def encode_ipv6(
    src: bytes,
    dst: bytes,
    next_header: int,
    payload: bytes,
    *,
    hop_limit: int = 64,
    traffic_class: int = 0,
    flow_label: int = 0,
) -> bytes:
    """Build an IPv6 packet (no extension headers)."""
    if len(payload) > 0xFFFF:
        msg = f"IPv6 payload of {len(payload)} bytes: expected at most 65535 (no jumbograms)"
        raise LocalProtocolError(msg)
    first = (6 << 28) | ((traffic_class & 0xFF) << 20) | (flow_label & 0xFFFFF)
    return _HDR.pack(first, len(payload), next_header, hop_limit, src, dst) + payload


def link_local_from_mac(mac: bytes) -> bytes:
    """fe80::/64 with the modified EUI-64 interface identifier of ``mac`` (RFC 4291 App. A)."""
    return b"\xfe\x80" + bytes(6) + bytes([mac[0] ^ 0x02]) + mac[1:3] + b"\xff\xfe" + mac[3:6]


def solicited_node(ip: bytes) -> bytes:
    """The solicited-node multicast group of ``ip`` (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1)."""
    return bytes.fromhex("ff0200000000000000000001ff") + ip[13:16]


def multicast_mac(ip: bytes) -> bytes:
    """Ethernet address of an IPv6 multicast group: 33:33 + its low 32 bits (RFC 2464 §7)."""
    return b"\x33\x33" + ip[12:16]
