"""From config.ml to a simulated run: the engine's evaluated graph boots with the network connectors.

The simulator's ``nodes_of_graph`` recognises the network devices by module
name (:data:`KIND_OF_MODULE`), and ``run_configured`` boots with
``connectors=NET_CONNECTORS``; these tests check the network part of the
graph against the variable names and order of the real tool's generated
main.ml (recorded), then boot it with peers.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from mirage_nb.config_ml import load
from mirage_nb.sim import cli
from mirage_nb.sim.boot import boot, load_unikernel
from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, NET_CONNECTORS
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


_DHCP = (
    "netif__11:netif ethernet_make__12:ethernet arp_make__13:arp dhcp_ipv4_make__14:dhcp_ipv4 "
    "dhcp_ipv4_proj_net__15:dhcp_proj_net dhcp_ipv4_proj_ipv4__16:dhcp_proj_ipv4 ipv6_make__17:ipv6 "
    "tcpip_stack_direct_ipv4v6__18:ipv4v6 icmpv4_make__19:icmpv4 udp_make__20:udp {tcp} "
    "tcpip_stack_direct_makev4v6__22:stack_direct"
)
_STATIC = (
    "netif__11:netif ethernet_make__12:ethernet arp_make__13:arp static_ipv4_make__14:static_ipv4 "
    "ipv6_make__15:ipv6 tcpip_stack_direct_ipv4v6__16:ipv4v6 icmpv4_make__17:icmpv4 udp_make__18:udp "
    "tcp_flow_make__19:tcp tcpip_stack_direct_makev4v6__20:stack_direct"
)
_SOCKET = "udpv4v6_socket__11:udp_socket tcpv4v6_socket__12:tcp_socket tcpip_stack_socket_v4v6__13:stack_socket"


@pytest.mark.parametrize(
    ("args", "keys", "recorded"),
    [
        ([], {}, _DHCP.format(tcp="tcp_flow_make__21:tcp")),
        (["--net=direct", "--no-dhcp"], {"net": "direct", "dhcp": False}, _STATIC),
        (["--net=host"], {"net": "host"}, _SOCKET),
        (["--utcp"], {"utcp": True}, _DHCP.format(tcp="utcp_mirage_make__21:utcp")),
    ],
)
def test_engine_graph_is_main_mls_and_boots(args, keys, recorded):
    nodes = cli.nodes_of_graph(configured("network", args))
    assert " ".join(f"{n.id}:{n.kind}" for n in nodes if n.kind in NET_CONNECTORS) == recorded
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
        ("netif__11", "Netif"),
        ("ethernet_make__12", "Ethernet.Make"),
        ("ipv6_make__13", "Ipv6.Make"),
    ]
    run = Run(seed=0, name="ping", until="3s")
    VirtualLan.of_run(run)
    r = boot(
        nodes, load_unikernel(os.path.join(EXAMPLES_DIR, "ping6", "unikernel.py")), run=run, connectors=NET_CONNECTORS
    )
    assert r.lines[-1].endswith("[INFO] [ipv6] IP6: Started with fe80::d85a:73ff:fea8:1807")
