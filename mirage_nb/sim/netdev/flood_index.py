"""Which ports of a virtual LAN a broadcast or multicast may concern, so a flood visits those alone.

On a LAN of N hosts every ARP broadcast and IPv6 multicast reaches every
port, and each port's :class:`~.lan.ReceiveFilter` says whether its device
would drop it unchanged: N questions per flood, N² at boot. Most answers are
"yes, drop it", and they follow from little state: an ARP cache ignores a
packet about addresses it does not hold, unless its ticks are due; an IPv6
layer ignores a group it has not joined. The index keeps that state
per address and per group, told of every change by the ARP cache and the
IPv6 layer themselves (their ``watcher``), so a flood asks the exact filter
only of the ports that may answer no (the *candidates*), in port order:

- ports not declared (no filter, or a device the index cannot read): always;
- per IPv4 address, the ports whose ARP cache holds it (any kind of entry);
  ports whose ARP ticks are due at the flood's time; ports with no ARP cache;
- per IPv6 group, the ports that joined it; ports with no IPv6 layer.

Skipping a port must change nothing a learner can see, so two more things
are kept exactly:

- *counters*: a ``Netif`` counts a frame its filter drops as received
  (``rx_pkts``, ``rx_bytes``). The index counts the frames it drops for such
  ports in bulk: a per-LAN total that every counting port shares, less what
  each port was not shown (:meth:`FloodIndex.swept`), read when the stats are;
- *the current instance*: in a run of several unikernels a delivery makes its
  port's unikernel the current one. A ``Netif`` that is not listening yet
  (*inert*) takes a flood and does nothing else; the flood skips it and, at
  its end, makes current the instance the last skipped inert port would have.

A port whose state changes while a flood is under way (a delivery woke a
script that queried an address) becomes a candidate of the rest of that
flood: the exact filter decides, as it would have.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from typing import Any

__all__ = ["FloodIndex", "PortWatch", "Sweep", "holds"]

_OPEN, _INERT, _INDEXED = 0, 1, 2


def holds(ports: list[int], i: int) -> bool:
    """Whether the sorted list ``ports`` holds ``i``."""
    k = bisect_left(ports, i)
    return k < len(ports) and ports[k] == i


class Sweep:
    """One indexed flood under way: its target ports, its candidates (a heap, and all of them), how far it got."""

    __slots__ = ("targets", "cands", "heap", "pos", "size")

    def __init__(self, targets: list[int], cands: list[int], size: int) -> None:
        self.targets = targets
        self.cands = set(cands)
        self.heap = cands  # sorted, hence a heap
        self.pos = -1  # the port being visited
        self.size = size


class PortWatch:
    """What the index knows of one port; also the watcher its ARP cache and IPv6 layer report changes to."""

    __slots__ = ("index", "i", "mode", "arp", "ipv6", "groups", "deadline", "base", "frozen")

    def __init__(self, index: FloodIndex, i: int) -> None:
        self.index = index
        self.i = i
        self.mode = _OPEN
        self.arp: Any = None  # the ArpCache watched
        self.ipv6: Any = None  # the Ipv6Layer watched
        self.groups: set[bytes] = set()
        self.deadline: int | None = None  # the watched ARP cache's next tick, if it needs one
        self.base = [0, 0]  # a counting port's bulk count is the LAN's total less this (packets, bytes)
        self.frozen = (0, 0)  # a port that does not count now: its bulk count so far

    # --- ArpCache.watcher
    def arp_entry(self, ip: bytes, present: bool) -> None:
        self.index._arp_entry(self, ip, present)

    def arp_deadline(self, deadline: int | None) -> None:
        self.index._arp_deadline(self, deadline)

    # --- Ipv6Layer.watcher
    def ipv6_groups(self) -> None:
        self.index._ipv6_groups(self)


class FloodIndex:
    """The flood index of one LAN (see the module docstring); port ``i`` is ``watches[i]``."""

    def __init__(self) -> None:
        self.watches: list[PortWatch] = []
        self.open_all: set[int] = set()  # ports not declared: every flood concerns them
        self.open_arp: set[int] = set()  # declared ports with no ARP cache to read
        self.open_v6: set[int] = set()  # declared ports with no IPv6 layer to read
        self.inert: list[int] = []  # sorted: ports whose device does nothing with a frame (not listening)
        self.by_ip: dict[bytes, set[int]] = {}
        self.by_group: dict[bytes, set[int]] = {}
        self.due: set[int] = set()  # ports whose ARP ticks are due (at the time of the last flood)
        self._deadlines: list[tuple[int, int]] = []  # heap of (deadline, port), stale entries skipped
        self.counting: set[int] = set()  # ports whose filter counts the frames it drops (a listening Netif)
        self.total = [0, 0]  # frames (and bytes) dropped in bulk, as seen by a port shown every flood
        self.limit: float = float("inf")  # a longer frame is not dropped by some filter: no index for it
        self.sweeps: list[Sweep] = []
        self._port_sum = 0  # sum of the port numbers: finds the one port a flood leaves out (its sender)

    def add_port(self) -> PortWatch:
        i = len(self.watches)
        w = PortWatch(self, i)
        self.watches.append(w)
        self.open_all.add(i)
        self._port_sum += i
        return w

    # --- what a device declares ------------------------------------------------

    def declare(
        self,
        w: PortWatch,
        *,
        inert: bool = False,
        arp: Any = None,
        ipv6: Any = None,
        counts: bool = False,
        limit: int | None = None,
    ) -> None:
        """Port ``w`` is inert, or filters floods by ``arp`` (an ArpCache) and ``ipv6`` (an Ipv6Layer).

        None for either: its filter never drops that kind (every such flood concerns it). ``counts``:
        its filter counts what it drops (as received); ``limit``: it drops no frame longer than this.
        """
        i = w.i
        kept = self.swept(i)
        self._touch(i)
        self._forget(w)
        if inert:
            w.mode = _INERT
            insort(self.inert, i)
        else:
            w.mode = _INDEXED
            if arp is not None and getattr(arp, "watcher", 0) is None:
                arp.watcher = w
                w.arp = arp
                for ip, _kind, _mac in arp.entries():
                    self.by_ip.setdefault(ip, set()).add(i)
                self._arp_deadline(w, arp.deadline)
            else:  # none, or a cache another port watches: not read
                self.open_arp.add(i)
            if ipv6 is not None and getattr(ipv6, "watcher", 0) is None:
                ipv6.watcher = w
                w.ipv6 = ipv6
                self._ipv6_groups(w)
            else:
                self.open_v6.add(i)
            if counts:
                self.counting.add(i)
            if limit is not None and limit < self.limit:
                self.limit = limit
        self._keep(w, kept)

    def _forget(self, w: PortWatch) -> None:
        i = w.i
        self.open_all.discard(i)
        self.open_arp.discard(i)
        self.open_v6.discard(i)
        self.counting.discard(i)
        if w.mode == _INERT:
            del self.inert[bisect_left(self.inert, i)]
        if w.arp is not None:
            for ip, _kind, _mac in w.arp.entries():
                self._unindex(self.by_ip, ip, i)
            if w.arp.watcher is w:
                w.arp.watcher = None
            w.arp = None
        w.deadline = None
        self.due.discard(i)
        if w.ipv6 is not None:
            for g in w.groups:
                self._unindex(self.by_group, g, i)
            if w.ipv6.watcher is w:
                w.ipv6.watcher = None
            w.ipv6 = None
            w.groups = set()

    @staticmethod
    def _unindex(table: dict[bytes, set[int]], key: bytes, i: int) -> None:
        s = table.get(key)
        if s is not None:
            s.discard(i)
            if not s:
                del table[key]

    # --- what the watched machines report -----------------------------------------

    def _arp_entry(self, w: PortWatch, ip: bytes, present: bool) -> None:
        if present:
            s = self.by_ip.get(ip)
            if s is None:
                self.by_ip[ip] = {w.i}
            else:
                s.add(w.i)
        else:
            self._unindex(self.by_ip, ip, w.i)
        if self.sweeps:
            self._touch(w.i)

    def _arp_deadline(self, w: PortWatch, deadline: int | None) -> None:
        if deadline == w.deadline:
            return
        w.deadline = deadline
        self.due.discard(w.i)
        if deadline is not None:
            h = self._deadlines
            heapq.heappush(h, (deadline, w.i))
            if len(h) > 4 * len(self.watches) + 64:  # mostly stale (no ARP flood to pop them lately): rebuild
                h[:] = [(x.deadline, x.i) for x in self.watches if x.deadline is not None and x.i not in self.due]
                heapq.heapify(h)
        if self.sweeps:
            self._touch(w.i)

    def _ipv6_groups(self, w: PortWatch) -> None:
        new = w.ipv6.joined_groups()
        i = w.i
        for g in new - w.groups:
            self.by_group.setdefault(g, set()).add(i)
        for g in w.groups - new:
            self._unindex(self.by_group, g, i)
        w.groups = new
        if self.sweeps:
            self._touch(i)

    def _touch(self, i: int) -> None:
        """Port ``i`` changed: make it a candidate of the floods under way that have not passed it yet."""
        if not self.sweeps:
            return
        counting = i in self.counting
        kept = self.swept(i) if counting else (0, 0)
        for s in self.sweeps:
            if i > s.pos and i not in s.cands and holds(s.targets, i):
                s.cands.add(i)
                heapq.heappush(s.heap, i)
        if counting:
            self._keep(self.watches[i], kept)

    # --- floods -----------------------------------------------------------------

    def candidates(self, arp: tuple[int, bytes, bytes] | None, group: bytes | None, now: int) -> set[int]:
        """The ports (of any flood, not only its targets) whose filter may not drop this ARP packet or multicast."""
        c = set(self.open_all)
        if arp is not None:
            _op, spa, tpa = arp
            c |= self.open_arp
            by_ip = self.by_ip
            x = by_ip.get(spa)
            if x:
                c |= x
            if tpa != spa:
                x = by_ip.get(tpa)
                if x:
                    c |= x
            h = self._deadlines
            while h and h[0][0] <= now:
                dl, i = heapq.heappop(h)
                if self.watches[i].deadline == dl:
                    self.due.add(i)
            c |= self.due
        elif group is not None:
            c |= self.open_v6
            x = self.by_group.get(group)
            if x:
                c |= x
        return c

    def begin(self, targets: list[int], cands: list[int], size: int) -> Sweep:
        """A flood of a frame of ``size`` bytes to ``targets`` that will visit ``cands`` (sorted) alone.

        Every counting target that is not a candidate is counted now (the
        shared total moves; the others' bases move with it); until the flood
        passes such a port, :meth:`swept` leaves the frame out.
        """
        s = Sweep(targets, cands, size)
        counting = self.counting
        if counting:
            total = self.total
            total[0] += 1
            total[1] += size
            watches = self.watches
            if len(targets) == len(watches) - 1:
                left = {self._port_sum - sum(targets)}
            else:
                left = counting.difference(targets)
            for q in left:
                if q in counting:
                    b = watches[q].base
                    b[0] += 1
                    b[1] += size
            for q in cands:
                if q in counting:
                    b = watches[q].base
                    b[0] += 1
                    b[1] += size
        self.sweeps.append(s)
        return s

    def end(self, s: Sweep, rest: list[int] | None = None) -> None:
        """The flood is over; ``rest``: the targets it did not reach (an exit unwound it), to be flooded again."""
        counting = self.counting
        if rest and counting:
            watches = self.watches
            size = s.size
            for q in rest:
                if q in counting and q not in s.cands:
                    b = watches[q].base
                    b[0] += 1
                    b[1] += size
        self.sweeps.remove(s)

    # --- counters -------------------------------------------------------------------

    def swept(self, i: int) -> tuple[int, int]:
        """Frames (and bytes) the index dropped for port ``i`` that its filter would have counted."""
        w = self.watches[i]
        if i not in self.counting:
            return w.frozen
        p = self.total[0] - w.base[0]
        b = self.total[1] - w.base[1]
        for s in self.sweeps:
            if i > s.pos and i not in s.cands and holds(s.targets, i):
                p -= 1
                b -= s.size
        return p, b

    def _keep(self, w: PortWatch, kept: tuple[int, int]) -> None:
        # After a change: the port's bulk count is still `kept` (counting: by its base; else frozen).
        if w.i in self.counting:
            w.base = [self.total[0] - kept[0], self.total[1] - kept[1]]
        else:
            w.frozen = kept
