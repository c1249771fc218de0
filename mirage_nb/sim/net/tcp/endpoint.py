"""A TCP endpoint: the connections and listeners of one IP stack, still sans-IO.

Twin of the demultiplexing half of mirage-tcpip's ``Tcp.Flow`` (and of utcp's
``state``): segments come in as bytes with their IP addresses, are decoded and
checked, and go to the connection named by their 4-tuple; a SYN to a
listening port creates a connection; anything else to a closed port gets the
RST of RFC 9293 §3.10.7.1. Out come ``EndpointStep`` values: events tagged
with their ``Flow``, encoded segments for the IP layer, the next deadline.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net.tcp.events import Closed, Connected, Event, Step
from mirage_nb.sim.net.tcp.machine import Connection, rst_for
from mirage_nb.sim.net.tcp.state import TcpState
from mirage_nb.sim.net.tcp.timers import TcpConfig
from mirage_nb.sim.net.tcp.wire import Segment, decode, encode

__all__ = ["Flow", "Packet", "FlowEvent", "EndpointStep", "TcpEndpoint", "EPHEMERAL_PORTS"]

# IANA's dynamic range (RFC 6335 §6), which Linux's default ip_local_port_range nearly matches.
EPHEMERAL_PORTS = range(49152, 65536)
_SYN, _RST, _ACK = 0x02, 0x04, 0x10


class Flow(NamedTuple):
    """A connection's 4-tuple from this endpoint's point of view (addresses are 4 or 16 raw bytes)."""

    local_ip: bytes
    local_port: int
    remote_ip: bytes
    remote_port: int


class Packet(NamedTuple):
    """An encoded TCP segment for the IP layer: protocol 6 from ``src`` to ``dst``.

    ``Packet``, ``FlowEvent`` and ``EndpointStep`` are immutable ``NamedTuple``s:
    they are built for every packet, and tuples are the cheapest records Python has.
    """

    src: bytes
    dst: bytes
    data: bytes


class FlowEvent(NamedTuple):
    """A connection event, tagged with the flow it happened on."""

    flow: Flow
    event: Event


class EndpointStep(NamedTuple):
    """The endpoint's answer to one call: flow events, packets to send, next deadline (ns) or None."""

    events: tuple[FlowEvent, ...]
    packets: tuple[Packet, ...]
    deadline: int | None


class TcpEndpoint:
    """All TCP state of one stack; randomness (ISS, ephemeral ports, timestamp offsets) from ``rng``.

    A passive connection is announced to the application by its ``Connected``
    event; until then (SYN-RECEIVED) its events stay inside the endpoint, as a
    half-open connection is not the application's business.
    """

    def __init__(self, rng: random.Random, config: TcpConfig | None = None, *, verify_checksum: bool = True):
        self.config = config if config is not None else TcpConfig()
        self.rng = rng
        self.verify_checksum = verify_checksum
        self._listeners: set[int] = set()
        self._conns: dict[Flow, Connection] = {}
        # Timers: a heap of (deadline, order, flow) with stale entries skipped, so ``deadline`` does not scan
        # every connection (thousands linger in TIME-WAIT after short HTTP/TLS exchanges). ``_due`` holds each
        # flow's current deadline; ``_order`` its insertion rank, so due timers fire in the old (dict) order.
        self._heap: list[tuple[int, int, Flow]] = []
        self._due: dict[Flow, int] = {}
        self._order: dict[Flow, int] = {}
        self._rank = 0
        self._announced: set[Flow] = set()
        self.malformed = 0
        self.last_error: RemoteProtocolError | None = None
        self.resets_sent = 0

    # ------------------------------------------------------------- queries

    @property
    def connections(self) -> Mapping[Flow, Connection]:
        """The live connections by flow (read-only view)."""
        return MappingProxyType(self._conns)

    @property
    def listening(self) -> frozenset[int]:
        """Ports with a listener."""
        return frozenset(self._listeners)

    @property
    def deadline(self) -> int | None:
        """The earliest timer over all connections, or None."""
        heap, due = self._heap, self._due
        while heap:
            d, _, flow = heap[0]
            if due.get(flow) == d:
                return d
            heapq.heappop(heap)
        return None

    def _note(self, flow: Flow, conn: Connection) -> None:
        """Record ``conn``'s deadline after a step (or forget it once the connection is gone)."""
        if self._conns.get(flow) is not conn:
            self._due.pop(flow, None)
            return
        d = conn.deadline
        if d is None:
            self._due.pop(flow, None)
        elif self._due.get(flow) != d:
            self._due[flow] = d
            heapq.heappush(self._heap, (d, self._order[flow], flow))
            if len(self._heap) > 4 * len(self._due) + 64:  # mostly stale entries: rebuild
                self._heap = [(t, self._order[f], f) for f, t in self._due.items()]
                heapq.heapify(self._heap)

    def connection(self, flow: Flow) -> Connection:
        """The connection of ``flow``; ``LocalProtocolError`` if there is none (mirage: ``Error `Closed``)."""
        try:
            return self._conns[flow]
        except KeyError:
            raise LocalProtocolError(f"TCP flow {_flow_text(flow)}: no such connection") from None

    # ------------------------------------------------------------ user calls

    def listen(self, port: int) -> None:
        """Accept connections on ``port`` (mirage ``listen``)."""
        if not 1 <= port <= 65535:
            raise LocalProtocolError(f"TCP listen: port {port}, expected 1..65535")
        self._listeners.add(port)

    def unlisten(self, port: int) -> None:
        """Stop accepting on ``port``; established connections live on."""
        self._listeners.discard(port)

    def connect(
        self,
        now: int,
        *,
        local_ip: bytes,
        remote_ip: bytes,
        remote_port: int,
        local_port: int | None = None,
    ) -> tuple[Flow, EndpointStep]:
        """Active open towards ``remote_ip:remote_port``; the RNG picks the source port if none is given."""
        if not 1 <= remote_port <= 65535:
            raise LocalProtocolError(f"TCP connect: remote port {remote_port}, expected 1..65535")
        if local_port is None:
            local_port = self._ephemeral_port(local_ip, remote_ip, remote_port)
        flow = Flow(local_ip, local_port, remote_ip, remote_port)
        if flow in self._conns:
            raise LocalProtocolError(f"TCP connect: flow {_flow_text(flow)} is already in use")
        conn, step = Connection.connect(
            now,
            self.config,
            local_port=local_port,
            remote_port=remote_port,
            iss=self.rng.getrandbits(32),
            ts_offset=self.rng.getrandbits(32),
        )
        self._add(flow, conn)
        self._announced.add(flow)
        return flow, self._wrap(flow, conn, step)

    def send(self, now: int, flow: Flow, data: bytes) -> EndpointStep:
        """Queue ``data`` on ``flow`` (mirage ``write``)."""
        conn = self.connection(flow)
        return self._wrap(flow, conn, conn.send(now, data))

    def shutdown(self, now: int, flow: Flow) -> EndpointStep:
        """Half-close ``flow``: our FIN after the queued data (mirage ``shutdown `write``)."""
        conn = self.connection(flow)
        return self._wrap(flow, conn, conn.shutdown(now))

    def close(self, now: int, flow: Flow) -> EndpointStep:
        """Close ``flow`` (mirage ``close``)."""
        conn = self.connection(flow)
        return self._wrap(flow, conn, conn.close(now))

    def abort(self, now: int, flow: Flow) -> EndpointStep:
        """Reset ``flow``."""
        conn = self.connection(flow)
        return self._wrap(flow, conn, conn.abort(now))

    def consume(self, now: int, flow: Flow, nbytes: int) -> EndpointStep:
        """The application read ``nbytes`` of ``flow`` (with ``auto_consume=False``)."""
        conn = self.connection(flow)
        return self._wrap(flow, conn, conn.consume(now, nbytes))

    # ------------------------------------------------------ network and time

    def receive(self, now: int, src: bytes, dst: bytes, data: bytes) -> EndpointStep:
        """One TCP segment from the IP layer (``src``/``dst`` are the IP addresses it came with).

        A malformed segment is dropped and counted (``malformed``, ``last_error``),
        as a stack does; it never raises.
        """
        try:
            seg = decode(data, src, dst, verify_checksum=self.verify_checksum)
        except RemoteProtocolError as e:
            self.malformed += 1
            self.last_error = e
            return EndpointStep((), (), self.deadline)
        return self.receive_segment(now, src, dst, seg)

    def receive_segment(self, now: int, src: bytes, dst: bytes, seg: Segment) -> EndpointStep:
        """As ``receive``, for an already decoded segment."""
        flow = Flow(dst, seg.dst_port, src, seg.src_port)
        conn = self._conns.get(flow)
        if conn is not None:
            return self._wrap(flow, conn, conn.receive(now, seg))
        if seg.dst_port in self._listeners:
            conn = Connection.listen(
                self.config,
                local_port=seg.dst_port,
                iss=self.rng.getrandbits(32),
                ts_offset=self.rng.getrandbits(32),
            )
            step = conn.receive(now, seg)
            if conn.state is TcpState.SYN_RECEIVED:
                self._add(flow, conn)
            return self._wrap(flow, conn, step)
        rst = rst_for(seg)
        if rst is None:
            return EndpointStep((), (), self.deadline)
        self.resets_sent += 1
        return EndpointStep((), (Packet(dst, src, encode(rst, dst, src)),), self.deadline)

    def timer(self, now: int) -> EndpointStep:
        """Fire every due timer of every connection."""
        events: list[FlowEvent] = []
        packets: list[Packet] = []
        heap, due = self._heap, self._due
        fire: dict[Flow, None] = {}
        while heap and heap[0][0] <= now:
            d, _, flow = heapq.heappop(heap)
            if due.get(flow) == d:
                fire[flow] = None
        for flow in sorted(fire, key=self._order.__getitem__):
            conn = self._conns.get(flow)
            if conn is None:
                continue
            d = conn.deadline
            if d is not None and d <= now:
                self._collect(flow, conn, conn.timer(now), events, packets)
            else:
                self._note(flow, conn)
        return EndpointStep(tuple(events), tuple(packets), self.deadline)

    # ------------------------------------------------------------- internals

    def _wrap(self, flow: Flow, conn: Connection, step: Step) -> EndpointStep:
        events: list[FlowEvent] = []
        packets: list[Packet] = []
        self._collect(flow, conn, step, events, packets)
        return EndpointStep(tuple(events), tuple(packets), self.deadline)

    def _add(self, flow: Flow, conn: Connection) -> None:
        self._conns[flow] = conn
        self._rank += 1
        self._order[flow] = self._rank

    def _collect(
        self, flow: Flow, conn: Connection, step: Step, events: list[FlowEvent], packets: list[Packet]
    ) -> None:
        lip, rip = flow.local_ip, flow.remote_ip
        for seg in step.segments:
            if seg.flags & _RST:
                self.resets_sent += 1
            packets.append(Packet(lip, rip, encode(seg, lip, rip)))
        if step.events:
            announced = flow in self._announced
            for ev in step.events:
                if type(ev) is Connected:
                    self._announced.add(flow)
                    announced = True
                if announced:
                    events.append(FlowEvent(flow, ev))
                if type(ev) is Closed:
                    if self._conns.get(flow) is conn:
                        del self._conns[flow]
                        del self._order[flow]
                    self._announced.discard(flow)
        self._note(flow, conn)

    def _ephemeral_port(self, local_ip: bytes, remote_ip: bytes, remote_port: int) -> int:
        def free(p: int) -> bool:
            return Flow(local_ip, p, remote_ip, remote_port) not in self._conns and p not in self._listeners

        for _ in range(64):
            p = self.rng.randrange(EPHEMERAL_PORTS.start, EPHEMERAL_PORTS.stop)
            if free(p):
                return p
        start = self.rng.randrange(EPHEMERAL_PORTS.start, EPHEMERAL_PORTS.stop)
        n = len(EPHEMERAL_PORTS)
        for i in range(n):
            p = EPHEMERAL_PORTS.start + (start - EPHEMERAL_PORTS.start + i) % n
            if free(p):
                return p
        raise LocalProtocolError(f"TCP connect: no free ephemeral port towards {_ip_text(remote_ip)}:{remote_port}")


def _ip_text(ip: bytes) -> str:
    if len(ip) == 4:
        return ".".join(str(b) for b in ip)
    import ipaddress

    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip.hex()


def _flow_text(flow: Flow) -> str:
    return f"{_ip_text(flow.local_ip)}:{flow.local_port} -> {_ip_text(flow.remote_ip)}:{flow.remote_port}"
