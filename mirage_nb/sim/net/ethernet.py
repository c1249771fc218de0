"""Ethernet II framing (IEEE 802.3 with an EtherType): twin of mirage's ``ethernet`` library.

Frames carry no preamble and no FCS, exactly what a TAP device or a pcap
holds. Frames are not padded to 60 bytes on encode (MirageOS's ethernet does
not pad either); layers above trim trailing padding by their own length field.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.sim.net._base import FrameError, record_maker

__all__ = [
    "ETHERTYPE_IPV4",
    "ETHERTYPE_ARP",
    "ETHERTYPE_IPV6",
    "EthernetFrame",
    "decode_ethernet",
    "encode_ethernet",
    "HEADER_LEN",
]

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD
HEADER_LEN = 14

_HDR = struct.Struct("!6s6sH")
_unpack_from = _HDR.unpack_from
_pack = _HDR.pack


@dataclass(frozen=True, slots=True)
class EthernetFrame:
    """A decoded Ethernet II frame: destination, source, EtherType and payload."""

    dst: bytes
    src: bytes
    ethertype: int
    payload: bytes

    def encode(self) -> bytes:
        return _pack(self.dst, self.src, self.ethertype) + self.payload


_make_frame = record_maker(EthernetFrame)


def decode_ethernet(data: bytes) -> EthernetFrame:
    """Split a frame into its header fields and payload; raises :class:`FrameError` if short."""
    if len(data) < HEADER_LEN:
        raise FrameError("ethernet", "header length", f"at least {HEADER_LEN} bytes, got {len(data)}")
    dst, src, ethertype = _unpack_from(data)
    payload = data[HEADER_LEN:]
    return _make_frame(dst, src, ethertype, payload if type(payload) is bytes else bytes(payload))


def encode_ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    """Build a frame (the hot path: no record allocated)."""
    return _pack(dst, src, ethertype) + payload
