"""Addresses and helpers shared by the network-layer tests."""

from __future__ import annotations

from typing import Any

from mirage_nb.sim.net._base import Step
from mirage_nb.sim.net.arp import PROBE_DELAY, ArpPacket, decode_arp
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, decode_ethernet

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
MAC_C = bytes.fromhex("020000000003")
IP_A = bytes([10, 0, 0, 1])
IP_B = bytes([10, 0, 0, 2])
IP_C = bytes([10, 0, 0, 3])


def tick_time(k: int) -> int:
    """Virtual time of the k-th ARP tick of a cache created at 0."""
    return k * PROBE_DELAY


def arp_frames(step: Step) -> list[tuple[bytes, ArpPacket]]:
    """The ARP messages a step sends, with their Ethernet destination."""
    out = []
    for f in step.frames:
        eth = decode_ethernet(f)
        assert eth.ethertype == ETHERTYPE_ARP
        out.append((eth.dst, decode_arp(eth.payload)))
    return out


class EndpointLan:
    """Sans-IO endpoints on the simulator's one LAN (:class:`~mirage_nb.sim.netdev.lan.VirtualLan`), stepped.

    An endpoint is anything with ``start(now)``, ``receive(now, frame)``,
    ``timer(now)`` (each returning a :class:`Step`) and a ``name``: its frames
    go through the switch, its deadline is an alarm on the run's clock, and
    ``events`` logs ``(time, name, event)``. ``run(until)`` steps the run
    (:meth:`~mirage_nb.sim.run.Run.advance`) so a test can act between steps.
    """

    def __init__(self, seed: int = 0, *, pcap: Any = None) -> None:
        from mirage_nb.sim.netdev.lan import VirtualLan
        from mirage_nb.sim.run import Run

        self.sim = Run(seed=seed, max_events=10**9)
        self.lan = VirtualLan(self.sim, pcap=pcap)
        self.endpoints: list[Any] = []
        self.events: list[tuple[int, str, Any]] = []
        self._ports: list[Any] = []
        self._alarms: list[Any] = []

    @property
    def now(self) -> int:
        return int(self.sim.now)

    @property
    def switch(self) -> Any:
        return self.lan.switch

    def attach(self, endpoint: Any, profile: Any = None) -> int:
        """Plug ``endpoint`` into a new switch port; returns the port."""
        from mirage_nb.sim.netdev.lan import Alarm

        i = len(self.endpoints)
        self.endpoints.append(endpoint)
        self._ports.append(
            self.lan.attach(endpoint.name, lambda frame: self.apply(i, endpoint.receive(self.now, frame)), profile)
        )
        self._alarms.append(Alarm(self.sim, lambda now: self.apply(i, endpoint.timer(now))))
        return i

    def apply(self, port: int, step: Step) -> Step:
        """Carry out what endpoint ``port`` asked for now: log its events, send its frames, set its alarm."""
        name = self.endpoints[port].name
        for e in step.events:
            self.events.append((self.now, name, e))
        for f in step.frames:
            self._ports[port].send(f)
        self._alarms[port].set(step.deadline)
        return step

    def start(self) -> None:
        """Call every endpoint's ``start`` now, in port order."""
        for port, ep in enumerate(self.endpoints):
            self.apply(port, ep.start(self.now))

    def call(self, port: int, fn: Any) -> Step:
        """Run ``fn(now)`` for the endpoint on ``port`` (e.g. ``lambda now: host.ping(now, ip)``)."""
        return self.apply(port, fn(self.now))

    def run(self, until: int, *, max_steps: int = 1_000_000) -> None:
        """Process everything due up to ``until`` (virtual ns), then leave the clock there."""
        from mirage_nb.errors import SimulationError
        from mirage_nb.sim.run import Stopped

        if self.sim.advance(until, max_events=max_steps) is Stopped.BUDGET:
            raise SimulationError(f"LAN run did not settle after {max_steps} steps (at {self.now} ns)")

    def events_of(self, name: str, kind: type | None = None) -> list[Any]:
        """The events endpoint ``name`` produced, optionally only of one type."""
        return [e for _, n, e in self.events if n == name and (kind is None or isinstance(e, kind))]
