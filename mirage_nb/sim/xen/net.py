"""The split network driver: netfront in the guest, netback in the driver domain, on a bridge.

:class:`Netfront` is the unikernel's ``Mirage_net.S`` device on Xen. To
send, it copies the frame into a page, grants it read-only to the backend
and queues a transmit request; the backend copies the frame out, answers,
and puts it on the bridge. To receive, the frontend keeps empty pages
posted on the receive ring (granted writable); the backend copies an
arriving frame into one and answers with its length; the frontend reposts
the page and hands the frame to ``listen``'s callback. One event channel
serves both rings. A frame arriving while no page is posted is dropped and
counted, as netback does.

:class:`Netback` joins the bridge named by the ``vif`` line (``bridge=br0``)
as port ``vif<domid>.<devid>``: a :class:`~mirage_nb.sim.netdev.lan.VirtualLan`
of the host, where scripted peers can sit.

The handshake keys are those of the real drivers: the backend publishes
``feature-rx-copy`` and goes ``InitWait``; the frontend writes
``tx-ring-ref``, ``rx-ring-ref``, ``event-channel`` and ``request-rx-copy``
and goes ``Initialised``; the backend goes ``Connected``; so does the frontend.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mirage_nb.sim.lwt import Promise, Resolver, async_, wait, wakeup
from mirage_nb.sim.netdev.values import Invalid_length, Macaddr, Stats
from mirage_nb.sim.result import Error, Ok
from mirage_nb.sim.xen.netif import (
    NETIF_RSP_OKAY,
    RX_ENTRY,
    TX_ENTRY,
    RxRequest,
    RxResponse,
    TxRequest,
    TxResponse,
)
from mirage_nb.sim.xen.ring import PAGE_SIZE, BackRing, FrontRing, SharedRing, init_shared_ring
from mirage_nb.sim.xen.xenbus import XenbusState, check_transition
from mirage_nb.sim.xen.xs_client import switch_state

if TYPE_CHECKING:
    from mirage_nb.sim.xen.host import XenHost
    from mirage_nb.sim.xen.xs_client import XsClient

__all__ = ["Netfront", "Netback", "RX_BUFFERS"]

RX_BUFFERS = 64
"""How many receive pages the frontend keeps posted."""

SIZEOF_ETHERNET = 14


def _mac_bytes(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


class Netback:
    """The backend of one virtual interface, in the driver domain, plugged into a bridge."""

    def __init__(self, host: XenHost, xs: XsClient, path: str) -> None:
        self.host = host
        self.xs = xs
        self.domid = xs.domid
        self.path = path
        self.who = "netback"
        self.state = XenbusState.Initialising
        self.front_domid = 0
        self.tx: BackRing | None = None
        self.rx: BackRing | None = None
        self.maps: list[Any] = []
        self.port = 0
        self.lan_port: Any = None
        self.busy = False
        self.rx_dropped = 0
        self.tx_frames = 0
        self.rx_frames = 0

    async def run(self) -> None:
        xs, host = self.xs, self.host
        front = await xs.read(f"{self.path}/frontend")
        self.front_domid = int(await xs.read(f"{self.path}/frontend-id"))
        bridge = await xs.read(f"{self.path}/bridge")
        handle = await xs.read(f"{self.path}/handle")
        for k in ("feature-rx-copy", "feature-rx-flip"):
            await xs.write(f"{self.path}/{k}", "1" if k == "feature-rx-copy" else "0")
        await switch_state(self, XenbusState.InitWait)
        await xs.wait_for(
            f"{front}/state",
            lambda v: v.isdigit() and int(v) in (XenbusState.Initialised, XenbusState.Connected),
            f"netback:{self.path}",
        )
        tx_ref = int(await xs.read(f"{front}/tx-ring-ref"))
        rx_ref = int(await xs.read(f"{front}/rx-ring-ref"))
        evtchn = int(await xs.read(f"{front}/event-channel"))
        mt = host.hv.map_grant(self.domid, self.front_domid, tx_ref)
        mr = host.hv.map_grant(self.domid, self.front_domid, rx_ref)
        self.maps = [mt, mr]
        self.tx = BackRing(SharedRing(mt.page, TX_ENTRY))
        self.rx = BackRing(SharedRing(mr.page, RX_ENTRY))
        self.port = host.hv.evtchn.bind_interdomain(self.domid, self.front_domid, evtchn)
        host.bind(self.domid, self.port, self._kick)
        self.lan_port = host.lan(bridge).attach(f"vif{self.front_domid}.{handle}", self._from_bridge, owner=self)
        await switch_state(self, XenbusState.Connected)
        await xs.wait_for(f"{front}/state", lambda v: v == str(int(XenbusState.Closing)), f"netback-close:{self.path}")
        await switch_state(self, XenbusState.Closing)
        self.tx = self.rx = None
        host.hv.evtchn.close(self.domid, self.port)
        for m in self.maps:
            host.hv.unmap_grant(self.domid, m)
        await switch_state(self, XenbusState.Closed)

    def _kick(self, _port: int) -> None:
        # transmit requests to forward; newly posted receive pages need no action until a frame comes
        if not self.busy and self.tx is not None:
            self.busy = True
            async_(self._serve_tx)

    async def _serve_tx(self) -> None:
        try:
            while self.tx is not None:
                ring = self.tx
                while ring.unconsumed_requests():
                    req = TxRequest.from_bytes(ring.take_request())
                    m = self.host.hv.map_grant(self.domid, self.front_domid, req.gref, readonly=True)
                    frame = bytes(m.page[req.offset : req.offset + req.size])
                    self.host.hv.unmap_grant(self.domid, m)
                    ring.put_response(TxResponse(req.id, NETIF_RSP_OKAY).to_bytes())
                    if ring.push_responses():
                        self.host.notify(self.domid, self.port)
                    self.tx_frames += 1
                    self.lan_port.send(frame)
                    delay = self.host.faults.backend_delay(self.host.rng)
                    if delay:
                        await self.host.run.sleep_ns(delay)
                if not ring.final_check_for_requests():
                    break
        finally:
            self.busy = False

    def _from_bridge(self, frame: bytes) -> None:
        ring = self.rx
        if ring is None:
            return
        if not ring.unconsumed_requests():
            ring.final_check_for_requests()  # wake us when the frontend posts again
            self.rx_dropped += 1
            return
        req = RxRequest.from_bytes(ring.take_request())
        m = self.host.hv.map_grant(self.domid, self.front_domid, req.gref)
        m.page[0 : len(frame)] = frame
        self.host.hv.unmap_grant(self.domid, m)
        ring.put_response(RxResponse(req.id, 0, 0, len(frame)).to_bytes())
        self.rx_frames += 1
        if ring.push_responses():
            self.host.notify(self.domid, self.port)


class Netfront:
    """The guest's network interface over the rings (what ``Mirage_net.S`` is on Xen)."""

    def __init__(self, host: XenHost, xs: XsClient, path: str) -> None:
        self.host = host
        self.xs = xs
        self.domid = xs.domid
        self.path = path
        self.who = "netfront"
        self.state = XenbusState.Initialising
        self.id = path.rsplit("/", 1)[1]
        self._mac = b"\0" * 6
        self._mtu = 1500
        self.stats = Stats()
        self.backend_id = 0
        self.tx: FrontRing | None = None
        self.rx: FrontRing | None = None
        self.port = 0
        self.refs: list[int] = []
        self.tx_inflight: dict[int, tuple[int, int]] = {}  # id -> (ref, frame)
        self.tx_queue: deque[bytes] = deque()
        self.rx_posted: dict[int, tuple[int, int, bytearray]] = {}  # id -> (ref, frame, page)
        self._next_tx = 0
        self._handler: Callable[[Any], Any] | None = None
        self._stopped: Promise[None]
        self._stop: Resolver[None]
        self._stopped, self._stop = wait()
        self.active = False

    @classmethod
    async def connect(cls, host: XenHost, xs: XsClient, path: str) -> Netfront:
        t = cls(host, xs, path)
        await t._handshake()
        return t

    async def _handshake(self) -> None:
        xs, host, hv = self.xs, self.host, self.host.hv
        backend = await xs.read(f"{self.path}/backend")
        self.backend_id = int(await xs.read(f"{self.path}/backend-id"))
        self._mac = _mac_bytes(await xs.read(f"{self.path}/mac"))
        await xs.wait_for(
            f"{backend}/state", lambda v: v.isdigit() and int(v) >= XenbusState.InitWait, f"netfront:{self.path}"
        )
        gt = hv.grant_tables[self.domid]
        rings = []
        for size in (TX_ENTRY, RX_ENTRY):
            frame, page = hv.alloc_page(self.domid)
            init_shared_ring(page)
            ref = gt.alloc_ref()
            gt.grant_access(ref, self.backend_id, frame)
            self.refs.append(ref)
            rings.append(FrontRing(SharedRing(page, size)))
        self.tx, self.rx = rings
        self.port = hv.evtchn.alloc_unbound(self.domid, self.backend_id)
        host.bind(self.domid, self.port, self._on_event)

        async def publish(tx: int) -> None:
            await xs.write(f"{self.path}/tx-ring-ref", str(self.refs[0]), tx)
            await xs.write(f"{self.path}/rx-ring-ref", str(self.refs[1]), tx)
            await xs.write(f"{self.path}/event-channel", str(self.port), tx)
            await xs.write(f"{self.path}/request-rx-copy", "1", tx)
            await xs.write(f"{self.path}/state", str(int(XenbusState.Initialised)), tx)

        check_transition(self.who, self.state, XenbusState.Initialised)
        await xs.transaction(publish)
        self.state = XenbusState.Initialised
        host.trace(self.domid, "xenbus", f"netfront {self.path} -> Initialised")
        await xs.wait_for(f"{backend}/state", lambda v: v == str(int(XenbusState.Connected)), f"netfront:{self.path}")
        for i in range(RX_BUFFERS):
            self._post_rx(i)
        if self.rx.push_requests():
            host.notify(self.domid, self.port)
        await switch_state(self, XenbusState.Connected)
        self.active = True

    def _post_rx(self, rid: int) -> None:
        assert self.rx is not None
        hv = self.host.hv
        frame, page = hv.alloc_page(self.domid)
        ref = hv.grant_tables[self.domid].alloc_ref()
        hv.grant_tables[self.domid].grant_access(ref, self.backend_id, frame)
        self.rx_posted[rid] = (ref, frame, page)
        self.rx.put_request(RxRequest(rid, ref).to_bytes())

    def _on_event(self, _port: int) -> None:
        tx, rx = self.tx, self.rx
        if tx is None or rx is None:
            return
        gt = self.host.hv.grant_tables[self.domid]
        while True:
            while tx.unconsumed_responses():
                r = TxResponse.from_bytes(tx.take_response())
                ref, frame = self.tx_inflight.pop(r.id)
                gt.end_access(ref)
                gt.release_ref(ref)
                self.host.hv.frames.pop(frame, None)
            if not tx.final_check_for_responses():
                break
        self._drain_tx_queue()
        frames = []
        while True:
            while rx.unconsumed_responses():
                r2 = RxResponse.from_bytes(rx.take_response())
                ref, frame, page = self.rx_posted.pop(r2.id)
                if r2.status > 0:
                    frames.append(bytes(page[r2.offset : r2.offset + r2.status]))
                gt.end_access(ref)
                gt.release_ref(ref)
                self.host.hv.frames.pop(frame, None)
                self._post_rx(r2.id)
            if not rx.final_check_for_responses():
                break
        if frames and rx.push_requests():
            self.host.notify(self.domid, self.port)
        for f in frames:
            self._arrive(f)

    def _drain_tx_queue(self) -> None:
        tx = self.tx
        if tx is None:
            return
        queued = False
        hv = self.host.hv
        gt = hv.grant_tables[self.domid]
        while self.tx_queue and not tx.full():
            data = self.tx_queue.popleft()
            frame, page = hv.alloc_page(self.domid)
            page[: len(data)] = data
            ref = gt.alloc_ref()
            gt.grant_access(ref, self.backend_id, frame, readonly=True)
            tid = self._next_tx
            self._next_tx = (tid + 1) & 0xFFFF
            self.tx_inflight[tid] = (ref, frame)
            tx.put_request(TxRequest(ref, 0, 0, tid, len(data)).to_bytes())
            queued = True
        if queued and tx.push_requests():
            self.host.notify(self.domid, self.port)

    def _arrive(self, frame: bytes) -> None:
        if not self.active or self._handler is None:
            return
        self.stats.rx_pkts += 1
        self.stats.rx_bytes += len(frame)
        r = self._handler(memoryview(frame))
        if r is not None and not isinstance(r, Promise):
            async_(r)

    # -- Mirage_net.S ---------------------------------------------------------------

    def mac(self) -> Macaddr:
        return Macaddr(self._mac)

    @property
    def mac_bytes(self) -> bytes:
        return self._mac

    def mtu(self) -> int:
        return self._mtu

    def get_stats_counters(self) -> Stats:
        return self.stats

    def reset_stats_counters(self) -> None:
        self.stats.reset()

    async def listen(self, header_size: int = SIZEOF_ETHERNET, fn: Callable[[Any], Any] | None = None) -> Any:
        if fn is None:
            from mirage_nb.errors import SimulationError

            raise SimulationError("Netif.listen needs a frame handler: N.listen(n, header_size=14, fn=handler)")
        self._handler = fn
        await self._stopped
        return Ok(None)

    def write(self, size: int, fill: Callable[[memoryview], int]) -> Promise[Any]:
        from mirage_nb.sim.lwt import return_

        if size > self._mtu + SIZEOF_ETHERNET or size > PAGE_SIZE:
            return return_(Error(Invalid_length()))
        buf = memoryview(bytearray(size))
        n = fill(buf)
        if not 0 <= n <= size:
            return return_(Error(Invalid_length()))
        self.send_frame(bytes(buf[:n]))
        return return_(Ok(None))

    def send_frame(self, frame: bytes) -> None:
        if not self.active:
            return
        self.stats.tx_pkts += 1
        self.stats.tx_bytes += len(frame)
        self.tx_queue.append(frame)
        self._drain_tx_queue()

    async def disconnect(self) -> None:
        """Close the interface: ``Closing``, wait for the backend to let go, revoke the rings, ``Closed``."""
        if not self.active:
            return
        self.active = False
        if self._stopped._st == 0:
            wakeup(self._stop, None)
        xs = self.xs
        backend = await xs.read(f"{self.path}/backend")
        await switch_state(self, XenbusState.Closing)
        closed = str(int(XenbusState.Closed))
        await xs.wait_for(f"{backend}/state", lambda v: v == closed, f"netfront-close:{self.path}")
        gt = self.host.hv.grant_tables[self.domid]
        for ref in self.refs:
            gt.end_access(ref)
            gt.release_ref(ref)
        for ref, _frame, _page in self.rx_posted.values():
            gt.end_access(ref)
            gt.release_ref(ref)
        self.rx_posted.clear()
        self.tx = self.rx = None
        await switch_state(self, XenbusState.Closed)

    def __repr__(self) -> str:
        return f"<Netfront {self.path} {self.mac()}>"
