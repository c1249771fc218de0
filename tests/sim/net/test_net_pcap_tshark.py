"""pcap files of simulated runs: our reader, and tshark with checksum validation on."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from net_support import MAC_A, MAC_B, MAC_C, EndpointLan

from mirage_nb.errors import RemoteProtocolError
from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.net.host import Host, PingReply
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.net.switch import LinkProfile
from mirage_nb.sim.net.udp import UdpReceived

MS = 1_000_000


def test_writer_and_reader_round_trip_with_virtual_timestamps():
    for ns in (False, True):
        buf = io.BytesIO()
        w = PcapWriter(buf, nanosecond=ns)
        frames = [(0, b"a" * 60), (1_500_000_123, b"b" * 1514), (3_600 * 10**9 + 7, b"c" * 42)]
        for t, f in frames:
            w.write(t, f)
        got = read_pcap(buf.getvalue())
        expect = frames if ns else [(t - t % 1000, f) for t, f in frames]
        assert got == expect and w.count == 3


def test_reader_errors_name_the_part():
    buf = io.BytesIO()
    PcapWriter(buf).write(5, b"frame")
    data = buf.getvalue()
    with pytest.raises(RemoteProtocolError, match="magic number"):
        read_pcap(b"\x00" * 24)
    with pytest.raises(RemoteProtocolError, match="global header"):
        read_pcap(data[:10])
    with pytest.raises(RemoteProtocolError, match="record length"):
        read_pcap(data[:-1])
    with pytest.raises(RemoteProtocolError, match="record header"):
        read_pcap(data[:30])
    assert read_pcap(data[:24]) == []


def exchange_pcap(path: Path) -> list[tuple[int, bytes]]:
    """Two hosts and a DHCP client over the switch: ARP, ping, UDP (one fragmented), ping6, DHCP."""
    with path.open("wb") as fh:
        lan = EndpointLan(3, pcap=PcapWriter(fh))
        a = Host(MAC_A, "10.0.0.1/24", name="a", ipv6=("fd00::1/64",))
        b = Host(MAC_B, "10.0.0.2/24", name="b", ipv6=("fd00::2/64",))
        a.serve_dhcp(DhcpServer(MAC_A, "10.0.0.1", "10.0.0.0/24", "10.0.0.100", "10.0.0.110", routers=("10.0.0.1",)))
        c = Host(MAC_C, name="c", dhcp=True, rng=random.Random(4))
        for h in (a, b, c):
            lan.attach(h, LinkProfile(latency=MS // 2, bandwidth=100_000_000))
        b.listen_udp(7)
        lan.start()
        lan.run(50 * MS)
        lan.call(0, lambda now: a.ping(now, "10.0.0.2", seq=1, data=b"0123456789abcdef"))
        lan.call(0, lambda now: a.send_udp(now, "10.0.0.2", 40000, 7, b"hello over udp"))
        lan.call(0, lambda now: a.send_udp(now, "10.0.0.2", 40001, 7, bytes(range(256)) * 12))
        lan.call(0, lambda now: a.ping(now, "fd00::2", seq=2, data=b"v6"))
        lan.call(2, lambda now: c.ping(now, "10.0.0.2", seq=3))
        lan.run(200 * MS)
        assert len(lan.events_of("a", PingReply)) == 2 and len(lan.events_of("c", PingReply)) == 1
        assert len(lan.events_of("b", UdpReceived)) == 2
    return read_pcap(path.read_bytes())


def test_exchange_pcap_is_what_we_sent(tmp_path):
    frames = exchange_pcap(tmp_path / "x.pcap")
    assert len(frames) > 20
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)


TSHARK = shutil.which("tshark")
CHECKS = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"]


@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt-get install -y tshark)")
def test_tshark_finds_no_malformed_frame_or_bad_checksum(tmp_path):
    path = tmp_path / "exchange.pcap"
    frames = exchange_pcap(path)

    def run(*args: str) -> str:
        cmd = [TSHARK, "-r", str(path), *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout

    summary = run(*CHECKS, "-z", "expert,error", "-q")
    assert "Errors" not in summary, summary
    fields = run(*CHECKS, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.severity", "-e", "_ws.malformed")
    rows = [line.split("\t") for line in fields.splitlines()]
    assert len(rows) == len(frames)
    for number, severity, malformed in rows:
        levels = [int(s) for s in severity.split(",") if s]
        assert not malformed, f"frame {number} is malformed"
        assert all(s < 6291456 for s in levels), f"frame {number} has an expert warning or error: {levels}"
    decode = run()
    for proto in ("ARP", "ICMP ", "UDP", "ICMPv6", "DHCP"):
        assert proto in decode, proto
    assert "Echo (ping) reply" in decode and "Neighbor Advertisement" in decode and "DHCP ACK" in decode
