"""Scripted DNS and DHCP peers for a run's virtual LAN, each usable in a line or two.

- :class:`DnsServerPeer`: a host answering DNS on port 53 (UDP and TCP) from
  zones, with the :class:`~mirage_nb.sim.net.dns_server.DnsPrimary` machine::

      DnsServerPeer(lan, cidr="10.0.0.1/24", zones=[zone_text])

- :class:`DnsClientPeer`: a host with a
  :class:`~mirage_nb.sim.net.dns_client.StubResolver` (cache, timeouts,
  retries, TCP fallback); inside a script, ``await c.resolve("www.example.org")``
  gives the :class:`~mirage_nb.sim.net.dns_client.DnsResult`::

      c = DnsClientPeer(lan, cidr="10.0.0.9/24", nameservers=["udp:10.0.0.2"])
      c.script(lambda: c.resolve("www.example.org", "A"))

- :class:`DhcpClientPeer`: a host that configures itself by DHCP (DORA) and
  can release its lease; ``await c.wait_lease()`` gives the address.

Every answer, lease and drop stays in ``peer.events`` as ``(time, event)``.
"""

from __future__ import annotations

import random
from typing import Any

from mirage_nb.sim.lwt import Resolver, async_, pick, wakeup
from mirage_nb.sim.net._base import Step
from mirage_nb.sim.net.dhcp_client import LeaseObtained
from mirage_nb.sim.net.dns import DNS_PORT, TcpDnsReader, frame_tcp
from mirage_nb.sim.net.dns_client import DnsResult, DnsSend, StubResolver, nameserver_of_string
from mirage_nb.sim.net.dns_server import Answered, DnsPrimary
from mirage_nb.sim.net.tcp import DataReceived, EndpointStep
from mirage_nb.sim.net.udp import UdpReceived
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.lan import Alarm, VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.values import to_ip

__all__ = ["DnsServerPeer", "DnsClientPeer", "DhcpClientPeer"]


class DnsServerPeer(Peer):
    """A scripted authoritative DNS server on ``lan`` (UDP and TCP port 53)."""

    def __init__(self, lan: VirtualLan, *, zones: Any = (), name: str = "dns-server", **kw: Any) -> None:
        self.server = zones if isinstance(zones, DnsPrimary) else DnsPrimary(zones)
        self._readers: dict[Any, TcpDnsReader] = {}
        self.answers: list[Answered] = []
        super().__init__(lan, name=name, **kw)
        self.host.listen_udp(DNS_PORT)
        self.tcp.listen(DNS_PORT)

    def apply(self, step: Step) -> None:
        super().apply(step)
        for e in step.events:
            if type(e) is UdpReceived and e.dst_port == DNS_PORT:
                a = self.server.handle(e.payload)
                if isinstance(a, Answered):
                    self.answers.append(a)
                    super().apply(self.host.send_udp(self.run.now, e.src, DNS_PORT, e.src_port, a.wire))

    def apply_tcp(self, step: EndpointStep) -> None:
        super().apply_tcp(step)
        for fe in step.events:
            if type(fe.event) is DataReceived and fe.flow.local_port == DNS_PORT:
                reader = self._readers.setdefault(fe.flow, TcpDnsReader())
                for msg in reader.feed(fe.event.data):
                    a = self.server.handle(msg, tcp=True)
                    if isinstance(a, Answered) and fe.flow in self.tcp.connections:
                        self.answers.append(a)
                        super().apply_tcp(self.tcp.send(self.run.now, fe.flow, frame_tcp(a.wire)))


class DnsClientPeer(Peer):
    """A scripted stub resolver on ``lan``; ``await resolve(name, rdtype)`` inside a script."""

    def __init__(
        self,
        lan: VirtualLan,
        *,
        nameservers: list[str] | tuple[str, ...] = ("udp:10.0.0.2",),
        timeout_ns: int = 2_000_000_000,
        retries: int = 2,
        cache_size: int = 32,
        name: str = "dns-client",
        **kw: Any,
    ) -> None:
        super().__init__(lan, name=name, **kw)
        self.resolver = StubResolver(
            [nameserver_of_string(s) for s in nameservers],
            timeout_ns=timeout_ns,
            retries=retries,
            cache_size=cache_size,
            rng=random.Random(f"{self.run.seed}:dns-peer:{name}"),
        )
        self.results: list[DnsResult] = []
        self._waiting: dict[int, Resolver[Any]] = {}
        self._ports: dict[int, int] = {}
        self._dns_alarm = Alarm(self.run, lambda now: self._dns(self.resolver.timer(now)))
        self._next_port = 49152 + random.Random(f"{self.run.seed}:dns-port:{name}").randrange(8192)

    def _dns(self, events: list[Any]) -> None:
        for e in events:
            self.events.append((self.run.now, e))
            if isinstance(e, DnsSend):
                async_(self._transmit(e))
            elif isinstance(e, DnsResult):
                self.results.append(e)
                r = self._waiting.pop(e.token, None)
                if r is not None:
                    wakeup(r, e)
        self._dns_alarm.set(self.resolver.deadline)

    async def _transmit(self, e: DnsSend) -> None:
        ns = e.server
        if ns.proto == "udp":
            port = self._ports.get(e.token)
            if port is None:
                port = self._ports[e.token] = self._next_port
                self._next_port = 49152 + (self._next_port - 49152 + 1) % 16384
                self.host.listen_udp(port)
            await self.send_udp(ns.ip, port, ns.port, e.wire)
            return
        try:
            f = await self.connect(ns.ip, ns.port)
        except Exception:  # noqa: BLE001 - refused / timed out: the machine's timer reports it
            return
        await self.send(f, frame_tcp(e.wire))
        reader = TcpDnsReader()
        seen = 0
        while e.token in self.resolver.pending and not (f.closed_by_peer or f.gone):
            await self.wait_bytes(f, seen + 1, timeout_ns=self.resolver.timeout_ns)
            if len(f.data) == seen:
                break
            for msg in reader.feed(bytes(f.data[seen:])):
                self._dns(self.resolver.receive(self.run.now, msg, token=e.token))
            seen = len(f.data)
        await self.close(f)

    def apply(self, step: Step) -> None:
        super().apply(step)
        for e in step.events:
            if type(e) is UdpReceived and e.dst_port in self._ports.values():
                tokens = [t for t, p in self._ports.items() if p == e.dst_port]
                self._dns(self.resolver.receive(self.run.now, e.payload, token=tokens[0], src=to_ip(e.src)))

    async def resolve(self, name: str, rdtype: str = "A") -> DnsResult:
        """Look ``name`` up; the result (records, no data, no domain or a failure such as a timeout)."""
        token, events = self.resolver.lookup(self.run.now, name, rdtype)
        p, r = wait_any()
        self._waiting[token] = r
        self._dns(events)
        return await p  # type: ignore[no-any-return]


class DhcpClientPeer(Peer):
    """A scripted host that asks for its address by DHCP; ``await wait_lease()`` inside a script."""

    def __init__(self, lan: VirtualLan, *, name: str = "dhcp-client", **kw: Any) -> None:
        super().__init__(lan, name=name, dhcp=True, **kw)

    @property
    def lease(self) -> LeaseObtained | None:
        """The last lease obtained, or None."""
        bound = [e for _, e in self.events if isinstance(e, LeaseObtained)]
        return bound[-1] if bound else None

    async def wait_lease(self, timeout_ns: int = 60_000_000_000) -> Any:
        """Wait for a lease; the address obtained (``ipaddress.IPv4Address``), or None on timeout."""
        deadline = self.run.now + timeout_ns
        while self.lease is None and self.run.now < deadline:
            await pick([self.run.sleep_ns(min(100_000_000, deadline - self.run.now))])
        return to_ip(self.lease.lease.address) if self.lease is not None else None
