"""ICMPv6 (RFC 4443) and Neighbour Discovery (RFC 4861): codec and the IPv6 link layer machine.

Twin of mirage-tcpip's ``Ndpv6`` cut down to what ``ping6`` between hosts on
one link needs: a link-local address from the MAC (plus configured or
SLAAC-formed global ones), neighbour solicitation/advertisement with a
neighbour cache, echo replies, and router advertisements parsed for a default
router, prefixes and MTU.

Simplifications, on purpose: no duplicate address detection, no router
solicitation at start, no STALE/DELAY/PROBE states (a resolved neighbour stays
reachable), no IPv6 reassembly, no redirects.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Dropped, FrameError, Ns, Step, record_maker
from mirage_nb.sim.net.checksum import fold
from mirage_nb.sim.net.ethernet import ETHERTYPE_IPV6, encode_ethernet
from mirage_nb.sim.net.ipv6 import (
    ALL_NODES,
    NEXT_ICMPV6,
    Ipv6Packet,
    decode_ipv6,
    encode_ipv6,
    link_local_from_mac,
    multicast_dst,
    multicast_mac,
    solicited_node,
)

__all__ = [
    "DEST_UNREACHABLE",
    "ECHO_REQUEST",
    "ECHO_REPLY",
    "ROUTER_SOLICITATION",
    "ROUTER_ADVERTISEMENT",
    "NEIGHBOR_SOLICITATION",
    "NEIGHBOR_ADVERTISEMENT",
    "Icmpv6Message",
    "decode_icmpv6",
    "encode_icmpv6",
    "NeighborSolicitation",
    "NeighborAdvertisement",
    "RouterAdvertisement",
    "PrefixInfo",
    "decode_ndp",
    "encode_neighbor_solicitation",
    "encode_neighbor_advertisement",
    "encode_router_advertisement",
    "Ipv6Received",
    "Icmpv6Received",
    "NeighborResolved",
    "Ipv6Layer",
    "RETRANS_TIMER",
    "MAX_MULTICAST_SOLICIT",
]

DEST_UNREACHABLE = 1
ECHO_REQUEST = 128
ECHO_REPLY = 129
ROUTER_SOLICITATION = 133
ROUTER_ADVERTISEMENT = 134
NEIGHBOR_SOLICITATION = 135
NEIGHBOR_ADVERTISEMENT = 136

OPT_SOURCE_LL = 1
OPT_TARGET_LL = 2
OPT_PREFIX = 3
OPT_MTU = 5

RETRANS_TIMER: Ns = 1_000_000_000
"""RFC 4861 §10: 1 s between solicitations."""
MAX_MULTICAST_SOLICIT = 3
"""RFC 4861 §10: solicitations sent before giving up on a neighbour."""

_PSEUDO = struct.Struct("!16s16sI3xB")
_from_bytes = int.from_bytes
_UNSPECIFIED = bytes(16)


@dataclass(frozen=True, slots=True)
class Icmpv6Message:
    """An ICMPv6 message: type, code and the body after the 4-byte header."""

    type: int
    code: int
    body: bytes


def _sum(src: bytes, dst: bytes, msg: bytes) -> int:
    n = _from_bytes(msg, "big")
    return _from_bytes(_PSEUDO.pack(src, dst, len(msg), NEXT_ICMPV6), "big") + (n << 8 if len(msg) & 1 else n)


_make_message = record_maker(Icmpv6Message)


def decode_icmpv6(data: bytes, src: bytes, dst: bytes) -> Icmpv6Message:
    """Decode an ICMPv6 message from ``src`` to ``dst``, validating its pseudo-header checksum."""
    if len(data) < 4:
        raise FrameError("icmpv6", "length", f"at least 4 bytes, got {len(data)}")
    if _sum(src, dst, data) % 0xFFFF:
        raise FrameError("icmpv6", "checksum", "a message summing to 0xffff with its pseudo-header")
    return _make_message(data[0], data[1], bytes(data[4:]))


def encode_icmpv6(src: bytes, dst: bytes, type_: int, code: int, body: bytes) -> bytes:
    """Build an ICMPv6 message with its checksum."""
    msg = bytes([type_, code, 0, 0]) + body
    return msg[:2] + fold(_sum(src, dst, msg)).to_bytes(2, "big") + msg[4:]


@dataclass(frozen=True, slots=True)
class NeighborSolicitation:
    """Who has ``target``? ``source_lladdr`` is the asker's MAC (absent in DAD probes)."""

    target: bytes
    source_lladdr: bytes | None


@dataclass(frozen=True, slots=True)
class NeighborAdvertisement:
    """``target`` is at ``target_lladdr``; flags R (router), S (solicited), O (override)."""

    target: bytes
    router: bool
    solicited: bool
    override: bool
    target_lladdr: bytes | None


@dataclass(frozen=True, slots=True)
class PrefixInfo:
    """A prefix information option of a router advertisement (RFC 4861 §4.6.2)."""

    prefix: bytes
    length: int
    on_link: bool
    autonomous: bool
    valid_lifetime: int
    preferred_lifetime: int


@dataclass(frozen=True, slots=True)
class RouterAdvertisement:
    """A router advertisement (RFC 4861 §4.2): lifetimes in seconds, times in milliseconds."""

    cur_hop_limit: int
    managed: bool
    other: bool
    router_lifetime: int
    reachable_time: int
    retrans_timer: int
    source_lladdr: bytes | None
    mtu: int | None
    prefixes: tuple[PrefixInfo, ...]


def _options(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise FrameError("ndp", "option header", "2 bytes (type, length)")
        t, ln = data[pos], data[pos + 1] * 8
        if ln == 0:
            raise FrameError("ndp", "option length", "a nonzero length (RFC 4861 §4.6)")
        if pos + ln > len(data):
            raise FrameError("ndp", "option length", f"at most {len(data) - pos} bytes, got {ln}")
        out.append((t, bytes(data[pos + 2 : pos + ln])))
        pos += ln
    return out


def _lladdr(opts: list[tuple[int, bytes]], kind: int) -> bytes | None:
    for t, v in opts:
        if t == kind:
            if len(v) < 6:
                raise FrameError("ndp", "link-layer address option", "6 bytes of MAC")
            return v[:6]
    return None


def decode_ndp(msg: Icmpv6Message) -> NeighborSolicitation | NeighborAdvertisement | RouterAdvertisement:
    """Decode the body of a neighbour solicitation/advertisement or router advertisement."""
    b = msg.body
    if msg.code != 0:
        raise FrameError("ndp", "code", f"0, got {msg.code}")
    if msg.type in (NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT):
        if len(b) < 20:
            raise FrameError("ndp", "length", f"at least 20 bytes after the header, got {len(b)}")
        target = bytes(b[4:20])
        if target[0] == 0xFF:
            raise FrameError("ndp", "target address", "a unicast address")
        opts = _options(b[20:])
        if msg.type == NEIGHBOR_SOLICITATION:
            return NeighborSolicitation(target, _lladdr(opts, OPT_SOURCE_LL))
        f = b[0]
        return NeighborAdvertisement(
            target, bool(f & 0x80), bool(f & 0x40), bool(f & 0x20), _lladdr(opts, OPT_TARGET_LL)
        )
    if msg.type == ROUTER_ADVERTISEMENT:
        if len(b) < 12:
            raise FrameError("ndp", "length", f"at least 12 bytes after the header, got {len(b)}")
        hop, flags, life, reach, retrans = struct.unpack_from("!BBHII", b)
        opts = _options(b[12:])
        mtu = None
        prefixes = []
        for t, v in opts:
            if t == OPT_MTU:
                if len(v) < 6:
                    raise FrameError("ndp", "MTU option", "6 bytes")
                mtu = _from_bytes(v[2:6], "big")
            elif t == OPT_PREFIX:
                if len(v) < 30:
                    raise FrameError("ndp", "prefix information option", "30 bytes")
                plen, pflags, valid, pref = struct.unpack_from("!BBII", v)
                if plen > 128:
                    raise FrameError("ndp", "prefix length", f"at most 128, got {plen}")
                prefixes.append(
                    PrefixInfo(bytes(v[14:30]), plen, bool(pflags & 0x80), bool(pflags & 0x40), valid, pref)
                )
        return RouterAdvertisement(
            hop,
            bool(flags & 0x80),
            bool(flags & 0x40),
            life,
            reach,
            retrans,
            _lladdr(opts, OPT_SOURCE_LL),
            mtu,
            tuple(prefixes),
        )
    raise FrameError("ndp", "type", f"135, 136 or 134, got {msg.type}")


def encode_neighbor_solicitation(target: bytes, source_lladdr: bytes | None) -> bytes:
    """The body of a neighbour solicitation (after the ICMPv6 header)."""
    body = bytes(4) + target
    if source_lladdr is not None:
        body += bytes([OPT_SOURCE_LL, 1]) + source_lladdr
    return body


def encode_neighbor_advertisement(
    target: bytes,
    lladdr: bytes | None,
    *,
    router: bool = False,
    solicited: bool = True,
    override: bool = True,
) -> bytes:
    """The body of a neighbour advertisement."""
    flags = (0x80 if router else 0) | (0x40 if solicited else 0) | (0x20 if override else 0)
    body = bytes([flags, 0, 0, 0]) + target
    if lladdr is not None:
        body += bytes([OPT_TARGET_LL, 1]) + lladdr
    return body


def encode_router_advertisement(ra: RouterAdvertisement) -> bytes:
    """The body of a router advertisement (for scripted routers and tests)."""
    flags = (0x80 if ra.managed else 0) | (0x40 if ra.other else 0)
    body = struct.pack("!BBHII", ra.cur_hop_limit, flags, ra.router_lifetime, ra.reachable_time, ra.retrans_timer)
    if ra.source_lladdr is not None:
        body += bytes([OPT_SOURCE_LL, 1]) + ra.source_lladdr
    if ra.mtu is not None:
        body += bytes([OPT_MTU, 1, 0, 0]) + ra.mtu.to_bytes(4, "big")
    for p in ra.prefixes:
        pf = (0x80 if p.on_link else 0) | (0x40 if p.autonomous else 0)
        body += bytes([OPT_PREFIX, 4]) + struct.pack("!BBII4x", p.length, pf, p.valid_lifetime, p.preferred_lifetime)
        body += p.prefix
    return body


@dataclass(frozen=True, slots=True)
class Ipv6Received:
    """An IPv6 packet for us whose upper layer is not ICMPv6 (UDP, TCP...)."""

    packet: Ipv6Packet


@dataclass(frozen=True, slots=True)
class Icmpv6Received:
    """An ICMPv6 message for us that the layer does not consume itself (echo replies, errors)."""

    src: bytes
    dst: bytes
    message: Icmpv6Message


@dataclass(frozen=True, slots=True)
class NeighborResolved:
    """``ip`` is at ``mac`` (learnt from an advertisement or a solicitation)."""

    ip: bytes
    mac: bytes


def _prefix_match(a: bytes, b: bytes, length: int) -> bool:
    if length == 0:
        return True
    shift = 128 - length
    return (_from_bytes(a, "big") >> shift) == (_from_bytes(b, "big") >> shift)


class Ipv6Layer:
    """One interface's IPv6 with Neighbour Discovery and echo replies (cut-down ``Ndpv6``).

    ``addresses`` are extra global addresses with their prefix (``"fd00::2/64"``);
    the link-local address is always derived from ``mac``.
    """

    def __init__(self, mac: bytes, addresses: tuple[str, ...] = (), *, mtu: int = 1500) -> None:
        self.mac = mac
        self.mtu = mtu
        self.link_local = link_local_from_mac(mac)
        self.addresses: list[tuple[bytes, int]] = [(self.link_local, 64)]
        for a in addresses:
            try:
                iface = ipaddress.IPv6Interface(a)
            except ValueError:
                raise LocalProtocolError(f"IPv6 address {a!r}: expected address/prefix like fd00::2/64") from None
            self.addresses.append((iface.ip.packed, iface.network.prefixlen))
        self.default_router: bytes | None = None
        self.onlink_prefixes: list[tuple[bytes, int]] = []
        # ip -> [mac or None, solicitations left, next deadline or None]
        self._neighbors: dict[bytes, list[Any]] = {}
        self._waiting: dict[bytes, list[bytes]] = {}
        # Told (ipv6_groups()) when the groups we accept change (an address is added): a LAN's flood index
        # (sim/netdev/flood_index.py) keeps, per group, the interfaces a multicast to it may concern.
        self.watcher: Any = None

    @property
    def deadline(self) -> Ns | None:
        best: Ns | None = None
        for e in self._neighbors.values():  # a loop: asked after every packet, over a handful of neighbours
            d = e[2]
            if d is not None and (best is None or d < best):
                best = d
        return best

    def is_ours(self, ip: bytes) -> bool:
        return any(ip == a for a, _ in self.addresses)

    def ignores(self, payload: bytes) -> bool:
        """True for a well-formed packet to a multicast group we have not joined (a NIC's multicast filter).

        :meth:`receive` would drop it as not for us, changing nothing: a receive
        filter may drop it before (another host's duplicate-address check or
        solicitation, an MLD report). Anything it cannot judge cheaply is not ignored.
        """
        dst = multicast_dst(payload)
        return dst is not None and not self.accepts(dst)

    def ignores_group(self, dst: bytes) -> bool:
        """:meth:`ignores` for a well-formed packet already read: its destination ``dst`` (16 bytes)."""
        return dst[0] == 0xFF and not self.accepts(dst)

    def joined_groups(self) -> set[bytes]:
        """The multicast groups :meth:`accepts`: all-nodes and the solicited-node group of each address."""
        return {ALL_NODES, *(solicited_node(a) for a, _ in self.addresses)}

    def accepts(self, dst: bytes) -> bool:
        if dst[0] == 0xFF:
            return dst == ALL_NODES or any(dst == solicited_node(a) for a, _ in self.addresses)
        return self.is_ours(dst)

    def source_for(self, dst: bytes) -> bytes:
        """Our address to send from: link-local for link-local/multicast peers, else the best prefix match."""
        if dst[:2] == b"\xfe\x80" or dst[0] == 0xFF:
            return self.link_local
        for a, plen in self.addresses[1:]:
            if _prefix_match(a, dst, plen):
                return a
        return self.addresses[-1][0]

    def on_link(self, dst: bytes) -> bool:
        if dst[:2] == b"\xfe\x80":
            return True
        return any(_prefix_match(a, dst, p) for a, p in self.addresses[1:] + self.onlink_prefixes)

    def neighbor(self, ip: bytes) -> bytes | None:
        e = self._neighbors.get(ip)
        return None if e is None else e[0]

    # --- sending -----------------------------------------------------------

    def _frame(self, dst_mac: bytes, packet: bytes) -> bytes:
        return encode_ethernet(dst_mac, self.mac, ETHERTYPE_IPV6, packet)

    def _icmp_packet(self, src: bytes, dst: bytes, type_: int, body: bytes, hop_limit: int = 255) -> bytes:
        return encode_ipv6(src, dst, NEXT_ICMPV6, encode_icmpv6(src, dst, type_, 0, body), hop_limit=hop_limit)

    def _solicit(self, target: bytes) -> bytes:
        group = solicited_node(target)
        src = self.source_for(target)
        pkt = self._icmp_packet(src, group, NEIGHBOR_SOLICITATION, encode_neighbor_solicitation(target, self.mac))
        return self._frame(multicast_mac(group), pkt)

    def send(self, now: Ns, dst: bytes, next_header: int, payload: bytes, *, hop_limit: int = 64) -> Step:
        """Send an upper-layer payload to ``dst``, resolving the next hop by neighbour solicitation."""
        src = self.source_for(dst)
        pkt = encode_ipv6(src, dst, next_header, payload, hop_limit=hop_limit)
        if len(pkt) > self.mtu:
            raise LocalProtocolError(f"IPv6 packet of {len(pkt)} bytes: expected at most MTU {self.mtu}")
        return self._route(now, dst, pkt)

    def ping(self, now: Ns, dst: bytes, ident: int, seq: int, data: bytes = b"") -> Step:
        """Send an ICMPv6 echo request (what ``ping6`` sends)."""
        src = self.source_for(dst)
        body = struct.pack("!HH", ident, seq) + data
        return self._route(now, dst, self._icmp_packet(src, dst, ECHO_REQUEST, body, hop_limit=64))

    def _route(self, now: Ns, dst: bytes, pkt: bytes) -> Step:
        if dst[0] == 0xFF:
            return Step((), (self._frame(multicast_mac(dst), pkt),), self.deadline)
        hop = dst if self.on_link(dst) else self.default_router
        if hop is None:
            return Step((Dropped("ipv6", "no route: destination off link and no default router"),), (), self.deadline)
        e = self._neighbors.get(hop)
        if e is not None and e[0] is not None:
            return Step((), (self._frame(e[0], pkt),), self.deadline)
        self._waiting.setdefault(hop, []).append(pkt)
        if e is None:
            self._neighbors[hop] = [None, MAX_MULTICAST_SOLICIT - 1, now + RETRANS_TIMER]
            return Step((), (self._solicit(hop),), self.deadline)
        return Step((), (), self.deadline)

    def _learn(self, ip: bytes, mac: bytes, events: list[Any], frames: list[bytes]) -> None:
        e = self._neighbors.get(ip)
        if e is not None and e[0] == mac:
            return
        self._neighbors[ip] = [mac, 0, None]
        events.append(NeighborResolved(ip, mac))
        for p in self._waiting.pop(ip, ()):
            frames.append(self._frame(mac, p))

    # --- time and input ----------------------------------------------------

    def timer(self, now: Ns) -> Step:
        """Re-send solicitations that are due; give up on neighbours after three."""
        events: list[Any] = []
        frames: list[bytes] = []
        for ip in sorted(self._neighbors):
            e = self._neighbors[ip]
            if e[2] is None or e[2] > now:
                continue
            if e[1] <= 0:
                del self._neighbors[ip]
                n = len(self._waiting.pop(ip, ()))
                events.append(Dropped("ipv6", f"neighbour {ipaddress.IPv6Address(ip)} unreachable; {n} dropped"))
            else:
                e[1] -= 1
                e[2] = now + RETRANS_TIMER
                frames.append(self._solicit(ip))
        return Step(tuple(events), tuple(frames), self.deadline)

    def receive(self, now: Ns, payload: bytes) -> Step:
        """An IPv6 payload from the wire: ND and echo handled here, other traffic as events."""
        try:
            pkt = decode_ipv6(payload)
        except FrameError as e:
            return Step((Dropped("ipv6", str(e)),), (), self.deadline)
        if not self.accepts(pkt.dst):
            return Step((Dropped("ipv6", "not for us"),), (), self.deadline)
        if pkt.next_header != NEXT_ICMPV6:
            return Step((Ipv6Received(pkt),), (), self.deadline)
        try:
            msg = decode_icmpv6(pkt.payload, pkt.src, pkt.dst)
        except FrameError as e:
            return Step((Dropped("icmpv6", str(e)),), (), self.deadline)
        events: list[Any] = []
        frames: list[bytes] = []
        t = msg.type
        if t in (NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT, ROUTER_ADVERTISEMENT):
            # RFC 4861 §7.1: ND messages must come with hop limit 255 (never routed).
            if pkt.hop_limit != 255:
                return Step((Dropped("ndp", f"hop limit {pkt.hop_limit}, expected 255"),), (), self.deadline)
            try:
                nd = decode_ndp(msg)
            except FrameError as e:
                return Step((Dropped("ndp", str(e)),), (), self.deadline)
            if isinstance(nd, NeighborSolicitation):
                if not self.is_ours(nd.target):
                    return Step((), (), self.deadline)
                if nd.source_lladdr is not None and pkt.src != _UNSPECIFIED:
                    self._learn(pkt.src, nd.source_lladdr, events, frames)
                if pkt.src == _UNSPECIFIED:
                    dst, dmac, solicited = ALL_NODES, multicast_mac(ALL_NODES), False
                else:
                    dst, solicited = pkt.src, True
                    dmac = nd.source_lladdr or self.neighbor(pkt.src) or multicast_mac(ALL_NODES)
                body = encode_neighbor_advertisement(nd.target, self.mac, solicited=solicited)
                frames.append(self._frame(dmac, self._icmp_packet(nd.target, dst, NEIGHBOR_ADVERTISEMENT, body)))
            elif isinstance(nd, NeighborAdvertisement):
                if nd.target_lladdr is not None and (nd.target in self._neighbors):
                    self._learn(nd.target, nd.target_lladdr, events, frames)
            else:
                self._router_advertisement(pkt.src, nd, events, frames)
        elif t == ECHO_REQUEST:
            if msg.code == 0 and pkt.dst[0] != 0xFF:
                src = pkt.dst
                reply = encode_ipv6(src, pkt.src, NEXT_ICMPV6, encode_icmpv6(src, pkt.src, ECHO_REPLY, 0, msg.body))
                step = self._route(now, pkt.src, reply)
                events.extend(step.events)
                frames.extend(step.frames)
        else:
            events.append(Icmpv6Received(pkt.src, pkt.dst, msg))
        return Step(tuple(events), tuple(frames), self.deadline)

    def _router_advertisement(
        self, router: bytes, ra: RouterAdvertisement, events: list[Any], frames: list[bytes]
    ) -> None:
        if router[:2] != b"\xfe\x80":
            events.append(Dropped("ndp", "router advertisement from a non-link-local source"))
            return
        if ra.source_lladdr is not None:
            self._learn(router, ra.source_lladdr, events, frames)
        self.default_router = router if ra.router_lifetime else None
        if ra.mtu is not None and 1280 <= ra.mtu:
            self.mtu = min(self.mtu, ra.mtu)
        for p in ra.prefixes:
            if p.on_link and (p.prefix, p.length) not in self.onlink_prefixes:
                self.onlink_prefixes.append((p.prefix, p.length))
            # SLAAC (RFC 4862 §5.5.3): a /64 autonomous prefix + our interface identifier.
            if p.autonomous and p.length == 64 and p.valid_lifetime:
                addr = p.prefix[:8] + self.link_local[8:]
                if not self.is_ours(addr):
                    self.addresses.append((addr, 64))
                    if self.watcher is not None:
                        self.watcher.ipv6_groups()
        events.append(ra)
