"""Two simulated unikernels on virtual LANs: a client unikernel talks TCP to the network example.

Both are evaluated by the engine from configs (the network example's config.ml,
the client's written with the DSL) and run together by ``sim.network.Network``.
"""

from __future__ import annotations

import os
import types

import pytest
from sim_graphs import application

import mirage_nb.mirage as M
from mirage_nb.errors import SimulationError
from mirage_nb.loader import load_config
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR
from mirage_nb.sim.network import Network
from mirage_nb.unikernel import Duration, Mirage_sleep

CLIENT = """
from mirage_nb.unikernel import Duration, Logs, Mirage_sleep, Ok


class Main:
    def __init__(self, S):
        self.S = S

    async def start(self, s):
        S = self.S
        await Mirage_sleep.ns(Duration.of_sec(2))
        match await S.TCP.create_connection(S.tcp(s), ("10.0.0.2", 8080)):
            case Ok(flow):
                Logs.info("client: connected from %s", str(S.TCP.src(flow)[0]))
                await S.TCP.write(flow, b"hello from another unikernel")
                await S.TCP.close(flow)
            case e:
                Logs.err("client: %s", str(e))
"""


def client_module() -> types.ModuleType:
    m = types.ModuleType("client_unikernel")
    exec(compile(CLIENT, "client_unikernel.py", "exec"), m.__dict__)
    return m


def network_example():
    return load_config(os.path.join(EXAMPLES_DIR, "network", "config.ml"))


def client_app():
    return application("client", [M.generic_stackv4v6(M.default_network)], job="Unikernel.Main")


STATIC = {"net": "direct", "no_dhcp": True}


def test_client_unikernel_reaches_the_network_example():
    net = (
        Network()
        .unikernel("server", network_example(), argv=["--ipv4", "10.0.0.2/24", "-l", "application:debug"], **STATIC)
        .unikernel("client", client_app(), argv=["--ipv4", "10.0.0.3/24"], unikernel=client_module(), **STATIC)
    )
    r = net.run(until="5s", pcap=True)
    app = [line.split(": ", 1)[1] for line in r.lines if "[application]" in line]
    assert app[0] == "[INFO] [application] client: connected from 10.0.0.3"
    assert app[1].startswith("[INFO] [application] new tcp connection from IP 10.0.0.3 on port ")
    assert app[2] == "[DEBUG] [application] read: 28 bytes:"
    assert "hello from another unikernel" in r.lines
    # Each stack announced its own address on the shared LAN.
    assert sum("Dual TCP/IP stack assembled" in line for line in r.lines) == 2
    assert sorted(r.lan_names.values()) == ["client", "server"]
    assert r.capture == net.run(until="5s", pcap=True).capture  # a description runs again, byte for byte


def test_unikernels_on_two_lans_see_only_their_own():
    seen: dict[str, object] = {}

    async def ping(peer):
        await Mirage_sleep.ns(Duration.of_sec(2))
        seen[peer.name] = await peer.ping("10.0.0.2", 1, b"x")

    net = (
        Network()
        .lan("a")
        .lan("b")
        .unikernel("left", network_example(), lan="a", argv=["--ipv4=10.0.0.2/24"], **STATIC)
        .unikernel("right", network_example(), lan="b", argv=["--ipv4=10.0.0.3/24"], **STATIC)
        .peer("pa", ping, lan="a", cidr="10.0.0.1/24")
        .peer("pb", ping, lan="b", cidr="10.0.0.1/24")
    )
    r = net.run(until="3s", pcap=True)
    assert seen["pa"] is not None and seen["pb"] is None  # 10.0.0.2 is on LAN a only
    assert sorted(r.names["a"].values()) == ["left", "pa"] and sorted(r.names["b"].values()) == ["pb", "right"]
    assert set(r.captures) == {"a", "b"} and r.captures["a"] != r.captures["b"]
    with pytest.raises(SimulationError, match="captures"):
        r.capture  # noqa: B018 - two LANs: say which


def test_network_mistakes_are_explained():
    with pytest.raises(SimulationError, match="no unikernel"):
        Network().run()
    with pytest.raises(SimulationError, match="no LAN named 'x'"):
        Network().peer("p", lan="x")
    with pytest.raises(SimulationError, match="already has a device named 'p'"):
        Network().peer("p").peer("p")
    with pytest.raises(SimulationError, match="not a string"):
        Network().unikernel("u", network_example(), argv="--ipv4=1")
