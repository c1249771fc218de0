"""A router on the run's virtual LANs: the port adapter of :class:`~mirage_nb.sim.net.router.Router`.

One :class:`~mirage_nb.sim.netdev.lan.LanPort` per LAN it joins (named after
the router), one :class:`~mirage_nb.sim.netdev.lan.Alarm` for its ARP timers;
each frame that arrives is given to the machine, and what it answers is sent
on the port of the interface it names. Nothing else: the forwarding decisions
are all in the sans-IO machine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.router import Router, RouterInterface, RouterStep
from mirage_nb.sim.netdev.lan import Alarm, LanPort, VirtualLan
from mirage_nb.sim.netdev.link import local_mac

__all__ = ["VirtualRouter", "KEPT_EVENTS"]

KEPT_EVENTS = 10_000
"""How many of its latest events a router keeps."""


class VirtualRouter:
    """A router named ``name`` joining ``lans`` (name -> LAN) with ``interfaces`` (LAN name -> ``"ip/prefix"``).

    ``events`` keeps the last :data:`KEPT_EVENTS` things the machine reported,
    with the time (forwarded packets, drops), for a learner to look at; the
    machine's ``forwarded`` and ``dropped`` count them all (a long run through
    a router does not grow without bound).
    """

    def __init__(
        self,
        name: str,
        lans: Mapping[str, VirtualLan],
        interfaces: Mapping[str, str],
        *,
        ttl_exceeded: bool = True,
    ) -> None:
        missing = [k for k in interfaces if k not in lans]
        if missing:
            raise SimulationError(f"router {name!r}: no LAN named {missing[0]!r}; LANs are {', '.join(lans)}")
        runs = {id(lans[k].run) for k in interfaces}
        if len(runs) != 1:
            raise SimulationError(f"router {name!r}: its LANs belong to different runs")
        self.name = name
        self.run = lans[next(iter(interfaces))].run
        seed = self.run.seed
        ifaces = [
            RouterInterface.of_cidr(lan, local_mac(seed, f"router:{name}:{lan}"), cidr)
            for lan, cidr in interfaces.items()
        ]
        try:
            self.machine = Router(ifaces, now=self.run.now, ttl_exceeded=ttl_exceeded)
        except Exception as e:
            raise SimulationError(f"router {name!r}: {e}") from None
        self.events: deque[tuple[int, Any]] = deque(maxlen=KEPT_EVENTS)
        self.instance = getattr(self.run, "instance", None)
        self._alarm = Alarm(self.run, self._tick, shared=True)
        self.ports: dict[str, LanPort] = {}
        for iface in ifaces:
            self.ports[iface.name] = lans[iface.name].attach(name, self._receiver(iface.name), owner=self)
        self.apply(self.machine.start(self.run.now))

    def mac_of(self, lan: str) -> bytes:
        """The router's MAC on LAN ``lan``."""
        return self.machine.interfaces[lan].mac

    def apply(self, step: RouterStep) -> None:
        """Send a step's frames on their interfaces' ports, keep its events, arm the timer."""
        for lan, frame in step.frames:
            self.ports[lan].send(frame)
        if step.events:
            now = self.run.now
            self.events.extend((now, e) for e in step.events)
        self._alarm.set(step.deadline)

    def _receiver(self, lan: str) -> Callable[[bytes], None]:
        def arrive(frame: bytes) -> None:
            self.apply(self.machine.receive(self.run.now, lan, frame))

        return arrive

    def _tick(self, now: int) -> None:
        self.apply(self.machine.timer(now))

    def __repr__(self) -> str:
        return f"<router {self.name!r} on {', '.join(self.ports)}>"
