"""Out-of-order reassembly (cf. utcp's test/reassembly.ml): any order, overlaps and duplicates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.sim.net.tcp import DataReceived, TcpConfig
from mirage_nb.sim.net.tcp.scripted import client, peer

CFG = TcpConfig(timestamps=False, window_scale=0, rcv_buffer=65535)


@st.composite
def shuffled_pieces(draw):
    data = draw(st.binary(min_size=1, max_size=3000))
    n = len(data)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=12)))
    bounds = [0, *cuts, n]
    pieces = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    # Extra overlapping and duplicate pieces.
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, n))
        pieces.append((a, b))
    order = draw(st.permutations(pieces))
    return data, order


@settings(max_examples=200, deadline=None)
@given(shuffled_pieces(), st.integers(0, 2**32 - 1))
def test_pieces_in_any_order_reassemble_to_the_stream(case, peer_iss):
    data, order = case
    s = client(CFG, peer_iss=peer_iss, sack_permitted=True)
    base = s.peer_nxt
    got = []
    for a, b in order:
        step = s.conn.receive(0, peer(".", base + a, s.our_nxt, data[a:b]))
        got.extend(e.data for e in step.events if isinstance(e, DataReceived))
        for seg in step.segments:
            # SACK blocks only ever describe data we hold beyond RCV.NXT.
            for left, right in seg.sack_blocks:
                assert (left - s.conn.rcv_nxt) % 2**32 < 2**31 and (right - left) % 2**32 > 0
    assert b"".join(got) == data
    assert s.conn.rcv_nxt == base + len(data)
