"""The RFC 8305 machine of happy eyeballs: when each attempt starts, which address, and how the race ends."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.net.happy_eyeballs import (
    AAAA_TIMEOUT,
    CONNECT_DELAY,
    Cancel,
    Connect,
    Done,
    HappyEyeballs,
    Resolve,
    interleave,
)

MS = 1_000_000
V6 = ["fd00::1", "fd00::2"]
V4 = ["10.0.0.1", "10.0.0.2"]


def ip(s: str):
    return ipaddress.ip_address(s)


def connects(actions) -> list[tuple[str, int]]:
    return [(str(a.ip), a.port) for a in actions if isinstance(a, Connect)]


def test_a_name_is_looked_up_for_aaaa_and_a_at_once():
    m = HappyEyeballs("www.example.test", [443])
    assert m.start(0) == [Resolve("AAAA", "www.example.test"), Resolve("A", "www.example.test")]
    assert m.deadline is None


def test_an_address_literal_is_tried_at_once():
    m = HappyEyeballs("10.0.0.9", [80])
    assert connects(m.start(7)) == [("10.0.0.9", 80)]


def test_aaaa_first_starts_at_once_ipv6_first_then_one_connect_delay_apart():
    m = HappyEyeballs("h", [443])
    m.start(0)
    assert connects(m.resolved(10 * MS, "AAAA", V6)) == [("fd00::1", 443)]
    assert connects(m.resolved(12 * MS, "A", V4)) == []
    assert m.deadline == 10 * MS + CONNECT_DELAY
    assert connects(m.timer(10 * MS + CONNECT_DELAY)) == [("10.0.0.1", 443)]  # families interleaved
    assert connects(m.timer(10 * MS + 2 * CONNECT_DELAY)) == [("fd00::2", 443)]


def test_a_first_waits_the_resolution_delay_for_aaaa():
    m = HappyEyeballs("h", [443])
    m.start(0)
    assert connects(m.resolved(5 * MS, "A", V4)) == []
    assert m.deadline == 5 * MS + AAAA_TIMEOUT
    assert connects(m.timer(5 * MS + AAAA_TIMEOUT - 1)) == []
    assert connects(m.timer(5 * MS + AAAA_TIMEOUT)) == [("10.0.0.1", 443)]


def test_aaaa_arriving_within_the_resolution_delay_goes_first():
    m = HappyEyeballs("h", [443])
    m.start(0)
    m.resolved(5 * MS, "A", V4)
    assert connects(m.resolved(20 * MS, "AAAA", V6)) == [("fd00::1", 443)]


def test_a_failed_attempt_starts_the_next_one_at_once():
    m = HappyEyeballs("h", [443])
    m.start(0)
    (c,) = [a for a in m.resolved(0, "AAAA", V6) if isinstance(a, Connect)]
    m.resolved(0, "A", V4)
    assert connects(m.connect_failed(3 * MS, c.id, "refused")) == [("10.0.0.1", 443)]


def test_the_first_to_connect_wins_and_the_others_are_cancelled():
    m = HappyEyeballs("h", [443])
    m.start(0)
    first = [a for a in m.resolved(0, "AAAA", V6) if isinstance(a, Connect)][0]
    m.resolved(0, "A", V4)
    second = [a for a in m.timer(CONNECT_DELAY) if isinstance(a, Connect)][0]
    out = m.connected(CONNECT_DELAY + MS, second.id)
    assert out == [Cancel(first.id), Done(second.id, None, ip("10.0.0.1"), 443)]
    assert m.connected(CONNECT_DELAY + 2 * MS, first.id) == [Cancel(first.id)]  # too late
    assert m.deadline is None


def test_an_attempt_times_out_and_when_all_fail_the_error_names_them():
    m = HappyEyeballs("h", [443], connect_timeout=100 * MS)
    m.start(0)
    m.resolved(0, "AAAA", ["fd00::1"])
    m.resolved(0, "A", None)  # the A lookup failed
    out = m.timer(100 * MS)
    assert isinstance(out[0], Cancel)
    assert isinstance(out[-1], Done) and out[-1].winner is None
    assert out[-1].error == "connecting to h failed: A lookup of h failed; [fd00::1]:443: timed out"


def test_no_address_at_all_is_an_error():
    m = HappyEyeballs("nowhere", [80])
    m.start(0)
    m.resolved(0, "AAAA", [])
    assert m.resolved(0, "A", []) == [Done(None, "connecting to nowhere failed: no address")]


def test_interleave_alternates_families_ipv6_first():
    addrs = [ip(a) for a in ["10.0.0.1", "10.0.0.2", "fd00::1", "10.0.0.3"]]
    assert [str(a) for a in interleave(addrs)] == ["fd00::1", "10.0.0.1", "10.0.0.2", "10.0.0.3"]


@settings(max_examples=200, deadline=None)
@given(
    v6=st.lists(st.integers(1, 50), max_size=4, unique=True),
    v4=st.lists(st.integers(1, 50), max_size=4, unique=True),
    ports=st.lists(st.integers(1, 65535), min_size=1, max_size=2, unique=True),
    a_first=st.booleans(),
    winner=st.integers(-1, 20),
)
def test_every_race_ends_once_and_tries_each_address_and_port_at_most_once(v6, v4, ports, a_first, winner):
    m = HappyEyeballs("h", ports)
    now = 0
    m.start(now)
    order = [("A", [f"10.0.0.{i}" for i in v4]), ("AAAA", [f"fd00::{i}" for i in v6])]
    actions = []
    for rr, addrs in order if a_first else order[::-1]:
        actions += m.resolved(now, rr, addrs)
    started: list[Connect] = [a for a in actions if isinstance(a, Connect)]
    dones = [a for a in actions if isinstance(a, Done)]
    while not dones:
        running = [c for c in started if c.id in m.attempts]
        if running and len(started) - 1 == winner:
            dones += [a for a in m.connected(now, running[-1].id) if isinstance(a, Done)]
            break
        if running:
            actions = m.connect_failed(now, running[0].id)
        else:
            assert m.deadline is not None
            now = m.deadline
            actions = m.timer(now)
        started += [a for a in actions if isinstance(a, Connect)]
        dones += [a for a in actions if isinstance(a, Done)]
    assert len(dones) == 1
    pairs = [(str(c.ip), c.port) for c in started]
    assert len(pairs) == len(set(pairs)) <= (len(v6) + len(v4)) * len(ports)
    if started and started[0].ip.version == 4:
        assert not v6 or a_first  # IPv4 first only when AAAA had not answered yet
    if dones[0].winner is None:
        assert len(pairs) == (len(v6) + len(v4)) * len(ports)
