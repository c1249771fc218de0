"""A tiny deterministic scheduler that runs endpoints over a :class:`~.switch.Switch`.

It is the effectful shell around the sans-IO machines (utcp's
``utcp_mirage`` in miniature): a heap of ``(time, sequence)``-ordered
deliveries and timer wake-ups, one virtual clock, an optional pcap recorder
that sees every frame as it is sent. The simulation proper (``sim/``) may use
its own loop; this one serves tests, notebooks and the pcap checks.

An endpoint is anything with ``start(now)``, ``receive(now, frame)``,
``timer(now)`` (each returning a :class:`~._base.Step`) and a ``name``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, Protocol

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net._base import Ns, Step
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile, Switch

__all__ = ["Endpoint", "Lan"]

_TIMER, _FRAME = 0, 1


class Endpoint(Protocol):
    name: str

    def start(self, now: Ns) -> Step: ...
    def receive(self, now: Ns, frame: bytes) -> Step: ...
    def timer(self, now: Ns) -> Step: ...


class Lan:
    """Endpoints on one switch, run in virtual time. ``events`` logs ``(time, name, event)``."""

    def __init__(self, seed: int = 0, *, pcap: PcapWriter | None = None) -> None:
        self.switch = Switch(seed)
        self.pcap = pcap
        self.now: Ns = 0
        self.endpoints: list[Endpoint] = []
        self.events: list[tuple[Ns, str, Any]] = []
        self._queue: list[tuple[Ns, int, int, int, bytes]] = []
        self._seq = 0
        self._wake: list[Ns | None] = []

    def attach(self, endpoint: Endpoint, profile: LinkProfile | None = None) -> int:
        """Plug ``endpoint`` into a new switch port; returns the port."""
        port = self.switch.add_port(profile)
        self.endpoints.append(endpoint)
        self._wake.append(None)
        return port

    def _push(self, at: Ns, kind: int, port: int, frame: bytes = b"") -> None:
        heapq.heappush(self._queue, (at, self._seq, kind, port, frame))
        self._seq += 1

    def apply(self, port: int, step: Step) -> Step:
        """Carry out what endpoint ``port`` asked for at the current time: log, capture, send, wake."""
        name = self.endpoints[port].name
        for e in step.events:
            self.events.append((self.now, name, e))
        for f in step.frames:
            if self.pcap is not None:
                self.pcap.write(self.now, f)
            for d in self.switch.send(self.now, port, f):
                self._push(d.at, _FRAME, d.port, d.frame)
        if step.deadline is not None:
            w = self._wake[port]
            if w is None or step.deadline < w or w < self.now:
                self._wake[port] = step.deadline
                self._push(max(step.deadline, self.now), _TIMER, port)
        return step

    def start(self) -> None:
        """Call every endpoint's ``start`` at the current time, in port order."""
        for port, ep in enumerate(self.endpoints):
            self.apply(port, ep.start(self.now))

    def call(self, port: int, fn: Callable[[Ns], Step]) -> Step:
        """Run ``fn(now)`` for the endpoint on ``port`` (e.g. ``lambda now: host.ping(now, ip)``)."""
        return self.apply(port, fn(self.now))

    def run(self, until: Ns, *, max_steps: int = 1_000_000) -> None:
        """Process everything due up to ``until`` (virtual ns), then leave the clock there."""
        steps = 0
        while self._queue and self._queue[0][0] <= until:
            at, _seq, kind, port, frame = heapq.heappop(self._queue)
            self.now = at
            ep = self.endpoints[port]
            if kind == _FRAME:
                self.apply(port, ep.receive(at, frame))
            else:
                wake = self._wake[port]
                if wake is not None and wake <= at:
                    self._wake[port] = None
                self.apply(port, ep.timer(at))
            steps += 1
            if steps > max_steps:
                raise SimulationError(f"LAN run did not settle after {max_steps} steps (at {at} ns)")
        self.now = max(self.now, until)

    def events_of(self, name: str, kind: type | None = None) -> list[Any]:
        """The events endpoint ``name`` produced, optionally only of one type."""
        return [e for _, n, e in self.events if n == name and (kind is None or isinstance(e, kind))]
