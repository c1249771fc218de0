"""The DNS client (twin of mirage's ``lib/devices/dns.ml``)."""

from __future__ import annotations

from collections.abc import Sequence

from mirage_nb.functoria import fmt as F
from mirage_nb.functoria.device import Code
from mirage_nb.functoria.impl import Impl, impl
from mirage_nb.functoria.info import Info
from mirage_nb.functoria.package import package
from mirage_nb.functoria.types import Typ

from . import _runtime_arg as Runtime_arg
from ._util import expect, pos
from .happy_eyeballs import happy_eyeballs
from .ip import DhcpRequests
from .stack import stackv4v6

__all__ = ["dns_client", "generic_dns_client"]

_FILE = "lib/devices/dns.ml"

dns_client = Typ("dns_client")

_PLAIN = "%s.connect @[?nameservers:%s ?timeout:%s ?cache_size:%s@ (%s, %s)@]"

_WITH_LEASE = (
    "let nameservers =@[@ match %s, %s with@ | None, None -> None@ "
    "| Some ns, _ -> Some ns@ | None, Some lease ->@[@ let "
    "nameservers = Dhcp_wire.collect_dns_servers lease in@.if "
    "nameservers = [] then None@.else Some (List.concat_map (fun "
    'ip -> [Fmt.str "udp:%%a" Ipaddr.V4.pp ip; Fmt.str '
    '"tcp:%%a" Ipaddr.V4.pp ip]) '
    "nameservers)@]@]@.in@.%s.connect @[?nameservers ?timeout:%s "
    "?cache_size:%s@ (%s, %s)@]"
)


def generic_dns_client(
    stack: Impl,
    he: Impl,
    *,
    dhcp: tuple[DhcpRequests, Impl] | None = None,
    group: str | None = None,
    timeout: int | None = None,
    nameservers: Sequence[str] | None = None,
    cache_size: int | None = None,
) -> Impl:
    """Twin of ``generic_dns_client ?dhcp ?group ?timeout ?nameservers ?cache_size stackv4v6 he`` (fresh)."""
    if dhcp is not None:
        dhcp[0].add(6)  # DNS_SERVERS
    packages = [package("dns-client-mirage", min="10.0.0", max="11.0.0")]
    ns = Runtime_arg.dns_servers(list(nameservers) if nameservers is not None else None, group=group)
    to = Runtime_arg.dns_timeout(timeout, group=group)
    cs = Runtime_arg.dns_cache_size(cache_size, group=group)
    if dhcp is None:

        def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
            s, h, n, t, c = expect(names, 5, "generic_dns_client")
            return Code(F.sprintf(_PLAIN, modname, n, t, c, s, h), pos(_FILE, 21))

        extra_deps: list[Impl] = []
    else:

        def connect(_info: Info, modname: str, names: Sequence[str]) -> Code:
            s, h, lease, n, t, c = expect(names, 6, "generic_dns_client")
            return Code(F.sprintf(_WITH_LEASE, n, lease, modname, t, c, s, h), pos(_FILE, 33))

        packages = [package("charrua", min="2.0.0", max="4.0.0"), *packages]
        extra_deps = [dhcp[1]]
    conf = impl(
        "Dns_client_mirage.Make",
        stackv4v6 @ happy_eyeballs @ dns_client,
        runtime_args=[ns, to, cs],
        packages=packages,
        extra_deps=extra_deps,
        connect=connect,
        doc="A DNS client (dns-client-mirage) over a stack and happy eyeballs.",
    )
    return conf(stack, he)
