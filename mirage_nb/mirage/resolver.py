"""Name resolvers for conduit (twin of mirage's ``lib/devices/resolver.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.errors import ConfigError
from mirage_nb.functoria import fmt as F
from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from . import keys as Key
from ._util import expect, get_target, pos
from .conduit import pkg as conduit_pkg
from .ip import DhcpRequests
from .stack import stackv4v6

__all__ = ["resolver", "resolver_unix_system", "resolver_dns_conf", "resolver_dns"]

_FILE = "lib/devices/resolver.ml"

resolver = Typ("resolver")


def _unix_only(info: Info, _fs=None) -> None:
    if get_target(info).group != "unix":
        raise ConfigError("Unix resolver not supported on non-UNIX targets.")


resolver_unix_system = impl(
    "Resolver_lwt",
    resolver,
    packages_v=K.if_(Key.is_unix, [conduit_pkg, package("conduit-lwt-unix", min="8.0.0", max="9.0.0")], []),
    configure=_unix_only,
    connect=lambda _i, _m, _n: Code("Lwt.return Resolver_lwt_unix.system", pos(_FILE, 20)),
    doc="The host's resolver (unix only).",
)

_PLAIN = "let nameservers = %s in@;%s.v ?nameservers %s >|= function@;| Ok r -> r@;| Error (`Msg e) -> invalid_arg e@;"

_WITH_LEASE = (
    "let nameservers =@[@ match %s, %s with@ | None, None -> None@ "
    "| Some ns, _ -> Some ns@ | None, Some lease ->@[@ let "
    "nameservers = Dhcp_wire.collect_dns_servers lease in@.Some "
    '(List.concat_map (fun ip -> [Fmt.str "udp:%%a" Ipaddr.V4.pp '
    'ip; Fmt.str "tcp:%%a" Ipaddr.V4.pp ip]) nameservers)@]@]@.in\n'
    "             %s.v ?nameservers %s >|= function@;"
    "| Ok r -> r@;"
    "| Error (`Msg e) -> invalid_arg e@;"
)


def resolver_dns_conf(*, dhcp: tuple[DhcpRequests, Impl] | None, ns: Runtime_arg.RuntimeArg) -> Impl:
    """A fresh ``Resolver_mirage.Make``; with ``dhcp``, the lease's DNS servers are used too."""
    if dhcp is not None:
        dhcp[0].add(6)  # DNS_SERVERS
    packages = [conduit_pkg]
    if dhcp is None:

        def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
            stack, ns_ = expect(names, 2, "resolver")
            return Code(F.sprintf(_PLAIN, ns_, modname, stack), pos(_FILE, 35))

        extra_deps: list[Impl] = []
    else:

        def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
            stack, lease, ns_ = expect(names, 3, "resolver")
            return Code(F.sprintf(_WITH_LEASE, ns_, lease, modname, stack), pos(_FILE, 47))

        packages = [package("charrua", min="2.0.0", max="4.0.0"), *packages]
        extra_deps = [dhcp[1]]
    return impl(
        "Resolver_mirage.Make",
        stackv4v6 @ resolver,
        packages=packages,
        extra_deps=extra_deps,
        runtime_args=[ns],
        connect=connect,
        doc="A DNS resolver for conduit over a stack.",
    )


def resolver_dns(
    stack: Impl, *, dhcp: tuple[DhcpRequests, Impl] | None = None, ns: Sequence[str] | None = None
) -> Impl:
    """Twin of ``resolver_dns ?dhcp ?ns stack``."""
    return resolver_dns_conf(dhcp=dhcp, ns=Runtime_arg.resolver(default=ns))(stack)
