"""TCP for the simulated network stack: a sans-IO twin of mirage-tcpip's ``Tcp``, shaped like utcp.

Layers, bottom up (each usable alone):

- ``wire``: ``Segment`` (an immutable record), ``decode(data, src, dst)`` / ``encode(seg, src, dst)``
  with the IPv4/IPv6 pseudo-header checksum and the options MSS, window scale,
  SACK-permitted, SACK, timestamps, NOP/EOL (unknown ones kept, ignored).
  Malformed bytes raise ``RemoteProtocolError`` naming the field.
- ``machine.Connection``: one connection. ``Connection.connect(now, config, local_port=,
  remote_port=, iss=)`` or ``Connection.listen(config, local_port=, iss=)``, then
  ``receive(now, seg)``, ``send(now, data)``, ``shutdown(now)``, ``close(now)``,
  ``abort(now)``, ``consume(now, n)`` and ``timer(now)``; each returns an immutable
  ``Step(events, segments, deadline)``. States are ``TcpState`` (RFC 9293).
- ``endpoint.TcpEndpoint(rng, config)``: the connections of one stack, demultiplexed by
  ``Flow`` 4-tuple, with listeners; ``receive(now, src_ip, dst_ip, bytes)``,
  ``connect(now, local_ip=, remote_ip=, remote_port=)``, ``listen(port)``,
  ``send/shutdown/close/abort/consume(now, flow, ...)``, ``timer(now)``; each
  returns ``EndpointStep(events: FlowEvent..., packets: Packet..., deadline)``.
- ``pair.EndpointPair``: two endpoints over an in-memory lossy link (tests, notebooks).
- ``scripted``: a hand-driven peer (crafted segments, a connection in any state) for tests
  and experiments, in the style of mirage-tcpip's test_rfc5961.ml.

The MirageOS flow shell (to be written in the simulator) stays thin:

- it owns one ``TcpEndpoint`` per stack, gives it every TCP payload the IP layer
  receives, hands ``EndpointStep.packets`` to the IP layer (protocol 6), and keeps
  one virtual-clock alarm at the latest ``EndpointStep.deadline`` (the endpoint's
  earliest timer over all flows) that calls ``timer(now)``; addresses are raw
  4- or 16-byte ``bytes``, as the IP layer has them;
- ``connect`` calls ``TcpEndpoint.connect`` and waits for the flow's first event:
  ``Connected`` -> ``Ok flow``, ``Refused`` -> ``Error `Refused``,
  ``TimedOut`` -> ``Error `Timeout``;
- ``listen port callback``: ``TcpEndpoint.listen(port)``; a ``Connected`` event on a
  flow it did not open means a new passive flow for ``callback``;
- ``read`` waits on the flow's queue: ``DataReceived d`` -> ``Ok (`Data d)``
  (then ``consume`` when ``auto_consume`` is off), ``PeerClosed`` -> ``Ok `Eof``,
  ``Reset``/``Closed`` -> ``Ok `Eof`` (mirage-tcpip reports a reset as EOF on read);
- ``write`` calls ``send``; a ``LocalProtocolError`` (shut down, or no such flow)
  -> ``Error `Closed``; back-pressure by waiting while
  ``TcpEndpoint.connection(flow).send_buffered`` is large;
- ``shutdown``/``close`` call the same-named methods.

Departures from the RFCs are listed in ``machine``'s docstring.
"""

from mirage_nb.sim.net.tcp.endpoint import (
    EPHEMERAL_PORTS,
    EndpointStep,
    Flow,
    FlowEvent,
    Packet,
    TcpEndpoint,
)
from mirage_nb.sim.net.tcp.events import (
    Closed,
    Connected,
    DataReceived,
    Event,
    PeerClosed,
    Refused,
    Reset,
    Step,
    TimedOut,
)
from mirage_nb.sim.net.tcp.machine import Connection, rst_for
from mirage_nb.sim.net.tcp.pair import EndpointPair, LinkProfile
from mirage_nb.sim.net.tcp.state import TcpState
from mirage_nb.sim.net.tcp.timers import MS, SEC, RtoEstimator, TcpConfig
from mirage_nb.sim.net.tcp.wire import Flags, Segment, decode, encode

__all__ = [
    "EPHEMERAL_PORTS",
    "MS",
    "SEC",
    "Closed",
    "Connected",
    "Connection",
    "DataReceived",
    "EndpointPair",
    "EndpointStep",
    "Event",
    "Flags",
    "Flow",
    "FlowEvent",
    "LinkProfile",
    "Packet",
    "PeerClosed",
    "Refused",
    "Reset",
    "RtoEstimator",
    "Segment",
    "Step",
    "TcpConfig",
    "TcpEndpoint",
    "TcpState",
    "TimedOut",
    "decode",
    "encode",
    "rst_for",
]
