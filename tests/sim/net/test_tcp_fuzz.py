"""Property and fuzz tests: whatever arrives, a TCP connection or endpoint neither crashes nor hangs.

h11's single fuzz invariant, applied to TCP: bytes decode or raise
``RemoteProtocolError``; segments (any flags, numbers, options) are absorbed
without an exception; a user call either works or raises ``LocalProtocolError``;
and timers always move virtual time forward, so no run can spin in place.
The default run is small; ``-m slow`` runs the big one.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirage_nb.errors import LocalProtocolError, RemoteProtocolError
from mirage_nb.sim.net.tcp import MS, EndpointPair, Segment, TcpConfig, TcpState, decode, encode
from mirage_nb.sim.net.tcp.scripted import LOCAL, REMOTE, in_state

MASK = 0xFFFFFFFF


STATES = list(TcpState)
CONFIGS = [
    TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535),
    TcpConfig(),
    TcpConfig(rcv_buffer=3000, window_scale=0, auto_consume=False, mss=536),
]

offset = st.one_of(
    st.integers(-3, 3),
    st.integers(-70_000, 70_000),
    st.integers(0, MASK),
)
segment_action = st.tuples(
    st.just("seg"),
    st.integers(0, 255),  # flags
    offset,  # seq relative to RCV.NXT
    offset,  # ack relative to SND.UNA
    st.integers(0, 3000),  # payload length
    st.integers(0, 65535),  # window
    st.sampled_from([{}, {"mss": 100}, {"window_scale": 14}, {"timestamps": (1, 2)}, {"sack_blocks": ((1, 2),)}]),
)
user_action = st.one_of(
    st.tuples(st.just("send"), st.integers(0, 5000)),
    st.tuples(st.just("consume"), st.integers(0, 5000)),
    st.tuples(st.sampled_from(["shutdown", "close", "abort", "timer"])),
    st.tuples(st.just("advance"), st.integers(0, 5 * 10**9)),
)
actions = st.lists(st.one_of(segment_action, segment_action, user_action), max_size=40)


def _check_invariants(c, step, now):
    assert c.snd_una <= c.snd_nxt <= c.snd_max or c.state in (TcpState.LISTEN, TcpState.CLOSED)
    assert step.deadline is None or step.deadline > now or step.deadline == c.deadline
    for seg in step.segments:
        # Whatever we send must be encodable and decode to itself.
        assert (
            decode(encode(seg, b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02"), b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02")
            == seg
        )
    if c.state is TcpState.CLOSED:
        assert c.deadline is None


def _drain_timers(c, now):
    """Fire timers until none is left or only the endless zero-window probe remains: time must advance."""
    for _ in range(100):
        d = c.deadline
        if d is None:
            return
        now = max(now, d)  # the caller may come late; never early
        step = c.timer(now)
        _check_invariants(c, step, now)
        if c.deadline is not None:
            assert c.deadline > now, "a timer re-armed itself at the same instant"


def _run(state, config_index, acts):
    s = in_state(state, CONFIGS[config_index])
    c = s.conn
    now = 0
    for act in acts:
        kind = act[0]
        if kind == "seg":
            _, flags, dseq, dack, plen, window, opts = act
            seg = Segment(
                REMOTE,
                LOCAL,
                (c.rcv_nxt + dseq) & MASK,
                (c.snd_una + dack) & MASK,
                flags,
                window,
                bytes(plen),
                **opts,
            )
            step = c.receive(now, seg)
        elif kind == "advance":
            now += act[1]
            continue
        elif kind == "timer":
            d = c.deadline
            if d is None:
                continue
            now = max(now, d)
            step = c.timer(now)
        else:
            try:
                if kind == "send":
                    step = c.send(now, bytes(act[1]))
                elif kind == "consume":
                    step = c.consume(now, min(act[1], c._held))
                else:
                    step = getattr(c, kind)(now)
            except LocalProtocolError:
                assert kind == "send" and not c.can_send
                continue
        _check_invariants(c, step, now)
    _drain_timers(c, now)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STATES), st.integers(0, len(CONFIGS) - 1), actions)
def test_random_segments_and_calls_never_crash_or_hang(state, config_index, acts):
    _run(state, config_index, acts)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(STATES),
    st.integers(0, len(CONFIGS) - 1),
    st.lists(st.one_of(segment_action, user_action), max_size=120),
)
def test_random_segments_and_calls_never_crash_or_hang_big(state, config_index, acts):
    _run(state, config_index, acts)


# ------------------------------------------------------------- byte fuzzing


def _valid_segments(seed: int) -> list[tuple[bytes, bytes, bytes]]:
    """Real traffic from a small transfer, to mutate: (src, dst, segment bytes)."""
    pair = EndpointPair(seed=seed)
    captured = []
    original = pair.apply

    def capture(side, step):
        captured.extend((p.src, p.dst, p.data) for p in step.packets)
        original(side, step)

    pair.apply = capture  # type: ignore[method-assign]
    a, b = pair.endpoints
    b.listen(80)
    flow, step = a.connect(0, local_ip=pair.ips[0], remote_ip=pair.ips[1], remote_port=80)
    pair.apply(0, step)
    pair.run(lambda: bool(b.connections) and next(iter(b.connections.values())).state is TcpState.ESTABLISHED)
    pair.apply(0, a.send(pair.now, flow, bytes(range(256)) * 20))
    pair.apply(0, a.close(pair.now, flow))
    pair.run()
    return captured


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            del b[rng.randrange(len(b)) :]
        elif op == 2:
            b[rng.randrange(len(b) + 1) : 0] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def _fuzz_endpoint(seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    corpus = _valid_segments(seed)
    pair = EndpointPair(seed=seed)
    a, b = pair.endpoints
    b.listen(80)
    _, step = a.connect(0, local_ip=pair.ips[0], remote_ip=pair.ips[1], remote_port=80)
    pair.apply(0, step)
    pair.run(lambda: bool(b.connections))
    now = pair.now
    for _ in range(rounds):
        src, dst, data = rng.choice(corpus)
        if rng.random() < 0.2:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 60)))
        else:
            data = _mutate(rng, data)
        for ep in (a, b):
            ep.verify_checksum = rng.random() < 0.5  # without it, mutations reach the state machine
            step = ep.receive(now, src if ep is b else dst, dst if ep is b else src, data)
            assert step.deadline is None or step.deadline >= now
        now += rng.randrange(0, 50 * MS)
        for ep in (a, b):
            if ep.deadline is not None and ep.deadline <= now:
                ep.timer(now)
    # Garbage must not have made time stand still either.
    for ep in (a, b):
        for _ in range(200):
            d = ep.deadline
            if d is None:
                break
            ep.timer(d)
            assert ep.deadline is None or ep.deadline > d


@pytest.mark.parametrize("seed", range(3))
def test_mutated_segments_never_raise(seed):
    _fuzz_endpoint(seed, 400)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_mutated_segments_never_raise_big(seed):
    _fuzz_endpoint(100 + seed, 20_000)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_random_bytes_decode_or_raise_our_error(data):
    try:
        decode(data, b"\x0a\x00\x00\x01", b"\x0a\x00\x00\x02", verify_checksum=False)
    except RemoteProtocolError:
        pass
