"""A scripted TCP peer: segments written by hand, and connections driven into each state.

For tests and for notebooks that want to poke one connection with crafted
segments. The style follows mirage-tcpip's test/test_rfc5961.ml (a
hand-written peer sends crafted segments and checks the replies) and utcp's
test/state_machine.ml (one connection per state, one segment kind at a time).
Testing aid: not used by the stack itself.
"""

from __future__ import annotations

from typing import Any

from mirage_nb.sim.net.tcp.events import Step
from mirage_nb.sim.net.tcp.machine import Connection
from mirage_nb.sim.net.tcp.state import TcpState
from mirage_nb.sim.net.tcp.timers import TcpConfig
from mirage_nb.sim.net.tcp.wire import Flags, Segment

__all__ = [
    "PLAIN",
    "LOCAL",
    "REMOTE",
    "ISS",
    "PEER_ISS",
    "PEER_WINDOW",
    "Scripted",
    "flags",
    "letters",
    "peer",
    "replies",
    "event_names",
    "client",
    "in_state",
]

# Options off: replies stay short and readable; the option paths have their own tests.
PLAIN = TcpConfig(sack=False, timestamps=False, window_scale=0, rcv_buffer=65535)

LOCAL, REMOTE = 40000, 80
ISS = 1000  # ours
PEER_ISS = 5000  # the scripted peer's
PEER_WINDOW = 8192

_LETTERS = {"S": Flags.SYN, "F": Flags.FIN, "R": Flags.RST, "P": Flags.PSH, ".": Flags.ACK}


def flags(text: str) -> int:
    """tcpdump-style flag letters (``"S."`` is SYN+ACK) as the flag byte."""
    v = 0
    for ch in text:
        v |= _LETTERS[ch]
    return int(v)


def letters(seg: Segment) -> str:
    """The flag byte of ``seg`` as tcpdump letters, SYN/FIN/RST/PSH first, then ``.`` for ACK."""
    out = "".join(ch for ch, bit in _LETTERS.items() if ch != "." and seg.flags & bit)
    return out + ("." if seg.flags & Flags.ACK else "")


def peer(flag_text: str, seq: int, ack: int = 0, payload: bytes = b"", window: int = PEER_WINDOW, **kw: Any) -> Segment:
    """A segment from the scripted peer (port 80) to our connection (port 40000)."""
    return Segment(REMOTE, LOCAL, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, flags(flag_text), window, payload, **kw)


def replies(step: Step) -> list[str]:
    """The flags of each segment in ``step``, for compact assertions."""
    return [letters(s) for s in step.segments]


def event_names(step: Step) -> list[str]:
    """The class names of the events in ``step``."""
    return [type(e).__name__ for e in step.events]


class Scripted:
    """A connection under test plus the scripted peer's view of the sequence numbers."""

    def __init__(self, conn: Connection, peer_nxt: int, our_nxt: int) -> None:
        self.conn = conn
        self.peer_nxt = peer_nxt  # next sequence number the peer will send
        self.our_nxt = our_nxt  # what the peer acknowledges (our next sequence number)


def client(
    config: TcpConfig = PLAIN, iss: int = ISS, peer_iss: int = PEER_ISS, now: int = 0, **synack_options: Any
) -> Scripted:
    """An ESTABLISHED active-open connection after SYN / SYN-ACK / ACK (options for the SYN-ACK in kwargs)."""
    c, step = Connection.connect(now, config, local_port=LOCAL, remote_port=REMOTE, iss=iss)
    assert replies(step) == ["S"]
    step = c.receive(now, peer("S.", peer_iss, iss + 1, **synack_options))
    assert replies(step) == ["."] and c.state is TcpState.ESTABLISHED
    return Scripted(c, peer_iss + 1, iss + 1)


def in_state(state: TcpState, config: TcpConfig = PLAIN) -> Scripted:
    """A connection driven into ``state`` by the scripted peer."""
    if state is TcpState.CLOSED:
        s = client(config)
        s.conn.abort(0)
        return s
    if state is TcpState.LISTEN:
        return Scripted(Connection.listen(config, local_port=LOCAL, iss=ISS), PEER_ISS, ISS)
    if state is TcpState.SYN_SENT:
        c, _ = Connection.connect(0, config, local_port=LOCAL, remote_port=REMOTE, iss=ISS)
        return Scripted(c, PEER_ISS, ISS + 1)
    if state is TcpState.SYN_RECEIVED:
        c = Connection.listen(config, local_port=LOCAL, iss=ISS)
        step = c.receive(0, peer("S", PEER_ISS))
        assert replies(step) == ["S."]
        return Scripted(c, PEER_ISS + 1, ISS + 1)
    s = client(config)
    c = s.conn
    if state is TcpState.ESTABLISHED:
        return s
    if state in (TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.CLOSING, TcpState.TIME_WAIT):
        assert replies(c.shutdown(0)) == ["F."]
        if state is TcpState.CLOSING:
            c.receive(0, peer("F.", s.peer_nxt, s.our_nxt))  # FIN that does not ack ours
            s.peer_nxt += 1
        elif state is not TcpState.FIN_WAIT_1:  # in FIN-WAIT-1 the peer has not acked our FIN yet
            s.our_nxt += 1
            c.receive(0, peer(".", s.peer_nxt, s.our_nxt))
            if state is TcpState.TIME_WAIT:
                c.receive(0, peer("F.", s.peer_nxt, s.our_nxt))
                s.peer_nxt += 1
    elif state in (TcpState.CLOSE_WAIT, TcpState.LAST_ACK):
        c.receive(0, peer("F.", s.peer_nxt, s.our_nxt))
        s.peer_nxt += 1
        if state is TcpState.LAST_ACK:
            assert replies(c.shutdown(0)) == ["F."]
    assert c.state is state, (c.state, state)
    return s
