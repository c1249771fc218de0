"""A booted simulated unikernel on the Linux network: its run's virtual LAN joined to a TAP device.

:class:`LinuxBridge` adds one port to a run's :class:`~.lan.VirtualLan`
and carries its frames through a :class:`~mirage_nb.sim.net.tap.TapBridge`:
a non-persistent TAP device inside a network namespace the bridge creates
(and deletes on close), with ``address`` on the kernel side. Real tools run
in that namespace (``bridge.exec("ping", "-c", "2", "10.0.0.2")``), so no
traffic leaves it and nothing is configured in the root namespace.

Time. While bridged, the run's clock follows real time: the Linux kernel
runs its own timers (ARP, TCP retransmission, delayed ACKs) on the wall
clock, so the unikernel's must too. A *pacer* task inside the run blocks the
run's loop until real time has caught up with the virtual clock, reading
frames from the TAP meanwhile; a frame from Linux enters the LAN at the
current virtual time and the run handles it at once. Virtual time runs at
most one ``tick`` (1 ms) ahead of real time, and jumps forward when the run
falls behind. A bridged run is therefore *not* reproducible: log timestamps
and TCP sequence numbers chosen by Linux vary from run to run. Everything
else in the simulator keeps its pure virtual clock.

Driving. :meth:`LinuxBridge.drive` runs the unikernel in the calling thread
(as ``Run.run`` always does) and the Linux side — a function of the bridge
that runs commands in the namespace — in a helper thread. When that function
returns, the run stops (its result says ``until``, with a note); when the
run stops first, the function is left to finish its commands, which all
have timeouts. While the run is driven, ``print`` in *any* thread writes to
the unikernel's console (``Run.run`` redirects ``sys.stdout``): the Linux
side should return what it learnt rather than print it.

Needs root (CAP_NET_ADMIN), ``/dev/net/tun`` and iproute2;
:func:`bridge_available` says why not otherwise.
"""

from __future__ import annotations

import itertools
import os
import select
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.net.tap import TapBridge, tap_available
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.run import Run, RunResult, Stopped, TimelineEvent

__all__ = [
    "LinuxBridge",
    "BridgedResult",
    "bridge_available",
    "run_bridged_example",
    "run_bridged_unikernel",
    "DEFAULT_TICK_NS",
]

T = TypeVar("T")

DEFAULT_TICK_NS = 1_000_000
"""How far (ns) the virtual clock may run ahead of real time while bridged."""

_MAX_BATCH = 64  # frames read from the TAP before the run gets to handle them
_counter = itertools.count()


def bridge_available() -> str | None:
    """``None`` if a Linux bridge can be opened here, else the reason it cannot (for a clear skip)."""
    return tap_available()


class _BridgeClosed(BaseException):
    """Raised by the pacer to end the run when the Linux side is done (unwinds the run's loop)."""


@dataclass(frozen=True)
class BridgedResult(Generic[T]):
    """What a bridged run produced: the unikernel's :class:`RunResult` and what the Linux side returned."""

    run: RunResult
    linux: T
    frames_from_linux: int
    frames_to_linux: int


class LinuxBridge:
    """One LAN port of a run, carried to a Linux network namespace through a TAP device.

    ``address`` is the kernel side's address (a prefix, ``10.0.0.1/24`` by
    default: the unikernel examples use 10.0.0.2/24); ``port_name`` names the
    LAN port (``linux``); ``profile`` is its link; ``tick_ns`` bounds how far
    virtual time runs ahead of real time. Use :meth:`attach` before the run
    starts (e.g. as ``run_network_example``'s ``setup``), then :meth:`drive`.
    """

    def __init__(
        self,
        *,
        address: str = "10.0.0.1/24",
        namespace: str | None = None,
        device: str | None = None,
        port_name: str = "linux",
        profile: LinkProfile | None = None,
        tick_ns: int = DEFAULT_TICK_NS,
    ) -> None:
        if tick_ns <= 0:
            raise SimulationError(f"bridge tick {tick_ns} ns: expected a positive number of nanoseconds")
        n = next(_counter)
        self.tap = TapBridge(
            namespace=namespace or f"mnbbr{os.getpid()}-{n}",
            device=device or f"mnbb{os.getpid() % 100000}x{n}"[:15],
            address=address,
        )
        self.port_name = port_name
        self.profile = profile
        self.tick_ns = tick_ns
        self.lan: VirtualLan | None = None
        self.run: Run | None = None
        self.frames_from_linux = 0
        self.frames_to_linux = 0
        self._stop = threading.Event()
        self._opened = False
        self._procs: list[subprocess.Popen[str]] = []

    @property
    def namespace(self) -> str:
        """The network namespace the Linux side lives in."""
        return self.tap.namespace

    @property
    def device(self) -> str:
        """The TAP device's name inside the namespace."""
        return self.tap.device

    # --- life cycle ---------------------------------------------------------

    def attach(self, lan: VirtualLan) -> LinuxBridge:
        """Open the TAP and the namespace, plug a port into ``lan`` and start the pacer in its run."""
        if self.lan is not None:
            raise SimulationError(f"this Linux bridge is already attached to a LAN (port {self.port_name!r})")
        self.tap.open()
        self._opened = True
        self.lan = lan
        self.run = lan.run
        self.port = lan.attach(self.port_name, self._to_linux, self.profile, owner=self)
        lan.run.spawn(self._pace(), "linux-bridge")
        return self

    def close(self) -> None:
        """Stop the pacer, end the namespace's processes this bridge started, remove the device and namespace."""
        self._stop.set()
        for p in self._procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        self._procs.clear()
        if self._opened:
            self.tap.close()
            self._opened = False

    def __enter__(self) -> LinuxBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the Linux side -------------------------------------------------------

    def exec(self, *cmd: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` in the namespace and wait for it (output captured as text)."""
        return self.tap.exec(*cmd, timeout=timeout)

    def popen(self, *cmd: str, **kwargs: Any) -> subprocess.Popen[str]:
        """Start ``cmd`` in the namespace without waiting (stdin, stdout, stderr piped); killed on close."""
        kwargs.setdefault("stdin", subprocess.PIPE)
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("text", True)
        p: subprocess.Popen[str] = subprocess.Popen(["ip", "netns", "exec", self.namespace, *cmd], **kwargs)
        self._procs.append(p)
        return p

    def wait_for(self, pred: Callable[[], bool], timeout: float = 20.0) -> bool:
        """Wait (real time, on the Linux side) until ``pred()`` holds; False on timeout or once the run ended."""
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end or self._stop.is_set():
                return pred()
            time.sleep(0.01)
        return True

    def wait_for_console(self, text: str, timeout: float = 20.0) -> bool:
        """Wait until a line of the unikernel's console contains ``text`` (e.g. ``stack assembled``)."""
        run = self.run
        if run is None:
            raise SimulationError("the Linux bridge is not attached to a run yet")
        return self.wait_for(lambda: any(text in c.text for c in list(run.console)), timeout)

    # --- the run's side -------------------------------------------------------

    def _to_linux(self, frame: bytes) -> None:
        if self._opened and not self._stop.is_set():
            try:
                self.tap.write(frame)
            except OSError:
                return  # the device is going away (bridge closing): the frame is lost, as on a cable pulled out
            self.frames_to_linux += 1

    def _read_until(self, due: int) -> list[bytes]:
        """Frames from Linux: whatever is waiting, else the first to come before real time ``due``."""
        fd = self.tap.fd
        assert fd is not None
        got: list[bytes] = []
        wait = max(0.0, (due - time.monotonic_ns()) / 1e9)
        while len(got) < _MAX_BATCH:
            ready, _, _ = select.select([fd], [], [], 0.0 if got else wait)
            if not ready:
                break
            got.append(os.read(fd, 65536))
        return got

    async def _pace(self) -> None:
        run = self.run
        assert run is not None
        await run.pause()  # the first step runs at spawn time; the clock starts when the run does
        t0 = time.monotonic_ns() - run.now
        while True:
            if self._stop.is_set():
                raise _BridgeClosed()
            due = t0 + run.now
            frames = self._read_until(due)
            if frames:
                for f in frames:
                    self.frames_from_linux += 1
                    self.port.send(f)
                await run.pause()  # let the run handle them at this virtual instant
                continue
            behind = time.monotonic_ns() - due
            await run.sleep_ns(max(self.tick_ns, behind))

    def drive(
        self, start: Callable[[], RunResult], linux: Callable[[LinuxBridge], T], *, linux_timeout: float = 120.0
    ) -> BridgedResult[T]:
        """Run the unikernel (``start()``, which must attach this bridge) here and ``linux(bridge)`` beside it.

        The run ends when ``linux`` returns (or the run's own ``until`` comes).
        An exception raised by ``linux`` is raised here after cleaning up.
        """
        box: dict[str, Any] = {}

        def side() -> None:
            try:
                if not self.wait_for(lambda: self.run is not None, timeout=linux_timeout):
                    raise SimulationError("the unikernel's run never attached the Linux bridge")
                box["value"] = linux(self)
            except BaseException as e:
                box["error"] = e
            finally:
                self._stop.set()

        worker = threading.Thread(target=side, name=f"linux-side-{self.namespace}", daemon=True)
        worker.start()
        try:
            try:
                result = start()
            except _BridgeClosed:
                result = _closed_result(self.run)
            self._stop.set()  # the run is over: waits on the Linux side end now
            if self.run is None:
                raise SimulationError("the run finished without attaching the Linux bridge (no setup call?)")
            worker.join(timeout=linux_timeout)
        finally:
            self.close()
            worker.join(timeout=10)
        if "error" in box:
            raise box["error"]
        if "value" not in box:
            raise SimulationError(f"the Linux side did not finish within {linux_timeout} s")
        return BridgedResult(result, box["value"], self.frames_from_linux, self.frames_to_linux)


def _closed_result(run: Run | None) -> RunResult:
    """The result of a run stopped because the Linux side finished (the run's loop was unwound)."""
    if run is None:  # pragma: no cover - the pacer only exists in an attached run
        raise SimulationError("the Linux bridge closed before its run started")
    flush = getattr(run, "_flush_partial", None)
    if flush is not None:
        flush()
    note = "stopped when the Linux side of the bridge finished"
    return RunResult(
        console=tuple(run.console),
        logs=tuple(run.logs),
        exit_code=None,
        end_ns=run.now,
        timeline=tuple(run.timeline) + (TimelineEvent(run.now, "end", note),),
        stopped=Stopped.UNTIL,
        note=note,
        events=run.events,
        seed=run.seed,
    )


def run_bridged_example(
    name: str,
    linux: Callable[[LinuxBridge], T],
    *,
    argv: Iterable[str] = (),
    seed: int = 0,
    until: int | float | str | None = "120s",
    address: str = "10.0.0.1/24",
    pcap: Any = None,
    setup: Callable[[VirtualLan], Any] | None = None,
    **keys: Any,
) -> BridgedResult[T]:
    """Boot the bundled ``network`` or ``ping6`` example bridged to Linux, and run ``linux(bridge)`` beside it.

    ``keys`` are the example's configure-time keys, as in
    :func:`~.kinds.run_network_example` (``net="direct", no_dhcp=True`` gives
    the static 10.0.0.2/24 stack);
    ``until`` bounds the run in (real) time; ``setup(lan)`` may attach more
    peers. Example::

        r = run_bridged_example("network", lambda br: br.exec("ping", "-c", "2", "10.0.0.2"),
                                net="direct", no_dhcp=True)
    """
    from mirage_nb.sim.netdev.kinds import run_network_example

    bridge = LinuxBridge(address=address)

    def attach(lan: VirtualLan) -> None:
        if setup is not None:
            setup(lan)
        bridge.attach(lan)

    return bridge.drive(
        lambda: run_network_example(name, argv=argv, seed=seed, until=until, setup=attach, pcap=pcap, **keys),
        linux,
    )


def run_bridged_unikernel(
    nodes: Iterable[Any],
    unikernel: Any,
    linux: Callable[[LinuxBridge], T],
    *,
    argv: Iterable[str] = (),
    seed: int = 0,
    until: int | float | str | None = "120s",
    address: str = "10.0.0.1/24",
    pcap: Any = None,
    connectors: Mapping[str, Any] | None = None,
) -> BridgedResult[T]:
    """Boot ``unikernel`` (a module, a mapping or a path) from ``nodes`` bridged to Linux; ``linux(bridge)`` beside it.

    ``nodes`` come from the engine (:func:`mirage_nb.sim.cli.nodes_of_graph`); network kinds are connected
    with :data:`~.kinds.NET_CONNECTORS` unless ``connectors`` says otherwise.
    """
    from mirage_nb.sim.boot import boot
    from mirage_nb.sim.netdev.kinds import NET_CONNECTORS

    nodes = list(nodes)
    names = [n.params.get("name") for n in nodes if n.kind == "argv"]
    run = Run(seed=seed, argv=argv, name=names[0] if names and names[0] else "unikernel", until=until)
    lan = VirtualLan.of_run(run, pcap=pcap) if pcap is not None else VirtualLan.of_run(run)
    bridge = LinuxBridge(address=address)
    conns = dict(NET_CONNECTORS if connectors is None else connectors)

    def start() -> RunResult:
        bridge.attach(lan)
        return boot(nodes, unikernel, run=run, connectors=conns)

    return bridge.drive(start, linux)
