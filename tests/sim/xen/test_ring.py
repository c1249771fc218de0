"""The shared ring's protocol: layout, the notify rule, and no request lost or doubled under faulty notifications."""

from __future__ import annotations

import random
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.xen import blkif, netif
from mirage_nb.sim.xen.ring import HEADER_SIZE, PAGE_SIZE, BackRing, FrontRing, SharedRing, init_shared_ring, ring_size


def test_ring_sizes_are_the_real_drivers():
    assert ring_size(blkif.REQUEST_SIZE) == 32
    assert ring_size(netif.TX_ENTRY) == 256
    assert ring_size(netif.RX_ENTRY) == 256


def test_header_layout_and_slots_are_bytes_of_the_page():
    page = bytearray(PAGE_SIZE)
    init_shared_ring(page)
    assert struct.unpack_from("<IIII", page, 0) == (0, 1, 0, 1)
    front = FrontRing(SharedRing(page, 16))
    front.put_request(b"A" * 16)
    assert page[HEADER_SIZE : HEADER_SIZE + 16] == b"A" * 16
    assert struct.unpack_from("<I", page, 0)[0] == 0  # private until pushed
    assert front.push_requests() is True  # req_event was 1: the first request notifies
    assert struct.unpack_from("<I", page, 0)[0] == 1


def test_no_notify_while_the_consumer_is_busy_then_notify_after_final_check():
    page = bytearray(PAGE_SIZE)
    init_shared_ring(page)
    sr = SharedRing(page, 8)
    front, back = FrontRing(sr), BackRing(SharedRing(page, 8))
    front.put_request(b"1")
    assert front.push_requests()
    assert back.take_request().startswith(b"1")
    # the backend has not re-armed req_event: a second push needs no notification
    front.put_request(b"2")
    assert not front.push_requests()
    assert back.final_check_for_requests()  # it sees the request anyway
    back.take_request()
    assert not back.final_check_for_requests()  # re-armed: req_event = req_cons + 1
    front.put_request(b"3")
    assert front.push_requests()


def test_ring_full_and_indexes_wrap_modulo_2_32():
    page = bytearray(PAGE_SIZE)
    init_shared_ring(page)
    sr = SharedRing(page, 64)
    start = 0xFFFFFFF0
    for off in (0, 8):
        struct.pack_into("<I", page, off, start)
    front, back = FrontRing(sr), BackRing(SharedRing(page, 64))
    n = front.size
    for i in range(n):
        front.put_request(bytes([i]))
    assert front.full()
    front.push_requests()
    got = [back.take_request()[0] for _ in range(back.unconsumed_requests())]
    assert got == list(range(n))
    for i in range(n):
        back.put_response(bytes([i]))
    back.push_responses()
    assert [front.take_response()[0] for _ in range(n)] == list(range(n))
    assert front.free_requests() == n


def _simulate(seed: int, ops: list[int], size: int, delay_max: int, dup: float, slow: int) -> None:
    """A frontend and a backend that only wake on (delayed, doubled) notifications, in virtual time.

    Every request must be taken exactly once, in order, and every response seen exactly once,
    with nobody left asleep while work is waiting.
    """
    rng = random.Random(seed)
    page = bytearray(PAGE_SIZE)
    init_shared_ring(page)
    entry = ring_size(8) and 8
    front = FrontRing(SharedRing(page, entry))
    back = BackRing(SharedRing(page, entry))
    now = 0
    events: list[tuple[int, int, str]] = []
    seq = 0

    def notify(who: str) -> None:
        nonlocal seq
        for _ in range(2 if rng.random() < dup else 1):
            events.append((now + rng.randint(0, delay_max), seq, who))
            seq += 1

    sent: list[int] = []
    taken: list[int] = []
    answered: list[int] = []
    next_id = 0
    backlog = list(ops)
    backend_busy_until = 0
    pending_back: list[int] = []

    def front_produce(k: int) -> None:
        nonlocal next_id
        queued = False
        for _ in range(k):
            if front.full():
                break
            front.put_request(struct.pack("<Q", next_id))
            sent.append(next_id)
            next_id += 1
            queued = True
        if queued and front.push_requests():
            notify("back")

    def back_wake() -> None:
        nonlocal backend_busy_until
        while True:
            while back.unconsumed_requests():
                rid = struct.unpack("<Q", back.take_request())[0]
                taken.append(rid)
                pending_back.append(rid)
            if not back.final_check_for_requests():
                break
        # responses come after the (slow) work
        backend_busy_until = now + slow
        events.append((backend_busy_until, -1, "respond"))

    def respond() -> None:
        pushed = False
        while pending_back:
            back.put_response(struct.pack("<Q", pending_back.pop(0)))
            pushed = True
        if pushed and back.push_responses():
            notify("front")

    def front_wake() -> None:
        while True:
            while front.unconsumed_responses():
                answered.append(struct.unpack("<Q", front.take_response())[0])
            if not front.final_check_for_responses():
                break

    for k in backlog:
        front_produce(k)
        # deliver everything due up to the next batch, then move time on
        now += 1 + rng.randint(0, delay_max)
        events.sort()
        while events and events[0][0] <= now:
            _t, _s, what = events.pop(0)
            {"back": back_wake, "front": front_wake, "respond": respond}[what]()
        if front.free_requests() and k > front.free_requests():
            pass
    # drain: no more requests; all notifications delivered
    guard = 0
    while events:
        events.sort()
        t, _s, what = events.pop(0)
        now = max(now, t)
        {"back": back_wake, "front": front_wake, "respond": respond}[what]()
        guard += 1
        assert guard < 100_000
    assert taken == sent, "a request was lost, doubled or reordered"
    assert answered == sent, "a response was lost, doubled or reordered"
    assert not front.unconsumed_responses() and not back.unconsumed_requests()


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    ops=st.lists(st.integers(1, 40), min_size=1, max_size=40),
    delay_max=st.integers(0, 50),
    dup=st.floats(0, 0.5),
    slow=st.integers(0, 30),
)
def test_no_request_lost_or_duplicated_under_faulty_notifications(seed, ops, delay_max, dup, slow):
    _simulate(seed, ops, 8, delay_max, dup, slow)
