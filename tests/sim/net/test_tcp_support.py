"""The scripted peer can drive a connection into every RFC 9293 state."""

from __future__ import annotations

from mirage_nb.sim.net.tcp import TcpState
from mirage_nb.sim.net.tcp.scripted import in_state


def test_every_state_is_reachable_by_the_scripted_peer() -> None:
    for st in TcpState:
        assert in_state(st).conn.state is st
