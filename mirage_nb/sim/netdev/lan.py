"""The virtual LAN a run owns: a switch, its ports, the frames in flight and an optional pcap.

This is the effectful shell around :class:`~mirage_nb.sim.net.switch.Switch`
on the *run's* virtual clock, and the simulator's only LAN scheduler
(sans-IO endpoints are put on it the same way, with an :class:`Alarm` each,
and a run can be stepped from outside with
:meth:`~mirage_nb.sim.run.Run.advance`). Frames in flight wait in one heap
keyed ``(arrival time, sequence)``; one pending ``Run.sleep_ns`` at the
earliest arrival delivers them, so the order of deliveries depends only on
the inputs and the seed. A flood (broadcast, multicast) is one entry whose
ports are served in order, and each port's :class:`ReceiveFilter` drops what
its device would drop unchanged, so a broadcast on a LAN of N hosts costs N
cheap checks, not N decodings; and the LAN's
:class:`~.flood_index.FloodIndex` knows which ports an ARP packet or an IPv6
multicast may concern, so only those are asked (the same deliveries, in the
same order, with the same counters). Every frame is written to the pcap (if
any) when it is sent.

Ports are named: a unikernel's ``Netif.connect "tap0"`` takes a port named
``tap0``; scripted peers (:mod:`.peer`) take their own. A port belongs to the
run's instance that attached it (:class:`~mirage_nb.sim.run.Instance`): in a
run of several unikernels a frame is handled as its port's unikernel (its
logs go to that unikernel's console), and a halted unikernel receives nothing. The LAN lives in the
run (``run.devices``), never in a module global: :meth:`VirtualLan.of_run`
finds or makes it.

:class:`Alarm` is the same trick for the timers of the sans-IO machines:
one pending sleep at the machine's next deadline.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable
from typing import Any, Protocol

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import Fail, Promise, state
from mirage_nb.sim.net.arp import split_arp
from mirage_nb.sim.net.ipv6 import multicast_dst
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.net.switch import LinkProfile, Switch
from mirage_nb.sim.netdev.flood_index import FloodIndex, PortWatch, holds

FLOOD_INDEX = True
"""Whether new LANs index their floods (False: every flood asks every port's filter, the plain scan)."""

INDEX_WORTH = 0.5
"""A flood uses the index when its candidates are at most this share of its ports (else the plain scan)."""

__all__ = ["Alarm", "VirtualLan", "LanPort", "ReceiveFilter", "on_resolve"]

_LAN_KEY = "netdev.lan"
_ARP = b"\x08\x06"
_IPV6 = b"\x86\xdd"


def on_resolve(p: Promise[Any], cb: Callable[[Promise[Any]], None]) -> None:
    """Twin of ``Lwt.on_any``: call ``cb(p)`` once ``p`` is resolved (at once if it already is)."""
    p._on_resolve(cb)


class Alarm:
    """One pending virtual-clock wake-up at a machine's next deadline; ``fire(now)`` runs when it is due.

    Setting an earlier deadline arms a new sleep; a sleep made stale by a
    later ``set`` fires harmlessly (``fire`` is only called when the deadline
    it was armed for is still the current one and is due). A deadline that
    already has a sleep pending is not armed twice: that sleep, armed first,
    is the one that would fire anyway. Without this, every short connection
    of a busy host left one more sleep for the same far deadline (the end of
    its oldest TIME-WAIT) in the run's timer heap.

    ``shared``: the alarm of the network itself (a LAN, a router), whose
    sleeps belong to the run (:meth:`~mirage_nb.sim.run.Run.sleep_shared_ns`)
    rather than to the unikernel that happened to arm them.
    """

    __slots__ = ("run", "fire", "at", "_armed", "_sleep")

    def __init__(self, run: Any, fire: Callable[[int], None], *, shared: bool = False) -> None:
        self.run = run
        self.fire = fire
        self.at: int | None = None
        self._armed: set[int] = set()  # deadlines with a sleep pending
        self._sleep: Callable[[int], Any] | None = run.sleep_shared_ns if shared else None

    def set(self, deadline: int | None) -> None:
        """Be woken at ``deadline`` (None: nothing pending)."""
        if deadline is None:
            self.at = None
            return
        if self.at is not None and self.at <= deadline:
            # An earlier (or equal) wake-up is armed; whoever it fires re-arms for what is left.
            return
        self.at = deadline
        if deadline in self._armed:
            return
        self._armed.add(deadline)
        now = self.run.now
        sleep = self._sleep or self.run.sleep_ns
        p = sleep(deadline - now if deadline > now else 0)
        on_resolve(p, lambda q: self._due(q, deadline))

    def _due(self, p: Promise[Any], deadline: int) -> None:
        self._armed.discard(deadline)
        if isinstance(state(p), Fail) or self.at != deadline:
            return
        self.at = None
        self.fire(self.run.now)


class ReceiveFilter(Protocol):
    """What a device tells its LAN port so that a flood costs little at the ports it does not concern.

    On a LAN of N hosts every broadcast and multicast reaches all of them. The
    LAN reads such a frame once (:func:`~mirage_nb.sim.net.arp.split_arp`,
    :func:`~mirage_nb.sim.net.ipv6.multicast_dst`) and asks each port's filter
    whether its device would drop it *with no effect at all* (no state change,
    no output, no log): then the frame is not delivered there. A device that
    would do anything with it answers False and gets the frame as usual.

    A device also tells the port what its filter reads (:meth:`LanPort.declare`:
    an ARP cache, an IPv6 layer): the LAN's flood index then asks the filter
    only about the floods that may concern it. A port that declares nothing
    is asked about every flood.
    """

    def ignores_arp(self, frame: bytes, now: int, op: int, spa: bytes, tpa: bytes) -> bool: ...

    def ignores_group(self, frame: bytes, dst: bytes) -> bool: ...


class LanPort:
    """One switch port: its name, its link profile and who receives its frames."""

    __slots__ = ("lan", "index", "name", "deliver", "owner", "instance", "filter", "watch")

    def __init__(
        self,
        lan: VirtualLan,
        index: int,
        name: str,
        deliver: Callable[[bytes], None],
        owner: Any = None,
        instance: Any = None,
    ) -> None:
        self.lan = lan
        self.index = index
        self.name = name
        self.deliver = deliver
        self.owner = owner
        # The run's instance (unikernel or peer) that attached the port: its frames are handled as that instance.
        self.instance = instance
        # The device's receive filter (a ReceiveFilter), as a NIC's: asked, when a broadcast or multicast
        # arrives, whether the device would drop it at once; None: every frame is delivered.
        self.filter: ReceiveFilter | None = None
        # What the LAN's flood index knows of this port (None: the LAN keeps no index).
        self.watch: PortWatch | None = None

    def declare(
        self, *, inert: bool = False, arp: Any = None, ipv6: Any = None, counts: bool = False, limit: int | None = None
    ) -> None:
        """Tell the LAN's flood index what the filter reads (see :meth:`.flood_index.FloodIndex.declare`)."""
        w = self.watch
        if w is not None:
            w.index.declare(w, inert=inert, arp=arp, ipv6=ipv6, counts=counts, limit=limit)

    def swept(self) -> tuple[int, int]:
        """Frames (and bytes) the LAN dropped for this port in bulk that its filter would have counted."""
        w = self.watch
        return (0, 0) if w is None else w.index.swept(self.index)

    def send(self, frame: bytes) -> None:
        """Put ``frame`` on this port's link now."""
        self.lan.send(self.index, frame)

    def __repr__(self) -> str:
        return f"<LAN port {self.index} {self.name!r}>"


class VirtualLan:
    """A switched Ethernet segment on one run's virtual clock (see the module docstring).

    ``seed`` seeds the switch's loss draws (default: the run's seed);
    ``pcap`` records every frame sent; ``profile`` is the default link
    profile of new ports.
    """

    def __init__(
        self,
        run: Any,
        *,
        seed: int | None = None,
        pcap: PcapWriter | None = None,
        profile: LinkProfile | None = None,
        index: bool | None = None,
    ) -> None:
        self.run = run
        self.switch = Switch(run.seed if seed is None else seed)
        self.pcap = pcap
        self.profile = profile
        self.ports: list[LanPort] = []
        self.names: dict[str, int] = {}  # port name -> how many ports have it
        self.frames_sent = 0
        self._heap: list[tuple[int, int, list[int], bytes]] = []
        self._seq = 0
        self._alarm = Alarm(run, self._deliver_due, shared=True)
        # Which ports a flood may concern (``index``, default FLOOD_INDEX; None: every port is asked).
        self.index: FloodIndex | None = FloodIndex() if (FLOOD_INDEX if index is None else index) else None
        self._anonymous = False  # a port attached outside any instance of the run

    @classmethod
    def of_run(cls, run: Any, **kwargs: Any) -> VirtualLan:
        """The LAN of ``run``, made (with ``kwargs``) on first use."""
        lan = run.devices.get(_LAN_KEY)
        if lan is None:
            lan = cls(run, **kwargs)
            run.devices[_LAN_KEY] = lan
        elif kwargs:
            raise SimulationError("this run already has its virtual LAN; configure it before anything attaches")
        return lan

    def attach(
        self, name: str, deliver: Callable[[bytes], None], profile: LinkProfile | None = None, *, owner: Any = None
    ) -> LanPort:
        """A new port called ``name``; ``deliver(frame)`` is called when a frame arrives on it.

        ``owner`` is the device behind the port (a ``Netif``, a scripted peer), for lookups by name.
        """
        self.names[name] = self.names.get(name, 0) + 1
        index = self.switch.add_port(profile or self.profile)
        port = LanPort(self, index, name, deliver, owner, getattr(self.run, "instance", None))
        if port.instance is None:
            self._anonymous = True
        if self.index is not None:
            port.watch = self.index.add_port()
        self.ports.append(port)
        return port

    def device(self, name: str) -> Any:
        """The device attached as ``name`` (the unikernel's ``Netif`` is ``tap0`` by default)."""
        return self.port(name).owner

    def port(self, name: str) -> LanPort:
        """The first port called ``name``."""
        for p in self.ports:
            if p.name == name:
                return p
        raise SimulationError(f"no LAN port named {name!r}; ports are {', '.join(p.name for p in self.ports)}")

    def send(self, index: int, frame: bytes) -> None:
        """The device on port ``index`` transmits ``frame`` at the current virtual time."""
        now = self.run.now
        self.frames_sent += 1
        if self.pcap is not None:
            self.pcap.write(now, frame)
        heap = self._heap
        for at, ports in self.switch.fan_out(now, index, frame):
            # A flood is one entry (its ports in order): its deliveries are contiguous in (time, sequence)
            # order anyway, so handling them together keeps the order of one entry per port.
            heapq.heappush(heap, (at, self._seq, ports, frame))
            self._seq += 1
        if heap:
            self._alarm.set(heap[0][0])

    def _deliver_due(self, now: int) -> None:
        heap = self._heap
        ports = self.ports
        run = self.run
        multi = bool(getattr(run, "instances", None))
        try:
            while heap and heap[0][0] <= now:
                at, seq, targets, frame = heapq.heappop(heap)
                if len(targets) > 1:
                    self._flood(at, seq, targets, frame, now, multi)
                else:
                    port = ports[targets[0]]
                    if multi:  # a run of several unikernels: the frame is handled by the port's own
                        inst = port.instance
                        if inst is not None:
                            if inst.ended:
                                continue  # a halted unikernel receives nothing
                            run.instance = inst
                    port.deliver(frame)
                now = run.now
        finally:
            if heap:
                self._alarm.set(heap[0][0])

    def _flood(self, at: int, seq: int, targets: list[int], frame: bytes, now: int, multi: bool) -> None:
        """Deliver one frame to several ports, in order, asking each port's filter first (a broadcast).

        The hot loop of a large LAN's boot (every host's announcements reach
        every other): the frame is read once; an ARP packet or IPv6 multicast
        visits only the ports the index names (:meth:`_sweep`), anything else
        asks every port.
        """
        arp: tuple[int, bytes, bytes] | None = None
        group: bytes | None = None
        if frame[0] & 1:  # a broadcast or multicast: read it once for the ports' receive filters
            ethertype = frame[12:14]
            if ethertype == _ARP:
                arp = split_arp(frame[14:])
            elif ethertype == _IPV6:
                group = multicast_dst(frame[14:])
        index = self.index
        if (
            index is not None
            and (arp is not None or group is not None)
            and len(frame) <= index.limit
            and not (multi and self._anonymous)
        ):
            found = index.candidates(arp, group, now)
            worth = INDEX_WORTH * len(targets)
            # (at most len(ports) - len(targets) of them are not targets: too many, and no need to sort them out)
            if len(found) - (len(self.ports) - len(targets)) <= worth:
                cands = [c for c in sorted(found) if holds(targets, c)]
                if len(cands) <= worth:
                    self._sweep(index, at, seq, targets, frame, now, multi, arp, group, cands)
                    return
        self._scan(at, seq, targets, frame, now, multi, arp, group)

    def _scan(
        self,
        at: int,
        seq: int,
        targets: list[int],
        frame: bytes,
        now: int,
        multi: bool,
        arp: tuple[int, bytes, bytes] | None,
        group: bytes | None,
    ) -> None:
        # Every target, in order: its filter first.
        ports = self.ports
        run = self.run
        if arp is not None:
            op, spa, tpa = arp
        i = 0
        try:
            for i, index in enumerate(targets):  # noqa: B007 - i is read by the handler below
                port = ports[index]
                f = port.filter
                if f is not None:
                    if arp is not None:
                        if f.ignores_arp(frame, now, op, spa, tpa):
                            continue
                    elif group is not None and f.ignores_group(frame, group):
                        continue
                if multi:
                    inst = port.instance
                    if inst is not None:
                        if inst.ended:
                            continue  # a halted unikernel receives nothing
                        run.instance = inst
                port.deliver(frame)
        except BaseException:
            if i + 1 < len(targets):  # the rest of the flood is still due (an exit unwound us)
                heapq.heappush(self._heap, (at, seq, targets[i + 1 :], frame))
            raise

    def _sweep(
        self,
        index: FloodIndex,
        at: int,
        seq: int,
        targets: list[int],
        frame: bytes,
        now: int,
        multi: bool,
        arp: tuple[int, bytes, bytes] | None,
        group: bytes | None,
        cands: list[int],
    ) -> None:
        # The candidates alone, in order (a heap: a port that changes meanwhile joins), each asked as by _scan.
        # The others' filters would drop the frame: the index counts what they would count (FloodIndex.begin).
        ports = self.ports
        run = self.run
        s = index.begin(targets, cands, len(frame))
        heap = s.heap
        pop = heapq.heappop
        if arp is not None:
            op, spa, tpa = arp
        last = -1  # the last port whose instance this flood made current
        try:
            while heap:
                c = pop(heap)
                s.pos = c
                port = ports[c]
                f = port.filter
                if f is not None:
                    if arp is not None:
                        if f.ignores_arp(frame, now, op, spa, tpa):
                            continue
                    elif group is not None and f.ignores_group(frame, group):
                        continue
                if multi:
                    inst = port.instance
                    if inst is not None:
                        if inst.ended:
                            continue  # a halted unikernel receives nothing
                        run.instance = inst
                        last = c
                port.deliver(frame)
        except BaseException:
            rest = targets[bisect_right(targets, s.pos) :]
            index.end(s, rest)
            if rest:  # the rest of the flood is still due (an exit unwound us)
                heapq.heappush(self._heap, (at, seq, rest, frame))
            raise
        index.end(s)
        if multi and index.inert:
            # A skipped inert port (a Netif not listening) would have been delivered to, doing nothing but
            # make its instance current: the last one after the last delivery has the last word.
            inert = index.inert
            for j in range(bisect_right(inert, targets[-1]) - 1, -1, -1):  # from the last target down
                q = inert[j]
                if q <= last:
                    break
                if q in s.cands or not holds(targets, q):
                    continue
                inst = ports[q].instance
                if inst is None or inst.ended:
                    continue
                run.instance = inst
                break

    @property
    def in_flight(self) -> int:
        """Frames sent and not yet delivered (one per receiving port)."""
        return sum(len(e[2]) for e in self._heap)
