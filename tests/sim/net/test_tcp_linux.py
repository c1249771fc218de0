"""Our TCP against the Linux kernel's, through a TAP device in a network namespace.

The kernel is the most demanding peer there is: its SYN carries MSS, SACK,
timestamps and window scale, it delays ACKs, and it checks every checksum.
Ethernet, ARP and IPv4 are hand-rolled here in a few lines (the project's own
codecs live elsewhere); the clock follows real time only because the kernel
does, and no assertion depends on time. Needs root and /dev/net/tun.
"""

from __future__ import annotations

import fcntl
import os
import random
import select
import struct
import subprocess
import sys
import time

import pytest

from mirage_nb.sim.net.checksum import internet_checksum
from mirage_nb.sim.net.tcp import (
    Connected,
    DataReceived,
    PeerClosed,
    TcpEndpoint,
    TcpState,
)

pytestmark = pytest.mark.root

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
OUR_MAC = bytes.fromhex("020000000002")
OUR_IP = bytes([10, 79, 0, 2])
KERNEL_IP = "10.79.0.1"
ECHO_PORT = 7


def _sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


@pytest.fixture
def tap():
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        pytest.skip("needs root and /dev/net/tun")
    ns = f"mnbtcp{os.getpid()}"
    dev = f"mnbt{os.getpid() % 100000}"
    try:
        _sh("ip", "netns", "add", ns)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        pytest.skip(f"cannot create a network namespace: {e}")
    fd = -1
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TAP | IFF_NO_PI))
        _sh("ip", "link", "set", dev, "netns", ns)
        _sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1")
        _sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{KERNEL_IP}/24", "dev", dev)
        _sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
        yield fd, ns
    finally:
        if fd >= 0:
            os.close(fd)  # the non-persistent TAP device goes with its descriptor
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class Bridge:
    """Just enough Ethernet/ARP/IPv4 to carry our endpoint's segments to the kernel and back."""

    def __init__(self, fd: int, endpoint: TcpEndpoint) -> None:
        self.fd = fd
        self.ep = endpoint
        self.t0 = time.monotonic_ns()
        self.peer_mac = b"\xff" * 6
        self.ip_id = 0
        self.on_event = None

    def now(self) -> int:
        return time.monotonic_ns() - self.t0

    def apply(self, step) -> None:
        for pkt in step.packets:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            head = struct.pack(
                "!BBHHHBBH4s4s", 0x45, 0, 20 + len(pkt.data), self.ip_id, 0x4000, 64, 6, 0, pkt.src, pkt.dst
            )
            head = head[:10] + struct.pack("!H", internet_checksum(head)) + head[12:]
            os.write(self.fd, self.peer_mac + OUR_MAC + b"\x08\x00" + head + pkt.data)
        for fe in step.events:
            if self.on_event is not None:
                self.on_event(self, fe)

    def frame(self, f: bytes) -> None:
        if len(f) < 14:
            return
        etype = f[12:14]
        if etype == b"\x08\x06" and len(f) >= 42 and f[20:22] == b"\x00\x01" and f[38:42] == OUR_IP:
            self.peer_mac = f[22:28]
            reply = b"\x00\x01\x08\x00\x06\x04\x00\x02" + OUR_MAC + OUR_IP + f[22:28] + f[28:32]
            os.write(self.fd, f[6:12] + OUR_MAC + b"\x08\x06" + reply)
        elif etype == b"\x08\x06" and len(f) >= 42 and f[20:22] == b"\x00\x02" and f[38:42] == OUR_IP:
            self.peer_mac = f[22:28]  # the answer to our own request (resolve)
        elif etype == b"\x08\x00" and len(f) >= 34 and f[23] == 6 and f[30:34] == OUR_IP:
            self.peer_mac = f[6:12]
            ihl = (f[14] & 0x0F) * 4
            total = struct.unpack("!H", f[16:18])[0]
            self.apply(self.ep.receive(self.now(), f[26:30], f[30:34], f[14 + ihl : 14 + total]))

    def resolve(self, ip: bytes) -> None:
        """ARP for the kernel's MAC before talking first (it drops TCP sent to the broadcast MAC)."""
        request = b"\x00\x01\x08\x00\x06\x04\x00\x01" + OUR_MAC + OUR_IP + b"\x00" * 6 + ip
        os.write(self.fd, b"\xff" * 6 + OUR_MAC + b"\x08\x06" + request)
        self.run(lambda: self.peer_mac != b"\xff" * 6, timeout_s=5.0)

    def run(self, done, timeout_s: float = 30.0) -> None:
        stop = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > stop:
                raise AssertionError("the exchange with the kernel did not finish")
            d = self.ep.deadline
            wait = 0.05 if d is None else max(0.0, min(0.05, (d - self.now()) / 1e9))
            r, _, _ = select.select([self.fd], [], [], wait)
            if r:
                try:
                    while True:
                        self.frame(os.read(self.fd, 65536))
                except BlockingIOError:
                    pass
            d = self.ep.deadline
            if d is not None and d <= self.now():
                self.apply(self.ep.timer(self.now()))


KERNEL_CLIENT = r"""
import socket, sys
data = bytes((i * 31 + 7) & 0xFF for i in range(int(sys.argv[1])))
s = socket.create_connection(("10.79.0.2", 7), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
s.close()
sys.exit(0 if bytes(got) == data else 3)
"""


def test_linux_client_gets_its_bytes_echoed_by_our_tcp(tap):
    fd, ns = tap
    ep = TcpEndpoint(random.Random(1))
    ep.listen(ECHO_PORT)
    bridge = Bridge(fd, ep)
    seen = []

    def echo(b: Bridge, fe) -> None:
        ev = fe.event
        seen.append(type(ev).__name__)
        if isinstance(ev, DataReceived):
            b.apply(b.ep.send(b.now(), fe.flow, ev.data))
        elif isinstance(ev, PeerClosed):
            b.apply(b.ep.close(b.now(), fe.flow))

    bridge.on_event = echo
    size = 300_000
    proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", KERNEL_CLIENT, str(size)])
    try:
        bridge.run(lambda: proc.poll() is not None and "Closed" in seen)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0  # the kernel got back exactly what it sent
    assert seen[0] == "Connected" and "PeerClosed" in seen and seen[-1] == "Closed"
    assert not ep.connections and ep.malformed == 0


KERNEL_SERVER = r"""
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.79.0.1", 8080))
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
got = bytearray()
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    got += chunk
c.sendall(b"%d" % len(got))
c.close()
"""


def test_our_tcp_connects_to_a_linux_server(tap):
    fd, ns = tap
    ep = TcpEndpoint(random.Random(2))
    bridge = Bridge(fd, ep)
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", KERNEL_SERVER], stdout=subprocess.PIPE, text=True
    )
    reply = bytearray()
    state = {"closed": False}
    payload = bytes(range(256)) * 1000

    def client(b: Bridge, fe) -> None:
        ev = fe.event
        if isinstance(ev, Connected):
            b.apply(b.ep.send(b.now(), fe.flow, payload))
            b.apply(b.ep.shutdown(b.now(), fe.flow))
        elif isinstance(ev, DataReceived):
            reply.extend(ev.data)
        elif isinstance(ev, PeerClosed):
            b.apply(b.ep.close(b.now(), fe.flow))
            state["closed"] = True

    bridge.on_event = client
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        bridge.resolve(bytes([10, 79, 0, 1]))
        flow, step = ep.connect(bridge.now(), local_ip=OUR_IP, remote_ip=bytes([10, 79, 0, 1]), remote_port=8080)
        bridge.apply(step)
        # Done once we are in TIME-WAIT, or gone: a late duplicate FIN can make the kernel answer
        # our second ACK with RST, which ends TIME-WAIT early, as it would for Linux (RFC 1337 off).
        bridge.run(
            lambda: state["closed"] and (flow not in ep.connections or ep.connections[flow].state is TcpState.TIME_WAIT)
        )
    finally:
        proc.kill()
    assert bytes(reply) == str(len(payload)).encode()
