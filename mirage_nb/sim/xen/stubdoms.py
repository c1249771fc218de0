"""The service domains: xenstored and xenconsoled each run in a domain of their own.

* :class:`XenstoreDomain` holds the :class:`~.xenstore.Xenstored` logic and
  one connection per introduced domain: it maps that domain's xenstore
  page (grant reference 1), binds its event channel, reads requests from
  the page, answers, and writes replies and watch events back.
* :class:`ConsoleDomain` is xenconsoled: a xenstore client like any other
  domain, it watches ``@introduceDomain``/``@releaseDomain``, maps each new
  domain's console page (grant reference 0), binds its console channel and
  appends everything the domain prints to ``<log_dir>/guest-<name>.log``
  (the file name ``xenconsoled --log=guest`` uses).
* :class:`ConsoleFront` is a domain's side of its console: bytes it prints
  go into the ``out`` ring; what does not fit waits for xenconsoled to
  make room.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mirage_nb.sim.lwt import async_
from mirage_nb.sim.xen.console_ring import console_rings
from mirage_nb.sim.xen.grant_table import GNTTAB_RESERVED_CONSOLE, GNTTAB_RESERVED_XENSTORE, Mapping
from mirage_nb.sim.xen.xenstore import Xenstored, XsError
from mirage_nb.sim.xen.xs_wire import ByteRing, MessageReader, xenstore_rings

if TYPE_CHECKING:
    from mirage_nb.sim.xen.host import XenHost
    from mirage_nb.sim.xen.xs_client import XsClient

__all__ = ["XenstoreDomain", "ConsoleDomain", "ConsoleFront"]


@dataclass
class _XsConn:
    domid: int
    port: int
    req: ByteRing
    rsp: ByteRing
    mapping: Mapping | None
    reader: MessageReader = field(default_factory=MessageReader)
    pending: bytearray = field(default_factory=bytearray)


class XenstoreDomain:
    """xenstored as a stub domain: the store, and the rings of every introduced domain."""

    def __init__(self, host: XenHost, domid: int) -> None:
        self.host = host
        self.domid = domid
        self.xenstored = Xenstored(on_introduce=self._introduce)
        self.conns: dict[int, _XsConn] = {}

    def _introduce(self, domid: int, mfn: int, port: int) -> None:
        """Map the new domain's xenstore page through its reserved grant and bind its channel."""
        hv = self.host.hv
        m = hv.map_grant(self.domid, domid, GNTTAB_RESERVED_XENSTORE)
        if hv.frames.get(mfn) is not m.page:
            raise XsError("EINVAL", f"domain {domid}'s xenstore page is not frame {mfn:#x}")
        local = hv.evtchn.bind_interdomain(self.domid, domid, port)
        req, rsp = xenstore_rings(m.page)
        self.conns[domid] = _XsConn(domid, local, req, rsp, m)
        self.host.bind(self.domid, local, functools.partial(self._on_port, domid))
        self.host.console_print(self.domid, f"xenstored: introduced domain {domid} (port {port})\n")

    def _on_port(self, domid: int, _port: int) -> None:
        self._on_event(domid)

    def attach_dom0(self, page: bytearray, port: int) -> None:
        """Domain 0's connection, set up by the builder that made this domain (no introduce)."""
        local = self.host.hv.evtchn.bind_interdomain(self.domid, 0, port)
        req, rsp = xenstore_rings(page)
        self.conns[0] = _XsConn(0, local, req, rsp, None)
        self.xenstored.connect(0)
        self.host.bind(self.domid, local, lambda _p: self._on_event(0))

    def _on_event(self, domid: int) -> None:
        c = self.conns.get(domid)
        if c is None:
            return
        data = c.req.read()
        for msg in c.reader.feed(data):
            self.host.trace(domid, "xs", str(msg))
            self.xenstored.handle(domid, msg)
        self.flush()
        if data and not c.rsp.available():
            self.host.notify(self.domid, c.port)

    def flush(self) -> None:
        """Move every connection's queued replies and watch events into its reply ring."""
        for domid, c in self.conns.items():
            conn = self.xenstored.connections.get(domid)
            if conn is not None and conn.outbox:
                for m in conn.outbox:
                    c.pending += m.to_bytes()
                conn.outbox.clear()
            if c.pending:
                n = c.rsp.write(bytes(c.pending))
                del c.pending[:n]
                if n:
                    self.host.notify(self.domid, c.port)


class ConsoleFront:
    """A domain's console output: into the ``out`` ring, the rest kept until there is room."""

    def __init__(self, host: XenHost, domid: int, page: bytearray, port: int) -> None:
        self.host = host
        self.domid = domid
        self.port = port
        self.rin, self.rout = console_rings(page)
        self.pending = bytearray()
        host.bind(domid, port, lambda _p: self.flush())

    def write(self, data: bytes) -> None:
        self.pending += data
        self.flush()

    def flush(self) -> None:
        if self.pending:
            n = self.rout.write(bytes(self.pending))
            del self.pending[:n]
            if n:
                self.host.notify(self.domid, self.port)


@dataclass
class _Console:
    domid: int
    name: str
    port: int
    rout: ByteRing
    mapping: Mapping
    path: str


class ConsoleDomain:
    """xenconsoled: every domain's console ring into a log file of its own."""

    def __init__(self, host: XenHost, domid: int, log_dir: str) -> None:
        self.host = host
        self.domid = domid
        self.log_dir = log_dir
        self.consoles: dict[int, _Console] = {}
        self.xs: XsClient | None = None

    async def start(self, xs: XsClient) -> None:
        self.xs = xs
        os.makedirs(self.log_dir, exist_ok=True)
        await xs.watch("@introduceDomain", "introduce", lambda _p: async_(self.scan))
        await xs.watch("@releaseDomain", "release", lambda _p: async_(self.scan))

    def log_file(self, name: str) -> str:
        return os.path.join(self.log_dir, f"guest-{name}.log")

    async def scan(self) -> None:
        """Attach to every domain listed in xenstore that has a console; let go of the ones gone."""
        assert self.xs is not None
        listed = {int(d) for d in await self.xs.directory("/local/domain")}
        for domid in sorted(listed - set(self.consoles)):
            try:
                name = await self.xs.read(f"/local/domain/{domid}/name")
                ref = int(await self.xs.read(f"/local/domain/{domid}/console/ring-ref"))
                port = int(await self.xs.read(f"/local/domain/{domid}/console/port"))
            except XsError:
                continue  # no console (domain 0), or not written yet: the next event retries
            if domid in self.consoles:
                continue
            # console/ring-ref names the page's frame; the builder also granted it as reference 0
            m = self.host.hv.map_grant(self.domid, domid, GNTTAB_RESERVED_CONSOLE, readonly=False)
            if self.host.hv.frames.get(ref) is not m.page:
                self.host.hv.unmap_grant(self.domid, m)
                continue
            local = self.host.hv.evtchn.bind_interdomain(self.domid, domid, port)
            _rin, rout = console_rings(m.page)
            c = _Console(domid, name, local, rout, m, self.log_file(name))
            self.consoles[domid] = c
            self.host.bind(self.domid, local, functools.partial(self._on_port, domid))
            self.drain(domid)
        for domid in sorted(set(self.consoles) - listed):
            self.detach(domid)

    def _on_port(self, domid: int, _port: int) -> None:
        self.drain(domid)

    def drain(self, domid: int) -> None:
        """Read what the domain printed and append it to its log file."""
        c = self.consoles.get(domid)
        if c is None:
            return
        data = c.rout.read()
        if data:
            with open(c.path, "ab") as f:
                f.write(data)
            self.host.notify(self.domid, c.port)

    def detach(self, domid: int) -> None:
        c = self.consoles.pop(domid, None)
        if c is None:
            return
        data = c.rout.read()
        if data:
            with open(c.path, "ab") as f:
                f.write(data)
        self.host.hv.unmap_grant(self.domid, c.mapping)
        self.host.hv.evtchn.close(self.domid, c.port)
