"""ICMP for IPv4 (RFC 792): codec, echo responder, destination-unreachable builder.

Twin of mirage-tcpip's ``Icmpv4``: echo requests to us are answered with the
same identifier, sequence number and data; other messages are reported to the
caller (a pinging host sees its replies as events).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mirage_nb.sim.net._base import FrameError, record_maker
from mirage_nb.sim.net.checksum import fold

__all__ = [
    "ECHO_REPLY",
    "DEST_UNREACHABLE",
    "ECHO_REQUEST",
    "TIME_EXCEEDED",
    "IcmpMessage",
    "decode_icmpv4",
    "encode_icmpv4",
    "encode_echo",
    "encode_dest_unreachable",
    "echo_reply_for",
]

ECHO_REPLY = 0
DEST_UNREACHABLE = 3
ECHO_REQUEST = 8
TIME_EXCEEDED = 11

_HDR = struct.Struct("!BBHI")
_ECHO = struct.Struct("!BBHHH")
_from_bytes = int.from_bytes


@dataclass(frozen=True, slots=True)
class IcmpMessage:
    """An ICMP message: type, code, the 4-byte "rest of header" word, and the data after it.

    For echo messages ``rest`` is identifier << 16 | sequence.
    """

    type: int
    code: int
    rest: int
    payload: bytes

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF


_make_message = record_maker(IcmpMessage)


def decode_icmpv4(data: bytes) -> IcmpMessage:
    """Decode an ICMP message and validate its checksum (which covers the whole message)."""
    if len(data) < 8:
        raise FrameError("icmpv4", "length", f"at least 8 bytes, got {len(data)}")
    n = _from_bytes(data, "big")
    if (n << 8 if len(data) & 1 else n) % 0xFFFF:
        raise FrameError("icmpv4", "checksum", "a message summing to 0xffff")
    t, code, _csum, rest = _HDR.unpack_from(data)
    return _make_message(t, code, rest, bytes(data[8:]))


def encode_icmpv4(type_: int, code: int, rest: int, payload: bytes) -> bytes:
    """Build an ICMP message with its checksum."""
    msg = _HDR.pack(type_, code, 0, rest) + payload
    n = _from_bytes(msg, "big")
    csum = fold(n << 8 if len(msg) & 1 else n)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def encode_echo(request: bool, ident: int, seq: int, payload: bytes) -> bytes:
    """An echo request (``ping``) or reply."""
    return encode_icmpv4(ECHO_REQUEST if request else ECHO_REPLY, 0, (ident << 16) | seq, payload)


def encode_dest_unreachable(code: int, original_packet: bytes) -> bytes:
    """Destination unreachable (code 3 = port unreachable) quoting the offending packet's
    header and first 8 payload bytes (RFC 792)."""
    ihl = (original_packet[0] & 0x0F) * 4 if original_packet else 20
    return encode_icmpv4(DEST_UNREACHABLE, code, 0, bytes(original_packet[: ihl + 8]))


def echo_reply_for(msg: IcmpMessage) -> bytes | None:
    """The reply ``Icmpv4.input`` sends for ``msg``: an echo reply to an echo request, else nothing."""
    if msg.type == ECHO_REQUEST and msg.code == 0:
        return encode_icmpv4(ECHO_REPLY, 0, msg.rest, msg.payload)
    return None
