"""UDP (RFC 768) over IPv4 and IPv6: codec with pseudo-header checksums, and port demux.

Twin of mirage-tcpip's ``Udp_packet``/``Udp``. Over IPv4 a zero checksum means
"not computed" and is accepted; over IPv6 it is mandatory (RFC 8200 §8.1).
A computed checksum of 0 is sent as 0xffff. Datagrams to a port nobody
listens on are dropped silently, as MirageOS does (no ICMP port unreachable).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError, record_maker
from mirage_nb.sim.net.checksum import fold
from mirage_nb.sim.net.ethernet import ETHERTYPE_IPV4, encode_ethernet
from mirage_nb.sim.net.ipv4 import PROTO_UDP, encode_ipv4

__all__ = [
    "UdpDatagram",
    "decode_udp",
    "encode_udp",
    "UdpReceived",
    "UdpDemux",
    "encode_udp4_frame",
]

_HDR = struct.Struct("!HHHH")
_hdr_unpack = _HDR.unpack_from
_hdr_pack = _HDR.pack
_from_bytes = int.from_bytes


@dataclass(frozen=True, slots=True)
class UdpDatagram:
    """A decoded UDP datagram (payload trimmed to the UDP length field)."""

    src_port: int
    dst_port: int
    payload: bytes


_make_datagram = record_maker(UdpDatagram)


def _pseudo_sum(src: bytes, dst: bytes, length: int) -> int:
    # Modulo 0xFFFF every 16-bit-aligned field counts as its plain value
    # (2**16 is 1 modulo 0xFFFF), so the pseudo-header of RFC 768 / RFC 8200
    # §8.1 sums to the addresses read as integers plus protocol and length:
    # no need to pack it.
    return _from_bytes(src, "big") + _from_bytes(dst, "big") + 17 + length


def decode_udp(data: bytes, src: bytes, dst: bytes) -> UdpDatagram:
    """Decode a UDP datagram carried from ``src`` to ``dst`` (4- or 16-byte addresses),
    validating length and checksum."""
    n = len(data)
    if n < 8:
        raise FrameError("udp", "header length", f"at least 8 bytes, got {n}")
    sport, dport, length, csum = _hdr_unpack(data)
    if length < 8 or length > n:
        raise FrameError("udp", "length", f"between 8 and {n} (bytes present), got {length}")
    seg = data[:length] if length != n else data
    if csum or len(src) != 4:
        if not csum:
            raise FrameError("udp", "checksum", "a nonzero checksum over IPv6 (RFC 8200 §8.1)")
        # _pseudo_sum inlined: this is the per-datagram hot path.
        s = _from_bytes(seg, "big")
        total = _from_bytes(src, "big") + _from_bytes(dst, "big") + 17 + length + (s << 8 if length & 1 else s)
        if total % 0xFFFF:
            raise FrameError("udp", "checksum", "a datagram summing to 0xffff with its pseudo-header")
    payload = seg[8:]
    return _make_datagram(sport, dport, payload if type(payload) is bytes else bytes(payload))


def encode_udp(src: bytes, dst: bytes, src_port: int, dst_port: int, payload: bytes) -> bytes:
    """Build a UDP datagram from ``src`` to ``dst`` with its checksum."""
    length = 8 + len(payload)
    if length > 0xFFFF and len(src) == 4:
        raise LocalProtocolError(f"UDP datagram of {length} bytes: expected at most 65535")
    seg = _hdr_pack(src_port, dst_port, length & 0xFFFF, 0) + payload
    n = _from_bytes(seg, "big")
    csum = fold(_pseudo_sum(src, dst, length) + (n << 8 if length & 1 else n)) or 0xFFFF
    return seg[:6] + csum.to_bytes(2, "big") + seg[8:]


@dataclass(frozen=True, slots=True)
class UdpReceived:
    """A datagram for a port someone listens on."""

    src: bytes
    dst: bytes
    src_port: int
    dst_port: int
    payload: bytes


class UdpDemux:
    """Delivers datagrams to listening ports (the ``listen ~port`` callbacks of ``Udp.S``).

    Listeners are just port numbers: the event says which port, the caller
    runs whatever it registered for it.
    """

    def __init__(self) -> None:
        self.ports: set[int] = set()

    def listen(self, port: int) -> None:
        if not 0 < port < 65536:
            raise LocalProtocolError(f"UDP port {port}: expected 1..65535")
        self.ports.add(port)

    def unlisten(self, port: int) -> None:
        self.ports.discard(port)

    def receive(self, src: bytes, dst: bytes, data: bytes) -> UdpReceived | Dropped:
        """Decode a UDP payload; :class:`UdpReceived` if a listener has the port, else :class:`Dropped`."""
        try:
            d = decode_udp(data, src, dst)
        except FrameError as e:
            return Dropped("udp", str(e))
        if d.dst_port not in self.ports:
            return Dropped("udp", f"no listener on port {d.dst_port}")
        return UdpReceived(src, dst, d.src_port, d.dst_port, d.payload)


def encode_udp4_frame(
    src_mac: bytes,
    dst_mac: bytes,
    src: bytes,
    dst: bytes,
    src_port: int,
    dst_port: int,
    payload: bytes,
    *,
    ttl: int = 64,
    ident: int = 0,
) -> bytes:
    """A whole Ethernet/IPv4/UDP frame (for senders that bypass routing: DHCP, scripted peers)."""
    udp = encode_udp(src, dst, src_port, dst_port, payload)
    return encode_ethernet(
        dst_mac, src_mac, ETHERTYPE_IPV4, encode_ipv4(src, dst, PROTO_UDP, udp, ttl=ttl, ident=ident)
    )
