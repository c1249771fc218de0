"""The Mininet-style peer of ``scale.py``: N web servers and N HTTP clients in Linux network namespaces.

A Mininet host is a Linux network namespace joined to a switch by a veth pair;
"hundreds of hosts per machine" is what a networking course runs today. This
module builds that, on the same kernel pieces and without Mininet or Open
vSwitch: 2N named namespaces (``ip netns add``), one veth pair each, whose
outer ends are ports of Linux bridges (one switch for the LAN), with the
addresses the simulated run uses (servers ``10.x.0.y/8``, clients
``10.(100+x).0.y/8``). Each server namespace listens on port 80 and answers
``GET /`` with the bytes ``conduit_server`` sends (the same status line,
headers and 20-byte page); each client namespace opens a new TCP connection to
its server once per real second and fetches ``/``.

Design: one Python process drives every host from one asyncio event loop. A
socket belongs to the namespace its creator was in when it was made, so the
loop enters a namespace with ``setns(2)``, makes the socket, and goes back;
after that the socket works from anywhere. Mininet starts a shell per host (a
process per namespace) instead; 2,000 processes for N=1000 would not fit two
cores and would measure process scheduling more than networking. The kernel
side, which is what a Mininet host costs the machine, is the same.

Details the figures depend on:

- IPv6 is off on every veth and bridge (``addrgenmode none`` outside,
  ``disable_ipv6`` inside): otherwise each of the 2N hosts sends router
  solicitations, DAD and MLD reports that the bridge floods to all 2N ports,
  O(N^2) set-up traffic the simulated IPv4 run does not have.
- A Linux bridge takes at most 1024 ports, so beyond :data:`PORTS_PER_BRIDGE`
  hosts they go on leaf bridges under a root bridge, joined by veth pairs
  (one broadcast domain, like Mininet's tree topologies); a server and its
  client are on the same leaf. The bridges and the outer veth ends are in a
  switch namespace of their own, where bridged frames are not handed to
  netfilter (``bridge-nf-call-*`` 0: a switch runs no firewall).
- The veths receive on their own NAPI rings (GRO on, TSO off, see
  :func:`_napi`), not on the CPU's shared backlog of 1000 frames, which a
  broadcast flooded to 2,000 ports overflows (about 750 of every ARP
  request's copies were dropped at N=1000); ``--backlog`` leaves the default.
- Past 2N ~ 920 hosts, each client and its server get static ARP entries
  (Mininet's ``--arp``), see :func:`measure`: the kernel keeps one ARP table
  for all namespaces, limited to ``gc_thresh3`` (1024) entries by default,
  and at N=1000 the clients past the 512th could not resolve their server.
- Each client, like the simulated one (and a shell loop of ``curl``), has
  one fetch at a time; client i starts its fetches i/N into each second
  (``--together``: all at the same instant, as in the simulator).
- CPU is the process's user+sys (the kernel's network work runs mostly in the
  context of the process that sends) plus the ``ksoftirqd`` threads' time
  (what the kernel deferred); the machine-wide softirq delta from
  ``/proc/stat`` is reported alongside. Kernel memory is the delta of
  ``Slab + Percpu + KernelStack + VmallocUsed`` in ``/proc/meminfo``: it is
  machine-wide, so other work on the machine shows in it.
- Everything this module creates is in namespaces named with a fresh prefix
  (``mnp`` and four hex digits): the hosts' and the switch's, which holds the
  bridges and the outer veth ends, so the machine's own network gets no new
  link. They are removed in ``finally`` (also on Ctrl-C or SIGTERM).

Run ``python benchmarks/netns_peer.py --n 10 --seconds 60`` for one JSON row, or
``python benchmarks/scale.py --peer netns`` for the comparison with the
simulator. Needs root and ``ip`` (Debian: iproute2).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import errno
import fcntl
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11

#: What ``conduit_server`` answers (cohttp's ``respond_string`` with ``connection: close``
#: echoed for a closing request); tests/test_benchmarks_netns.py checks it against the simulator.
RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 20\r\nconnection: close\r\n\r\nhello mirage world!\n"
#: Hosts per bridge: a Linux bridge holds at most 1024 ports (BR_MAX_PORTS).
PORTS_PER_BRIDGE = 1000
NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
SIOCSIFADDR, SIOCSIFNETMASK, SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8916, 0x891C, 0x8913, 0x8914
IFF_UP = 0x1
SIOCGIFHWADDR, SIOCSARP, ATF_COM, ATF_PERM, ARPHRD_ETHER = 0x8927, 0x8955, 0x02, 0x04, 1
GC_THRESH3 = Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
SIOCETHTOOL, ETHTOOL_STSO, ETHTOOL_SGRO = 0x8946, 0x1F, 0x2C
KERNEL_MEMINFO = ("Slab", "Percpu", "KernelStack", "VmallocUsed")

_libc = ctypes.CDLL(None, use_errno=True)


class PeerUnavailable(RuntimeError):
    """This machine cannot run the peer (not root, no ``ip``, no network namespaces); the message says which."""


def unavailable() -> str | None:
    """Why the peer cannot run here, or None when it can (root, ``ip`` on PATH, ``setns`` in libc)."""
    if sys.platform != "linux":
        return f"the netns peer needs Linux network namespaces; this is {sys.platform}"
    if os.geteuid() != 0:
        return "the netns peer creates network namespaces, veths and a bridge: run it as root"
    if shutil.which("ip") is None:
        return "the netns peer needs the `ip` command (Debian package iproute2) on PATH"
    if not hasattr(_libc, "setns"):
        return "the netns peer needs setns(2) in the C library"
    if not Path("/proc/self/ns/net").exists():
        return "this kernel has no network namespaces (/proc/self/ns/net is missing)"
    return None


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace ``fd`` refers to."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def server_ip(i: int) -> str:
    """Server i's address, as in scale.py's simulated LAN."""
    return f"10.{i // 250}.0.{i % 250 + 2}"


def client_ip(i: int) -> str:
    return f"10.{100 + i // 250}.0.{i % 250 + 2}"


def _ip_batch(lines: list[str], *, netns: str | None = None, force: bool = False) -> None:
    """Run ``ip`` commands in one process (``ip -batch``), in ``netns`` if given: one fork for thousands of commands."""
    cmd = ["ip", *(["-n", netns] if netns else []), *(["-force"] if force else []), "-batch", "-"]
    r = subprocess.run(cmd, input="\n".join(lines) + "\n", capture_output=True, text=True)
    if r.returncode != 0 and not force:
        raise RuntimeError(f"ip -batch failed: {r.stderr.strip()[:500]}")


def _links_with(prefix: str, netns: str | None = None) -> list[str]:
    cmd = ["ip", *(["-n", netns] if netns else []), "-o", "link", "show"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    names = [line.split(":", 2)[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]
    return [n for n in names if n.startswith(prefix)]


def _netns_with(prefix: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def leftovers(prefix: str) -> list[str]:
    """Namespaces, and links of this namespace, whose names start with ``prefix`` (empty after a clean teardown)."""
    return _netns_with(prefix) + _links_with(prefix)


def _ifreq(name: str, payload: bytes = b"") -> bytes:
    return struct.pack("16s24s", name.encode(), payload)


def _ethtool(s: socket.socket, iface: str, cmd: int, value: int) -> None:
    arg = ctypes.create_string_buffer(struct.pack("II", cmd, value))
    fcntl.ioctl(s, SIOCETHTOOL, struct.pack("16sP16x", iface.encode(), ctypes.addressof(arg)))


def _napi(s: socket.socket, iface: str) -> None:
    """``ethtool -K iface gro on tso off``: what the veth sends then lands on its peer's own NAPI ring.

    Without it a veth hands each frame to the receiving CPU's shared backlog
    (``netdev_max_backlog`` frames, 1000 by default), which one ARP flood to
    2,000 ports overflows. The kernel takes the ring only when the receiver has
    GRO on and the sender does not offload TSO; the HTTP exchanges here are far
    smaller than a segment, so TSO off changes nothing else.
    """
    _ethtool(s, iface, ETHTOOL_STSO, 0)
    _ethtool(s, iface, ETHTOOL_SGRO, 1)


def _configure(iface: str, cidr: str | None, *, napi: bool) -> bytes:
    """In the current namespace: no IPv6 on ``iface``, its IPv4 address (``a.b.c.d/len``), lo and ``iface`` up.

    Returns the interface's MAC address.
    """
    with open(f"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6", "w") as f:
        f.write("1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if napi:
            _napi(s, iface)
        if cidr is not None:
            addr, plen = cidr.split("/")
            mask = (0xFFFFFFFF << (32 - int(plen))) & 0xFFFFFFFF
            sin = struct.pack("HH4s8x", socket.AF_INET, 0, socket.inet_aton(addr))
            fcntl.ioctl(s, SIOCSIFADDR, _ifreq(iface, sin))
            netmask = struct.pack("HH4s8x", socket.AF_INET, 0, mask.to_bytes(4, "big"))
            fcntl.ioctl(s, SIOCSIFNETMASK, _ifreq(iface, netmask))
        for name in ("lo", iface):
            flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, _ifreq(name)))[1]
            fcntl.ioctl(s, SIOCSIFFLAGS, _ifreq(name, struct.pack("H22x", flags | IFF_UP)))
        return struct.unpack("16sH6s16x", fcntl.ioctl(s, SIOCGIFHWADDR, _ifreq(iface)))[2]


def _static_arp(iface: str, ip: str, mac: bytes) -> None:
    """In the current namespace: a permanent ARP entry ``ip`` -> ``mac`` on ``iface`` (``arp -s``, Mininet --arp)."""
    pa = struct.pack("HH4s8x", socket.AF_INET, 0, socket.inet_aton(ip))
    ha = struct.pack("H6s8x", ARPHRD_ETHER, mac)
    req = pa + ha + struct.pack("i", ATF_COM | ATF_PERM) + bytes(16) + struct.pack("16s", iface.encode())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCSARP, req)


def arp_table_limit() -> int:
    """The kernel's limit on ARP entries (``gc_thresh3``): one table for all namespaces of the machine."""
    try:
        return int(GC_THRESH3.read_text())
    except (OSError, ValueError):
        return 1024


def _meminfo_kb() -> dict[str, int]:
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def _kernel_kb() -> int:
    m = _meminfo_kb()
    return sum(m.get(k, 0) for k in KERNEL_MEMINFO)


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _softirq_s() -> float:
    """Machine-wide irq + softirq seconds from /proc/stat (all CPUs)."""
    with open("/proc/stat") as f:
        v = f.readline().split()
    return (int(v[6]) + int(v[7])) / os.sysconf("SC_CLK_TCK")


def _ksoftirqd_s() -> float:
    """CPU seconds the ksoftirqd kernel threads have used (the network work the kernel deferred)."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if not (p / "comm").read_text().startswith("ksoftirqd/"):
                continue
            stat = (p / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _softnet_drops() -> int:
    """Packets the kernel dropped because a CPU's input backlog was full (/proc/net/softnet_stat, all CPUs)."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(line.split()[1], 16) for line in f)


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _sys_s() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


@dataclass
class _Hosts:
    """What set-up made: the prefix, the namespace fds of the clients, the listening sockets."""

    prefix: str
    n: int
    home: int
    clients: list[int] = field(default_factory=list)
    listeners: list[socket.socket] = field(default_factory=list)

    def close(self) -> None:
        for s in self.listeners:
            s.close()
        for fd in self.clients:
            os.close(fd)
        self.listeners.clear()
        self.clients.clear()


def _names(prefix: str, n: int) -> tuple[list[str], list[str]]:
    return [f"s{i}" for i in range(n)], [f"c{i}" for i in range(n)]


def _leaves(hosts: int) -> int:
    """How many bridges the hosts need (1: a single bridge; more: leaves under a root bridge)."""
    return max(1, (hosts + PORTS_PER_BRIDGE - 1) // PORTS_PER_BRIDGE)


def _enter(path: Path | str, home: int) -> int:
    """An fd on the namespace at ``path``, after moving into it (the caller goes back with ``setns(home)``)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        setns(fd)
    except OSError:
        os.close(fd)
        setns(home)
        raise
    return fd


def set_up(prefix: str, n: int, *, napi: bool = True, static_arp: bool = False) -> _Hosts:
    """The switch namespace with its bridges, 2N host namespaces on veths, addresses, and the servers' listeners.

    The bridges and the outer veth ends live in their own namespace,
    ``{prefix}-sw``, so nothing is added to the machine's own network and the
    switch does not hand bridged frames to the machine's netfilter
    (``bridge-nf-call-*`` are per namespace; they are 0 in the switch's, as an
    Ethernet switch does not run a firewall).
    """
    sw = f"{prefix}-sw"
    servers, clients = _names(prefix, n)
    hosts = [h for pair in zip(servers, clients, strict=True) for h in pair]  # a server and its client side by side
    leaves = _leaves(len(hosts))
    _ip_batch([f"netns add {sw}", *(f"netns add {prefix}-{h}" for h in hosts)])
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    out = _Hosts(prefix, n, home)
    try:
        fd = _enter(NETNS_DIR / sw, home)
        try:
            for table in ("arptables", "iptables", "ip6tables"):
                knob = Path(f"/proc/sys/net/bridge/bridge-nf-call-{table}")
                if knob.exists():
                    knob.write_text("0")
        finally:
            setns(home)
            os.close(fd)
        lines = []
        for b in range(leaves + (leaves > 1)):
            lines += [f"link add br{b} type bridge", f"link set br{b} addrgenmode none", f"link set br{b} up"]
            if b:
                lines += [f"link add up{b}a type veth peer name up{b}b"]
                lines += [f"link set up{b}a addrgenmode none", f"link set up{b}b addrgenmode none"]
                lines += [f"link set up{b}a master br0 up", f"link set up{b}b master br{b} up"]
        for k, h in enumerate(hosts):
            lines.append(f"link add {h} type veth peer name eth0 netns {prefix}-{h}")
            lines.append(f"link set {h} addrgenmode none")
            lines.append(f"link set {h} master br{k // PORTS_PER_BRIDGE + 1 if leaves > 1 else 0} up")
        _ip_batch(lines, netns=sw)
        if napi:
            veths = [x for x in _links_with("", sw) if x[0] in "scu"]
            fd = _enter(NETNS_DIR / sw, home)
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    for name in veths:
                        _napi(s, name)
            finally:
                setns(home)
                os.close(fd)
        macs: dict[str, bytes] = {}
        for i in range(n):
            for role, name in (("s", servers[i]), ("c", clients[i])):
                fd = _enter(NETNS_DIR / f"{prefix}-{name}", home)
                try:
                    macs[name] = _configure("eth0", f"{server_ip(i) if role == 's' else client_ip(i)}/8", napi=napi)
                    if role == "s":
                        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        ls.bind((server_ip(i), 80))
                        ls.listen(128)
                        ls.setblocking(False)
                        out.listeners.append(ls)
                except BaseException:
                    os.close(fd)
                    raise
                finally:
                    setns(home)
                if role == "c":
                    out.clients.append(fd)
                else:
                    os.close(fd)
        if static_arp:
            for i in range(n):
                fd = _enter(NETNS_DIR / f"{prefix}-{servers[i]}", home)
                try:
                    _static_arp("eth0", client_ip(i), macs[clients[i]])
                finally:
                    setns(home)
                    os.close(fd)
                setns(out.clients[i])
                try:
                    _static_arp("eth0", server_ip(i), macs[servers[i]])
                finally:
                    setns(home)
    except BaseException:
        out.close()  # an open namespace fd would keep its namespace (and its switch port) alive
        os.close(home)
        raise
    return out


def tear_down(prefix: str, *, wait_s: float = 300.0) -> None:
    """Delete every namespace named with ``prefix``: the hosts', then (once the kernel has freed those) the switch's.

    Deleting a namespace's name is quick; the kernel then destroys the
    namespace in a background worker, with its devices: a host's ``eth0``, and
    with it the outer veth end in the switch namespace. Teardown waits until
    the switch has no host ports left (the hosts are gone), then deletes the
    switch namespace (bridges, uplinks). Links still there after ``wait_s``
    are deleted one by one.
    """
    sw = f"{prefix}-sw"
    _ip_batch([f"netns del {ns}" for ns in _netns_with(prefix) if ns != sw], force=True)
    if (NETNS_DIR / sw).exists():
        deadline = time.monotonic() + wait_s
        while True:
            ports = [x for x in _links_with("", sw) if x[0] in "sc"]
            if not ports:
                break
            if time.monotonic() > deadline:
                _ip_batch([f"link del {x}" for x in ports], netns=sw, force=True)
                break
            time.sleep(0.02)
        _ip_batch([f"netns del {sw}"], force=True)
    left = leftovers(prefix)
    if left:
        raise RuntimeError(f"netns peer: could not remove {len(left)} namespaces/links: {left[:5]}")


class _Server(asyncio.Protocol):
    """One HTTP/1.1 connection in a server namespace: parse the request with h11, send RESPONSE, close."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.t = transport
        self.conn = h11.Connection(h11.SERVER)

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)
        try:
            while True:
                ev = self.conn.next_event()
                if ev is h11.NEED_DATA:
                    return
                if isinstance(ev, h11.EndOfMessage):
                    self.t.write(RESPONSE)
                    self.t.close()
                    return
                if isinstance(ev, h11.ConnectionClosed):
                    self.t.close()
                    return
        except h11.RemoteProtocolError:
            self.t.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            self.t.close()


@dataclass
class _Tally:
    ok: int = 0
    late: int = 0
    failed: int = 0
    skipped: int = 0
    in_flight: int = 0
    max_start_lag_s: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, why: str) -> None:
        self.failed += 1
        self.errors[why] = self.errors.get(why, 0) + 1


async def _fetch(hosts: _Hosts, i: int) -> str | None:
    """Client i: a new TCP connection to server i, ``GET /``, the whole response; None if it was conduit_server's."""
    loop = asyncio.get_running_loop()
    try:
        setns(hosts.clients[i])
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            setns(hosts.home)
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, "OSError")
    s.setblocking(False)
    conn = h11.Connection(h11.CLIENT)
    status, body = 0, 0
    try:
        await loop.sock_connect(s, (server_ip(i), 80))
        headers = [("host", server_ip(i)), ("connection", "close")]
        req = conn.send(h11.Request(method="GET", target="/", headers=headers))
        await loop.sock_sendall(s, req + conn.send(h11.EndOfMessage()))
        while True:
            ev = conn.next_event()
            if ev is h11.NEED_DATA:
                conn.receive_data(await loop.sock_recv(s, 4096))
            elif isinstance(ev, h11.Response):
                status = ev.status_code
            elif isinstance(ev, h11.Data):
                body += len(ev.data)
            elif isinstance(ev, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, "OSError")
    except h11.ProtocolError as e:
        return type(e).__name__
    finally:
        s.close()
    ok = status == 200 and body == len(RESPONSE) - RESPONSE.index(b"\r\n\r\n") - 4
    return None if ok else f"status {status}, {body} bytes"


async def _client(hosts: _Hosts, i: int, t0: float, seconds: int, offset: float, tally: _Tally) -> None:
    """Client i's loop: at 1 s, 2 s, ... (plus ``offset``) fetch ``/``; a fetch still running skips the next ones.

    As ``scale.py``'s simulated client (and a shell loop of ``curl``), a client
    never has two fetches at once; a second whose start found the previous
    fetch still running is counted as skipped.
    """
    for k in range(1, seconds):
        start = t0 + k + offset
        now = time.monotonic()
        if now >= start + 1:
            tally.skipped += 1
            continue
        if start > now:
            await asyncio.sleep(start - now)
        tally.max_start_lag_s = max(tally.max_start_lag_s, time.monotonic() - start)
        tally.in_flight += 1
        why = await _fetch(hosts, i)
        tally.in_flight -= 1
        if why is not None:
            tally.error(why)
            continue
        tally.ok += 1
        if time.monotonic() > start + 1:
            tally.late += 1


async def _drive(hosts: _Hosts, seconds: int, *, together: bool = False) -> _Tally:
    """Every client fetches once a second from 1 s to seconds-1 s (as scale.py's clients); the run ends at ``seconds``.

    Client i starts its fetches i/N into each second, as independent hosts
    whose loops started at different times do; ``together`` starts all N at
    the same instant, as the simulated clients are (on a real LAN: a burst of
    N ARP broadcasts, each flooded to 2N ports, in the first second).
    A fetch is late when its response has not arrived within a second of its start.
    """
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(_Server, sock=ls) for ls in hosts.listeners]
    tally = _Tally()
    t0 = time.monotonic()
    tasks = [
        asyncio.create_task(_client(hosts, i, t0, seconds, 0.0 if together else i / hosts.n, tally))
        for i in range(hosts.n)
    ]
    try:
        # each fetch has its whole second, the last ones too (those that start up to 1 s past ``seconds - 1``)
        await asyncio.wait(tasks, timeout=max(0.0, t0 + seconds + (0 if together else 1) - time.monotonic()))
        await asyncio.sleep(max(0.0, t0 + seconds - time.monotonic()))
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for srv in servers:
            srv.close()
    if tally.in_flight:
        tally.error("unanswered at the end")
        tally.failed += tally.in_flight - 1
        tally.errors["unanswered at the end"] = tally.in_flight
    tally.skipped = hosts.n * (seconds - 1) - tally.ok - tally.failed  # the seconds a stuck fetch took from its client
    return tally


def _raise_on_sigterm(_sig: int, _frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


def measure(
    n: int, seconds: int = 60, *, together: bool = False, napi: bool = True, arp: str = "auto"
) -> dict[str, Any]:
    """Build, run and tear down the peer for n servers + n clients; its figures (set-up, run, CPU, memory, teardown).

    ``arp``: ``dynamic`` (hosts resolve each other, as the simulated ones do),
    ``static`` (each client and its server get permanent entries, as Mininet's
    ``--arp``) or ``auto``: static when the 2N dynamic entries would pass the
    kernel's ARP table limit (``gc_thresh3``, 1024 by default, shared by all
    namespaces: past it, new entries fail and those hosts cannot reach their
    server; raising it is a machine-wide setting this peer leaves alone).
    """
    why = unavailable()
    if why:
        raise PeerUnavailable(why)
    if arp not in ("auto", "static", "dynamic"):
        raise ValueError(f"arp must be auto, static or dynamic, not {arp!r}")
    static_arp = arp == "static" or (arp == "auto" and 2 * n > arp_table_limit() * 9 // 10)
    prefix = f"mnp{secrets.token_hex(2)}"
    while leftovers(prefix):
        prefix = f"mnp{secrets.token_hex(2)}"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, 4 * n + 1024):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * n + 1024), hard))
    old_term = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    hosts: _Hosts | None = None
    rss0, kern0 = _rss_kb(), _kernel_kb()
    res: dict[str, Any] = {"n": n, "seconds": seconds, "prefix": prefix, "together": together, "napi": napi}
    res["static_arp"] = static_arp
    res["arp_table_limit"] = arp_table_limit()
    try:
        t0 = time.perf_counter()
        hosts = set_up(prefix, n, napi=napi, static_arp=static_arp)
        res["setup_s"] = time.perf_counter() - t0
        res["idle_kb_per_host"] = (_rss_kb() - rss0 + _kernel_kb() - kern0) / (2 * n)
        c1, k1, q1, d1, y1 = _cpu_s(), _ksoftirqd_s(), _softirq_s(), _softnet_drops(), _sys_s()
        t1 = time.perf_counter()
        tally = asyncio.run(_drive(hosts, seconds, together=together))
        res["run_s"] = time.perf_counter() - t1
        res["process_cpu_s"] = _cpu_s() - c1
        res["process_sys_s"] = _sys_s() - y1
        res["ksoftirqd_s"] = _ksoftirqd_s() - k1
        res["softirq_s"] = _softirq_s() - q1
        res["backlog_drops"] = _softnet_drops() - d1
        res["cpu_s"] = res["process_cpu_s"] + res["ksoftirqd_s"]
        res["kernel_s"] = res["process_sys_s"] + res["ksoftirqd_s"]
        res["rss_kb"] = _rss_kb() - rss0
        res["kernel_kb"] = _kernel_kb() - kern0
        res["mem_kb_per_n"] = (res["rss_kb"] + res["kernel_kb"]) / n
        res["responses"] = tally.ok
        res["expected"] = n * (seconds - 1)
        res["late"] = tally.late + tally.failed + tally.skipped
        res["failed"] = tally.failed
        res["skipped"] = tally.skipped
        res["max_start_lag_s"] = tally.max_start_lag_s
        res["errors"] = tally.errors
    finally:
        t2 = time.perf_counter()
        try:
            if hosts is not None:
                hosts.close()
                os.close(hosts.home)
        finally:
            tear_down(prefix)
            res["teardown_s"] = time.perf_counter() - t2
            signal.signal(signal.SIGTERM, old_term)
    res["kernel_kb_after"] = _kernel_kb() - kern0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--together", action="store_true", help="all clients start their fetches at the same instant")
    ap.add_argument("--backlog", action="store_true", help="leave GRO off: veths receive on the CPU's shared backlog")
    ap.add_argument("--arp", choices=["auto", "static", "dynamic"], default="auto", help="see measure()")
    a = ap.parse_args()
    try:
        print(json.dumps(measure(a.n, a.seconds, together=a.together, napi=not a.backlog, arp=a.arp)))
    except PeerUnavailable as e:
        print(f"netns peer: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
