"""DHCP: codec, and the client/server exchanges of charrua's tests restated as packets in, packets out."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy
from hypothesis import given
from hypothesis import strategies as st
from net_support import MAC_A, MAC_B, MAC_C

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, Dropped, Step, ip4
from mirage_nb.sim.net.dhcp import (
    BOOTREPLY,
    BOOTREQUEST,
    DHCPACK,
    DHCPDISCOVER,
    DHCPNAK,
    DHCPOFFER,
    DHCPRELEASE,
    DHCPREQUEST,
    FLAG_BROADCAST,
    OPT_CLIENT_ID,
    OPT_HOSTNAME,
    OPT_LEASE_TIME,
    OPT_MESSAGE,
    OPT_MESSAGE_TYPE,
    OPT_PARAMETER_REQUESTS,
    OPT_REQUESTED_IP,
    OPT_ROUTERS,
    OPT_SERVER_ID,
    OPT_SUBNET_MASK,
    DhcpMessage,
    decode_dhcp,
    encode_dhcp,
)
from mirage_nb.sim.net.dhcp_charrua import DhcpServer, LeaseGranted
from mirage_nb.sim.net.dhcp_client import RENEW_INTERVAL, RETRY_INTERVAL, DhcpClient, LeaseObtained
from mirage_nb.sim.net.ethernet import decode_ethernet
from mirage_nb.sim.net.ipv4 import decode_ipv4
from mirage_nb.sim.net.udp import decode_udp

CLIENT_MAC = bytes.fromhex("00163ebaebba")
SERVER_MAC = bytes.fromhex("00163e000000")
SERVER_IP = "192.168.1.1"


def _server(**kw):
    # charrua's test defaults: 192.168.1.1/24 serving .15 to .65
    return DhcpServer(SERVER_MAC, SERVER_IP, "192.168.1.0/24", "192.168.1.15", "192.168.1.65", **kw)


def _payload(frame: bytes) -> tuple[bytes, bytes, bytes, int, int, bytes]:
    """(dst mac, src ip, dst ip, sport, dport, UDP payload) of a DHCP frame."""
    eth = decode_ethernet(frame)
    ip = decode_ipv4(eth.payload)
    udp = decode_udp(ip.payload, ip.src, ip.dst)
    return eth.dst, ip.src, ip.dst, udp.src_port, udp.dst_port, udp.payload


def _msg(frame: bytes) -> DhcpMessage:
    return decode_dhcp(_payload(frame)[5])


# --- codec ------------------------------------------------------------------


def test_discover_like_a_real_capture_round_trips_and_scapy_agrees():
    # The fields of the DISCOVER in a classic Wireshark sample capture (xid 0x3d1d).
    m = DhcpMessage(
        op=BOOTREQUEST,
        xid=0x3D1D,
        chaddr=bytes.fromhex("000b8201fc42"),
        options=(
            (OPT_MESSAGE_TYPE, b"\x01"),
            (OPT_CLIENT_ID, bytes.fromhex("01000b8201fc42")),
            (OPT_REQUESTED_IP, bytes(4)),
            (OPT_PARAMETER_REQUESTS, bytes([1, 3, 6, 42])),
        ),
    )
    wire = encode_dhcp(m)
    assert len(wire) == 300 and wire[236:240] == b"\x63\x82\x53\x63"
    assert decode_dhcp(wire) == m
    ref = scapy.BOOTP(wire)
    assert ref.xid == 0x3D1D and ref.chaddr[:6] == bytes.fromhex("000b8201fc42")
    opts = dict(o for o in ref[scapy.DHCP].options if isinstance(o, tuple))
    assert opts["message-type"] == 1 and opts["param_req_list"] == [1, 3, 6, 42]


@given(
    st.integers(0, 2**32 - 1),
    st.binary(min_size=6, max_size=6),
    st.lists(st.tuples(st.integers(1, 254).filter(lambda c: c != 52), st.binary(max_size=600)), max_size=8),
)
def test_round_trip_with_long_and_unknown_options(xid, mac, opts):
    merged: dict[int, bytes] = {}
    for c, v in opts:
        merged[c] = merged.get(c, b"") + v
    m = DhcpMessage(op=BOOTREPLY, xid=xid, chaddr=mac, options=tuple(opts), yiaddr=b"\x0a\x00\x00\x05")
    got = decode_dhcp(encode_dhcp(m))
    assert got.options == tuple(merged.items())
    assert got.xid == xid and got.mac == mac and got.yiaddr == b"\x0a\x00\x00\x05"


def test_overloaded_file_field_is_read_as_options():
    m = DhcpMessage(op=BOOTREPLY, xid=1, chaddr=MAC_A, options=((52, b"\x01"), (OPT_MESSAGE_TYPE, b"\x05")))
    wire = bytearray(encode_dhcp(m))
    wire[108:114] = bytes([OPT_HOSTNAME, 3]) + b"abc" + b"\xff"
    got = decode_dhcp(bytes(wire))
    assert got.option(OPT_HOSTNAME) == b"abc" and got.file == b""


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda w: w[:239], "length"),
        (lambda w: w[:236] + b"\x00\x00\x00\x00" + w[240:], "magic cookie"),
        (lambda w: b"\x03" + w[1:], "op"),
        (lambda w: w[:2] + b"\x20" + w[3:], "hlen"),
        (lambda w: w[:240] + b"\x35\x05\x01", "option 53 length"),
        (lambda w: w[:240] + b"\x35", "option 53 length"),
    ],
)
def test_malformed_messages_name_the_field(mutate, field):
    wire = encode_dhcp(DhcpMessage(op=BOOTREQUEST, xid=9, chaddr=MAC_A, options=((53, b"\x01"),)))
    with pytest.raises(RemoteProtocolError, match=field):
        decode_dhcp(mutate(wire))


def test_bad_option_codes_are_refused_on_encode():
    with pytest.raises(LocalProtocolError, match="option code 255"):
        encode_dhcp(DhcpMessage(op=1, xid=1, chaddr=MAC_A, options=((255, b""),)))


# --- client (charrua's test_client cases) ---------------------------------------


def _client(seed=1, hostname="mirage-test"):
    return DhcpClient(CLIENT_MAC, random.Random(seed), hostname=hostname)


def test_start_makes_a_broadcast_discover_as_mirage_sends_it():
    c = _client()
    step = c.start(0)
    (frame,) = step.frames
    dst_mac, src, dst, sport, dport, payload = _payload(frame)
    assert (dst_mac, src, dst, sport, dport) == (BROADCAST_MAC, bytes(4), b"\xff" * 4, 68, 67)
    m = decode_dhcp(payload)
    assert m.xid == random.Random(1).getrandbits(32) == c.xid
    assert m.op == BOOTREQUEST and m.flags == FLAG_BROADCAST and m.mac == CLIENT_MAC
    # Options in charrua's order, with Dhcp_ipv4's requests (1, 3) and hostname.
    assert m.options == (
        (OPT_MESSAGE_TYPE, bytes([DHCPDISCOVER])),
        (OPT_CLIENT_ID, b"\x01" + CLIENT_MAC),
        (OPT_PARAMETER_REQUESTS, bytes([OPT_SUBNET_MASK, OPT_ROUTERS])),
        (OPT_HOSTNAME, b"mirage-test"),
    )
    assert step.deadline == RETRY_INTERVAL


def test_server_offers_an_address_in_range():
    s = _server(routers=(SERVER_IP,))
    c = _client()
    step = s.receive(0, _payload(c.start(0).frames[0])[5])
    (frame,) = step.frames
    dst_mac, src, dst, sport, dport, payload = _payload(frame)
    assert (dst_mac, src, dst, sport, dport) == (BROADCAST_MAC, ip4(SERVER_IP), b"\xff" * 4, 67, 68)
    offer = decode_dhcp(payload)
    assert offer.message_type == DHCPOFFER and offer.op == BOOTREPLY and offer.xid == c.xid
    assert offer.yiaddr == ip4("192.168.1.15") and offer.siaddr == ip4(SERVER_IP)
    assert offer.ip_option(OPT_SERVER_ID) == ip4(SERVER_IP)
    assert offer.ip_option(OPT_SUBNET_MASK) == ip4("255.255.255.0")
    assert offer.ip_list_option(OPT_ROUTERS) == [ip4(SERVER_IP)]
    assert offer.u32_option(OPT_LEASE_TIME) == 3600


def test_client_ignores_an_offer_with_another_xid():
    s, c = _server(), _client()
    offer = _msg(s.receive(0, _payload(c.start(0).frames[0])[5]).frames[0])
    other = DhcpMessage(
        **{f: getattr(offer, f) for f in ("op", "chaddr", "options", "yiaddr", "siaddr")},
        xid=(offer.xid + 1) & 0xFFFFFFFF,
    )
    step = c.receive(1, encode_dhcp(other))
    assert step.frames == () and isinstance(step.events[0], Dropped) and c.state == "selecting"


def _exchange(s: DhcpServer, c: DhcpClient, now: int = 0):
    discover = c.start(now).frames[0]
    offer = s.receive(now, _payload(discover)[5]).frames[0]
    req_step = c.receive(now, _payload(offer)[5])
    request = req_step.frames[0]
    ack_step = s.receive(now, _payload(request)[5])
    return discover, offer, request, ack_step


def test_offer_is_answered_with_a_request_for_it():
    s, c = _server(), _client()
    _, offer, request, _ = _exchange(s, c)
    r = _msg(request)
    assert r.message_type == DHCPREQUEST and r.xid == c.xid and c.state == "requesting"
    assert r.options == (
        (OPT_PARAMETER_REQUESTS, bytes([1, 3])),
        (OPT_MESSAGE_TYPE, bytes([DHCPREQUEST])),
        (OPT_REQUESTED_IP, _msg(offer).yiaddr),
        (OPT_SERVER_ID, ip4(SERVER_IP)),
        (OPT_HOSTNAME, b"mirage-test"),
    )
    assert _payload(request)[0] == BROADCAST_MAC


def test_request_gets_an_ack_and_the_client_holds_the_lease():
    s, c = _server(routers=(SERVER_IP,)), _client()
    _, offer, _, ack_step = _exchange(s, c)
    (granted,) = ack_step.events
    assert granted == LeaseGranted(CLIENT_MAC, ip4("192.168.1.15"), 3600 * 10**9)
    ack = ack_step.frames[0]
    assert _msg(ack).message_type == DHCPACK
    step = c.receive(5, _payload(ack)[5])
    assert step.frames == ()  # nothing more to send once bound
    (ev,) = step.events
    assert isinstance(ev, LeaseObtained) and c.state == "bound" and c.lease == ev.lease
    assert ev.lease.cidr == "192.168.1.15/24" and ev.lease.gateway == ip4(SERVER_IP)
    assert step.deadline == 5 + RENEW_INTERVAL


@pytest.mark.parametrize("state", ["selecting", "requesting", "bound"])
def test_random_buffers_never_make_the_client_act(state):
    s, c = _server(), _client()
    if state == "selecting":
        c.start(0)
    else:
        _, _, _, ack_step = _exchange(s, c)
        if state == "bound":
            c.receive(0, _payload(ack_step.frames[0])[5])
    rng = random.Random(3)
    for _ in range(300):
        buf = rng.randbytes(rng.randrange(0, 600))
        step = c.receive(1, buf)
        assert step.frames == () and all(isinstance(e, Dropped) for e in step.events)
        assert c.state == state


def test_no_answer_starts_over_with_a_new_xid():
    c = _client()
    c.start(0)
    first = c.xid
    assert c.timer(RETRY_INTERVAL - 1).frames == ()
    step = c.timer(RETRY_INTERVAL)
    assert c.xid != first and _msg(step.frames[0]).xid == c.xid
    assert _msg(step.frames[0]).message_type == DHCPDISCOVER


def test_same_seed_same_transaction_ids():
    a, b = _client(seed=42), _client(seed=42)
    assert a.start(0).frames == b.start(0).frames


def test_nak_starts_over():
    s, c = _server(), _client()
    _exchange(s, c)
    nak = DhcpMessage(op=BOOTREPLY, xid=c.xid, chaddr=CLIENT_MAC, options=((OPT_MESSAGE_TYPE, bytes([DHCPNAK])),))
    step = c.receive(1, encode_dhcp(nak))
    assert c.state == "selecting" and _msg(step.frames[0]).message_type == DHCPDISCOVER


def test_bound_client_renews_every_1800_seconds():
    s, c = _server(), _client()
    _, _, _, ack_step = _exchange(s, c)
    c.receive(0, _payload(ack_step.frames[0])[5])
    step = c.timer(RENEW_INTERVAL)
    r = _msg(step.frames[0])
    assert c.state == "renewing" and r.message_type == DHCPREQUEST
    assert r.ip_option(OPT_REQUESTED_IP) == ip4("192.168.1.15")
    ack = s.receive(RENEW_INTERVAL, _payload(step.frames[0])[5])
    assert _msg(ack.frames[0]).message_type == DHCPACK
    assert isinstance(c.receive(RENEW_INTERVAL, _payload(ack.frames[0])[5]).events[0], LeaseObtained)


# --- server (charrua's server cases) --------------------------------------------


def test_request_for_another_server_is_silent_and_leases_nothing():
    s, c = _server(), _client()
    c.start(0)
    s.receive(0, _payload(c._frame(c._discover()))[5])
    other = c._request(ip4("192.168.1.2"), ip4("192.168.1.15"))
    assert s.receive(0, encode_dhcp(other)) == Step()
    assert s.leases == {}


def test_request_for_an_allocated_or_foreign_address_gets_a_nak():
    s, c = _server(), _client()
    _exchange(s, DhcpClient(MAC_A, random.Random(1)))  # MAC_A holds .15
    c.start(0)
    s.receive(0, encode_dhcp(c._discover()))
    for wanted, why in (("192.168.1.15", b"Requested address is allocated"), ("192.168.1.99", b"not in subnet range")):
        step = s.receive(0, encode_dhcp(c._request(ip4(SERVER_IP), ip4(wanted))))
        nak = _msg(step.frames[0])
        assert nak.message_type == DHCPNAK and why in (nak.option(OPT_MESSAGE) or b"")
        assert _payload(step.frames[0])[0] == BROADCAST_MAC


def test_init_reboot_request_is_silent_without_a_lease_and_naked_for_a_wrong_address():
    s = _server()
    _exchange(s, DhcpClient(MAC_B, random.Random(1)))  # MAC_B holds .15

    def init_reboot(mac: bytes, addr: str) -> DhcpMessage:
        opts = ((OPT_MESSAGE_TYPE, bytes([DHCPREQUEST])), (OPT_REQUESTED_IP, ip4(addr)))
        return DhcpMessage(op=BOOTREQUEST, xid=5, chaddr=mac, flags=FLAG_BROADCAST, options=opts)

    assert _msg(s.receive(0, encode_dhcp(init_reboot(MAC_B, "192.168.1.20"))).frames[0]).message_type == DHCPNAK
    assert s.receive(0, encode_dhcp(init_reboot(MAC_A, "192.168.1.20"))).frames == ()
    assert s.receive(0, encode_dhcp(init_reboot(MAC_A, "10.9.9.9"))).frames == ()


def test_two_clients_get_different_addresses_and_release_frees():
    s = _server()
    ca, cb = DhcpClient(MAC_A, random.Random(1)), DhcpClient(MAC_B, random.Random(2))
    a = _exchange(s, ca)[3].events[0].address
    b = _exchange(s, cb)[3].events[0].address
    assert (a, b) == (ip4("192.168.1.15"), ip4("192.168.1.16"))
    assert b"\x01" + MAC_A in s.leases
    opts = ((OPT_MESSAGE_TYPE, bytes([DHCPRELEASE])), (OPT_SERVER_ID, ip4(SERVER_IP)))
    rel = DhcpMessage(op=BOOTREQUEST, xid=1, chaddr=MAC_A, ciaddr=a, options=opts)
    s.receive(0, encode_dhcp(rel))
    assert b"\x01" + MAC_A not in s.leases and b"\x01" + MAC_B in s.leases
    assert _exchange(s, DhcpClient(MAC_C, random.Random(3)))[3].events[0].address == a


def test_exhausted_range_offers_nothing():
    s = DhcpServer(SERVER_MAC, SERVER_IP, "192.168.1.0/24", "192.168.1.15", "192.168.1.15")
    _exchange(s, DhcpClient(MAC_A, random.Random(1)))
    step = s.receive(0, encode_dhcp(DhcpClient(MAC_B, random.Random(2))._discover()))
    assert step.frames == () and step.events[0].reason == "No ips left to offer"


def test_bad_server_configuration():
    with pytest.raises(LocalProtocolError, match="range"):
        DhcpServer(SERVER_MAC, SERVER_IP, "192.168.1.0/24", "192.168.1.90", "192.168.1.15")
    with pytest.raises(LocalProtocolError, match="DHCP server configuration"):
        DhcpServer(SERVER_MAC, "nope", "192.168.1.0/24", "192.168.1.15", "192.168.1.16")
