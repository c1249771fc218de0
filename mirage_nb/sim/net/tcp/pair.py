"""Two TCP endpoints joined by an in-memory link in virtual time (h11's ``ConnectionPair`` idea).

For tests, benchmarks and notebooks that want TCP alone, without Ethernet,
IP or the simulator's scheduler: a tiny heapq loop keyed ``(time, seq)``
(stable order, so runs are reproducible) carries encoded segments between
two ``TcpEndpoint``s, with seeded loss, reordering and latency.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.tcp.endpoint import EndpointStep, FlowEvent, TcpEndpoint
from mirage_nb.sim.net.tcp.timers import MS, TcpConfig

__all__ = ["LinkProfile", "EndpointPair"]


@dataclass(frozen=True, slots=True)
class LinkProfile:
    """How the link treats each packet: one-way ``latency`` (ns), drop probability ``loss``,
    probability ``reorder`` of an extra delay of up to ``reorder_delay`` (ns), and a ``bandwidth``
    in bytes per second (0: unlimited) that spaces packets out in each direction.
    """

    latency: int = 1 * MS
    loss: float = 0.0
    reorder: float = 0.0
    reorder_delay: int = 3 * MS
    bandwidth: int = 0


OnEvent = Callable[["EndpointPair", int, FlowEvent], None]


class EndpointPair:
    """Endpoint 0 at ``ip_a`` and endpoint 1 at ``ip_b``, one seeded RNG for the link, one per endpoint."""

    def __init__(
        self,
        seed: int = 0,
        *,
        config_a: TcpConfig | None = None,
        config_b: TcpConfig | None = None,
        profile: LinkProfile | None = None,
        ip_a: bytes = bytes([10, 0, 0, 1]),
        ip_b: bytes = bytes([10, 0, 0, 2]),
    ) -> None:
        root = random.Random(seed)
        self.endpoints = (
            TcpEndpoint(random.Random(root.getrandbits(64)), config_a),
            TcpEndpoint(random.Random(root.getrandbits(64)), config_b),
        )
        self.ips = (ip_a, ip_b)
        self.profile = profile or LinkProfile()
        self._link_rng = random.Random(root.getrandbits(64))
        self.now = 0
        self._queue: list[tuple[int, int, int, bytes, bytes, bytes]] = []
        self._seq = 0
        self._busy_until = [0, 0]
        self.events: list[tuple[int, int, FlowEvent]] = []
        self.on_event: OnEvent | None = None
        self.sent = [0, 0]
        # Each endpoint's next deadline, as its last step said: every call goes through ``apply``.
        self._deadlines: list[int | None] = [None, None]
        self.dropped = 0

    def apply(self, side: int, step: EndpointStep) -> None:
        """Put ``step``'s packets on the link and hand its events to ``on_event`` (and ``events``).

        Every step of either endpoint must pass through here: the pair keeps the deadline it carries.
        """
        self._deadlines[side] = step.deadline
        p = self.profile
        rng = self._link_rng
        for pkt in step.packets:
            self.sent[side] += 1
            if p.loss and rng.random() < p.loss:
                self.dropped += 1
                continue
            t = self.now
            if p.bandwidth:
                start = max(t, self._busy_until[side])
                t = start + len(pkt.data) * 1_000_000_000 // p.bandwidth
                self._busy_until[side] = t
            t += p.latency
            if p.reorder and rng.random() < p.reorder:
                t += rng.randrange(1, p.reorder_delay + 1)
            self._seq += 1
            heapq.heappush(self._queue, (t, self._seq, 1 - side, pkt.src, pkt.dst, pkt.data))
        for ev in step.events:
            self.events.append((self.now, side, ev))
            if self.on_event is not None:
                self.on_event(self, side, ev)

    def run(self, until: Callable[[], bool] | None = None, *, max_time: int = 3600 * 10**9) -> None:
        """Deliver packets and fire timers in time order until ``until()`` holds or nothing is left.

        Raises ``SimulationError`` if virtual time passes ``max_time`` first.
        """
        q = self._queue
        eps = self.endpoints
        dl = self._deadlines
        self._deadlines[:] = [eps[0].deadline, eps[1].deadline]
        while until is None or not until():
            t = q[0][0] if q else None
            for d in dl:
                if d is not None and (t is None or d < t):
                    t = d
            if t is None:
                return
            if t > max_time:
                raise SimulationError(f"TCP pair: still running at virtual time {max_time} ns")
            if t > self.now:
                self.now = t
            if q and q[0][0] <= self.now:
                _, _, side, src, dst, data = heapq.heappop(q)
                self.apply(side, self.endpoints[side].receive(self.now, src, dst, data))
                continue
            for side in (0, 1):
                d = dl[side]
                if d is not None and d <= self.now:
                    self.apply(side, eps[side].timer(self.now))
