"""The network and ping6 examples, booted from their device graphs and driven by scripted peers.

Expected lines follow the OCaml sources: mirage-skeleton's unikernel.ml for
the application lines, and the connect-time messages of mirage-net-unix,
ethernet, arp, tcpip (ipv6, udp, tcp, tcpip-stack-direct) and charrua, in
the mirage-logs format, at the virtual times the simulation reaches them.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest

from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.net.ipv6 import link_local_from_mac
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.net.tcp import Connected
from mirage_nb.sim.netdev.kinds import run_network_example
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.unikernel import Duration, Mirage_sleep

S = 1_000_000_000


def ts(sec: int) -> str:
    return f"2025-01-01T00:00:{sec:02d}Z"


def client_setup(seen: dict[str, Any], message: bytes = b"hello\n", port: int = 8080):
    """A client that connects at t=2 s and sends ``message``, then at t=3 s connects and closes at once."""

    def setup(lan):
        c = Peer(lan, name="client", cidr="10.0.0.1/24")
        seen["lan"], seen["client"] = lan, c

        async def talk():
            await Mirage_sleep.ns(Duration.of_sec(2))
            f = await c.connect("10.0.0.2", port)
            await c.send(f, message)
            seen["closed_by_server"] = await c.wait_closed(f, timeout_ns=S // 2)
            await c.close(f)
            await Mirage_sleep.ns(3 * S - lan.run.now)
            g = await c.connect("10.0.0.2", port)
            await c.close(g)

        c.script(talk)

    return setup


def client_ports(c: Peer) -> list[int]:
    return [fe.flow.local_port for _, fe in c.events if getattr(fe, "event", None) == Connected()]


def stack_lines(mac: str, ll: str, ipv4: str = "10.0.0.2/24") -> list[str]:
    return [
        f"{ts(0)}: [INFO] [netif] connect tap0 with mac {mac}",
        f"{ts(0)}: [INFO] [ethernet] Connected Ethernet interface {mac}",
        f"{ts(0)}: [INFO] [ARP] Sending gratuitous ARP for {ipv4.split('/')[0]} ({mac})",
        f"{ts(0)}: [INFO] [ipv6] IP6: Starting",
        f"{ts(1)}: [INFO] [ipv6] IP6: Started with {ll}",
        f"{ts(1)}: [INFO] [udp] UDP layer connected on {ipv4}, {ll}/64",
        f"{ts(1)}: [INFO] [tcp.pcb] TCP layer connected on {ipv4}, {ll}/64",
        f"{ts(1)}: [INFO] [tcpip-stack-direct] Dual TCP/IP stack assembled: mac={mac},ip={ipv4}, {ll}/64",
    ]


def mac_and_ll(lan) -> tuple[str, str]:
    import ipaddress

    netif = lan.device("tap0")
    return str(netif.mac()), str(ipaddress.IPv6Address(link_local_from_mac(netif.mac_bytes)))


STATIC = {"net": "direct", "dhcp": False}


def test_network_example_static_stack_with_a_client():
    seen: dict[str, Any] = {}
    r = run_network_example("network", argv=["--ipv4", "10.0.0.2/24"], until="10s", setup=client_setup(seen), **STATIC)
    mac, ll = mac_and_ll(seen["lan"])
    p1, p2 = client_ports(seen["client"])
    assert r.lines == stack_lines(mac, ll) + [
        f"{ts(2)}: [INFO] [application] new tcp connection from IP 10.0.0.1 on port {p1}",
        f"{ts(3)}: [INFO] [application] new tcp connection from IP 10.0.0.1 on port {p2}",
        f"{ts(3)}: [INFO] [application] Closing connection!",
    ]
    # After one read of data, the unikernel closes the flow; after EOF it does not.
    assert seen["closed_by_server"] is True
    assert [(x.time_ns, x.level) for x in r.logs if x.source == "application"] == [
        (2 * S, "info"),
        (3 * S, "info"),
        (3 * S, "info"),
    ]


def test_network_example_debug_level_shows_what_was_read_and_port_arg():
    seen: dict[str, Any] = {}
    r = run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24", "--port", "9000", "-l", "application:debug"],
        until="10s",
        setup=client_setup(seen, b"hello mirage", port=9000),
        **STATIC,
    )
    app = [line for line in r.lines if "[application]" in line or not line.startswith("2025")]
    assert app[:3] == [
        f"{ts(2)}: [INFO] [application] new tcp connection from IP 10.0.0.1 on port {client_ports(seen['client'])[0]}",
        f"{ts(2)}: [DEBUG] [application] read: 12 bytes:",
        "hello mirage",
    ]


def test_network_example_with_dhcp_lease():
    seen: dict[str, Any] = {}

    def setup(lan):
        router = Peer(lan, name="router", cidr="192.168.1.5/24")
        router.host.serve_dhcp(
            DhcpServer(
                router.host.mac,
                "192.168.1.5",
                "192.168.1.0/24",
                "192.168.1.70",
                "192.168.1.100",
                routers=("192.168.1.5",),
            )
        )
        seen["lan"], seen["client"] = lan, router

        async def talk():
            await Mirage_sleep.ns(Duration.of_sec(2))
            f = await router.connect("192.168.1.70", 8080)
            await router.close(f)

        router.script(talk)

    r = run_network_example("network", until="5s", setup=setup)  # unix defaults: DHCP
    mac, ll = mac_and_ll(seen["lan"])
    expected = stack_lines(mac, ll, "192.168.1.70/24")
    expected.insert(2, f"{ts(0)}: [INFO] [dhcp_client_lwt] Lease obtained! IP: 192.168.1.70, routers: 192.168.1.5")
    (port,) = client_ports(seen["client"])
    assert r.lines == expected + [
        f"{ts(2)}: [INFO] [application] new tcp connection from IP 192.168.1.5 on port {port}",
        f"{ts(2)}: [INFO] [application] Closing connection!",
    ]


def test_network_example_socket_stack_logs_only_the_application():
    seen: dict[str, Any] = {}
    r = run_network_example("network", until="10s", setup=client_setup(seen), net="host")
    p1, p2 = client_ports(seen["client"])
    assert r.lines == [
        f"{ts(2)}: [INFO] [application] new tcp connection from IP 10.0.0.1 on port {p1}",
        f"{ts(3)}: [INFO] [application] new tcp connection from IP 10.0.0.1 on port {p2}",
        f"{ts(3)}: [INFO] [application] Closing connection!",
    ]


def test_network_example_on_utcp():
    seen: dict[str, Any] = {}
    r = run_network_example(
        "network", argv=["--ipv4", "10.0.0.2/24"], until="10s", setup=client_setup(seen), utcp=True, **STATIC
    )
    assert not any("[tcp.pcb]" in line for line in r.lines)  # µTCP's connect does not log
    assert sum("new tcp connection" in line for line in r.lines) == 2


def test_network_example_rejects_both_only_flags():
    r = run_network_example("network", argv=["--ipv4-only", "true", "--ipv6-only", "true"], until="5s", **STATIC)
    assert r.exit_code == 2
    assert r.stderr[-1] == 'Fatal error: exception Failure("cannot configure stack with both IPv4 only and IPv6 only")'


def test_network_example_bad_ipv4_argument():
    r = run_network_example("network", argv=["--ipv4", "10.0.0.300/24"], until="5s", **STATIC)
    assert r.exit_code == 64
    assert any("--ipv4" in line and "10.0.0.300/24" in line for line in r.stderr)


def test_network_help_lists_network_options():
    r = run_network_example("network", argv=["--help"], **STATIC)
    assert r.exit_code == 63
    text = "\n".join(r.stdout)
    assert "NETWORK OPTIONS" in text
    for opt in ("--ipv4", "--ipv4-gateway", "--ipv6", "--interface", "--accept-router-advertisements", "--port"):
        assert opt in text


def test_ping6_example_answers_pings_and_logs_packets():
    seen: dict[str, Any] = {}

    def setup(lan):
        c = Peer(lan, name="pinger", cidr="10.0.0.1/24")
        seen["lan"], seen["peer"] = lan, c

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            target = link_local_from_mac(lan.device("tap0").mac_bytes)
            seen["replies"] = [await c.ping(target, s, b"mirage") for s in range(3)]
            await c.send_udp(target, 1234, 5678, b"x")

        c.script(go)

    r = run_network_example("ping6", until="3s", setup=setup)
    mac, ll = mac_and_ll(seen["lan"])
    assert [x.seq for x in seen["replies"]] == [0, 1, 2]
    assert all(x.data == b"mirage" for x in seen["replies"])
    assert r.lines == [
        f"{ts(0)}: [INFO] [netif] connect tap0 with mac {mac}",
        f"{ts(0)}: [INFO] [ethernet] Connected Ethernet interface {mac}",
        f"{ts(0)}: [INFO] [ipv6] IP6: Starting",
        f"{ts(1)}: [INFO] [ipv6] IP6: Started with {ll}",
        f"{ts(2)}: [WARNING] [application] {seen['peer'].link_local} > {ll} UDP",
    ]


def test_ping6_example_reports_ipv4_traffic_as_errors():
    def setup(lan):
        c = Peer(lan, name="pinger", cidr="10.0.0.1/24")

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            await c.ping("10.0.0.2", 1)  # ARP request: the unikernel has no ARP

        c.script(go)

    r = run_network_example("ping6", until="2500ms", setup=setup)
    assert r.lines[-1] == f"{ts(2)}: [ERROR] [application] ARP4"


def run_with_pcap(seed: int) -> tuple[Any, bytes]:
    buf = io.BytesIO()
    seen: dict[str, Any] = {}
    r = run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24"],
        seed=seed,
        until="10s",
        setup=client_setup(seen),
        pcap=PcapWriter(buf),
        **STATIC,
    )
    return r, buf.getvalue()


def test_same_seed_same_log_and_pcap_bytes():
    r1, p1 = run_with_pcap(7)
    r2, p2 = run_with_pcap(7)
    r3, p3 = run_with_pcap(8)
    assert r1.lines == r2.lines and p1 == p2
    assert r1.lines != r3.lines and p1 != p3  # another seed, another MAC and other sequence numbers
    frames = read_pcap(p1)
    assert frames[0][0] == 0 and any(f[12:14] == b"\x08\x06" for _, f in frames)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_pcap_of_a_run_passes_tshark_checksums(tmp_path):
    _r, data = run_with_pcap(1)
    f = tmp_path / "network.pcap"
    f.write_bytes(data)
    base = [
        "tshark",
        "-r",
        str(f),
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
    ]
    fields = subprocess.run(
        base + ["-T", "fields", "-e", "frame.number", "-e", "_ws.expert.severity"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    severities = [int(s) for line in fields.splitlines() for col in line.split("\t")[1:2] for s in col.split(",") if s]
    assert all(s < 6291456 for s in severities), fields  # no warning or error (bad checksum, malformed)
    summary = subprocess.run(base, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "[SYN]" in summary and "[SYN, ACK]" in summary and "Neighbor Solicitation" in summary
