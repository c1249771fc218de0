"""Real Linux clients against a booted simulated unikernel, through :class:`LinuxBridge` (TAP + namespace).

Each test boots a unikernel (the bundled ``network`` example or a small one
written here), bridges its LAN to a fresh network namespace and runs real
tools there: ``ping``, ``socat``, ``nc`` and Python's own sockets. Traffic
stays inside the namespace; every wait has a timeout and nothing asserts on
durations. Needs root, ``/dev/net/tun`` and iproute2 (skipped otherwise).
"""

from __future__ import annotations

import io
import ipaddress
import re
import shutil
import subprocess
import sys
import types

import pytest
from sim_graphs import nodes

import mirage_nb.mirage as M
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.netdev import Data, Eof
from mirage_nb.sim.netdev.bridge import LinuxBridge, bridge_available, run_bridged_example, run_bridged_unikernel
from mirage_nb.sim.result import Ok
from mirage_nb.sim.run import Stopped
from mirage_nb.unikernel import Logs

REASON = bridge_available()
pytestmark = [pytest.mark.root, pytest.mark.skipif(REASON is not None, reason=f"Linux bridge: {REASON}")]

STATIC = {"net": "direct", "dhcp": False}
UK = "10.0.0.2"


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install {package})")


def ready(br: LinuxBridge) -> None:
    assert br.wait_for_console("stack assembled"), "the unikernel's stack never came up"


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


# --- the bundled network example ----------------------------------------------------------


def test_ping_reaches_the_network_example_and_the_namespace_goes_away():
    need("ping", "iputils-ping")
    seen: dict[str, str] = {}

    def linux(br: LinuxBridge) -> subprocess.CompletedProcess[str]:
        seen["ns"] = br.namespace
        ready(br)
        return br.exec("ping", "-c", "3", "-W", "2", UK, timeout=30)

    buf = io.BytesIO()
    r = run_bridged_example("network", linux, pcap=PcapWriter(buf), **STATIC)
    assert r.linux.returncode == 0, r.linux.stdout + r.linux.stderr
    assert "3 received" in r.linux.stdout
    assert r.run.stopped is Stopped.UNTIL and "Linux side" in r.run.note
    assert r.frames_from_linux >= 4  # ARP request + three echo requests
    frames = [f for _, f in read_pcap(buf.getvalue())]
    replies = [f for f in frames if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 0]
    assert len(replies) == 3  # echo replies of the unikernel, captured on the LAN
    assert seen["ns"] not in namespaces()


def test_socat_tcp_client_is_logged_with_its_data_by_the_network_example():
    need("socat", "socat")

    def linux(br: LinuxBridge) -> tuple[int, str]:
        ready(br)
        p = br.popen("socat", "-t", "5", "-T", "10", "-", f"TCP:{UK}:8080")
        out, err = p.communicate("hello from linux\n", timeout=30)
        return p.returncode, err

    r = run_bridged_example("network", linux, argv=["--port", "8080", "-l", "application:debug"], **STATIC)
    rc, err = r.linux
    assert rc == 0, err
    lines = r.run.lines
    conn = [line for line in lines if "new tcp connection from IP 10.0.0.1 on port" in line]
    assert len(conn) == 1, lines
    assert re.search(r"on port (\d+)$", conn[0]) is not None
    i = lines.index(conn[0])
    assert lines[i + 1].endswith("[DEBUG] [application] read: 17 bytes:")
    assert lines[i + 2] == "hello from linux"


def test_nc_connection_closed_without_data_logs_closing():
    need("nc", "netcat-openbsd")

    def linux(br: LinuxBridge) -> int:
        ready(br)
        # -z: connect, then close at once without sending anything
        return br.exec("nc", "-z", "-w", "5", UK, "8080", timeout=30).returncode

    r = run_bridged_example("network", linux, **STATIC)
    assert r.linux == 0
    assert br_wait_line(r.run.lines, "Closing connection!")


def br_wait_line(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


def test_a_closed_port_refuses_linux():
    need("nc", "netcat-openbsd")

    def linux(br: LinuxBridge) -> subprocess.CompletedProcess[str]:
        ready(br)
        return br.exec("nc", "-z", "-w", "5", UK, "9999", timeout=30)

    r = run_bridged_example("network", linux, **STATIC)
    assert r.linux.returncode != 0  # the stack answers RST: connection refused
    assert not br_wait_line(r.run.lines, "new tcp connection")


# --- small unikernels written here ----------------------------------------------------------


def unikernel(name: str, main: type) -> types.ModuleType:
    m = types.ModuleType(name)
    main.__module__ = name
    m.Main = main  # type: ignore[attr-defined]
    return m


def stack_app(name: str) -> list:
    """The engine's nodes for ``main "Unikernel.Main" (stackv4v6 @-> job) $ generic_stackv4v6 default_network``."""
    stack = [M.generic_stackv4v6(M.default_network)]
    return nodes(name, stack, job="Unikernel.Main", args=["--net=direct", "--no-dhcp"])


class UdpShouter:
    """Answers every UDP datagram to port 7 with its payload in capitals."""

    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S

        async def on_datagram(*, src, dst, src_port, buf):
            Logs.info("udp %d bytes from %s:%d", len(buf), str(src), src_port)
            await S.UDP.write(S.udp(s), bytes(buf).upper(), dst=src, dst_port=src_port, src_port=7)

        S.UDP.listen(S.udp(s), port=7, callback=on_datagram)
        await S.listen(s)


def test_udp_exchange_with_socat():
    need("socat", "socat")

    def linux(br: LinuxBridge) -> tuple[int, str]:
        ready(br)
        p = br.popen("socat", "-t", "2", "-", f"UDP:{UK}:7")
        out, _err = p.communicate("mirage over udp\n", timeout=30)
        return p.returncode, out

    r = run_bridged_unikernel(stack_app("shouter"), unikernel("shouter", UdpShouter), linux)
    rc, out = r.linux
    assert rc == 0
    assert out == "MIRAGE OVER UDP\n"
    assert any(re.search(r"udp 16 bytes from 10\.0\.0\.1:\d+$", line) for line in r.run.lines), r.run.lines


class TcpEcho:
    """Echoes each TCP connection on port 7 until the client closes, then closes; counts what it saw."""

    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S

        async def on_connect(flow):
            total = 0
            while True:
                match await S.TCP.read(flow):
                    case Ok(Data(b)):
                        total += len(b)
                        await S.TCP.write(flow, b)
                    case Ok(Eof()):
                        break
                    case other:
                        Logs.warn("read error %s", str(other))
                        break
            Logs.info("echoed %d bytes", total)
            await S.TCP.close(flow)

        S.TCP.listen(S.tcp(s), port=7, callback=on_connect)
        await S.listen(s)


ECHO_CLIENT = r"""
import socket, sys
data = bytes((i * 31 + 7) & 0xFF for i in range(int(sys.argv[1])))
s = socket.create_connection((sys.argv[2], 7), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
s.close()
print(len(got))
sys.exit(0 if bytes(got) == data else 3)
"""


def test_linux_sends_and_receives_through_a_tcp_echo_unikernel(tmp_path):
    size = 200_000

    def linux(br: LinuxBridge) -> subprocess.CompletedProcess[str]:
        ready(br)
        return br.exec(sys.executable, "-c", ECHO_CLIENT, str(size), UK, timeout=60)

    buf = io.BytesIO()
    r = run_bridged_unikernel(stack_app("echo"), unikernel("echo", TcpEcho), linux, pcap=PcapWriter(buf))
    assert r.linux.returncode == 0, r.linux.stdout + r.linux.stderr  # exactly the bytes it sent came back
    assert r.linux.stdout.strip() == str(size)
    assert any(line.endswith(f"echoed {size} bytes") for line in r.run.lines), r.run.lines
    if shutil.which("tshark") is not None:  # both sides' segments, as captured on the LAN, pass checksum checks
        f = tmp_path / "echo.pcap"
        f.write_bytes(buf.getvalue())
        fields = subprocess.run(
            [
                "tshark",
                "-r",
                str(f),
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
                "-T",
                "fields",
                "-e",
                "_ws.expert.severity",
                "-Y",
                'tcp.checksum.status == "Bad" || _ws.malformed',
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert fields.strip() == "", fields


LINUX_SERVER = r"""
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.0.0.1", 9000))
srv.listen(1)
print("ready", flush=True)
srv.settimeout(30)
c, _ = srv.accept()
c.settimeout(30)
got = bytearray()
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    got += chunk
c.sendall(b"got %d bytes, sum %d" % (len(got), sum(got)))
c.close()
print(len(got), sum(got), flush=True)
"""

PAYLOAD = bytes(range(256)) * 400


class Uploader:
    """Connects to 10.0.0.1:9000, sends PAYLOAD, half-closes and logs the server's answer."""

    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S
        from mirage_nb.unikernel import Duration, Mirage_sleep

        await Mirage_sleep.ns(Duration.of_ms(500))  # the Linux server starts meanwhile
        res = await S.TCP.create_connection(S.tcp(s), (ipaddress.ip_address("10.0.0.1"), 9000))
        flow = res.value
        await S.TCP.write(flow, PAYLOAD)
        await S.TCP.shutdown(flow, "write")
        answer = b""
        while True:
            match await S.TCP.read(flow):
                case Ok(Data(b)):
                    answer += bytes(b)
                case _:
                    break
        Logs.info("server says: %s", answer.decode())
        await S.TCP.close(flow)


def test_a_unikernel_uploads_to_a_linux_server():
    def linux(br: LinuxBridge) -> tuple[str, str]:
        p = br.popen(sys.executable, "-c", LINUX_SERVER)
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        assert br.wait_for_console("server says", timeout=60), "the unikernel never got the server's answer"
        out, err = p.communicate(timeout=30)
        return out, err

    r = run_bridged_unikernel(stack_app("uploader"), unikernel("uploader", Uploader), linux)
    out, err = r.linux
    assert out.split() == [str(len(PAYLOAD)), str(sum(PAYLOAD))], err
    assert any(line.endswith(f"server says: got {len(PAYLOAD)} bytes, sum {sum(PAYLOAD)}") for line in r.run.lines)


def test_an_error_on_the_linux_side_is_raised_after_cleanup():
    seen: dict[str, str] = {}

    def linux(br: LinuxBridge) -> None:
        seen["ns"] = br.namespace
        raise ValueError("the client failed")

    with pytest.raises(ValueError, match="the client failed"):
        run_bridged_example("network", linux, **STATIC)
    assert seen["ns"] not in namespaces()


def test_when_the_run_ends_first_the_linux_side_stops_waiting():
    def linux(br: LinuxBridge) -> bool:
        # The stack is assembled at t=1 s, after the run's end: the wait gives up when the run ends.
        return br.wait_for_console("stack assembled", timeout=60)

    r = run_bridged_example("network", linux, until="300ms", **STATIC)
    assert r.linux is False
    assert r.run.stopped is Stopped.UNTIL and "until" in r.run.note
    assert not any("stack assembled" in line for line in r.run.lines)
