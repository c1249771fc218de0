"""The network stack devices: names, module types, packages, keys, connect code, sharing.

Connect texts are compared with what mirage 4.11.1 wrote into main.ml
(reference ``extra/static_web/configure-unix.main.ml.txt``).
"""

from __future__ import annotations

import pytest

from mirage_nb.errors import ConfigError
from mirage_nb.functoria.impl import Dev, If
from mirage_nb.functoria.types import job
from mirage_nb.mirage import (
    Key,
    add_dhcp_request,
    arp,
    arpv4,
    create_ipv4,
    create_ipv4v6,
    create_ipv6,
    default_network,
    default_qubesdb,
    dhcp_proj_ipv4,
    dhcp_proj_lease,
    dhcp_proj_net,
    direct_stackv4v6,
    direct_tcp,
    direct_udp,
    ethernet,
    ethif,
    etif,
    generic_stackv4v6,
    generic_stackv4v6_with_lease,
    ipv4,
    ipv4_of_dhcp,
    ipv4_qubes,
    ipv4v6,
    ipv6,
    lease,
    make_dhcp_requests,
    netif,
    network,
    no_lease,
    stackv4v6,
    tcp,
    tcpv4v6,
    tcpv4v6_of_stackv4v6,
    udp,
    udpv4v6,
)
from mirage_nb.mirage.stack import StackKind, socket_stackv4v6


def test_module_type_leaves_are_shared_as_in_ocaml():
    assert ipv4 is ipv6 is ipv4v6
    assert udp is udpv4v6 and tcp is tcpv4v6
    assert network is not ethernet


def test_netif_is_a_solo5_choice_of_two_fresh_devices(h):
    n = netif("tap0")
    assert isinstance(n, If) and n.cond is Key.is_solo5
    solo5, other = h.choose(n, "hvt"), h.choose(n, "unix")
    assert h.dev(solo5).dev.module_name == h.dev(other).dev.module_name == "Netif"
    assert h.connect(solo5, [], "hvt").code == 'Netif.connect "tap0"'
    assert h.connect(other, ["_intf"]).code == "Netif.connect _intf"
    assert h.connect(other, ["_intf"]).pos == ("lib/devices/network.ml", 26, 0, 0)
    (ra,) = h.dev(other).dev.runtime_args
    assert ra.code == 'Mirage_runtime_network.interface "tap0"'
    assert h.dev(solo5).dev.runtime_args == ()
    assert netif("tap0") != n  # a new device each call


@pytest.mark.parametrize(
    ("target", "pkgs"),
    [
        ("unix", {"mirage-net-unix": (["mirage-net-unix"], ["3.0.0"], ["4.0.0"])}),
        ("macosx", {"mirage-net-macosx": (["mirage-net-macosx"], ["1.8.0"], ["2.0.0"])}),
        ("xen", {"mirage-net-xen": (["mirage-net-xen"], ["2.1.0"], ["3.0.0"])}),
        (
            "qubes",
            {
                "mirage-net-xen": (["mirage-net-xen"], ["2.1.0"], ["3.0.0"]),
                "mirage-qubes": (["mirage-qubes"], ["2.0.0"], ["3.0.0"]),
            },
        ),
        ("spt", {"mirage-net-solo5": (["mirage-net-solo5"], ["0.8.0"], ["0.9.0"])}),
        ("unikraft-qemu", {"mirage-net-unikraft": (["mirage-net-unikraft"], ["1.0.0"], ["2.0.0"])}),
    ],
)
def test_netif_packages_follow_the_target(h, target, pkgs):
    assert h.packages(h.choose(netif("0"), target), target) == pkgs


@pytest.mark.parametrize(
    ("target", "name"),
    [("unix", "tap0"), ("macosx", "tap0"), ("hvt", "service"), ("genode", "service"), ("xen", "0"), ("qubes", "0")],
)
def test_default_network_names(h, target, name):
    chosen = h.choose(h.choose(default_network, target), target)
    code = h.connect(chosen, [] if target == "hvt" or target == "genode" else ["_i"], target)
    if chosen.dev.runtime_args:
        assert chosen.dev.runtime_args[0].code.endswith(f'"{name}"')
    else:
        assert code.code == f'Netif.connect "{name}"'


def test_netif_configure_registers_the_name(h):
    from mirage_nb.mirage.target_files import devices

    i = h.info("hvt")
    for t in (netif("a"), netif("b")):
        h.choose(t, "hvt").dev.configure(i, None)
    assert devices(i).networks == ["b", "a"]  # newest first, as mirage's list


def test_ethernet_and_arp_are_shared_functors(h):
    n = netif("tap0")
    assert ethif(n) == etif(n) and arp(ethif(n)) == arp(etif(n))
    e = ethif(n)
    assert h.dev(e).dev.module_type.params() == [network]
    assert h.connect(e, ["_netif__12"], modname="Ethernet_make__13").code == "Ethernet_make__13.connect _netif__12"
    assert h.packages(e) == {"ethernet": (["ethernet"], ["3.0.0"], ["4.0.0"])}
    a = arp(e)
    assert h.dev(a).dev.module_type.params() == [ethernet] and h.dev(a).module_type is arpv4
    assert h.packages(a) == {"arp": (["arp.mirage"], ["4.0.0"], ["5.0.0"])}
    with pytest.raises(ConfigError, match="The arp connect expects exactly 1 argument$"):
        h.connect(a, [])


def test_functor_arguments_are_type_checked():
    with pytest.raises(ConfigError, match="ethernet"):
        arp(netif("tap0"))


def test_dhcp_connect_matches_mirage(h):
    e = ethif(netif("tap0"))
    d = ipv4_of_dhcp(netif("tap0"), e, arp(e))
    assert h.dev(d).dev.module_name == "Dhcp_ipv4.Make"
    assert [ra.code for ra in h.dev(d).dev.runtime_args] == [
        "Mirage_runtime_network.V4.optional_network ()",
        "Mirage_runtime_network.V4.gateway None",
        "Mirage_runtime_network.ipv6_only ()",
    ]
    names = [
        "_netif__12",
        "_ethernet_make__13",
        "_arp_make__14",
        "_mirage_runtime_network_v4_optional_network_",
        "_mirage_runtime_network_v4_gateway_none",
        "_mirage_runtime_network_ipv6_only_",
    ]
    c = h.connect(d, names, modname="Dhcp_ipv4_make__15")
    assert c.pos == ("lib/devices/ip.ml", 81, 0, 0)
    assert c.code == (
        "let requests = Option.map (List.map Dhcp_wire.int_to_option_code_exn)\n"
        "              (Some [1; 3]) in\n"
        "let options = [ Dhcp_wire.Hostname (Mirage_runtime.name ()) ] in\n"
        "Dhcp_ipv4_make__15.connect ~no_init:_mirage_runtime_network_ipv6_only_\n"
        "                          ?cidr:_mirage_runtime_network_v4_optional_network_\n"
        "                          ?gateway:_mirage_runtime_network_v4_gateway_none\n"
        "                          ?requests ~options _netif__12 _ethernet_make__13\n"
        "                          _arp_make__14"
    )
    assert h.packages(d) == {"charrua-client": (["charrua-client.mirage"], ["3.0.0"], ["4.0.0"])}


def test_dhcp_requests(h):
    reqs = make_dhcp_requests()
    add_dhcp_request(reqs, 6)
    add_dhcp_request(reqs, 42)
    e = ethif(netif("tap0"))
    d = ipv4_of_dhcp(netif("tap0"), e, arp(e), dhcp_requests=reqs, gateway="10.0.0.1")
    assert h.dev(d).dev.runtime_args[1].code.endswith('(Some (Ipaddr.V4.of_string_exn "10.0.0.1"))')
    assert "(Some [1; 3; 6; 42])" in h.connect(d, list("abcdef")).code
    with pytest.raises(ConfigError, match="DHCP option code added too late"):
        add_dhcp_request(reqs, 7)
    for bad in (0, 255, -1):
        with pytest.raises(ConfigError, match="Invalid DHCP option code"):
            add_dhcp_request(make_dhcp_requests(), bad)


@pytest.mark.parametrize(
    ("proj", "module", "line"),
    [
        (dhcp_proj_net, "Dhcp_ipv4.Proj_net", 105),
        (dhcp_proj_ipv4, "Dhcp_ipv4.Proj_ipv4", 115),
        (dhcp_proj_lease, "Dhcp_ipv4.Proj_lease", 125),
    ],
)
def test_dhcp_projections(h, proj, module, line):
    assert h.dev(proj).dev.module_name == module
    c = h.connect(proj, ["_dhcp_ipv4_make__15"], modname="M__16")
    assert (c.code, c.pos[1]) == ("M__16.connect _dhcp_ipv4_make__15", line)


def test_static_ipv6_and_dual_ip_connect(h):
    n = netif("tap0")
    e = ethif(n)
    v6 = create_ipv6(n, e)
    names = [
        "_dhcp_ipv4_proj_net__16",
        "_ethernet_make__13",
        "_mirage_runtime_network_v6_network_none",
        "_mirage_runtime_network_v6_gateway_none",
        "_mirage_runtime_network_v6_accept_router_advertisements_",
        "_mirage_runtime_network_ipv4_only_",
    ]
    assert h.connect(v6, names, modname="Ipv6_make__18").code == (
        "Ipv6_make__18.connect~no_init:_mirage_runtime_network_ipv4_only_\n"
        "                     ~handle_ra:_mirage_runtime_network_v6_accept_router_advertisements_\n"
        "                     ?cidr:_mirage_runtime_network_v6_network_none\n"
        "                     ?gateway:_mirage_runtime_network_v6_gateway_none\n"
        "                     _dhcp_ipv4_proj_net__16 _ethernet_make__13"
    )
    v4 = create_ipv4(e, arp(e), group="g")
    assert [ra.code.split(".", 1)[1] for ra in h.dev(v4).dev.runtime_args] == [
        'V4.network ~group:"g" (Ipaddr.V4.Prefix.of_string_exn "10.0.0.2/24")',
        'V4.gateway ~group:"g" None',
        'ipv6_only ~group:"g" ()',
    ]
    assert h.connect(v4, ["e", "a", "ip", "gw", "ni"], modname="S").code == (
        "S.connect~no_init:ni ~cidr:ip ?gateway:gw e a"
    )
    both = create_ipv4v6(v4, v6)
    assert h.connect(both, ["_a__17", "_ipv6_make__18", "_4only", "_6only"], modname="T__19").code == (
        "T__19.connect ~ipv4_only:_4only ~ipv6_only:_6only _a__17 _ipv6_make__18"
    )
    q = ipv4_qubes(default_qubesdb, e, arp(e))
    assert h.connect(q, ["db", "e", "a"], modname="Q").code == "Q.connect db e a"


def test_qubesdb_configure_error(h):
    d = h.dev(default_qubesdb).dev
    assert h.connect(default_qubesdb, []).code == "Qubes.DB.connect ~domid:0 ()"
    d.configure(h.info("qubes"), None)
    d.configure(h.info("xen"), None)
    with pytest.raises(ConfigError, match="^Qubes DB invoked for an unsupported target; qubes and xen are supported$"):
        d.configure(h.info("hvt"), None)


def test_no_lease():
    assert isinstance(no_lease, Dev) and no_lease.module_type is lease


def test_direct_tcp_is_a_utcp_choice(h):
    ip = create_ipv4(ethif(netif("x")), arp(ethif(netif("x"))))
    t = direct_tcp(ip, group="second")
    assert [k.name for k in t.cond.deps] == ["second-utcp"]
    u = h.choose(t, **{"second-utcp": True})
    assert h.connect(u, ["_ip"], modname="U").code == 'Lwt.return (U.connect "second" _ip)'
    assert h.packages(u) == {"utcp": (["utcp.mirage"], [], [])}
    plain = h.choose(t)
    assert h.dev(plain).dev.module_name == "Tcp.Flow.Make"
    assert h.packages(plain) == {"tcpip": (["tcpip.tcp"], ["9.0.0"], ["10.0.0"])}
    assert 'connect "service"' in h.connect(h.choose(direct_tcp(ip), utcp=True), ["_ip"]).code
    assert direct_udp(ip) != direct_udp(ip)  # fresh functors


@pytest.mark.parametrize(
    ("target", "keys", "kind"),
    [
        ("unix", {}, StackKind.DHCP),
        ("hvt", {}, StackKind.DHCP),
        ("qubes", {"net": Key.Net.HOST}, StackKind.QUBES),
        ("unix", {"net": Key.Net.HOST}, StackKind.SOCKET),
        ("hvt", {"net": Key.Net.HOST}, StackKind.SOCKET),
        ("unix", {"no-dhcp": True}, StackKind.SOCKET),
        ("macosx", {"no-dhcp": True}, StackKind.SOCKET),
        ("unix", {"no-dhcp": True, "net": Key.Net.OCAML}, StackKind.STATIC),
        ("xen", {"no-dhcp": True}, StackKind.STATIC),
    ],
)
def test_generic_stack_choice(h, target, keys, kind):
    s = generic_stackv4v6(default_network)
    assert s.cond.eval(h.ctx(target, **keys)) is kind
    assert sorted(k.name for k in s.cond.deps) == ["net", "no-dhcp", "target"]


def test_generic_stack_shape(h):
    s = generic_stackv4v6(default_network, group="two")
    sock = h.choose(s, **{"two-net": Key.Net.HOST})
    assert h.dev(sock).dev.module_name == "Tcpip_stack_socket.V4V6"
    direct = h.choose(s)
    d = h.dev(direct)
    assert d.dev.module_name == "Tcpip_stack_direct.MakeV4V6" and len(d.args) == 7
    # The network argument is the DHCP projection when DHCP is chosen.
    assert h.dev(h.choose(d.args[0])).dev.module_name == "Dhcp_ipv4.Proj_net"
    stack, lease_ = generic_stackv4v6_with_lease(default_network)
    assert lease_.module_type is lease and stack.module_type is stackv4v6
    assert h.choose(lease_, net=Key.Net.HOST) is no_lease


def test_socket_stack(h):
    s = socket_stackv4v6()
    udp_, tcp_ = s.deps
    assert [h.dev(x).dev.module_name for x in (udp_, tcp_)] == ["Udpv4v6_socket", "Tcpv4v6_socket"]
    assert [ra.code.split(".", 1)[1] for ra in h.dev(udp_).dev.runtime_args] == [
        "ipv4_only ()",
        "ipv6_only ()",
        'V4.network (Ipaddr.V4.Prefix.of_string_exn "0.0.0.0/0")',
        "V6.network None",
    ]
    assert h.connect(s, ["_u", "_t"], modname="S").code == "S.connect _u _t"
    assert h.connect(tcp_, ["a", "b", "c", "d"], modname="T").code == "T.connect ~ipv4_only:a ~ipv6_only:b c d"
    assert h.dev(tcp_).dev.configure(h.info("unix"), None) is None
    with pytest.raises(ConfigError, match="^UDPv4v6 socket not supported on non-UNIX targets.$"):
        h.dev(udp_).dev.configure(h.info("hvt"), None)
    with pytest.raises(ConfigError, match="^TCPv4v6 socket not supported on non-UNIX targets.$"):
        h.dev(tcp_).dev.configure(h.info("xen"), None)


def test_direct_stack_and_tcp_of_stack(h):
    n = netif("tap0")
    e = ethif(n)
    a = arp(e)
    s = direct_stackv4v6(n, e, a, create_ipv4(e, a), create_ipv6(n, e))
    names = [f"_{i}" for i in range(7)]
    c = h.connect(s, names, modname="M")
    assert (c.code, c.pos[:2]) == ("M.connect _0 _1 _2 _3 _4 _5 _6", ("lib/devices/stack.ml", 16))
    t = tcpv4v6_of_stackv4v6(s)
    assert t.module_type is tcpv4v6 and h.connect(t, ["_s"], modname="T").code == "T.connect _s"
    assert h.packages(t) == {"tcpip": (["tcpip.stack-direct"], ["9.0.0"], ["10.0.0"])}
    assert job is not stackv4v6
