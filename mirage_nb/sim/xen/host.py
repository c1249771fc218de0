"""A simulated Xen host: the hypervisor, domain 0's toolstack and backends, xenstored and xenconsoled
in stub domains of their own, and unikernels booted from the ``.xl`` files ``mirage configure -t xen``
writes.

Everything runs on one virtual clock (a :class:`~mirage_nb.sim.run.Run`).
At start the host builds, in order, domain 0 (``Domain-0``: the toolstack
and the backends), domain 1 (``Xenstore``: xenstored, reached by domain 0
over a ring set up at build time) and domain 2 (``xenconsoled``, built and
introduced like any guest). :meth:`XenHost.create` then does what ``xl
create`` does with a domain configuration: build the domain (a console
page granted as reference 0, a xenstore page as reference 1, an event
channel for each), write its xenstore directory, introduce it to xenstored,
write each ``disk``'s and ``vif``'s frontend and backend directories, and
boot the unikernel, whose block and network devices are the frontends of
:mod:`.blk` and :mod:`.net`. What the unikernel prints goes into its
console ring; xenconsoled writes it to ``<log_dir>/guest-<name>.log``.

Event-channel notifications are delivered after a small delay; ``faults``
(:class:`Faults`) makes them late, doubled or lost (a lost upcall leaves
its pending bit set until the domain next looks at its pending ports), and
the block backend slow, from the run's seed.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.block import FileBlock, MemBlock
from mirage_nb.sim.boot import BootContext, DeviceNode, load_unikernel
from mirage_nb.sim.lwt import async_
from mirage_nb.sim.net.pcap import PcapWriter
from mirage_nb.sim.run import Run, RunResult
from mirage_nb.sim.xen.blk import Blkback, Blkfront
from mirage_nb.sim.xen.grant_table import GNTTAB_RESERVED_CONSOLE, GNTTAB_RESERVED_XENSTORE
from mirage_nb.sim.xen.hypervisor import Domain, Hypervisor
from mirage_nb.sim.xen.stubdoms import ConsoleDomain, ConsoleFront, XenstoreDomain
from mirage_nb.sim.xen.xenbus import XenbusState, backend_path, frontend_path, vdev_number
from mirage_nb.sim.xen.xl import XlConfig, parse_xl
from mirage_nb.sim.xen.xs_client import XsClient

__all__ = ["Faults", "XenHost", "XenRunResult", "TraceEvent"]

XENSTORE_DOMID = 1
CONSOLE_DOMID = 2


@dataclass(frozen=True)
class Faults:
    """Seeded misbehaviour: how late notifications arrive, how often doubled or lost, how slow blkback is.

    Delays are ``(low, high)`` nanoseconds, drawn uniformly. A lost upcall
    leaves the port pending; the domain finds it ``poll_ns`` later.
    """

    notify_delay_ns: tuple[int, int] = (1_000, 1_000)
    backend_delay_ns: tuple[int, int] = (0, 0)
    duplicate: float = 0.0
    lost: float = 0.0
    poll_ns: int = 1_000_000

    def notify_delay(self, rng: random.Random) -> int:
        lo, hi = self.notify_delay_ns
        return lo if hi <= lo else rng.randint(lo, hi)

    def backend_delay(self, rng: random.Random) -> int:
        lo, hi = self.backend_delay_ns
        return lo if hi <= lo else rng.randint(lo, hi)


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """Something a domain did, at a virtual time: a xenstore request, a state change, an upcall..."""

    time_ns: int
    domid: int
    kind: str
    detail: str


@dataclass
class _Guest:
    xl: XlConfig
    xl_name: str
    app: Any
    argv: list[str]
    keys: dict[str, Any]
    disks: dict[str, bytes | bytearray]
    unikernel: Any
    data_dir: str | None


class _DomainRun(Run):
    """The guest's run: what it prints also goes to its console ring."""

    console: list[Any]
    sink: Callable[[bytes], None] | None = None

    def write(self, stream: str, text: str) -> None:
        super().write(stream, text)
        if self.sink is not None:
            self.sink(text.encode())


class XenHost:
    """A Xen machine in the simulator. ``log_dir`` is where xenconsoled writes each domain's console."""

    def __init__(self, log_dir: str | os.PathLike[str], *, faults: Faults | None = None) -> None:
        self.log_dir = os.fspath(log_dir)
        self.faults = faults or Faults()
        self.hv = Hypervisor()
        self.guests: list[_Guest] = []
        self.rng = random.Random(0)
        self.run: Run = Run()
        self.events: list[TraceEvent] = []
        self.toolstack: list[str] = []
        self.consoles: dict[int, ConsoleFront] = {}
        self.xenstore: XenstoreDomain | None = None
        self.xenconsoled: ConsoleDomain | None = None
        self.dom0_xs: XsClient | None = None
        self.backends: dict[str, Any] = {}
        self.frontends: dict[str, Any] = {}
        self.notifications = 0
        self.lans: dict[str, Any] = {}
        self._on_lan: Callable[[str, Any], None] | None = None
        self._pcap = False
        self._captures: dict[str, io.BytesIO] = {}
        self._running = False
        self._next_domid = CONSOLE_DOMID

    # -- plumbing the drivers use -------------------------------------------------------

    def trace(self, domid: int, kind: str, detail: str) -> None:
        self.events.append(TraceEvent(self.run.now, domid, kind, detail))

    def bind(self, domid: int, port: int, handler: Callable[[int], None]) -> None:
        """Run ``handler(port)`` in ``domid`` when ``port`` is raised."""
        self.hv.domain(domid).handlers[port] = handler

    def notify(self, domid: int, port: int) -> None:
        """``EVTCHNOP_send`` from ``domid``: the peer's handler runs after the (faulty) delivery delay."""
        up = self.hv.notify(domid, port)
        self.notifications += 1
        if up is None or not self._running:
            return
        d, p = up
        f = self.faults
        if f.lost and self.rng.random() < f.lost:
            self.trace(d, "upcall-lost", f"port {p}")
            self._later(f.poll_ns, lambda: self._deliver(d, p, only_pending=True))
            return
        self._later(f.notify_delay(self.rng), lambda: self._deliver(d, p))
        if f.duplicate and self.rng.random() < f.duplicate:
            self._later(f.notify_delay(self.rng), lambda: self._deliver(d, p))

    def _later(self, delay: int, fn: Callable[[], None]) -> None:
        run = self.run

        async def go() -> None:
            await run.sleep_ns(delay)
            fn()

        async_(go)

    def _deliver(self, domid: int, port: int, *, only_pending: bool = False) -> None:
        try:
            was = self.hv.evtchn.clear(domid, port)
        except SimulationError:
            return  # closed meanwhile
        if only_pending and not was:
            return
        d = self.hv.domains.get(domid)
        h = d.handlers.get(port) if d is not None and d.state == "running" else None
        if h is not None:
            h(port)

    def lan(self, bridge: str) -> Any:
        """The bridge ``bridge`` of domain 0 (a virtual LAN, made on first use), where netbacks plug vifs."""
        lan = self.lans.get(bridge)
        if lan is None:
            from mirage_nb.sim.netdev.lan import VirtualLan

            pcap = None
            if self._pcap:
                buf = io.BytesIO()
                self._captures[bridge] = buf
                pcap = PcapWriter(buf, nanosecond=True)
            lan = self.lans[bridge] = VirtualLan(self.run, pcap=pcap)
            if self._on_lan is not None:
                self._on_lan(bridge, lan)
        return lan

    def console_print(self, domid: int, text: str) -> None:
        c = self.consoles.get(domid)
        if c is not None:
            c.write(text.encode())

    # -- building domains ----------------------------------------------------------------

    def _build(self, domid: int, name: str, memory: int, role: str) -> tuple[Domain, bytearray]:
        """The domain builder: the domain, its console page and channel, its xenstore page and channel."""
        hv = self.hv
        d = hv.create_domain(domid, name, memory, role)
        gt = hv.grant_tables[domid]
        d.console_frame, cpage = hv.alloc_page(domid)
        gt.grant_access(GNTTAB_RESERVED_CONSOLE, CONSOLE_DOMID, d.console_frame)
        d.console_port = hv.evtchn.alloc_unbound(domid, CONSOLE_DOMID)
        self.consoles[domid] = ConsoleFront(self, domid, cpage, d.console_port)
        d.xenstore_frame, xpage = hv.alloc_page(domid)
        gt.grant_access(GNTTAB_RESERVED_XENSTORE, XENSTORE_DOMID, d.xenstore_frame)
        d.xenstore_port = hv.evtchn.alloc_unbound(domid, XENSTORE_DOMID)
        self.trace(
            domid,
            "build",
            f"{name}: {memory} MiB, console frame {d.console_frame:#x} port "
            f"{d.console_port}, xenstore frame {d.xenstore_frame:#x} port {d.xenstore_port}",
        )
        return d, xpage

    async def _write_domain_dir(self, d: Domain) -> None:
        xs = self.dom0_xs
        assert xs is not None
        home = f"/local/domain/{d.domid}"

        async def body(tx: int) -> None:
            await xs.mkdir(home, tx)
            await xs.set_perms(home, ["n0", f"r{d.domid}", f"r{CONSOLE_DOMID}"], tx)
            await xs.write(f"{home}/name", d.name, tx)
            await xs.write(f"{home}/domid", str(d.domid), tx)
            await xs.write(f"{home}/memory/target", str(d.memory_mib * 1024), tx)
            await xs.write(f"{home}/console/ring-ref", str(d.console_frame), tx)
            await xs.write(f"{home}/console/port", str(d.console_port), tx)
            await xs.write(f"{home}/console/type", "xenconsoled", tx)
            for sub in ("device", "data", "control"):
                await xs.mkdir(f"{home}/{sub}", tx)
                await xs.set_perms(f"{home}/{sub}", [f"n{d.domid}", "r0"], tx)

        await xs.transaction(body)

    async def _start_services(self) -> None:
        hv = self.hv
        dom0 = hv.create_domain(0, "Domain-0", 1024, "control")
        dom0.xenstore_frame, page0 = hv.alloc_page(0)
        hv.grant_tables[0].grant_access(GNTTAB_RESERVED_XENSTORE, XENSTORE_DOMID, dom0.xenstore_frame)
        dom0.xenstore_port = hv.evtchn.alloc_unbound(0, XENSTORE_DOMID)
        # the xenstore stub domain is built first and given domain 0's ring (init-xenstore-domain)
        xsd, _ = self._build(XENSTORE_DOMID, "Xenstore", 32, "xenstore")
        self.xenstore = XenstoreDomain(self, XENSTORE_DOMID)
        self.xenstore.attach_dom0(page0, dom0.xenstore_port)
        self.console_print(XENSTORE_DOMID, "xenstored: stub domain started, serving domain 0\n")
        self.dom0_xs = XsClient(self, 0, page0, dom0.xenstore_port)
        xs = self.dom0_xs
        await xs.write("/local/domain/0/name", "Domain-0")
        await xs.write("/local/domain/0/domid", "0")
        await xs.set_perms("/local/domain", ["n0", f"r{CONSOLE_DOMID}"])
        await self._write_domain_dir(xsd)
        # xenconsoled: built and introduced like a guest, then a xenstore client like any domain
        cond, cpage = self._build(CONSOLE_DOMID, "xenconsoled", 32, "console")
        await self._write_domain_dir(cond)
        await xs.introduce(CONSOLE_DOMID, cond.xenstore_frame, cond.xenstore_port)
        self.xenconsoled = ConsoleDomain(self, CONSOLE_DOMID, self.log_dir)
        cxs = XsClient(self, CONSOLE_DOMID, cpage, cond.xenstore_port)
        await self.xenconsoled.start(cxs)
        self.console_print(CONSOLE_DOMID, f"xenconsoled: logging guest consoles to {self.log_dir}\n")
        await xs.watch("/local/domain/0/backend", "backends", lambda _p: async_(self._scan_backends))

    # -- xl create ---------------------------------------------------------------------------

    def create(
        self,
        xl: str,
        app: Any,
        *,
        filename: str | None = None,
        argv: Sequence[str] = (),
        disks: Mapping[str, bytes | bytearray] | None = None,
        unikernel: Any = None,
        data_dir: str | None = None,
        **keys: Any,
    ) -> XenHost:
        """Queue ``xl create`` of a domain configuration (the text of the ``.xl`` file) running ``app``.

        ``app`` is the application the file was generated from, configured
        with ``-t xen`` and ``keys``; ``argv`` its boot arguments; ``disks``
        the images its ``disk`` lines name (``target=disk.img``), as bytes,
        else read from ``data_dir`` (by default beside the config).
        """
        name = filename or "domain.xl"
        cfg = parse_xl(xl, name)
        if self.guests:
            raise SimulationError("this simulated host runs one unikernel guest per run")
        if isinstance(argv, str):
            raise SimulationError(f"argv is a sequence of boot arguments, e.g. [{argv!r}], not a string")
        config = getattr(app, "config_file", None)
        if unikernel is None and config:
            # resolved now: a config loaded by a relative path stays found if the directory changes
            beside = os.path.join(os.path.dirname(os.path.abspath(config)), "unikernel.py")
            if os.path.isfile(beside):
                unikernel = beside
        self.guests.append(_Guest(cfg, name, app, list(argv), dict(keys), dict(disks or {}), unikernel, data_dir))
        return self

    def _storage(self, guest: _Guest, data_dir: str, target: str, rw: bool) -> Any:
        if target in guest.disks:
            data = guest.disks[target]
            if not isinstance(data, bytes | bytearray):
                raise SimulationError(f"disks[{target!r}]: expected bytes or a bytearray")
            return MemBlock(target, data=data, read_write=rw)
        return FileBlock(os.path.join(data_dir, target), name=target, read_write=rw)

    async def _xl_create(self, guest: _Guest, data_dir: str) -> tuple[Domain, XsClient]:
        xs = self.dom0_xs
        assert xs is not None
        cfg = guest.xl
        self.toolstack.append(f"Parsing config from {guest.xl_name}")
        self._next_domid += 1
        domid = self._next_domid
        d, xpage = self._build(domid, cfg.name, cfg.memory, "guest")
        await self._write_domain_dir(d)
        await xs.introduce(domid, d.xenstore_frame, d.xenstore_port)
        for disk in cfg.disks:
            devid = vdev_number(disk.vdev)
            self._pending_storage[(domid, devid)] = self._storage(guest, data_dir, disk.target, disk.read_write)
            await self._add_device(
                domid,
                "vbd",
                devid,
                {
                    "params": disk.target,
                    "mode": "w" if disk.read_write else "r",
                    "type": "file",
                    "dev": disk.vdev,
                    "removable": "0",
                    "device-type": "disk",
                },
                {"virtual-device": str(devid), "device-type": "disk"},
            )
        for i, vif in enumerate(cfg.vifs):
            mac = vif.mac or "00:16:3e:" + ":".join(f"{self.rng.randrange(256):02x}" for _ in range(3))
            await self._add_device(
                domid,
                "vif",
                i,
                {
                    "mac": mac,
                    "bridge": vif.bridge,
                    "handle": str(i),
                    "script": "vif-bridge",
                },
                {"mac": mac, "handle": str(i)},
            )
        # the domain is built paused; it is unpaused once xenconsoled has its console (nothing printed is lost)
        await self._until(lambda: self.xenconsoled is not None and domid in self.xenconsoled.consoles)
        self.toolstack.append(f"domain {cfg.name} created: domid {domid}")
        return d, XsClient(self, domid, xpage, d.xenstore_port)

    async def _add_device(self, domid: int, kind: str, devid: int, back: dict[str, str], front: dict[str, str]) -> None:
        xs = self.dom0_xs
        assert xs is not None
        bpath, fpath = backend_path(0, kind, domid, devid), frontend_path(domid, kind, devid)

        async def body(tx: int) -> None:
            # the directories first, with their permissions, so that the keys inside inherit them
            await xs.mkdir(bpath, tx)
            await xs.set_perms(bpath, ["n0", f"r{domid}"], tx)
            await xs.mkdir(fpath, tx)
            await xs.set_perms(fpath, [f"n{domid}", "r0"], tx)
            state = str(int(XenbusState.Initialising))
            for k, v in {"frontend": fpath, "frontend-id": str(domid), "online": "1", "state": state, **back}.items():
                await xs.write(f"{bpath}/{k}", v, tx)
            for k, v in {"backend": bpath, "backend-id": "0", "state": state, **front}.items():
                await xs.write(f"{fpath}/{k}", v, tx)

        await xs.transaction(body)
        self.trace(0, "xenbus", f"toolstack {bpath} and {fpath} -> Initialising")

    async def _scan_backends(self) -> None:
        """Domain 0's hotplug: start a backend driver for each new device directory."""
        xs = self.dom0_xs
        assert xs is not None
        from mirage_nb.sim.xen.xenstore import XsError

        for kind in ("vbd", "vif"):
            try:
                doms = await xs.directory(f"/local/domain/0/backend/{kind}")
            except XsError:
                continue
            for dom in doms:
                try:
                    devs = await xs.directory(f"/local/domain/0/backend/{kind}/{dom}")
                except XsError:
                    continue
                for dev in devs:
                    path = backend_path(0, kind, int(dom), int(dev))
                    if path in self.backends:
                        continue
                    if kind == "vbd":
                        storage = self._pending_storage.pop((int(dom), int(dev)), None)
                        if storage is None:
                            continue
                        be: Any = Blkback(self, xs, path, storage)
                    else:
                        from mirage_nb.sim.xen.net import Netback

                        be = Netback(self, xs, path)
                    self.backends[path] = be
                    async_(be.run)

    # -- running ---------------------------------------------------------------------------------

    def run_guest(
        self,
        *,
        seed: int = 0,
        until: int | float | str | None = None,
        on_lan: Callable[[str, Any], None] | None = None,
        pcap: bool = False,
    ) -> XenRunResult:
        """Boot the services, create the queued domain and run its unikernel; what happened.

        ``on_lan(bridge, lan)`` is called for each bridge a ``vif`` line names,
        before anything boots, to put scripted peers on it; ``pcap`` records
        each bridge's frames (``result.captures``).
        """
        from mirage_nb.sim.cli import configured_unikernel, nodes_of_graph
        from mirage_nb.sim.netdev.kinds import NET_CONNECTORS

        if not self.guests:
            raise SimulationError("nothing to run: create a domain first (host.create(xl_text, app))")
        if self._running or self.events:
            raise SimulationError("a XenHost runs once; make a new XenHost for another run")
        guest = self.guests[0]
        configured, unikernel, where = configured_unikernel(
            guest.app, "xen", unikernel=guest.unikernel, data_dir=guest.data_dir, **guest.keys
        )
        if isinstance(unikernel, str | os.PathLike):
            unikernel = load_unikernel(unikernel)
        data_dir = where or os.getcwd()
        nodes = nodes_of_graph(configured)
        name = guest.xl.name
        run = _DomainRun(seed=seed, argv=guest.argv, name=name, until=until, tz_offset_s=None)
        self.run = run
        self.rng = random.Random(f"{seed}:xen")
        self._pending_storage: dict[tuple[int, int], Any] = {}
        state: dict[str, Any] = {}

        async def connect_block(booter: BootContext, node: DeviceNode) -> tuple[Any, Any]:
            from mirage_nb.sim.block import BlockModule

            d, xs = state["domain"], state["xs"]
            file = str(node.params.get("file", ""))
            disk = next((k for k in guest.xl.disks if k.target == file), None)
            if disk is None:
                raise SimulationError(
                    f"block device {node.id} reads {file!r}, but {guest.xl_name} has no disk with target={file} "
                    f"(its disks: {', '.join(k.target for k in guest.xl.disks) or 'none'})"
                )
            path = frontend_path(d.domid, "vbd", vdev_number(disk.vdev))
            front = await Blkfront.connect(self, xs, path, file)
            self.frontends[path] = front
            return front, BlockModule(node.module_name)

        async def connect_netif(booter: BootContext, node: DeviceNode) -> tuple[Any, Any]:
            from mirage_nb.sim.netdev._module import DeviceModule
            from mirage_nb.sim.xen.net import Netfront

            d, xs = state["domain"], state["xs"]
            n = sum(1 for p in self.frontends if "/device/vif/" in p)
            if n >= len(guest.xl.vifs):
                raise SimulationError(f"network device {node.id}: {guest.xl_name} has only {len(guest.xl.vifs)} vif")
            path = frontend_path(d.domid, "vif", n)
            front = await Netfront.connect(self, xs, path)
            self.frontends[path] = front
            booter.modules[node.id] = DeviceModule(node.module_name)
            return front, booter.modules[node.id]

        connectors = {**NET_CONNECTORS, "block": connect_block, "netif": connect_netif}
        booter = BootContext(nodes, unikernel, run, data_dir, connectors)

        self._on_lan, self._pcap = on_lan, pcap

        async def main() -> None:
            self._running = True
            for vif in guest.xl.vifs:
                self.lan(vif.bridge)
            await self._start_services()
            d, xs = await self._xl_create(guest, data_dir)
            state["domain"], state["xs"] = d, xs
            run.sink = self.consoles[d.domid].write
            await booter.main()
            await self._shutdown(d)

        self.on_run(run)
        result = run.run(main)
        self._running = False
        self._final_drain()
        captures = {k: v.getvalue() for k, v in self._captures.items()}
        return XenRunResult(result, self, captures)

    def on_run(self, run: Run) -> None:
        """Called with the run before it starts (the network's LAN is made here)."""

    async def _shutdown(self, d: Domain) -> None:
        """The unikernel returned: close its devices, release it from xenstore, let xenconsoled let go."""
        xs = self.dom0_xs
        assert xs is not None
        for path, front in list(self.frontends.items()):
            if path.startswith(f"/local/domain/{d.domid}/"):
                await front.disconnect()
        front = self.consoles[d.domid]
        await self._until(lambda: not front.pending and not front.rout.available())  # console flushed at exit
        self.toolstack.append(f"domain {d.name} ({d.domid}) shut down")
        await xs.rm(f"/local/domain/{d.domid}")
        for kind in ("vbd", "vif"):
            if d.domid in self._backend_doms(kind):
                await xs.rm(f"/local/domain/0/backend/{kind}/{d.domid}")
        await xs.release(d.domid)
        await self.run.sleep_ns(1_000_000)  # let xenconsoled see @releaseDomain
        d.state = "shutdown"

    async def _until(self, ready: Callable[[], bool], step_ns: int = 10_000, limit_ns: int = 10_000_000_000) -> None:
        """Wait, in virtual time, until ``ready()``; a host that never gets there is a simulator bug."""
        waited = 0
        while not ready():
            if waited >= limit_ns:
                raise SimulationError("the Xen host is stuck: a service domain did not answer within 10 s")
            await self.run.sleep_ns(step_ns)
            waited += step_ns

    def _backend_doms(self, kind: str) -> set[int]:
        return {int(p.split("/")[6]) for p in self.backends if f"/backend/{kind}/" in p}

    def _final_drain(self) -> None:
        """After the run: xenconsoled reads what is left in every console ring (the domains are gone)."""
        con = self.xenconsoled
        if con is None:
            return
        for _ in range(64):
            left = False
            for domid, front in self.consoles.items():
                con.drain(domid)
                front.flush()
                left = left or bool(front.pending) or front.rout.available() > 0
            if not left:
                break

    # -- looking at it ---------------------------------------------------------------------------------

    def xenstore_ls(self, path: str = "/local/domain") -> str:
        """The xenstore tree below ``path`` (``xenstore-ls -p``)."""
        if self.xenstore is None:
            raise SimulationError("the host has not run yet: there is no xenstore")
        return self.xenstore.xenstored.ls(path)

    def xenstore_trace(self, domid: int | None = None) -> list[tuple[int, str, str]]:
        """Every request xenstored answered (of ``domid`` only, if given): ``(domid, request, reply)``."""
        if self.xenstore is None:
            return []
        return [t for t in self.xenstore.xenstored.trace if domid is None or t[0] == domid]

    def xs(self, domid: int, op: str, *args: str, tx: int = 0) -> str:
        """One request to xenstored as domain ``domid`` (``xs(0, "write", "/a", "1")``): the reply as text.

        ``op`` is a message name without ``XS_`` (``read``, ``write``,
        ``directory``, ``transaction_start``...); the reply is the value read,
        the strings returned separated by spaces, or the error (``EAGAIN``).
        """
        from mirage_nb.sim.xen.xs_wire import Message, Op, strings

        if self.xenstore is None:
            raise SimulationError("the host has not run yet: there is no xenstore")
        try:
            code = Op[op.upper().removeprefix("XS_")]
        except KeyError:
            raise SimulationError(f"no xenstore operation {op!r}; e.g. read, write, directory, rm") from None
        payload = args[0].encode() + b"\0" + args[1].encode() if code == Op.WRITE and len(args) == 2 else strings(*args)
        xsd = self.xenstore.xenstored
        reply = xsd.handle(domid, Message(code, 0, tx, payload))
        xsd.connections[domid].outbox.remove(reply)
        if code == Op.READ and reply.op != Op.ERROR:
            return reply.payload.decode("utf-8", "replace")
        return " ".join(reply.strings)

    def xl_list(self) -> str:
        """The domains as ``xl list`` shows them."""
        lines = [f"{'Name':<40}{'ID':>5}{'Mem':>6} {'VCPUs':>5}\t{'State':<6}\tTime(s)"]
        for d in sorted(self.hv.domains.values(), key=lambda d: d.domid):
            st = {"running": "-b----", "shutdown": "---s--", "destroyed": "----d-"}[d.state]
            if d.domid == 0:
                st = "r-----"
            lines.append(f"{d.name:<40}{d.domid:>5}{d.memory_mib:>6} {1:>5}\t{st:<6}\t{self.run.now / 1e9:.1f}")
        return "\n".join(lines)

    def console_log(self, name: str) -> str:
        """What xenconsoled wrote for the domain ``name`` (``guest-<name>.log`` in the log directory)."""
        path = os.path.join(self.log_dir, f"guest-{name}.log")
        if not os.path.isfile(path):
            raise SimulationError(f"no console log for {name!r} in {self.log_dir}")
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()


@dataclass
class XenRunResult:
    """A host's run: the guest's :class:`~mirage_nb.sim.run.RunResult` and the host to look into."""

    run: RunResult
    host: XenHost
    captures: dict[str, bytes] = field(default_factory=dict)
    """Each bridge's frames as pcap bytes (``run_guest(pcap=True)``)."""

    @property
    def console_logs(self) -> dict[str, str]:
        """Every log file xenconsoled wrote, by domain name."""
        out = {}
        for f in sorted(os.listdir(self.host.log_dir)):
            if f.startswith("guest-") and f.endswith(".log"):
                out[f[6:-4]] = self.host.console_log(f[6:-4])
        return out

    def __str__(self) -> str:
        return str(self.run)
