"""Real Linux tools talk to a simulated host through the TAP bridge (needs root and /dev/net/tun)."""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading

import pytest

from mirage_nb.sim.net.host import Host, PingReply
from mirage_nb.sim.net.tap import TapBridge, run_bridged, tap_available
from mirage_nb.sim.net.udp import UdpReceived

REASON = tap_available() or (None if shutil.which("ping") else "ping not installed (apt-get install iputils-ping)")

pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=REASON or "")]

SEND_UDP = (
    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "s.sendto(b'hello from linux', ('10.77.0.2', 7))"
)


def _wait_for(events: list, pred, stop: threading.Event) -> bool:
    for _ in range(100):
        if any(pred(e) for e in list(events)):
            return True
        stop.wait(0.05)
    return False


def test_linux_and_the_simulated_host_ping_each_other_and_udp_checksums_are_complete():
    host = Host(bytes.fromhex("020000000077"), "10.77.0.2/24", name="sim")
    host.listen_udp(7)
    events: list = []
    calls: queue.Queue = queue.Queue()
    stop = threading.Event()
    with TapBridge(device="mnbtap7", address="10.77.0.1/24") as bridge:
        worker = threading.Thread(
            target=run_bridged,
            args=(host, bridge, stop),
            kwargs={"on_step": lambda t, s: events.extend(s.events), "calls": calls},
        )
        worker.start()
        try:
            r = bridge.exec("ping", "-c", "2", "-W", "2", "10.77.0.2", timeout=20)
            assert r.returncode == 0 and "2 received" in r.stdout, r.stdout + r.stderr
            calls.put(lambda now: host.ping(now, "10.77.0.1", seq=5, data=b"from sim"))
            assert _wait_for(events, lambda e: isinstance(e, PingReply) and e.seq == 5, stop)
            # A kernel UDP datagram reaches the listener: its checksum arrived complete (no offload).
            r = bridge.exec(sys.executable, "-c", SEND_UDP)
            assert r.returncode == 0, r.stderr
            assert _wait_for(events, lambda e: isinstance(e, UdpReceived) and e.payload == b"hello from linux", stop)
        finally:
            stop.set()
            worker.join(timeout=10)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert bridge.namespace not in listed
