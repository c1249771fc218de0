"""Two LANs joined by a router: a unikernel on one answers a TCP client peer on the other.

The router is :meth:`Network.router`; what the test checks is what a learner
sees: the server's log names the client's address on the other LAN, each LAN's
capture shows the same segments with the TTL one lower past the router, and
tshark (when installed) decodes both captures without a malformed frame or a
bad checksum.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.loader import load_config
from mirage_nb.sim.net.ethernet import decode_ethernet
from mirage_nb.sim.net.ipv4 import PROTO_TCP, decode_ipv4
from mirage_nb.sim.net.pcap import read_pcap
from mirage_nb.sim.net.router import Forwarded
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
from mirage_nb.sim.network import Network
from mirage_nb.unikernel import Duration, Mirage_sleep

STATIC = {"net": "direct", "no_dhcp": True}
SERVER = ["--ipv4=10.0.0.2/24", "--ipv4-gateway=10.0.0.1", "-l", "application:debug"]


def network_example():
    return load_config(os.path.join(EXAMPLES_DIR, "network", "config.ml"))


def routed(script) -> Network:
    return (
        Network()
        .lan("a")
        .lan("b")
        .router("r", {"a": "10.0.0.1/24", "b": "10.0.1.1/24"})
        .unikernel("server", network_example(), lan="a", argv=SERVER, **STATIC)
        .peer("client", script, lan="b", cidr="10.0.1.5/24", gateway="10.0.1.1")
    )


async def talk(peer):
    await Mirage_sleep.ns(Duration.of_sec(1))
    flow = await peer.connect("10.0.0.2", 8080)
    await peer.send(flow, b"hello across the router")
    assert await peer.wait_closed(flow)


def tcp_packets(capture: bytes):
    out = []
    for _, frame in read_pcap(capture):
        eth = decode_ethernet(frame)
        if eth.ethertype == 0x0800:
            ip = decode_ipv4(eth.payload)
            if ip.proto == PROTO_TCP:
                out.append((eth, ip))
    return out


def test_unikernel_on_lan_a_answers_a_peer_on_lan_b_through_the_router():
    r = routed(talk).run(until="5s", pcap=True)
    assert r.errors == {}
    app = [line.split(": ", 1)[1] for line in r.console("server") if "[application]" in line]
    assert app[0].startswith("[INFO] [application] new tcp connection from IP 10.0.1.5 on port ")
    assert app[1] == "[DEBUG] [application] read: 23 bytes:"
    assert "hello across the router" in r.console("server")
    a, b = tcp_packets(r.captures["a"]), tcp_packets(r.captures["b"])
    # The whole exchange crossed (SYN, SYN-ACK, data, FINs, ACKs), each segment on both LANs.
    assert len(a) == len(b) >= 6
    router_a, router_b = r.routers["r"].mac_of("a"), r.routers["r"].mac_of("b")
    for (ea, ia), (eb, ib) in zip(a, b, strict=True):
        assert ia.payload == ib.payload
        if ib.src == bytes([10, 0, 1, 5]):  # client -> server: sent on b to the router, forwarded on a
            assert eb.dst == router_b and ea.src == router_a
            assert ia.ttl == ib.ttl - 1
        else:  # server -> client: sent on a to the router (its gateway), forwarded on b
            assert ea.dst == router_a and eb.src == router_b
            assert ib.ttl == ia.ttl - 1
    forwarded = [e for _, e in r.routers["r"].events if isinstance(e, Forwarded)]
    assert {(f.inbound, f.outbound) for f in forwarded} == {("a", "b"), ("b", "a")}
    assert set(r.names["a"].values()) == {"server", "r"} and set(r.names["b"].values()) == {"client", "r"}
    assert r.captures == routed(talk).run(until="5s", pcap=True).captures  # same seed, same bytes


def test_ttl_running_out_at_the_router_gets_time_exceeded():
    from mirage_nb.sim.net.icmpv4 import TIME_EXCEEDED, decode_icmpv4
    from mirage_nb.sim.net.ipv4 import PROTO_ICMP

    async def low_ttl(peer):  # a UDP datagram with TTL 1 to the server, on the other LAN
        await Mirage_sleep.ns(Duration.of_sec(1))
        peer.apply(peer.host.ipv4.send(peer.run.now, bytes([10, 0, 0, 2]), 17, b"\x00" * 16, ttl=1))

    r = routed(low_ttl).run(until="3s", pcap=True)
    icmp = []
    for _, frame in read_pcap(r.captures["b"]):
        eth = decode_ethernet(frame)
        if eth.ethertype == 0x0800 and (ip := decode_ipv4(eth.payload)).proto == PROTO_ICMP:
            icmp.append((ip, decode_icmpv4(ip.payload)))
    assert [(ip.src, m.type) for ip, m in icmp] == [(bytes([10, 0, 1, 1]), TIME_EXCEEDED)]
    assert not any(decode_ethernet(f).ethertype == 0x0800 for _, f in read_pcap(r.captures["a"]))


def test_tshark_decodes_both_lans_without_errors(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    r = routed(talk).run(until="5s", pcap=True)
    for lan, capture in r.captures.items():
        f = tmp_path / f"{lan}.pcap"
        f.write_bytes(capture)
        common = ["tshark", "-r", str(f), "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]
        bad = subprocess.run(
            [*common, "-Y", '_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"'],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        assert bad == "", (lan, bad)
        ttls = subprocess.run(
            [*common, "-Y", "tcp && ip.src == 10.0.1.5", "-T", "fields", "-e", "ip.ttl"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.split()
        assert ttls and set(ttls) == ({"64"} if lan == "b" else {"63"}), (lan, ttls)


def test_router_mistakes_are_reported_where_they_are_made():
    with pytest.raises(SimulationError, match="two LANs or more"):
        Network().lan("a").router("r", {"a": "10.0.0.1/24"})
    with pytest.raises(SimulationError, match="overlap"):
        Network().lan("a").lan("b").router("r", {"a": "10.0.0.1/24", "b": "10.0.0.2/24"})
    with pytest.raises(SimulationError, match="needs its prefix"):
        Network().lan("a").lan("b").router("r", {"a": "10.0.0.1", "b": "10.0.1.1/24"})
    with pytest.raises(SimulationError, match="already has a device named 'r'"):
        Network().router("r", {"a": "10.0.0.1/24", "b": "10.0.1.1/24"}).peer("r")
