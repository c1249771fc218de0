"""What a TCP connection tells its application, and the record every entry point returns.

Events are frozen nouns (h11's habit). A ``Step`` is the whole answer of one
call: the events, in order, the segments to put on the wire, in order, and the
next virtual time at which ``timer(now)`` must be called (``None``: no timer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from mirage_nb.sim.net.tcp.wire import Segment

__all__ = [
    "Event",
    "Connected",
    "DataReceived",
    "PeerClosed",
    "Reset",
    "Refused",
    "TimedOut",
    "Closed",
    "Step",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of the events a connection reports."""


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The three-way handshake completed: the flow is ESTABLISHED (mirage: ``connect`` returns ``Ok``)."""


@dataclass(frozen=True, slots=True)
class DataReceived(Event):
    """In-order bytes from the peer, handed to the application (mirage: ``read`` returns ``Ok (`Data d)``)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PeerClosed(Event):
    """The peer sent FIN: no more data will arrive (mirage: ``read`` returns ``Ok `Eof``)."""


@dataclass(frozen=True, slots=True)
class Reset(Event):
    """The connection was reset by the peer or aborted by us; nothing more can be read or written."""


@dataclass(frozen=True, slots=True)
class Refused(Event):
    """The peer answered our SYN with RST (mirage: ``connect`` returns ``Error `Refused``)."""


@dataclass(frozen=True, slots=True)
class TimedOut(Event):
    """Retransmissions were exhausted (mirage: ``Error `Timeout``); the connection is gone."""


@dataclass(frozen=True, slots=True)
class Closed(Event):
    """The connection reached CLOSED: its record can be forgotten (after TIME-WAIT, LAST-ACK, RST...)."""


class Step(NamedTuple):
    """The result of one call into a connection: events, segments to send, next deadline (ns) or None.

    Immutable; a ``NamedTuple`` because one is built per call on the hot path.
    """

    events: tuple[Event, ...]
    segments: tuple[Segment, ...]
    deadline: int | None
