"""Unikernels started and retired during a run (Fleet): they boot when asked, and retiring unplugs them."""

from __future__ import annotations

import pytest

from mirage_nb.errors import SimulationError
from mirage_nb.lab import Duration, Fleet, Mirage_sleep, Network, Peer, example


def _web_net(script) -> Network:  # type: ignore[no-untyped-def]
    return (
        Network()
        .unikernel(
            "web1", example("web_server"), argv=["--ipv4=10.0.0.21/24", "--instance=web1"], net="direct", no_dhcp=True
        )
        .peer("orchestrator", script, cidr="10.0.0.3/24")
    )


async def _get(peer: Peer, ip: str) -> bytes:
    f = await peer.connect(ip, 80)
    await peer.send(f, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await peer.wait_closed(f, timeout_ns=5 * 10**9)
    await peer.close(f)
    return bytes(f.data)


def test_a_unikernel_started_mid_run_boots_then_and_serves() -> None:
    got: list[tuple[int, bytes]] = []
    fleets: list[Fleet] = []

    async def orchestrate(peer: Peer) -> None:
        fleet = Fleet(peer.lan)
        fleets.append(fleet)
        await Mirage_sleep.ns(Duration.of_sec(10))
        fleet.start(
            "web2", example("web_server"), argv=["--ipv4=10.0.0.22/24", "--instance=web2"], net="direct", no_dhcp=True
        )
        await Mirage_sleep.ns(Duration.of_sec(2))
        got.append((peer.run.now, await _get(peer, "10.0.0.22")))

    run = _web_net(orchestrate).run(until="15s")
    booted = [line for line in run.lines if "serving on 80/TCP" in line]
    assert booted[0].startswith("2025-01-01T00:00:01Z") and "web1" in booted[0]
    assert booted[1].startswith("2025-01-01T00:00:11Z") and "web2" in booted[1]  # started at 10 s, up at 11 s
    assert got[0][1].endswith(b"served by web2 (request 1)\n")
    assert fleets[0].running == ["web2"] and fleets[0].instances["web2"].started_ns == 10 * 10**9


def test_a_retired_unikernel_is_unreachable() -> None:
    outcome: list[str] = []

    async def orchestrate(peer: Peer) -> None:
        fleet = Fleet(peer.lan)
        fleet.start(
            "web2", example("web_server"), argv=["--ipv4=10.0.0.22/24", "--instance=web2"], net="direct", no_dhcp=True
        )
        await Mirage_sleep.ns(Duration.of_sec(2))
        outcome.append((await _get(peer, "10.0.0.22")).decode().splitlines()[-1])
        outcome.append("answers ping" if await peer.ping("10.0.0.22", 1) else "silent")
        inst = fleet.retire("web2")
        outcome.append(f"retired at {inst.stopped_ns == peer.run.now}, running {fleet.running}")
        outcome.append("answers ping" if await peer.ping("10.0.0.22", 2) else "silent")
        with pytest.raises(SimulationError, match="already retired"):
            fleet.retire("web2")
        with pytest.raises(SimulationError, match="no unikernel named 'web9'"):
            fleet.retire("web9")
        with pytest.raises(SimulationError, match="already started a unikernel named 'web2'"):
            fleet.start("web2", example("web_server"))

    _web_net(orchestrate).run(until="20s")
    assert outcome == ["served by web2 (request 1)", "answers ping", "retired at True, running []", "silent"]


def test_a_fleet_needs_a_lan() -> None:
    with pytest.raises(SimulationError, match="expected a virtual LAN"):
        Fleet("lan")  # type: ignore[arg-type]
