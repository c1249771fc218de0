"""The link layer a unikernel connects: ``Netif``, ``Ethernet.Make`` and ``Arp.Make``.

- :class:`Netif` (mirage-net-unix's ``Netif``, ``Mirage_net.S``): a port of the
  run's :class:`~.lan.VirtualLan`, named by ``Netif.connect "tap0"``. Its MAC
  is drawn as ``Macaddr.make_local`` does (locally administered, unicast),
  from a generator seeded by the run's seed and the port's name.
- :class:`EthernetDevice` (``Ethernet.Make (N)``): header codec and demux.
- :class:`ArpDevice` (``Arp.Make (E)``): the async shell around the sans-IO
  :class:`~mirage_nb.sim.net.arp.ArpCache`; ``query`` waits for the reply.

Each logs what the real library logs, under the same source name
(``netif``, ``ethernet``, ``ARP``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import CoroutineType
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import Promise, wakeup
from mirage_nb.sim.net._base import Step
from mirage_nb.sim.net.arp import ArpCache, ArpResolved
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.lan import Alarm, VirtualLan
from mirage_nb.sim.netdev.values import Exceeds_mtu, Invalid_length, Macaddr, Stats, Timeout, to_ip
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.run import current_run

__all__ = ["Netif", "EthernetDevice", "ArpDevice", "SIZEOF_ETHERNET", "NETIF_SRC", "ETHERNET_SRC", "ARP_SRC"]

SIZEOF_ETHERNET = 14
"""``Ethernet.Packet.sizeof_ethernet``."""

NETIF_SRC = Src("netif", "Mirage unix network module")
ETHERNET_SRC = Src("ethernet", "Mirage Ethernet")
ARP_SRC = Src("ARP", "Mirage ARP handler")

_PROTO = {"ARP": ETHERTYPE_ARP, "IPv4": ETHERTYPE_IPV4, "IPv6": ETHERTYPE_IPV6}


def local_mac(seed: Any, name: str) -> bytes:
    """``Macaddr.make_local``: six random bytes, locally administered and unicast (deterministic per seed)."""
    rng = random.Random(f"{seed}:netif:{name}")
    b = bytearray(rng.getrandbits(8) for _ in range(6))
    b[0] = (b[0] & 0xFC) | 0x02
    return bytes(b)


class Netif:
    """Twin of ``Netif`` (``Mirage_net.S``) on a virtual LAN port.

    ``listen`` installs the frame handler and returns when the interface is
    disconnected (a second ``listen`` replaces the handler). Each frame is
    handled in its own task, as ``Mirage_net.S.listen`` promises.
    """

    def __init__(
        self, lan: VirtualLan, name: str, *, mac: bytes | None = None, mtu: int = 1500, profile: Any = None
    ) -> None:
        self.lan = lan
        self.run = lan.run
        self.id = name
        used = lan.names.get(name, 0)
        self._mac = mac if mac is not None else local_mac(lan.run.seed, name if not used else f"{name}#{used}")
        self._mtu = mtu
        self.active = True
        self._handler: Callable[[Any], Any] | None = None
        self._header_size = SIZEOF_ETHERNET
        self._stopped, self._stop = wait_any()
        # The stack's ARP cache and IPv6 layer, given by the Ethernet layer (EthernetDevice.input): the receive
        # filter (ignores_arp, ignores_group) asks them whether a flood concerns this interface.
        self._arp_filter: Any = None
        self._ipv6_filter: Any = None
        self.port = lan.attach(name, self._arrive, profile, owner=self)
        self.port.filter = self
        self.stats = _NetifStats(self.port)
        self._declare()

    @classmethod
    async def connect(
        cls, name: str, *, mac: bytes | None = None, mtu: int = 1500, profile: Any = None, lan: Any = None
    ) -> Netif:
        """``Netif.connect name``: plug into ``lan``, by default the run's LAN (``profile``: the port's link)."""
        t = cls(lan if lan is not None else VirtualLan.of_run(current_run()), name, mac=mac, mtu=mtu, profile=profile)
        Logs.debug("plugging into %s with mac %a and mtu %d", name, Macaddr.pp, t.mac(), mtu, src=NETIF_SRC)
        Logs.info("connect %s with mac %a", name, Macaddr.pp, t.mac(), src=NETIF_SRC)
        return t

    # --- Mirage_net.S ---------------------------------------------------------

    def mac(self) -> Macaddr:
        return Macaddr(self._mac)

    @property
    def mac_bytes(self) -> bytes:
        return self._mac

    def mtu(self) -> int:
        return self._mtu

    def get_stats_counters(self) -> Stats:
        return self.stats

    def reset_stats_counters(self) -> None:
        self.stats.reset()

    async def listen(self, header_size: int = SIZEOF_ETHERNET, fn: Callable[[Any], Any] | None = None) -> Any:
        """Handle every arriving frame with ``fn(buf)`` until ``disconnect``; then ``Ok ()``."""
        if fn is None:
            raise SimulationError("Netif.listen needs a frame handler: N.listen(n, header_size=14, fn=handler)")
        self._header_size = header_size
        self._handler = fn
        self._declare()
        await self._stopped
        return Ok(None)

    def write(self, size: int, fill: Callable[[memoryview], int]) -> Promise[Any]:
        """``write t ~size fill``: ``fill`` writes the frame into a zeroed buffer and returns its length."""
        from mirage_nb.sim.lwt import return_

        if size > self._mtu + SIZEOF_ETHERNET:
            return return_(Error(Invalid_length()))
        buf = memoryview(bytearray(size))
        n = fill(buf)
        if not 0 <= n <= size:
            return return_(Error(Invalid_length()))
        self.send_frame(bytes(buf[:n]))
        return return_(Ok(None))

    async def disconnect(self) -> None:
        Logs.info("disconnect %s", self.id, src=NETIF_SRC)
        self.active = False
        self._declare()
        if self._stopped._st == 0:
            wakeup(self._stop, None)

    # --- the simulator's side ---------------------------------------------------

    def send_frame(self, frame: bytes) -> None:
        """Transmit a whole Ethernet frame now (what ``write`` ends in)."""
        if not self.active:
            return
        self.stats.tx_pkts += 1
        self.stats.tx_bytes += len(frame)
        self.port.send(frame)

    # --- the receive filter (sim/netdev/lan.py ReceiveFilter): what the stack would drop unchanged and silent

    @property
    def arp_filter(self) -> Any:
        """The ARP cache the filter asks about ARP broadcasts (None: every one is delivered)."""
        return self._arp_filter

    @arp_filter.setter
    def arp_filter(self, cache: Any) -> None:
        self._arp_filter = cache
        self._declare()

    @property
    def ipv6_filter(self) -> Any:
        """The IPv6 layer the filter asks about multicast groups (None: every multicast is delivered)."""
        return self._ipv6_filter

    @ipv6_filter.setter
    def ipv6_filter(self, layer: Any) -> None:
        self._ipv6_filter = layer
        self._declare()

    def _declare(self) -> None:
        # Tell the LAN's flood index what the filter reads. Not listening (or disconnected), the interface takes
        # a frame and does nothing with it: inert.
        if not self.active or self._handler is None:
            self.port.declare(inert=True)
        else:
            limit = self._header_size + self._mtu
            self.port.declare(arp=self._arp_filter, ipv6=self._ipv6_filter, counts=True, limit=limit)

    def _drop(self, frame: bytes) -> bool:
        # The frame is counted as received (as _arrive counts it) and goes no further.
        if not self.active or self._handler is None or len(frame) > self._header_size + self._mtu:
            return False
        stats = self.stats
        stats._rx_pkts += 1
        stats._rx_bytes += len(frame)
        return True

    def ignores_arp(self, frame: bytes, now: int, op: int, spa: bytes, tpa: bytes) -> bool:
        arp = self._arp_filter
        return arp is not None and arp.ignores_packet(now, op, spa, tpa) and self._drop(frame)

    def ignores_group(self, frame: bytes, dst: bytes) -> bool:
        ip6 = self._ipv6_filter
        return ip6 is not None and ip6.ignores_group(dst) and self._drop(frame)

    def _arrive(self, frame: bytes) -> None:
        if not self.active or self._handler is None or len(frame) > self._header_size + self._mtu:
            return
        stats = self.stats
        stats._rx_pkts += 1
        stats._rx_bytes += len(frame)
        r = self._handler(memoryview(frame))
        if r is not None and not isinstance(r, Promise):
            from mirage_nb.sim.lwt import async_

            async_(r)

    def __repr__(self) -> str:
        return f"<Netif {self.id} {self.mac()}>"


class _NetifStats(Stats):
    """A ``Netif``'s counters: what it counted itself plus the floods its LAN dropped for it in bulk.

    The LAN's flood index skips the ports a broadcast does not concern; their
    filters would have counted it as received, so the index keeps that count
    (:meth:`~.lan.LanPort.swept`) and the received counters add it when read.
    """

    __slots__ = ("_port", "_rx_pkts", "_rx_bytes")

    def __init__(self, port: Any) -> None:
        self._port = port
        self._rx_pkts = 0
        self._rx_bytes = 0
        super().__init__()

    @property
    def rx_pkts(self) -> int:
        return self._rx_pkts + self._port.swept()[0]

    @rx_pkts.setter
    def rx_pkts(self, n: int) -> None:
        self._rx_pkts = n - self._port.swept()[0]

    @property
    def rx_bytes(self) -> int:
        return self._rx_bytes + self._port.swept()[1]

    @rx_bytes.setter
    def rx_bytes(self, n: int) -> None:
        self._rx_bytes = n - self._port.swept()[1]


class EthernetDevice:
    """Twin of ``Ethernet.Make (N)``: writes headers and demultiplexes frames by EtherType."""

    def __init__(self, netif: Any) -> None:
        self.netif = netif

    @classmethod
    async def connect(cls, netif: Any) -> EthernetDevice:
        t = cls(netif)
        Logs.info("Connected Ethernet interface %a", Macaddr.pp, t.mac(), src=ETHERNET_SRC)
        return t

    def mac(self) -> Macaddr:
        return self.netif.mac()

    def mtu(self) -> int:
        return self.netif.mtu()

    def send_frame(self, frame: bytes) -> None:
        self.netif.send_frame(frame)

    async def write(
        self,
        dst: Macaddr | bytes,
        proto: str,
        fill: Callable[[memoryview], int],
        *,
        src: Macaddr | None = None,
        size: int | None = None,
    ) -> Any:
        """``write t ?src dst proto ?size fill``: ``proto`` is ``"ARP"``, ``"IPv4"`` or ``"IPv6"``."""
        if proto not in _PROTO:
            raise SimulationError(f"Ethernet.write: protocol {proto!r}, expected one of ARP, IPv4, IPv6")
        size = self.mtu() if size is None else size
        if size > self.mtu():
            return Error(Exceeds_mtu())
        buf = memoryview(bytearray(size))
        n = fill(buf)
        d = dst.raw if isinstance(dst, Macaddr) else bytes(dst)
        s = (src or self.mac()).raw
        self.send_frame(d + s + _PROTO[proto].to_bytes(2, "big") + bytes(buf[:n]))
        return Ok(None)

    def input(
        self, *, arpv4: Callable[[Any], Any], ipv4: Callable[[Any], Any], ipv6: Callable[[Any], Any]
    ) -> Callable[[Any], Any]:
        """``input ~arpv4 ~ipv4 ~ipv6 t``: the frame handler that dispatches by EtherType."""
        mine = self.netif.mac_bytes
        arp_dev = getattr(arpv4, "__self__", None)
        if hasattr(self.netif, "arp_filter"):
            # The Netif's receive filter: another host's ARP (the cache says) or IPv6 multicast (the layer says).
            self.netif.arp_filter = arp_dev.cache if isinstance(arp_dev, ArpDevice) else None
            self.netif.ipv6_filter = getattr(ipv6, "ipv6_layer", None)  # carried by Ipv6Device.input's handler

        async def handle(frame: Any) -> None:
            if len(frame) < SIZEOF_ETHERNET:
                Logs.debug("dropping Ethernet frame: %s", "frame too short", src=ETHERNET_SRC)
                return
            dst = bytes(frame[0:6])
            if dst != mine and not dst[0] & 1:
                return
            t = (frame[12] << 8) | frame[13]
            if t == ETHERTYPE_IPV4:
                up = ipv4
            elif t == ETHERTYPE_ARP:
                up = arpv4
            elif t == ETHERTYPE_IPV6:
                up = ipv6
            else:
                Logs.debug("dropping Ethernet frame: unknown ethertype 0x%04x", t, src=ETHERNET_SRC)
                return
            # invoke() inlined on the per-frame path: one coroutine fewer for every frame received.
            r = up(frame[SIZEOF_ETHERNET:])
            if type(r) is CoroutineType or isinstance(r, Promise):
                await r

        return handle

    async def disconnect(self) -> None:
        Logs.info("Disconnected Ethernet interface %a", Macaddr.pp, self.mac(), src=ETHERNET_SRC)


class ArpDevice:
    """Twin of ``Arp.Make (E)`` over :class:`ArpCache`.

    When an IPv4 layer sits on top (``Static_ipv4``), ARP input and timers go
    through that layer (``owner``), so packets waiting for an answer leave as
    soon as it arrives.
    """

    def __init__(self, ethernet: Any) -> None:
        self.ethernet = ethernet
        self.run = current_run()
        self.cache = ArpCache(ethernet.mac().raw, now=self.run.now)
        self.owner: Any = None
        self._waiters: dict[bytes, list[Any]] = {}
        self._alarm = Alarm(self.run, self._tick)

    @classmethod
    async def connect(cls, ethernet: Any) -> ArpDevice:
        return cls(ethernet)

    # --- plumbing ---------------------------------------------------------

    def apply(self, step: Step) -> Step:
        """Send a step's frames, wake queries it answers, and keep the tick alarm at its deadline."""
        send = self.ethernet.send_frame
        for f in step.frames:
            send(f)
        for e in step.events:
            if type(e) is ArpResolved:
                for r in self._waiters.pop(e.ip, ()):
                    wakeup(r, Ok(Macaddr(e.mac)))
        if self._waiters:
            # The IPv4 layer turns ARP timeouts into its own drop events: settle by the cache's state instead.
            cache = self.cache
            for ip in sorted(self._waiters):
                if cache.pending(ip):
                    continue
                mac = cache.in_cache(ip)
                if mac is None:
                    Logs.info("ARP timeout after %d retries for %s", cache.retries, str(to_ip(ip)), src=ARP_SRC)
                for r in self._waiters.pop(ip):
                    wakeup(r, Error(Timeout()) if mac is None else Ok(Macaddr(mac)))
        self._alarm.set(self.deadline)
        return step

    @property
    def deadline(self) -> int | None:
        return self.owner.deadline if self.owner is not None else self.cache.deadline

    def _tick(self, now: int) -> None:
        m = self.owner if self.owner is not None else self.cache
        self.apply(m.timer(now))

    def _garp_log(self, ip: bytes) -> None:
        Logs.info("Sending gratuitous ARP for %s (%a)", str(to_ip(ip)), Macaddr.pp, self.ethernet.mac(), src=ARP_SRC)

    # --- Arp.S ------------------------------------------------------------

    def get_ips(self) -> list[Any]:
        return [to_ip(ip) for ip in self.cache.ips]

    async def set_ips(self, ips: list[Any]) -> None:
        for ip in list(self.cache.ips):
            self.cache.remove(ip)
        for k, ip in enumerate(ips):
            raw = to_ip(ip).packed
            self._garp_log(raw)
            if k == 0:
                if self.owner is not None and self.owner.ip == raw:
                    self.apply(self.owner.start(self.run.now))
                else:
                    self.apply(self.cache.start(self.run.now, raw))
            else:
                self.apply(self.cache.alias(self.run.now, raw))

    async def add_ip(self, ip: Any) -> None:
        raw = to_ip(ip).packed
        self._garp_log(raw)
        self.apply(self.cache.alias(self.run.now, raw))

    async def remove_ip(self, ip: Any) -> None:
        self.cache.remove(to_ip(ip).packed)

    def wait_for(self, ip: bytes) -> Promise[Any]:
        """A promise of ``Ok mac`` / ``Error `Timeout`` for a next hop whose query is pending."""
        mac = self.cache.in_cache(ip)
        if mac is not None:
            from mirage_nb.sim.lwt import return_

            return return_(Ok(Macaddr(mac)))
        p, r = wait_any()
        self._waiters.setdefault(ip, []).append(r)
        return p

    async def query(self, ip: Any) -> Any:
        """``query t ip``: ``Ok mac`` once known (asking the network if needed), else ``Error Timeout()``."""
        raw = to_ip(ip).packed
        mac = self.cache.in_cache(raw)
        if mac is not None:
            return Ok(Macaddr(mac))
        p = self.wait_for(raw)
        if not self.cache.pending(raw):
            self.apply(self.cache.query(self.run.now, raw))
        return await p

    async def input(self, buf: Any) -> None:
        """``input t frame``: an ARP payload from the Ethernet layer."""
        data = bytes(buf)
        if self.owner is not None:
            self.apply(self.owner.arp_input(self.run.now, data))
        else:
            self.apply(self.cache.receive(self.run.now, data))

    def pp(self, ppf: Any, _t: Any = None) -> None:
        for ip, kind, mac in self.cache.entries():
            ppf.string(f"{to_ip(ip)} {kind} {Macaddr(mac) if mac else '-'}\n")

    async def disconnect(self) -> None:
        self._alarm.set(None)
