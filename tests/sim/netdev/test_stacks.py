"""Stack configuration (static, DHCP, IPv6 addresses, only-flags) and the lower devices' APIs (ARP, IP, ICMP)."""

from __future__ import annotations

import ipaddress
from typing import Any

from mirage_nb.sim.net.dhcp_server import DhcpServer
from mirage_nb.sim.netdev import Macaddr, No_route, Timeout
from mirage_nb.sim.netdev.kinds import KIND_OF_MODULE, NET_KINDS, net_arg, run_network_example, stack_nodes
from mirage_nb.sim.netdev.peer import Peer
from mirage_nb.sim.netdev.stack import STACK_MODULE as S
from mirage_nb.sim.netdev.stack import connect_direct_stack
from mirage_nb.sim.result import Error, Ok
from mirage_nb.unikernel import Duration, Mirage_sleep

SEC = 1_000_000_000


def test_every_stack_module_has_a_kind():
    wanted = {
        "Netif", "Ethernet.Make", "Arp.Make", "Static_ipv4.Make", "Dhcp_ipv4.Make", "Dhcp_ipv4.Proj_net",
        "Dhcp_ipv4.Proj_ipv4", "Ipv6.Make", "Tcpip_stack_direct.IPV4V6", "Icmpv4.Make", "Udp.Make", "Tcp.Flow.Make",
        "Utcp_mirage.Make", "Tcpip_stack_direct.MakeV4V6", "Tcpip_stack_socket.V4V6", "Udpv4v6_socket",
        "Tcpv4v6_socket",
    }
    assert set(KIND_OF_MODULE) == wanted
    assert set(KIND_OF_MODULE.values()) == NET_KINDS


def test_stack_choice_follows_the_keys():
    def modules(**kw: Any) -> list[str]:
        return [n.module_name for n in stack_nodes(**kw)]

    assert "Dhcp_ipv4.Make" in modules()  # unix defaults
    assert modules(net="host") == ["Udpv4v6_socket", "Tcpv4v6_socket", "Tcpip_stack_socket.V4V6"]
    assert modules(dhcp=False) == modules(net="host")  # unix, --no-dhcp, no --net: sockets
    static = modules(net="direct", dhcp=False)
    assert "Static_ipv4.Make" in static and "Dhcp_ipv4.Make" not in static
    assert "Utcp_mirage.Make" in modules(utcp=True) and "Tcp.Flow.Make" not in modules(utcp=True)
    ids = [n.id for n in stack_nodes()]
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
            router.host.serve_dhcp(DhcpServer(router.host.mac, "192.168.1.5", "192.168.1.0/24", "192.168.1.70",
                                              "192.168.1.71"))

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

    r = run_network_example("network", argv=["--ipv4", "10.0.0.2/24", "--ipv6", "fd00::2/64", "--ipv6-gateway",
                                             "fd00::1"], until="3s", setup=setup, net="direct", dhcp=False)
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
        router.host.serve_dhcp(DhcpServer(router.host.mac, "192.168.1.5", "192.168.1.0/24", "192.168.1.70",
                                          "192.168.1.71", routers=("192.168.1.5",)))

    r = run_network_example("network", until="3700s", setup=setup)
    leases = [x.time_ns // SEC for x in r.logs if x.message.startswith("Lease obtained! IP: 192.168.1.70")]
    assert leases == [0, 1800, 3600]
