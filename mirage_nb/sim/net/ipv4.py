"""IPv4 (RFC 791): header codec, fragmentation, reassembly, and the routing/ARP layer.

Twin of mirage-tcpip's ``Ipv4_packet``/``Fragments``/``Routing``/``Static_ipv4``.
The codec validates the header checksum and tolerates options and trailing
bytes (Ethernet padding). The layer sends through an :class:`~.arp.ArpCache`:
a packet for an address whose MAC is unknown waits for the ARP reply and is
dropped if ARP times out, as ``Static_ipv4.write`` awaiting ``Arp.query``.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, FrameError, Ns, Step, record_maker
from mirage_nb.sim.net.arp import _PENDING as _ARP_PENDING
from mirage_nb.sim.net.arp import ArpCache, ArpResolved, ArpTimedOut
from mirage_nb.sim.net.checksum import fold
from mirage_nb.sim.net.ethernet import ETHERTYPE_IPV4, encode_ethernet

__all__ = [
    "PROTO_ICMP",
    "PROTO_TCP",
    "PROTO_UDP",
    "FLAG_DF",
    "FLAG_MF",
    "pseudo_header_v4",
    "Ipv4Packet",
    "decode_ipv4",
    "encode_ipv4",
    "fragment_payload",
    "Reassembler",
    "Ipv4Received",
    "Ipv4Layer",
    "REASSEMBLY_TIMEOUT",
]

PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
FLAG_DF = 0x4000
FLAG_MF = 0x2000
_OFFSET_MASK = 0x1FFF

_PSEUDO = struct.Struct("!4s4sxBH")
_HDR = struct.Struct("!BBHHHBBH4s4s")
_hdr_unpack = _HDR.unpack_from
_hdr_pack = _HDR.pack
_from_bytes = int.from_bytes

REASSEMBLY_TIMEOUT: Ns = 10_000_000_000
"""Fragments of one packet must all arrive within 10 s (``Fragments.max_duration``)."""
MAX_FRAGMENTS = 16
"""More fragments than this for one packet and it is dropped (``Fragments``' limit)."""
MAX_REASSEMBLIES = 64


def pseudo_header_v4(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The 12-byte pseudo-header UDP and TCP checksums cover (RFC 768, RFC 9293 §3.1)."""
    return _PSEUDO.pack(src, dst, proto, length)


@dataclass(frozen=True, slots=True)
class Ipv4Packet:
    """A decoded IPv4 packet. ``frag`` is the raw flags+offset field; ``payload`` is trimmed
    to the header's total length."""

    src: bytes
    dst: bytes
    proto: int
    ttl: int
    ident: int
    frag: int
    tos: int
    options: bytes
    payload: bytes

    @property
    def more_fragments(self) -> bool:
        return bool(self.frag & FLAG_MF)

    @property
    def dont_fragment(self) -> bool:
        return bool(self.frag & FLAG_DF)

    @property
    def offset(self) -> int:
        """Fragment offset in bytes."""
        return (self.frag & _OFFSET_MASK) << 3

    @property
    def is_fragment(self) -> bool:
        return bool(self.frag & (FLAG_MF | _OFFSET_MASK))

    def encode(self) -> bytes:
        return encode_ipv4(
            self.src,
            self.dst,
            self.proto,
            self.payload,
            ttl=self.ttl,
            ident=self.ident,
            frag=self.frag,
            tos=self.tos,
            options=self.options,
        )


_make_packet = record_maker(Ipv4Packet)


def decode_ipv4(data: bytes) -> Ipv4Packet:
    """Decode and validate an IPv4 packet (version, lengths, header checksum)."""
    n = len(data)
    if n < 20:
        raise FrameError("ipv4", "header length", f"at least 20 bytes, got {n}")
    vihl, tos, total, ident, frag, ttl, proto, _csum, src, dst = _hdr_unpack(data)
    if vihl >> 4 != 4:
        raise FrameError("ipv4", "version", f"4, got {vihl >> 4}")
    hlen = (vihl & 0x0F) << 2
    if hlen < 20:
        raise FrameError("ipv4", "header length (IHL)", f"at least 5 words, got {hlen >> 2}")
    if total < hlen or total > n:
        raise FrameError("ipv4", "total length", f"between {hlen} and {n} (bytes present), got {total}")
    if hlen == 20:
        if _from_bytes(data[:20], "big") % 0xFFFF:
            raise FrameError("ipv4", "header checksum", "a header summing to 0xffff")
        options = b""
    else:
        if hlen > n:
            raise FrameError("ipv4", "header length (IHL)", f"at most {n} bytes, got {hlen}")
        if _from_bytes(data[:hlen], "big") % 0xFFFF:
            raise FrameError("ipv4", "header checksum", "a header summing to 0xffff")
        options = bytes(data[20:hlen])
    payload = data[hlen:total]
    return _make_packet(
        src, dst, proto, ttl, ident, frag, tos, options, payload if type(payload) is bytes else bytes(payload)
    )


def encode_ipv4(
    src: bytes,
    dst: bytes,
    proto: int,
    payload: bytes,
    *,
    ttl: int = 64,
    ident: int = 0,
    frag: int = 0,
    tos: int = 0,
    options: bytes = b"",
) -> bytes:
    """Build an IPv4 packet with its header checksum; options are zero-padded to 32 bits."""
    if options:
        if len(options) & 3:
            options = options + bytes(4 - (len(options) & 3))
        if len(options) > 40:
            raise LocalProtocolError(f"IPv4 options of {len(options)} bytes: expected at most 40")
    hlen = 20 + len(options)
    total = hlen + len(payload)
    if total > 0xFFFF:
        raise LocalProtocolError(f"IPv4 packet of {total} bytes: expected at most 65535 (fragment it)")
    vihl = 0x40 | (hlen >> 2)
    hdr = _hdr_pack(vihl, tos, total, ident, frag, ttl, proto, 0, src, dst) + options
    csum = fold(_from_bytes(hdr, "big"))
    return hdr[:10] + csum.to_bytes(2, "big") + hdr[12:] + payload


def fragment_payload(payload: bytes, mtu: int, header_len: int = 20) -> list[tuple[int, bytes]]:
    """Cut ``payload`` into (flags+offset field, piece) pairs fitting ``mtu`` (RFC 791 §3.2).

    Every piece but the last carries MF and a multiple of 8 bytes.
    """
    room = ((mtu - header_len) // 8) * 8
    if room <= 0:
        raise LocalProtocolError(f"MTU {mtu}: expected room for at least 8 bytes after the IPv4 header")
    if len(payload) <= mtu - header_len:
        return [(0, payload)]
    out = []
    for off in range(0, len(payload), room):
        piece = payload[off : off + room]
        more = FLAG_MF if off + room < len(payload) else 0
        out.append((more | (off >> 3), piece))
    return out


class Reassembler:
    """Collects fragments by (src, dst, proto, ident) until a packet is whole (twin of ``Fragments``).

    A packet whose fragments do not all arrive within :data:`REASSEMBLY_TIMEOUT`
    of its first one is dropped; so is one with more than :data:`MAX_FRAGMENTS`
    pieces or overlapping pieces that disagree. Duplicates are tolerated.
    """

    def __init__(self, timeout: Ns = REASSEMBLY_TIMEOUT) -> None:
        self.timeout = timeout
        # key -> [expires_at, {offset: bytes}, total_length or None, first fragment]
        self._parts: dict[tuple[Any, ...], list[Any]] = {}

    def __len__(self) -> int:
        return len(self._parts)

    @property
    def deadline(self) -> Ns | None:
        parts = self._parts
        if not parts:  # the common case, asked after every packet: no generator, no min
            return None
        return int(min(v[0] for v in parts.values()))

    def expire(self, now: Ns) -> list[Dropped]:
        """Drop the packets whose time is up; one :class:`Dropped` per packet."""
        out = []
        for key in sorted(k for k, v in self._parts.items() if v[0] <= now):
            del self._parts[key]
            out.append(Dropped("ipv4", f"reassembly of packet id {key[3]} timed out"))
        return out

    def add(self, now: Ns, pkt: Ipv4Packet) -> Ipv4Packet | Dropped | None:
        """Add a fragment: the whole packet when complete, ``Dropped`` if given up, else ``None``."""
        key = (pkt.src, pkt.dst, pkt.proto, pkt.ident)
        entry = self._parts.get(key)
        if entry is None:
            if len(self._parts) >= MAX_REASSEMBLIES:
                # Oldest first: the entry closest to expiry makes room.
                oldest = min(self._parts, key=lambda k: (self._parts[k][0], k))
                del self._parts[oldest]
            entry = [now + self.timeout, {}, None, pkt]
            self._parts[key] = entry
        pieces: dict[int, bytes] = entry[1]
        off = pkt.offset
        if not pkt.more_fragments:
            end = off + len(pkt.payload)
            if entry[2] is not None and entry[2] != end:
                del self._parts[key]
                return Dropped("ipv4", f"fragments of packet id {pkt.ident} disagree on its length")
            entry[2] = end
        elif len(pkt.payload) & 7 or not pkt.payload:
            del self._parts[key]
            return Dropped("ipv4", "a non-final fragment's length is not a nonzero multiple of 8")
        old = pieces.get(off)
        if old is not None and old != pkt.payload:
            del self._parts[key]
            return Dropped("ipv4", f"overlapping fragments of packet id {pkt.ident} differ")
        pieces[off] = pkt.payload
        if off == 0:
            entry[3] = pkt
        if len(pieces) > MAX_FRAGMENTS:
            del self._parts[key]
            return Dropped("ipv4", f"packet id {pkt.ident} has more than {MAX_FRAGMENTS} fragments")
        total = entry[2]
        if total is None:
            return None
        # Whole when the pieces tile [0, total) exactly.
        pos = 0
        chunks: list[bytes] = []
        for o in sorted(pieces):
            p = pieces[o]
            if o > pos:
                return None
            if o < pos:
                # Overlap: accept only if the overlapping bytes agree.
                prev = b"".join(chunks)
                ov = min(len(p), pos - o)
                if prev[o : o + ov] != p[:ov]:
                    del self._parts[key]
                    return Dropped("ipv4", f"overlapping fragments of packet id {pkt.ident} differ")
                p = p[ov:]
            chunks.append(p)
            pos += len(p)
        if pos < total:
            return None
        if pos > total:
            del self._parts[key]
            return Dropped("ipv4", f"fragments of packet id {pkt.ident} run past its last fragment")
        del self._parts[key]
        first: Ipv4Packet = entry[3]
        return Ipv4Packet(
            first.src,
            first.dst,
            first.proto,
            first.ttl,
            first.ident,
            0,
            first.tos,
            first.options,
            b"".join(chunks),
        )


@dataclass(frozen=True, slots=True)
class Ipv4Received:
    """A whole IPv4 packet addressed to us (after reassembly), for the protocol above."""

    packet: Ipv4Packet


def _multicast_mac(ip: bytes) -> bytes:
    # RFC 1112 §6.4: 01:00:5e + low 23 bits of the group address.
    return b"\x01\x00\x5e" + bytes([ip[1] & 0x7F, ip[2], ip[3]])


class Ipv4Layer:
    """One interface's IPv4: addressing, next-hop choice, ARP, fragmentation, reassembly.

    Twin of ``Static_ipv4.Make(Ethernet)(Arp)``: ``cidr`` is our address and
    prefix (``"10.0.0.2/24"``); a destination on our prefix is reached
    directly, any other through ``gateway`` (``Routing.destination_mac``).
    ``cidr=None`` is the unconfigured state a DHCP client starts in.
    """

    def __init__(
        self,
        mac: bytes,
        cidr: str | None = None,
        gateway: str | bytes | None = None,
        *,
        mtu: int = 1500,
        now: Ns = 0,
        arp: ArpCache | None = None,
    ) -> None:
        self.mac = mac
        self.mtu = mtu
        self.arp = arp if arp is not None else ArpCache(mac, now=now)
        self.reassembler = Reassembler()
        self.ip = b"\x00\x00\x00\x00"
        self.netmask = b"\x00\x00\x00\x00"
        self.gateway: bytes | None = None
        self._ident = 0
        # broadcast/on_link are asked for every packet: computed once per (ip, netmask) pair.
        self._net_of: tuple[bytes, bytes] = (b"", b"")
        self._bcast = b"\xff\xff\xff\xff"
        self._mask_int = 0
        self._net_int = 0
        self._waiting: dict[bytes, list[bytes]] = {}  # next hop -> IPv4 packets waiting for ARP
        self._configure(cidr, gateway)

    def _configure(self, cidr: str | None, gateway: str | bytes | None) -> None:
        if cidr is not None:
            try:
                iface = ipaddress.IPv4Interface(cidr)
            except ValueError:
                msg = f"IPv4 network {cidr!r}: expected an address/prefix like 10.0.0.2/24"
                raise LocalProtocolError(msg) from None
            self.ip = iface.ip.packed
            self.netmask = iface.netmask.packed
        if isinstance(gateway, str):
            try:
                gateway = ipaddress.IPv4Address(gateway).packed
            except ValueError:
                msg = f"IPv4 gateway {gateway!r}: expected an address like 10.0.0.1"
                raise LocalProtocolError(msg) from None
        self.gateway = gateway

    def configure(self, now: Ns, cidr: str, gateway: str | bytes | None = None) -> Step:
        """Take an address (e.g. from a DHCP lease): ARP announces it."""
        self._configure(cidr, gateway)
        return self._flush(self.arp.start(now, self.ip))

    def start(self, now: Ns) -> Step:
        """Connect time: announce our address with a gratuitous ARP, if we have one."""
        if self.ip == b"\x00\x00\x00\x00":
            return Step((), (), self.deadline)
        return self._flush(self.arp.start(now, self.ip))

    @property
    def configured(self) -> bool:
        return self.ip != b"\x00\x00\x00\x00"

    @property
    def deadline(self) -> Ns | None:
        # Asked after every packet: the ARP tick and the reassembly table read directly, no min() when idle.
        arp = self.arp
        a = arp._next_tick if arp._live else None
        if not self.reassembler._parts:
            return a
        r = self.reassembler.deadline
        return r if a is None or (r is not None and r < a) else a

    def _net(self) -> None:
        ip, netmask = self.ip, self.netmask
        self._net_of = (ip, netmask)
        mask = _from_bytes(netmask, "big")
        self._mask_int = mask
        self._net_int = _from_bytes(ip, "big") & mask
        self._bcast = (self._net_int | (~mask & 0xFFFFFFFF)).to_bytes(4, "big")

    @property
    def broadcast(self) -> bytes:
        """Our subnet's directed broadcast address."""
        net_of = self._net_of
        if net_of[0] is not self.ip or net_of[1] is not self.netmask:
            self._net()
        return self._bcast

    def on_link(self, dst: bytes) -> bool:
        net_of = self._net_of
        if net_of[0] is not self.ip or net_of[1] is not self.netmask:
            self._net()
        return (_from_bytes(dst, "big") & self._mask_int) == self._net_int

    def accepts(self, dst: bytes) -> bool:
        """Whether a packet to ``dst`` is for us (our address, broadcast, or anything while unconfigured)."""
        return (
            dst == self.ip
            or dst == b"\xff\xff\xff\xff"
            or dst == self.broadcast
            or self.ip == b"\x00\x00\x00\x00"
            or 224 <= dst[0] < 240
        )

    # --- sending -----------------------------------------------------------

    def next_hop(self, dst: bytes) -> bytes | None:
        """Where a packet to ``dst`` goes first: ``dst`` itself on link, else the gateway (None: no route)."""
        if self.on_link(dst):
            return dst
        return self.gateway

    def send(
        self,
        now: Ns,
        dst: bytes,
        proto: int,
        payload: bytes,
        *,
        ttl: int = 64,
        src: bytes | None = None,
        dont_fragment: bool = False,
    ) -> Step:
        """Send ``payload`` to ``dst`` (fragmented above the MTU), resolving the next hop by ARP."""
        src = self.ip if src is None else src
        if not dont_fragment and 20 + len(payload) <= self.mtu:  # one packet: _packets inlined
            ident = self._ident
            self._ident = (ident + 1) & 0xFFFF
            packets = [encode_ipv4(src, dst, proto, payload, ttl=ttl, ident=ident)]
        else:
            packets = self._packets(src, dst, proto, payload, ttl, dont_fragment)
        # broadcast and on_link, inlined: this runs for every packet sent.
        ip = self.ip
        net_of = self._net_of
        if net_of[0] is not ip or net_of[1] is not self.netmask:
            self._net()
        if dst == b"\xff\xff\xff\xff" or (ip != b"\x00\x00\x00\x00" and dst == self._bcast):
            return self._emit(now, BROADCAST_MAC, packets)
        if 224 <= dst[0] < 240:
            return self._emit(now, _multicast_mac(dst), packets)
        hop = dst if (_from_bytes(dst, "big") & self._mask_int) == self._net_int else self.gateway
        if hop is None:
            why = f"no route to {_fmt(dst)}: not on link and no gateway"
            return Step((Dropped("ipv4", why),), (), self.deadline)
        e = self.arp._cache.get(hop)  # ArpCache.in_cache inlined
        if e is not None and e[0] != _ARP_PENDING:
            return self._emit(now, e[1], packets)
        queue = self._waiting.setdefault(hop, [])
        queue.extend(packets)
        return self._flush(self.arp.query(now, hop)) if not self.arp.pending(hop) else self.timer(now)

    def _packets(self, src: bytes, dst: bytes, proto: int, payload: bytes, ttl: int, df: bool) -> list[bytes]:
        ident = self._ident
        self._ident = (ident + 1) & 0xFFFF
        if 20 + len(payload) <= self.mtu:
            return [encode_ipv4(src, dst, proto, payload, ttl=ttl, ident=ident, frag=FLAG_DF if df else 0)]
        if df:
            raise LocalProtocolError(
                f"IPv4 packet of {20 + len(payload)} bytes with don't-fragment set: expected at most MTU {self.mtu}"
            )
        return [
            encode_ipv4(src, dst, proto, piece, ttl=ttl, ident=ident, frag=frag)
            for frag, piece in fragment_payload(payload, self.mtu)
        ]

    def _emit(self, now: Ns, mac: bytes, packets: list[bytes]) -> Step:
        ours = self.mac
        arp = self.arp
        if arp._next_tick > now:  # no ARP tick due: nothing to run first (the per-packet case)
            # self.deadline, inlined for the case of no reassembly under way
            dl = (arp._next_tick if arp._live else None) if not self.reassembler._parts else self.deadline
            if len(packets) == 1:
                return Step((), (encode_ethernet(mac, ours, ETHERTYPE_IPV4, packets[0]),), dl)
            return Step((), tuple([encode_ethernet(mac, ours, ETHERTYPE_IPV4, p) for p in packets]), dl)
        step = self.arp.timer(now)
        frames = step.frames + tuple([encode_ethernet(mac, ours, ETHERTYPE_IPV4, p) for p in packets])
        return Step(self._arp_events(step.events), frames, self.deadline)

    def _arp_events(self, events: tuple[Any, ...]) -> tuple[Any, ...]:
        # ARP timeouts drop the packets that waited for that next hop.
        out = []
        for e in events:
            if isinstance(e, ArpTimedOut):
                n = len(self._waiting.pop(e.ip, ()))
                out.append(Dropped("ipv4", f"ARP timed out for {_fmt(e.ip)}; {n} packet(s) dropped"))
            else:
                out.append(e)
        return tuple(out)

    def _flush(self, step: Step) -> Step:
        frames = list(step.frames)
        for e in step.events:
            if isinstance(e, ArpResolved):
                for p in self._waiting.pop(e.ip, ()):
                    frames.append(encode_ethernet(e.mac, self.mac, ETHERTYPE_IPV4, p))
        return Step(self._arp_events(step.events), tuple(frames), self.deadline)

    # --- receiving and time ------------------------------------------------

    def arp_input(self, now: Ns, payload: bytes) -> Step:
        """An ARP payload from the wire: may answer, and may release packets waiting for a MAC."""
        return self._flush(self.arp.receive(now, payload))

    def timer(self, now: Ns) -> Step:
        """ARP ticks and reassembly timeouts due by ``now``."""
        step = self._flush(self.arp.timer(now))
        dropped = self.reassembler.expire(now)
        if dropped:
            step = Step(step.events + tuple(dropped), step.frames, self.deadline)
        return step

    def receive(self, now: Ns, payload: bytes) -> Step:
        """An IPv4 payload from the wire: :class:`Ipv4Received` if it is (or completes) a packet for us."""
        try:
            pkt = decode_ipv4(payload)
        except FrameError as e:
            return Step((Dropped("ipv4", str(e)),), (), self.deadline)
        if not self.accepts(pkt.dst):
            return Step((Dropped("ipv4", f"not for us: destination {_fmt(pkt.dst)}"),), (), self.deadline)
        if pkt.frag & (FLAG_MF | _OFFSET_MASK):
            whole = self.reassembler.add(now, pkt)
            if whole is None:
                return Step((), (), self.deadline)
            if isinstance(whole, Dropped):
                return Step((whole,), (), self.deadline)
            pkt = whole
            return Step((Ipv4Received(pkt),), (), self.deadline)
        arp = self.arp  # a whole packet, no reassembly touched: self.deadline inlined
        dl = (arp._next_tick if arp._live else None) if not self.reassembler._parts else self.deadline
        return Step((Ipv4Received(pkt),), (), dl)


def _fmt(ip: bytes) -> str:
    return ".".join(str(b) for b in ip)
