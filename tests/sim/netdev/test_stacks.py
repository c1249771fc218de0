"""Stack configuration (static, DHCP, IPv6 addresses, only-flags) and the lower devices' APIs (ARP, IP, ICMP)."""

from __future__ import annotations

import ipaddress
from typing import Any

from mirage_nb.sim.net.dhcp_charrua import DhcpServer
from mirage_nb.sim.netdev import Macaddr, No_route, Timeout
from mirage_nb.sim.netdev.kinds import EXAMPLES_DIR, KIND_OF_MODULE, NET_KINDS, net_arg, run_network_example
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.stack import STACK_MODULE as S
from mirage_nb.sim.netdev.stack import connect_direct_stack
from mirage_nb.sim.result import Error, Ok
from mirage_nb.unikernel import Duration, Mirage_sleep

SEC = 1_000_000_000


def test_every_stack_module_has_a_kind():
    wanted = {
        "Netif",
        "Ethernet.Make",
        "Arp.Make",
        "Static_ipv4.Make",
        "Dhcp_ipv4.Make",
        "Dhcp_ipv4.Proj_net",
        "Dhcp_ipv4.Proj_ipv4",
        "Ipv6.Make",
        "Tcpip_stack_direct.IPV4V6",
        "Icmpv4.Make",
        "Udp.Make",
        "Tcp.Flow.Make",
        "Utcp_mirage.Make",
        "Tcpip_stack_direct.MakeV4V6",
        "Tcpip_stack_socket.V4V6",
        "Udpv4v6_socket",
        "Tcpv4v6_socket",
    }
    assert wanted <= set(KIND_OF_MODULE)  # the service devices (HTTP, DNS...) add theirs
    assert set(KIND_OF_MODULE.values()) == NET_KINDS


def _stack(*args: str) -> list[Any]:
    """The network nodes the engine evaluates the network example's config.ml to under ``args``."""
    import os

    from mirage_nb.loader import load_config
    from mirage_nb.sim.cli import nodes_of_graph

    app = load_config(os.path.join(EXAMPLES_DIR, "network", "config.ml"))
    return [n for n in nodes_of_graph(app.configured(list(args), verb="run")) if n.kind in NET_KINDS]


def test_stack_choice_follows_the_keys():
    def modules(*args: str) -> list[str]:
        return [n.module_name for n in _stack(*args)]

    assert "Dhcp_ipv4.Make" in modules()  # unix defaults
    assert modules("--net=host") == ["Udpv4v6_socket", "Tcpv4v6_socket", "Tcpip_stack_socket.V4V6"]
    assert modules("--no-dhcp") == modules("--net=host")  # unix, --no-dhcp, no --net: sockets
    static = modules("--net=direct", "--no-dhcp")
    assert "Static_ipv4.Make" in static and "Dhcp_ipv4.Make" not in static
    assert "Utcp_mirage.Make" in modules("--utcp") and "Tcp.Flow.Make" not in modules("--utcp")
    ids = [n.id for n in _stack()]
    assert ids[0] == "netif__11" and ids[-1] == "tcpip_stack_direct_makev4v6__22"  # as the real main.ml


def test_network_runtime_args_have_mirage_names_and_defaults():
    spec = net_arg("ipv4", "10.0.0.2/24")
    assert spec is not None and spec.info.names == ("ipv4",) and spec.info.docs == "NETWORK OPTIONS"
    assert spec.default == ipaddress.IPv4Interface("10.0.0.2/24")
    assert net_arg("ipv4", "None").default is None
    assert net_arg("accept-router-advertisements").default is True
    assert net_arg("ipv6-only", "false").default is False
    grouped = net_arg("service-ipv4-gateway", "None")
    assert grouped is not None and "the service group" in grouped.info.doc
    assert net_arg("port") is None


def test_dhcp_client_starts_over_without_a_server_then_gets_a_lease():
    def setup(lan):
        router = Peer(lan, name="router", cidr="192.168.1.5/24")

        async def late_server():
            await Mirage_sleep.ns(Duration.of_sec(5))
            router.host.serve_dhcp(
                DhcpServer(router.host.mac, "192.168.1.5", "192.168.1.0/24", "192.168.1.70", "192.168.1.71")
            )

        router.script(late_server)

    r = run_network_example("network", until="20s", setup=setup)
    texts = [(x.time_ns, x.source, x.message) for x in r.logs if x.source == "dhcp_client_lwt"]
    assert texts == [
        (4 * SEC, "dhcp_client_lwt", "Timeout expired without a usable lease!  Starting over..."),
        (8 * SEC, "dhcp_client_lwt", "Timeout expired without a usable lease!  Starting over..."),
        (8 * SEC, "dhcp_client_lwt", "Lease obtained! IP: 192.168.1.70, routers: "),
    ]
    assert any("ip=192.168.1.70/24," in line for line in r.lines)


def test_ipv6_address_and_gateway_arguments():
    seen: dict[str, Any] = {}

    def setup(lan):
        p = Peer(lan, name="v6", cidr="10.0.0.1/24", ipv6=("fd00::1/64",))

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            seen["reply"] = await p.ping("fd00::2", 5, b"x")

        p.script(go)

    r = run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24", "--ipv6", "fd00::2/64", "--ipv6-gateway", "fd00::1"],
        until="3s",
        setup=setup,
        net="direct",
        dhcp=False,
    )
    # The address list has a break hint (",@ "): past the 78-column margin, Format continues in the message box.
    k = next(i for i, line in enumerate(r.lines) if "IP6: Started with fe80::" in line)
    assert r.lines[k].endswith(",") and r.lines[k + 1] == " " * r.lines[k].index("IP6") + "fd00::2"
    assert any("UDP layer connected on 10.0.0.2/24, fe80::" in line and "fd00::2/64" in line for line in r.lines)
    assert seen["reply"] is not None and seen["reply"].seq == 5


def test_ipv4_only_stack_ignores_ipv6(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a = await connect_direct_stack(interface="a", ipv4="10.0.0.2/24", ipv6="fd00::2/64", ipv4_only=True)
        b = await connect_direct_stack(interface="b", ipv4="10.0.0.3/24", ipv6="fd00::3/64")
        S.TCP.listen(S.tcp(a), port=80, callback=lambda flow: None)
        got["v4"] = await S.TCP.create_connection(S.tcp(b), ("10.0.0.2", 80))
        got["write_v6"] = await S.IP.write(S.ip(a), ipaddress.ip_address("fd00::3"), "UDP", b"12345678")

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert isinstance(got["v4"], Ok)
    assert got["write_v6"] == Ok(None)  # dropped with a warning, as mirage-tcpip does


def test_arp_query_and_ip_write_errors(in_run):
    got: dict[str, Any] = {}

    async def main(lan):
        a = await connect_direct_stack(interface="a", ipv4="10.0.0.2/24")
        b = await connect_direct_stack(interface="b", ipv4="10.0.0.3/24")
        got["ips"] = b.arp.get_ips()
        got["mac"] = await b.arp.query(ipaddress.ip_address("10.0.0.2"))
        got["a_mac"] = a.ethernet.mac()
        got["nobody"] = await b.arp.query(ipaddress.ip_address("10.0.0.99"))
        got["write"] = await S.IP.write(S.ip(b), ipaddress.ip_address("10.0.0.98"), "UDP", b"payload!")
        got["offlink"] = await S.IP.write(S.ip(b), ipaddress.ip_address("8.8.8.8"), "UDP", b"payload!")
        got["mtu"] = S.IP.mtu(S.ip(b), ipaddress.ip_address("10.0.0.2"))
        got["stats"] = (a.netif.get_stats_counters().rx_pkts, b.netif.get_stats_counters().tx_pkts)

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert got["ips"] == [ipaddress.ip_address("10.0.0.3")]
    assert got["mac"] == Ok(got["a_mac"]) and isinstance(got["a_mac"], Macaddr)
    assert got["nobody"] == Error(Timeout())
    assert got["write"] == Error(No_route("no response for IP on local network"))
    assert got["offlink"] == Ok(None)  # no gateway: logged and dropped, as Static_ipv4 does
    assert got["mtu"] == 1480
    assert got["stats"][0] > 0 and got["stats"][1] > 0


def test_icmpv4_echo_through_the_stack():
    seen: dict[str, Any] = {}

    def setup(lan):
        p = Peer(lan, name="pinger", cidr="10.0.0.1/24")

        async def go():
            await Mirage_sleep.ns(Duration.of_sec(2))
            seen["replies"] = [await p.ping("10.0.0.2", s, b"abc") for s in range(2)]

        p.script(go)

    run_network_example("network", argv=["--ipv4", "10.0.0.2/24"], until="3s", setup=setup, net="direct", dhcp=False)
    assert [(x.seq, x.data) for x in seen["replies"]] == [(0, b"abc"), (1, b"abc")]


def test_dhcp_lease_is_renewed_every_1800_seconds():
    def setup(lan):
        router = Peer(lan, name="router", cidr="192.168.1.5/24")
        router.host.serve_dhcp(
            DhcpServer(
                router.host.mac,
                "192.168.1.5",
                "192.168.1.0/24",
                "192.168.1.70",
                "192.168.1.71",
                routers=("192.168.1.5",),
            )
        )

    r = run_network_example("network", until="3700s", setup=setup)
    leases = [x.time_ns // SEC for x in r.logs if x.message.startswith("Lease obtained! IP: 192.168.1.70")]
    assert leases == [0, 1800, 3600]


def _router_advertisement_frame(router_mac: bytes) -> bytes:
    from mirage_nb.sim.net.ethernet import encode_ethernet
    from mirage_nb.sim.net.icmpv6 import (
        ROUTER_ADVERTISEMENT,
        PrefixInfo,
        RouterAdvertisement,
        encode_icmpv6,
        encode_router_advertisement,
    )
    from mirage_nb.sim.net.ipv6 import ALL_NODES, NEXT_ICMPV6, encode_ipv6, link_local_from_mac, multicast_mac

    src = link_local_from_mac(router_mac)
    prefix = PrefixInfo(ipaddress.IPv6Address("fd00:0:0:1::").packed, 64, True, True, 3600, 3600)
    ra = RouterAdvertisement(64, False, False, 1800, 0, 0, router_mac, None, (prefix,))
    icmp = encode_icmpv6(src, ALL_NODES, ROUTER_ADVERTISEMENT, 0, encode_router_advertisement(ra))
    return encode_ethernet(
        multicast_mac(ALL_NODES), router_mac, 0x86DD, encode_ipv6(src, ALL_NODES, NEXT_ICMPV6, icmp, hop_limit=255)
    )


def test_router_advertisements_follow_the_runtime_argument(in_run):
    from mirage_nb.sim.netdev.ip import Ipv6Device

    got: dict[str, Any] = {}

    async def main(lan):
        a = await connect_direct_stack(interface="a", ipv4="10.0.0.2/24")
        ip6 = a.ip().ipv6
        assert isinstance(ip6, Ipv6Device)
        ip6.handle_ra = False
        raw = lan.attach("router", lambda frame: None)
        raw.send(_router_advertisement_frame(b"\x02\x00\x00\x00\x00\x01"))
        await lan.run.sleep_ns(1_000_000)
        got["ignored"] = [str(p) for p in ip6.configured_ips()]
        ip6.handle_ra = True
        raw.send(_router_advertisement_frame(b"\x02\x00\x00\x00\x00\x01"))
        await lan.run.sleep_ns(1_000_000)
        got["slaac"] = [str(p) for p in ip6.configured_ips()]
        got["router"] = ip6.layer.default_router

    result, _ = in_run(main)
    assert result.exit_code == 0, result.output
    assert len(got["ignored"]) == 1 and got["ignored"][0].startswith("fe80::")
    assert len(got["slaac"]) == 2
    assert ipaddress.IPv6Interface(got["slaac"][1]).network == ipaddress.IPv6Network("fd00:0:0:1::/64")
    assert got["router"] is not None


def test_accept_router_advertisements_argument_reaches_the_device():
    r = run_network_example(
        "network",
        argv=["--ipv4", "10.0.0.2/24", "--accept-router-advertisements", "false"],
        until="2s",
        net="direct",
        dhcp=False,
    )
    assert r.exit_code is None  # booted and listening
    r = run_network_example(
        "network", argv=["--accept-router-advertisements", "maybe"], until="2s", net="direct", dhcp=False
    )
    assert r.exit_code == 64
