"""Scripted peers on a run's virtual LAN: a sans-IO :class:`~mirage_nb.sim.net.host.Host` plus TCP.

A :class:`Peer` is the other machine of an experiment — the client that
connects to a simulated unikernel, the host that pings it. It is not a
unikernel: it logs nothing, and it is driven by a *script*, a coroutine run
on the same virtual clock (``peer.script(fn)``). Its methods are awaited
inside the script::

    client = Peer(lan, name="client", cidr="10.0.0.1/24")

    async def talk():
        await Mirage_sleep.ns(Duration.of_sec(2))
        flow = await client.connect("10.0.0.2", 8080)
        await client.send(flow, b"hello")
        await client.close(flow)

    client.script(talk)

Everything the host reports is kept in :attr:`Peer.events` as ``(time,
event)`` pairs (ping replies, UDP datagrams, TCP flow events, drops).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import Resolver, pick, wakeup
from mirage_nb.sim.net._base import Step
from mirage_nb.sim.net.host import Host, PingReply
from mirage_nb.sim.net.icmpv6 import Ipv6Received
from mirage_nb.sim.net.ipv4 import PROTO_TCP, Ipv4Received
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.net.tcp import (
    Closed,
    Connected,
    DataReceived,
    EndpointStep,
    Flow,
    PeerClosed,
    Refused,
    Reset,
    TcpConfig,
    TcpEndpoint,
    TimedOut,
)
from mirage_nb.sim.net.udp import UdpReceived
from mirage_nb.sim.netdev._module import wait_any
from mirage_nb.sim.netdev.lan import Alarm, VirtualLan
from mirage_nb.sim.netdev.link import local_mac
from mirage_nb.sim.netdev.values import to_ip

__all__ = ["Peer", "PeerFlow"]


class PeerFlow:
    """A TCP connection of a peer: what arrived, and whether the other side closed."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.data = bytearray()
        self.received: deque[bytes] = deque()
        self.closed_by_peer = False
        self.gone = False
        self.waiters: list[Resolver[None]] = []

    def __repr__(self) -> str:
        return f"<peer flow :{self.flow.local_port} -> {to_ip(self.flow.remote_ip)}:{self.flow.remote_port}>"


class Peer:
    """A scripted host on ``lan``: static ``cidr`` or ``dhcp``, extra ``ipv6`` addresses, TCP on demand."""

    def __init__(
        self,
        lan: VirtualLan,
        *,
        name: str = "peer",
        cidr: str | None = None,
        gateway: str | None = None,
        ipv6: tuple[str, ...] = (),
        dhcp: bool = False,
        mac: bytes | None = None,
        profile: LinkProfile | None = None,
        tcp_config: TcpConfig | None = None,
    ) -> None:
        self.lan = lan
        self.run = lan.run
        self.name = name
        seed = self.run.seed
        self.host = Host(
            mac or local_mac(seed, f"peer:{name}"),
            cidr,
            gateway,
            name=name,
            ipv6=ipv6,
            dhcp=dhcp,
            rng=random.Random(f"{seed}:peer-dhcp:{name}"),
            now=self.run.now,
        )
        self.tcp = TcpEndpoint(random.Random(f"{seed}:peer-tcp:{name}"), tcp_config)
        self.events: list[tuple[int, Any]] = []
        self.error: Exception | None = None  # the first failure of a script (see script)
        self.instance = getattr(self.run, "instance", None)  # the run's instance it was made in
        self.flows: dict[Flow, PeerFlow] = {}
        self._connects: dict[Flow, Resolver[Any]] = {}
        self._pings: dict[tuple[int, int], Resolver[Any]] = {}
        self._alarm = Alarm(self.run, self._tick)
        self.port = lan.attach(name, self._arrive, profile, owner=self)
        self.port.filter = self  # ignores_arp, ignores_group: another host's ARP and multicast stop at the NIC
        self.port.declare(arp=self.host.ipv4.arp, ipv6=self.host.ipv6)  # what they read, for the LAN's index
        self.apply(self.host.start(self.run.now))

    # --- plumbing ----------------------------------------------------------

    def apply(self, step: Step) -> None:
        """Send a host step's frames and handle its events (TCP segments go to the TCP endpoint)."""
        self._apply(step)
        self._alarm.set(self._deadline())

    def _apply(self, step: Step) -> None:
        # apply without re-arming the timer: the outermost caller arms it once, for everything the step caused
        # (the deadline is a minimum over the host's and every connection's timers, not free to recompute).
        for f in step.frames:
            self.port.send(f)
        now = self.run.now
        for e in step.events:
            t = type(e)
            if t is Ipv4Received and e.packet.proto == PROTO_TCP:
                p = e.packet
                self.apply_tcp(self.tcp.receive(now, p.src, p.dst, p.payload))
                continue
            if t is Ipv6Received and e.packet.next_header == PROTO_TCP:
                p = e.packet
                self.apply_tcp(self.tcp.receive(now, p.src, p.dst, p.payload))
                continue
            self.events.append((now, e))
            if t is PingReply:
                r = self._pings.pop((e.ident, e.seq), None)
                if r is not None:
                    wakeup(r, e)

    def _deadline(self) -> int | None:
        a, b = self.host.deadline, self.tcp.deadline
        return a if b is None else b if a is None else min(a, b)

    def apply_tcp(self, step: EndpointStep) -> None:
        """Send a TCP step's segments through the host and hand its events to the flows and scripts."""
        wakes = self._apply_tcp(step)
        self._alarm.set(self._deadline())
        for r, v in wakes:
            wakeup(r, v)

    def _apply_tcp(self, step: EndpointStep) -> list[tuple[Resolver[Any], Any]]:
        now = self.run.now
        for pkt in step.packets:
            if len(pkt.dst) == 4:
                self._apply(self.host.ipv4.send(now, pkt.dst, PROTO_TCP, pkt.data, src=pkt.src))
            else:
                self._apply(Step((), self.host.ipv6.send(now, pkt.dst, PROTO_TCP, pkt.data).frames, None))
        wakes: list[tuple[Resolver[Any], Any]] = []
        for fe in step.events:
            flow, ev = fe.flow, fe.event
            self.events.append((now, fe))
            f = self.flows.get(flow)
            t = type(ev)
            if t is Connected:
                if f is None:
                    f = self.flows[flow] = PeerFlow(flow)
                r = self._connects.pop(flow, None)
                if r is not None:
                    wakes.append((r, f))
            elif t is DataReceived and f is not None:
                data = cast(DataReceived, ev).data
                f.data += data
                f.received.append(data)
            elif t in (PeerClosed, Reset, Closed) and f is not None:
                f.closed_by_peer = f.closed_by_peer or t is not Closed
                f.gone = f.gone or t is not PeerClosed
            elif t in (Refused, TimedOut):
                r = self._connects.pop(flow, None)
                if r is not None:
                    wakes.append((r, ev))
            if f is not None and f.waiters:
                ws, f.waiters = f.waiters, []
                wakes.extend((w, None) for w in ws)
        return wakes

    def _tick(self, now: int) -> None:
        self.apply(self.host.timer(now))
        self.apply_tcp(self.tcp.timer(now))

    def ignores_arp(self, frame: bytes, now: int, op: int, spa: bytes, tpa: bytes) -> bool:
        """Receive filter (:class:`~.lan.ReceiveFilter`): another host's ARP never reaches the host."""
        return self.host.ipv4.arp.ignores_packet(now, op, spa, tpa)

    def ignores_group(self, frame: bytes, dst: bytes) -> bool:
        """Receive filter: an IPv6 multicast group the host has not joined (as :meth:`Host.ignores`)."""
        return self.host.ipv6.ignores_group(dst)

    def _arrive(self, frame: bytes) -> None:
        self.apply(self.host.receive(self.run.now, frame))

    # --- scripting ---------------------------------------------------------

    def script(self, fn: Callable[[], Any]) -> None:
        """Run ``fn()`` (an ``async def``) on the run's clock from its start.

        A script that fails (a refused :meth:`connect`, a bug) is this peer's
        error, not the end of the run: the exception is kept in :attr:`error`
        (the first one), the timeline records it, and a peer of a
        :class:`~mirage_nb.sim.network.Network` prints it on its own console.
        """

        async def guarded() -> None:
            try:
                await fn()
            except Exception as exc:
                self._failed(exc)

        self.run.spawn(guarded())

    def _failed(self, exc: Exception) -> None:
        if self.error is None:
            self.error = exc
        text = f"{self.name}: script failed: {type(exc).__name__}: {exc}"
        self.run.event("peer-error", text)
        inst = self.instance
        if inst is not None and getattr(inst, "kind", None) == "peer" and self.run.instance is inst:
            self.run.write("stderr", text + "\n")

    @property
    def ip(self) -> Any:
        return to_ip(self.host.ip)

    @property
    def link_local(self) -> Any:
        return to_ip(self.host.ipv6.link_local)

    async def connect(self, ip: Any, port: int) -> PeerFlow:
        """Open a TCP connection; raises :class:`SimulationError` if refused or timed out."""
        dst = to_ip(ip)
        local = self.host.ipv4.ip if dst.version == 4 else self.host.ipv6.source_for(dst.packed)
        flow, step = self.tcp.connect(self.run.now, local_ip=local, remote_ip=dst.packed, remote_port=port)
        p, r = wait_any()
        self._connects[flow] = r
        self.apply_tcp(step)
        res = await p
        if not isinstance(res, PeerFlow):
            raise SimulationError(f"{self.name}: TCP connection to {dst}:{port} failed ({type(res).__name__})")
        return res

    async def send(self, f: PeerFlow, data: bytes) -> None:
        """Queue ``data`` on the flow."""
        self.apply_tcp(self.tcp.send(self.run.now, f.flow, data))

    async def close(self, f: PeerFlow) -> None:
        """Close the flow (FIN after queued data)."""
        if f.flow in self.tcp.connections:
            self.apply_tcp(self.tcp.close(self.run.now, f.flow))

    async def wait_closed(self, f: PeerFlow, timeout_ns: int = 60_000_000_000) -> bool:
        """Wait until the other side closes (or resets); False on timeout."""
        deadline = self.run.now + timeout_ns
        while not (f.closed_by_peer or f.gone) and self.run.now < deadline:
            p, r = wait_any()
            f.waiters.append(r)
            await pick([p, self.run.sleep_ns(deadline - self.run.now)])
        return f.closed_by_peer or f.gone

    async def wait_bytes(self, f: PeerFlow, n: int, timeout_ns: int = 600_000_000_000) -> bool:
        """Wait until ``n`` bytes have arrived on the flow; False on timeout or if it closed first."""
        deadline = self.run.now + timeout_ns
        while len(f.data) < n and not f.closed_by_peer and not f.gone and self.run.now < deadline:
            p, r = wait_any()
            f.waiters.append(r)
            await pick([p, self.run.sleep_ns(deadline - self.run.now)])
        return len(f.data) >= n

    async def ping(
        self, ip: Any, seq: int = 0, data: bytes = b"", *, ident: int = 1, timeout_ns: int = 1_000_000_000
    ) -> PingReply | None:
        """One echo request (ICMPv4 or ICMPv6 by the address family); the reply, or None after ``timeout_ns``."""
        p, r = wait_any()
        self._pings[(ident, seq)] = r
        self.apply(self.host.ping(self.run.now, to_ip(ip).packed, seq, data, ident=ident))
        got = await pick([p, self.run.sleep_ns(timeout_ns)])
        self._pings.pop((ident, seq), None)
        return got if isinstance(got, PingReply) else None

    async def send_udp(self, ip: Any, src_port: int, dst_port: int, payload: bytes) -> None:
        self.apply(self.host.send_udp(self.run.now, to_ip(ip).packed, src_port, dst_port, payload))

    def udp_received(self) -> list[UdpReceived]:
        return [e for _, e in self.events if isinstance(e, UdpReceived)]
