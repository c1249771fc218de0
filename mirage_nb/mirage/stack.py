"""TCP/IP stacks: direct (mirage-tcpip over a network interface) or the host's sockets.

Twin of mirage's ``lib/devices/stack.ml`` (and ``tcpv4v6_of_stackv4v6`` of
``mirage.ml``). ``generic_stackv4v6`` builds both kinds and lets the target,
``--net`` and ``--no-dhcp`` choose; the order in which it builds them is the
order the dot graph numbers them (spec §6.2).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl, match_impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from . import ip as Ip
from . import keys as Key
from ._util import expect, pos
from .arp import arp as _arp
from .arp import arpv4
from .ethernet import ethernet, ethif
from .icmp import direct_icmpv4, icmpv4
from .network import network
from .qubesdb import default_qubesdb
from .tcp import direct_tcp, tcp, tcpv4v6, tcpv4v6_socket_conf
from .udp import direct_udp, udp, udpv4v6_socket_conf

__all__ = [
    "stackv4v6",
    "StackKind",
    "qubes_ipv4",
    "stackv4v6_direct_conf",
    "direct_stackv4v6",
    "keyed_direct_stackv4v6",
    "generic_ipv4v6_stack",
    "socket_stackv4v6",
    "generic_stackv4v6_with_lease",
    "generic_stackv4v6",
    "tcpv4v6_of_stackv4v6",
]

stackv4v6 = Typ("stackv4v6")


class StackKind(enum.Enum):
    """Which stack ``generic_stackv4v6`` builds (OCaml's `` `Qubes | `Socket | `Dhcp | `Static``)."""

    QUBES = "qubes"
    SOCKET = "socket"
    DHCP = "dhcp"
    STATIC = "static"


def qubes_ipv4(e: Impl, a: Impl, *, qubesdb: Impl = default_qubesdb) -> Impl:
    return Ip.ipv4_qubes(qubesdb, e, a)


def stackv4v6_direct_conf() -> Impl:
    """A fresh ``Tcpip_stack_direct.MakeV4V6`` functor."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        args = expect(names, 7, "direct stack")
        return Code(f"{modname}.connect {' '.join(args)}", pos("lib/devices/stack.ml", 16))

    return impl(
        "Tcpip_stack_direct.MakeV4V6",
        network @ ethernet @ arpv4 @ Ip.ipv4v6 @ icmpv4 @ udp @ tcp @ stackv4v6,
        packages=[Ip.right_tcpip_library(["stack-direct"])],
        connect=connect,
        doc="mirage-tcpip's dual IPv4/IPv6 stack over Ethernet.",
    )


def keyed_direct_stackv4v6(
    network_: Impl,
    eth: Impl,
    arp: Impl,
    ipv4: Impl,
    ipv6: Impl,
    *,
    ipv4_only,
    ipv6_only,
    group: str | None = None,
) -> Impl:
    ip_ = Ip.keyed_ipv4v6(ipv4, ipv6, ipv4_only=ipv4_only, ipv6_only=ipv6_only)
    return stackv4v6_direct_conf()(
        network_, eth, arp, ip_, direct_icmpv4(ipv4), direct_udp(ip_), direct_tcp(ip_, group=group)
    )


def direct_stackv4v6(network_: Impl, eth: Impl, arp: Impl, ipv4: Impl, ipv6: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``direct_stackv4v6 ?group network eth arp ipv4 ipv6``."""
    return keyed_direct_stackv4v6(
        network_,
        eth,
        arp,
        ipv4,
        ipv6,
        ipv4_only=Runtime_arg.ipv4_only(group=group),
        ipv6_only=Runtime_arg.ipv6_only(group=group),
        group=group,
    )


def generic_ipv4v6_stack(
    p: K.Value,
    tap: Impl,
    *,
    group: str | None = None,
    dhcp_requests: Ip.DhcpRequests | None = None,
    ipv4_network: str | None = None,
    ipv4_gateway: str | None = None,
    ipv6_network: str | None = None,
    ipv6_gateway: str | None = None,
    arp: Callable[[Impl], Impl] = _arp,
) -> tuple[Impl, Impl]:
    """The direct stack and its lease, each piece chosen by ``p`` (a :class:`StackKind` value)."""
    ipv4_only = Runtime_arg.ipv4_only(group=group)
    ipv6_only = Runtime_arg.ipv6_only(group=group)
    e = ethif(tap)
    a = arp(e)
    dhcp = Ip.ipv4_of_dhcp(tap, e, a, group=group, dhcp_requests=dhcp_requests)
    tap = match_impl(p, [(StackKind.DHCP, Ip.dhcp_proj_net(dhcp))], default=tap)
    i4 = match_impl(
        p,
        [(StackKind.QUBES, qubes_ipv4(e, a)), (StackKind.DHCP, Ip.dhcp_proj_ipv4(dhcp))],
        default=Ip.keyed_create_ipv4(e, a, group=group, network=ipv4_network, gateway=ipv4_gateway, no_init=ipv6_only),
    )
    i6 = Ip.keyed_create_ipv6(tap, e, group=group, network=ipv6_network, gateway=ipv6_gateway, no_init=ipv4_only)
    lease = match_impl(p, [(StackKind.DHCP, Ip.dhcp_proj_lease(dhcp))], default=Ip.no_lease)
    stack = keyed_direct_stackv4v6(tap, e, a, i4, i6, ipv4_only=ipv4_only, ipv6_only=ipv6_only, group=group)
    return stack, lease


def socket_stackv4v6(*, group: str = "") -> Impl:
    """A fresh socket stack: UDP and TCP of the host, listening on ``0.0.0.0/0`` by default.

    OCaml's trailing ``()`` is dropped.
    """
    v4key = Runtime_arg.V4.network("0.0.0.0/0", group=group)
    v6key = Runtime_arg.V6.network(None, group=group)
    ipv4_only = Runtime_arg.ipv4_only(group=group)
    ipv6_only = Runtime_arg.ipv6_only(group=group)
    extra_deps = [
        udpv4v6_socket_conf(ipv4_only=ipv4_only, ipv6_only=ipv6_only, ipv4_key=v4key, ipv6_key=v6key),
        tcpv4v6_socket_conf(ipv4_only=ipv4_only, ipv6_only=ipv6_only, ipv4_key=v4key, ipv6_key=v6key),
    ]

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        u, t = expect(names, 2, "socket_stackv4v6")
        return Code(f"{modname}.connect {u} {t}", pos("lib/devices/stack.ml", 96))

    return impl(
        "Tcpip_stack_socket.V4V6",
        stackv4v6,
        packages=[Ip.right_tcpip_library(["stack-socket"])],
        extra_deps=extra_deps,
        connect=connect,
        doc="The host's own TCP/IP stack, through sockets (unix only).",
    )


def _choose(target: Key.Mode):
    def with_net(net):
        def with_no_dhcp(no_dhcp: bool) -> StackKind:
            if target is Key.Mode.QUBES:
                return StackKind.QUBES
            if net is Key.Net.HOST:
                return StackKind.SOCKET
            if not no_dhcp:
                return StackKind.DHCP
            if target.group == "unix" and net is None:
                return StackKind.SOCKET
            return StackKind.STATIC

        return with_no_dhcp

    return with_net


def generic_stackv4v6_with_lease(
    tap: Impl,
    *,
    group: str | None = None,
    dhcp_requests: Ip.DhcpRequests | None = None,
    ipv4_network: str | None = None,
    ipv4_gateway: str | None = None,
    ipv6_network: str | None = None,
    ipv6_gateway: str | None = None,
) -> tuple[Impl, Impl]:
    """Twin of ``generic_stackv4v6_with_lease``: the stack and its DHCP lease (``no_lease`` if none)."""
    no_dhcp_key = Key.no_dhcp(group).value()
    net_key = Key.net(group).value()
    # One value object shared by every choice below (spec §6.2).
    p = K.app(K.app(K.app(K.pure(_choose), Key.target.value()), net_key), no_dhcp_key)
    stack, lease = generic_ipv4v6_stack(
        p,
        tap,
        group=group,
        dhcp_requests=dhcp_requests,
        ipv4_network=ipv4_network,
        ipv4_gateway=ipv4_gateway,
        ipv6_network=ipv6_network,
        ipv6_gateway=ipv6_gateway,
    )
    socket_group = group if group is not None else ""
    return (
        match_impl(p, [(StackKind.SOCKET, socket_stackv4v6(group=socket_group))], default=stack),
        match_impl(p, [(StackKind.SOCKET, Ip.no_lease)], default=lease),
    )


def generic_stackv4v6(
    tap: Impl,
    *,
    group: str | None = None,
    ipv4_network: str | None = None,
    ipv4_gateway: str | None = None,
    ipv6_network: str | None = None,
    ipv6_gateway: str | None = None,
) -> Impl:
    """Twin of ``generic_stackv4v6``: the stack the target and ``--net``/``--no-dhcp`` call for.

    qubes: QubesDB addresses; ``--net=host``: the host's sockets; by default
    DHCP; ``--no-dhcp``: sockets on unix, a static 10.0.0.2/24 elsewhere.
    """
    return generic_stackv4v6_with_lease(
        tap,
        group=group,
        ipv4_network=ipv4_network,
        ipv4_gateway=ipv4_gateway,
        ipv6_network=ipv6_network,
        ipv6_gateway=ipv6_gateway,
    )[0]


def tcpv4v6_of_stackv4v6(v: Impl) -> Impl:
    """Twin of ``tcpv4v6_of_stackv4v6``: the TCP layer of a stack."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (s,) = expect(names, 1, "tcpv4v6_of_stackv4v6")
        return Code(f"{modname}.connect {s}", pos("lib/mirage.ml", 171))

    f = impl(
        "Tcpip_stack_direct.TCPV4V6",
        stackv4v6 @ tcpv4v6,
        packages=[Ip.right_tcpip_library(["stack-direct"])],
        connect=connect,
        doc="The TCP layer of a stack.",
    )
    return f(v)
