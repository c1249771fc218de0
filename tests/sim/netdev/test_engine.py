"""From config.ml to a simulated run: the engine's evaluated graph boots with the network connectors.

The simulator's ``nodes_of_graph`` recognises the network devices by module
name (:data:`KIND_OF_MODULE`), and ``run_configured`` boots with
``connectors=NET_CONNECTORS``; these tests boot the same nodes with peers.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.net.dhcp_server import DhcpServer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS, network_nodes, ping6_nodes
from mirage_nb.sim.netdev.lan import VirtualLan
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.run import Run
from mirage_nb.unikernel import Duration, Mirage_sleep


def configured(example: str, args: list[str]) -> Any:
    app = load(os.path.join(EXAMPLES_DIR, example, "config.ml"))
    return app.configured(args)


def boot_with_client(nodes: list[Any], example: str, argv: list[str], *, dhcp_server: bool = False) -> Any:
    run = Run(seed=0, argv=argv, name="network", until="4s")
    lan = VirtualLan.of_run(run)
    c = Peer(lan, name="client", cidr="10.0.0.1/24")
    if dhcp_server:
        c.host.serve_dhcp(DhcpServer(c.host.mac, "10.0.0.1", "10.0.0.0/24", "10.0.0.2", "10.0.0.9"))

    async def go():
        await Mirage_sleep.ns(Duration.of_sec(2))
        f = await c.connect("10.0.0.2", 8080)
        await c.close(f)

    c.script(go)
    return boot(
        nodes, load_unikernel(os.path.join(EXAMPLES_DIR, example, "unikernel.py")), run=run, connectors=NET_CONNECTORS
    )


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        ([], {}),
        (["--net=direct", "--no-dhcp"], {"net": "direct", "dhcp": False}),
        (["--net=host"], {"net": "host"}),
        (["--utcp"], {"utcp": True}),
    ],
)
def test_engine_graph_matches_the_hand_built_nodes_and_boots(args, keys):
    nodes = cli.nodes_of_graph(configured("network", args))
    ours = network_nodes(**keys)
    assert [(n.id, n.module_name, n.kind) for n in nodes if n.kind in NET_CONNECTORS] == [
        (n.id, n.module_name, n.kind) for n in ours if n.kind in NET_CONNECTORS
    ]
    r = boot_with_client(
        nodes,
        "network",
        ["--ipv4", "10.0.0.2/24"] if not keys.get("dhcp", True) else [],
        dhcp_server=keys.get("dhcp", True) and keys.get("net") != "host",
    )
    assert r.lines[-2].endswith("[INFO] [application] new tcp connection from IP 10.0.0.1 on port 62252")
    assert r.lines[-1].endswith("[INFO] [application] Closing connection!")


def test_ping6_config_boots_from_the_engine():
    nodes = cli.nodes_of_graph(configured("ping6", []))
    assert [(n.id, n.module_name) for n in nodes if n.kind in NET_CONNECTORS] == [
        (n.id, n.module_name) for n in ping6_nodes() if n.kind in NET_CONNECTORS
    ]
    run = Run(seed=0, name="ping", until="3s")
    VirtualLan.of_run(run)
    r = boot(
        nodes, load_unikernel(os.path.join(EXAMPLES_DIR, "ping6", "unikernel.py")), run=run, connectors=NET_CONNECTORS
    )
    assert r.lines[-1].endswith("[INFO] [ipv6] IP6: Started with fe80::d85a:73ff:fea8:1807")
