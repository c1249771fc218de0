"""TCP bulk-transfer speed in virtual time, for the network benchmark's ``tcp bulk: E MB/s`` line.

Imported by ``benchmarks/net.py`` (``python benchmarks/tcp_bulk.py`` prints the figure alone).
Speed is printed by ``benchmarks/`` scripts, never asserted by tests.
"""

from __future__ import annotations

import time

from mirage_nb.errors import SimulationError
from mirage_nb.sim.net.tcp.endpoint import Flow, FlowEvent
from mirage_nb.sim.net.tcp.events import Connected, DataReceived, PeerClosed
from mirage_nb.sim.net.tcp.pair import EndpointPair, LinkProfile

__all__ = ["bulk_transfer", "bulk_transfer_mb_per_cpu_s"]


def bulk_transfer(megabytes: float = 10.0, *, seed: int = 1, profile: LinkProfile | None = None) -> EndpointPair:
    """Send ``megabytes`` (10**6 bytes each) from endpoint 0 to endpoint 1 and close both ends.

    Every segment is encoded, checksummed, decoded and verified on the way.
    Returns the finished pair; raises ``SimulationError`` if the bytes do not arrive intact.
    """
    size = int(megabytes * 1_000_000)
    # A cheap non-repeating pattern, so a misplaced segment cannot go unnoticed.
    block = bytes(range(256)) * 4 + bytes(range(255, -1, -1)) * 4
    payload = (block * (size // len(block) + 1))[:size]
    pair = EndpointPair(seed, profile=profile)
    server, client = pair.endpoints[1], pair.endpoints[0]
    server.listen(5001)
    received: list[bytes] = []
    done = [False, False]

    def on_event(p: EndpointPair, side: int, fe: FlowEvent) -> None:
        ev = fe.event
        if side == 1:
            if type(ev) is DataReceived:
                received.append(ev.data)
            elif type(ev) is PeerClosed:
                p.apply(1, server.close(p.now, fe.flow))
                done[1] = True
        elif type(ev) is Connected:
            p.apply(0, client.send(p.now, fe.flow, payload))
            p.apply(0, client.close(p.now, fe.flow))
            done[0] = True

    pair.on_event = on_event
    flow: Flow
    flow, step = client.connect(0, local_ip=pair.ips[0], remote_ip=pair.ips[1], remote_port=5001)
    pair.apply(0, step)
    pair.run()
    got = b"".join(received)
    if got != payload:
        raise SimulationError(f"TCP bulk transfer: {len(got)} of {size} bytes arrived intact")
    if client.connections or server.connections:
        raise SimulationError("TCP bulk transfer: connections left open after both sides closed")
    return pair


def bulk_transfer_mb_per_cpu_s(megabytes: float = 10.0) -> float:
    """Megabytes (10**6 bytes) of payload moved per CPU second by ``bulk_transfer`` with no loss."""
    t0 = time.process_time()
    bulk_transfer(megabytes)
    dt = time.process_time() - t0
    return megabytes / dt if dt > 0 else float("inf")


if __name__ == "__main__":
    print(f"tcp bulk: {bulk_transfer_mb_per_cpu_s():.1f} MB/s of CPU time")
