"""DHCP/BOOTP messages (RFC 2131, options of RFC 2132): codec.

Twin of charrua's ``Dhcp_wire`` for the message itself (the UDP payload).
Options are kept as ordered ``(code, value bytes)`` pairs, so unknown options
survive a round trip; a repeated code is concatenated on decode (RFC 3396)
and long values are split on encode. Option overload (52) is honoured: the
``file``/``sname`` fields are then read as more options. Messages are padded
to the 300 bytes BOOTP relays expect, as charrua pads them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import FrameError

__all__ = [
    "BOOTREQUEST",
    "BOOTREPLY",
    "DHCPDISCOVER",
    "DHCPOFFER",
    "DHCPREQUEST",
    "DHCPDECLINE",
    "DHCPACK",
    "DHCPNAK",
    "DHCPRELEASE",
    "DHCPINFORM",
    "MESSAGE_TYPE_NAMES",
    "OPT_SUBNET_MASK",
    "OPT_ROUTERS",
    "OPT_DNS_SERVERS",
    "OPT_HOSTNAME",
    "OPT_DOMAIN_NAME",
    "OPT_REQUESTED_IP",
    "OPT_LEASE_TIME",
    "OPT_OVERLOAD",
    "OPT_MESSAGE_TYPE",
    "OPT_SERVER_ID",
    "OPT_PARAMETER_REQUESTS",
    "OPT_MESSAGE",
    "OPT_RENEWAL_TIME",
    "OPT_REBINDING_TIME",
    "OPT_CLIENT_ID",
    "FLAG_BROADCAST",
    "SERVER_PORT",
    "CLIENT_PORT",
    "MAGIC_COOKIE",
    "ADDR_ANY",
    "ADDR_BROADCAST",
    "DhcpMessage",
    "decode_dhcp",
    "encode_dhcp",
]

BOOTREQUEST = 1
BOOTREPLY = 2
DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK, DHCPNAK, DHCPRELEASE, DHCPINFORM = range(1, 9)
MESSAGE_TYPE_NAMES = {
    1: "DHCPDISCOVER",
    2: "DHCPOFFER",
    3: "DHCPREQUEST",
    4: "DHCPDECLINE",
    5: "DHCPACK",
    6: "DHCPNAK",
    7: "DHCPRELEASE",
    8: "DHCPINFORM",
}

OPT_PAD = 0
OPT_SUBNET_MASK = 1
OPT_ROUTERS = 3
OPT_DNS_SERVERS = 6
OPT_HOSTNAME = 12
OPT_DOMAIN_NAME = 15
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_OVERLOAD = 52
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAMETER_REQUESTS = 55
OPT_MESSAGE = 56
OPT_RENEWAL_TIME = 58
OPT_REBINDING_TIME = 59
OPT_CLIENT_ID = 61
OPT_END = 255

FLAG_BROADCAST = 0x8000
SERVER_PORT = 67
CLIENT_PORT = 68
MAGIC_COOKIE = b"\x63\x82\x53\x63"
ADDR_ANY = b"\x00\x00\x00\x00"
"""0.0.0.0: a client without an address yet (``ciaddr``, the source of its broadcasts)."""
ADDR_BROADCAST = b"\xff\xff\xff\xff"
"""255.255.255.255: where clients without an address send, and where servers answer them."""
_FIXED = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s4s")  # 240 bytes
_MIN_SIZE = 300


@dataclass(frozen=True, slots=True)
class DhcpMessage:
    """A BOOTP message with DHCP options (the fields of RFC 2131 §2, Figure 1)."""

    op: int
    xid: int
    chaddr: bytes
    options: tuple[tuple[int, bytes], ...] = ()
    ciaddr: bytes = b"\x00\x00\x00\x00"
    yiaddr: bytes = b"\x00\x00\x00\x00"
    siaddr: bytes = b"\x00\x00\x00\x00"
    giaddr: bytes = b"\x00\x00\x00\x00"
    flags: int = 0
    secs: int = 0
    hops: int = 0
    htype: int = 1
    hlen: int = 6
    sname: bytes = b""
    file: bytes = b""
    _index: dict[int, Any] = field(default_factory=dict, compare=False, repr=False, init=False)

    def __post_init__(self) -> None:
        # chaddr is a 16-byte field: a 6-byte MAC is stored zero-padded, as on the wire.
        if len(self.chaddr) != 16:
            if len(self.chaddr) > 16:
                raise LocalProtocolError(f"DHCP chaddr of {len(self.chaddr)} bytes: expected at most 16")
            object.__setattr__(self, "chaddr", bytes(self.chaddr).ljust(16, b"\x00"))

    def option(self, code: int) -> bytes | None:
        """The value of option ``code``, or ``None``."""
        if not self._index and self.options:
            self._index.update(self.options)
        return self._index.get(code)

    @property
    def mac(self) -> bytes:
        """The client's hardware address (``chaddr`` cut to ``hlen``)."""
        return self.chaddr[: min(self.hlen, 16)]

    @property
    def message_type(self) -> int | None:
        v = self.option(OPT_MESSAGE_TYPE)
        return v[0] if v and len(v) == 1 else None

    def ip_option(self, code: int) -> bytes | None:
        """A single-address option (subnet mask, server identifier, requested address)."""
        v = self.option(code)
        return v if v is not None and len(v) == 4 else None

    def ip_list_option(self, code: int) -> list[bytes]:
        """A list-of-addresses option (routers, DNS servers)."""
        v = self.option(code) or b""
        return [v[i : i + 4] for i in range(0, len(v) - len(v) % 4, 4)]

    def u32_option(self, code: int) -> int | None:
        v = self.option(code)
        return int.from_bytes(v, "big") if v is not None and len(v) == 4 else None

    def encode(self) -> bytes:
        return encode_dhcp(self)


def _parse_options(data: bytes, where: str, out: list[tuple[int, bytes]]) -> bool:
    """Append options found in ``data``; True if an END option was seen."""
    pos = 0
    n = len(data)
    while pos < n:
        code = data[pos]
        if code == OPT_PAD:
            pos += 1
            continue
        if code == OPT_END:
            return True
        if pos + 1 >= n:
            raise FrameError("dhcp", f"option {code} length ({where})", "a length byte")
        ln = data[pos + 1]
        if pos + 2 + ln > n:
            raise FrameError("dhcp", f"option {code} length ({where})", f"at most {n - pos - 2} bytes, got {ln}")
        out.append((code, bytes(data[pos + 2 : pos + 2 + ln])))
        pos += 2 + ln
    return False


def decode_dhcp(data: bytes) -> DhcpMessage:
    """Decode a DHCP message (a UDP payload)."""
    if len(data) < 240:
        raise FrameError("dhcp", "length", f"at least 240 bytes (BOOTP header + magic cookie), got {len(data)}")
    (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file, cookie) = (
        _FIXED.unpack_from(data)
    )
    if cookie != MAGIC_COOKIE:
        raise FrameError("dhcp", "magic cookie", f"63825363, got {cookie.hex()}")
    if op not in (BOOTREQUEST, BOOTREPLY):
        raise FrameError("dhcp", "op", f"1 (BOOTREQUEST) or 2 (BOOTREPLY), got {op}")
    if hlen > 16:
        raise FrameError("dhcp", "hlen", f"at most 16, got {hlen}")
    raw: list[tuple[int, bytes]] = []
    _parse_options(data[240:], "options", raw)
    overload = next((v for c, v in raw if c == OPT_OVERLOAD), None)
    if overload is not None:
        if len(overload) != 1 or overload[0] not in (1, 2, 3):
            raise FrameError("dhcp", "option 52 (overload)", "one byte 1, 2 or 3")
        if overload[0] & 1:
            _parse_options(file, "file field", raw)
            file = b""
        if overload[0] & 2:
            _parse_options(sname, "sname field", raw)
            sname = b""
    # RFC 3396: instances of one option concatenate, in order of first appearance.
    merged: dict[int, bytes] = {}
    for c, v in raw:
        merged[c] = merged.get(c, b"") + v
    return DhcpMessage(
        op,
        xid,
        chaddr,
        tuple(merged.items()),
        ciaddr,
        yiaddr,
        siaddr,
        giaddr,
        flags,
        secs,
        hops,
        htype,
        hlen,
        sname.rstrip(b"\x00"),
        file.rstrip(b"\x00"),
    )


def encode_dhcp(m: DhcpMessage) -> bytes:
    """Encode a DHCP message: options in order, END, zero padding to 300 bytes."""
    if len(m.sname) > 64 or len(m.file) > 128:
        raise LocalProtocolError("DHCP sname/file: expected at most 64/128 bytes")
    parts = [
        _FIXED.pack(
            m.op,
            m.htype,
            m.hlen,
            m.hops,
            m.xid,
            m.secs,
            m.flags,
            m.ciaddr,
            m.yiaddr,
            m.siaddr,
            m.giaddr,
            m.chaddr.ljust(16, b"\x00"),
            m.sname,
            m.file,
            MAGIC_COOKIE,
        )
    ]
    for code, value in m.options:
        if not 0 < code < 255:
            raise LocalProtocolError(f"DHCP option code {code}: expected 1..254")
        if not value:
            parts.append(bytes([code, 0]))
        for i in range(0, len(value), 255):
            chunk = value[i : i + 255]
            parts.append(bytes([code, len(chunk)]) + chunk)
    parts.append(bytes([OPT_END]))
    out = b"".join(parts)
    return out.ljust(_MIN_SIZE, b"\x00")
