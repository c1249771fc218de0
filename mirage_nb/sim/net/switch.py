"""A virtual LAN: a learning Ethernet switch joining endpoints by links.

Each port has a link with a one-way ``latency``, a ``bandwidth`` (frames are
serialised one after another, so a busy link queues) and a ``loss`` rate
drawn from the switch's seeded generator: the same seed and the same sends
give the same deliveries. :meth:`Switch.send` is pure bookkeeping: it says
which port gets the frame and when, and a scheduler delivers it then (the
profiles mirror mirage-tcpip's vnetif test backends: uniform loss, MTU).

A frame travels up its sender's link to the switch, then down each outgoing
link. The switch learns source MACs as frames arrive and floods frames for
unknown, broadcast or multicast destinations to every other port. Learning
happens when a frame is sent (a small idealisation: the switch knows the
arrival time in advance).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net._base import Ns

__all__ = ["LinkProfile", "Delivery", "Switch", "MAC_AGEING"]

MAC_AGEING: Ns = 300_000_000_000
"""Learnt MAC addresses are forgotten after 300 s without traffic (IEEE 802.1D default)."""


@dataclass(frozen=True, slots=True)
class LinkProfile:
    """A link's behaviour: one-way latency (ns), bandwidth (bits/s, ``None`` = infinite),
    loss probability per traversal, and the largest frame it carries (``None`` = any)."""

    latency: Ns = 0
    bandwidth: int | None = None
    loss: float = 0.0
    max_frame: int | None = None
    # No latency, bandwidth limit, loss or size limit: a frame crosses it as it is (the switch's fast path).
    ideal: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.latency < 0 or not 0.0 <= self.loss <= 1.0 or (self.bandwidth is not None and self.bandwidth <= 0):
            raise LocalProtocolError(
                f"link profile {self}: expected latency >= 0, 0 <= loss <= 1 and a positive bandwidth"
            )
        ideal = self.latency == 0 and self.bandwidth is None and not self.loss and self.max_frame is None
        object.__setattr__(self, "ideal", ideal)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Hand ``frame`` to the endpoint on ``port`` at virtual time ``at``."""

    at: Ns
    port: int
    frame: bytes


class _Links(list[LinkProfile]):
    """The switch's link profiles, counting those that are not ideal (a link may be swapped: ``links[i] = p``)."""

    def __init__(self) -> None:
        super().__init__()
        self.rough = 0  # links that are not ideal

    def append(self, link: LinkProfile) -> None:
        super().append(link)
        self.rough += not link.ideal

    def __setitem__(self, i: Any, link: Any) -> None:
        if not isinstance(i, int) or not isinstance(link, LinkProfile):
            raise LocalProtocolError(f"switch links: expected links[port] = a LinkProfile, got [{i!r}] = {link!r}")
        self.rough += (not link.ideal) - (not self[i].ideal)
        super().__setitem__(i, link)


class Switch:
    """A learning switch with per-port links (sans-IO: it returns deliveries, never sleeps)."""

    def __init__(self, seed: int = 0, *, ageing: Ns = MAC_AGEING) -> None:
        self.rng = random.Random(seed)
        self.ageing = ageing
        self.links: _Links = _Links()
        self._up_busy: list[Ns] = []
        self._down_busy: list[Ns] = []
        # The latest time any link is busy until: once the clock has passed it and every link is ideal, a
        # flood reaches every other port as it arrives, with nothing to draw or queue (see fan_out).
        self._busy_until: Ns = 0
        self.table: dict[bytes, tuple[int, Ns]] = {}  # MAC -> (port, last seen)
        self.dropped = 0

    def add_port(self, profile: LinkProfile | None = None) -> int:
        """Attach a link; returns its port number (0, 1, ...)."""
        self.links.append(profile or LinkProfile())
        self._up_busy.append(0)
        self._down_busy.append(0)
        return len(self.links) - 1

    def _cross(self, busy: list[Ns], port: int, start: Ns, frame: bytes) -> Ns | None:
        link = self.links[port]
        if link.max_frame is not None and len(frame) > link.max_frame:
            self.dropped += 1
            return None
        begin = max(start, busy[port])
        tx = 0 if link.bandwidth is None else (len(frame) * 8 * 1_000_000_000) // link.bandwidth
        busy[port] = begin + tx
        if begin + tx > self._busy_until:
            self._busy_until = begin + tx
        # The draw happens for every traversal of a lossy link so the sequence is stable.
        if link.loss and self.rng.random() < link.loss:
            self.dropped += 1
            return None
        return begin + tx + link.latency

    def send(self, now: Ns, port: int, frame: bytes) -> list[Delivery]:
        """The endpoint on ``port`` transmits ``frame`` at ``now``: where and when it arrives."""
        out = [Delivery(at, p, frame) for at, ports in self.fan_out(now, port, frame) for p in ports]
        out.sort(key=lambda d: d.port)
        return out

    def fan_out(self, now: Ns, port: int, frame: bytes) -> list[tuple[Ns, list[int]]]:
        """Like :meth:`send`, grouped: ``(arrival time, ports in port order)`` for each arrival time.

        Flattening the groups in order gives :meth:`send`'s deliveries. A flood
        (broadcast, multicast, unknown destination) over links of the same
        profile is one group: a scheduler queues it once instead of once per port.
        """
        links = self.links
        if not 0 <= port < len(links):
            raise LocalProtocolError(f"switch port {port}: expected 0..{len(links) - 1}")
        arrival = self._cross(self._up_busy, port, now, frame)
        if arrival is None or len(frame) < 14:
            return []
        dst, src = frame[0:6], frame[6:12]
        if not src[0] & 1:
            self.table[src] = (port, arrival)
        entry = self.table.get(dst)
        if not (dst[0] & 1 or entry is None or arrival - entry[1] > self.ageing):
            if entry[0] == port:
                return []  # filtered: the destination is on the port it came from
            at = self._cross(self._down_busy, entry[0], arrival, frame)
            return [] if at is None else [(at, [entry[0]])]
        # Flood to every other port, in port order.
        n = len(links)
        if not links.rough and self._busy_until <= now:
            # Every link ideal and idle: each port gets the frame at its arrival (= now). No link's busy time
            # is written: each would be at most now, and no later crossing starts before now, so none binds.
            others = list(range(n))
            del others[port]
            return [(arrival, others)] if others else []
        busy = self._down_busy
        groups: dict[Ns, list[int]] = {}
        for p, link in enumerate(links):
            if p == port:
                continue
            if link.ideal:
                # _cross inlined for an ideal link: no draw, no serialisation, arrives as it leaves the switch
                b = busy[p]
                at = arrival if arrival > b else b
                busy[p] = at
                if at > self._busy_until:
                    self._busy_until = at
            else:
                got = self._cross(busy, p, arrival, frame)
                if got is None:
                    continue
                at = got
            g = groups.get(at)
            if g is None:
                groups[at] = [p]
            else:
                g.append(p)
        return list(groups.items())
