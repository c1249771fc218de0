"""An IPv4 router joining LANs: a sans-IO machine forwarding between its interfaces.

Each interface has a MAC, an address and the prefix of its LAN (a connected
route). A frame that arrives on an interface is handled as a router does it
(RFC 1812 §5): ARP goes to that interface's own
:class:`~mirage_nb.sim.net.arp.ArpCache` (so the router answers for its
address and learns its neighbours); an IPv4 packet addressed to the router's
MAC is checked (:func:`~mirage_nb.sim.net.ipv4.decode_ipv4` validates the
header checksum), its TTL decremented and its header checksum recomputed, and
it leaves by the interface whose prefix holds the destination (the longest
one), to the destination's MAC found by ARP on that side. Packets waiting for
an ARP answer are queued per neighbour and dropped if it never comes.

What it does not forward it says: a TTL reaching zero gets an ICMP time
exceeded back to the sender (type 11, code 0), a destination on none of its
LANs an ICMP network unreachable (type 3, code 0), quoting the packet's header
and first 8 bytes (RFC 792); never an ICMP error about an ICMP error, nor
about a broadcast. Pings to the router's own addresses are answered.

Every call takes the virtual time ``now`` and returns a :class:`RouterStep`:
the frames to send, each with the name of the interface it leaves by.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, FrameError, Ns, earliest
from mirage_nb.sim.net.arp import ArpCache, ArpResolved, ArpTimedOut
from mirage_nb.sim.net.checksum import internet_checksum
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, ETHERTYPE_IPV4, encode_ethernet
from mirage_nb.sim.net.icmpv4 import (
    DEST_UNREACHABLE,
    ECHO_REQUEST,
    TIME_EXCEEDED,
    decode_icmpv4,
    echo_reply_for,
    encode_icmpv4,
)
from mirage_nb.sim.net.ipv4 import PROTO_ICMP, decode_ipv4, encode_ipv4

__all__ = ["RouterInterface", "Router", "RouterStep", "Forwarded", "QUEUE_LIMIT"]

QUEUE_LIMIT = 64
"""Packets held per neighbour while its ARP answer is awaited (the older ones are dropped first)."""

_ETH_ARP = ETHERTYPE_ARP.to_bytes(2, "big")
_ETH_IPV4 = ETHERTYPE_IPV4.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class RouterInterface:
    """One interface: its name (the LAN's), MAC, address and prefix length."""

    name: str
    mac: bytes
    ip: bytes
    prefix: int

    @property
    def network(self) -> int:
        return int.from_bytes(self.ip, "big") & self.mask

    @property
    def mask(self) -> int:
        return (0xFFFFFFFF << (32 - self.prefix)) & 0xFFFFFFFF

    def holds(self, ip: bytes) -> bool:
        """Whether ``ip`` is on this interface's LAN."""
        return int.from_bytes(ip, "big") & self.mask == self.network

    def broadcast(self, ip: bytes) -> bool:
        """Whether ``ip`` is this LAN's directed broadcast address."""
        return self.prefix < 31 and int.from_bytes(ip, "big") == self.network | (~self.mask & 0xFFFFFFFF)

    @classmethod
    def of_cidr(cls, name: str, mac: bytes, cidr: str) -> RouterInterface:
        """``RouterInterface.of_cidr("a", mac, "10.0.0.1/24")``."""
        try:
            iface = ipaddress.IPv4Interface(cidr)
        except ValueError:
            raise LocalProtocolError(
                f"router interface {name!r}: {cidr!r} is not an IPv4 address with its prefix, like 10.0.0.1/24"
            ) from None
        if "/" not in cidr:
            raise LocalProtocolError(f"router interface {name!r}: {cidr!r} needs its prefix, like {cidr}/24")
        return cls(name, mac, iface.ip.packed, iface.network.prefixlen)


@dataclass(frozen=True, slots=True)
class Forwarded:
    """A packet went from interface ``inbound`` to ``outbound`` with its TTL now ``ttl``."""

    src: bytes
    dst: bytes
    inbound: str
    outbound: str
    ttl: int


@dataclass(frozen=True, slots=True)
class RouterStep:
    """What one call produced: events, ``(interface, frame)`` pairs to send in order, the next deadline."""

    events: tuple[Any, ...] = ()
    frames: tuple[tuple[str, bytes], ...] = ()
    deadline: Ns | None = None


class Router:
    """The forwarding machine (see the module docstring); ``interfaces`` in the order given."""

    def __init__(self, interfaces: Sequence[RouterInterface], *, now: Ns = 0, ttl_exceeded: bool = True) -> None:
        if len(interfaces) < 2:
            raise LocalProtocolError(f"a router joins two LANs or more; got {len(interfaces)} interface(s)")
        names = [i.name for i in interfaces]
        if len(set(names)) != len(names):
            raise LocalProtocolError(f"router interfaces {names}: each LAN once")
        for i, a in enumerate(interfaces):
            for b in interfaces[i + 1 :]:
                if a.holds(b.ip) or b.holds(a.ip):
                    raise LocalProtocolError(
                        f"router interfaces {a.name!r} and {b.name!r} overlap: each LAN needs its own prefix"
                    )
        self.interfaces = {i.name: i for i in interfaces}
        # Longest prefix first: the first interface holding a destination is its route.
        self._routes = sorted(interfaces, key=lambda i: -i.prefix)
        self._ours = {i.ip: i for i in interfaces}
        self.arp = {i.name: ArpCache(i.mac, now=now) for i in interfaces}
        self.ttl_exceeded = ttl_exceeded
        self._queued: dict[tuple[str, bytes], list[bytes]] = {}  # (interface, neighbour IP) -> IPv4 packets
        self.forwarded = 0
        self.dropped = 0

    # --- time and addresses --------------------------------------------------

    @property
    def deadline(self) -> Ns | None:
        return earliest(*(a.deadline for a in self.arp.values()))

    def start(self, now: Ns) -> RouterStep:
        """Take each interface's address (a gratuitous ARP on each LAN)."""
        out: list[tuple[str, bytes]] = []
        events: list[Any] = []
        for name, iface in self.interfaces.items():
            self._arp(name, self.arp[name].start(now, iface.ip), out, events)
        return self._step(events, out)

    def timer(self, now: Ns) -> RouterStep:
        """Run the ARP ticks due by ``now`` (retries, expiries; queued packets of a timed-out neighbour drop)."""
        out: list[tuple[str, bytes]] = []
        events: list[Any] = []
        for name, arp in self.arp.items():
            self._arp(name, arp.timer(now), out, events)
        return self._step(events, out)

    def _step(self, events: list[Any], out: list[tuple[str, bytes]]) -> RouterStep:
        return RouterStep(tuple(events), tuple(out), self.deadline)

    def _arp(self, name: str, step: Any, out: list[tuple[str, bytes]], events: list[Any]) -> None:
        """Send an ARP step's frames on ``name`` and act on its answers (flush or drop the queue)."""
        for f in step.frames:
            out.append((name, f))
        for e in step.events:
            if isinstance(e, ArpResolved):
                for packet in self._queued.pop((name, e.ip), ()):
                    out.append((name, self._frame(name, e.mac, packet)))
            elif isinstance(e, ArpTimedOut):
                lost = self._queued.pop((name, e.ip), ())
                self.dropped += len(lost)
                if lost:
                    events.append(Dropped("router", f"{_fmt(e.ip)} on {name}: no ARP answer, {len(lost)} dropped"))
            else:
                events.append(e)

    def _frame(self, name: str, mac: bytes, packet: bytes) -> bytes:
        return encode_ethernet(mac, self.interfaces[name].mac, ETHERTYPE_IPV4, packet)

    # --- input -----------------------------------------------------------------

    def receive(self, now: Ns, name: str, frame: bytes) -> RouterStep:
        """A frame arrived on interface ``name``."""
        iface = self.interfaces.get(name)
        if iface is None:
            raise LocalProtocolError(f"the router has no interface {name!r}; it has {', '.join(self.interfaces)}")
        out: list[tuple[str, bytes]] = []
        events: list[Any] = []
        if len(frame) < 14:
            events.append(Dropped("ethernet", f"a frame of {len(frame)} bytes"))
            return self._step(events, out)
        dst = frame[:6]
        ethertype = frame[12:14]
        if ethertype == _ETH_ARP:
            self._arp(name, self.arp[name].receive(now, frame[14:]), out, events)
        elif ethertype == _ETH_IPV4 and dst == iface.mac:
            self._ipv4(now, iface, frame[14:], out, events)
        elif dst == iface.mac or dst == BROADCAST_MAC:
            events.append(Dropped("router", f"ethertype 0x{ethertype.hex()} is not routed"))
        # else: another host's unicast, or a multicast (flooded by the switch): not for the router
        return self._step(events, out)

    def _ipv4(self, now: Ns, iface: RouterInterface, data: bytes, out: list[Any], events: list[Any]) -> None:
        try:
            pkt = decode_ipv4(data)
        except FrameError as e:
            events.append(Dropped("ipv4", str(e)))
            return
        hlen = (data[0] & 0x0F) << 2
        packet = data[: hlen + len(pkt.payload)]  # without the Ethernet padding
        dst = pkt.dst
        if dst in self._ours:
            if pkt.proto == PROTO_ICMP:
                self._answer_ping(now, iface, pkt, out, events)
            return
        if dst[0] >= 224 or any(i.broadcast(dst) for i in self._routes):
            return  # multicast and broadcasts stay on their LAN
        route = next((i for i in self._routes if i.holds(dst)), None)
        if route is None:
            self._icmp_error(now, iface, pkt, packet, DEST_UNREACHABLE, 0, out, events)
            events.append(Dropped("router", f"no route to {_fmt(dst)}"))
            return
        if pkt.ttl <= 1:
            if self.ttl_exceeded:
                self._icmp_error(now, iface, pkt, packet, TIME_EXCEEDED, 0, out, events)
            events.append(Dropped("router", f"TTL expired for {_fmt(pkt.src)} -> {_fmt(dst)}"))
            return
        ttl = pkt.ttl - 1
        header = packet[:8] + bytes((ttl,)) + packet[9:10] + b"\x00\x00" + packet[12:hlen]
        csum = internet_checksum(header)
        forwarded = header[:10] + csum.to_bytes(2, "big") + header[12:] + packet[hlen:]
        self.forwarded += 1
        events.append(Forwarded(pkt.src, dst, iface.name, route.name, ttl))
        self._send(now, route, dst, forwarded, out, events)

    def _send(
        self, now: Ns, route: RouterInterface, hop: bytes, packet: bytes, out: list[Any], events: list[Any]
    ) -> None:
        """Send ``packet`` to the neighbour ``hop`` on ``route``, asking ARP first if needed."""
        arp = self.arp[route.name]
        mac = arp.in_cache(hop)
        if mac is not None:
            self._arp(route.name, arp.timer(now), out, events)
            out.append((route.name, self._frame(route.name, mac, packet)))
            return
        queue = self._queued.setdefault((route.name, hop), [])
        queue.append(packet)
        if len(queue) > QUEUE_LIMIT:
            del queue[0]
            self.dropped += 1
        self._arp(route.name, arp.query(now, hop), out, events)

    def _answer_ping(self, now: Ns, iface: RouterInterface, pkt: Any, out: list[Any], events: list[Any]) -> None:
        try:
            msg = decode_icmpv4(pkt.payload)
        except FrameError as e:
            events.append(Dropped("icmp", str(e)))
            return
        reply = echo_reply_for(msg)
        if reply is None:
            return
        self._reply(now, iface, pkt.dst, pkt.src, reply, out, events)

    def _icmp_error(
        self,
        now: Ns,
        iface: RouterInterface,
        pkt: Any,
        packet: bytes,
        type_: int,
        code: int,
        out: list[Any],
        events: list[Any],
    ) -> None:
        if pkt.proto == PROTO_ICMP and pkt.payload[:1] not in (b"\x00", ECHO_REQUEST.to_bytes(1, "big")):
            return  # never an error about an error
        if pkt.offset or pkt.src[0] >= 224 or pkt.src == b"\x00\x00\x00\x00":
            return
        hlen = (packet[0] & 0x0F) << 2
        self._reply(now, iface, iface.ip, pkt.src, encode_icmpv4(type_, code, 0, packet[: hlen + 8]), out, events)

    def _reply(
        self, now: Ns, iface: RouterInterface, src: bytes, dst: bytes, icmp: bytes, out: list[Any], events: list[Any]
    ) -> None:
        route = next((i for i in self._routes if i.holds(dst)), None)
        if route is None:
            return
        self._send(now, route, dst, encode_ipv4(src, dst, PROTO_ICMP, icmp), out, events)


def _fmt(ip: bytes) -> str:
    return ".".join(str(b) for b in ip)
