"""Scripted TCP scenarios: RFC 5961 attacks, simultaneous open/close, windows, timers.

The RFC 5961 scenarios re-tell, in our own words and against our sans-IO
machine, the seven cases of mirage-tcpip's test/test_rfc5961.ml; the close
scenarios those of test_simulatenous_close.ml. Times are virtual nanoseconds.
"""

from __future__ import annotations

from mirage_nb.sim.net.tcp import (
    MS,
    SEC,
    Connection,
    DataReceived,
    Segment,
    TcpConfig,
    TcpState,
)
from mirage_nb.sim.net.tcp.scripted import (
    ISS,
    LOCAL,
    PEER_ISS,
    PEER_WINDOW,
    PLAIN,
    REMOTE,
    client,
    event_names,
    letters,
    peer,
    replies,
)

S = TcpState


# ------------------------------------------------------------- RFC 5961 (7)


def test_blind_rst_in_syn_sent_is_ignored_then_handshake_completes():
    c, _ = Connection.connect(0, PLAIN, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    # A reset whose ACK is in the past does not acknowledge our SYN: ignore it.
    assert replies(c.receive(0, peer("R.", 0, ISS))) == []
    assert c.state is S.SYN_SENT
    step = c.receive(0, peer("S.", 0, ISS + 1))
    assert replies(step) == ["."] and event_names(step) == ["Connected"]


def test_connection_refused():
    c, _ = Connection.connect(0, PLAIN, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    step = c.receive(0, peer("R.", 0, ISS + 1))
    assert event_names(step) == ["Refused", "Closed"] and c.state is S.CLOSED
    assert step.deadline is None


def test_blind_rst_on_established_gets_a_challenge_ack():
    s = client(peer_iss=0)
    step = s.conn.receive(0, peer("R", 10))  # in window, but not RCV.NXT (= 1)
    assert replies(step) == ["."] and step.segments[0].ack == 1
    assert step.events == () and s.conn.state is S.ESTABLISHED


def test_exact_rst_on_established_resets():
    s = client(peer_iss=0)
    step = s.conn.receive(0, peer("R", 1))
    assert event_names(step) == ["Reset", "Closed"] and replies(step) == []


def test_blind_syn_on_established_gets_a_challenge_ack():
    s = client(peer_iss=0)
    step = s.conn.receive(0, peer("S", 10))
    assert replies(step) == ["."] and step.segments[0].ack == 1
    assert s.conn.state is S.ESTABLISHED


def test_blind_data_injection_with_an_ancient_ack_is_not_delivered():
    s = client(peer_iss=1_000_000)
    # SND.UNA - MAX.SND.WND is the oldest acceptable ACK; go 100 bytes further back.
    old_ack = s.our_nxt - PEER_WINDOW - 100
    step = s.conn.receive(0, peer(".", 1_000_001, old_ack, bytes(512)))
    assert replies(step) == ["."] and step.segments[0].ack == 1_000_001
    assert step.events == () and s.conn.rcv_nxt == 1_000_001


def test_data_with_an_old_but_acceptable_ack_is_delivered_and_acked():
    s = client(peer_iss=1_000_000)
    old_ack = s.our_nxt - PEER_WINDOW + 100
    step = s.conn.receive(0, peer(".", 1_000_001, old_ack, bytes(512)))
    assert [type(e) for e in step.events] == [DataReceived]
    # One small segment: the ACK waits for the delayed-ACK timer (40 ms).
    assert replies(step) == [] and step.deadline == 40 * MS
    step = s.conn.timer(40 * MS)
    assert replies(step) == ["."] and step.segments[0].ack == 1_000_001 + 512


# --------------------------------------------------- simultaneous open/close


def _deliver(dst: Connection, segs, now=0):
    out = []
    events = []
    for seg in segs:
        st = dst.receive(now, seg)
        out.extend(st.segments)
        events.extend(st.events)
    return out, events


def test_simultaneous_open():
    a, sa = Connection.connect(0, PLAIN, local_port=1111, remote_port=2222, iss=100)
    b, sb = Connection.connect(0, PLAIN, local_port=2222, remote_port=1111, iss=300)
    # The SYNs cross: each side answers SYN,ACK from its own ISS (RFC 9293 figure 7).
    a_out, _ = _deliver(a, sb.segments)
    b_out, _ = _deliver(b, sa.segments)
    assert [letters(s) for s in a_out + b_out] == ["S.", "S."]
    assert (a_out[0].seq, b_out[0].seq) == (100, 300)
    assert a.state is S.SYN_RECEIVED and b.state is S.SYN_RECEIVED
    x, ev_a = _deliver(a, b_out)
    y, ev_b = _deliver(b, a_out)
    assert a.state is S.ESTABLISHED and b.state is S.ESTABLISHED
    assert [type(e).__name__ for e in ev_a + ev_b] == ["Connected", "Connected"]
    assert x == [] and y == []
    # And data flows.
    got, _ = _deliver(b, a.send(0, b"ping").segments)
    assert b.rcv_nxt == 101 + 4


def _established_pair(config=PLAIN):
    a, step = Connection.connect(0, config, local_port=1111, remote_port=2222, iss=100)
    b = Connection.listen(config, local_port=2222, iss=300)
    (synack,) = b.receive(0, step.segments[0]).segments
    (ack,) = a.receive(0, synack).segments
    b.receive(0, ack)
    assert a.state is S.ESTABLISHED and b.state is S.ESTABLISHED
    return a, b


def test_simultaneous_close_goes_through_closing_to_time_wait():
    a, b = _established_pair()
    fa, fb = a.shutdown(0).segments, b.shutdown(0).segments
    assert [letters(s) for s in fa + fb] == ["F.", "F."]
    acks_to_a, ev_b = _deliver(b, fa)
    acks_to_b, ev_a = _deliver(a, fb)
    assert a.state is S.CLOSING and b.state is S.CLOSING
    assert [type(e).__name__ for e in ev_a + ev_b] == ["PeerClosed", "PeerClosed"]
    _deliver(a, acks_to_a, now=5 * MS)
    _deliver(b, acks_to_b, now=5 * MS)
    assert a.state is S.TIME_WAIT and b.state is S.TIME_WAIT
    # Both wait 2*MSL (60 s with MSL 30 s), then the connection is gone.
    assert a.deadline == 5 * MS + 60 * SEC
    assert a.timer(a.deadline - 1).events == ()
    assert event_names(a.timer(a.deadline)) == ["Closed"] and a.state is S.CLOSED


def test_close_answered_by_reset():
    a, b = _established_pair()
    (fin,) = a.close(0).segments
    b.receive(0, fin)
    step = b.abort(0)
    assert replies(step) == ["R"] and event_names(step) == ["Reset", "Closed"]
    step = a.receive(0, step.segments[0])
    assert event_names(step) == ["Reset", "Closed"] and a.state is S.CLOSED


def test_orderly_close_passive_side_goes_through_last_ack():
    a, b = _established_pair()
    (fin,) = a.close(0).segments
    (ack,) = b.receive(0, fin).segments
    a.receive(0, ack)
    assert (a.state, b.state) == (S.FIN_WAIT_2, S.CLOSE_WAIT)
    (fin2,) = b.close(0).segments
    assert b.state is S.LAST_ACK
    (last,) = a.receive(0, fin2).segments
    assert event_names(b.receive(0, last)) == ["Closed"] and a.state is S.TIME_WAIT


def test_fin_wait_2_gives_up_after_close():
    a, b = _established_pair()
    (fin,) = a.close(0).segments
    (ack,) = b.receive(0, fin).segments
    a.receive(0, ack)
    assert a.state is S.FIN_WAIT_2 and a.deadline == 60 * SEC
    assert event_names(a.timer(60 * SEC)) == ["Closed"]


# ------------------------------------------------------------------ windows


class _Link:
    """Two connections joined by a 1 ms link in virtual time: a minimal ConnectionPair."""

    def __init__(self, a: Connection, b: Connection, now: int = 0) -> None:
        self.conns = (a, b)
        self.now = now
        self.queue: list[tuple[int, int, int, Segment]] = []
        self.n = 0
        self.data: list[bytes] = []
        self.log: list[tuple[int, int, Segment]] = []

    def push(self, side: int, step) -> None:
        for seg in step.segments:
            self.n += 1
            self.log.append((self.now, side, seg))
            self.queue.append((self.now + MS, self.n, 1 - side, seg))
        self.data.extend(e.data for e in step.events if side == 1 and isinstance(e, DataReceived))

    def run(self, until, limit: int = 10_000) -> None:
        for _ in range(limit):
            if until():
                return
            times = [t for t, *_ in self.queue] + [c.deadline for c in self.conns if c.deadline is not None]
            if not times:
                return
            self.now = max(self.now, min(times))
            due = [q for q in self.queue if q[0] <= self.now]
            if due:
                item = min(due)
                self.queue.remove(item)
                _, _, side, seg = item
                self.push(side, self.conns[side].receive(self.now, seg))
            else:
                for side, c in enumerate(self.conns):
                    if c.deadline is not None and c.deadline <= self.now:
                        self.push(side, c.timer(self.now))
        raise AssertionError("link did not settle")


def test_zero_window_probes_back_off_and_transfer_resumes():
    rcv_cfg = TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=4000, auto_consume=False)
    a, step = Connection.connect(0, PLAIN, local_port=1111, remote_port=2222, iss=100)
    b = Connection.listen(rcv_cfg, local_port=2222, iss=300)
    link = _Link(a, b)
    link.push(0, step)
    link.run(lambda: a.state is S.ESTABLISHED and b.state is S.ESTABLISHED)
    data = bytes(range(256)) * 40  # 10240 bytes, more than the receiver's 4000-byte buffer
    link.push(0, a.send(link.now, data))
    link.run(lambda: a.snd_wnd == 0 and not link.queue)
    assert sum(map(len, link.data)) == 4000
    # The sender now probes with one byte; each probe waits twice as long as the last,
    # and the receiver keeps answering with a zero window.
    start = len(link.log)
    link.run(lambda: sum(1 for _, side, sg in link.log[start:] if side == 0) >= 5)
    probes = [(t, sg) for t, side, sg in link.log[start:] if side == 0]
    answers = [sg for _, side, sg in link.log[start:] if side == 1]
    assert all(len(sg.payload) == 1 for _, sg in probes)
    assert all(sg.window == 0 for sg in answers)
    gaps = [y[0] - x[0] for x, y in zip(probes, probes[1:], strict=False)]
    assert gaps == [gaps[0] * 2**i for i in range(4)]
    assert a.state is S.ESTABLISHED and a.retransmissions == 0  # probing never gives up on a live peer
    # The application reads everything: a window update goes out and the rest flows.
    while sum(map(len, link.data)) < len(data):
        held = b._held
        link.push(1, b.consume(link.now, held))
        if held:
            assert link.log[-1][2].window > 0
        link.run(lambda: not link.queue and b._held > 0 or sum(map(len, link.data)) == len(data))
    assert b"".join(link.data) == data


def test_window_scale_is_used_only_when_both_syns_carry_it():
    cfg = TcpConfig(sack=False, timestamps=False)  # offers window scale 7
    c, step = Connection.connect(0, cfg, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    assert step.segments[0].window_scale == 7
    c.receive(0, peer("S.", PEER_ISS, ISS + 1, window=1000, window_scale=3))
    assert c.snd_wnd == 1000  # the SYN's own window is never scaled
    c.receive(0, peer(".", PEER_ISS + 1, ISS + 1, window=1000))
    assert c.snd_wnd == 8000
    (ack,) = c.receive(0, peer("P.", PEER_ISS + 1, ISS + 1, b"x" * 2000, window=1000)).segments or [None]
    # Without the peer's option, neither side scales.
    d, _ = Connection.connect(0, cfg, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    (a2,) = d.receive(0, peer("S.", PEER_ISS, ISS + 1, window=1000)).segments
    assert a2.window == min(cfg.rcv_buffer, 65535)
    d.receive(0, peer(".", PEER_ISS + 1, ISS + 1, window=1000))
    assert d.snd_wnd == 1000


def test_syn_carries_linux_options_and_synack_echoes_only_what_was_offered():
    c, step = Connection.connect(0, TcpConfig(), local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    (syn,) = step.segments
    assert (syn.mss, syn.sack_permitted, syn.window_scale) == (1460, True, 7)
    assert syn.timestamps is not None and syn.timestamps[1] == 0
    srv = Connection.listen(TcpConfig(), local_port=REMOTE, iss=7)
    (synack,) = srv.receive(0, Segment(LOCAL, REMOTE, 1, 0, 0x02, 65535, mss=1400)).segments
    assert synack.mss == 1460 and synack.window_scale is None
    assert not synack.sack_permitted and synack.timestamps is None
    assert srv.snd_mss == 1400


def test_mss_from_the_peer_limits_segment_size():
    s = client()
    c = Connection.connect(0, PLAIN, local_port=LOCAL, remote_port=REMOTE, iss=ISS)[0]
    c.receive(0, peer("S.", PEER_ISS, ISS + 1, window=65535, mss=500))
    segs = c.send(0, bytes(2000)).segments
    assert [len(x.payload) for x in segs] == [500, 500, 500, 500]
    assert s.conn.snd_mss == 536  # no MSS option: RFC 9293's default


# ------------------------------------------------------ acks and reassembly


def test_delayed_ack_every_second_full_segment():
    s = client()
    mss = s.conn.snd_mss
    p = s.peer_nxt
    st1 = s.conn.receive(0, peer(".", p, s.our_nxt, bytes(mss)))
    assert replies(st1) == [] and st1.deadline == 40 * MS
    st2 = s.conn.receive(MS, peer(".", p + mss, s.our_nxt, bytes(mss)))
    assert replies(st2) == ["."] and st2.segments[0].ack == p + 2 * mss
    assert st2.deadline is None


def test_out_of_order_segments_are_reassembled():
    s = client(TcpConfig(timestamps=False, window_scale=0, rcv_buffer=65535), sack_permitted=True)
    p = s.peer_nxt
    st = s.conn.receive(0, peer(".", p + 5, s.our_nxt, b"world"))
    # A hole: duplicate ACK at once, with a SACK block for what we hold.
    assert replies(st) == ["."] and st.segments[0].ack == p and st.events == ()
    assert st.segments[0].sack_blocks == ((p + 5, p + 10),)
    st = s.conn.receive(0, peer(".", p + 3, s.our_nxt, b"lowo"))  # overlaps both sides
    assert st.segments[0].sack_blocks == ((p + 3, p + 10),)
    st = s.conn.receive(0, peer(".", p, s.our_nxt, b"hel"))
    assert [e.data for e in st.events] == [b"helloworld"]
    assert replies(st) == ["."] and st.segments[0].ack == p + 10 and st.segments[0].sack_blocks == ()


def test_duplicate_and_partly_old_segments_are_trimmed():
    s = client()
    p = s.peer_nxt
    s.conn.receive(0, peer(".", p, s.our_nxt, b"abcdef"))
    st = s.conn.receive(0, peer(".", p, s.our_nxt, b"abcdef"))
    assert st.events == () and replies(st) == ["."]
    st = s.conn.receive(0, peer(".", p + 3, s.our_nxt, b"defghi"))
    assert [e.data for e in st.events] == [b"ghi"]


def test_fin_out_of_order_waits_for_the_data_before_it():
    s = client()
    p = s.peer_nxt
    st = s.conn.receive(0, peer("F.", p + 3, s.our_nxt, b"def"))
    assert st.events == () and s.conn.state is S.ESTABLISHED
    st = s.conn.receive(0, peer(".", p, s.our_nxt, b"abc"))
    assert event_names(st) == ["DataReceived", "PeerClosed"] and s.conn.state is S.CLOSE_WAIT
    assert st.segments[-1].ack == p + 7


def test_sequence_numbers_wrap_around():
    s = client(iss=2**32 - 3, peer_iss=2**32 - 2)
    p = s.peer_nxt  # 2**32 - 1
    st = s.conn.receive(0, peer(".", p, s.our_nxt, b"0123456789"))
    assert [e.data for e in st.events] == [b"0123456789"]
    (ack,) = s.conn.timer(st.deadline).segments
    assert ack.ack == (p + 10) % 2**32 == 9
    segs = s.conn.send(0, b"abcdef").segments
    assert segs[0].seq == 2**32 - 2
    assert s.conn.receive(0, peer(".", p + 10, s.our_nxt + 6)).segments == ()
    assert s.conn.send_buffered == 0 and s.conn.bytes_in_flight == 0


# --------------------------------------------------------------- timers


def test_syn_retransmissions_back_off_then_time_out():
    c, step = Connection.connect(0, PLAIN, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
    times = []
    events = []
    while c.state is not S.CLOSED:
        t = c.deadline
        st = c.timer(t)
        if st.segments:
            assert replies(st) == ["S"]
            times.append(t)
        events.extend(event_names(st))
    # 1 s initial RTO doubled each time: SYNs at 1, 3, 7, 15, 31, 63 s; give up at 127 s (as Linux does).
    assert [t // SEC for t in times] == [1, 3, 7, 15, 31, 63]
    assert t == 127 * SEC and events == ["TimedOut", "Closed"]


def test_data_retransmission_timeout_backs_off_exponentially_and_is_capped():
    cfg = TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535, max_retries=9)
    s = client(cfg)
    t0 = 10 * SEC
    st = s.conn.send(t0, b"hello")
    assert st.deadline == t0 + 1 * SEC  # RTT sample of 0 ns -> the 1 s RFC 6298 floor
    times = []
    while s.conn.state is S.ESTABLISHED:
        t = s.conn.deadline
        st = s.conn.timer(t)
        if st.segments:
            assert [x.payload for x in st.segments] == [b"hello"]
            times.append(t)
    gaps = [(b - a) // SEC for a, b in zip([t0, *times], [*times, t], strict=False)]
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]  # capped at max_rto
    assert event_names(st) == ["TimedOut", "Closed"]


def test_rtt_estimate_and_karns_rule():
    cfg = TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535, min_rto=200 * MS)
    s = client(cfg)
    c = s.conn
    c.send(0, b"a" * 100)
    c.receive(300 * MS, peer(".", s.peer_nxt, s.our_nxt + 100))
    # First sample (RFC 6298 §2.2): SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR... but the
    # handshake's 0 ns sample came first, so this is §2.3: RTTVAR = 3/4*0 + 1/4*300, SRTT = 1/8*300.
    assert c.rto.srtt == 300 * MS // 8 and c.rto.rttvar == 300 * MS // 4
    assert c.rto.rto == 300 * MS // 8 + 300 * MS
    before = (c.rto.srtt, c.rto.rttvar)
    c.send(SEC, b"b" * 100)
    c.timer(c.deadline)  # retransmitted: the ACK that follows must not be sampled
    c.receive(5 * SEC, peer(".", s.peer_nxt, s.our_nxt + 200))
    assert (c.rto.srtt, c.rto.rttvar) == before
    assert c.rto.backoff == 0


def test_three_duplicate_acks_trigger_fast_retransmit():
    s = client(TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535))
    c = s.conn
    mss = c.snd_mss
    segs = c.send(0, bytes(range(256)) * 20).segments
    assert len(segs) == 10  # IW10: all 5120 bytes, in 536-byte segments (no MSS option from the peer)
    first = segs[0]
    for _ in range(2):
        assert c.receive(MS, peer(".", s.peer_nxt, s.our_nxt)).segments == ()
    st = c.receive(MS, peer(".", s.peer_nxt, s.our_nxt))
    assert [(x.seq, x.payload) for x in st.segments][:1] == [(first.seq, first.payload)]
    # RFC 5681 §3.2: ssthresh = max(FlightSize / 2, 2*SMSS), cwnd = ssthresh + 3*SMSS.
    assert c.retransmissions == 1 and c.ssthresh == 5120 // 2 and c.cwnd == 2560 + 3 * mss


def test_lost_handshake_ack_is_recovered_by_the_synack_retransmission():
    a, step = Connection.connect(0, PLAIN, local_port=1111, remote_port=2222, iss=100)
    b = Connection.listen(PLAIN, local_port=2222, iss=300)
    (synack,) = b.receive(0, step.segments[0]).segments
    a.receive(MS, synack)  # a is ESTABLISHED; its ACK is lost
    assert b.deadline == 1 * SEC
    (again,) = b.timer(SEC).segments
    assert letters(again) == "S." and again.seq == 300
    # The established side answers the old SYN,ACK with an ACK (RFC 5961 §4: challenge ACK)...
    (ack,) = a.receive(SEC + MS, again).segments
    assert (letters(ack), ack.ack) == (".", 301)
    # ...which completes the handshake on the other side.
    assert event_names(b.receive(SEC + 2 * MS, ack)) == ["Connected"]


def test_retransmitted_syn_in_syn_received_gets_the_synack_again():
    b = Connection.listen(PLAIN, local_port=2222, iss=300)
    syn = Segment(1111, 2222, 100, 0, 0x02, 1000)
    b.receive(0, syn)
    (synack,) = b.receive(SEC, syn).segments
    assert letters(synack) == "S." and (synack.seq, synack.ack) == (300, 101)
    assert b.state is S.SYN_RECEIVED


def test_time_wait_restarts_on_a_retransmitted_fin():
    a, b = _established_pair()
    (fin,) = a.close(0).segments
    (ack,) = b.receive(0, fin).segments
    a.receive(0, ack)
    (fin2,) = b.close(0).segments
    a.receive(SEC, fin2)
    assert a.state is S.TIME_WAIT and a.deadline == SEC + 60 * SEC
    (again,) = a.receive(30 * SEC, fin2).segments  # our last ACK was lost: ACK again, wait 2*MSL anew
    assert letters(again) == "." and a.deadline == 30 * SEC + 60 * SEC


def test_nagle_holds_small_writes_while_data_is_unacknowledged():
    cfg = TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535, nagle=True)
    s = client(cfg)
    c = s.conn
    assert [len(x.payload) for x in c.send(0, b"a").segments] == [1]
    assert c.send(0, b"b").segments == () and c.send(0, b"c").segments == ()
    step = c.receive(MS, peer(".", s.peer_nxt, s.our_nxt + 1))
    assert [x.payload for x in step.segments] == [b"bc"]
    # Without Nagle (the default, as mirage-tcpip) each write goes out at once.
    d = client().conn
    assert [len(d.send(0, b).segments) for b in (b"a", b"b")] == [1, 1]


def test_timestamps_shrink_the_payload_per_segment_as_linux_does():
    a, b = _established_pair(TcpConfig())
    assert (a.snd_mss, b.snd_mss) == (1448, 1448)  # 1460 - 12 bytes of NOP NOP TS (RFC 6691)
    segs = a.send(5 * MS, bytes(3000)).segments
    assert [len(x.payload) for x in segs] == [1448, 1448, 104]
    assert all(x.timestamps is not None for x in segs)
    got = b.receive(6 * MS, segs[0])
    assert got.events[0].data == bytes(1448)


def test_send_after_shutdown_is_a_local_error():
    import pytest

    from mirage_nb.errors import LocalProtocolError

    s = client()
    s.conn.shutdown(0)
    with pytest.raises(LocalProtocolError, match="closed for writing"):
        s.conn.send(0, b"late")


def test_pure_acks_after_a_timeout_carry_snd_max():
    # After an RTO rewinds SND.NXT (go-back-N), an ACK numbered SND.NXT would look old to the peer
    # and be dropped unread; both sides retransmitting at once then deadlock (found by a stress run).
    s = client()
    c = s.conn
    segs = c.send(0, bytes(1500)).segments
    top = segs[-1].seq + len(segs[-1].payload)
    (again,) = c.timer(c.deadline).segments
    assert again.seq == segs[0].seq and c.snd_nxt < c.snd_max
    (ack,) = c.receive(2 * SEC, peer("F.", s.peer_nxt, s.our_nxt)).segments
    assert letters(ack) == "." and ack.seq == top


def test_limited_transmit_sends_new_data_on_the_first_two_duplicate_acks():
    # RFC 3042: a duplicate ACK means a segment left the network, so one new segment may
    # go out for each of the first two, even when cwnd is full.
    s = client(TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535))
    c = s.conn
    mss = c.snd_mss
    sent = c.send(0, bytes(15 * mss)).segments
    assert len(sent) == 10  # IW10
    dup = peer(".", s.peer_nxt, s.our_nxt)
    first = c.receive(MS, dup).segments
    second = c.receive(MS, dup).segments
    assert [x.seq for x in first + second] == [s.our_nxt + 10 * mss, s.our_nxt + 11 * mss]
    third = c.receive(MS, dup).segments
    assert third[0].seq == s.our_nxt  # then fast retransmit of the head
