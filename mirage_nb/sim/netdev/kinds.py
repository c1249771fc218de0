"""The network device kinds the boot connects, their runtime arguments, and the stack graphs.

:func:`~mirage_nb.sim.boot.boot` hands every node whose ``kind`` is in
:data:`NET_KINDS` to :func:`connect_net`, and resolves the network runtime
arguments (``--interface``, ``--ipv4``, ``--ipv4-gateway``, ``--ipv6``,
``--ipv6-gateway``, ``--accept-router-advertisements``, ``--ipv4-only``,
``--ipv6-only``) through :func:`net_arg`, with the names, sections and
defaults of ``Mirage_runtime_network``. A node's ``deps`` are the devices its
``connect`` receives, in the order of the generated ``main.ml``.

=====================  ==================================  ==========================================
kind                   module name                         connect (deps; runtime args)
=====================  ==================================  ==========================================
``netif``              ``Netif``                           ``Netif.connect name`` (--interface)
``ethernet``           ``Ethernet.Make``                   netif
``arp``                ``Arp.Make``                        ethernet
``static_ipv4``        ``Static_ipv4.Make``                ethernet, arp (--ipv4, --ipv4-gateway, --ipv6-only)
``dhcp_ipv4``          ``Dhcp_ipv4.Make``                  netif, ethernet, arp (same; --ipv4 optional)
``dhcp_proj_net``      ``Dhcp_ipv4.Proj_net``              dhcp
``dhcp_proj_ipv4``     ``Dhcp_ipv4.Proj_ipv4``             dhcp
``ipv6``               ``Ipv6.Make``                       netif, ethernet (--ipv6, --ipv6-gateway,
                                                           --accept-router-advertisements, --ipv4-only)
``ipv4v6``             ``Tcpip_stack_direct.IPV4V6``       ipv4, ipv6 (--ipv4-only, --ipv6-only)
``icmpv4``             ``Icmpv4.Make``                     ipv4
``udp``                ``Udp.Make``                        ip
``tcp``                ``Tcp.Flow.Make``                   ip
``utcp``               ``Utcp_mirage.Make``                ip
``stack_direct``       ``Tcpip_stack_direct.MakeV4V6``     netif, ethernet, arp, ip, icmpv4, udp, tcp
``udp_socket``         ``Udpv4v6_socket``                  (--ipv4-only, --ipv6-only, --ipv4, --ipv6)
``tcp_socket``         ``Tcpv4v6_socket``                  (same)
``stack_socket``       ``Tcpip_stack_socket.V4V6``         udp, tcp
=====================  ==================================  ==========================================

:data:`KIND_OF_MODULE` maps the module names to the kinds, for an engine
that knows only a device's ``module_name`` (the graph itself always comes
from the engine: :func:`mirage_nb.sim.cli.nodes_of_graph`).
:func:`run_network_example` boots a bundled example from its ``config.ml`` on
a LAN with scripted peers, and :func:`attach_unikernel` a second unikernel
into the same run (:class:`mirage_nb.sim.network.Network` does both for any
configs).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.cmdliner import Arg, ArgSpec, ConvError
from mirage_nb.sim.netdev._module import DeviceModule
from mirage_nb.sim.netdev.http_kinds import HTTP_CONNECTORS, HTTP_KIND_OF_MODULE
from mirage_nb.sim.netdev.ip import DhcpIpv4Device, DualIp, Icmpv4Device, Ipv4Device, Ipv6Device
from mirage_nb.sim.netdev.link import ArpDevice, EthernetDevice, Netif
from mirage_nb.sim.netdev.stack import SocketStack, StackDevice, host_stack
from mirage_nb.sim.netdev.transport import TcpDevice, UdpDevice

__all__ = [
    "NET_KINDS",
    "KIND_OF_MODULE",
    "NET_ARG_NAMES",
    "S_NET",
    "net_arg",
    "option_of_key",
    "connect_net",
    "NET_CONNECTORS",
    "EXAMPLES_DIR",
    "run_network_example",
    "attach_unikernel",
    "log_sources",
]

S_NET = "NETWORK OPTIONS"
"""``Mirage_runtime.s_net``: the man-page section of the network arguments."""

KIND_OF_MODULE: Mapping[str, str] = {
    "Netif": "netif",
    "Ethernet.Make": "ethernet",
    "Arp.Make": "arp",
    "Static_ipv4.Make": "static_ipv4",
    "Dhcp_ipv4.Make": "dhcp_ipv4",
    "Dhcp_ipv4.Proj_net": "dhcp_proj_net",
    "Dhcp_ipv4.Proj_ipv4": "dhcp_proj_ipv4",
    "Ipv6.Make": "ipv6",
    "Tcpip_stack_direct.IPV4V6": "ipv4v6",
    "Icmpv4.Make": "icmpv4",
    "Udp.Make": "udp",
    "Tcp.Flow.Make": "tcp",
    "Utcp_mirage.Make": "utcp",
    "Tcpip_stack_direct.MakeV4V6": "stack_direct",
    "Udpv4v6_socket": "udp_socket",
    "Tcpv4v6_socket": "tcp_socket",
    "Tcpip_stack_socket.V4V6": "stack_socket",
}

KIND_OF_MODULE = {**KIND_OF_MODULE, **HTTP_KIND_OF_MODULE}  # conduit and cohttp: sim/netdev/http_kinds.py

NET_KINDS = frozenset(KIND_OF_MODULE.values())


# --- runtime arguments -----------------------------------------------------


def _conv(kind: type, what: str, example: str) -> Any:
    def parse(s: str) -> Any:
        try:
            return kind(s)
        except ValueError:
            raise ConvError(f"invalid value '{s}', expected {what} (e.g. {example})") from None

    return Arg.conv(parse, str, "")


_V4_PREFIX = _conv(ipaddress.IPv4Interface, "an IPv4 prefix", "10.0.0.2/24")
_V4_ADDR = _conv(ipaddress.IPv4Address, "an IPv4 address", "10.0.0.1")
_V6_PREFIX = _conv(ipaddress.IPv6Interface, "an IPv6 prefix", "fd00::2/64")
_V6_ADDR = _conv(ipaddress.IPv6Address, "an IPv6 address", "fd00::1")

NET_ARG_NAMES = frozenset(
    {
        "interface",
        "ipv4",
        "ipv4-gateway",
        "ipv6",
        "ipv6-gateway",
        "accept-router-advertisements",
        "ipv4-only",
        "ipv6-only",
    }
)
"""Option names of ``Mirage_runtime_network`` the network devices read (``--<group>-<name>`` with a group)."""


def _default(text: str | None, parse: Callable[[str], Any], fallback: Any) -> Any:
    if text is None:
        return fallback
    t = text.strip()
    if t == "None":
        return None
    if t.startswith("(Some ") and t.endswith(")"):
        t = t[6:-1].strip()
    t = t.strip('"')
    return parse(t)


_CODE_NAMES = {
    "interface": "interface",
    "V4.network": "ipv4",
    "V4.optional_network": "ipv4",
    "V4.gateway": "ipv4-gateway",
    "V6.network": "ipv6",
    "V6.gateway": "ipv6-gateway",
    "V6.accept_router_advertisements": "accept-router-advertisements",
    "ipv4_only": "ipv4-only",
    "ipv6_only": "ipv6-only",
}
_CODE = re.compile(r'^Mirage_runtime_network\.([A-Za-z0-9_.]+)\s*(?:~group:"([^"]*)"\s*)?(?:~docs:"[^"]*"\s*)?(.*)$')


def option_of_key(key: str) -> tuple[str, str | None] | None:
    """The option name (``ipv4``, ``group-ipv4``) and default text of a network argument key, or None.

    A key is either the option name itself or the OCaml code of the argument as
    the generated ``main.ml`` registers it (``Mirage_runtime_network.V4.network
    (Ipaddr.V4.Prefix.of_string_exn "10.0.0.2/24")``), which is what the
    engine's graph carries.
    """
    if key in NET_ARG_NAMES or any(key.endswith("-" + n) for n in NET_ARG_NAMES):
        return key, None
    m = _CODE.match(key.strip())
    if m is None or m.group(1) not in _CODE_NAMES:
        return None
    name = _CODE_NAMES[m.group(1)]
    group = m.group(2)
    rest = m.group(3).strip()
    if rest in ("()", ""):
        default = {
            "accept-router-advertisements": "true",
            "ipv4-only": "false",
            "ipv6-only": "false",
            "ipv4": "None",
        }.get(name)
    elif rest == "None":
        default = "None"
    else:
        q = re.search(r'"([^"]*)"', rest)
        default = q.group(1) if q else rest
    return (f"{group}-{name}" if group else name), default


def net_arg(key: str, default: str | None = None) -> ArgSpec | None:
    """The Cmdliner term of the network runtime argument ``key`` (its option name), or None if not one.

    ``default`` is the default as the graph prints it (``10.0.0.2/24``,
    ``None``, ``tap0``, ``false``). Called by the boot while it collects the
    arguments, which is also when the network log sources are declared (so
    ``-l tcp.pcb:debug`` is accepted, as the linked libraries' sources are in
    MirageOS).
    """
    parsed = option_of_key(key)
    if parsed is None:
        from mirage_nb.sim.netdev.dns import service_arg  # --dns-servers, --he-*: the service devices' arguments

        return service_arg(key)
    key, code_default = parsed
    default = code_default if code_default is not None else default
    group, name = "", key
    if key not in NET_ARG_NAMES:
        # ``--<group>-<name>`` of a grouped stack; the longest name wins (ipv4-gateway over gateway-less ipv4).
        found = [n for n in NET_ARG_NAMES if key.endswith("-" + n)]
        if not found:
            return None
        name = max(found, key=len)
        group = key[: -len(name) - 1]
    who = "the unikernel" if not group else f"the {group} group"
    _declare_log_sources()

    def info(doc: str, docv: str = "") -> Any:
        return Arg.info([key], doc=doc, docv=docv, docs=S_NET)

    match name:
        case "interface":
            d = _default(default, str, "tap0")
            return Arg.opt(Arg.string, d, info(f"The network interface listened by {who}.", "INTERFACE"))
        case "ipv4":
            d = _default(default, ipaddress.IPv4Interface, ipaddress.IPv4Interface("10.0.0.2/24"))
            doc = (
                "The network of {} specified as an IP address and netmask, e.g. 192.168.0.1/16 ."
                if d is not None
                else "The optional network of {} specified as an IP address and netmask, e.g. 192.168.0.1/16 ."
            )
            return Arg.opt(Arg.some(_V4_PREFIX) if d is None else _V4_PREFIX, d, info(doc.format(who), "PREFIX"))
        case "ipv4-gateway":
            d = _default(default, ipaddress.IPv4Address, None)
            return Arg.opt(Arg.some(_V4_ADDR), d, info(f"The gateway of {who}.", "IP"))
        case "ipv6":
            d = _default(default, ipaddress.IPv6Interface, None)
            doc = f"The network of {who} specified as IPv6 address and prefix length."
            return Arg.opt(Arg.some(_V6_PREFIX), d, info(doc, "PREFIX"))
        case "ipv6-gateway":
            d = _default(default, ipaddress.IPv6Address, None)
            return Arg.opt(Arg.some(_V6_ADDR), d, info(f"The gateway of {who}.", "IP"))
        case "accept-router-advertisements":
            d = _default(default, lambda s: s == "true", True)
            return Arg.opt(Arg.bool, d, info(f"Accept router advertisements for {who}."))
        case "ipv4-only":
            d = _default(default, lambda s: s == "true", False)
            return Arg.opt(Arg.bool, d, info(f"Only use IPv4 for {who}."))
        case _:
            d = _default(default, lambda s: s == "true", False)
            return Arg.opt(Arg.bool, d, info(f"Only use IPv6 for {who}."))


def log_sources() -> list[Any]:
    """The log sources of the network libraries (netif, ethernet, ARP, ipv4, ipv6, udp, tcp.pcb...)."""
    from mirage_nb.sim.netdev import ip, link, transport

    return [
        link.NETIF_SRC,
        link.ETHERNET_SRC,
        link.ARP_SRC,
        ip.IPV4_SRC,
        ip.IPV6_SRC,
        ip.ICMPV4_SRC,
        ip.DHCP_SRC,
        ip.DHCP_MIRAGE_SRC,
        ip.STACK_SRC,
        transport.UDP_SRC,
        transport.TCP_SRC,
        transport.UTCP_SRC,
    ]


def _declare_log_sources() -> None:
    from mirage_nb.sim.run import current_run

    run = current_run(optional=True)
    if run is not None:
        for s in log_sources():
            run.log_state.sources.setdefault(s.name, s)


# --- connecting a node ------------------------------------------------------


def _arg(booter: Any, node: Any, name: str, fallback: Any) -> Any:
    for ref in node.runtime_args:
        parsed = option_of_key(ref.key)
        if parsed is not None and (parsed[0] == name or parsed[0].endswith("-" + name)):
            return booter.arg(ref.key)
    return fallback


def _dep_ids(node: Any, n: int) -> tuple[str, ...]:
    # Hand-built nodes list the connect arguments in ``deps``; the engine's graph gives a functor's
    # arguments as ``args`` and extra dependencies (the socket stack's) as ``deps``.
    for ids in (node.deps, tuple(node.args) + tuple(node.deps)):
        if len(ids) == n:
            return tuple(ids)
    got = tuple(node.args) + tuple(node.deps)
    raise SimulationError(
        f"{node.module_name} node {node.id} needs {n} device(s) to connect, got {len(got)}: {', '.join(got) or 'none'}"
    )


def _deps(booter: Any, node: Any, n: int) -> list[Any]:
    return [booter.values[d] for d in _dep_ids(node, n)]


def _dep_module(booter: Any, node: Any, i: int, n: int) -> Any:
    return booter.modules.get(_dep_ids(node, n)[i])


async def connect_net(booter: Any, node: Any) -> tuple[Any, Any]:
    """Connect one network node as the generated ``main.ml`` does: its value and the module functors receive.

    This is the connector :func:`~mirage_nb.sim.boot.boot` calls for every kind in
    :data:`NET_CONNECTORS` (``boot(..., connectors=NET_CONNECTORS)``).
    """
    value = await _connect(booter, node)
    return value, booter.modules[node.id]


async def _connect(booter: Any, node: Any) -> Any:
    kind = node.kind
    name = node.module_name
    booter.modules[node.id] = DeviceModule(name)
    match kind:
        case "netif":
            dev = _arg(booter, node, "interface", node.params.get("name", "tap0"))
            # params["lan"]: the VirtualLan this Netif plugs into when a run has several (sim/network.py)
            return await Netif.connect(dev, lan=node.params.get("lan"))
        case "ethernet":
            (net,) = _deps(booter, node, 1)
            return await EthernetDevice.connect(net)
        case "arp":
            (eth,) = _deps(booter, node, 1)
            return await ArpDevice.connect(eth)
        case "static_ipv4":
            eth, arp = _deps(booter, node, 2)
            cidr = _arg(booter, node, "ipv4", ipaddress.IPv4Interface("10.0.0.2/24"))
            gw = _arg(booter, node, "ipv4-gateway", None)
            no_init = _arg(booter, node, "ipv6-only", False)
            return await Ipv4Device.connect(eth, arp, cidr=cidr, gateway=gw, no_init=no_init)
        case "dhcp_ipv4":
            net, eth, arp = _deps(booter, node, 3)
            cidr = _arg(booter, node, "ipv4", None)
            gw = _arg(booter, node, "ipv4-gateway", None)
            no_init = _arg(booter, node, "ipv6-only", False)
            from mirage_nb.sim.runtime import Mirage_runtime

            return await DhcpIpv4Device.connect(
                net, eth, arp, no_init=no_init, cidr=cidr, gateway=gw, hostname=Mirage_runtime.name()
            )
        case "dhcp_proj_net":
            (dhcp,) = _deps(booter, node, 1)
            return dhcp.net()
        case "dhcp_proj_ipv4":
            (dhcp,) = _deps(booter, node, 1)
            return dhcp.ipv4()
        case "ipv6":
            net, eth = _deps(booter, node, 2)
            return await Ipv6Device.connect(
                net,
                eth,
                no_init=_arg(booter, node, "ipv4-only", False),
                handle_ra=_arg(booter, node, "accept-router-advertisements", True),
                cidr=_arg(booter, node, "ipv6", None),
                gateway=_arg(booter, node, "ipv6-gateway", None),
            )
        case "ipv4v6":
            v4, v6 = _deps(booter, node, 2)
            return await DualIp.connect(
                v4,
                v6,
                ipv4_only=_arg(booter, node, "ipv4-only", False),
                ipv6_only=_arg(booter, node, "ipv6-only", False),
            )
        case "icmpv4":
            (ip,) = _deps(booter, node, 1)
            return await Icmpv4Device.connect(ip)
        case "udp":
            (ip,) = _deps(booter, node, 1)
            return await UdpDevice.connect(ip)
        case "tcp":
            (ip,) = _deps(booter, node, 1)
            return await TcpDevice.connect(ip)
        case "utcp":
            (ip,) = _deps(booter, node, 1)
            return TcpDevice.connect_utcp(node.params.get("name", "service"), ip)
        case "stack_direct":
            values = _deps(booter, node, 7)
            booter.modules[node.id] = DeviceModule(
                name,
                TCP=_dep_module(booter, node, 6, 7),
                UDP=_dep_module(booter, node, 5, 7),
                IP=_dep_module(booter, node, 3, 7),
            )
            return await StackDevice.connect(*values)
        case "udp_socket" | "tcp_socket":
            h = host_stack(
                ipv4=_arg(booter, node, "ipv4", ipaddress.IPv4Interface("0.0.0.0/0")),
                ipv6=_arg(booter, node, "ipv6", None),
                ipv4_only=_arg(booter, node, "ipv4-only", False),
                ipv6_only=_arg(booter, node, "ipv6-only", False),
            )
            return h.udp if kind == "udp_socket" else h.tcp
        case "stack_socket":
            udp, tcp = _deps(booter, node, 2)
            booter.modules[node.id] = DeviceModule(
                name,
                TCP=_dep_module(booter, node, 1, 2),
                UDP=_dep_module(booter, node, 0, 2),
                IP=DeviceModule("Ipv4v6_socket"),
            )
            return await SocketStack.connect(udp, tcp)
    raise SimulationError(f"{name} node {node.id}: unknown network kind {kind!r}")


NET_CONNECTORS: Mapping[str, Any] = {k: connect_net for k in sorted(NET_KINDS)}
NET_CONNECTORS = {**NET_CONNECTORS, **HTTP_CONNECTORS}
"""Kind -> connector, for ``boot(..., connectors=NET_CONNECTORS)``."""


# --- the bundled network examples ---------------------------------------------


EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


def run_network_example(
    name: str,
    *,
    argv: Iterable[str] = (),
    seed: int = 0,
    until: int | float | str | None = None,
    setup: Callable[[Any], Any] | None = None,
    pcap: Any = None,
    **keys: Any,
) -> Any:
    """Boot a bundled example (``network``, ``ping6``...) from its config.ml on a fresh run with a virtual LAN.

    The engine evaluates the example's ``config.ml`` with the configure-time
    ``keys`` (``net="direct", no_dhcp=True``, ``utcp=True``; ``dhcp=False``
    is read as ``no_dhcp=True``) and the simulator boots that graph with the
    ``unikernel.py`` beside it. ``setup(lan)`` runs before the boot, to attach
    scripted peers; ``pcap`` (a :class:`~mirage_nb.sim.net.pcap.PcapWriter`)
    records the LAN. Returns the :class:`~mirage_nb.sim.run.RunResult`.
    """
    from mirage_nb.config_ml import load
    from mirage_nb.sim.boot import boot
    from mirage_nb.sim.cli import configured_unikernel, nodes_of_graph
    from mirage_nb.sim.netdev.lan import VirtualLan
    from mirage_nb.sim.run import Run

    config = os.path.join(EXAMPLES_DIR, name, "config.ml")
    if not os.path.isfile(config):
        raise SimulationError(f"unknown example {name!r}: no {config}")
    if "dhcp" in keys:
        keys["no_dhcp"] = not keys.pop("dhcp")
    app = load(config)
    app.config_file = config  # its unikernel.py and data are beside it
    configured, uk, data_dir = configured_unikernel(app, **keys)
    run = Run(seed=seed, argv=argv, name=configured.app.name, until=until)
    lan = VirtualLan.of_run(run, pcap=pcap) if pcap is not None else VirtualLan.of_run(run)
    if setup is not None:
        setup(lan)
    return boot(nodes_of_graph(configured), uk, run=run, data_dir=data_dir, connectors=NET_CONNECTORS)


def attach_unikernel(
    lan: Any,
    nodes: Iterable[Any],
    unikernel: Any,
    *,
    argv: Iterable[str] = (),
    data_dir: str | None = None,
    connectors: Mapping[str, Any] | None = None,
) -> Any:
    """Boot one more unikernel into ``lan``'s run, before the run starts: it shares the LAN, the clock and the console.

    Its boot arguments are ``argv`` (parsed on their own, so two unikernels may
    take different ``--ipv4``); the Netif names may repeat (each gets its own
    port and MAC). Its log lines go to the same console, interleaved in time, as
    two unikernels' consoles would be side by side. ``connectors`` replace
    :data:`NET_CONNECTORS` (e.g. to plug its Netif into another LAN). Returns
    the promise of its boot (resolved when its job returns).
    """
    from mirage_nb.sim.boot import BootContext, load_unikernel
    from mirage_nb.sim.cmdliner import ParseOk, parse
    from mirage_nb.sim.lwt import async_

    run = lan.run
    if isinstance(unikernel, str | os.PathLike):
        unikernel = load_unikernel(unikernel)
    nodes = list(nodes)
    argv = list(argv)
    names = [n.params.get("name") for n in nodes if n.kind == "argv"]
    name = names[0] if names and names[0] else "unikernel"

    async def own_argv(ctx: Any, node: Any) -> tuple[Any, Any]:
        outcome = parse(name, [a.spec for a in ctx.all_args()], argv)
        if not isinstance(outcome, ParseOk):
            raise SimulationError(f"boot arguments {argv} of the attached unikernel {name}: {outcome.text.strip()}")
        for a, v in zip(ctx.all_args(), outcome.values, strict=True):
            run.args[id(a)] = v
        return None, None

    if data_dir is None:
        f = getattr(unikernel, "__file__", None)
        data_dir = os.path.dirname(os.path.abspath(f)) if f else os.getcwd()
    ctx = BootContext(nodes, unikernel, run, data_dir, {**(connectors or NET_CONNECTORS), "argv": own_argv})
    box: list[Any] = []

    async def start() -> None:
        from mirage_nb.sim.lwt import spawn

        p = spawn(ctx.main(), f"{name}.boot")
        box.append(p)
        async_(p)

    run.spawn(start())
    return box[0]


# --- service devices (DNS client, happy eyeballs: sim/netdev/dns.py; kinds by module in its SERVICE_KIND_OF_MODULE)
from mirage_nb.sim.netdev.dns import SERVICE_CONNECTORS  # noqa: E402

NET_CONNECTORS = {**NET_CONNECTORS, **SERVICE_CONNECTORS}

# --- log reporters and monitoring (sim/netdev/syslog.py; kinds by module in its SYSLOG_KIND_OF_MODULE)
from mirage_nb.sim.netdev.syslog import SYSLOG_CONNECTORS  # noqa: E402

NET_CONNECTORS = {**NET_CONNECTORS, **SYSLOG_CONNECTORS}
