"""The Mininet-style peer of benchmarks/scale.py (benchmarks/netns_peer.py).

It builds real network namespaces, veths and bridges, so the run needs root,
``ip`` (iproute2) and network namespaces (skipped otherwise). Checked: the
clients' fetches are answered, nothing named with the run's prefix is left
afterwards (also when the run fails half-way), and the peer's servers answer
with the bytes the simulated ``conduit_server`` answers.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import h11
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _peer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("netns_peer", BENCHMARKS / "netns_peer.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("netns_peer", mod)
    spec.loader.exec_module(mod)
    return mod


peer = _peer()
REASON = peer.unavailable()


@pytest.mark.root
@pytest.mark.skipif(REASON is not None, reason=f"netns peer: {REASON}")
def test_two_servers_two_clients_two_seconds_then_nothing_left() -> None:
    r = peer.measure(2, 2)
    assert r["expected"] == 2  # one fetch per client: at 1 s (as scale.py's clients)
    assert r["responses"] == 2, r
    assert r["failed"] == 0, r["errors"]
    assert r["run_s"] >= 2.0
    assert peer.leftovers(r["prefix"]) == []
    assert not list(peer.NETNS_DIR.glob(f"{r['prefix']}*"))


@pytest.mark.root
@pytest.mark.skipif(REASON is not None, reason=f"netns peer: {REASON}")
def test_a_run_that_fails_half_way_still_removes_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real_set_up = peer.set_up

    def set_up(prefix: str, n: int, **kw: object) -> object:
        made.append(prefix)
        hosts = real_set_up(prefix, n, **kw)
        assert len(peer.leftovers(prefix)) == 2 * n + 1  # the hosts' namespaces and the switch's
        return hosts

    async def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("the run broke")

    monkeypatch.setattr(peer, "set_up", set_up)
    monkeypatch.setattr(peer, "_drive", broken)
    with pytest.raises(RuntimeError, match="the run broke"):
        peer.measure(2, 2)
    assert made and peer.leftovers(made[0]) == []


@pytest.mark.root
@pytest.mark.skipif(REASON is not None, reason=f"netns peer: {REASON}")
def test_a_set_up_that_fails_half_way_removes_what_it_made(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real_set_up, real_configure = peer.set_up, peer._configure
    calls = [0]

    def set_up(prefix: str, n: int, **kw: object) -> object:
        made.append(prefix)
        return real_set_up(prefix, n, **kw)

    def configure(*a: object, **k: object) -> bytes:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(19, "no such device (made up)")
        return real_configure(*a, **k)

    monkeypatch.setattr(peer, "set_up", set_up)
    monkeypatch.setattr(peer, "_configure", configure)
    with pytest.raises(OSError, match="made up"):
        peer.measure(2, 2)
    assert made and peer.leftovers(made[0]) == []


def test_the_peer_answers_what_conduit_server_answers() -> None:
    """The simulated conduit_server, asked the peer's request, sends the peer's RESPONSE byte for byte."""
    from mirage_nb.lab import Duration, HttpPeer, Mirage_sleep, Network, example

    net = Network()
    net.unikernel("web0", example("conduit_server"), argv=["--ipv4=10.0.0.2/8"], net="direct", no_dhcp=True)
    got: list[bytes] = []

    async def fetch(p: object) -> None:
        web = HttpPeer(p)  # type: ignore[arg-type]
        await Mirage_sleep.ns(Duration.of_sec(1))
        c = h11.Connection(h11.CLIENT)
        req = c.send(h11.Request(method="GET", target="/", headers=[("host", "10.0.0.2"), ("connection", "close")]))
        got.append(await web.raw("10.0.0.2", 80, req + c.send(h11.EndOfMessage())))

    net.peer("client0", fetch, cidr="10.100.0.2/8")
    net.run(until="5s")
    assert got == [peer.RESPONSE]
