"""ARP (RFC 826) for IPv4 over Ethernet: codec and cache machine.

The machine is the twin of ``Arp_handler`` in MirageOS's ``arp`` library,
with its clock made explicit. Its rules, in MirageOS's own terms:

- The cache holds *static* entries (our own addresses, "advertised", and
  entries set by hand), *dynamic* entries learnt from replies, and *pending*
  entries for addresses we asked about.
- Time moves in *ticks* of ``probe_delay`` (1.5 s, RFC 5227's probe spacing).
  A dynamic entry lives ``timeout`` ticks (800, i.e. 20 minutes); one tick
  before it expires a fresh request is broadcast so a live peer refreshes it.
  A pending entry re-sends its request on every tick and gives up after
  ``retries`` ticks (5), waking waiters with a timeout.
- Only replies (and gratuitous ARPs, sender IP = target IP) update the cache,
  and only for addresses already in it as dynamic or pending: unsolicited
  announcements never create entries. Static entries are never overwritten
  by the network.
- Requests are answered only for our own (advertised) addresses, whether
  broadcast or unicast.
- Claiming an address (at start or with :meth:`ArpCache.alias`) broadcasts a
  gratuitous ARP request (RFC 5227 §3).

Deliberate difference: MirageOS ticks forever; here the machine only asks to
be woken while it holds dynamic or pending entries, and catches up on missed
idle ticks arithmetically (same epochs, no busy timer in the simulation).
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import (
    BROADCAST_MAC,
    ZERO_MAC,
    Dropped,
    FrameError,
    Ns,
    Step,
    record_maker,
)
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, encode_ethernet

__all__ = [
    "OP_REQUEST",
    "OP_REPLY",
    "ArpPacket",
    "decode_arp",
    "encode_arp",
    "split_arp",
    "ArpResolved",
    "ArpTimedOut",
    "ArpCache",
    "ARP_LEN",
    "PROBE_DELAY",
]

OP_REQUEST = 1
OP_REPLY = 2
ARP_LEN = 28
PROBE_DELAY: Ns = 1_500_000_000
"""Tick length, as ``Arp.Make``'s ``probe_repeat_delay`` (RFC 5227: between 1 and 2 s)."""

_ARP = struct.Struct("!HHBBH6s4s6s4s")
_ETH_IPV4_HDR = (1, 0x0800, 6, 4)
_ETH_IPV4_PREFIX = bytes((0, 1, 8, 0, 6, 4))


@dataclass(frozen=True, slots=True)
class ArpPacket:
    """An ARP message for IPv4 over Ethernet (the only kind MirageOS handles)."""

    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes

    def encode(self) -> bytes:
        return _ARP.pack(1, 0x0800, 6, 4, self.op, self.sha, self.spa, self.tha, self.tpa)


_make_arp = record_maker(ArpPacket)


def decode_arp(data: bytes) -> ArpPacket:
    """Decode an ARP payload (trailing Ethernet padding ignored)."""
    if len(data) < ARP_LEN:
        raise FrameError("arp", "length", f"at least {ARP_LEN} bytes, got {len(data)}")
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
    if (htype, ptype, hlen, plen) != _ETH_IPV4_HDR:
        raise FrameError(
            "arp",
            "hardware/protocol type",
            f"Ethernet (1, len 6) and IPv4 (0x0800, len 4), got ({htype}, {hlen}) and ({ptype:#06x}, {plen})",
        )
    if op != OP_REQUEST and op != OP_REPLY:
        raise FrameError("arp", "operation", f"1 (request) or 2 (reply), got {op}")
    return _make_arp(op, sha, spa, tha, tpa)


def encode_arp(op: int, sha: bytes, spa: bytes, tha: bytes, tpa: bytes) -> bytes:
    """Build an ARP payload."""
    return _ARP.pack(1, 0x0800, 6, 4, op, sha, spa, tha, tpa)


def split_arp(payload: bytes) -> tuple[int, bytes, bytes] | None:
    """``(op, sender IP, target IP)`` of a well-formed Ethernet/IPv4 ARP request or reply, else None.

    The few bytes a receive filter needs, without decoding the packet.
    """
    if len(payload) < ARP_LEN or payload[:6] != _ETH_IPV4_PREFIX or payload[6] != 0:
        return None
    op = payload[7]
    if op != OP_REQUEST and op != OP_REPLY:
        return None
    return op, payload[14:18], payload[24:28]


@dataclass(frozen=True, slots=True)
class ArpResolved:
    """``ip`` is at ``mac``: packets waiting for it can go (``Lwt.wakeup u (Ok mac)``)."""

    ip: bytes
    mac: bytes


@dataclass(frozen=True, slots=True)
class ArpTimedOut:
    """Nobody answered for ``ip`` after all retries: waiting packets are dropped (```Timeout``)."""

    ip: bytes


# Cache entries: small tuples tagged by kind, as the OCaml variant.
_STATIC, _DYNAMIC, _PENDING = 0, 1, 2


class ArpCache:
    """The ARP machine of one interface (twin of ``Arp_handler.t`` driven by ``Arp.Make``).

    Every method taking ``now`` first runs the ticks that are due, so frames
    those ticks produce come out of whichever call notices them first.
    """

    def __init__(
        self,
        mac: bytes,
        *,
        now: Ns = 0,
        timeout: int = 800,
        retries: int = 5,
        probe_delay: Ns = PROBE_DELAY,
        cache_size: int = 1024,
    ) -> None:
        if timeout <= 0:
            raise LocalProtocolError(f"ARP timeout {timeout}: expected a strictly positive number of ticks")
        if retries < 0:
            raise LocalProtocolError(f"ARP retries {retries}: expected zero or more")
        if probe_delay <= 0:
            raise LocalProtocolError(f"ARP probe_delay {probe_delay}: expected a positive duration in ns")
        self.mac = mac
        self.ip = b"\x00\x00\x00\x00"
        self.timeout = timeout
        self.retries = retries
        self.probe_delay = probe_delay
        self.cache_size = cache_size
        self.epoch = 0
        self._next_tick = now + probe_delay
        self._cache: dict[bytes, tuple[Any, ...]] = {}
        self._lru: OrderedDict[bytes, None] = OrderedDict()
        self._live = 0  # number of dynamic + pending entries (they need ticks)
        # Told when an address enters or leaves the cache (arp_entry(ip, present)) and when the deadline moves
        # (arp_deadline(deadline)): a LAN's flood index (sim/netdev/flood_index.py) keeps, per address, the
        # interfaces a broadcast about it may concern. Any object with those two methods; None: nobody.
        self.watcher: Any = None

    # --- views -------------------------------------------------------------

    @property
    def ips(self) -> list[bytes]:
        """Our own (advertised) addresses, in ascending order."""
        return sorted(ip for ip, e in self._cache.items() if e[0] == _STATIC and e[2])

    def in_cache(self, ip: bytes) -> bytes | None:
        """The MAC known for ``ip`` (static or dynamic), or ``None``."""
        e = self._cache.get(ip)
        if e is None or e[0] == _PENDING:
            return None
        mac: bytes = e[1]
        return mac

    def pending(self, ip: bytes) -> bool:
        """Whether a query for ``ip`` is waiting for a reply."""
        e = self._cache.get(ip)
        return e is not None and e[0] == _PENDING

    def entries(self) -> list[tuple[bytes, str, bytes | None]]:
        """(ip, kind, mac) for every entry, sorted by IP: kind is static, advertised, dynamic or pending."""
        out = []
        for ip in sorted(self._cache):
            e = self._cache[ip]
            if e[0] == _STATIC:
                out.append((ip, "advertised" if e[2] else "static", e[1]))
            elif e[0] == _DYNAMIC:
                out.append((ip, "dynamic", e[1]))
            else:
                out.append((ip, "pending", None))
        return out

    @property
    def deadline(self) -> Ns | None:
        """When the next tick is due, if any entry needs ticking."""
        return self._next_tick if self._live else None

    # --- cache bookkeeping ---------------------------------------------------

    def _set(self, ip: bytes, entry: tuple[Any, ...]) -> None:
        old = self._cache.get(ip)
        live = self._live
        if old is not None and old[0] != _STATIC:
            self._live -= 1
        if entry[0] != _STATIC:
            self._live += 1
        self._cache[ip] = entry
        if entry[0] == _DYNAMIC:
            self._lru[ip] = None
            self._lru.move_to_end(ip)
            if len(self._lru) > self.cache_size:
                drop, _ = self._lru.popitem(last=False)
                self._del(drop)
        else:
            self._lru.pop(ip, None)
        w = self.watcher
        if w is not None:
            if old is None:
                w.arp_entry(ip, True)
            if (live == 0) != (self._live == 0):
                w.arp_deadline(self.deadline)

    def _del(self, ip: bytes) -> None:
        old = self._cache.pop(ip, None)
        live = self._live
        if old is not None and old[0] != _STATIC:
            self._live -= 1
        self._lru.pop(ip, None)
        w = self.watcher
        if w is not None and old is not None:
            w.arp_entry(ip, False)
            if (live == 0) != (self._live == 0):
                w.arp_deadline(self.deadline)

    def _frame(self, op: int, dst_mac: bytes, tha: bytes, spa: bytes, tpa: bytes, sha: bytes | None = None) -> bytes:
        sha = self.mac if sha is None else sha
        return encode_ethernet(dst_mac, self.mac, ETHERTYPE_ARP, encode_arp(op, sha, spa, tha, tpa))

    def _request(self, ip: bytes) -> bytes:
        # Arp_handler.request: target MAC field is the broadcast address.
        return self._frame(OP_REQUEST, BROADCAST_MAC, BROADCAST_MAC, self.ip, ip)

    def _garp(self, ip: bytes) -> bytes:
        # RFC 5227 §3 announcement: a request with sender = target = our IP, target MAC zero.
        return self._frame(OP_REQUEST, BROADCAST_MAC, ZERO_MAC, ip, ip)

    def _step(self, events: list[Any], frames: list[bytes]) -> Step:
        return Step(tuple(events), tuple(frames), self.deadline)

    # --- time ----------------------------------------------------------------

    def _tick(self, frames: list[bytes], events: list[Any]) -> None:
        epoch = self.epoch
        for ip in sorted(self._cache):
            e = self._cache[ip]
            if e[0] == _DYNAMIC:
                if e[2] == epoch:
                    self._del(ip)
                elif e[2] == epoch + 1:
                    frames.append(self._request(ip))
            elif e[0] == _PENDING:
                if e[1] == epoch:
                    self._del(ip)
                    events.append(ArpTimedOut(ip))
                else:
                    frames.append(self._request(ip))
        self.epoch = epoch + 1

    def _advance(self, now: Ns, frames: list[bytes], events: list[Any]) -> None:
        if self._next_tick > now:
            return
        while self._next_tick <= now:
            if not self._live:
                # Idle: the ticks would change nothing but the epoch; skip them at once.
                n = (now - self._next_tick) // self.probe_delay + 1
                self.epoch += n
                self._next_tick += n * self.probe_delay
                return
            self._tick(frames, events)
            self._next_tick += self.probe_delay
        w = self.watcher
        if w is not None:
            w.arp_deadline(self.deadline)

    def timer(self, now: Ns) -> Step:
        """Run every tick due by ``now`` (re-sent requests, expiries, timeouts)."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        return self._step(events, frames)

    # --- addresses -----------------------------------------------------------

    def start(self, now: Ns, ip: bytes | None = None) -> Step:
        """``Arp.create``/``set_ips [ip]``: take ``ip`` as ours, announced by a gratuitous ARP."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        if ip is None:
            return self._step(events, frames)
        self.ip = ip
        return self._alias(ip, frames, events)

    def alias(self, now: Ns, ip: bytes) -> Step:
        """``Arp.add_ip``: one more address of ours, announced; queries waiting for it resolve to us."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        if self.ip == b"\x00\x00\x00\x00":
            self.ip = ip
        return self._alias(ip, frames, events)

    def _alias(self, ip: bytes, frames: list[bytes], events: list[Any]) -> Step:
        was_pending = self.pending(ip)
        self._set(ip, (_STATIC, self.mac, True))
        frames.append(self._garp(ip))
        if was_pending:
            events.append(ArpResolved(ip, self.mac))
        return self._step(events, frames)

    def static(self, now: Ns, ip: bytes, mac: bytes) -> Step:
        """A fixed, unadvertised entry (``Arp_handler.static``); queries waiting for it resolve."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        was_pending = self.pending(ip)
        self._set(ip, (_STATIC, mac, False))
        if was_pending:
            events.append(ArpResolved(ip, mac))
        return self._step(events, frames)

    def remove(self, ip: bytes) -> None:
        """Forget ``ip`` (``Arp.remove_ip``)."""
        self._del(ip)
        if ip == self.ip:
            self.ip = b"\x00\x00\x00\x00"

    # --- queries and input ---------------------------------------------------

    def query(self, now: Ns, ip: bytes) -> Step:
        """Ask for ``ip``'s MAC: an :class:`ArpResolved` event at once if known, else a request is sent
        (only by the first query; later ones wait for the same answer)."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        e = self._cache.get(ip)
        if e is None:
            self._set(ip, (_PENDING, self.epoch + self.retries))
            frames.append(self._request(ip))
        elif e[0] != _PENDING:
            if e[0] == _DYNAMIC:
                self._lru.move_to_end(ip)
            events.append(ArpResolved(ip, e[1]))
        return self._step(events, frames)

    def ignores(self, now: Ns, payload: bytes) -> bool:
        """True when :meth:`receive` of ``payload`` at ``now`` would change nothing and send nothing.

        That is another host's business: a request for an address that is not
        ours, a reply or announcement for an address we are not waiting for
        nor keeping. A receive filter (a NIC's, the LAN's) may drop such a
        packet without the cost of :meth:`receive`; a packet it cannot judge
        cheaply (malformed, or ticks are due) is not ignored.
        """
        split = split_arp(payload)
        return split is not None and self.ignores_packet(now, *split)

    def ignores_packet(self, now: Ns, op: int, spa: bytes, tpa: bytes) -> bool:
        """:meth:`ignores` for a well-formed Ethernet/IPv4 ARP packet already split: ``op``, sender and target IPs."""
        if self._live and self._next_tick <= now:
            return False  # ticks are due: receive would run them
        if op != OP_REQUEST and op != OP_REPLY:
            return False
        if spa == tpa or op == OP_REPLY:
            e = self._cache.get(spa)
            return e is None or e[0] == _STATIC
        e = self._cache.get(tpa)
        return e is None or e[0] != _STATIC or not e[2]

    def receive(self, now: Ns, payload: bytes) -> Step:
        """Handle an ARP payload from the wire (``Arp_handler.input``)."""
        frames: list[bytes] = []
        events: list[Any] = []
        self._advance(now, frames, events)
        try:
            pkt = decode_arp(payload)
        except FrameError as e:
            events.append(Dropped("arp", str(e)))
            return self._step(events, frames)
        if pkt.spa == pkt.tpa or pkt.op == OP_REPLY:
            self._handle_reply(pkt.spa, pkt.sha, events)
        else:
            entry = self._cache.get(pkt.tpa)
            if entry is not None and entry[0] == _STATIC and entry[2]:
                frames.append(self._frame(OP_REPLY, pkt.sha, pkt.sha, pkt.tpa, pkt.spa, sha=entry[1]))
        return self._step(events, frames)

    def _handle_reply(self, ip: bytes, mac: bytes, events: list[Any]) -> None:
        e = self._cache.get(ip)
        if e is None or e[0] == _STATIC:
            return
        self._set(ip, (_DYNAMIC, mac, self.epoch + self.timeout))
        if e[0] == _PENDING:
            events.append(ArpResolved(ip, mac))
