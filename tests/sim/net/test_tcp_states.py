"""State x segment-kind table (utcp's test/state_machine.ml habit): each cell is the reply we expect.

Expected replies come from RFC 9293 §3.10.7 and RFC 5961 (§3 RST, §4 SYN,
§5 ACK): ``"."`` is an ACK (a challenge ACK in synchronized states), ``"R"``
a reset, ``""`` silence. Each cell also names the state afterwards and the
events the application sees.
"""

from __future__ import annotations

import pytest

from mirage_nb.sim.net.tcp import Closed, DataReceived, PeerClosed, Refused, Reset, TcpState
from mirage_nb.sim.net.tcp.scripted import PEER_ISS, in_state, peer, replies

S = TcpState


def kinds(s):
    """The segment kinds a scripted peer can send, using the sequence numbers a real peer would."""
    p, o = s.peer_nxt, s.our_nxt
    return {
        "syn": peer("S", p),
        "rst_exact": peer("R", p),
        "rst_in_window": peer("R", p + 100),
        "rst_out_of_window": peer("R", p + 1_000_000),
        "ack_future": peer(".", p, o + 50_000),
        "data": peer("P.", p, o, b"0123456789"),
        "fin": peer("F.", p, o),
    }


# state -> kind -> (replies, state after, events)
SYNCHRONIZED_TABLE = {
    S.ESTABLISHED: {
        "syn": (["."], S.ESTABLISHED, []),
        "rst_exact": ([], S.CLOSED, [Reset, Closed]),
        "rst_in_window": (["."], S.ESTABLISHED, []),
        "rst_out_of_window": ([], S.ESTABLISHED, []),
        "ack_future": (["."], S.ESTABLISHED, []),
        "data": ([], S.ESTABLISHED, [DataReceived]),  # delayed ACK: nothing yet
        "fin": (["."], S.CLOSE_WAIT, [PeerClosed]),
    },
    S.SYN_RECEIVED: {
        # §3.10.7.4 fourth: a passive open gives the connection up (back to LISTEN).
        "syn": ([], S.CLOSED, [Reset, Closed]),
        "rst_exact": ([], S.CLOSED, [Reset, Closed]),
        "rst_in_window": (["."], S.SYN_RECEIVED, []),
        "rst_out_of_window": ([], S.SYN_RECEIVED, []),
        # An unacceptable ACK in SYN-RECEIVED is answered with a reset (§3.10.7.4 fifth).
        "ack_future": (["R"], S.SYN_RECEIVED, []),
        "data": ([], S.ESTABLISHED, ["Connected", DataReceived]),
        "fin": (["."], S.CLOSE_WAIT, ["Connected", PeerClosed]),
    },
    S.FIN_WAIT_1: {
        "syn": (["."], S.FIN_WAIT_1, []),
        "rst_exact": ([], S.CLOSED, [Reset, Closed]),
        "rst_in_window": (["."], S.FIN_WAIT_1, []),
        "rst_out_of_window": ([], S.FIN_WAIT_1, []),
        "ack_future": (["."], S.FIN_WAIT_1, []),
        "data": ([], S.FIN_WAIT_1, [DataReceived]),
        "fin": (["."], S.CLOSING, [PeerClosed]),  # simultaneous close
    },
    S.FIN_WAIT_2: {
        "syn": (["."], S.FIN_WAIT_2, []),
        "rst_exact": ([], S.CLOSED, [Reset, Closed]),
        "rst_in_window": (["."], S.FIN_WAIT_2, []),
        "rst_out_of_window": ([], S.FIN_WAIT_2, []),
        "ack_future": (["."], S.FIN_WAIT_2, []),
        "data": ([], S.FIN_WAIT_2, [DataReceived]),
        "fin": (["."], S.TIME_WAIT, [PeerClosed]),
    },
    S.CLOSE_WAIT: {
        "syn": (["."], S.CLOSE_WAIT, []),
        "rst_exact": ([], S.CLOSED, [Reset, Closed]),
        "rst_in_window": (["."], S.CLOSE_WAIT, []),
        "rst_out_of_window": ([], S.CLOSE_WAIT, []),
        "ack_future": (["."], S.CLOSE_WAIT, []),
        "data": ([], S.CLOSE_WAIT, []),  # text after FIN is ignored
        "fin": (["."], S.CLOSE_WAIT, []),
    },
    S.CLOSING: {
        "syn": (["."], S.CLOSING, []),
        "rst_exact": ([], S.CLOSED, [Closed]),
        "rst_in_window": (["."], S.CLOSING, []),
        "rst_out_of_window": ([], S.CLOSING, []),
        "ack_future": (["."], S.CLOSING, []),
        "data": ([], S.CLOSING, []),
        "fin": (["."], S.CLOSING, []),
    },
    S.LAST_ACK: {
        "syn": (["."], S.LAST_ACK, []),
        "rst_exact": ([], S.CLOSED, [Closed]),
        "rst_in_window": (["."], S.LAST_ACK, []),
        "rst_out_of_window": ([], S.LAST_ACK, []),
        "ack_future": (["."], S.LAST_ACK, []),
        "data": ([], S.LAST_ACK, []),
        "fin": (["."], S.LAST_ACK, []),
    },
    S.TIME_WAIT: {
        "syn": (["."], S.TIME_WAIT, []),
        "rst_exact": ([], S.CLOSED, [Closed]),
        "rst_in_window": (["."], S.TIME_WAIT, []),
        "rst_out_of_window": ([], S.TIME_WAIT, []),
        "ack_future": (["."], S.TIME_WAIT, []),
        "data": ([], S.TIME_WAIT, []),
        "fin": (["."], S.TIME_WAIT, []),
    },
}

CELLS = [(st, kind) for st, row in SYNCHRONIZED_TABLE.items() for kind in row]


def _names(events):
    return [e if isinstance(e, str) else e.__name__ for e in events]


@pytest.mark.parametrize(("state", "kind"), CELLS, ids=[f"{s.value}-{k}" for s, k in CELLS])
def test_synchronized_state_reply(state, kind):
    s = in_state(state)
    want_replies, want_state, want_events = SYNCHRONIZED_TABLE[state][kind]
    step = s.conn.receive(1_000, kinds(s)[kind])
    assert replies(step) == want_replies
    assert s.conn.state is want_state
    assert [type(e).__name__ for e in step.events] == _names(want_events)


def test_challenge_ack_carries_our_current_numbers():
    # RFC 5961 §3.2: the challenge ACK tells a genuine peer exactly where we are.
    s = in_state(S.ESTABLISHED)
    step = s.conn.receive(0, peer("R", s.peer_nxt + 5))
    (ack,) = step.segments
    assert (ack.seq, ack.ack) == (s.our_nxt, s.peer_nxt)
    assert s.conn.challenge_acks == 1


# Unsynchronized states, with the peer numbers that matter there.
def test_listen_table():
    cases = {
        "syn": (peer("S", PEER_ISS), ["S."], S.SYN_RECEIVED),
        "rst": (peer("R", PEER_ISS), [], S.LISTEN),
        "ack": (peer(".", PEER_ISS, 777), ["R"], S.LISTEN),
        "data": (peer("P.", PEER_ISS, 777, b"x"), ["R"], S.LISTEN),
        "fin": (peer("F.", PEER_ISS, 777), ["R"], S.LISTEN),
        "bare_fin": (peer("F", PEER_ISS), [], S.LISTEN),
    }
    for name, (seg, want, state) in cases.items():
        s = in_state(S.LISTEN)
        step = s.conn.receive(0, seg)
        assert replies(step) == want, name
        assert s.conn.state is state, name
    # The reset to an ACK takes its sequence number from that ACK (§3.10.7.2).
    s = in_state(S.LISTEN)
    (rst,) = s.conn.receive(0, peer(".", PEER_ISS, 777)).segments
    assert rst.seq == 777


def test_syn_sent_table():
    o = in_state(S.SYN_SENT).our_nxt
    cases = {
        "synack": (peer("S.", PEER_ISS, o), ["."], S.ESTABLISHED, ["Connected"]),
        "syn_simultaneous_open": (peer("S", PEER_ISS), ["S."], S.SYN_RECEIVED, []),
        "rst_acking_syn": (peer("R.", 0, o), [], S.CLOSED, [Refused.__name__, "Closed"]),
        "rst_without_ack": (peer("R", 0), [], S.SYN_SENT, []),
        "rst_bad_ack": (peer("R.", 0, o + 10), [], S.SYN_SENT, []),
        "synack_bad_ack": (peer("S.", PEER_ISS, o + 10), ["R"], S.SYN_SENT, []),
        "ack_bad": (peer(".", PEER_ISS, 5), ["R"], S.SYN_SENT, []),
        "ack_without_syn": (peer(".", PEER_ISS, o), [], S.SYN_SENT, []),
        "fin_without_syn": (peer("F.", PEER_ISS, o), [], S.SYN_SENT, []),
    }
    for name, (seg, want, state, events) in cases.items():
        s = in_state(S.SYN_SENT)
        step = s.conn.receive(0, seg)
        assert replies(step) == want, name
        assert s.conn.state is state, name
        assert [type(e).__name__ for e in step.events] == events, name


def test_closed_answers_with_resets():
    s = in_state(S.CLOSED)
    c = s.conn
    # ACK on: RST with seq = their ACK; ACK off: RST,ACK acknowledging seq + length (§3.10.7.1).
    (r,) = c.receive(0, peer(".", 9, 1234)).segments
    assert (r.flags, r.seq) == (0x04, 1234)
    (r,) = c.receive(0, peer("S", 9)).segments
    assert (r.flags, r.seq, r.ack) == (0x14, 0, 10)
    (r,) = c.receive(0, peer("P", 9, 0, b"abc")).segments
    assert r.ack == 12
    assert c.receive(0, peer("R", 9)).segments == ()
