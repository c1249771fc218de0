"""A capture as a short packet list: time, addresses, protocol and a one-line summary per frame.

The gallery cannot use the notebook's packet table (the layers point down:
gallery sits below notebook), and a static page needs only a plain reading of
each frame, so this is a small dissector of its own over the pcap bytes the
simulator wrote: Ethernet, ARP, IPv4/IPv6, ICMP, ICMPv6, UDP and TCP headers.
A frame it cannot read becomes a row saying so, never an exception.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from mirage_nb.sim.net.pcap import read_pcap

__all__ = ["Packet", "packets"]

_TCP_FLAGS = ((0x02, "SYN"), (0x10, "ACK"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x20, "URG"))
_ICMP4 = {0: "Echo reply", 3: "Destination unreachable", 8: "Echo request", 11: "Time exceeded"}
_ICMP6 = {
    1: "Destination unreachable",
    128: "Echo request",
    129: "Echo reply",
    133: "Router solicitation",
    134: "Router advertisement",
    135: "Neighbor solicitation",
    136: "Neighbor advertisement",
}


@dataclass(frozen=True, slots=True)
class Packet:
    """One row of the packet list (``time_ns`` is virtual time since the start of the run)."""

    number: int
    time_ns: int
    source: str
    destination: str
    protocol: str
    length: int
    info: str


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _transport(proto: int, body: bytes, icmp: dict[int, str]) -> tuple[str, str]:
    if proto == 6 and len(body) >= 20:
        sport, dport, seq, ack, off_flags, win = struct.unpack("!HHIIHH", body[:16])
        flags = ", ".join(name for bit, name in _TCP_FLAGS if off_flags & bit)
        payload = len(body) - 4 * (off_flags >> 12)
        return "TCP", f"{sport} → {dport} [{flags}] Seq={seq} Ack={ack} Win={win} Len={max(payload, 0)}"
    if proto == 17 and len(body) >= 8:
        sport, dport, length = struct.unpack("!HHH", body[:6])
        return "UDP", f"{sport} → {dport} Len={length - 8}"
    if proto in (1, 58) and len(body) >= 4:
        kind = icmp.get(body[0], f"type {body[0]}")
        extra = ""
        if body[0] in (0, 8, 128, 129) and len(body) >= 8:
            ident, seq = struct.unpack("!HH", body[4:8])
            extra = f" id=0x{ident:04x}, seq={seq}"
        return ("ICMP" if proto == 1 else "ICMPv6"), kind + extra
    return f"IP proto {proto}", f"{len(body)} bytes"


def _row(number: int, t: int, f: bytes) -> Packet:
    if len(f) < 14:
        return Packet(number, t, "?", "?", "?", len(f), "frame shorter than an Ethernet header")
    dst, src, etype = _mac(f[0:6]), _mac(f[6:12]), struct.unpack("!H", f[12:14])[0]
    body = f[14:]
    if etype == 0x0806 and len(body) >= 28:
        op = struct.unpack("!H", body[6:8])[0]
        spa, tpa = ipaddress.IPv4Address(body[14:18]), ipaddress.IPv4Address(body[24:28])
        info = f"who-has {tpa} tell {spa}" if op == 1 else f"{spa} is-at {_mac(body[8:14])}"
        return Packet(number, t, src, dst, "ARP", len(f), info)
    if etype == 0x0800 and len(body) >= 20:
        ihl = 4 * (body[0] & 0x0F)
        s, d = ipaddress.IPv4Address(body[12:16]), ipaddress.IPv4Address(body[16:20])
        proto, info = _transport(body[9], body[ihl:], _ICMP4)
        return Packet(number, t, str(s), str(d), proto, len(f), info)
    if etype == 0x86DD and len(body) >= 40:
        s, d = ipaddress.IPv6Address(body[8:24]), ipaddress.IPv6Address(body[24:40])
        proto, info = _transport(body[6], body[40:], _ICMP6)
        return Packet(number, t, str(s), str(d), proto, len(f), info)
    return Packet(number, t, src, dst, f"0x{etype:04x}", len(f), "not dissected")


def packets(pcap: bytes) -> list[Packet]:
    """The rows of a pcap file's frames, numbered from 1 as Wireshark numbers them."""
    return [_row(i, t, bytes(f)) for i, (t, f) in enumerate(read_pcap(pcap), start=1)]
