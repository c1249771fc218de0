"""A TAP bridge: one simulated endpoint on a Linux network namespace's link (research/netstack.md §3).

The bridge opens a non-persistent TAP device (``/dev/net/tun`` with
``IFF_TAP | IFF_NO_PI``: whole Ethernet frames, no packet-information
header), creates a network namespace, moves the device into it, gives it
an address there and brings it up. Real tools then talk to the simulated
endpoint from inside the namespace (``bridge.exec("ping", "-c1", ip)``).
Closing the file descriptor removes the device; :meth:`TapBridge.close`
also deletes the namespace. Nothing is configured in the root namespace.

Checksum offload: the kernel hands a TAP device complete UDP/TCP checksums
unless offloads are negotiated with ``TUNSETOFFLOAD``, which this bridge
never does; as a second guard ``ethtool -K <dev> tx off`` is run when ethtool
is installed (on veth pairs, by contrast, the kernel leaves checksums partial
and a validating stack drops those frames). IPv6 is disabled on the kernel
side so router/listener solicitations do not flood the simulated link.

While bridged, the simulation follows real time: :func:`run_bridged` slaves
the virtual clock to ``time.monotonic_ns``, since the kernel peer runs its
own timers (ARP, TCP retransmission) in real time. This is the effectful
shell; the endpoint stays sans-IO. Needs root (CAP_NET_ADMIN).
"""

from __future__ import annotations

import fcntl
import os
import queue
import select
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net._base import Ns, Step

__all__ = ["TapBridge", "run_bridged", "tap_available"]

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


IN_BROWSER = (
    "this Python runs in a web browser (Pyodide, WebAssembly): it has no Linux kernel, so no TAP device "
    "and no network namespace to bridge to; run this notebook on Linux as root (bash scripts/setup.sh --lab) "
    "for the bridged cells, the simulated ones run here"
)
"""Why no bridge opens under Pyodide (JupyterLite, the gallery's in-browser pages)."""


def tap_available() -> str | None:
    """``None`` if a bridge can be opened here, else the reason it cannot."""
    if sys.platform == "emscripten":
        return IN_BROWSER
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (CAP_NET_ADMIN) to create a TAP device and a network namespace"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun on this machine"
    if shutil.which("ip") is None:
        return "the ip tool (iproute2) is not installed"
    return None


class TapBridge:
    """A TAP device inside a fresh network namespace, with ``address`` on the kernel side."""

    def __init__(self, namespace: str | None = None, device: str = "mnbtap0", address: str = "10.77.0.1/24") -> None:
        if len(device) > 15:
            raise SimulationError(f"TAP device name {device!r}: expected at most 15 characters")
        self.namespace = namespace or f"mnb{os.getpid()}"
        self.device = device
        self.address = address
        self.fd: int | None = None

    def _ip(self, *args: str) -> None:
        r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise SimulationError(f"TAP bridge: `ip {' '.join(args)}` failed: {r.stderr.strip()}")

    def exec(self, *cmd: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace (e.g. ``ping``), capturing its output."""
        return subprocess.run(
            ["ip", "netns", "exec", self.namespace, *cmd], capture_output=True, text=True, timeout=timeout
        )

    def open(self) -> TapBridge:
        """Create the device and the namespace, and configure the kernel side."""
        why = tap_available()
        if why is not None:
            raise SimulationError(f"TAP bridge: {why}")
        fd = os.open("/dev/net/tun", os.O_RDWR)
        try:
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", self.device.encode(), IFF_TAP | IFF_NO_PI))
            self._ip("netns", "add", self.namespace)
            self.fd = fd
            self._ip("link", "set", self.device, "netns", self.namespace)
            self.exec("sysctl", "-qw", f"net.ipv6.conf.{self.device}.disable_ipv6=1")
            if shutil.which("ethtool"):
                self.exec("ethtool", "-K", self.device, "tx", "off")
            self._ip("-n", self.namespace, "addr", "add", self.address, "dev", self.device)
            self._ip("-n", self.namespace, "link", "set", self.device, "up")
        except BaseException:
            self.fd = fd
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the device (it vanishes) and delete the namespace."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, timeout=30)

    def __enter__(self) -> TapBridge:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, timeout: float) -> bytes | None:
        """One frame from the kernel, or ``None`` if none came within ``timeout`` seconds."""
        if self.fd is None:
            raise SimulationError("TAP bridge is not open")
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return None
        return os.read(self.fd, 65536)

    def write(self, frame: bytes) -> None:
        """Inject one frame towards the kernel."""
        if self.fd is None:
            raise SimulationError("TAP bridge is not open")
        os.write(self.fd, frame)


def run_bridged(
    endpoint: Any,
    bridge: TapBridge,
    stop: threading.Event,
    *,
    clock: Callable[[], int] = time.monotonic_ns,
    on_step: Callable[[Ns, Step], None] | None = None,
    calls: queue.Queue[Callable[[Ns], Step]] | None = None,
) -> None:
    """Drive ``endpoint`` (``start``/``receive``/``timer``) on ``bridge`` in real time until ``stop`` is set.

    Virtual time is real time since the call began, in nanoseconds. Other
    threads act on the endpoint only through ``calls``: each queued function
    is run on the loop's thread as ``fn(now)`` and its step carried out (the
    endpoint is not thread-safe; this keeps it single-threaded).
    """
    t0 = clock()

    def now() -> Ns:
        return clock() - t0

    def emit(t: Ns, step: Step) -> Ns | None:
        for f in step.frames:
            bridge.write(f)
        if on_step is not None:
            on_step(t, step)
        return step.deadline

    def sooner(a: Ns | None, b: Ns | None) -> Ns | None:
        return b if a is None or (b is not None and b < a) else a

    deadline = emit(0, endpoint.start(0))
    while not stop.is_set():
        while calls is not None and not calls.empty():
            t = now()
            deadline = sooner(deadline, emit(t, calls.get_nowait()(t)))
        t = now()
        if deadline is not None and deadline <= t:
            deadline = emit(t, endpoint.timer(t))
            continue
        wait = 0.05 if deadline is None else min(0.05, (deadline - t) / 1e9)
        frame = bridge.read(wait)
        if frame is not None:
            t = now()
            deadline = sooner(deadline, emit(t, endpoint.receive(t, frame)))
