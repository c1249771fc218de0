"""The charrua-style DHCP server machine: DORA, NAKs, INFORM, RELEASE, expiry, an exhausted pool."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.net._base import FrameError
from mirage_nb.sim.net.dhcp import (
    DHCPACK,
    DHCPNAK,
    DHCPOFFER,
    OPT_MESSAGE,
    OPT_PARAMETER_REQUESTS,
    OPT_REQUESTED_IP,
    OPT_SERVER_ID,
)
from mirage_nb.sim.net.dhcp_charrua import (
    Error,
    LeaseDb,
    NotDhcp,
    Reply,
    ServerConfig,
    Silence,
    Update,
    Warning,
    dns_servers_option,
    encode_pkt,
    input_pkt,
    pkt_of_buf,
    pp_pkt,
    routers_option,
)
from mirage_nb.sim.net.dhcp_client import DhcpClient

SERVER_MAC = bytes.fromhex("020000000005")
SERVER_IP = bytes([192, 168, 1, 5])


def config(lo: str = "192.168.1.70", hi: str = "192.168.1.100") -> ServerConfig:
    return ServerConfig.make(
        hostname="charrua-dhcp-server",
        default_lease_time=3600,
        max_lease_time=86400,
        addr_tuple=("192.168.1.5", SERVER_MAC),
        network="192.168.1.5/24",
        range=(lo, hi),
        options=[routers_option("192.168.1.5"), dns_servers_option("192.168.1.5")],
    )


def mac(i: int) -> bytes:
    return bytes([2, 0, 0, 0, 1, i])


def dora(cfg: ServerConfig, db: LeaseDb, i: int, now: int) -> tuple[LeaseDb, bytes | None, list]:
    """Drive the project's DHCP client machine against the server machine; the address ACKed."""
    c = DhcpClient(mac(i), random.Random(i))
    frames = list(c.start(now).frames)
    outcomes = []
    addr = None
    while frames:
        f = frames.pop(0)
        pkt = pkt_of_buf(f)
        o = input_pkt(cfg, db, pkt, now)
        outcomes.append(o)
        if isinstance(o, Reply):
            db = o.db
            reply = encode_pkt(o.pkt)
            r = pkt_of_buf(reply)
            if r.msg.message_type == DHCPACK:
                addr = r.msg.yiaddr
                break
            frames += c.receive(now, r.msg.encode()).frames
    return db, addr, outcomes


def test_dora_leases_addresses_in_order_with_options():
    cfg, db = config(), LeaseDb.make_db()
    db, a, outs = dora(cfg, db, 1, 0)
    assert a == bytes([192, 168, 1, 70])
    offer = outs[0].pkt.msg
    assert offer.message_type == DHCPOFFER and offer.option(OPT_SERVER_ID) == SERVER_IP
    assert offer.u32_option(51) == 3600 and offer.u32_option(58) == 1800 and offer.u32_option(59) == 2880
    db, b, _ = dora(cfg, db, 2, 0)
    assert b == bytes([192, 168, 1, 71])
    db, again, _ = dora(cfg, db, 1, 10)  # a known client gets its lease back
    assert again == a


def test_exhausted_pool_warns_and_naks_a_taken_address():
    cfg, db = config(hi="192.168.1.71"), LeaseDb.make_db()
    db, _, _ = dora(cfg, db, 1, 0)
    db, _, _ = dora(cfg, db, 2, 0)
    db2, addr, outs = dora(cfg, db, 3, 0)
    assert addr is None and outs == [Warning("No ips left to offer")]
    # a client that asks for an address another one holds gets a NAK with charrua's message
    c = DhcpClient(mac(3), random.Random(3))
    disc = pkt_of_buf(c.start(0).frames[0])
    req_msg = disc.msg.__class__(
        op=1,
        xid=disc.msg.xid,
        chaddr=disc.msg.chaddr,
        options=((53, bytes([3])), (OPT_SERVER_ID, SERVER_IP), (OPT_REQUESTED_IP, bytes([192, 168, 1, 70]))),
    )
    req = disc.__class__(disc.srcmac, disc.dstmac, disc.srcip, disc.dstip, 68, 67, req_msg)
    o = input_pkt(cfg, db, req, 0)
    assert isinstance(o, Reply) and o.pkt.msg.message_type == DHCPNAK
    assert o.pkt.msg.option(OPT_MESSAGE) == b"Requested address is allocated"
    assert o.pkt.dstmac == b"\xff" * 6


def test_leases_expire_in_virtual_time():
    cfg, db = config(hi="192.168.1.70"), LeaseDb.make_db()
    db, a, _ = dora(cfg, db, 1, 0)
    assert dora(cfg, db, 2, 3599)[1] is None
    assert dora(cfg, db, 2, 3600)[1] == a  # the first lease ran out: its address is free again


def test_release_frees_and_inform_answers_without_address():
    cfg, db = config(), LeaseDb.make_db()
    db, a, outs = dora(cfg, db, 1, 0)
    ack = outs[-1].pkt.msg
    base = pkt_of_buf(encode_pkt(outs[-1].pkt))
    rel = base.msg.__class__(
        op=1, xid=7, chaddr=ack.chaddr, ciaddr=a, options=((53, bytes([7])), (OPT_SERVER_ID, SERVER_IP))
    )
    pkt = base.__class__(mac(1), SERVER_MAC, a, SERVER_IP, 68, 67, rel)
    o = input_pkt(cfg, db, pkt, 5)
    assert isinstance(o, Update) and o.lease.addr == a and not o.db.leases
    inform = rel.__class__(
        op=1, xid=8, chaddr=ack.chaddr, ciaddr=a, options=((53, bytes([8])), (OPT_PARAMETER_REQUESTS, bytes([1, 3, 6])))
    )
    o = input_pkt(cfg, db, base.__class__(mac(1), SERVER_MAC, a, SERVER_IP, 68, 67, inform), 5)
    assert isinstance(o, Reply) and o.pkt.msg.message_type == DHCPACK and o.pkt.msg.yiaddr == bytes(4)
    assert [c for c, _ in o.pkt.msg.options] == [53, 54, 1, 3, 6]
    assert "Message type DHCP ACK" in pp_pkt(o.pkt)


def test_not_for_us_and_bad_packets():
    cfg, db = config(), LeaseDb.make_db()
    c = DhcpClient(mac(1), random.Random(1))
    disc = pkt_of_buf(c.start(0).frames[0])
    other = disc.__class__(disc.srcmac, b"\x02" * 6, disc.srcip, bytes([10, 0, 0, 1]), 68, 67, disc.msg)
    assert input_pkt(cfg, db, other, 0) == Silence()
    noop = disc.__class__(disc.srcmac, disc.dstmac, disc.srcip, disc.dstip, 68, 67, disc.msg.__class__(1, 1, mac(1)))
    assert input_pkt(cfg, db, noop, 0) == Error("Malformed packet: no dhcp msgtype")
    with pytest.raises(NotDhcp):
        pkt_of_buf(b"\x00" * 60)


@given(st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_pkt_of_buf_raises_only_our_errors(data):
    frame = bytes.fromhex("ffffffffffff020000000101080045000000000000004011000000000000ffffffff00440043") + data
    try:
        p = pkt_of_buf(frame)
    except (NotDhcp, FrameError):
        return
    input_pkt(config(), LeaseDb.make_db(), p, 0)
