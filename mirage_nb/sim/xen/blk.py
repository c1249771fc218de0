"""The split block driver: blkfront in the guest, blkback in the driver domain, one ring between them.

:class:`Blkfront` is what the unikernel's ``Mirage_block.S`` device is on
Xen: ``read`` and ``write`` become requests of up to 11 granted pages (88
sectors) each, pushed on the ring with the notify rule of
:class:`~.ring.FrontRing`; the reply's status becomes ``Ok ()`` or an
error. :class:`Blkback` serves them against the disk image the ``.xl``
file named, mapping each segment's grant only while it copies.

Both sides meet through xenstore (see :mod:`.xenbus`): the backend
publishes ``sectors``, ``sector-size``, ``info`` and goes ``InitWait``; the
frontend grants its ring page, allocates an event channel, writes
``ring-ref``, ``event-channel`` and ``protocol`` in a transaction and goes
``Initialised``; the backend maps and binds and goes ``Connected``; the
frontend goes ``Connected``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mirage_nb.sim.block import BlockDevice, Disconnected, Info, Is_read_only
from mirage_nb.sim.lwt import Promise, Resolver, async_, wait, wakeup
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.xen.blkif import (
    BLKIF_OP_READ,
    BLKIF_OP_WRITE,
    BLKIF_RSP_ERROR,
    BLKIF_RSP_OKAY,
    MAX_SEGMENTS,
    REQUEST_SIZE,
    SECTORS_PER_PAGE,
    BlkRequest,
    BlkResponse,
    Segment,
)
from mirage_nb.sim.xen.ring import PAGE_SIZE, BackRing, FrontRing, SharedRing, init_shared_ring
from mirage_nb.sim.xen.xenbus import XenbusState, check_transition
from mirage_nb.sim.xen.xs_client import switch_state

if TYPE_CHECKING:
    from mirage_nb.sim.xen.host import XenHost
    from mirage_nb.sim.xen.xs_client import XsClient

__all__ = ["Blkfront", "Blkback", "VDISK_READONLY"]

VDISK_READONLY = 4
SECTOR = 512


class Blkback:
    """The backend of one virtual disk, in the driver domain."""

    def __init__(self, host: XenHost, xs: XsClient, path: str, storage: BlockDevice) -> None:
        self.host = host
        self.xs = xs
        self.domid = xs.domid
        self.path = path
        self.who = "blkback"
        self.state = XenbusState.Initialising
        self.storage = storage
        self.ring: BackRing | None = None
        self.port = 0
        self.front_domid = 0
        self.mapping: Any = None
        self.busy = False
        self.served = 0

    async def run(self) -> None:
        xs, host = self.xs, self.host
        front = await xs.read(f"{self.path}/frontend")
        self.front_domid = int(await xs.read(f"{self.path}/frontend-id"))
        info = self.storage.info
        for k, v in (
            ("sectors", str(info.size_sectors)),
            ("sector-size", str(info.sector_size)),
            ("info", str(0 if info.read_write else VDISK_READONLY)),
            ("feature-flush-cache", "0"),
            ("feature-barrier", "0"),
        ):
            await xs.write(f"{self.path}/{k}", v)
        await switch_state(self, XenbusState.InitWait)
        await xs.wait_for(
            f"{front}/state",
            lambda v: v.isdigit() and int(v) in (XenbusState.Initialised, XenbusState.Connected),
            f"blkback:{self.path}",
        )
        ref = int(await xs.read(f"{front}/ring-ref"))
        evtchn = int(await xs.read(f"{front}/event-channel"))
        self.mapping = host.hv.map_grant(self.domid, self.front_domid, ref)
        self.ring = BackRing(SharedRing(self.mapping.page, REQUEST_SIZE))
        self.port = host.hv.evtchn.bind_interdomain(self.domid, self.front_domid, evtchn)
        host.bind(self.domid, self.port, self._kick)
        await switch_state(self, XenbusState.Connected)
        await xs.wait_for(f"{front}/state", lambda v: v == str(int(XenbusState.Closing)), f"blkback-close:{self.path}")
        await switch_state(self, XenbusState.Closing)
        host.hv.evtchn.close(self.domid, self.port)
        host.hv.unmap_grant(self.domid, self.mapping)
        self.ring = None
        await switch_state(self, XenbusState.Closed)

    def _kick(self, _port: int) -> None:
        if not self.busy and self.ring is not None:
            self.busy = True
            async_(self._serve)

    async def _serve(self) -> None:
        try:
            while self.ring is not None:
                ring = self.ring
                while ring.unconsumed_requests():
                    req = BlkRequest.from_bytes(ring.take_request())
                    delay = self.host.faults.backend_delay(self.host.rng)
                    if delay:
                        await self.host.run.sleep_ns(delay)
                    status = self._do(req)
                    ring.put_response(BlkResponse(req.id, req.operation, status).to_bytes())
                    self.served += 1
                    if ring.push_responses():
                        self.host.notify(self.domid, self.port)
                if not ring.final_check_for_requests():
                    break
        finally:
            self.busy = False

    def _do(self, req: BlkRequest) -> int:
        ss = self.storage.info.sector_size
        n = sum(s.last_sect - s.first_sect + 1 for s in req.segments)
        if req.operation not in (BLKIF_OP_READ, BLKIF_OP_WRITE):
            return -2
        if req.sector_number + n > self.storage.info.size_sectors:
            return BLKIF_RSP_ERROR
        if req.operation == BLKIF_OP_WRITE and not self.storage.info.read_write:
            return BLKIF_RSP_ERROR
        offset = req.sector_number * ss
        for seg in req.segments:
            if not 0 <= seg.first_sect <= seg.last_sect < SECTORS_PER_PAGE:
                return BLKIF_RSP_ERROR
            m = self.host.hv.map_grant(self.domid, self.front_domid, seg.gref, readonly=req.operation == BLKIF_OP_WRITE)
            lo, hi = seg.first_sect * SECTOR, (seg.last_sect + 1) * SECTOR
            if req.operation == BLKIF_OP_WRITE:
                self.storage._pwrite(offset, bytes(m.page[lo:hi]))
            else:
                m.page[lo:hi] = self.storage._pread(offset, hi - lo)
            self.host.hv.unmap_grant(self.domid, m)
            offset += hi - lo
        return BLKIF_RSP_OKAY


class Blkfront:
    """The guest's block device over the ring (what ``Mirage_block.S`` is on Xen)."""

    def __init__(self, host: XenHost, xs: XsClient, path: str, name: str) -> None:
        self.host = host
        self.xs = xs
        self.domid = xs.domid
        self.path = path
        self.who = "blkfront"
        self.state = XenbusState.Initialising
        self.name = name
        self.ring: FrontRing | None = None
        self.port = 0
        self.ring_ref = 0
        self.backend_id = 0
        self.info = Info(False, SECTOR, 0)
        self.connected = False
        self._next_id = 1
        self.waiting: dict[int, Resolver[BlkResponse]] = {}
        self.room: list[Resolver[None]] = []
        self.requests = 0

    @classmethod
    async def connect(cls, host: XenHost, xs: XsClient, path: str, name: str) -> Blkfront:
        t = cls(host, xs, path, name)
        await t._handshake()
        return t

    async def _handshake(self) -> None:
        xs, host, hv = self.xs, self.host, self.host.hv
        backend = await xs.read(f"{self.path}/backend")
        self.backend_id = int(await xs.read(f"{self.path}/backend-id"))
        await xs.wait_for(
            f"{backend}/state",
            lambda v: v.isdigit() and int(v) >= XenbusState.InitWait,
            f"blkfront:{self.path}",
        )
        frame, page = hv.alloc_page(self.domid)
        init_shared_ring(page)
        gt = hv.grant_tables[self.domid]
        self.ring_ref = gt.alloc_ref()
        gt.grant_access(self.ring_ref, self.backend_id, frame)
        self.ring = FrontRing(SharedRing(page, REQUEST_SIZE))
        self.port = hv.evtchn.alloc_unbound(self.domid, self.backend_id)
        host.bind(self.domid, self.port, self._on_event)

        async def publish(tx: int) -> None:
            await xs.write(f"{self.path}/ring-ref", str(self.ring_ref), tx)
            await xs.write(f"{self.path}/event-channel", str(self.port), tx)
            await xs.write(f"{self.path}/protocol", "x86_64-abi", tx)
            await xs.write(f"{self.path}/state", str(int(XenbusState.Initialised)), tx)

        check_transition(self.who, self.state, XenbusState.Initialised)
        await xs.transaction(publish)
        self.state = XenbusState.Initialised
        host.trace(self.domid, "xenbus", f"blkfront {self.path} -> Initialised")
        await xs.wait_for(f"{backend}/state", lambda v: v == str(int(XenbusState.Connected)), f"blkfront:{self.path}")
        sectors = int(await xs.read(f"{backend}/sectors"))
        ss = int(await xs.read(f"{backend}/sector-size"))
        info = int(await xs.read(f"{backend}/info"))
        self.info = Info(not info & VDISK_READONLY, ss, sectors)
        await switch_state(self, XenbusState.Connected)
        self.connected = True

    # -- the ring -------------------------------------------------------------------

    def _on_event(self, _port: int) -> None:
        ring = self.ring
        if ring is None:
            return
        while True:
            while ring.unconsumed_responses():
                rsp = BlkResponse.from_bytes(ring.take_response())
                r = self.waiting.pop(rsp.id, None)
                if r is not None:
                    wakeup(r, rsp)
            if not ring.final_check_for_responses():
                break
        while self.room and not ring.full():
            wakeup(self.room.pop(0), None)

    async def _request(self, op: int, sector: int, pages: list[tuple[bytearray, int, int, int]]) -> BlkResponse:
        """One ring request over ``pages`` (page, frame, first sector, last sector); waits for its response."""
        ring = self.ring
        assert ring is not None
        gt = self.host.hv.grant_tables[self.domid]
        segs = []
        refs = []
        for _page, frame, first, last in pages:
            ref = gt.alloc_ref()
            gt.grant_access(ref, self.backend_id, frame, readonly=op == BLKIF_OP_WRITE)
            refs.append(ref)
            segs.append(Segment(ref, first, last))
        while ring.full():
            p: Promise[None]
            r: Resolver[None]
            p, r = wait()
            self.room.append(r)
            await p
        rid = self._next_id
        self._next_id += 1
        done: Promise[BlkResponse]
        resolver: Resolver[BlkResponse]
        done, resolver = wait()
        self.waiting[rid] = resolver
        ring.put_request(BlkRequest(op, 0, rid, sector, tuple(segs)).to_bytes())
        self.requests += 1
        if ring.push_requests():
            self.host.notify(self.domid, self.port)
        rsp: BlkResponse = await done
        for ref in refs:
            gt.end_access(ref)
            gt.release_ref(ref)
        return rsp

    async def _io(self, op: int, sector: int, buffers: list[Any]) -> Any:
        ss = self.info.sector_size
        for b in buffers:
            if len(b) % ss:
                return Error(Msg(f"buffer length ({len(b)}) is not a multiple of sector_size ({ss})"))
        if not self.connected:
            return Error(Disconnected())
        if op == BLKIF_OP_WRITE and not self.info.read_write:
            return Error(Is_read_only())
        data = b"".join(bytes(b) for b in buffers) if op == BLKIF_OP_WRITE else b""
        total = sum(len(b) for b in buffers)
        got = bytearray()
        done = 0
        hv = self.host.hv
        while done < total:
            chunk = min(total - done, MAX_SEGMENTS * PAGE_SIZE)
            pages = []
            for off in range(0, chunk, PAGE_SIZE):
                frame, page = hv.alloc_page(self.domid)
                n = min(PAGE_SIZE, chunk - off)
                if op == BLKIF_OP_WRITE:
                    page[:n] = data[done + off : done + off + n]
                pages.append((page, frame, 0, n // ss - 1))
            rsp = await self._request(op, sector + done // ss, pages)
            for _page, frame, _f, _l in pages:
                hv.frames.pop(frame, None)
                hv.owner.pop(frame, None)
            if rsp.status != BLKIF_RSP_OKAY:
                what = "read" if op == BLKIF_OP_READ else "write"
                return Error(
                    Msg(f"{what} of {chunk // ss} sector(s) at {sector + done // ss}: backend status {rsp.status}")
                )
            if op == BLKIF_OP_READ:
                for page, _frame, first, last in pages:
                    got += page[first * ss : (last + 1) * ss]
            done += chunk
        if op == BLKIF_OP_READ:
            pos = 0
            for b in buffers:
                b[: len(b)] = got[pos : pos + len(b)]
                pos += len(b)
        return Ok(None)

    # -- Mirage_block.S ---------------------------------------------------------------

    async def get_info(self) -> Info:
        return self.info

    async def read(self, sector: int, buffers: list[Any]) -> Any:
        return await self._io(BLKIF_OP_READ, sector, list(buffers))

    async def write(self, sector: int, buffers: list[Any]) -> Any:
        return await self._io(BLKIF_OP_WRITE, sector, list(buffers))

    async def disconnect(self) -> None:
        """Close the device: ``Closing``, wait for the backend to let go, revoke the ring, ``Closed``."""
        if not self.connected:
            return
        self.connected = False
        xs = self.xs
        backend = await xs.read(f"{self.path}/backend")
        await switch_state(self, XenbusState.Closing)
        await xs.wait_for(
            f"{backend}/state", lambda v: v == str(int(XenbusState.Closed)), f"blkfront-close:{self.path}"
        )
        gt = self.host.hv.grant_tables[self.domid]
        gt.end_access(self.ring_ref)
        gt.release_ref(self.ring_ref)
        self.ring = None
        await switch_state(self, XenbusState.Closed)

    def __repr__(self) -> str:
        return f"<Blkfront {self.name} {self.path}>"
