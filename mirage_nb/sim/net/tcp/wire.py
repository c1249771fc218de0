"""TCP segments on the wire (RFC 9293 §3.1): header, options and checksum.

Twin of mirage-tcpip's ``Tcp_wire``/``Tcp_packet``/``Options`` and of utcp's
``Segment``: the state machine never sees bytes, only the frozen ``Segment``
records this module decodes (checksum verified) and encodes (checksum filled).

The checksum covers the IPv4 (RFC 9293 §3.1) or IPv6 (RFC 8200 §8.1)
pseudo-header; which one is chosen by the length of the addresses (4 or 16
bytes). Malformed input raises only ``RemoteProtocolError`` naming the field.
"""

from __future__ import annotations

import struct
from enum import IntFlag
from typing import NamedTuple

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net.checksum import ones_complement_sum
from mirage_nb.sim.net.ipv4 import pseudo_header_v4
from mirage_nb.sim.net.ipv6 import pseudo_header_v6

__all__ = [
    "Flags",
    "Segment",
    "TCP_PROTOCOL",
    "decode",
    "encode",
    "encode_options",
    "checksum",
    "HEADER_LEN",
]

TCP_PROTOCOL = 6
HEADER_LEN = 20

_HEADER = struct.Struct("!HHIIBBHHH")
_U16 = struct.Struct("!H")
_TS = struct.Struct("!II")
_TS_OPT = struct.Struct("!BBBBII")
_TS_ONLY = b"\x01\x01\x08\x0a"

# Option kinds (IANA "TCP Option Kind Numbers").
_EOL, _NOP, _MSS, _WS, _SACK_PERM, _SACK, _TS_KIND = 0, 1, 2, 3, 4, 5, 8
_TCP_AND_LENGTH = TCP_PROTOCOL


class Flags(IntFlag):
    """The control bits of RFC 9293 §3.1 (plus ECE/CWR of RFC 3168, carried, not acted on)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80


_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_FLAG_LETTERS = ((_SYN, "S"), (_FIN, "F"), (_RST, "R"), (_PSH, "P"), (0x20, "U"), (0x40, "E"), (0x80, "W"))


class Segment(NamedTuple):
    """One decoded TCP segment: the fields the state machine reads, options already parsed.

    Immutable. A ``NamedTuple`` rather than a frozen dataclass because two are
    built per packet on the hot path and a tuple is built several times faster.

    ``flags`` is the raw control-bit byte (``Flags`` names its bits); ``window``
    is the raw 16-bit field, unscaled. Options absent from the segment are
    ``None`` (or ``False``/empty); ``unknown_options`` keeps any option this
    stack does not understand as ``(kind, data)`` pairs, ignored by the machine
    (RFC 9293 §3.2: "a TCP implementation MUST ignore ... options it does not implement").
    """

    src_port: int
    dst_port: int
    seq: int
    ack: int = 0
    flags: int = 0
    window: int = 0
    payload: bytes = b""
    urgent: int = 0
    mss: int | None = None
    window_scale: int | None = None
    sack_permitted: bool = False
    sack_blocks: tuple[tuple[int, int], ...] = ()
    timestamps: tuple[int, int] | None = None
    unknown_options: tuple[tuple[int, bytes], ...] = ()

    @property
    def seg_len(self) -> int:
        """Sequence space the segment occupies: payload plus one for SYN and one for FIN."""
        f = self.flags
        return len(self.payload) + (f & _SYN and 1) + (f & _FIN and 1)

    def summary(self) -> str:
        """A tcpdump-like one-liner: ``1234 > 80 [S.] seq 0 ack 1 win 512 len 0``."""
        letters = "".join(ch for bit, ch in _FLAG_LETTERS if self.flags & bit)
        if self.flags & _ACK:
            letters += "."
        text = f"{self.src_port} > {self.dst_port} [{letters}] seq {self.seq}"
        if self.flags & _ACK:
            text += f" ack {self.ack}"
        text += f" win {self.window} len {len(self.payload)}"
        opts = []
        if self.mss is not None:
            opts.append(f"mss {self.mss}")
        if self.sack_permitted:
            opts.append("sackOK")
        if self.timestamps is not None:
            opts.append(f"TS val {self.timestamps[0]} ecr {self.timestamps[1]}")
        if self.window_scale is not None:
            opts.append(f"wscale {self.window_scale}")
        if self.sack_blocks:
            opts.append("sack " + " ".join(f"{a}:{b}" for a, b in self.sack_blocks))
        if opts:
            text += " <" + ",".join(opts) + ">"
        return text


def encode_options(seg: Segment) -> bytes:
    """The options block, padded to a multiple of 4, in the order Linux writes them.

    Linux's SYN is ``MSS, SACK_PERM, TS, NOP, WS`` (20 bytes: ``020405b4 0402
    080a........ 01 03030a``, as seen from a real kernel, research §3d); other
    segments carry ``NOP NOP TS`` and ``NOP NOP SACK``.
    """
    parts: list[bytes] = []
    if seg.mss is not None:
        parts.append(struct.pack("!BBH", _MSS, 4, seg.mss))
    ts = seg.timestamps
    if seg.sack_permitted:
        if ts is not None:
            parts.append(struct.pack("!BBBBII", _SACK_PERM, 2, _TS_KIND, 10, ts[0], ts[1]))
            ts = None
        else:
            parts.append(struct.pack("!BBBB", _NOP, _NOP, _SACK_PERM, 2))
    if ts is not None:
        parts.append(struct.pack("!BBBBII", _NOP, _NOP, _TS_KIND, 10, ts[0], ts[1]))
    if seg.window_scale is not None:
        parts.append(struct.pack("!BBBB", _NOP, _WS, 3, seg.window_scale))
    if seg.sack_blocks:
        blocks = b"".join(_TS.pack(a, b) for a, b in seg.sack_blocks)
        parts.append(struct.pack("!BBBB", _NOP, _NOP, _SACK, 2 + len(blocks)) + blocks)
    for kind, data in seg.unknown_options:
        parts.append(bytes((kind, 2 + len(data))) + data)
    raw = b"".join(parts)
    if len(raw) & 3:
        # EOL then zero padding (RFC 9293 §3.2: the header is padded with zeros).
        raw += b"\x00" * (4 - (len(raw) & 3))
    if len(raw) > 40:
        raise LocalProtocolError(f"TCP options need {len(raw)} bytes; at most 40 fit in a header")
    return raw


def _pseudo(src: bytes, dst: bytes, length: int) -> bytes:
    if len(src) == 4 and len(dst) == 4:
        return pseudo_header_v4(src, dst, TCP_PROTOCOL, length)
    if len(src) == 16 and len(dst) == 16:
        return pseudo_header_v6(src, dst, TCP_PROTOCOL, length)
    raise LocalProtocolError(
        f"TCP pseudo-header addresses must both be 4 (IPv4) or 16 (IPv6) bytes, got {len(src)} and {len(dst)}"
    )


def checksum(src: bytes, dst: bytes, data: bytes) -> int:
    """The folded one's-complement sum of pseudo-header plus segment: 0xFFFF when the checksum is right."""
    return ones_complement_sum(data, ones_complement_sum(_pseudo(src, dst, len(data))))


def encode(seg: Segment, src: bytes, dst: bytes) -> bytes:
    """The segment as bytes, checksum filled in over the pseudo-header of ``src``/``dst``."""
    if seg.mss is None and seg.window_scale is None and not seg.sack_permitted and not seg.unknown_options:
        # The hot path: nothing but timestamps (and maybe SACK blocks) on an established flow.
        ts = seg.timestamps
        opts = _TS_OPT.pack(_NOP, _NOP, _TS_KIND, 10, ts[0], ts[1]) if ts is not None else b""
        if seg.sack_blocks:
            opts += encode_options(Segment(0, 0, 0, sack_blocks=seg.sack_blocks))
    else:
        opts = encode_options(seg)
    payload = seg.payload
    hlen = HEADER_LEN + len(opts)
    total = hlen + len(payload)
    if len(src) != len(dst) or len(src) not in (4, 16):
        _pseudo(src, dst, total)  # raises the error naming the addresses
    sport, dport, seq, ack, flags, window, urgent = (
        seg.src_port,
        seg.dst_port,
        seg.seq,
        seg.ack,
        seg.flags,
        seg.window,
        seg.urgent,
    )
    # The fixed header's 16-bit words are summed as numbers, so it is packed only once,
    # checksum included. Since 2**16 is 1 modulo 0xFFFF, the one's-complement sum of a
    # buffer is the buffer read as one big-endian integer modulo 0xFFFF (RFC 1071 §2),
    # and sums of 16-bit-aligned pieces add: both pseudo-headers (IPv4: addresses, 0, 6,
    # 16-bit length; IPv6: addresses, 32-bit length, 0, 6) sum to addresses + 6 + length.
    # Reduce the payload's big integer first: adding small numbers to it would copy it each time.
    p = int.from_bytes(payload, "big")
    if len(payload) & 1:
        p <<= 8
    n = (
        p % 0xFFFF
        + int.from_bytes(src + dst + opts, "big")
        + _TCP_AND_LENGTH
        + total
        + sport
        + dport
        + (seq >> 16)
        + (seq & 0xFFFF)
        + (ack >> 16)
        + (ack & 0xFFFF)
        + (hlen << 10 | flags)
        + window
        + urgent
    ) % 0xFFFF
    head = _HEADER.pack(sport, dport, seq, ack, hlen << 2, flags, window, 0xFFFF - n if n else 0, urgent)
    return b"".join((head, opts, payload))


def decode(data: bytes, src: bytes, dst: bytes, *, verify_checksum: bool = True) -> Segment:
    """Decode and validate one segment; raises ``RemoteProtocolError`` naming the bad field."""
    n = len(data)
    if n < HEADER_LEN:
        raise RemoteProtocolError(f"TCP header: {n} bytes, expected at least {HEADER_LEN}")
    sport, dport, seq, ack, off_byte, flags, window, csum, urgent = _HEADER.unpack_from(data)
    hlen = (off_byte >> 4) << 2
    if hlen < HEADER_LEN:
        raise RemoteProtocolError(f"TCP data offset: {hlen >> 2} words, expected at least 5")
    if hlen > n:
        raise RemoteProtocolError(f"TCP data offset: header of {hlen} bytes but segment has only {n}")
    if verify_checksum:
        if len(src) != len(dst) or len(src) not in (4, 16):
            _pseudo(src, dst, n)  # raises the error naming the addresses
        p = int.from_bytes(data, "big")
        if n & 1:
            p <<= 8
        # A right checksum makes the whole sum "-0", i.e. 0 modulo 0xFFFF (see encode).
        if (p % 0xFFFF + int.from_bytes(src + dst, "big") + _TCP_AND_LENGTH + n) % 0xFFFF:
            raise RemoteProtocolError(f"TCP checksum: 0x{csum:04x} does not match the segment")
    if sport == 0 or dport == 0:
        # RFC 9293 §3.1 reserves port 0; Linux drops such segments.
        raise RemoteProtocolError(f"TCP port: {sport} > {dport}, port 0 is not a valid endpoint")
    payload = bytes(data[hlen:]) if hlen < n else b""
    if hlen == HEADER_LEN:
        return Segment(sport, dport, seq, ack, flags, window, payload, urgent)
    if hlen == 32 and data[20:24] == _TS_ONLY:
        return Segment(
            sport,
            dport,
            seq,
            ack,
            flags,
            window,
            payload,
            urgent,
            None,
            None,
            False,
            (),
            _TS.unpack_from(data, 24),
        )
    return _decode_options(data, hlen, sport, dport, seq, ack, flags, window, payload, urgent)


_OPTION_NAMES = {_MSS: "MSS", _WS: "window scale", _SACK_PERM: "SACK-permitted", _SACK: "SACK", _TS_KIND: "timestamps"}


def _option_name(kind: int) -> str:
    return _OPTION_NAMES.get(kind, f"kind {kind}")


def _decode_options(
    data: bytes,
    hlen: int,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    window: int,
    payload: bytes,
    urgent: int,
) -> Segment:
    mss: int | None = None
    ws: int | None = None
    sack_perm = False
    blocks: tuple[tuple[int, int], ...] = ()
    ts: tuple[int, int] | None = None
    unknown: list[tuple[int, bytes]] = []
    i = HEADER_LEN
    while i < hlen:
        kind = data[i]
        if kind == _EOL:
            break
        if kind == _NOP:
            i += 1
            continue
        if i + 1 >= hlen:
            raise RemoteProtocolError(f"TCP option {_option_name(kind)}: length byte missing at offset {i}")
        olen = data[i + 1]
        if olen < 2 or i + olen > hlen:
            raise RemoteProtocolError(
                f"TCP option {_option_name(kind)}: length {olen} at offset {i} "
                f"does not fit the {hlen}-byte header (at least 2, to the end of the header)"
            )
        body = data[i + 2 : i + olen]
        if kind == _MSS:
            if olen != 4:
                raise RemoteProtocolError(f"TCP option MSS: length {olen}, expected 4")
            mss = _U16.unpack(body)[0]
        elif kind == _WS:
            if olen != 3:
                raise RemoteProtocolError(f"TCP option window scale: length {olen}, expected 3")
            ws = body[0]
        elif kind == _SACK_PERM:
            if olen != 2:
                raise RemoteProtocolError(f"TCP option SACK-permitted: length {olen}, expected 2")
            sack_perm = True
        elif kind == _SACK:
            if (olen - 2) % 8 or olen == 2:
                raise RemoteProtocolError(f"TCP option SACK: length {olen}, expected 2 + 8*n with n >= 1")
            blocks = tuple(_TS.unpack_from(body, j) for j in range(0, olen - 2, 8))
        elif kind == _TS_KIND:
            if olen != 10:
                raise RemoteProtocolError(f"TCP option timestamps: length {olen}, expected 10")
            ts = _TS.unpack(body)
        else:
            unknown.append((kind, bytes(body)))
        i += olen
    return Segment(
        sport,
        dport,
        seq,
        ack,
        flags,
        window,
        payload,
        urgent,
        mss,
        ws,
        sack_perm,
        blocks,
        ts,
        tuple(unknown),
    )
