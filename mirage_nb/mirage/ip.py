"""IPv4, IPv6 and dual-stack IP, DHCP and its projections (twin of mirage's ``lib/devices/ip.ml``).

``ipv4``, ``ipv6`` and ``ipv4v6`` are one module type, as in OCaml (where
only phantom types tell them apart): a functor wanting an ``ipv4`` accepts
an ``ipv4v6`` device.
"""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import fmt as F
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import Package, package
from mirage_nb.functoria.runtime_arg import RuntimeArg
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from ._util import expect, pos
from .arp import arpv4
from .ethernet import ethernet
from .network import network
from .qubesdb import qubesdb

__all__ = [
    "ip",
    "ipv4",
    "ipv6",
    "ipv4v6",
    "dhcp_ipv4",
    "lease",
    "DhcpRequests",
    "make_dhcp_requests",
    "add_dhcp_request",
    "right_tcpip_library",
    "ipv4_keyed_conf",
    "no_lease",
    "ipv4_dhcp_conf",
    "keyed_ipv4_of_dhcp",
    "ipv4_of_dhcp",
    "dhcp_proj_net",
    "dhcp_proj_ipv4",
    "dhcp_proj_lease",
    "keyed_create_ipv4",
    "create_ipv4",
    "ipv4_qubes_conf",
    "ipv4_qubes",
    "ipv6_conf",
    "keyed_create_ipv6",
    "create_ipv6",
    "ipv4v6_conf",
    "keyed_ipv4v6",
    "create_ipv4v6",
]

_FILE = "lib/devices/ip.ml"

ip = Typ("ip")
ipv4 = ip
ipv6 = ip
ipv4v6 = ip
dhcp_ipv4 = Typ("dhcp_ipv4")
lease = Typ("lease")


class DhcpRequests:
    """``Mirage.dhcp_requests``: the DHCP options a unikernel asks its server for.

    Devices add the options they need (DNS servers: 6) while the config is
    built; the DHCP client's connect code then consumes the set. Unlike
    OCaml, consuming twice returns the same set (a notebook may generate
    code more than once), but adding after consumption is still an error.
    """

    __slots__ = ("requests", "consumed")

    def __init__(self) -> None:
        self.requests: set[int] = set()
        self.consumed = False

    def add(self, req: int) -> None:
        if self.consumed:
            raise ConfigError("DHCP option code added too late")
        # Codes are 1..254: 0 is PAD and 255 is END.
        if isinstance(req, bool) or not isinstance(req, int) or req <= 0 or req >= 255:
            raise ConfigError("Invalid DHCP option code")
        self.requests.add(req)

    def consume(self) -> list[int] | None:
        self.consumed = True
        return sorted(self.requests) or None

    def __repr__(self) -> str:
        return f"<dhcp_requests {sorted(self.requests)}>"


def make_dhcp_requests() -> DhcpRequests:
    """Twin of ``make_dhcp_requests ()``."""
    return DhcpRequests()


def add_dhcp_request(requests: DhcpRequests, code: int) -> None:
    """Twin of ``add_dhcp_request requests code``."""
    if not isinstance(requests, DhcpRequests):
        raise ConfigError(f"add_dhcp_request expects a make_dhcp_requests() value, not {requests!r}")
    requests.add(code)


def right_tcpip_library(sublibs: Sequence[str]) -> Package:
    """The ``tcpip`` package (>= 9.0.0, < 10.0.0) with the given sub-libraries."""
    return package("tcpip", min="9.0.0", max="10.0.0", sublibs=list(sublibs))


def _charrua_client() -> Package:
    return package("charrua-client", min="3.0.0", max="4.0.0", sublibs=["mirage"])


# -- static IPv4 ----------------------------------------------------------------------


def ipv4_keyed_conf(*, ip: RuntimeArg, gateway: RuntimeArg, no_init: RuntimeArg) -> Impl:
    """A fresh ``Static_ipv4.Make`` (OCaml's trailing ``()`` is dropped)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        etif, arp_, ip_, gw, ni = expect(names, 5, "ipv4 keyed")
        text = F.sprintf("%s.connect@[~no_init:%s@ ~cidr:%s@ ?gateway:%s@ %s@ %s@]", modname, ni, ip_, gw, etif, arp_)
        return Code(text, pos(_FILE, 49))

    return impl(
        "Static_ipv4.Make",
        ethernet @ arpv4 @ ipv4,
        packages=[right_tcpip_library(["ipv4"])],
        runtime_args=[ip, gateway, no_init],
        connect=connect,
        doc="IPv4 with a static address (``--ipv4``, ``--ipv4-gateway``).",
    )


no_lease = impl(
    "Lwt",
    lease,
    connect=lambda _i, _m, _n: Code("Lwt.return None", pos(_FILE, 58)),
    doc="No DHCP lease (twin of ``Mirage.no_lease``).",
)

# -- DHCP -----------------------------------------------------------------------------

_DHCP_FMT = (
    "let requests =@[@ Option.map (List.map Dhcp_wire.int_to_option_code_exn)@ %a@]@ in@ "
    "let options = [ Dhcp_wire.Hostname (Mirage_runtime.name ()) ] in@ "
    "%s.connect@[@ ~no_init:%s@ ?cidr:%s@ ?gateway:%s@ ?requests@ ~options@ %s@ %s@ %s@]"
)

_pp_requests = Runtime_arg.parens(Runtime_arg.dump_option(Runtime_arg.dump_list(Runtime_arg.pp_int)))


def ipv4_dhcp_conf(*, ip: RuntimeArg, gateway: RuntimeArg, no_init: RuntimeArg, requests: DhcpRequests) -> Impl:
    """A fresh ``Dhcp_ipv4.Make``: a DHCP client asking for ``requests`` (plus options 1 and 3)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        net, eth, arp_, ip_, gw, ni = expect(names, 6, "ipv4 dhcp")
        if not requests.consumed:
            requests.add(1)  # SUBNET_MASK
            requests.add(3)  # ROUTERS
        reqs = requests.consume()
        text = F.sprintf(_DHCP_FMT, _pp_requests, reqs, modname, ni, ip_, gw, net, eth, arp_)
        return Code(text, pos(_FILE, 81))

    return impl(
        "Dhcp_ipv4.Make",
        network @ ethernet @ arpv4 @ dhcp_ipv4,
        packages=[_charrua_client()],
        runtime_args=[ip, gateway, no_init],
        connect=connect,
        doc="A DHCP client for IPv4 (charrua-client).",
    )


def keyed_ipv4_of_dhcp(
    net: Impl,
    ethif: Impl,
    arp: Impl,
    *,
    no_init: RuntimeArg,
    group: str | None = None,
    dhcp_requests: DhcpRequests | None = None,
    gateway: str | None = None,
) -> Impl:
    ip_ = Runtime_arg.V4.optional_network(group=group)
    gw = Runtime_arg.V4.gateway(gateway, group=group)
    reqs = dhcp_requests if dhcp_requests is not None else DhcpRequests()
    return ipv4_dhcp_conf(ip=ip_, gateway=gw, no_init=no_init, requests=reqs)(net, ethif, arp)


def ipv4_of_dhcp(
    net: Impl,
    ethif: Impl,
    arp: Impl,
    *,
    group: str | None = None,
    dhcp_requests: DhcpRequests | None = None,
    gateway: str | None = None,
) -> Impl:
    """Twin of ``ipv4_of_dhcp ?group ?dhcp_requests ?gateway net ethif arp``."""
    no_init = Runtime_arg.ipv6_only(group=group)
    return keyed_ipv4_of_dhcp(
        net, ethif, arp, no_init=no_init, group=group, dhcp_requests=dhcp_requests, gateway=gateway
    )


def _proj(module: str, res: Typ, line: int, err: str) -> Impl:
    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        (dhcp,) = expect(names, 1, err)
        return Code(F.sprintf("%s.connect@[@ %s@]", modname, dhcp), pos(_FILE, line))

    return impl(
        module,
        dhcp_ipv4 @ res,
        packages=[_charrua_client()],
        connect=connect,
        doc=f"The {res!r} part of a DHCP client.",
    )


dhcp_proj_net = _proj("Dhcp_ipv4.Proj_net", network, 105, "dhcp_proj_net")
dhcp_proj_ipv4 = _proj("Dhcp_ipv4.Proj_ipv4", ipv4, 115, "dhcp_proj_ipv4")
# (mirage reuses the name "dhcp_proj_ipv4" in this device's arity error)
dhcp_proj_lease = _proj("Dhcp_ipv4.Proj_lease", lease, 125, "dhcp_proj_ipv4")


def keyed_create_ipv4(
    etif: Impl,
    arp: Impl,
    *,
    no_init: RuntimeArg,
    group: str | None = None,
    network: str | None = None,
    gateway: str | None = None,
) -> Impl:
    ip_ = Runtime_arg.V4.network(network if network is not None else "10.0.0.2/24", group=group)
    gw = Runtime_arg.V4.gateway(gateway, group=group)
    return ipv4_keyed_conf(ip=ip_, gateway=gw, no_init=no_init)(etif, arp)


def create_ipv4(etif: Impl, arp: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``create_ipv4 ?group etif arp``: static 10.0.0.2/24, no gateway, by default."""
    ip_ = Runtime_arg.V4.network("10.0.0.2/24", group=group)
    gw = Runtime_arg.V4.gateway(None, group=group)
    no_init = Runtime_arg.ipv6_only(group=group)
    return ipv4_keyed_conf(ip=ip_, gateway=gw, no_init=no_init)(etif, arp)


def _qubes_connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
    db, etif, arp_ = expect(names, 3, "qubes_ipv4")
    return Code(F.sprintf("%s.connect@[@ %s@ %s@ %s@]", modname, db, etif, arp_), pos(_FILE, 148))


ipv4_qubes_conf = impl(
    "Qubesdb_ipv4.Make",
    qubesdb @ ethernet @ arpv4 @ ipv4,
    packages=[package("mirage-qubes-ipv4", min="2.0.0", max="3.0.0")],
    connect=_qubes_connect,
    doc="IPv4 configured from QubesDB.",
)


def ipv4_qubes(db: Impl, ethernet: Impl, arp: Impl) -> Impl:
    """Twin of ``ipv4_qubes db ethernet arp``."""
    return ipv4_qubes_conf(db, ethernet, arp)


# -- IPv6 and dual stack ----------------------------------------------------------------


def ipv6_conf(*, ip: RuntimeArg, gateway: RuntimeArg, handle_ra: RuntimeArg, no_init: RuntimeArg) -> Impl:
    """A fresh ``Ipv6.Make`` (OCaml's trailing ``()`` is dropped)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        netif, etif, ip_, gw, ra, ni = expect(names, 6, "ipv6")
        text = F.sprintf(
            "%s.connect@[~no_init:%s@ ~handle_ra:%s@ ?cidr:%s@ ?gateway:%s@ %s@ %s@]",
            modname,
            ni,
            ra,
            ip_,
            gw,
            netif,
            etif,
        )
        return Code(text, pos(_FILE, 161))

    return impl(
        "Ipv6.Make",
        network @ ethernet @ ipv6,
        packages=[right_tcpip_library(["ipv6"])],
        runtime_args=[ip, gateway, handle_ra, no_init],
        connect=connect,
        doc="IPv6 (``--ipv6``, ``--ipv6-gateway``, router advertisements).",
    )


def keyed_create_ipv6(
    netif: Impl,
    etif: Impl,
    *,
    no_init: RuntimeArg,
    group: str | None = None,
    network: str | None = None,
    gateway: str | None = None,
) -> Impl:
    ip_ = Runtime_arg.V6.network(network, group=group)
    gw = Runtime_arg.V6.gateway(gateway, group=group)
    ra = Runtime_arg.V6.accept_router_advertisements(group=group)
    return ipv6_conf(ip=ip_, gateway=gw, handle_ra=ra, no_init=no_init)(netif, etif)


def create_ipv6(netif: Impl, etif: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``create_ipv6 ?group netif etif``."""
    ip_ = Runtime_arg.V6.network(None, group=group)
    gw = Runtime_arg.V6.gateway(None, group=group)
    ra = Runtime_arg.V6.accept_router_advertisements(group=group)
    no_init = Runtime_arg.ipv4_only(group=group)
    return ipv6_conf(ip=ip_, gateway=gw, handle_ra=ra, no_init=no_init)(netif, etif)


def ipv4v6_conf(*, ipv4_only: RuntimeArg, ipv6_only: RuntimeArg) -> Impl:
    """A fresh ``Tcpip_stack_direct.IPV4V6`` (OCaml's trailing ``()`` is dropped)."""

    def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
        v4, v6, only4, only6 = expect(names, 4, "ipv4v6")
        text = F.sprintf("%s.connect@[@ ~ipv4_only:%s@ ~ipv6_only:%s@ %s@ %s@]", modname, only4, only6, v4, v6)
        return Code(text, pos(_FILE, 190))

    return impl(
        "Tcpip_stack_direct.IPV4V6",
        ipv4 @ ipv6 @ ipv4v6,
        packages=[right_tcpip_library(["stack-direct"])],
        runtime_args=[ipv4_only, ipv6_only],
        connect=connect,
        doc="IPv4 and IPv6 together.",
    )


def keyed_ipv4v6(ipv4: Impl, ipv6: Impl, *, ipv4_only: RuntimeArg, ipv6_only: RuntimeArg) -> Impl:
    return ipv4v6_conf(ipv4_only=ipv4_only, ipv6_only=ipv6_only)(ipv4, ipv6)


def create_ipv4v6(ipv4: Impl, ipv6: Impl, *, group: str | None = None) -> Impl:
    """Twin of ``create_ipv4v6 ?group ipv4 ipv6``."""
    return keyed_ipv4v6(
        ipv4,
        ipv6,
        ipv4_only=Runtime_arg.ipv4_only(group=group),
        ipv6_only=Runtime_arg.ipv6_only(group=group),
    )
