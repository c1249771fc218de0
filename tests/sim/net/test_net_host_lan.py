"""Hosts over the virtual switch: ping, ping6, UDP, DHCP, loss and determinism."""

from __future__ import annotations

import io
import random

import pytest
from net_support import MAC_A, MAC_B, MAC_C, EndpointLan

from mirage_nb.errors import LocalProtocolError, SimulationError
from mirage_nb.sim.net._base import Dropped, Step, ip4, ip6
from mirage_nb.sim.net.arp import ArpResolved
from mirage_nb.sim.net.dhcp import DHCPDISCOVER, decode_dhcp
from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.net.dhcp_client import LeaseObtained
from mirage_nb.sim.net.ethernet import encode_ethernet
from mirage_nb.sim.net.host import Host, PingReply
from mirage_nb.sim.net.icmpv6 import PrefixInfo, RouterAdvertisement, encode_icmpv6, encode_router_advertisement
from mirage_nb.sim.net.ipv4 import Ipv4Received, encode_ipv4
from mirage_nb.sim.net.ipv6 import ALL_NODES, encode_ipv6, link_local_from_mac
from mirage_nb.sim.net.pcap import PcapWriter, read_pcap
from mirage_nb.sim.net.switch import Delivery, LinkProfile, Switch
from mirage_nb.sim.net.udp import UdpReceived

MS = 1_000_000


def _pair(seed=0, profile=None, pcap=None):
    lan = EndpointLan(seed, pcap=pcap)
    a = Host(MAC_A, "10.0.0.1/24", name="a", ipv6=("fd00::1/64",))
    b = Host(MAC_B, "10.0.0.2/24", name="b", ipv6=("fd00::2/64",))
    lan.attach(a, profile)
    lan.attach(b, profile)
    lan.start()
    return lan, a, b


def test_ping_resolves_arp_then_gets_a_reply():
    lan, a, b = _pair(profile=LinkProfile(latency=MS))
    lan.run(10 * MS)  # let the gratuitous ARPs of start-up pass
    lan.call(0, lambda now: a.ping(now, "10.0.0.2", seq=1, data=b"hello"))
    lan.run(100 * MS)
    assert lan.events_of("a", PingReply) == [PingReply(ip4("10.0.0.2"), 1, 1, b"hello")]
    assert lan.events_of("a", ArpResolved) == [ArpResolved(ip4("10.0.0.2"), MAC_B)]
    # Six one-way trips of 2 ms (1 ms up to the switch, 1 ms down): a's ARP request and
    # its reply, the echo request, then b's own ARP exchange for a — MirageOS's ARP
    # does not learn from requests — and finally the echo reply.
    (t,) = [t for t, n, e in lan.events if isinstance(e, PingReply)]
    assert t == 10 * MS + 6 * 2 * MS
    assert lan.events_of("b", ArpResolved) == [ArpResolved(ip4("10.0.0.1"), MAC_A)]


def test_ping6_uses_neighbour_discovery():
    lan, a, b = _pair(profile=LinkProfile(latency=MS))
    lan.call(0, lambda now: a.ping(now, "fd00::2", seq=4, data=b"six"))
    lan.run(100 * MS)
    assert lan.events_of("a", PingReply) == [PingReply(ip6("fd00::2"), 1, 4, b"six")]


def test_ping6_to_link_local():
    lan, a, b = _pair()
    ll = link_local_from_mac(MAC_B)
    lan.call(0, lambda now: a.ping(now, ll, seq=9))
    lan.run(10 * MS)
    assert [e.src for e in lan.events_of("a", PingReply)] == [ll]


@pytest.mark.parametrize("dst", ["10.0.0.2", "fd00::2"])
def test_udp_datagram_reaches_a_listener_only(dst):
    lan, a, b = _pair()
    lan.call(0, lambda now: a.send_udp(now, dst, 4000, 7, b"not yet"))
    lan.run(10 * MS)
    assert lan.events_of("b", UdpReceived) == []
    assert any("no listener on port 7" in e.reason for e in lan.events_of("b", Dropped))
    b.listen_udp(7)
    lan.call(0, lambda now: a.send_udp(now, dst, 4000, 7, b"now"))
    lan.run(20 * MS)
    (got,) = lan.events_of("b", UdpReceived)
    assert (got.src_port, got.dst_port, got.payload) == (4000, 7, b"now")


def test_big_udp_datagram_is_fragmented_and_reassembled():
    lan, a, b = _pair()
    b.listen_udp(9)
    data = random.Random(2).randbytes(9000)
    lan.call(0, lambda now: a.send_udp(now, "10.0.0.2", 1, 9, data))
    lan.run(10 * MS)
    assert [e.payload for e in lan.events_of("b", UdpReceived)] == [data]


def test_tcp_and_other_protocols_come_out_as_packets():
    lan, a, b = _pair()
    a.ipv4.arp.static(0, ip4("10.0.0.2"), MAC_B)
    lan.call(0, lambda now: a.ipv4.send(now, ip4("10.0.0.2"), 6, b"\x00" * 20))
    lan.run(10 * MS)
    (ev,) = lan.events_of("b", Ipv4Received)
    assert ev.packet.proto == 6


def test_dhcp_client_configures_the_host():
    lan = EndpointLan(1)
    server = Host(MAC_A, "10.0.0.1/24", name="server")
    server.serve_dhcp(DhcpServer(MAC_A, "10.0.0.1", "10.0.0.0/24", "10.0.0.100", "10.0.0.199", routers=("10.0.0.1",)))
    client = Host(MAC_C, name="unikernel", dhcp=True, rng=random.Random(11))
    lan.attach(server)
    lan.attach(client)
    lan.start()
    lan.run(100 * MS)
    (lease,) = lan.events_of("unikernel", LeaseObtained)
    assert lease.lease.cidr == "10.0.0.100/24"
    assert client.ip == ip4("10.0.0.100") and client.ipv4.gateway == ip4("10.0.0.1")
    lan.call(1, lambda now: client.ping(now, "10.0.0.1", seq=1))
    lan.run(200 * MS)
    assert lan.events_of("unikernel", PingReply)


def test_dhcp_discover_is_repeated_every_4_seconds_with_fresh_xids():
    buf = io.BytesIO()
    lan = EndpointLan(1, pcap=PcapWriter(buf))
    client = Host(MAC_C, name="unikernel", dhcp=True, rng=random.Random(11))
    lan.attach(client)
    lan.start()
    lan.run(9_000 * MS)
    sent = [(t, decode_dhcp(f[42:])) for t, f in read_pcap(buf.getvalue())]
    assert [t for t, _ in sent] == [0, 4_000 * MS, 8_000 * MS]
    assert all(m.message_type == DHCPDISCOVER for _, m in sent)
    assert len({m.xid for _, m in sent}) == 3
    assert client.dhcp is not None and client.dhcp.state == "selecting"


def test_router_advertisement_gives_slaac_address_and_default_route():
    a = Host(MAC_A, name="a")
    router_ll = link_local_from_mac(MAC_B)
    ra = RouterAdvertisement(
        64, False, False, 1800, 0, 0, MAC_B, 1400, (PrefixInfo(ip6("2001:db8:1::"), 64, True, True, 86400, 3600),)
    )
    icmp = encode_icmpv6(router_ll, ALL_NODES, 134, 0, encode_router_advertisement(ra))
    frame = encode_ethernet(
        b"\x33\x33\x00\x00\x00\x01", MAC_B, 0x86DD, encode_ipv6(router_ll, ALL_NODES, 58, icmp, hop_limit=255)
    )
    step = a.receive(0, frame)
    assert ra in step.events
    assert a.ipv6.default_router == router_ll and a.ipv6.mtu == 1400
    assert (ip6("2001:db8:1::")[:8] + link_local_from_mac(MAC_A)[8:], 64) in a.ipv6.addresses
    # Off-link traffic now goes to the router's MAC (learnt from the RA's option).
    (f,) = a.ping(0, "2001:db8:99::1").frames
    assert f[:6] == MAC_B
    # An RA with a hop limit other than 255 was routed: ignored (RFC 4861 §7.1).
    bad = encode_ethernet(
        b"\x33\x33\x00\x00\x00\x01", MAC_B, 0x86DD, encode_ipv6(router_ll, ALL_NODES, 58, icmp, hop_limit=64)
    )
    assert isinstance(Host(MAC_C).receive(0, bad).events[0], Dropped)


def test_neighbour_solicitation_gives_up_after_three_tries():
    lan, a, b = _pair()
    lan.call(0, lambda now: a.ping(now, "fd00::99"))
    lan.run(5_000 * MS)
    assert any("unreachable" in e.reason for e in lan.events_of("a", Dropped))


def test_frames_for_other_macs_are_filtered_and_garbage_dropped():
    a = Host(MAC_A, "10.0.0.1/24")
    f = encode_ethernet(MAC_B, MAC_C, 0x0800, encode_ipv4(ip4("10.0.0.3"), ip4("10.0.0.1"), 17, b""))
    assert isinstance(a.receive(0, f).events[0], Dropped)
    assert isinstance(a.receive(0, b"\x01").events[0], Dropped)
    assert "EtherType 0x88cc" in a.receive(0, encode_ethernet(MAC_A, MAC_B, 0x88CC, b"lldp")).events[0].reason


def test_bad_addresses_are_local_errors():
    with pytest.raises(LocalProtocolError, match="expected an IPv4 or IPv6 address"):
        Host(MAC_A, "10.0.0.1/24").ping(0, "10.0.0")


# --- switch -----------------------------------------------------------------


def test_switch_learns_and_stops_flooding():
    sw = Switch()
    for _ in range(3):
        sw.add_port()
    bcast = encode_ethernet(b"\xff" * 6, MAC_A, 0x0806, b"")
    assert [d.port for d in sw.send(0, 0, bcast)] == [1, 2]
    unknown = encode_ethernet(MAC_B, MAC_A, 0x0800, b"")
    assert [d.port for d in sw.send(0, 0, unknown)] == [1, 2]
    sw.send(0, 1, encode_ethernet(MAC_A, MAC_B, 0x0800, b""))
    assert sw.send(1, 0, unknown) == [Delivery(1, 1, unknown)]
    assert sw.send(1, 0, encode_ethernet(MAC_A, MAC_C, 0x0800, b"")) == []  # same port: filtered


def test_switch_latency_bandwidth_and_queueing():
    sw = Switch()
    sw.add_port(LinkProfile(latency=5 * MS, bandwidth=8_000_000))  # 1 byte per microsecond
    sw.add_port(LinkProfile(latency=5 * MS, bandwidth=8_000_000))
    f = encode_ethernet(b"\xff" * 6, MAC_A, 0x0800, bytes(986))  # 1000 bytes = 1 ms each way
    first = sw.send(0, 0, f)
    second = sw.send(0, 0, f)
    assert [d.at for d in first] == [12 * MS]
    assert [d.at for d in second] == [13 * MS]  # queued behind the first on both links


def test_switch_loss_is_seeded_and_max_frame_enforced():
    def run(seed):
        sw = Switch(seed)
        sw.add_port(LinkProfile(loss=0.3))
        sw.add_port()
        f = encode_ethernet(b"\xff" * 6, MAC_A, 0x0800, b"x")
        return [len(sw.send(i, 0, f)) for i in range(200)]

    assert run(1) == run(1) and run(1) != run(2)
    assert 0.2 < run(1).count(0) / 200 < 0.4
    sw = Switch()
    sw.add_port(LinkProfile(max_frame=100))
    sw.add_port()
    assert sw.send(0, 0, bytes(101)) == [] and sw.dropped == 1
    with pytest.raises(LocalProtocolError, match="port 5"):
        sw.send(0, 5, bytes(60))
    with pytest.raises(LocalProtocolError, match="link profile"):
        LinkProfile(loss=2.0)


def test_lossy_link_runs_are_reproducible_and_pings_eventually_pass():
    def run(seed):
        buf = io.BytesIO()
        lan, a, b = _pair(seed, LinkProfile(latency=MS, loss=0.2), PcapWriter(buf))
        for i in range(20):
            lan.call(0, lambda now, i=i: a.ping(now, "10.0.0.2", seq=i))
            lan.run(lan.now + 2_000 * MS)
        return buf.getvalue(), [e.seq for e in lan.events_of("a", PingReply)]

    (p1, r1), (p2, r2) = run(5), run(5)
    assert p1 == p2 and r1 == r2
    assert 5 < len(r1) < 20
    assert len(read_pcap(p1)) > 20


def test_runaway_loop_is_a_simulation_error():
    class Chatty:
        name = "chatty"

        def start(self, now):

            return Step(deadline=now)

        def receive(self, now, frame):
            raise AssertionError

        def timer(self, now):

            return Step(deadline=now + 1)

    lan = EndpointLan()
    lan.attach(Chatty())
    lan.start()
    with pytest.raises(SimulationError, match="did not settle"):
        lan.run(10**12, max_steps=1000)


def test_icmp_errors_and_ip_options_reach_the_host():
    from mirage_nb.sim.net.host import IcmpReceived
    from mirage_nb.sim.net.icmpv4 import encode_dest_unreachable

    a = Host(MAC_A, "10.0.0.1/24")
    original = encode_ipv4(ip4("10.0.0.1"), ip4("10.0.0.9"), 17, b"\x00\x01\x00\x02\x00\x08\x00\x00")
    icmp = encode_dest_unreachable(3, original)
    pkt = encode_ipv4(ip4("10.0.0.9"), ip4("10.0.0.1"), 1, icmp, options=b"\x94\x04\x00\x00")
    step = a.receive(0, encode_ethernet(MAC_A, MAC_B, 0x0800, pkt))
    assert step.events == (IcmpReceived(ip4("10.0.0.9"), 3, 3, original[:28]),)


def test_echo_requests_to_broadcast_are_not_answered():
    from mirage_nb.sim.net.icmpv4 import encode_echo

    a = Host(MAC_A, "10.0.0.1/24")
    pkt = encode_ipv4(ip4("10.0.0.9"), ip4("10.0.0.255"), 1, encode_echo(True, 1, 1, b""))
    assert a.receive(0, encode_ethernet(b"\xff" * 6, MAC_B, 0x0800, pkt)).frames == ()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from([MAC_A, MAC_B, MAC_C, b"\xff" * 6]), st.integers(0, 1500)),
        max_size=40,
    ),
)
def test_same_seed_same_deliveries(seed, sends):
    def run():
        sw = Switch(seed)
        for _ in range(3):
            sw.add_port(LinkProfile(latency=3, bandwidth=10**9, loss=0.25))
        out = []
        for i, (port, dst, size) in enumerate(sends):
            src = (MAC_A, MAC_B, MAC_C)[port]
            out.append(sw.send(i * 1000, port, encode_ethernet(dst, src, 0x0800, bytes(size))))
        return out

    assert run() == run()


class _AlwaysRough(Switch):
    """A switch that never takes the fast flood of an all-ideal, idle LAN: the per-port loop, as a reference."""

    def fan_out(self, now, port, frame):
        self.links.rough += 1
        try:
            return super().fan_out(now, port, frame)
        finally:
            self.links.rough -= 1


_PROFILES = [LinkProfile(), LinkProfile(latency=5000), LinkProfile(loss=0.3), LinkProfile(bandwidth=10**8)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(st.sampled_from(range(len(_PROFILES))), min_size=2, max_size=6),
    st.lists(
        st.tuples(st.integers(0, 30_000), st.integers(0, 5), st.booleans(), st.integers(14, 300), st.integers(-8, 24)),
        max_size=40,
    ),
)
def test_the_fast_flood_of_an_ideal_lan_is_the_per_port_flood(seed, links, sends):
    # Links swapped as the run goes (lab.set_link, a fleet's unplug): an ideal LAN's flood must not differ once
    # a link that queued frames is ideal again, nor after.
    fast, slow = Switch(seed), _AlwaysRough(seed)
    for k in links:
        fast.add_port(_PROFILES[k])
        slow.add_port(_PROFILES[k])
    now = 0
    macs = [bytes([2, 0, 0, 0, 0, i]) for i in range(len(links))]
    for step, port, broadcast, size, swap in sends:
        now += step
        port %= len(links)
        if 0 <= swap < len(links) * len(_PROFILES):
            fast.links[swap % len(links)] = slow.links[swap % len(links)] = _PROFILES[swap // len(links)]
        dst = b"\xff" * 6 if broadcast else macs[(port + size) % len(macs)]
        frame = dst + macs[port] + bytes(size - 12)
        assert fast.fan_out(now, port, frame) == slow.fan_out(now, port, frame)
    assert fast.dropped == slow.dropped
