"""ARP codec and cache: the behaviours of MirageOS's arp library tests, as vectors.

Each case re-states one scenario of mirage/arp's test suite (frames in,
frames and wake-ups out, tick by tick) against :class:`ArpCache`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from net_support import IP_A, IP_B, IP_C, MAC_A, MAC_B, MAC_C, arp_frames, tick_time

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net._base import BROADCAST_MAC, ZERO_MAC, Dropped
from mirage_nb.sim.net.arp import (
    OP_REPLY,
    OP_REQUEST,
    ArpCache,
    ArpPacket,
    ArpResolved,
    ArpTimedOut,
    decode_arp,
    encode_arp,
)

macs = st.binary(min_size=6, max_size=6)
ips = st.binary(min_size=4, max_size=4)


# --- codec ------------------------------------------------------------------


@given(st.sampled_from([OP_REQUEST, OP_REPLY]), macs, ips, macs, ips)
def test_decode_is_inverse_of_encode(op, sha, spa, tha, tpa):
    wire = encode_arp(op, sha, spa, tha, tpa)
    assert len(wire) == 28
    assert wire[:6] == b"\x00\x01\x08\x00\x06\x04"
    pkt = decode_arp(wire)
    assert pkt == ArpPacket(op, sha, spa, tha, tpa)
    assert pkt.encode() == wire


@given(st.binary(max_size=27))
def test_short_input_is_a_length_error(data):
    with pytest.raises(RemoteProtocolError, match="arp: bad length"):
        decode_arp(data)


@given(st.binary(min_size=4, max_size=4), st.integers(0, 255), st.integers(0, 255), st.binary(min_size=22))
def test_non_ethernet_ipv4_header_is_unusable(types, hlen, plen, rest):
    head = types + bytes([hlen, plen])
    if head == b"\x00\x01\x08\x00\x06\x04":
        return
    with pytest.raises(RemoteProtocolError, match="hardware/protocol type"):
        decode_arp(head + rest)


@given(st.integers(0, 0xFFFF).filter(lambda o: o not in (1, 2)), st.binary(min_size=20, max_size=20))
def test_unknown_operation_is_named(op, rest):
    with pytest.raises(RemoteProtocolError, match=f"operation.*got {op}"):
        decode_arp(b"\x00\x01\x08\x00\x06\x04" + op.to_bytes(2, "big") + rest)


def test_trailing_ethernet_padding_is_ignored():
    wire = encode_arp(OP_REPLY, MAC_A, IP_A, MAC_B, IP_B)
    assert decode_arp(wire + bytes(18)) == decode_arp(wire)


# --- cache ------------------------------------------------------------------


def _reply(sender_ip, sender_mac, target_ip=IP_A, target_mac=MAC_A):
    return encode_arp(OP_REPLY, sender_mac, sender_ip, target_mac, target_ip)


def _request(sender_ip, sender_mac, target_ip, target_mac=BROADCAST_MAC):
    return encode_arp(OP_REQUEST, sender_mac, sender_ip, target_mac, target_ip)


def _started(**kw):
    arp = ArpCache(MAC_A, **kw)
    step = arp.start(0, IP_A)
    return arp, step


def _query_frame(target):
    return (BROADCAST_MAC, ArpPacket(OP_REQUEST, MAC_A, IP_A, BROADCAST_MAC, target))


def test_bad_parameters_are_refused():
    with pytest.raises(LocalProtocolError, match="timeout"):
        ArpCache(MAC_A, timeout=0)
    with pytest.raises(LocalProtocolError, match="retries"):
        ArpCache(MAC_A, retries=-1)


def test_start_sends_a_gratuitous_arp_and_owns_the_address():
    arp, step = _started()
    assert arp_frames(step) == [(BROADCAST_MAC, ArpPacket(OP_REQUEST, MAC_A, IP_A, ZERO_MAC, IP_A))]
    assert arp.ips == [IP_A]
    assert arp.in_cache(IP_A) == MAC_A
    assert arp.in_cache(b"\x00\x00\x00\x00") is None
    assert arp.in_cache(b"\xff\xff\xff\xff") is None
    assert step.deadline is None  # nothing to tick for


def test_start_without_address_sends_nothing():
    arp = ArpCache(MAC_A)
    assert arp.start(0).frames == ()
    assert arp.ips == []


def test_remove_forgets_only_that_address():
    arp, _ = _started()
    arp.remove(b"\x00\x00\x00\x00")
    assert arp.in_cache(IP_A) == MAC_A
    arp.remove(IP_A)
    assert arp.in_cache(IP_A) is None


def test_alias_adds_an_announced_address():
    arp, _ = _started()
    step = arp.alias(0, IP_B)
    assert arp_frames(step) == [(BROADCAST_MAC, ArpPacket(OP_REQUEST, MAC_A, IP_B, ZERO_MAC, IP_B))]
    assert arp.in_cache(IP_A) == MAC_A and arp.in_cache(IP_B) == MAC_A
    assert arp.ips == [IP_A, IP_B]
    arp.remove(IP_B)
    assert arp.in_cache(IP_B) is None and arp.in_cache(IP_A) == MAC_A


def test_static_and_alias_overwrite_each_other():
    arp, _ = _started()
    arp.static(0, IP_B, MAC_B)
    assert arp.in_cache(IP_B) == MAC_B
    assert arp.ips == [IP_A]  # static entries are not ours
    arp.alias(0, IP_B)
    assert arp.in_cache(IP_B) == MAC_A
    arp.static(0, IP_B, MAC_B)
    assert arp.in_cache(IP_B) == MAC_B
    arp.remove(IP_B)
    assert arp.in_cache(IP_B) is None


def test_many_static_and_alias_entries():
    arp, _ = _started()
    expect = {IP_A: MAC_A}
    for i in range(100):
        ip = bytes([10, 1, i // 256, i % 256])
        if i % 2:
            m = bytes([2, 0, 0, 1, 0, i])
            arp.static(0, ip, m)
        else:
            m = MAC_A
            arp.alias(0, ip)
        expect[ip] = m
    assert all(arp.in_cache(ip) == m for ip, m in expect.items())
    for ip in expect:
        arp.remove(ip)
    assert all(arp.in_cache(ip) is None for ip in expect)


def test_query_of_own_address_answers_at_once():
    arp, _ = _started()
    step = arp.query(0, IP_A)
    assert step.events == (ArpResolved(IP_A, MAC_A),) and step.frames == ()


def test_query_sends_one_request_and_later_queries_wait():
    arp, _ = _started(retries=1)
    step = arp.query(0, IP_B)
    assert arp_frames(step) == [_query_frame(IP_B)]
    assert step.events == () and step.deadline == tick_time(1)
    again = arp.query(0, IP_B)
    assert again.frames == () and again.events == ()


@pytest.mark.parametrize("how", ["alias", "static"])
def test_alias_or_static_wakes_a_pending_query(how):
    arp, _ = _started()
    arp.query(0, IP_B)
    assert arp.in_cache(IP_B) is None
    step = arp.alias(0, IP_B) if how == "alias" else arp.static(0, IP_B, MAC_A)
    assert ArpResolved(IP_B, MAC_A) in step.events


def test_query_times_out_after_retries():
    arp, _ = _started(retries=1)
    arp.query(0, IP_B)
    first = arp.timer(tick_time(1))
    assert arp_frames(first) == [_query_frame(IP_B)] and first.events == ()
    second = arp.timer(tick_time(2))
    assert second.frames == () and second.events == (ArpTimedOut(IP_B),)
    assert second.deadline is None


def test_four_retries_send_four_more_requests_then_time_out():
    arp, _ = _started(retries=4)
    arp.query(0, IP_B)
    for k in range(1, 5):
        step = arp.timer(tick_time(k))
        assert arp_frames(step) == [_query_frame(IP_B)], k
        assert step.events == ()
    last = arp.timer(tick_time(5))
    assert last.frames == () and last.events == (ArpTimedOut(IP_B),)


def test_missed_ticks_are_caught_up_in_one_call():
    arp, _ = _started(retries=2)
    arp.query(0, IP_B)
    step = arp.timer(tick_time(10))
    assert len(step.frames) == 2 and step.events == (ArpTimedOut(IP_B),)


def test_reply_to_a_query_wakes_and_is_cached_then_refreshed_before_expiry():
    arp, _ = _started(timeout=1)
    arp.query(0, IP_B)
    step = arp.receive(1, _reply(IP_B, MAC_B))
    assert step.events == (ArpResolved(IP_B, MAC_B),) and step.frames == ()
    assert arp.in_cache(IP_B) == MAC_B
    assert arp.ips == [IP_A]  # dynamic entries are not advertised addresses
    assert arp.query(2, IP_B).events == (ArpResolved(IP_B, MAC_B),)
    # One tick before the entry expires, a request asks the peer to confirm it.
    refresh = arp.timer(tick_time(1))
    assert arp_frames(refresh) == [_query_frame(IP_B)] and refresh.events == ()
    gone = arp.timer(tick_time(2))
    assert gone.frames == () and gone.events == ()
    assert arp.in_cache(IP_B) is None


def test_unsolicited_reply_and_foreign_gratuitous_arp_are_not_cached():
    arp, _ = _started(timeout=1)
    step = arp.receive(0, _reply(IP_B, MAC_B))
    assert step.frames == () and step.events == ()
    assert arp.in_cache(IP_B) is None
    garp = encode_arp(OP_REQUEST, MAC_C, IP_C, ZERO_MAC, IP_C)
    step = arp.receive(0, garp)
    assert step.frames == () and step.events == ()
    assert arp.in_cache(IP_C) is None


def test_gratuitous_arp_updates_a_known_entry():
    arp, _ = _started()
    arp.query(0, IP_C)
    arp.receive(0, _reply(IP_C, MAC_C))
    step = arp.receive(1, encode_arp(OP_REQUEST, MAC_B, IP_C, ZERO_MAC, IP_C))
    assert step.frames == () and arp.in_cache(IP_C) == MAC_B


@pytest.mark.parametrize("target_mac", [BROADCAST_MAC, MAC_A], ids=["broadcast", "unicast"])
def test_requests_for_our_address_are_answered_to_the_asker(target_mac):
    arp, _ = _started(timeout=1)
    step = arp.receive(0, _request(IP_B, MAC_B, IP_A, target_mac))
    assert step.events == ()
    assert arp_frames(step) == [(MAC_B, ArpPacket(OP_REPLY, MAC_A, IP_A, MAC_B, IP_B))]
    # Requests do not teach the cache the asker's address (MirageOS behaviour).
    assert arp.in_cache(IP_B) is None


def test_requests_for_other_addresses_are_ignored():
    arp, _ = _started(timeout=1)
    step = arp.receive(0, _request(IP_B, MAC_B, IP_C))
    assert step.frames == () and step.events == ()


def test_random_bytes_are_dropped_without_output():
    import random

    rng = random.Random(5)
    arp, _ = _started(timeout=1)
    for _ in range(200):
        step = arp.receive(0, rng.randbytes(24))
        assert step.frames == ()
        assert len(step.events) == 1 and isinstance(step.events[0], Dropped)


def test_reply_cannot_override_our_own_address():
    arp, _ = _started(timeout=1)
    step = arp.receive(0, encode_arp(OP_REPLY, MAC_B, IP_A, MAC_A, IP_A))
    assert step.frames == () and step.events == ()
    assert arp.in_cache(IP_A) == MAC_A


def test_dynamic_entry_is_overridden_by_later_replies():
    arp, _ = _started(timeout=1)
    arp.query(0, IP_B)
    assert arp.receive(0, _reply(IP_B, MAC_B)).events == (ArpResolved(IP_B, MAC_B),)
    same = arp.receive(0, _reply(IP_B, MAC_B))
    assert same.events == () and arp.in_cache(IP_B) == MAC_B
    moved = arp.receive(0, _reply(IP_B, MAC_C))
    assert moved.events == () and arp.in_cache(IP_B) == MAC_C


def test_dynamic_entries_are_not_advertised():
    arp, _ = _started(timeout=1)
    arp.query(0, IP_B)
    arp.receive(0, _reply(IP_B, MAC_B))
    step = arp.receive(0, _request(IP_C, MAC_C, IP_B))
    assert step.frames == () and step.events == ()


def test_one_reply_resolves_all_waiters_once():
    arp, _ = _started(timeout=1)
    arp.query(0, IP_B)
    arp.query(0, IP_B)
    step = arp.receive(0, _reply(IP_B, MAC_B))
    assert step.events == (ArpResolved(IP_B, MAC_B),)


def test_dynamic_entries_are_capped_least_recently_used_first():
    arp, _ = _started(cache_size=2)
    for i, ip in enumerate((IP_B, IP_C, b"\x0a\x00\x00\x04")):
        arp.query(0, ip)
        arp.receive(0, _reply(ip, bytes([2, 0, 0, 0, 1, i])))
    assert arp.in_cache(IP_B) is None
    assert arp.in_cache(IP_C) is not None and arp.in_cache(b"\x0a\x00\x00\x04") is not None


def test_idle_time_is_skipped_without_ticking():
    arp, _ = _started()
    assert arp.timer(10**15).frames == ()
    assert arp.epoch == 10**15 // tick_time(1)
