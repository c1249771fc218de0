"""IPv4: header codec, fragmentation and reassembly, routing through ARP."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy
from hypothesis import given
from hypothesis import strategies as st
from net_support import IP_A, IP_B, MAC_A, MAC_B, arp_frames, tick_time

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped
from mirage_nb.sim.net.arp import OP_REPLY, encode_arp
from mirage_nb.sim.net.ethernet import ETHERTYPE_IPV4, decode_ethernet
from mirage_nb.sim.net.ipv4 import (
    FLAG_DF,
    FLAG_MF,
    REASSEMBLY_TIMEOUT,
    Ipv4Layer,
    Ipv4Packet,
    Ipv4Received,
    Reassembler,
    decode_ipv4,
    encode_ipv4,
    fragment_payload,
    pseudo_header_v4,
)

addr4 = st.binary(min_size=4, max_size=4)


def test_pseudo_header_layout():
    assert pseudo_header_v4(IP_A, IP_B, 6, 20) == IP_A + IP_B + b"\x00\x06\x00\x14"


@given(addr4, addr4, st.integers(0, 255), st.binary(max_size=200), st.integers(1, 255), st.integers(0, 0xFFFF))
def test_round_trip(src, dst, proto, payload, ttl, ident):
    wire = encode_ipv4(src, dst, proto, payload, ttl=ttl, ident=ident)
    pkt = decode_ipv4(wire)
    assert (pkt.src, pkt.dst, pkt.proto, pkt.ttl, pkt.ident, pkt.payload) == (src, dst, proto, ttl, ident, payload)
    assert pkt.encode() == wire


def test_checksum_matches_scapy():
    wire = encode_ipv4(IP_A, IP_B, 17, b"x" * 33, ttl=17, ident=0x1234, tos=0x10)
    ref = scapy.IP(wire)
    del ref.chksum
    assert bytes(ref) == wire


def test_options_are_tolerated_and_kept():
    opts = b"\x94\x04\x00\x00"  # router alert
    wire = encode_ipv4(IP_A, IP_B, 2, b"igmp", options=opts)
    pkt = decode_ipv4(wire)
    assert pkt.options == opts and pkt.payload == b"igmp"
    assert decode_ipv4(pkt.encode()) == pkt


def test_trailing_padding_is_trimmed_by_total_length():
    wire = encode_ipv4(IP_A, IP_B, 17, b"abc")
    assert decode_ipv4(wire + bytes(20)) == decode_ipv4(wire)


def test_every_truncation_is_a_named_error():
    wire = encode_ipv4(IP_A, IP_B, 17, b"0123456789", options=b"\x01\x01\x01\x00")
    for n in range(len(wire)):
        with pytest.raises(RemoteProtocolError, match="ipv4: bad"):
            decode_ipv4(wire[:n])


@pytest.mark.parametrize(
    "patch, field",
    [
        (lambda b: b.__setitem__(0, 0x65), "version"),
        (lambda b: b.__setitem__(0, 0x44), "IHL"),
        (lambda b: b.__setitem__(3, 200), "total length"),
        (lambda b: b.__setitem__(8, 1), "checksum"),
    ],
)
def test_corruptions_name_the_field(patch, field):
    wire = bytearray(encode_ipv4(IP_A, IP_B, 17, b"hello"))
    patch(wire)
    with pytest.raises(RemoteProtocolError, match=field):
        decode_ipv4(bytes(wire))


def test_oversized_packets_and_options_are_refused_on_encode():
    with pytest.raises(LocalProtocolError, match="65535"):
        encode_ipv4(IP_A, IP_B, 17, bytes(70000))
    with pytest.raises(LocalProtocolError, match="options"):
        encode_ipv4(IP_A, IP_B, 17, b"", options=bytes(44))


# --- fragmentation and reassembly ------------------------------------------------


def test_fragmenting_4000_bytes_at_mtu_1500():
    pieces = fragment_payload(bytes(range(256)) * 16, 1500)
    assert [(f & FLAG_MF, (f & 0x1FFF) * 8, len(p)) for f, p in pieces] == [
        (FLAG_MF, 0, 1480),
        (FLAG_MF, 1480, 1480),
        (0, 2960, 1136),
    ]


def _fragments(payload: bytes, mtu: int, ident: int = 7) -> list[Ipv4Packet]:
    return [
        decode_ipv4(encode_ipv4(IP_A, IP_B, 17, piece, ident=ident, frag=frag))
        for frag, piece in fragment_payload(payload, mtu)
    ]


@given(st.binary(min_size=1, max_size=3000), st.integers(68, 1500), st.randoms(use_true_random=False))
def test_reassembly_in_any_order_gives_the_packet_back(payload, mtu, rnd):
    frags = _fragments(payload, mtu)
    rnd.shuffle(frags)
    frags.append(frags[0])  # a duplicate is harmless
    r = Reassembler()
    results = [r.add(0, f) for f in frags]
    whole = [x for x in results if isinstance(x, Ipv4Packet)]
    if len(frags) == 2:  # unfragmented: add() sees a "complete" single piece
        assert whole[0].payload == payload
        return
    assert len(whole) == 1 and whole[0].payload == payload and whole[0].frag == 0


def test_incomplete_packets_time_out():
    r = Reassembler()
    frags = _fragments(bytes(3000), 1500)
    assert r.add(0, frags[0]) is None
    assert r.deadline == REASSEMBLY_TIMEOUT
    assert r.expire(REASSEMBLY_TIMEOUT - 1) == []
    (drop,) = r.expire(REASSEMBLY_TIMEOUT)
    assert isinstance(drop, Dropped) and "timed out" in drop.reason
    assert len(r) == 0


def test_conflicting_overlap_drops_the_packet():
    r = Reassembler()
    a = decode_ipv4(encode_ipv4(IP_A, IP_B, 17, b"A" * 16, ident=1, frag=FLAG_MF))
    b = decode_ipv4(encode_ipv4(IP_A, IP_B, 17, b"B" * 16, ident=1, frag=FLAG_MF | 1))
    c = decode_ipv4(encode_ipv4(IP_A, IP_B, 17, b"C" * 8, ident=1, frag=3))
    assert r.add(0, a) is None
    assert r.add(0, c) is None
    out = r.add(0, b)
    assert isinstance(out, Dropped) and "differ" in out.reason


def test_too_many_fragments_drop_the_packet():
    r = Reassembler()
    out = None
    for i in range(17):
        f = decode_ipv4(encode_ipv4(IP_A, IP_B, 17, b"z" * 8, ident=2, frag=FLAG_MF | i))
        out = r.add(0, f)
    assert isinstance(out, Dropped) and "more than 16" in out.reason


# --- the layer: routing and ARP --------------------------------------------------


def _layer(gateway="10.0.0.1"):
    ip = Ipv4Layer(MAC_B, "10.0.0.2/24", gateway)
    ip.start(0)
    return ip


def test_on_link_destination_is_resolved_directly():
    ip = _layer()
    step = ip.send(0, bytes([10, 0, 0, 7]), 17, b"data")
    ((dst, req),) = arp_frames(step)
    assert dst == BROADCAST_MAC and req.tpa == bytes([10, 0, 0, 7]) and req.spa == IP_B


def test_off_link_destination_goes_to_the_gateway_and_waits_for_arp():
    ip = _layer()
    step = ip.send(0, bytes([8, 8, 8, 8]), 17, b"data")
    ((_, req),) = arp_frames(step)
    assert req.tpa == IP_A  # the gateway
    # A second packet to the same next hop waits without a second request.
    assert ip.send(0, bytes([8, 8, 4, 4]), 17, b"more").frames == ()
    out = ip.arp_input(1, encode_arp(OP_REPLY, MAC_A, IP_A, MAC_B, IP_B))
    eths = [decode_ethernet(f) for f in out.frames]
    assert [(e.dst, e.ethertype) for e in eths] == [(MAC_A, ETHERTYPE_IPV4)] * 2
    assert [decode_ipv4(e.payload).dst for e in eths] == [bytes([8, 8, 8, 8]), bytes([8, 8, 4, 4])]


def test_no_gateway_means_no_route():
    ip = _layer(gateway=None)
    step = ip.send(0, bytes([8, 8, 8, 8]), 17, b"data")
    assert step.frames == () and "no route" in step.events[0].reason


def test_broadcast_needs_no_arp():
    ip = _layer()
    (frame,) = ip.send(0, b"\xff\xff\xff\xff", 17, b"hello").frames
    assert decode_ethernet(frame).dst == BROADCAST_MAC
    (frame,) = ip.send(0, bytes([10, 0, 0, 255]), 17, b"hello").frames
    assert decode_ethernet(frame).dst == BROADCAST_MAC


def test_arp_timeout_drops_waiting_packets():
    ip = _layer()
    ip.send(0, bytes([10, 0, 0, 9]), 17, b"lost")
    events = []
    for k in range(1, 7):
        events += ip.timer(tick_time(k)).events
    assert [e for e in events if isinstance(e, Dropped)][0].reason.startswith("ARP timed out for 10.0.0.9; 1")


def test_large_payload_is_fragmented_and_reassembled_by_the_peer():
    a = Ipv4Layer(MAC_A, "10.0.0.1/24")
    b = Ipv4Layer(MAC_B, "10.0.0.2/24")
    a.arp.static(0, IP_B, MAC_B)
    payload = random.Random(1).randbytes(5000)
    step = a.send(0, IP_B, 17, payload)
    assert len(step.frames) == 4 and all(len(f) <= 1514 for f in step.frames)
    got = []
    for f in reversed(step.frames):
        got += [e for e in b.receive(0, decode_ethernet(f).payload).events if isinstance(e, Ipv4Received)]
    assert len(got) == 1 and got[0].packet.payload == payload


def test_dont_fragment_above_mtu_is_refused():
    a = Ipv4Layer(MAC_A, "10.0.0.1/24")
    with pytest.raises(LocalProtocolError, match="don't-fragment"):
        a.send(0, IP_B, 17, bytes(2000), dont_fragment=True)
    a.arp.static(0, IP_B, MAC_B)
    (f,) = a.send(0, IP_B, 17, bytes(100), dont_fragment=True).frames
    assert decode_ipv4(decode_ethernet(f).payload).frag == FLAG_DF


def test_packets_for_others_are_dropped():
    b = _layer()
    step = b.receive(0, encode_ipv4(IP_A, bytes([10, 0, 0, 99]), 17, b""))
    assert isinstance(step.events[0], Dropped) and "not for us" in step.events[0].reason


def test_bad_configuration_is_a_local_error():
    with pytest.raises(LocalProtocolError, match="10.0.0.300/24"):
        Ipv4Layer(MAC_A, "10.0.0.300/24")
    with pytest.raises(LocalProtocolError, match="gateway"):
        Ipv4Layer(MAC_A, "10.0.0.3/24", "nope")


def test_arp_timeouts_noticed_while_sending_elsewhere_still_drop_waiting_packets():
    ip = _layer()
    ip.send(0, bytes([10, 0, 0, 9]), 17, b"lost")
    # No timer call in between: the next send notices the expired query itself.
    step = ip.send(tick_time(10), bytes([10, 0, 0, 8]), 17, b"other")
    assert any(isinstance(e, Dropped) and "10.0.0.9" in e.reason for e in step.events)
    assert not ip._waiting.get(bytes([10, 0, 0, 9]))
