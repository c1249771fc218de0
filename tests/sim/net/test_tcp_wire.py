"""TCP segment codec: real vectors, scapy as an oracle, round trips, malformed input."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.errors import RemoteProtocolError
from mirage_nb.sim.net.tcp import Segment, decode, encode
from mirage_nb.sim.net.tcp.wire import checksum, encode_options

V4_A, V4_B = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
V6_A = bytes.fromhex("fd000000000000000000000000000001")
V6_B = bytes.fromhex("fd000000000000000000000000000002")

# A SYN's options as a Linux kernel sent them (research/netstack.md §3d):
# MSS 1460, SACK-permitted, timestamps, NOP, window scale 10.
LINUX_SYN_OPTIONS = bytes.fromhex("020405b40402080a0001e240000000000103030a")


def _raw(sport, dport, seq, ack, flags, window, options=b"", payload=b"", src=V4_A, dst=V4_B):
    """Build a segment by hand with struct and fill in the checksum through the pseudo-header path."""
    off = (20 + len(options)) // 4
    head = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, window, 0, 0) + options
    data = head + payload
    c = (~checksum(src, dst, data)) & 0xFFFF
    return data[:16] + struct.pack("!H", c) + data[18:]


def test_linux_syn_options_decode():
    data = _raw(43210, 80, 123456789, 0, 0x02, 64240, LINUX_SYN_OPTIONS)
    seg = decode(data, V4_A, V4_B)
    assert (seg.src_port, seg.dst_port, seg.seq, seg.flags, seg.window) == (43210, 80, 123456789, 2, 64240)
    assert seg.mss == 1460 and seg.sack_permitted and seg.window_scale == 10
    assert seg.timestamps == (123456, 0)
    assert seg.sack_blocks == () and seg.unknown_options == ()
    assert seg.seg_len == 1


def test_syn_options_are_written_in_linux_order():
    seg = Segment(43210, 80, 1, mss=1460, sack_permitted=True, timestamps=(123456, 0), window_scale=10, flags=2)
    assert encode_options(seg) == LINUX_SYN_OPTIONS


def test_encoding_matches_scapy_field_by_field():
    import scapy.all as scapy

    seg = Segment(1234, 80, 0xFFFFFFF0, 77, 0x18, 512, b"hello, world", timestamps=(5, 6), sack_blocks=((100, 200),))
    pkt = scapy.IP(bytes(scapy.IP(src="10.77.0.1", dst="10.77.0.2", proto=6) / scapy.Raw(encode(seg, V4_A, V4_B))))
    tcp = pkt[scapy.TCP]
    assert (tcp.sport, tcp.dport, tcp.seq, tcp.ack, int(tcp.flags), tcp.window) == (1234, 80, 0xFFFFFFF0, 77, 0x18, 512)
    assert bytes(tcp.payload) == b"hello, world"
    opts = dict(tcp.options)
    assert opts["Timestamp"] == (5, 6) and opts["SAck"] == (100, 200)
    # scapy recomputes the checksum when asked to: it must equal ours.
    ours = tcp.chksum
    del tcp.chksum
    assert scapy.IP(bytes(pkt))[scapy.TCP].chksum == ours


def test_ipv6_checksum_matches_scapy():
    import scapy.all as scapy

    seg = Segment(1234, 80, 1, 2, 0x10, 100, b"odd")
    data = encode(seg, V6_A, V6_B)
    pkt = scapy.IPv6(src="fd00::1", dst="fd00::2", nh=6) / scapy.TCP(data)
    ours = pkt[scapy.TCP].chksum
    del pkt[scapy.TCP].chksum
    assert scapy.IPv6(bytes(pkt))[scapy.TCP].chksum == ours
    assert decode(data, V6_A, V6_B) == seg


def test_unknown_options_are_kept_but_do_not_matter():
    opts = bytes([30, 6, 1, 2, 3, 4]) + b"\x01\x01" + bytes.fromhex("020405b4")
    seg = decode(_raw(1, 2, 3, 4, 0x02, 5, opts), V4_A, V4_B)
    assert seg.unknown_options == ((30, b"\x01\x02\x03\x04"),) and seg.mss == 1460


def test_eol_ends_the_option_list():
    opts = bytes.fromhex("020405b4") + b"\x00" + b"\xff\xff\xff"  # garbage after EOL is padding
    assert decode(_raw(1, 2, 3, 4, 0x02, 5, opts), V4_A, V4_B).mss == 1460


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"\x00" * 19, "TCP header"),
        (struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 4 << 4, 0, 0, 0, 0), "data offset"),
        (struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 15 << 4, 0, 0, 0, 0), "data offset"),
    ],
)
def test_malformed_headers_name_the_field(data, field):
    with pytest.raises(RemoteProtocolError, match=field):
        decode(data, V4_A, V4_B)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        (bytes.fromhex("0205 05b4 00 000000"), "MSS: length 5"),
        (bytes.fromhex("0304 0a00"), "window scale"),
        (bytes.fromhex("0403 0000"), "SACK-permitted"),
        (bytes.fromhex("0506 0000 0000 0000"), "SACK: length 6"),
        (bytes.fromhex("0809 0000 0000 0000 00 000000"), "timestamps: length 9"),
        (bytes.fromhex("080a 0000 0000 0000"), "timestamps: length 10 .* does not fit"),
        (bytes.fromhex("0201 0000"), "MSS: length 1"),
        (bytes.fromhex("010101 02"), "length byte missing"),
        (bytes.fromhex("1e08 0000"), "kind 30: length 8 .* does not fit"),
    ],
)
def test_malformed_options_name_the_field(options, field):
    with pytest.raises(RemoteProtocolError, match=field):
        decode(_raw(1, 2, 3, 4, 0x10, 5, options), V4_A, V4_B)


def test_bad_checksum_is_refused_and_can_be_skipped():
    data = bytearray(encode(Segment(1, 2, 3, 4, 0x10, 5, b"payload"), V4_A, V4_B))
    data[-1] ^= 0x40
    with pytest.raises(RemoteProtocolError, match="checksum"):
        decode(bytes(data), V4_A, V4_B)
    assert decode(bytes(data), V4_A, V4_B, verify_checksum=False).payload == b"payloa$"


def test_wrong_addresses_fail_the_checksum():
    data = encode(Segment(1, 2, 3, 4, 0x10, 5, b"x"), V4_A, V4_B)
    with pytest.raises(RemoteProtocolError, match="checksum"):
        decode(data, V4_B, bytes([10, 77, 0, 3]))


def test_port_zero_is_refused():
    with pytest.raises(RemoteProtocolError, match="port"):
        decode(_raw(0, 80, 1, 0, 0x02, 5), V4_A, V4_B)


# --------------------------------------------------------------- properties

u32 = st.integers(0, 2**32 - 1)
port = st.integers(1, 65535)
_KNOWN = {0, 1, 2, 3, 4, 5, 8}


@st.composite
def segments(draw):
    ts = draw(st.none() | st.tuples(u32, u32))
    sack_room = 3 if ts is not None else 4
    blocks = draw(st.lists(st.tuples(u32, u32), max_size=sack_room).map(tuple))
    seg = Segment(
        src_port=draw(port),
        dst_port=draw(port),
        seq=draw(u32),
        ack=draw(u32),
        flags=draw(st.integers(0, 255)),
        window=draw(st.integers(0, 65535)),
        payload=draw(st.binary(max_size=300)),
        urgent=draw(st.integers(0, 65535)),
        timestamps=ts,
        sack_blocks=blocks,
    )
    if not blocks and draw(st.booleans()):
        seg = Segment(
            **{f: getattr(seg, f) for f in ("src_port", "dst_port", "seq", "ack", "flags", "window", "payload")},
            mss=draw(st.integers(0, 65535)),
            window_scale=draw(st.integers(0, 14)),
            sack_permitted=draw(st.booleans()),
            timestamps=ts,
            unknown_options=tuple(
                draw(
                    st.lists(
                        st.tuples(st.integers(6, 255).filter(lambda k: k not in _KNOWN), st.binary(max_size=2)),
                        max_size=1,
                    )
                )
            ),
        )
    return seg


@settings(deadline=None)
@given(segments(), st.booleans())
def test_round_trip(seg, v6):
    src, dst = (V6_A, V6_B) if v6 else (V4_A, V4_B)
    data = encode(seg, src, dst)
    assert decode(data, src, dst) == seg
    # The fast folded checksum and the pseudo-header path agree: the whole sums to -0.
    assert checksum(src, dst, data) == 0xFFFF


@settings(deadline=None)
@given(segments())
def test_decoding_whole_and_with_trailing_bytes(seg):
    # Trailing bytes are payload to TCP (the IP length delimits a segment), so they change the checksum.
    data = encode(seg, V4_A, V4_B)
    with pytest.raises(RemoteProtocolError):
        if decode(data + b"\x00\x01", V4_A, V4_B).payload != seg.payload + b"\x00\x01":
            raise RemoteProtocolError("trailing bytes were accepted as something else")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.booleans())
def test_garbage_decodes_or_raises_our_error(data, check):
    try:
        decode(data, V4_A, V4_B, verify_checksum=check)
    except RemoteProtocolError:
        pass
