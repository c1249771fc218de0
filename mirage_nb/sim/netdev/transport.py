"""Transport devices: ``Udp.Make`` and the TCP flow shell (``Tcp.Flow.Make``, ``Utcp_mirage.Make``).

The TCP shell is the thin layer the TCP package was designed for (see
``mirage_nb.sim.net.tcp``'s docstring): one
:class:`~mirage_nb.sim.net.tcp.TcpEndpoint` per stack fed with every TCP
payload the IP layer delivers, its packets handed to the IP layer, one
:class:`~.lan.Alarm` at its deadline. Flow events become what ``Tcpip.Tcp.S``
returns:

- ``create_connection``: ``Connected`` -> ``Ok flow``, ``Refused`` ->
  ``Error Refused()``, ``TimedOut`` -> ``Error Timeout()``;
- ``listen ~port callback``: a ``Connected`` on a passive flow starts
  ``callback flow`` in its own task;
- ``read``: buffered data -> ``Ok (Data buf)``; after the peer's FIN, a reset
  or a timeout -> ``Ok (Eof ())`` (mirage-tcpip reports a reset as EOF);
- ``write``/``writev``: ``Ok ()``, or ``Error Closed()`` once the flow is
  shut down for writing or gone; a writer waits while more than
  :data:`SEND_BUFFER` bytes are unacknowledged (back-pressure);
- ``close`` / ``shutdown`` call the machine's ``close`` / ``shutdown``.

µTCP (``Utcp_mirage.Make``) is mapped onto the same machine: same API, its
log source ``tcp.mirage``, and its ``connect`` is not an Lwt call (as in
``utcp``'s ``Utcp_mirage.connect name ip``). Keepalive settings are accepted
and ignored (the machine has no keepalive).
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, cast

from mirage_nb.errors import LocalProtocolError, SimulationError
from mirage_nb.sim.logs import Logs, Src
from mirage_nb.sim.lwt import Resolver, async_, return_, wakeup
from mirage_nb.sim.net._base import FrameError
from mirage_nb.sim.net.tcp import (
    Closed as ClosedEv,
)
from mirage_nb.sim.net.tcp import (
    Connected,
    DataReceived,
    EndpointStep,
    Flow,
    PeerClosed,
    Reset,
    TcpConfig,
    TcpEndpoint,
    TimedOut,
)
from mirage_nb.sim.net.tcp import (
    Refused as RefusedEv,
)
from mirage_nb.sim.net.udp import decode_udp, encode_udp
from mirage_nb.sim.netdev._module import invoke, wait_any
from mirage_nb.sim.netdev.lan import Alarm
from mirage_nb.sim.netdev.values import Closed, Data, Eof, Refused, Timeout, to_ip
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.run import current_run

__all__ = ["UdpDevice", "TcpDevice", "TcpFlow", "SEND_BUFFER", "UDP_SRC", "TCP_SRC", "UTCP_SRC"]

UDP_SRC = Src("udp", "Mirage UDP")
TCP_SRC = Src("tcp.pcb", "Mirage TCP PCB module")
UTCP_SRC = Src("tcp.mirage", "TCP mirage")

SEND_BUFFER = 256 * 1024
"""A writer waits while more than this many bytes of its flow are unacknowledged."""

_PROTO_TCP, _PROTO_UDP = 6, 17


def _with_mss(cfg: TcpConfig, ip: Any, any_addr: str) -> TcpConfig:
    from dataclasses import replace

    try:
        mtu = ip.mtu(to_ip(any_addr))
    except (AttributeError, SimulationError):
        return cfg
    return replace(cfg, mss=max(88, min(cfg.mss, mtu - 20)))


def _prefixes(ip: Any) -> str:
    return ", ".join(str(p) for p in ip.configured_ips())


class UdpDevice:
    """Twin of ``Udp.Make (Ip)``: listeners by port; ``write`` with ``src_port`` and ``ttl``."""

    def __init__(self, ip: Any) -> None:
        self.run = current_run()
        self.ip = ip
        self.listeners: dict[int, Any] = {}
        key = len([k for k in self.run.devices if k.startswith("netdev.udp")])
        self.run.devices[f"netdev.udp{key}"] = self
        self.rng = random.Random(f"{self.run.seed}:udp:{key}")

    @classmethod
    async def connect(cls, ip: Any) -> UdpDevice:
        Logs.info("UDP layer connected on %s", _prefixes(ip), src=UDP_SRC)
        return cls(ip)

    def listen(self, port: int | None = None, callback: Any = None) -> None:
        """``listen t ~port callback``: ``callback(src=, dst=, src_port=, buf=)`` for each datagram to ``port``."""
        if port is None or not 0 <= port <= 65535:
            raise SimulationError(f"Udp.listen: port {port}, expected 0..65535 (OCaml raises Invalid_argument)")
        if callback is None:
            raise SimulationError("Udp.listen needs a callback: U.listen(udp, port=53, callback=handler)")
        self.listeners[port] = callback

    def unlisten(self, port: int) -> None:
        self.listeners.pop(port, None)

    async def input(self, src: Any, dst: Any, buf: Any) -> None:
        try:
            d = decode_udp(bytes(buf), src.packed, dst.packed)
        except FrameError as e:
            Logs.debug("Discarding received UDP message: error parsing: %s", str(e), src=UDP_SRC)
            return
        fn = self.listeners.get(d.dst_port)
        if fn is not None:
            await invoke(fn, src=src, dst=dst, src_port=d.src_port, buf=memoryview(d.payload))

    async def write(
        self, buf: Any, *, dst: Any, dst_port: int, src: Any = None, src_port: int | None = None, ttl: int | None = None
    ) -> Any:
        """``write ?src ?src_port ?ttl ~dst ~dst_port t buf``: always ``Ok ()`` (errors are logged, best effort)."""
        d = to_ip(dst)
        s = to_ip(src) if src is not None else self.ip.src(d)
        sport = self.rng.randrange(65535) if src_port is None else src_port
        seg = encode_udp(s.packed, d.packed, sport, dst_port, bytes(buf))
        r = await self.ip.send_raw(d, _PROTO_UDP, seg, ttl=ttl, src=src)
        if isinstance(r, Error):
            Logs.err("IP module couldn't send UDP packet to %s: %s", str(d), str(r.error), src=UDP_SRC)
        return Ok(None)

    async def writev(self, bufs: list[Any], **kw: Any) -> Any:
        return await self.write(b"".join(bytes(b) for b in bufs), **kw)

    async def disconnect(self) -> None:
        Logs.info("UDP layer disconnected on %s", _prefixes(self.ip), src=UDP_SRC)


class TcpFlow:
    """One TCP connection as a unikernel sees it (``S.TCP.flow``)."""

    def __init__(self, tcp: TcpDevice, flow: Flow) -> None:
        self.tcp = tcp
        self.id = flow
        self.rx: deque[bytes] = deque()
        self.eof = False
        self.write_closed = False
        self.reader: Resolver[Any] | None = None
        self.writers: list[Resolver[Any]] = []

    # --- Mirage_flow.S / Tcpip.Tcp.S ------------------------------------------

    def dst(self) -> tuple[Any, int]:
        """``dst flow``: the peer's address and port."""
        return to_ip(self.id.remote_ip), self.id.remote_port

    def src(self) -> tuple[Any, int]:
        return to_ip(self.id.local_ip), self.id.local_port

    def read(self) -> Any:
        """``read flow``: a promise of ``Ok (Data buf)``, ``Ok (Eof ())``."""
        if self.rx:
            return return_(Ok(Data(memoryview(self.rx.popleft()))))
        if self.eof:
            return return_(Ok(Eof()))
        if self.reader is not None:
            raise SimulationError("TCP read: another read on this flow is already waiting")
        p, r = wait_any()
        self.reader = r
        return p

    async def write(self, buf: Any) -> Any:
        """``write flow buf``: ``Ok ()`` once queued, ``Error Closed()`` if the flow cannot send any more."""
        tcp = self.tcp
        data = bytes(buf)
        while True:
            conn = tcp.ep(self.id).connections.get(self.id)
            if conn is None or self.write_closed or not conn.can_send:
                return Error(Closed())
            if conn.send_buffered <= SEND_BUFFER:
                break
            p, r = wait_any()
            self.writers.append(r)
            tcp.blocked.add(self)
            await p
        try:
            step = tcp.ep(self.id).send(tcp.run.now, self.id, data)
        except LocalProtocolError:
            return Error(Closed())
        tcp.apply(step)
        return Ok(None)

    async def writev(self, bufs: list[Any]) -> Any:
        for b in bufs:
            r = await self.write(b)
            if isinstance(r, Error):
                return r
        return Ok(None)

    write_nodelay = write
    writev_nodelay = writev

    async def close(self) -> None:
        """``close flow``: our FIN after the queued data; reading ends."""
        self.write_closed = True
        tcp = self.tcp
        ep = tcp.ep(self.id)
        if self.id in ep.connections:
            tcp.apply(ep.close(tcp.run.now, self.id))
        self._wake_all()

    async def shutdown(self, mode: str = "write") -> None:
        """``shutdown flow mode``: ``"write"``, ``"read"`` or ``"read_write"``."""
        if mode not in ("read", "write", "read_write"):
            raise SimulationError(f"TCP shutdown: mode {mode!r}, expected read, write or read_write")
        tcp = self.tcp
        if mode in ("write", "read_write") and not self.write_closed:
            self.write_closed = True
            ep = tcp.ep(self.id)
            if self.id in ep.connections:
                tcp.apply(ep.shutdown(tcp.run.now, self.id))
        if mode in ("read", "read_write"):
            self.eof = True
            self.rx.clear()
        self._wake_all()

    # --- the shell's side ---------------------------------------------------

    def _wake_reader(self, wakes: list[tuple[Resolver[Any], Any]]) -> None:
        r = self.reader
        if r is None:
            return
        if self.rx:
            self.reader = None
            wakes.append((r, Ok(Data(memoryview(self.rx.popleft())))))
        elif self.eof:
            self.reader = None
            wakes.append((r, Ok(Eof())))

    def _wake_all(self) -> None:
        wakes: list[tuple[Resolver[Any], Any]] = []
        self._wake_reader(wakes)
        ws, self.writers = self.writers, []
        self.tcp.blocked.discard(self)
        wakes.extend((w, None) for w in ws)
        for r, v in wakes:
            wakeup(r, v)

    def __repr__(self) -> str:
        (a, p), (b, q) = self.src(), self.dst()
        return f"<TCP flow {a}:{p} -> {b}:{q}>"


class TcpDevice:
    """Twin of ``Tcp.Flow.Make (Ip)`` (and, with ``utcp=True``, of ``Utcp_mirage.Make``)."""

    def __init__(self, ip: Any, *, utcp: bool = False, config: TcpConfig | None = None) -> None:
        self.run = current_run()
        self.ip = ip
        self.utcp = utcp
        key = len([k for k in self.run.devices if k.startswith("netdev.tcp")])
        self.run.devices[f"netdev.tcp{key}"] = self
        # One TCP endpoint per address family, so that each announces the MSS its IP layer allows
        # (mirage-tcpip's ``Ip.mtu ~dst - sizeof_tcp``): 1460 over IPv4, 1440 over IPv6 on Ethernet.
        cfg = config if config is not None else TcpConfig()
        self.endpoints = {
            4: TcpEndpoint(random.Random(f"{self.run.seed}:tcp:{key}"), _with_mss(cfg, ip, "0.0.0.0")),
            16: TcpEndpoint(random.Random(f"{self.run.seed}:tcp6:{key}"), _with_mss(cfg, ip, "::")),
        }
        self.endpoint = self.endpoints[4]
        self.callbacks: dict[int, Any] = {}
        self.flows: dict[Flow, TcpFlow] = {}
        self.connects: dict[Flow, Resolver[Any]] = {}
        self.blocked: set[TcpFlow] = set()  # flows with a writer waiting for buffer space
        self.active = True
        self._alarm = Alarm(self.run, self._tick)
        self._eps = tuple(self.endpoints.values())
        self._raw_output = bool(getattr(type(ip), "raw_output", False))  # our IP devices take raw addresses

    @classmethod
    async def connect(cls, ip: Any, *, config: TcpConfig | None = None) -> TcpDevice:
        """``Tcp.Flow.Make(Ip).connect ip``."""
        Logs.info("TCP layer connected on %s", _prefixes(ip), src=TCP_SRC)
        return cls(ip, config=config)

    @classmethod
    def connect_utcp(cls, name: str, ip: Any, *, config: TcpConfig | None = None) -> TcpDevice:
        """``Utcp_mirage.Make(Ip).connect name ip`` (not an Lwt call)."""
        return cls(ip, utcp=True, config=config)

    # --- Tcpip.Tcp.S ------------------------------------------------------

    def listen(self, port: Any = None, callback: Any = None, *, keepalive: Any = None) -> None:
        """``listen t ~port ?keepalive callback``: ``callback(flow)`` runs for each established connection."""
        if callable(port) and isinstance(callback, int):
            port, callback = callback, port
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise SimulationError(f"TCP listen: port {port!r}, expected 0..65535 (OCaml raises Invalid_argument)")
        if callback is None:
            raise SimulationError("TCP listen needs a callback: S.TCP.listen(tcp, port=8080, callback=handler)")
        self.callbacks[port] = callback
        if port:
            for ep in self.endpoints.values():
                ep.listen(port)

    def unlisten(self, port: int) -> None:
        self.callbacks.pop(port, None)
        for ep in self.endpoints.values():
            ep.unlisten(port)

    async def create_connection(self, dst: tuple[Any, int], *, keepalive: Any = None) -> Any:
        """``create_connection t (ip, port)``: ``Ok flow``, ``Error Refused()`` or ``Error Timeout()``."""
        if not self.active:
            return Error(Timeout())
        ip, port = to_ip(dst[0]), dst[1]
        local = to_ip(self.ip.src(ip))
        try:
            flow, step = self.endpoints[len(ip.packed)].connect(
                self.run.now, local_ip=local.packed, remote_ip=ip.packed, remote_port=port
            )
        except LocalProtocolError as e:
            raise SimulationError(str(e)) from None
        p, r = wait_any()
        self.connects[flow] = r
        self.flows[flow] = TcpFlow(self, flow)
        self.apply(step)
        return await p

    async def input(self, src: Any, dst: Any, buf: Any) -> None:
        """``input t ~src ~dst buf``: a TCP segment from the IP layer."""
        s = src.packed
        self.apply(self.endpoints[len(s)].receive(self.run.now, s, dst.packed, bytes(buf)))

    async def disconnect(self) -> None:
        self.active = False
        src = UTCP_SRC if self.utcp else TCP_SRC
        Logs.info("TCP layer disconnected on %s", _prefixes(self.ip), src=src)
        for f in list(self.flows.values()):
            await f.close()

    # --- the shell --------------------------------------------------------

    def ep(self, flow: Flow) -> TcpEndpoint:
        """The endpoint (IPv4 or IPv6) that owns ``flow``."""
        return self.endpoints[len(flow.local_ip)]

    @property
    def deadline(self) -> int | None:
        best = None
        for e in self._eps:  # asked after every step: a plain loop, no lists
            d = e.deadline
            if d is not None and (best is None or d < best):
                best = d
        return best

    def _tick(self, now: int) -> None:
        for ep in self.endpoints.values():
            d = ep.deadline
            if d is not None and d <= now:
                self.apply(ep.timer(now))
        self._alarm.set(self.deadline)

    def apply(self, step: EndpointStep) -> None:
        """Carry out an endpoint step: packets to IP, events to flows and callers, the timer re-armed."""
        if step.packets:
            out = self.ip.output
            if self._raw_output:
                for pkt in step.packets:
                    out(pkt.dst, _PROTO_TCP, pkt.data, src=pkt.src)
            else:
                for pkt in step.packets:
                    out(to_ip(pkt.dst), _PROTO_TCP, pkt.data, src=to_ip(pkt.src))
        wakes: list[tuple[Resolver[Any], Any]] = []
        starts: list[TcpFlow] = []
        touched: dict[Flow, TcpFlow] = {}
        for fe in step.events:
            flow, ev = fe.flow, fe.event
            t = type(ev)
            f = self.flows.get(flow)
            if t is DataReceived:
                if f is not None and not f.eof:
                    f.rx.append(cast(DataReceived, ev).data)
            elif t is Connected:
                r = self.connects.pop(flow, None)
                if r is not None:
                    assert f is not None
                    wakes.append((r, Ok(f)))
                else:
                    f = TcpFlow(self, flow)
                    self.flows[flow] = f
                    starts.append(f)
            elif t is RefusedEv or t is TimedOut:
                r = self.connects.pop(flow, None)
                if r is not None:
                    self.flows.pop(flow, None)
                    wakes.append((r, Error(Refused() if t is RefusedEv else Timeout())))
                if f is not None:
                    f.eof = True
                    f.write_closed = True
            elif t is PeerClosed or t is Reset:
                if f is not None:
                    f.eof = True
                    if t is Reset:
                        f.write_closed = True
            elif t is ClosedEv:
                r = self.connects.pop(flow, None)
                if r is not None:
                    wakes.append((r, Error(Refused())))
                if f is not None:
                    f.eof = True
                    f.write_closed = True
                    self.flows.pop(flow, None)
            if f is not None:
                touched[flow] = f
        for f in touched.values():
            f._wake_reader(wakes)
        if self.blocked:
            # Pure ACKs carry no event: look at every flow with a writer waiting for room.
            for f in sorted(self.blocked, key=lambda f: f.id):
                c = self.ep(f.id).connections.get(f.id)
                if c is None or c.send_buffered <= SEND_BUFFER or f.write_closed:
                    self.blocked.discard(f)
                    ws, f.writers = f.writers, []
                    wakes.extend((w, None) for w in ws)
        self._alarm.set(self.deadline)
        for r, v in wakes:
            wakeup(r, v)
        for f in starts:
            cb = self.callbacks.get(f.id.local_port)
            if cb is None:
                async_(f.close())
            else:
                async_(invoke(cb, f))

    def __repr__(self) -> str:
        return f"<{'Utcp' if self.utcp else 'Tcp.Flow'} on {_prefixes(self.ip)}>"
