"""The sans-IO router machine: ARP on each side, TTL and checksum, the ICMP errors it sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.errors import LocalProtocolError
from mirage_nb.sim.net.arp import OP_REPLY, decode_arp, encode_arp
from mirage_nb.sim.net.ethernet import ETHERTYPE_ARP, ETHERTYPE_IPV4, decode_ethernet, encode_ethernet
from mirage_nb.sim.net.icmpv4 import DEST_UNREACHABLE, TIME_EXCEEDED, decode_icmpv4
from mirage_nb.sim.net.ipv4 import decode_ipv4, encode_ipv4
from mirage_nb.sim.net.router import Forwarded, Router, RouterInterface

RA, RB = b"\x02\x00\x00\x00\x00\x0a", b"\x02\x00\x00\x00\x00\x0b"
HA, HB = b"\x02\x00\x00\x00\x01\x01", b"\x02\x00\x00\x00\x02\x02"
IPA, IPB = bytes([10, 0, 0, 2]), bytes([10, 0, 1, 5])


def router() -> Router:
    r = Router([RouterInterface.of_cidr("a", RA, "10.0.0.1/24"), RouterInterface.of_cidr("b", RB, "10.0.1.1/24")])
    step = r.start(0)
    assert [lan for lan, _ in step.frames] == ["a", "b"]  # a gratuitous ARP on each LAN
    return r


def from_a(packet: bytes) -> bytes:
    return encode_ethernet(RA, HA, ETHERTYPE_IPV4, packet)


def test_forwarding_waits_for_arp_then_decrements_ttl_with_a_valid_checksum():
    r = router()
    packet = encode_ipv4(IPA, IPB, 17, b"payload!", ttl=64, ident=7)
    step = r.receive(10, "a", from_a(packet))
    ((lan, request),) = step.frames
    assert lan == "b" and decode_arp(decode_ethernet(request).payload).tpa == IPB
    assert [type(e) for e in step.events] == [Forwarded]
    reply = encode_ethernet(RB, HB, ETHERTYPE_ARP, encode_arp(OP_REPLY, HB, IPB, RB, bytes([10, 0, 1, 1])))
    ((lan, frame),) = r.receive(20, "b", reply).frames
    eth = decode_ethernet(frame)
    assert lan == "b" and eth.dst == HB and eth.src == RB
    ip = decode_ipv4(eth.payload)  # validates the header checksum
    assert (ip.ttl, ip.ident, ip.payload) == (63, 7, b"payload!")
    # Once resolved, the next packet goes at once.
    ((lan, frame),) = r.receive(30, "a", from_a(packet)).frames
    assert lan == "b" and decode_ipv4(decode_ethernet(frame).payload).ttl == 63


@given(st.integers(2, 255), st.binary(max_size=64), st.integers(0, 0xFFFF))
def test_the_forwarded_header_is_the_original_with_ttl_minus_one(ttl, payload, ident):
    r = router()
    reply = encode_ethernet(RB, HB, ETHERTYPE_ARP, encode_arp(OP_REPLY, HB, IPB, RB, bytes([10, 0, 1, 1])))
    r.receive(0, "a", from_a(encode_ipv4(IPA, IPB, 17, b"", ttl=5)))
    r.receive(0, "b", reply)
    ((_, frame),) = r.receive(1, "a", from_a(encode_ipv4(IPA, IPB, 6, payload, ttl=ttl, ident=ident))).frames
    assert decode_ethernet(frame).payload == encode_ipv4(IPA, IPB, 6, payload, ttl=ttl - 1, ident=ident)


def test_ttl_one_gets_time_exceeded_and_no_route_gets_unreachable():
    r = router()
    reply = encode_ethernet(RA, HA, ETHERTYPE_ARP, encode_arp(OP_REPLY, HA, IPA, RA, bytes([10, 0, 0, 1])))
    for dst, ttl, expected in ((IPB, 1, TIME_EXCEEDED), (bytes([192, 168, 9, 9]), 64, DEST_UNREACHABLE)):
        packet = encode_ipv4(IPA, dst, 17, b"12345678abc", ttl=ttl)
        frames = r.receive(1, "a", from_a(packet)).frames
        if decode_ethernet(frames[0][1]).ethertype == ETHERTYPE_ARP:  # the router asks who the sender is, once
            frames = r.receive(2, "a", reply).frames
        ((lan, frame),) = frames
        ip = decode_ipv4(decode_ethernet(frame).payload)
        msg = decode_icmpv4(ip.payload)
        assert (lan, ip.src, ip.dst, msg.type) == ("a", bytes([10, 0, 0, 1]), IPA, expected)
        assert msg.payload == packet[:28]  # the header and the first 8 bytes
    assert r.forwarded == 0


def test_broadcasts_and_other_hosts_frames_are_not_forwarded():
    r = router()
    bcast = encode_ipv4(IPA, bytes([10, 0, 1, 255]), 17, b"x")
    assert r.receive(0, "a", from_a(bcast)).frames == ()
    other = encode_ethernet(HB, HA, ETHERTYPE_IPV4, encode_ipv4(IPA, IPB, 17, b"x"))
    assert r.receive(0, "a", other).frames == ()


def test_interfaces_must_not_overlap():
    with pytest.raises(LocalProtocolError, match="overlap"):
        Router([RouterInterface.of_cidr("a", RA, "10.0.0.1/16"), RouterInterface.of_cidr("b", RB, "10.0.1.1/24")])
