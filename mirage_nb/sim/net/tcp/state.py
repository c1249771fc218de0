"""The connection states of RFC 9293 §3.3.2, and which of them are "synchronized".

The transitions live in ``machine.py`` as handlers named for the RFC 9293
§3.10.7 steps they implement ("SEGMENT ARRIVES" in LISTEN, SYN-SENT, and the
"otherwise" states); this module only names the states, so tables, tests and
displays share one vocabulary.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["TcpState", "SYNCHRONIZED", "RECEIVING", "SENDING"]


class TcpState(Enum):
    """RFC 9293 connection states; the value is the spelling the RFC uses."""

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    def __str__(self) -> str:
        return self.value


# RFC 5961 §3-§5 apply to these: both sequence spaces are known.
SYNCHRONIZED = frozenset(
    {
        TcpState.SYN_RECEIVED,
        TcpState.ESTABLISHED,
        TcpState.FIN_WAIT_1,
        TcpState.FIN_WAIT_2,
        TcpState.CLOSE_WAIT,
        TcpState.CLOSING,
        TcpState.LAST_ACK,
        TcpState.TIME_WAIT,
    }
)

# States in which segment text is still delivered (RFC 9293 §3.10.7.4, "seventh").
RECEIVING = frozenset({TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2})

# States in which queued data and our FIN may still be (re)transmitted.
SENDING = frozenset(
    {TcpState.ESTABLISHED, TcpState.CLOSE_WAIT, TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.LAST_ACK}
)
