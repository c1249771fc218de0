"""Receive filters: what a host may drop before decoding is exactly what its full input path would drop unchanged.

The oracle is the machine itself: for any packet the filter ignores, a copy
of the machine that runs the full ``receive`` sends nothing, reports nothing
and ends in the same state. Also: a flood is delivered in the order of one
delivery per port, and a LAN of N hosts decodes a broadcast once per host
that it concerns.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from net_support import MAC_A, MAC_B, MAC_C

from mirage_nb.sim.net._base import ip4, ip6
from mirage_nb.sim.net.arp import OP_REPLY, OP_REQUEST, PROBE_DELAY, ArpCache, encode_arp, split_arp
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, encode_ethernet
from mirage_nb.sim.net.host import Host
from mirage_nb.sim.net.icmpv6 import NEIGHBOR_SOLICITATION, Ipv6Layer, encode_icmpv6, encode_neighbor_solicitation
from mirage_nb.sim.net.ipv6 import encode_ipv6, multicast_dst, multicast_mac, solicited_node
from mirage_nb.sim.net.switch import LinkProfile, Switch

IPS = [ip4(f"10.0.0.{i}") for i in range(1, 6)]


def _state(c: ArpCache) -> tuple:
    return (c.epoch, c._next_tick, dict(c._cache), list(c._lru), c._live, c.ip)


@settings(max_examples=300, deadline=None)
@given(
    ours=st.sampled_from(IPS),
    dynamic=st.lists(st.sampled_from(IPS), max_size=3),
    queried=st.lists(st.sampled_from(IPS), max_size=3),
    op=st.sampled_from([OP_REQUEST, OP_REPLY, 3]),
    spa=st.sampled_from(IPS),
    tpa=st.sampled_from(IPS),
    later=st.integers(0, 4 * PROBE_DELAY),
)
def test_an_arp_packet_the_cache_ignores_changes_nothing(ours, dynamic, queried, op, spa, tpa, later):
    c = ArpCache(MAC_A)
    c.start(0, ours)
    for i, ip in enumerate(dynamic):
        c.query(0, ip)
        c.receive(0, encode_arp(OP_REPLY, bytes([2, 0, 0, 0, 9, i]), ip, MAC_A, ours))
    for ip in queried:
        c.query(0, ip)
    payload = encode_arp(op, MAC_B, spa, MAC_C if op == OP_REPLY else bytes(6), tpa) if op != 3 else None
    if payload is None:
        payload = encode_arp(OP_REQUEST, MAC_B, spa, bytes(6), tpa)
        payload = payload[:7] + b"\x03" + payload[8:]
    if not c.ignores(later, payload):
        return
    twin, untouched = copy.deepcopy(c), copy.deepcopy(c)
    step = twin.receive(later, payload)
    assert step.frames == () and step.events == ()
    # the same as not receiving it: an idle cache only catches up on its tick count, as its next call would
    assert untouched.timer(later).frames == ()
    assert _state(twin) == _state(untouched)


def test_an_arp_request_for_our_address_or_a_reply_we_wait_for_is_not_ignored():
    c = ArpCache(MAC_A)
    c.start(0, IPS[0])
    assert not c.ignores(0, encode_arp(OP_REQUEST, MAC_B, IPS[1], bytes(6), IPS[0]))  # for us: we answer
    assert c.ignores(0, encode_arp(OP_REQUEST, MAC_B, IPS[1], bytes(6), IPS[2]))  # another host's question
    c.query(0, IPS[3])
    assert not c.ignores(0, encode_arp(OP_REPLY, MAC_B, IPS[3], MAC_A, IPS[0]))  # the answer we wait for
    assert c.ignores(0, encode_arp(OP_REPLY, MAC_B, IPS[4], MAC_C, IPS[1]))  # someone else's answer
    assert split_arp(b"\x00" * 10) is None and not c.ignores(0, b"\x00" * 10)  # malformed: the full path says so


def _dad(target: bytes) -> bytes:
    group = solicited_node(target)
    icmp = encode_icmpv6(bytes(16), group, NEIGHBOR_SOLICITATION, 0, encode_neighbor_solicitation(target, None))
    return encode_ipv6(bytes(16), group, 58, icmp, hop_limit=255)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 2**16 - 1), st.integers(1, 2**16 - 1))
def test_an_ipv6_multicast_the_layer_ignores_changes_nothing(mine, theirs):
    layer = Ipv6Layer(MAC_A, (f"fd00::{mine:x}/64",))
    pkt = _dad(ip6(f"fd00::{theirs:x}"))
    assert multicast_dst(pkt) == solicited_node(ip6(f"fd00::{theirs:x}"))
    if not layer.ignores(pkt):
        assert (mine & 0xFFFFFF) == (theirs & 0xFFFFFF) or solicited_node(ip6(f"fd00::{theirs:x}")) in {
            solicited_node(a) for a, _ in layer.addresses
        }
        return
    twin = copy.deepcopy(layer)
    before = copy.deepcopy(twin.__dict__)
    step = twin.receive(0, pkt)
    assert step.frames == () and all(getattr(e, "reason", "") == "not for us" for e in step.events)
    assert twin.__dict__.keys() == before.keys()


def test_a_host_ignores_another_hosts_broadcasts_only():
    h = Host(MAC_A, "10.0.0.1/24", ipv6=("fd00::1/64",))
    h.start(0)
    other_garp = encode_ethernet(
        b"\xff" * 6, MAC_B, ETHERTYPE_ARP, encode_arp(OP_REQUEST, MAC_B, IPS[1], bytes(6), IPS[1])
    )
    for_us = encode_ethernet(b"\xff" * 6, MAC_B, ETHERTYPE_ARP, encode_arp(OP_REQUEST, MAC_B, IPS[1], bytes(6), IPS[0]))
    other_dad = encode_ethernet(multicast_mac(solicited_node(ip6("fd00::2"))), MAC_B, 0x86DD, _dad(ip6("fd00::2")))
    assert h.ignores(0, other_garp) and h.ignores(0, other_dad)
    assert not h.ignores(0, for_us)
    assert h.receive(0, for_us).frames  # it answers
    unicast = encode_ethernet(MAC_A, MAC_B, ETHERTYPE_ARP, encode_arp(OP_REQUEST, MAC_B, IPS[1], bytes(6), IPS[2]))
    assert not h.ignores(0, unicast)  # a unicast frame is not a flood: the full path decides


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2**32),
    st.lists(st.tuples(st.integers(0, 1000), st.floats(0, 0.5)), min_size=2, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.booleans(), st.integers(14, 200)), max_size=30),
)
def test_fan_out_groups_are_the_deliveries_of_send(seed, links, sends):
    def switch() -> Switch:
        sw = Switch(seed)
        for latency, loss in links:
            sw.add_port(LinkProfile(latency=latency, loss=loss))
        return sw

    a, b = switch(), switch()
    for i, (port, broadcast, size) in enumerate(sends):
        port %= len(links)
        dst = b"\xff" * 6 if broadcast else (MAC_A, MAC_B, MAC_C)[i % 3]
        frame = encode_ethernet(dst, (MAC_A, MAC_B, MAC_C)[port % 3], 0x0800, bytes(size))
        flat = sorted(((at, p) for at, ps in a.fan_out(i * 100, port, frame) for p in ps), key=lambda d: (d[0], d[1]))
        assert flat == sorted(((d.at, d.port) for d in b.send(i * 100, port, frame)), key=lambda d: (d[0], d[1]))
