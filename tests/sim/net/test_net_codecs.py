"""Ethernet, ICMPv4, UDP, IPv6 and ICMPv6/ND codecs, checked against scapy as an oracle."""

from __future__ import annotations

import pytest
import scapy.all as scapy
from hypothesis import given
from hypothesis import strategies as st
from net_support import IP_A, IP_B, MAC_A, MAC_B

from mirage_nb.errors import RemoteProtocolError
from mirage_nb.sim.net._base import ip6
from mirage_nb.sim.net.checksum import fold, internet_checksum, ones_complement_sum, raw_sum
from mirage_nb.sim.net.ethernet import decode_ethernet, encode_ethernet
from mirage_nb.sim.net.icmpv4 import (
    DEST_UNREACHABLE,
    ECHO_REPLY,
    ECHO_REQUEST,
    decode_icmpv4,
    echo_reply_for,
    encode_dest_unreachable,
    encode_echo,
)
from mirage_nb.sim.net.icmpv6 import (
    NEIGHBOR_ADVERTISEMENT,
    NEIGHBOR_SOLICITATION,
    ROUTER_ADVERTISEMENT,
    NeighborAdvertisement,
    NeighborSolicitation,
    PrefixInfo,
    RouterAdvertisement,
    decode_icmpv6,
    decode_ndp,
    encode_icmpv6,
    encode_neighbor_advertisement,
    encode_neighbor_solicitation,
    encode_router_advertisement,
)
from mirage_nb.sim.net.ipv4 import encode_ipv4
from mirage_nb.sim.net.ipv6 import (
    NEXT_ICMPV6,
    decode_ipv6,
    encode_ipv6,
    link_local_from_mac,
    pseudo_header_v6,
    solicited_node,
)
from mirage_nb.sim.net.udp import decode_udp, encode_udp

V6_A = ip6("fd00::1")
V6_B = ip6("fd00::2")


def _words_sum(data: bytes) -> int:
    """The textbook RFC 1071 loop, as a second opinion on the big-integer trick."""
    if len(data) % 2:
        data += b"\x00"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return s


@given(st.binary(max_size=300))
def test_checksum_paths_agree(data):
    assert ones_complement_sum(data) == _words_sum(data)
    assert internet_checksum(data) == fold(raw_sum(data))
    if len(data) % 2 == 0:
        # Data followed by its checksum sums to "-0": what receivers check.
        assert _words_sum(data + internet_checksum(data).to_bytes(2, "big")) == 0xFFFF


# --- Ethernet ----------------------------------------------------------------


@given(st.binary(min_size=6, max_size=6), st.binary(min_size=6, max_size=6), st.integers(0, 0xFFFF), st.binary())
def test_ethernet_round_trip(dst, src, t, payload):
    f = decode_ethernet(encode_ethernet(dst, src, t, payload))
    assert (f.dst, f.src, f.ethertype, f.payload) == (dst, src, t, payload)
    assert f.encode() == encode_ethernet(dst, src, t, payload)


def test_ethernet_short_header():
    for n in range(14):
        with pytest.raises(RemoteProtocolError, match="ethernet: bad header length"):
            decode_ethernet(bytes(n))


# --- ICMPv4 -----------------------------------------------------------------


def test_echo_request_gets_a_matching_reply():
    req = encode_echo(True, 0x1234, 7, b"ping data")
    assert bytes(scapy.ICMP(req)) == req
    ref = scapy.ICMP(req)
    del ref.chksum
    assert bytes(scapy.ICMP(bytes(ref))) == req
    msg = decode_icmpv4(req)
    assert (msg.type, msg.ident, msg.seq, msg.payload) == (ECHO_REQUEST, 0x1234, 7, b"ping data")
    reply = decode_icmpv4(echo_reply_for(msg))
    assert (reply.type, reply.ident, reply.seq, reply.payload) == (ECHO_REPLY, 0x1234, 7, b"ping data")
    assert echo_reply_for(reply) is None


def test_icmp_bad_checksum_and_length():
    req = bytearray(encode_echo(True, 1, 1, b"x"))
    req[-1] ^= 1
    with pytest.raises(RemoteProtocolError, match="icmpv4: bad checksum"):
        decode_icmpv4(bytes(req))
    with pytest.raises(RemoteProtocolError, match="icmpv4: bad length"):
        decode_icmpv4(b"\x08\x00\x00")


def test_destination_unreachable_quotes_header_and_eight_bytes():
    original = encode_ipv4(IP_A, IP_B, 17, encode_udp(IP_A, IP_B, 1000, 2000, b"abcdefgh"))
    msg = decode_icmpv4(encode_dest_unreachable(3, original))
    assert (msg.type, msg.code) == (DEST_UNREACHABLE, 3)
    assert msg.payload == original[:28]
    assert scapy.ICMP(encode_dest_unreachable(3, original)).type == 3


# --- UDP --------------------------------------------------------------------


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(max_size=300), st.booleans())
def test_udp_round_trip_v4_and_v6(sport, dport, payload, v6):
    src, dst = (V6_A, V6_B) if v6 else (IP_A, IP_B)
    wire = encode_udp(src, dst, sport, dport, payload)
    d = decode_udp(wire, src, dst)
    assert (d.src_port, d.dst_port, d.payload) == (sport, dport, payload)
    assert wire[6:8] != b"\x00\x00"


@pytest.mark.parametrize("v6", [False, True])
def test_udp_checksum_matches_scapy(v6):
    src, dst = (V6_A, V6_B) if v6 else (IP_A, IP_B)
    wire = encode_udp(src, dst, 5353, 53, b"odd-length!")
    if v6:
        pkt = scapy.IPv6(src="fd00::1", dst="fd00::2") / scapy.UDP(sport=5353, dport=53) / b"odd-length!"
        ref = bytes(pkt)[40:]
    else:
        pkt = scapy.IP(src="10.0.0.1", dst="10.0.0.2") / scapy.UDP(sport=5353, dport=53) / b"odd-length!"
        ref = bytes(pkt)[20:]
    assert wire == ref


def test_udp_zero_checksum_means_none_on_v4_only():
    wire = bytearray(encode_udp(IP_A, IP_B, 1, 2, b"hi"))
    wire[6:8] = b"\x00\x00"
    assert decode_udp(bytes(wire), IP_A, IP_B).payload == b"hi"
    wire6 = bytearray(encode_udp(V6_A, V6_B, 1, 2, b"hi"))
    wire6[6:8] = b"\x00\x00"
    with pytest.raises(RemoteProtocolError, match="udp: bad checksum"):
        decode_udp(bytes(wire6), V6_A, V6_B)


def test_udp_length_and_checksum_errors():
    wire = encode_udp(IP_A, IP_B, 1, 2, b"hello")
    for n in range(len(wire)):
        with pytest.raises(RemoteProtocolError, match="udp: bad"):
            decode_udp(wire[:n], IP_A, IP_B)
    assert decode_udp(wire + b"pad", IP_A, IP_B).payload == b"hello"
    with pytest.raises(RemoteProtocolError, match="udp: bad checksum"):
        decode_udp(wire, IP_A, bytes([10, 0, 0, 3]))
    with pytest.raises(RemoteProtocolError, match="udp: bad length"):
        decode_udp(wire[:4] + b"\x00\x07" + wire[6:], IP_A, IP_B)


# --- IPv6 -------------------------------------------------------------------


def test_pseudo_header_v6_layout():
    ph = pseudo_header_v6(V6_A, V6_B, 6, 70000)
    assert len(ph) == 40 and ph[32:36] == (70000).to_bytes(4, "big") and ph[36:] == b"\x00\x00\x00\x06"


@given(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16), st.binary(max_size=200))
def test_ipv6_round_trip(src, dst, payload):
    wire = encode_ipv6(src, dst, 17, payload, hop_limit=9, traffic_class=3, flow_label=0x12345)
    p = decode_ipv6(wire + b"trailer")
    assert (p.src, p.dst, p.next_header, p.hop_limit, p.traffic_class, p.flow_label, p.payload) == (
        src,
        dst,
        17,
        9,
        3,
        0x12345,
        payload,
    )
    assert bytes(scapy.IPv6(wire)) == wire


def test_ipv6_extension_headers_are_skipped():
    pkt = (
        scapy.IPv6(src="fd00::1", dst="fd00::2")
        / scapy.IPv6ExtHdrHopByHop()
        / scapy.IPv6ExtHdrDestOpt()
        / scapy.IPv6ExtHdrFragment(id=9, m=1, offset=0)
        / scapy.UDP(sport=1, dport=2)
        / b"x"
    )
    p = decode_ipv6(bytes(pkt))
    assert p.next_header == 17 and p.fragment == (0, True, 9)
    assert p.payload == bytes(pkt[scapy.UDP])


def test_ipv6_errors_name_the_field():
    wire = encode_ipv6(V6_A, V6_B, 17, b"abcd")
    for n in range(len(wire)):
        with pytest.raises(RemoteProtocolError, match="ipv6: bad"):
            decode_ipv6(wire[:n])
    with pytest.raises(RemoteProtocolError, match="version"):
        decode_ipv6(b"\x40" + wire[1:])
    bad_ext = encode_ipv6(V6_A, V6_B, 0, b"\x11\x05" + bytes(6))  # hop-by-hop claiming 48 bytes
    with pytest.raises(RemoteProtocolError, match="extension header 0 length"):
        decode_ipv6(bad_ext)


def test_addresses_from_mac():
    assert link_local_from_mac(bytes.fromhex("525400123456")) == ip6("fe80::5054:ff:fe12:3456")
    assert solicited_node(ip6("fd00::1234:5678")) == ip6("ff02::1:ff34:5678")


# --- ICMPv6 / ND ------------------------------------------------------------


def test_neighbor_solicitation_matches_scapy():
    body = encode_neighbor_solicitation(V6_B, MAC_A)
    dst = solicited_node(V6_B)
    msg = encode_icmpv6(V6_A, dst, NEIGHBOR_SOLICITATION, 0, body)
    ref = (
        scapy.IPv6(src="fd00::1", dst="ff02::1:ff00:2")
        / scapy.ICMPv6ND_NS(tgt="fd00::2")
        / (scapy.ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"))
    )
    assert msg == bytes(ref)[40:]
    m = decode_icmpv6(msg, V6_A, dst)
    assert decode_ndp(m) == NeighborSolicitation(V6_B, MAC_A)


def test_neighbor_advertisement_round_trip():
    body = encode_neighbor_advertisement(V6_B, MAC_B, router=True, solicited=True, override=False)
    m = decode_icmpv6(encode_icmpv6(V6_B, V6_A, NEIGHBOR_ADVERTISEMENT, 0, body), V6_B, V6_A)
    assert decode_ndp(m) == NeighborAdvertisement(V6_B, True, True, False, MAC_B)


def test_router_advertisement_parsed_as_scapy_builds_it():
    ref = (
        scapy.IPv6(src="fe80::1", dst="ff02::1", hlim=255)
        / scapy.ICMPv6ND_RA(chlim=64, M=0, O=1, prf=0, routerlifetime=1800, reachabletime=30000, retranstimer=1000)
        / scapy.ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
        / scapy.ICMPv6NDOptMTU(mtu=1400)
        / scapy.ICMPv6NDOptPrefixInfo(
            prefix="2001:db8::", prefixlen=64, L=1, A=1, validlifetime=86400, preferredlifetime=14400
        )
    )
    p = decode_ipv6(bytes(ref))
    ra = decode_ndp(decode_icmpv6(p.payload, p.src, p.dst))
    assert ra == RouterAdvertisement(
        64,
        False,
        True,
        1800,
        30000,
        1000,
        MAC_A,
        1400,
        (PrefixInfo(ip6("2001:db8::"), 64, True, True, 86400, 14400),),
    )
    assert encode_router_advertisement(ra) == bytes(ref[scapy.ICMPv6ND_RA])[4:]
    assert p.next_header == NEXT_ICMPV6


def test_ndp_option_errors():
    body = bytes(4) + V6_B + b"\x01\x00" + bytes(6)  # zero-length option
    m = decode_icmpv6(encode_icmpv6(V6_A, V6_B, NEIGHBOR_SOLICITATION, 0, body), V6_A, V6_B)
    with pytest.raises(RemoteProtocolError, match="option length"):
        decode_ndp(m)
    m = decode_icmpv6(encode_icmpv6(V6_A, V6_B, ROUTER_ADVERTISEMENT, 0, b"\x40"), V6_A, V6_B)
    with pytest.raises(RemoteProtocolError, match="ndp: bad length"):
        decode_ndp(m)


def test_icmpv6_checksum_covers_the_pseudo_header():
    msg = encode_icmpv6(V6_A, V6_B, 128, 0, b"\x00\x01\x00\x01hi")
    assert decode_icmpv6(msg, V6_A, V6_B).body == b"\x00\x01\x00\x01hi"
    with pytest.raises(RemoteProtocolError, match="icmpv6: bad checksum"):
        decode_icmpv6(msg, V6_A, ip6("fd00::3"))


def test_fast_record_maker_builds_ordinary_frozen_records():
    import dataclasses

    from mirage_nb.sim.net._base import record_maker
    from mirage_nb.sim.net.ipv4 import Ipv4Packet

    make = record_maker(Ipv4Packet)
    fields = (IP_A, IP_B, 17, 64, 1, 0, 0, b"", b"data")
    fast, slow = make(*fields), Ipv4Packet(*fields)
    assert type(fast) is Ipv4Packet and fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.ttl = 1  # type: ignore[misc]
